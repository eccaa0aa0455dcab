import type { S3Client } from "@aws-sdk/client-s3";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { Key, Metadata, Root } from "@tufjs/models";
import { distinctKeys, shortKeyId, signWithKeyFile, tufKey, type OfflineKeyFile } from "./keys.js";
import { kmsDirectorSigner } from "./kms-director.js";
import { buildRoot, REPOSITORY_LAYOUT, ROLE } from "./metadata.js";
import { publishOnce, readChain } from "./repository-store.js";
import { rootFromJson } from "./metadata.js";

/**
 * The key ceremony: the image repository's root (root keys, release keys and their threshold) and the
 * director's root (root keys, the KMS key as targets key), each signed by all its root keys and
 * published once. A vehicle is provisioned with both version-1 roots. Rotations publish the next root,
 * signed by a threshold of the old root's keys and of the new one's.
 */

export class CeremonyError extends Error {
  override readonly name = "CeremonyError";
}

export interface CeremonyInput {
  imageRootKeys: OfflineKeyFile[];
  imageRootThreshold: number;
  releaseKeys: OfflineKeyFile[];
  releaseThreshold: number;
  directorRootKeys: OfflineKeyFile[];
  directorRootThreshold: number;
  /** The director's KMS key (ARN or id). */
  directorKmsKeyId: string;
  /** How long the roots stay valid (a vehicle refuses an expired root). */
  rootLifetimeDays: number;
  now?: Date;
}

export interface CeremonyResult {
  imageRoot: Metadata<Root>;
  directorRoot: Metadata<Root>;
}

const DAY_MS = 86_400_000;

/**
 * Builds, signs and publishes both version-1 roots.
 *
 * @example
 * const { imageRoot, directorRoot } = await runCeremony(s3, kms, bucket, { imageRootKeys, imageRootThreshold: 2, releaseKeys, releaseThreshold: 2,
 *   directorRootKeys, directorRootThreshold: 2, directorKmsKeyId, rootLifetimeDays: 365 });
 */
export async function runCeremony(s3: S3Client, kms: KMSClient, bucket: string, input: CeremonyInput): Promise<CeremonyResult> {
  const now = input.now ?? new Date();
  const expires = new Date(now.getTime() + input.rootLifetimeDays * DAY_MS);
  const existing = await readChain(s3, bucket, REPOSITORY_LAYOUT.imageRoot);
  if (existing.length > 0) throw new CeremonyError("the image repository already has a root; rotate it instead of a second ceremony");
  const imageRoot = buildRoot({
    version: 1,
    expires,
    rootKeys: input.imageRootKeys.map(tufKey),
    rootThreshold: input.imageRootThreshold,
    targetsKeys: input.releaseKeys.map(tufKey),
    targetsThreshold: input.releaseThreshold,
  });
  for (const key of input.imageRootKeys) signWithKeyFile(imageRoot, key);
  const directorKey = await kmsDirectorSigner(kms, input.directorKmsKeyId).key();
  const directorRoot = buildRoot({
    version: 1,
    expires,
    rootKeys: input.directorRootKeys.map(tufKey),
    rootThreshold: input.directorRootThreshold,
    targetsKeys: [directorKey],
    targetsThreshold: 1,
  });
  for (const key of input.directorRootKeys) signWithKeyFile(directorRoot, key);
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.imageRoot(1), JSON.stringify(imageRoot.toJSON()), "application/json");
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.directorRoot(1), JSON.stringify(directorRoot.toJSON()), "application/json");
  return { imageRoot, directorRoot };
}

/** What a director-key rotation is given besides the new KMS key. */
export interface DirectorRotationInput {
  /** Director-root key files of the current root, a threshold of them (each signs). */
  rootKeys: OfflineKeyFile[];
  /** How long the new root stays valid. */
  rootLifetimeDays: number;
  now?: Date;
}

/**
 * Director root n+1 of `current`: the same root keys and threshold, `directorKey` as the only targets key, a new
 * expiry, signed by the root keys given. Pure. Refused (CeremonyError) when a key file given is not a director-root
 * key of the current root (named: a release or image-root key, a stranger's, a stale file), when fewer distinct keys
 * than the threshold are given, or for a lifetime that is not a positive number of days.
 *
 * @example
 * const next = planDirectorRotation(current, await kmsDirectorSigner(kms, newKeyArn).key(), { rootKeys: [dr1, dr2], rootLifetimeDays: 365 });
 */
export function planDirectorRotation(current: Metadata<Root>, directorKey: Key, input: DirectorRotationInput): Metadata<Root> {
  const version = current.signed.version;
  const rootRole = current.signed.roles[ROLE.Root]!;
  for (const key of input.rootKeys) {
    if (!rootRole.keyIDs.includes(key.keyid)) throw new CeremonyError(`key ${key.name} (${shortKeyId(key.keyid)}) is not a director-root key of director root ${version}`);
  }
  if (!Number.isFinite(input.rootLifetimeDays) || input.rootLifetimeDays <= 0) {
    throw new CeremonyError(`the root lifetime must be a positive number of days, not ${input.rootLifetimeDays}`);
  }
  // Each key once (a key file given twice is one signer; key files' ids are checked to be their keys' hashes).
  const signing = distinctKeys(input.rootKeys);
  if (signing.length < rootRole.threshold) {
    throw new CeremonyError(`rotating needs ${rootRole.threshold} of the director root keys; ${signing.length} distinct given`);
  }
  const now = input.now ?? new Date();
  const next = buildRoot({
    version: version + 1,
    expires: new Date(now.getTime() + input.rootLifetimeDays * DAY_MS),
    rootKeys: rootRole.keyIDs.map((id) => current.signed.keys[id]!),
    rootThreshold: rootRole.threshold,
    targetsKeys: [directorKey],
    targetsThreshold: 1,
  });
  for (const key of signing) signWithKeyFile(next, key);
  return next;
}

/**
 * Director-key rotation: the next director root (planDirectorRotation) names a new KMS key as the only targets key,
 * signed by the director root keys given (a threshold of them), published once. From then on the update manager
 * signs with the new key, and vehicles that took the new root refuse the old one's signatures.
 *
 * @example
 * const root = await rotateDirectorKey(s3, kms, bucket, { kmsKeyId: newKeyArn, rootKeys: [dr1, dr2], rootLifetimeDays: 365 });
 */
export async function rotateDirectorKey(s3: S3Client, kms: KMSClient, bucket: string, input: DirectorRotationInput & { kmsKeyId: string }): Promise<Metadata<Root>> {
  const chain = await readChain(s3, bucket, REPOSITORY_LAYOUT.directorRoot);
  const current = chain.length === 0 ? undefined : rootFromJson(chain[chain.length - 1]);
  if (!current) throw new CeremonyError("no director root is published; run the key ceremony first");
  const now = input.now ?? new Date();
  const next = planDirectorRotation(current, await kmsDirectorSigner(kms, input.kmsKeyId).key(), { ...input, now });
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.directorRoot(next.signed.version), JSON.stringify(next.toJSON()), "application/json");
  return next;
}
