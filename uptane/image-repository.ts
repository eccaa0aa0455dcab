import { createHash } from "node:crypto";
import { DeleteObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import { canonicalize } from "@tufjs/canonical-json"; // the canonical JSON @tufjs/models signs and verifies over
import { Metadata, Targets, type Root, type TargetFile } from "@tufjs/models";
import { shortKeyId, signWithKeyFile, type OfflineKeyFile } from "./keys.js";
import { findReleaseTarget, imageTargetName, nextImageTargets, REPOSITORY_LAYOUT, ROLE, SPEC_VERSION, targetsFromJson, tufDate, type ImageCustom } from "./metadata.js";
import { AlreadyPublishedError, publishOnce, readJson, readObject, readPublished } from "./repository-store.js";
import { refreshAllowedByRoot } from "./image-root-rotation.js";
import { checkRoleSignatures, REFUSAL, verifyPublishedTargets } from "./vehicle-verification.js";

/**
 * The image repository's release flow with offline keys: `stageRelease` builds the next targets version
 * with one new image and the first signature; `signStagedRelease` adds another; whichever signature meets
 * the threshold publishes the image (content-addressed) and the targets version, each written once.
 * Only signatures that verify count (the staged file is writable by anyone who writes firmware/staged/):
 * the others are reported in `ignored` and dropped from the staged file. A later signer refuses a staged release
 * whose release-key signatures do not all verify, that no other release key signed, or whose release target is
 * not exactly the image and facts the signer checked (`signStagedRelease`).
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
  /** What the release target says the image is for (what each signer checked and states). */
  ecu: string;
  hardwareIds: string[];
  antiRollbackCounter: number;
  /** Release keys whose signature verifies over the staged targets. */
  signedBy: string[];
  threshold: number;
  /** Signatures that did not count, each with its key id and why ("key 1a2b3c4d…: …"); dropped from the file. */
  ignored: string[];
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

async function newestRoot(s3: S3Client, bucket: string): Promise<{ root: Metadata<Root>; chain: unknown[]; targets?: Metadata<Targets> }> {
  const published = await readPublished(s3, bucket);
  const root = published.imageRoots[published.imageRoots.length - 1];
  if (!root) throw new ReleaseError("the image repository has no root yet; run `fleetota keys ceremony` first");
  return { root, chain: published.imageRoots.map((each) => each.toJSON()), targets: published.imageTargets };
}

/**
 * Counts the signatures of staged targets that verify by the root's release keys (`checkRoleSignatures`,
 * the vehicles' own check) and drops the others from `targets`, saying which and why.
 */
function countSignatures(root: Metadata<Root>, targets: Metadata<Targets>): { signedBy: string[]; threshold: number; ignored: string[] } {
  const { valid, ignored, threshold } = checkRoleSignatures(root, ROLE.Targets, targets);
  for (const each of ignored) delete targets.signatures[each.keyID];
  return { signedBy: valid, threshold, ignored: ignored.map((each) => `key ${each.keyID.slice(0, 8)}…: ${each.reason}; ignored`) };
}

/**
 * Published targets that a release builds on, a signer signs again with a staged release, or a refresh re-signs:
 * they must verify under the newest image root (expired or not), or be the ones that root names for a refresh
 * after a release-key rotation (then true). Nobody signs again what the release keys never signed (the
 * next version number under firmware/metadata/ is writable by whoever may publish there).
 */
function requireSignedTargets(chain: unknown[], targets: Metadata<Targets>, now: Date, doing: string): boolean {
  const refusal = verifyPublishedTargets(chain, targets.toJSON(), now, { targetsMayBeExpired: true });
  if (!refusal) return false;
  if (refreshAllowedByRoot(chain, targets, now)) return true;
  throw new ReleaseError(`published image targets ${targets.signed.version} do not verify (${refusal.kind}: ${refusal.message}); ${doing}`);
}

function requireTargetsKey(root: Metadata<Root>, key: OfflineKeyFile): void {
  if (!root.signed.roles[ROLE.Targets]?.keyIDs.includes(key.keyid)) {
    throw new ReleaseError(`key ${key.name} (${key.keyid.slice(0, 8)}) is not a release key of image root ${root.signed.version}`);
  }
}

function status(root: Metadata<Root>, targets: Metadata<Targets>, version: string, published: boolean): ReleaseStatus {
  const release = findReleaseTarget(targets, version)!;
  const progress = countSignatures(root, targets);
  return {
    version,
    targetsVersion: targets.signed.version,
    targetName: release.name,
    sha256: release.sha256,
    length: release.length,
    ecu: release.custom.ecu,
    hardwareIds: release.custom.hardwareIds,
    antiRollbackCounter: release.custom.antiRollbackCounter,
    signedBy: progress.signedBy,
    threshold: progress.threshold,
    ignored: progress.ignored,
    published,
    imageKey: REPOSITORY_LAYOUT.image(release.sha256),
  };
}

/**
 * Writes the image under its content address once. The key may already hold it (an earlier release of the same
 * bytes, or a re-run after a publish cut short): fine when what a GET serves there is these very bytes. Anything
 * else (another object created there first, e.g. by a writer of `firmware/`) is refused with the key and the
 * digests: targets naming that key would send every vehicle bytes it refuses (`CORRUPT_IMAGE`).
 */
async function publishImageOnce(s3: S3Client, bucket: string, release: ReleaseStatus, image: Buffer): Promise<void> {
  try {
    await publishOnce(s3, bucket, release.imageKey, image, "application/octet-stream");
    return;
  } catch (error) {
    if (!(error instanceof AlreadyPublishedError)) throw error;
  }
  const served = await readObject(s3, bucket, release.imageKey);
  const servedSha256 = served === undefined ? undefined : createHash("sha256").update(served).digest("hex");
  if (servedSha256 === release.sha256 && served!.byteLength === release.length) return;
  const what = served === undefined ? "nothing a GET can read" : `other bytes (sha256 ${servedSha256!.slice(0, 16)}…, ${served.byteLength} bytes)`;
  throw new ReleaseError(
    `${release.imageKey} already exists and serves ${what}, not the image of ${release.version} (sha256 ${release.sha256.slice(0, 16)}…, ${release.length} bytes); ` +
      `not publishing targets ${release.targetsVersion} (vehicles would refuse it). Published keys are never overwritten: an administrator deletes that object version, then runs the last \`fleetota release\` or \`release sign\` again`,
  );
}

async function publishIfComplete(s3: S3Client, bucket: string, repository: { root: Metadata<Root>; chain: unknown[] }, targets: Metadata<Targets>, version: string, now: Date): Promise<ReleaseStatus> {
  const current = status(repository.root, targets, version, false);
  if (current.signedBy.length < current.threshold) {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(targets.signed.version), Body: JSON.stringify(targets.toJSON()), ContentType: "application/json" }));
    return current;
  }
  // What the update manager and vehicles will check (root chain, threshold, expiry): never publish what they refuse.
  const refusal = verifyPublishedTargets(repository.chain, targets.toJSON(), now);
  if (refusal) throw new ReleaseError(`staged targets ${targets.signed.version} of ${version} do not verify (${refusal.kind}: ${refusal.message}); not publishing (drop it with \`fleetota release drop\` and release again)`);
  const staged = await readObject(s3, bucket, REPOSITORY_LAYOUT.stagedImage(current.sha256));
  if (!staged || createHash("sha256").update(staged).digest("hex") !== current.sha256) throw new ReleaseError(`the staged image of ${version} is missing or altered; stage the release again`);
  await publishImageOnce(s3, bucket, current, staged);
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.imageTargets(targets.signed.version), JSON.stringify(targets.toJSON()), "application/json");
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
  const { root, chain, targets } = await newestRoot(s3, bucket);
  requireTargetsKey(root, input.key);
  if (targets) requireSignedTargets(chain, targets, now, "not building a release on them");
  if (targets && findReleaseTarget(targets, input.custom.version, input.custom.ecu)) {
    throw new ReleaseError(`release ${input.custom.version} for ${input.custom.ecu} is already published and is never replaced; release a new version`);
  }
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  const waiting = await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion));
  if (waiting !== undefined) {
    const other = Object.values(targetsFromJson(waiting).signed.targets).find((file) => !targets?.signed.targets[file.path]);
    if (!other) throw new ReleaseError(`a refresh of the image targets is waiting for signatures as targets ${nextVersion}; complete it (\`fleetota release refresh\`) or drop it (\`fleetota release drop\`) first`);
    throw new ReleaseError(`${other.path} is waiting for signatures as targets ${nextVersion}; sign it (\`fleetota release sign\`) or drop it (\`fleetota release drop\`) first`);
  }
  const sha256 = createHash("sha256").update(input.image).digest("hex");
  const next = nextImageTargets(targets, { name: imageTargetName(input.custom.ecu, input.custom.version), length: input.image.byteLength, sha256, custom: input.custom }, input.expires);
  signWithKeyFile(next, input.key);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedImage(sha256), Body: input.image, ContentType: "application/octet-stream" }));
  return publishIfComplete(s3, bucket, { root, chain }, next, input.custom.version, now);
}

/**
 * What a later signer checked themselves before signing a staged release: their own copy of the image and the
 * release facts they agreed to (the staged target must carry exactly these, or nothing is signed).
 */
export interface ReleaseAttestation {
  image: Uint8Array;
  ecu: string;
  hardwareIds: string[];
  antiRollbackCounter: number;
}

export interface SignStagedReleaseInput {
  version: string;
  key: OfflineKeyFile;
  checked: ReleaseAttestation;
  now?: Date;
}

/** How the staged release target differs from what the signer checked (empty: the same). */
function targetDifferences(staged: TargetFile, expected: TargetFile): string[] {
  const describe = (file: TargetFile) => {
    const json = file.toJSON() as { custom?: { hardwareIds?: unknown } };
    const hardwareIds = Array.isArray(json.custom?.hardwareIds) ? [...new Set(json.custom.hardwareIds.map(String))].sort() : json.custom?.hardwareIds;
    return { json, custom: { ...(json.custom ?? {}), hardwareIds } as Record<string, unknown> };
  };
  const a = describe(staged);
  const b = describe(expected);
  const show = (value: unknown) => JSON.stringify(value) ?? "nothing";
  const differences: string[] = [];
  const field = (name: string, theirs: unknown, yours: unknown) => {
    if (show(theirs) !== show(yours)) differences.push(`${name} ${show(theirs)} (yours: ${show(yours)})`);
  };
  field("target name", staged.path, expected.path);
  field("length", staged.length, expected.length);
  field("sha256", staged.hashes.sha256, expected.hashes.sha256);
  for (const name of new Set([...Object.keys(a.custom), ...Object.keys(b.custom)])) field(name, a.custom[name], b.custom[name]);
  if (differences.length === 0 && canonicalize({ ...a.json, custom: a.custom }) !== canonicalize({ ...b.json, custom: b.custom })) {
    differences.push("other fields of the target (hashes or unrecognized fields) you did not state");
  }
  return differences;
}

/**
 * Who else has signed staged targets (a release or a refresh waiting for signatures): a signature by a release key
 * of the root that does not verify means the content changed after that key signed it (a firmware/staged/ writer),
 * and staged targets that no other release key validly signed are not a release or refresh anyone made (a refresh
 * signer's own earlier signature counts: re-running `release refresh` with one key is harmless). Either way the
 * signer refuses, naming the key and why; signatures by keys the root does not name are only dropped (as before,
 * reported in `ignored`).
 */
function requireStagerSignature(root: Metadata<Root>, staged: Metadata<Targets>, signer: OfflineKeyFile, describe: { what: string; redo: string; ownCounts: boolean }): void {
  const releaseKeys = root.signed.roles[ROLE.Targets]?.keyIDs ?? [];
  const { valid, ignored } = checkRoleSignatures(root, ROLE.Targets, staged);
  const broken = ignored.find((each) => releaseKeys.includes(each.keyID) && (each.kind === REFUSAL.BadSignature || each.kind === REFUSAL.Malformed));
  if (broken) {
    throw new ReleaseError(
      `${describe.what} changed after release key ${shortKeyId(broken.keyID)}… signed them (its signature no longer verifies: ${broken.reason}); ` +
        `not signing: drop it with \`fleetota release drop\` and ${describe.redo}`,
    );
  }
  if (!valid.some((keyID) => describe.ownCounts || keyID !== signer.keyid)) {
    const who = describe.ownCounts ? "no release key" : "no other release key";
    throw new ReleaseError(`${who} has signed ${describe.what} (the first signer's run stages and signs them); not signing: drop it with \`fleetota release drop\` and ${describe.redo}`);
  }
}

/**
 * Adds one release key's signature to the staged release of `version`; publishes when the threshold is met.
 * The staged file is writable by firmware/staged/ writers, so the signer signs only what they checked
 * themselves: the staged targets must be the published ones plus this release, the release target exactly
 * the signer's own image (length, SHA-256) with the ECU, hardware ids and anti-rollback counter they state,
 * and every signature by a release key already there must verify, at least one of them by another key.
 *
 * @example
 * const result = await signStagedRelease(s3, bucket, { version: "2.4.0", key: bob, checked: { image, ecu: "primary", hardwareIds: ["hu-3"], antiRollbackCounter: 7 } });
 * result.published // true with 2 of 3
 */
export async function signStagedRelease(s3: S3Client, bucket: string, input: SignStagedReleaseInput): Promise<ReleaseStatus> {
  const { root, chain, targets } = await newestRoot(s3, bucket);
  requireTargetsKey(root, input.key);
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  const waiting = await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion));
  const staged = waiting === undefined ? undefined : targetsFromJson(waiting);
  const release = staged ? findReleaseTarget(staged, input.version) : undefined;
  if (!staged || !release || targets?.signed.targets[release.name]) {
    throw new ReleaseError(`no release ${input.version} is waiting for signatures (stage it with \`fleetota release\`)`);
  }
  const now = input.now ?? new Date();
  if (targets) requireSignedTargets(chain, targets, now, "not signing a release built on them");
  // The staged file is writable by firmware/staged/ writers: it must be the published targets plus this release, nothing else.
  const { [release.name]: _release, ...others } = staged.signed.targets;
  if (!sameTargets(others, targets?.signed.targets ?? {})) {
    const extra = Object.keys(others).find((name) => !targets?.signed.targets[name]) ?? "a changed published target";
    throw new ReleaseError(`the staged targets ${staged.signed.version} carry ${extra} besides the published targets and ${input.version}; not signing (drop it with \`fleetota release drop\` and release again)`);
  }
  requireStagerSignature(root, staged, input.key, { what: `the staged targets ${staged.signed.version} of ${input.version}`, redo: "release again", ownCounts: false });
  const { image, ecu, hardwareIds, antiRollbackCounter } = input.checked;
  const sha256 = createHash("sha256").update(image).digest("hex");
  const expected = nextImageTargets(undefined, { name: imageTargetName(ecu, input.version), length: image.byteLength, sha256, custom: { version: input.version, ecu, hardwareIds, antiRollbackCounter } }, now);
  const differences = targetDifferences(staged.signed.targets[release.name]!, expected.signed.targets[imageTargetName(ecu, input.version)]!);
  if (differences.length > 0) {
    const otherImage = differences.some((line) => line.startsWith("sha256") || line.startsWith("length")) ? `your image of ${input.version} is not the one staged; ` : "";
    throw new ReleaseError(`${otherImage}the staged release ${input.version} is not what you checked: ${differences.join("; ")}; not signing`);
  }
  signWithKeyFile(staged, input.key);
  return publishIfComplete(s3, bucket, { root, chain }, staged, input.version, now);
}

/** Drops the release waiting for signatures (nothing published changes). */
export async function dropStagedRelease(s3: S3Client, bucket: string): Promise<number | undefined> {
  const { targets } = await newestRoot(s3, bucket);
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  if ((await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion))) === undefined) return undefined;
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(nextVersion) }));
  return nextVersion;
}

export interface RefreshStatus {
  /** The targets version the refresh publishes (the published one + 1). */
  targetsVersion: number;
  /** The published version it renews, and that version's expiry. */
  refreshes: number;
  previousExpires: string;
  expires: string;
  /** How many image targets it carries (the same as the published version). */
  images: number;
  signedBy: string[];
  threshold: number;
  /** As for a release: signatures that did not verify, with why; dropped from the staged refresh. */
  ignored: string[];
  published: boolean;
}

/** Two sets of image targets, compared by what a vehicle checks: name, length, hashes, custom. */
function sameTargets(a: Targets["targets"], b: Targets["targets"]): boolean {
  const describe = (targets: Targets["targets"]) => JSON.stringify(Object.keys(targets).sort().map((name) => [name, targets[name]!.toJSON()]));
  return describe(a) === describe(b);
}

/**
 * `release refresh`: the published image targets again, unchanged, as version + 1 with a later expiry,
 * signed by the release keys exactly as a release is (the first signer stages it, each further one adds a
 * signature, the one that meets the threshold publishes it). Refuses when nothing is published, when the
 * published targets do not verify against the image root (nobody re-signs what the keys never signed) unless
 * that root, rotating the release keys, names exactly them for the refresh (`keys rotate-image-root --refresh-targets-next`),
 * when a release waits as the next version, when the new expiry would not move the current one forward,
 * and, to a later signer, a staged refresh whose targets differ from the published ones or whose expiry
 * lies beyond what this signer's `expires` allows.
 *
 * @example
 * const refresh = await refreshImageTargets(s3, bucket, { key: alice, expires: new Date(Date.now() + 30 * 86_400_000) });
 * refresh.published // false: 1 of 2; bob runs the same and publishes it
 */
export async function refreshImageTargets(s3: S3Client, bucket: string, input: { key: OfflineKeyFile; expires: Date; now?: Date }): Promise<RefreshStatus> {
  const now = input.now ?? new Date();
  const { root, chain, targets: current } = await newestRoot(s3, bucket);
  if (!current) throw new ReleaseError("nothing to refresh: the image repository has published no targets yet (publish a release with `fleetota release`)");
  requireTargetsKey(root, input.key);
  // After a rotation that changed the release keys, the new root names the targets its root keys let the new release keys re-sign.
  const afterRotation = requireSignedTargets(chain, current, now, "not re-signing them");
  if (!afterRotation && input.expires.getTime() <= Math.max(now.getTime(), Date.parse(current.signed.expires))) {
    throw new ReleaseError(`nothing to refresh: image targets ${current.signed.version} already expire at ${current.signed.expires}, not before ${tufDate(input.expires)}; pass a longer --expires`);
  }
  const nextVersion = current.signed.version + 1;
  const waiting = await readJson(s3, bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion));
  let next: Metadata<Targets>;
  if (waiting === undefined) {
    next = new Metadata(new Targets({ version: nextVersion, specVersion: SPEC_VERSION, expires: tufDate(input.expires), targets: { ...current.signed.targets } }));
  } else {
    next = targetsFromJson(waiting);
    if (!sameTargets(next.signed.targets, current.signed.targets) || next.signed.version !== nextVersion) {
      const other = Object.keys(next.signed.targets).find((name) => !current.signed.targets[name]);
      throw new ReleaseError(`${other ?? "another release"} is waiting for signatures as targets ${nextVersion}; sign it (\`fleetota release sign\`: publishing it renews the expiry too) or drop it (\`fleetota release drop\`) first`);
    }
    if (Date.parse(next.signed.expires) > input.expires.getTime()) {
      throw new ReleaseError(`the refresh waiting for signatures expires at ${next.signed.expires}, later than your --expires allows (${tufDate(input.expires)}); not signing (drop it with \`fleetota release drop\`, or pass a longer --expires)`);
    }
    // As for \`release sign\`: a broken release-key signature means someone changed it (an expiry of their choosing) after that key signed.
    requireStagerSignature(root, next, input.key, { what: `the staged targets ${nextVersion} of the refresh (expiring ${next.signed.expires})`, redo: "refresh again", ownCounts: true });
  }
  signWithKeyFile(next, input.key);
  const progress = countSignatures(root, next);
  const result = (done: boolean): RefreshStatus => ({
    targetsVersion: nextVersion,
    refreshes: current.signed.version,
    previousExpires: current.signed.expires,
    expires: next.signed.expires,
    images: Object.keys(next.signed.targets).length,
    signedBy: progress.signedBy,
    threshold: progress.threshold,
    ignored: progress.ignored,
    published: done,
  });
  // Published only when a threshold of signatures verifies (not merely by key id: the staged file is writable).
  const unpublishable = verifyPublishedTargets(chain, next.toJSON(), now);
  if (unpublishable !== undefined) {
    if (progress.signedBy.length >= progress.threshold) {
      throw new ReleaseError(`the refresh waiting for signatures does not verify (${unpublishable.kind}: ${unpublishable.message}); drop it (\`fleetota release drop\`) and refresh again`);
    }
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(nextVersion), Body: JSON.stringify(next.toJSON()), ContentType: "application/json" }));
    return result(false);
  }
  await publishOnce(s3, bucket, REPOSITORY_LAYOUT.imageTargets(nextVersion), JSON.stringify(next.toJSON()), "application/json");
  await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedTargets(nextVersion) }));
  return result(true);
}
