import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, type SSMClient } from "@aws-sdk/client-ssm";

/**
 * Ed25519 signing (node:crypto) of FleetOTA metadata in a DSSE-style envelope: the signature covers the
 * exact payload bytes plus their type (pre-authentication encoding), so no JSON canonicalization is
 * needed and a payload of one type can never be passed off as another (a manifest as a job document).
 */

export interface SignedEnvelope {
  payloadType: string;
  /** The payload JSON, base64. */
  payload: string;
  signatures: Array<{ keyid: string; sig: string }>;
}

export interface SigningKey {
  privateKeyPem: string;
  publicKeyPem: string;
  keyId: string;
}

/** Pre-authentication encoding (as in DSSE): binds the payload type to the bytes signed. */
function preAuthenticationEncoding(payloadType: string, payload: Buffer): Buffer {
  const type = Buffer.from(payloadType, "utf8");
  return Buffer.concat([Buffer.from(`DSSEv1 ${type.length} `), type, Buffer.from(` ${payload.length} `), payload]);
}

/** Short stable id of a public key: the first 16 hex digits of the SHA-256 of its DER form. */
export function keyIdOf(publicKey: KeyObject | string): string {
  const key = typeof publicKey === "string" ? createPublicKey(publicKey) : publicKey;
  return createHash("sha256").update(key.export({ type: "spki", format: "der" })).digest("hex").slice(0, 16);
}

/**
 * Makes a fresh Ed25519 key pair as PEM text.
 *
 * @example
 * const key = generateSigningKey(); // { privateKeyPem: "-----BEGIN PRIVATE KEY-----…", publicKeyPem, keyId }
 */
export function generateSigningKey(): SigningKey {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  return {
    privateKeyPem: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/**
 * Rebuilds the full key (public part and id) from a private key PEM.
 *
 * @example
 * const key = signingKeyFromPrivatePem(pemFromSsm);
 */
export function signingKeyFromPrivatePem(privateKeyPem: string): SigningKey {
  const publicKey = createPublicKey(createPrivateKey(privateKeyPem));
  return {
    privateKeyPem,
    publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
    keyId: keyIdOf(publicKey),
  };
}

/**
 * Signs a JSON-serializable payload into an envelope.
 *
 * @example
 * const envelope = signEnvelope("application/vnd.fleetota.manifest+json", manifest, key);
 */
export function signEnvelope(payloadType: string, payload: unknown, key: SigningKey): SignedEnvelope {
  const bytes = Buffer.from(JSON.stringify(payload), "utf8");
  const sig = sign(null, preAuthenticationEncoding(payloadType, bytes), createPrivateKey(key.privateKeyPem));
  return { payloadType, payload: bytes.toString("base64"), signatures: [{ keyid: key.keyId, sig: sig.toString("base64") }] };
}

/**
 * True when at least one signature over the envelope's payload verifies with the public key.
 *
 * @example
 * if (!verifyEnvelopeSignature(envelope, publicKeyPem)) refuse("tampered");
 */
export function verifyEnvelopeSignature(envelope: SignedEnvelope, publicKeyPem: string): boolean {
  const publicKey = createPublicKey(publicKeyPem);
  const message = preAuthenticationEncoding(envelope.payloadType, Buffer.from(envelope.payload, "base64"));
  return envelope.signatures.some(({ sig }) => {
    try {
      return verify(null, message, publicKey, Buffer.from(sig, "base64"));
    } catch {
      return false;
    }
  });
}

/** Decodes an envelope's payload JSON (without checking the signature). */
export function envelopePayload(envelope: SignedEnvelope): unknown {
  return JSON.parse(Buffer.from(envelope.payload, "base64").toString("utf8"));
}

/** SHA-256 (hex) of the payload bytes: what a job document pins its manifest by. */
export function envelopeDigest(envelope: SignedEnvelope): string {
  return createHash("sha256").update(Buffer.from(envelope.payload, "base64")).digest("hex");
}

export class SigningKeyParameterError extends Error {
  override readonly name = "SigningKeyParameterError";
  constructor(readonly parameterName: string, message: string) {
    super(`signing key parameter ${parameterName}: ${message}`);
  }
}

/**
 * Reads the Ed25519 private key PEM from an SSM SecureString parameter.
 *
 * @example
 * const key = await loadSigningKey(new SSMClient({}), "/fleetota-dev/signing-key");
 */
export async function loadSigningKey(ssm: SSMClient, parameterName: string): Promise<SigningKey> {
  const response = await ssm.send(new GetParameterCommand({ Name: parameterName, WithDecryption: true }));
  const pem = response.Parameter?.Value;
  if (!pem) throw new SigningKeyParameterError(parameterName, "is empty");
  try {
    return signingKeyFromPrivatePem(pem);
  } catch (error) {
    throw new SigningKeyParameterError(parameterName, `does not hold an Ed25519 private key PEM (${(error as Error).message})`);
  }
}

/**
 * Returns the signing key stored in the SSM parameter, creating a new one (SecureString) when absent.
 * Safe to race: a creation that loses (`Overwrite: false`) reads the winner's key.
 *
 * @example
 * const key = await ensureSigningKey(new SSMClient(config), "/fleetota-dev/signing-key");
 * writeFileSync("vehicle-trust.pem", key.publicKeyPem);
 */
export async function ensureSigningKey(ssm: SSMClient, parameterName: string): Promise<SigningKey> {
  try {
    return await loadSigningKey(ssm, parameterName);
  } catch (error) {
    if (!(error instanceof ParameterNotFound) && (error as Error).name !== "ParameterNotFound") throw error;
  }
  const key = generateSigningKey();
  try {
    await ssm.send(
      new PutParameterCommand({
        Name: parameterName,
        Type: "SecureString",
        Value: key.privateKeyPem,
        Overwrite: false,
        Description: "FleetOTA Ed25519 key signing firmware manifests and job documents",
      }),
    );
    return key;
  } catch (error) {
    if ((error as Error).name === "ParameterAlreadyExists") return loadSigningKey(ssm, parameterName);
    throw error;
  }
}
