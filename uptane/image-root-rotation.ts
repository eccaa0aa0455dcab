import { createHash } from "node:crypto";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Key, Metadata, Root, Targets } from "@tufjs/models";
import { distinctKeys, shortKeyId, signedBytes, signWithKeyFile, tufKey, type OfflineKeyFile, type PublicKeyFile } from "./keys.js";
import { buildRoot, REFRESH_TARGETS_FIELD, REPOSITORY_LAYOUT, ROLE, rootFromJson, type RefreshTargets } from "./metadata.js";
import { AlreadyPublishedError, publishOnce, readPublished } from "./repository-store.js";
import { checkRoleSignatures, REFUSAL, verifyPublishedTargets, verifyRootChain, type Refusal } from "./vehicle-verification.js";

/**
 * The image repository's root rotation (`fleetota keys rotate-image-root`): image root n+1 with new or the
 * same root keys, release keys, thresholds and a new expiry, signed by a threshold of the current root's
 * keys and of its own (TUF 5.3.4/5.3.5, what vehicles check), verified as vehicles verify the published
 * chain, then published once. Renewing the root before it expires is the same rotation keeping every key.
 *
 * Changing the release keys can leave the published image targets below the new release threshold: the
 * update manager and vehicles then refuse them until the new release keys re-sign them. Such a rotation
 * is refused unless the operator says the refresh comes next (`refreshTargets`); the new root then names
 * those targets (version and hash, REFRESH_TARGETS_FIELD, under the root keys' signatures), and
 * `release refresh` re-signs exactly them.
 */

export class ImageRootRotationError extends Error {
  override readonly name = "ImageRootRotationError";
}

export interface ImageRootRotationInput {
  /** Key files (with private parts) of the current image root's root keys: at least its threshold. */
  rootKeys: OfflineKeyFile[];
  /** The next root's whole set of root keys, each with its private part (each signs); default: the current root keys. */
  newRootKeys?: OfflineKeyFile[];
  /** Default: the current root threshold. */
  rootThreshold?: number;
  /** The next root's whole set of release keys (public parts); default: the current release keys. */
  releaseKeys?: PublicKeyFile[];
  /** Default: the current release threshold. */
  releaseThreshold?: number;
  rootLifetimeDays: number;
  /** Allow a rotation under which the published image targets stop verifying: `release refresh` by the new release keys comes next. */
  refreshTargetsNext?: boolean;
  now?: Date;
}

export interface ImageRootRotation {
  root: Metadata<Root>;
  /** Published image targets that no longer verify under the new root until a threshold of its release keys re-signs them. */
  targetsToRefresh?: RefreshTargets;
}

const DAY_MS = 86_400_000;

/** SHA-256 of the canonical `signed` part of targets metadata: what REFRESH_TARGETS_FIELD names. */
export function targetsDigest(targets: Metadata<Targets>): string {
  return createHash("sha256").update(signedBytes(targets)).digest("hex");
}

/**
 * Whether the newest root of a chain that verifies (its newest root unexpired) names exactly these targets
 * for a refresh by its release keys (REFRESH_TARGETS_FIELD): the only targets `release refresh` re-signs
 * although they do not verify under that root.
 *
 * @example
 * const resign = refusal !== undefined && refreshAllowedByRoot(chain, published, now); // re-sign them with the new release keys
 */
export function refreshAllowedByRoot(rootChain: unknown[], targets: Metadata<Targets>, now: Date, options: { rootMayBeExpired?: boolean } = {}): boolean {
  if (rootChain.length === 0 || verifyRootChain(rootChain, now, options) !== undefined) return false;
  const named = rootFromJson(rootChain[rootChain.length - 1]).signed.unrecognizedFields[REFRESH_TARGETS_FIELD] as Partial<RefreshTargets> | undefined;
  return named?.version === targets.signed.version && named.sha256 === targetsDigest(targets);
}

/** Why published image targets do not verify (a Refusal's kind and message), whether the newest root names them for a refresh, and the line that says so. */
export interface PublishedTargetsRefusal {
  kind: string;
  message: string;
  refreshAllowed: boolean;
  line: string;
}

/**
 * Why the published image targets do not verify under the newest image root (signatures only: expiries are
 * the calendar's), and what to run; undefined when they verify. After `keys rotate-image-root` changed the
 * release keys, the new root names them for `release refresh`. Shared by `fleetota release status` and the dashboard.
 *
 * @example
 * publishedTargetsRefusal(published.imageRoots, published.imageTargets, new Date())?.line; // "image targets 1 do NOT verify under image root 3 (…)"
 */
export function publishedTargetsRefusal(imageRoots: ReadonlyArray<Metadata<Root>>, targets: Metadata<Targets>, now: Date): PublishedTargetsRefusal | undefined {
  const chain = imageRoots.map((root) => root.toJSON());
  const lenient = { targetsMayBeExpired: true, rootMayBeExpired: true };
  const refusal = verifyPublishedTargets(chain, targets.toJSON(), now, lenient);
  if (!refusal) return undefined;
  const rootVersion = imageRoots[imageRoots.length - 1]?.signed.version;
  const refreshAllowed = refreshAllowedByRoot(chain, targets, now, lenient);
  const remedy = refreshAllowed
    ? `re-sign them, each of a threshold of its release keys: fleetota release refresh --key <release key>`
    : `image root ${rootVersion} does not name them for a refresh: find out who published them`;
  const line = `image targets ${targets.signed.version} do NOT verify under image root ${rootVersion} (${refusal.kind}: ${refusal.message}); the update manager and vehicles refuse them; ${remedy}`;
  return { ...refusal, refreshAllowed, line };
}

/**
 * What a vehicle checks of root n+1 before it takes it, on the published chain: the version goes up by
 * exactly one (a vehicle skips a root that does not move forward, so it would never take it), a threshold of
 * the current root's keys and of its own signed it, and it has not expired.
 *
 * @example
 * const refusal = verifyRootRotation(chain, next, new Date()); // undefined: vehicles take it
 */
export function verifyRootRotation(rootChain: unknown[], next: Metadata<Root>, now: Date): Refusal | undefined {
  const current = rootChain.length === 0 ? undefined : rootFromJson(rootChain[rootChain.length - 1]);
  if (current && next.signed.version !== current.signed.version + 1) {
    return { kind: REFUSAL.RootRotation, message: `root ${next.signed.version} does not follow root ${current.signed.version} (versions go up by one)` };
  }
  return verifyRootChain([...rootChain, next.toJSON()], now);
}

function roleKeys(root: Metadata<Root>, role: string): Key[] {
  return (root.signed.roles[role]?.keyIDs ?? []).map((id) => root.signed.keys[id]!);
}

/**
 * Builds and signs image root n+1 from the published chain (pure: the clock and the published metadata are
 * passed in). Throws ImageRootRotationError (or ThresholdError for a threshold above the keys) with what was wrong.
 *
 * @example
 * const { root, targetsToRefresh } = planImageRootRotation({ imageRoots, imageTargets }, { rootKeys: [ir1, ir2], rootLifetimeDays: 365 });
 */
export function planImageRootRotation(
  published: { imageRoots: ReadonlyArray<Metadata<Root>>; imageTargets?: Metadata<Targets> | undefined },
  input: ImageRootRotationInput,
): ImageRootRotation {
  const now = input.now ?? new Date();
  const chain = published.imageRoots.map((root) => root.toJSON());
  const current = published.imageRoots[published.imageRoots.length - 1];
  if (!current) throw new ImageRootRotationError("no image root is published; run the key ceremony first (`fleetota keys ceremony`)");
  if (!Number.isFinite(input.rootLifetimeDays) || input.rootLifetimeDays <= 0) {
    throw new ImageRootRotationError(`the root lifetime must be a positive number of days, not ${input.rootLifetimeDays}`);
  }
  const chainRefusal = verifyRootChain(chain, now, { rootMayBeExpired: true });
  if (chainRefusal) throw new ImageRootRotationError(`the published image root chain does not verify (${chainRefusal.kind}: ${chainRefusal.message}); not rotating it`);
  const version = current.signed.version;
  const currentRootRole = current.signed.roles[ROLE.Root]!;
  for (const key of input.rootKeys) {
    if (!currentRootRole.keyIDs.includes(key.keyid)) throw new ImageRootRotationError(`key ${key.name} (${shortKeyId(key.keyid)}) is not an image-root key of image root ${version}`);
  }
  const signers = distinctKeys([...input.rootKeys, ...(input.newRootKeys ?? [])]);
  const unsigned = signers.find((key) => key.private === undefined);
  if (unsigned) throw new ImageRootRotationError(`key ${unsigned.name} (${shortKeyId(unsigned.keyid)}) has no private part: every root key given signs the new root`);

  const spec = {
    version: version + 1,
    expires: new Date(now.getTime() + input.rootLifetimeDays * DAY_MS),
    rootKeys: input.newRootKeys ? distinctKeys(input.newRootKeys).map(tufKey) : roleKeys(current, ROLE.Root),
    rootThreshold: input.rootThreshold ?? currentRootRole.threshold,
    targetsKeys: input.releaseKeys ? distinctKeys(input.releaseKeys).map(tufKey) : roleKeys(current, ROLE.Targets),
    targetsThreshold: input.releaseThreshold ?? current.signed.roles[ROLE.Targets]!.threshold,
  };
  let next = buildRoot(spec);
  const targetsToRefresh = published.imageTargets ? targetsBrokenBy(chain, published.imageTargets, next, now) : undefined;
  if (targetsToRefresh) {
    if (!input.refreshTargetsNext) {
      throw new ImageRootRotationError(
        `the published image targets ${targetsToRefresh.version} would no longer verify under image root ${version + 1} (fewer than ${spec.targetsThreshold} of its release keys signed them): ` +
          "the update manager and vehicles would refuse them until the new release keys re-sign them. Keep enough of the release keys that signed them, " +
          "or pass --refresh-targets-next and have a threshold of the new release keys run `fleetota release refresh --key <their key>` right after",
      );
    }
    next = buildRoot({ ...spec, refreshTargets: targetsToRefresh });
  }
  for (const key of signers) signWithKeyFile(next, key);

  const byOld = checkRoleSignatures(current, ROLE.Root, next).valid.length;
  if (byOld < currentRootRole.threshold) {
    throw new ImageRootRotationError(`rotating needs ${currentRootRole.threshold} of the image-root keys of image root ${version}; ${byOld} given`);
  }
  const byNew = checkRoleSignatures(next, ROLE.Root, next).valid.length;
  if (byNew < spec.rootThreshold) {
    throw new ImageRootRotationError(`image root ${version + 1} needs ${spec.rootThreshold} signatures by its own root keys; ${byNew} given (each new root key signs with --new-image-root-key)`);
  }
  const refusal = verifyRootRotation(chain, next, now);
  if (refusal) throw new ImageRootRotationError(`image root ${version + 1} does not verify as vehicles check it (${refusal.kind}: ${refusal.message}); not publishing`);
  return { root: next, ...(targetsToRefresh ? { targetsToRefresh } : {}) };
}

/**
 * The published targets when they verify now (or are named for a refresh by the current root) but would
 * not meet `next`'s release threshold; undefined when the rotation leaves them as they are.
 */
function targetsBrokenBy(chain: unknown[], targets: Metadata<Targets>, next: Metadata<Root>, now: Date): RefreshTargets | undefined {
  const lenient = { targetsMayBeExpired: true, rootMayBeExpired: true };
  const trustedNow = verifyPublishedTargets(chain, targets.toJSON(), now, lenient) === undefined || refreshAllowedByRoot(chain, targets, now, lenient);
  const { valid, threshold } = checkRoleSignatures(next, ROLE.Targets, targets);
  if (!trustedNow || valid.length >= threshold) return undefined;
  return { version: targets.signed.version, sha256: targetsDigest(targets) };
}

/**
 * Rotates the image repository's root: reads the published chain and image targets, builds and signs root
 * n+1 (planImageRootRotation) and publishes it once, where vehicles get it (in every job document) and the
 * update manager and `release` read it.
 *
 * @example
 * const { root } = await rotateImageRoot(s3, bucket, { rootKeys: [ir1, ir2], rootLifetimeDays: 365 }); // renews the expiry, same keys
 */
export async function rotateImageRoot(s3: S3Client, bucket: string, input: ImageRootRotationInput): Promise<ImageRootRotation> {
  const now = input.now ?? new Date();
  const rotation = planImageRootRotation(await readPublished(s3, bucket), { ...input, now });
  const version = rotation.root.signed.version;
  try {
    await publishOnce(s3, bucket, REPOSITORY_LAYOUT.imageRoot(version), JSON.stringify(rotation.root.toJSON()), "application/json");
  } catch (error) {
    if (error instanceof AlreadyPublishedError) throw new ImageRootRotationError(`image root ${version} was published meanwhile (another rotation); check it and run again`);
    throw error;
  }
  return rotation;
}
