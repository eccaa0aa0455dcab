import { createHash } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Metadata, Root, Targets } from "@tufjs/models";
import { signWithKeyFile, type OfflineKeyFile } from "./keys.js";
import { findReleaseTarget, imageTargetName, nextImageTargets, REPOSITORY_LAYOUT, ROLE, signatureProgress, targetsFromJson, type ImageCustom } from "./metadata.js";
import { publishOnce, readJson, readObject, readPublished } from "./repository-store.js";

/**
 * The image repository's release flow with offline keys: `stageRelease` builds the next targets version
 * with one new image and the first signature; `signStagedRelease` adds another; whichever signature meets
 * the threshold publishes the image (content-addressed) and the targets version, each written once.
 */

export class ReleaseError extends Error {
  override readonly name = "ReleaseError";
}

export interface ReleaseStatus {
  version: string;
  targetsVersion: number;
  targetName: string;
  sha256: string;
  length: number;
  signedBy: string[];
  threshold: number;
  published: boolean;
  imageKey: string;
}

export interface StageReleaseInput {
  image: Uint8Array;
  custom: ImageCustom;
  expires: Date;
  key: OfflineKeyFile;
  now?: Date;
}

async function newestRoot(s3: S3Client, bucket: string): Promise<{ root: Metadata<Root>; targets?: Metadata<Targets> }> {
  const published = await readPublished(s3, bucket);
  const root = published.imageRoots[published.imageRoots.length - 1];
  if (!root) throw new ReleaseError("the image repository has no root yet; run `fleetota keys ceremony` first");
  return { root, targets: published.imageTargets };
}

function requireTargetsKey(root: Metadata<Root>, key: OfflineKeyFile): void {
  if (!root.signed.roles[ROLE.Targets]?.keyIDs.includes(key.keyid)) {
    throw new ReleaseError(`key ${key.name} (${key.keyid.slice(0, 8)}) is not a release key of image root ${root.signed.version}`);
  }
}

function status(root: Metadata<Root>, targets: Metadata<Targets>, version: string, published: boolean): ReleaseStatus {
  const release = findReleaseTarget(targets, version)!;
  const progress = signatureProgress(root, ROLE.Targets, targets);
  return {
    version,
    targetsVersion: targets.signed.version,
    targetName: release.name,
    sha256: release.sha256,
    length: release.length,
    signedBy: progress.signed,
    threshold: progress.threshold,
    published,
    imageKey: REPOSITORY_LAYOUT.image(release.sha256),
  };
}

async function publishIfComplete(s3: S3Client, bucket: string, root: Metadata<Root>, targets: Metadata<Targets>, version: string, now: Date): Promise<ReleaseStatus> {
  const current = status(root, targets, version, false);
  if (current.signedBy.length < current.threshold) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(targets.signed.version), Body: JSON.stringify(targets.toJSON()), ContentType: "application/json" }));
    return current;
  }
  const staged = await readObject(s3, bucket, REPOSITORY_LAYOUT.stagedImage(current.sha256));
  if (!staged || createHash("sha256").update(staged).digest("hex") !== current.sha256) throw new ReleaseError(`the staged image of ${version} is missing or altered; stage the release again`);
  try {
    await publishOnce(s3, bucket, current.imageKey, staged, "application/octet-stream", now);
  } catch (error) {
    if ((error as Error).name !== "AlreadyPublishedError") throw error; // the same bytes (content-addressed) already there
  }
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.imageTargets(targets.signed.version), JSON.stringify(targets.toJSON()), "application/json", now);
  for (const key of [REPOSITORY_LAYOUT.stagedTargets(targets.signed.version), REPOSITORY_LAYOUT.stagedImage(current.sha256)]) {
    await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: key }));
  }
  return { ...current, published: true };
}

/**
 * Stages a release: the next image targets version (every published target plus this image), signed
 * with one release key; published at once only if that key alone meets the threshold.
 *
 * @example
 * const staged = await stageRelease(s3, bucket, { image, custom: { version: "2.4.0", ecu: "primary", hardwareIds: ["hu-3"], antiRollbackCounter: 7 }, expires, key: alice });
 * staged.signedBy.length // 1 (of staged.threshold)
 */
export async function stageRelease(s3: S3Client, bucket: string, input: StageReleaseInput): Promise<ReleaseStatus> {
  const now = input.now ?? new Date();
  const { root, targets } = await newestRoot(s3, bucket);
  requireTargetsKey(root, input.key);
  if (targets && findReleaseTarget(targets, input.custom.version, input.custom.ecu)) {
    throw new ReleaseError(`release ${input.custom.version} for ${input.custom.ecu} is already published and is never replaced; release a new version`);
  }
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  const waiting = await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion));
  if (waiting !== undefined) {
    const other = Object.values(targetsFromJson(waiting).signed.targets).find((file) => !targets?.signed.targets[file.path]);
    throw new ReleaseError(`${other?.path ?? "another release"} is waiting for signatures as targets ${nextVersion}; sign it (\`fleetota release sign\`) or drop it (\`fleetota release drop\`) first`);
  }
  const sha256 = createHash("sha256").update(input.image).digest("hex");
  const next = nextImageTargets(targets, { name: imageTargetName(input.custom.ecu, input.custom.version), length: input.image.byteLength, sha256, custom: input.custom }, input.expires);
  signWithKeyFile(next, input.key);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedImage(sha256), Body: input.image, ContentType: "application/octet-stream" }));
  return publishIfComplete(s3, bucket, root, next, input.custom.version, now);
}

/**
 * Adds one release key's signature to the staged release of `version`; publishes when the threshold is met.
 * With `image`, the signer's own copy of the image must match what was staged.
 *
 * @example
 * const result = await signStagedRelease(s3, bucket, { version: "2.4.0", key: bob });
 * result.published // true with 2 of 3
 */
export async function signStagedRelease(s3: S3Client, bucket: string, input: { version: string; key: OfflineKeyFile; image?: Uint8Array; now?: Date }): Promise<ReleaseStatus> {
  const { root, targets } = await newestRoot(s3, bucket);
  requireTargetsKey(root, input.key);
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  const waiting = await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion));
  const staged = waiting === undefined ? undefined : targetsFromJson(waiting);
  const release = staged ? findReleaseTarget(staged, input.version) : undefined;
  if (!staged || !release || targets?.signed.targets[release.name]) {
    throw new ReleaseError(`no release ${input.version} is waiting for signatures (stage it with \`fleetota release\`)`);
  }
  if (input.image && (input.image.byteLength !== release.length || createHash("sha256").update(input.image).digest("hex") !== release.sha256)) {
    throw new ReleaseError(`your image of ${input.version} is not the one staged (sha256 ${release.sha256.slice(0, 16)}…, ${release.length} bytes); not signing`);
  }
  signWithKeyFile(staged, input.key);
  return publishIfComplete(s3, bucket, root, staged, input.version, input.now ?? new Date());
}

/** Drops the release waiting for signatures (nothing published changes). */
export async function dropStagedRelease(s3: S3Client, bucket: string): Promise<number | undefined> {
  const { targets } = await newestRoot(s3, bucket);
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  if ((await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion))) === undefined) return undefined;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(nextVersion) }));
  return nextVersion;
}
