import { GetPublicKeyCommand, SignCommand, type KMSClient } from "@aws-sdk/client-kms";
import { Signature, type Key, type Metadata, type Targets } from "@tufjs/models";
import { ecdsaKeyFromSpki, signedBytes } from "./keys.js";

/**
 * The director's online key: an AWS KMS asymmetric key (ECC_NIST_P256, ECDSA_SHA_256). The private key
 * never leaves KMS; the update manager may only ask it to sign. One Sign request per document; the
 * public key is read once per key and container.
 */

/** KMS signs at most 4,096 bytes of RAW message (moto ignores MessageType DIGEST, so RAW it is). */
export const KMS_RAW_MESSAGE_LIMIT = 4096;

export class DirectorMetadataTooLargeError extends Error {
  override readonly name = "DirectorMetadataTooLargeError";
  constructor(readonly bytes: number) {
    super(`director metadata is ${bytes} bytes; KMS signs at most ${KMS_RAW_MESSAGE_LIMIT} bytes of raw message`);
  }
}

export class DirectorKeyError extends Error {
  override readonly name = "DirectorKeyError";
}

export interface DirectorSigner {
  /** The TUF key (with its KMS key id) whose signatures this signer makes. */
  key(): Promise<Key>;
  sign(metadata: Metadata<Targets>): Promise<void>;
  /** KMS requests made so far, by operation. */
  readonly requests: { Sign: number; GetPublicKey: number };
}

/**
 * Signs director targets metadata with a KMS key.
 *
 * @example
 * const signer = kmsDirectorSigner(kms, "arn:aws:kms:eu-west-1:123456789012:key/…");
 * await signer.sign(directorTargets); // adds the ECDSA signature under the key's TUF key id
 */
export function kmsDirectorSigner(kms: KMSClient, kmsKeyId: string): DirectorSigner {
  const requests = { Sign: 0, GetPublicKey: 0 };
  let key: Promise<Key> | undefined;
  function publicKey(): Promise<Key> {
    key ??= (async () => {
      requests.GetPublicKey++;
      const response = await kms.send(new GetPublicKeyCommand({ KeyId: kmsKeyId }));
      // moto answers with the deprecated CustomerMasterKeySpec only, and a bare key id where AWS gives the ARN.
      const spec = response.KeySpec ?? response.CustomerMasterKeySpec;
      if (spec !== "ECC_NIST_P256" || response.KeyUsage !== "SIGN_VERIFY" || !response.PublicKey) {
        throw new DirectorKeyError(`KMS key ${kmsKeyId} is ${spec ?? "unknown"}/${response.KeyUsage ?? "unknown"}, not an ECC_NIST_P256 signing key`);
      }
      return ecdsaKeyFromSpki(response.PublicKey, kmsKeyId.startsWith("arn:") ? kmsKeyId : (response.KeyId ?? kmsKeyId));
    })().catch((error: unknown) => {
      key = undefined;
      throw error;
    });
    return key;
  }
  return {
    key: publicKey,
    requests,
    async sign(metadata) {
      const tufKey = await publicKey();
      const message = signedBytes(metadata);
      if (message.byteLength > KMS_RAW_MESSAGE_LIMIT) throw new DirectorMetadataTooLargeError(message.byteLength);
      requests.Sign++;
      const response = await kms.send(new SignCommand({ KeyId: kmsKeyId, Message: message, MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256" }));
      if (!response.Signature) throw new DirectorKeyError(`KMS returned no signature for ${kmsKeyId}`);
      metadata.signatures[tufKey.keyID] = new Signature({ keyID: tufKey.keyID, sig: Buffer.from(response.Signature).toString("hex") });
    },
  };
}
