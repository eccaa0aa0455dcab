import { createHash, createPrivateKey, createPublicKey, ECDH, generateKeyPairSync, sign as signBytes, type KeyObject } from "node:crypto";
import { ed25519 } from "@noble/curves/ed25519.js";
import { canonicalize } from "@tufjs/canonical-json"; // the canonical JSON @tufjs/models signs and verifies over
import { Key, Metadata, Signature, type Root, type Targets } from "@tufjs/models";
import { z } from "zod";

/**
 * Keys of the two Uptane repositories as TUF keys: the image repository's and both roots' offline
 * Ed25519 keys (files on their holders' machines), and the director's ECDSA P-256 key (in KMS; only its
 * public half appears here). Key ids are TUF's: the SHA-256 of the public key's canonical JSON.
 */

export const KEY_TYPE = { Ed25519: "ed25519", Ecdsa: "ecdsa" } as const;
export const KEY_SCHEME = { Ed25519: "ed25519", EcdsaP256: "ecdsa-sha2-nistp256" } as const;

/** Where a director key lives in KMS, recorded next to its public key in the director root. */
export const KMS_KEY_FIELD = "x-fleetota-kms-key-id";

/** An offline key file (`fleetota keys`): the TUF public key plus the PKCS#8 private key. Mode 0600. */
export const offlineKeyFileSchema = z.object({
  name: z.string().min(1),
  keyid: z.string().regex(/^[0-9a-f]{64}$/),
  keytype: z.literal(KEY_TYPE.Ed25519),
  scheme: z.literal(KEY_SCHEME.Ed25519),
  keyval: z.object({ public: z.string().regex(/^[0-9a-f]{64}$/) }),
  private: z.string().includes("PRIVATE KEY").optional(),
});
export type OfflineKeyFile = z.infer<typeof offlineKeyFileSchema>;
export type PublicKeyFile = Omit<OfflineKeyFile, "private">;

export class KeyFileError extends Error {
  override readonly name = "KeyFileError";
}

/**
 * A key id as error messages show it (its first 8 hex digits).
 *
 * @example
 * shortKeyId("3f9c0a1b…"); // "3f9c0a1b"
 */
export const shortKeyId = (keyid: string): string => keyid.slice(0, 8);

/**
 * Each key once, by key id (a key file given twice is one signer), first occurrence kept.
 *
 * @example
 * distinctKeys([alice, alice, bob]); // [alice, bob]
 */
export function distinctKeys<T extends { keyid: string }>(keys: readonly T[]): T[] {
  return [...new Map(keys.map((key) => [key.keyid, key])).values()];
}

/**
 * TUF key id of a public key: SHA-256 (hex) of its canonical JSON.
 *
 * @example
 * tufKeyId({ keytype: "ed25519", scheme: "ed25519", keyval: { public: "ab12…" } }) // "3f9c…" (64 hex)
 */
export function tufKeyId(key: { keytype: string; scheme: string; keyval: Record<string, string> }): string {
  return createHash("sha256").update(canonicalize({ keytype: key.keytype, scheme: key.scheme, keyval: key.keyval })).digest("hex");
}

const PEM_HEADER = "-----BEGIN PUBLIC KEY-----";
/** ECDSA schemes TUF defines: the curve (Node and JWK names) a hex point lies on. */
const ECDSA_CURVES: Readonly<Record<string, { node: string; jwk: string }>> = {
  "ecdsa-sha2-nistp256": { node: "prime256v1", jwk: "P-256" },
  "ecdsa-sha2-nistp384": { node: "secp384r1", jwk: "P-384" },
};

/**
 * A TUF key entry's public key as Node's crypto reads it (undefined when it cannot): PEM text whatever the key
 * type says; otherwise hex (any case; an odd last digit dropped, as Buffer decodes it) of a raw Ed25519 key
 * (key type `ed25519`, any scheme string) or of a point (compressed or not) on the curve an ECDSA scheme names.
 * Reads every text @tufjs/models verifies signatures with (it takes the same PEM and hex forms) and may read
 * more: a key no signature verifies with is never counted anyway, while one read more strictly than tuf-js
 * reads it could be counted under two identities.
 *
 * @example
 * readPublicKey({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: "ab12…" } })?.asymmetricKeyType // "ed25519"
 */
export function readPublicKey(key: { keyType: string; scheme: string; keyVal: Record<string, string> }): KeyObject | undefined {
  const text = key.keyVal.public ?? "";
  try {
    if (text.startsWith(PEM_HEADER)) return createPublicKey(text);
    if (!/^[0-9a-f]+$/i.test(text)) return undefined;
    const bytes = Buffer.from(text, "hex");
    if (key.keyType === KEY_TYPE.Ed25519) {
      return bytes.length === 32 ? createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: bytes.toString("base64url") }, format: "jwk" }) : undefined;
    }
    const curve = ECDSA_CURVES[key.scheme];
    if (curve === undefined || !key.keyType.startsWith(KEY_TYPE.Ecdsa)) return undefined;
    const point = ECDH.convertKey(bytes, curve.node, undefined, undefined, "uncompressed") as Buffer;
    const half = (point.length - 1) / 2;
    const [x, y] = [point.subarray(1, 1 + half), point.subarray(1 + half)].map((part) => part.toString("base64url"));
    return createPublicKey({ key: { kty: "EC", crv: curve.jwk, x, y }, format: "jwk" });
  } catch {
    return undefined;
  }
}

/**
 * Why an Ed25519 public key is one nobody may trust (undefined when it is a sound key): an encoding that is not
 * canonical (y ≥ p, x = 0 with the sign bit set, not on the curve), a small-order point (the identity and the
 * other 7: Node/OpenSSL verify RFC 8032 cofactorless and accept e.g. R = identity, S = 0 over any message for
 * the identity key, so anyone makes its signatures, and each encoding would count as another holder) or a point
 * with a small-order component (a second "key" for one holder's secret, whose signatures it can grind to verify).
 * Honest keys (a·B) are none of these. Other key types: undefined.
 *
 * @example
 * weakPublicKey(createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: identityPointBase64url }, format: "jwk" })) // "a small-order point…"
 */
export function weakPublicKey(key: KeyObject): string | undefined {
  if (key.asymmetricKeyType !== "ed25519") return undefined;
  const encoded = key.export({ format: "jwk" }).x ?? "";
  const known = weakPointVerdicts.get(encoded);
  if (known !== undefined) return known === SOUND ? undefined : known;
  const verdict = weakPointVerdict(encoded);
  if (weakPointVerdicts.size >= WEAK_POINT_VERDICTS_MAX) weakPointVerdicts.delete(weakPointVerdicts.keys().next().value!);
  weakPointVerdicts.set(encoded, verdict ?? SOUND);
  return verdict;
}

/**
 * The verdicts of `weakPublicKey` by the point's encoding (base64url of its 32 bytes), oldest first. The verdict is a
 * function of those bytes alone, and the torsion check costs a scalar multiplication (1-3 ms): a vehicle checks the
 * same few root keys on every document it verifies, so each is checked once. Bounded, the oldest forgotten first.
 */
const weakPointVerdicts = new Map<string, string>();
const WEAK_POINT_VERDICTS_MAX = 1024;
const SOUND = "";

function weakPointVerdict(encoded: string): string | undefined {
  let point;
  try {
    point = ed25519.Point.fromBytes(Buffer.from(encoded, "base64url"));
  } catch (error) {
    return `not a canonical Ed25519 point (${(error as Error).message})`;
  }
  if (point.isSmallOrder()) return "a small-order Ed25519 point (anyone can make its signatures)";
  if (!point.isTorsionFree()) return "an Ed25519 point with a small-order component";
  return undefined;
}

/**
 * Who holds a public key: the JWK coordinates of `readPublicKey`'s reading, so every encoding of one key that
 * verifies the same signatures (hex of either case, PEM, a compressed point, any Ed25519 scheme string) gives
 * the same answer, and a threshold that counts signers by this counts one key named twice in a root once. A key
 * Node cannot read (whose signatures cannot verify) is identified by its key type, scheme and lower-cased text.
 *
 * @example
 * publicKeyIdentity({ keyType: "ed25519", scheme: "ed25519", keyVal: { public: "ab12…" } }) === publicKeyIdentity({ keyType: "ed25519", scheme: "anything", keyVal: { public: "AB12…" } }) // true
 */
export function publicKeyIdentity(key: { keyType: string; scheme: string; keyVal: Record<string, string> }): string {
  const object = readPublicKey(key);
  if (object !== undefined) {
    const { kty, crv, x, y, n, e } = object.export({ format: "jwk" });
    return JSON.stringify([kty, crv, x, y, n, e]);
  }
  return JSON.stringify([key.keyType, key.scheme, (key.keyVal.public ?? "").toLowerCase()]);
}

/**
 * A fresh offline Ed25519 key.
 *
 * @example
 * const alice = generateOfflineKey("alice"); // write with writeKeyFile, share publicPart(alice)
 */
export function generateOfflineKey(name: string): OfflineKeyFile {
  const { privateKey, publicKey } = generateKeyPairSync("ed25519");
  const raw = publicKey.export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
  const keyval = { public: raw };
  return {
    name,
    keyid: tufKeyId({ keytype: KEY_TYPE.Ed25519, scheme: KEY_SCHEME.Ed25519, keyval }),
    keytype: KEY_TYPE.Ed25519,
    scheme: KEY_SCHEME.Ed25519,
    keyval,
    private: privateKey.export({ format: "pem", type: "pkcs8" }).toString(),
  };
}

/** The shareable half of a key file. */
export function publicPart(file: PublicKeyFile): PublicKeyFile {
  return { name: file.name, keyid: file.keyid, keytype: file.keytype, scheme: file.scheme, keyval: { ...file.keyval } };
}

/**
 * Parses a key file's text; checks that the key id is the public key's and that the private key
 * (when present) belongs to it.
 *
 * @example
 * import { readFileSync } from "node:fs";
 * const key = parseKeyFile(readFileSync("alice.key", "utf8"), "alice.key");
 */
export function parseKeyFile(text: string, where: string): OfflineKeyFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new KeyFileError(`${where}: not a FleetOTA key file (not JSON)`);
  }
  const parsed = offlineKeyFileSchema.safeParse(json);
  if (!parsed.success) throw new KeyFileError(`${where}: not a FleetOTA key file (${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message})`);
  const file = parsed.data;
  if (tufKeyId(file) !== file.keyid) throw new KeyFileError(`${where}: key id does not match the public key`);
  const read = readPublicKey({ keyType: file.keytype, scheme: file.scheme, keyVal: file.keyval });
  const weak = read === undefined ? "not readable" : weakPublicKey(read);
  if (weak !== undefined) throw new KeyFileError(`${where}: refused public key: ${weak}`);
  if (file.private !== undefined) {
    let derived: string;
    try {
      derived = createPublicKey(createPrivateKey(file.private)).export({ format: "der", type: "spki" }).subarray(-32).toString("hex");
    } catch (error) {
      throw new KeyFileError(`${where}: unreadable private key (${(error as Error).message})`);
    }
    if (derived !== file.keyval.public) throw new KeyFileError(`${where}: private key does not belong to the public key`);
  }
  return file;
}

/** The TUF `Key` of a key file. */
export function tufKey(file: PublicKeyFile): Key {
  return new Key({ keyID: file.keyid, keyType: file.keytype, scheme: file.scheme, keyVal: { ...file.keyval } });
}

/**
 * The TUF key of an ECDSA P-256 public key given as SPKI DER (what KMS GetPublicKey returns).
 *
 * @example
 * const director = ecdsaKeyFromSpki(response.PublicKey!, response.KeyId!);
 */
export function ecdsaKeyFromSpki(der: Uint8Array, kmsKeyId?: string): Key {
  const pem = createPublicKey({ key: Buffer.from(der), format: "der", type: "spki" }).export({ format: "pem", type: "spki" }).toString();
  const keyval = { public: pem };
  return new Key({
    keyID: tufKeyId({ keytype: KEY_TYPE.Ecdsa, scheme: KEY_SCHEME.EcdsaP256, keyval }),
    keyType: KEY_TYPE.Ecdsa,
    scheme: KEY_SCHEME.EcdsaP256,
    keyVal: keyval,
    unrecognizedFields: kmsKeyId === undefined ? {} : { [KMS_KEY_FIELD]: kmsKeyId },
  });
}

/** The bytes a TUF signature covers: the canonical JSON of `signed`. */
export function signedBytes(metadata: Metadata<Root | Targets>): Buffer {
  return Buffer.from(canonicalize(metadata.signed.toJSON()));
}

/**
 * Adds an offline key's signature to metadata (replacing an earlier one by the same key).
 *
 * @example
 * signWithKeyFile(targets, alice); targets.signatures[alice.keyid] // Signature
 */
export function signWithKeyFile(metadata: Metadata<Root | Targets>, file: OfflineKeyFile): void {
  if (file.private === undefined) throw new KeyFileError(`key ${file.name} (${file.keyid.slice(0, 8)}) has no private part`);
  const sig = signBytes(null, signedBytes(metadata), createPrivateKey(file.private)).toString("hex");
  metadata.signatures[file.keyid] = new Signature({ keyID: file.keyid, sig });
}
