import { createHash } from "node:crypto";
import type { Key, Metadata, Root, Targets } from "@tufjs/models";
import { publicKeyIdentity, readPublicKey, weakPublicKey } from "./keys.js";
import { compareVersions } from "../campaigns/model.js";
import {
  directorCustomSchema,
  imageCustomSchema,
  REPOSITORY_LAYOUT,
  ROLE,
  rootFromJson,
  targetsFromJson,
  VIN_FIELD,
  type DirectorCustom,
  type Preconditions,
} from "./metadata.js";

/**
 * The vehicle's side of Uptane: everything a primary ECU checks before it acts on a job bundle.
 * Pure (no I/O, the clock is passed in), never throws on input: every refusal has a named kind.
 *
 * Order: shape → root rotations (each new root signed by a threshold of the old one's root keys and
 * of its own) → director targets (director targets key, VIN, version not below the last seen, dates)
 * → image repository targets (threshold of release keys, version not below the last seen, dates; the last
 * seen versions count only while the root names the same targets keys: TUF's fast-forward recovery)
 * → each director target agrees with the image repository on hash and length, runs on the ECU's
 * hardware, and moves its version and anti-rollback counter forward.
 */

export const REFUSAL = {
  /** Not a bundle, metadata of the wrong shape, junk hex or hashes. */
  Malformed: "MALFORMED",
  /** A date that is not a TUF/ISO timestamp, or an issue date after the expiry. */
  BadDate: "BAD_DATE",
  /** Metadata with no signature at all. */
  Unsigned: "UNSIGNED",
  /** Signed only by keys the trusted root does not name for the role. */
  UnknownKey: "UNKNOWN_KEY",
  /** A signature by a trusted key that does not verify (tampered, or a rotated-out key id reused). */
  BadSignature: "BAD_SIGNATURE",
  /** Valid signatures, but fewer than the role's threshold. */
  BelowThreshold: "BELOW_THRESHOLD",
  /** A new root that is not the next version or not signed by both the old and new root keys. */
  RootRotation: "ROOT_ROTATION",
  /** Past its expiry: the defence against an indefinite freeze. */
  Expired: "EXPIRED",
  /** A metadata version below one already seen: a replayed (for example withdrawn) document. */
  Replay: "REPLAY",
  WrongVin: "WRONG_VIN",
  WrongEcu: "WRONG_ECU",
  WrongHardware: "WRONG_HARDWARE",
  /** The director names an image the image repository did not sign (arbitrary software). */
  UnknownImage: "UNKNOWN_IMAGE",
  /** Director and image repository disagree on an image's hash or length. */
  MixAndMatch: "MIX_AND_MATCH",
  /** Part of what is needed is missing (no image metadata, a gap in the root chain). */
  PartialBundle: "PARTIAL_BUNDLE",
  /** An image whose version or anti-rollback counter does not move forward. */
  Downgrade: "DOWNGRADE",
  /** Downloaded bytes that do not match the verified hash and length. */
  CorruptImage: "CORRUPT_IMAGE",
} as const;
export type RefusalKind = (typeof REFUSAL)[keyof typeof REFUSAL];

export interface Refusal {
  kind: RefusalKind;
  message: string;
}

/** What a vehicle keeps between documents: its pinned (or rotated) roots and the last versions seen. */
export interface VehicleTrust {
  directorRoot: Record<string, unknown>;
  imageRoot: Record<string, unknown>;
  /** Highest director targets version accepted for this vehicle (0: none yet). */
  directorVersion: number;
  /** Highest image repository targets version accepted (0: none yet). */
  imageTargetsVersion: number;
}

/**
 * A vehicle's trust at provisioning: the two roots installed at the factory.
 *
 * @example
 * const trust = pinnedTrust(directorRootJson, imageRootJson);
 */
export function pinnedTrust(directorRoot: Record<string, unknown>, imageRoot: Record<string, unknown>): VehicleTrust {
  return { directorRoot, imageRoot, directorVersion: 0, imageTargetsVersion: 0 };
}

export interface EcuState {
  hardwareId: string;
  version: string;
  antiRollbackCounter: number;
}

export interface VehicleContext {
  vin: string;
  ecus: Record<string, EcuState>;
  now: Date;
}

export interface DirectorJob {
  jobId: string;
  campaignId: string;
  attempt: number;
  targetVersion: string;
  issuedAt: string;
  expiresAt: string;
  preconditions: Preconditions;
}

export interface VerifiedImage {
  ecu: string;
  name: string;
  version: string;
  length: number;
  sha256: string;
  antiRollbackCounter: number;
  /** Content-addressed key of the image in the data bucket. */
  objectKey: string;
}

export type Instruction = { kind: "withdrawn" } | { kind: "install"; job: DirectorJob; images: VerifiedImage[] };

export type UptaneVerdict =
  | { ok: true; trust: VehicleTrust; instruction: Instruction }
  /** `job` is set when the director's metadata itself verified (the refusal may be reported against it). */
  | { ok: false; refusal: Refusal; trust?: VehicleTrust; job?: DirectorJob };

const HEX = /^(?:[0-9a-f]{2})+$/;
const SHA256 = /^[0-9a-f]{64}$/;
const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?Z$/;

class Refused extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.message);
  }
}
const refused = (kind: RefusalKind, message: string): Refused => new Refused({ kind, message });

/** Milliseconds of a strict UTC timestamp, or a BAD_DATE refusal. */
function strictDate(value: unknown, what: string): number {
  const ms = typeof value === "string" && TIMESTAMP.test(value) ? Date.parse(value) : Number.NaN;
  if (!Number.isFinite(ms)) throw refused(REFUSAL.BadDate, `${what} ${JSON.stringify(value)} is not a UTC timestamp`);
  return ms;
}

function checkExpiry(metadata: Metadata<Root | Targets>, what: string, now: Date): number {
  const expires = strictDate(metadata.signed.expires, `${what} expiry`);
  if (expires <= now.getTime()) throw refused(REFUSAL.Expired, `${what} expired at ${metadata.signed.expires}`);
  return expires;
}

/** Parses metadata JSON, checking its expiry's format first (the library throws a bare error on one). */
function parseMetadata<T>(json: unknown, read: (json: unknown) => T, what: string): T {
  const signed = (json as { signed?: { expires?: unknown } } | null)?.signed;
  if (typeof signed === "object" && signed !== null) strictDate(signed.expires, `${what} expiry`);
  return parse(() => read(json), what);
}

function parse<T>(read: () => T, what: string): T {
  try {
    return read();
  } catch (error) {
    throw refused(REFUSAL.Malformed, `${what}: ${(error as Error).message}`);
  }
}

/** A valid signature by a public key already counted under another key id (a root naming one key twice). */
export const DUPLICATE_SIGNER = "DUPLICATE_SIGNER";

/** A signature that does not count towards its role's threshold, and why. */
export interface IgnoredSignature {
  keyID: string;
  kind: typeof REFUSAL.Malformed | typeof REFUSAL.UnknownKey | typeof REFUSAL.BadSignature | typeof DUPLICATE_SIGNER;
  reason: string;
}

/** Which signatures of `metadata` verify over its signed part by keys `root` names for `role`, and which do not count. */
export interface RoleSignatures {
  /** Key ids whose signature verifies, one per public key, in the order of the metadata's signatures. */
  valid: string[];
  ignored: IgnoredSignature[];
  /** The role's threshold (infinite when the root has no such role). */
  threshold: number;
}

/**
 * Checks each signature of `metadata` against the keys `root` names for `role`: the one verification of
 * signatures behind every threshold check (vehicles, the update manager, `release`, `release sign`, `release refresh`).
 * Counts signers, not key ids: a second valid signature by a public key already counted (the root names it
 * under two ids, which `rootFromJson` refuses but a root object built otherwise may do) is DUPLICATE_SIGNER.
 * Pure, never throws.
 *
 * @example
 * const { valid, ignored, threshold } = checkRoleSignatures(imageRoot, ROLE.Targets, stagedTargets);
 * valid.length >= threshold // publishable; ignored[i].reason says why a signature did not count
 */
export function checkRoleSignatures(root: Metadata<Root>, role: string, metadata: Metadata<Root | Targets>): RoleSignatures {
  const declared = root.signed.roles[role];
  const result: RoleSignatures = { valid: [], ignored: [], threshold: declared?.threshold ?? Number.POSITIVE_INFINITY };
  const signers = new Map<string, string>();
  for (const signature of Object.values(metadata.signatures)) {
    const keyID = signature.keyID;
    const key = declared?.keyIDs.includes(keyID) ? root.signed.keys[keyID] : undefined;
    if (!HEX.test(signature.sig)) {
      result.ignored.push({ keyID, kind: REFUSAL.Malformed, reason: "its signature is not hex" });
    } else if (!key) {
      result.ignored.push({ keyID, kind: REFUSAL.UnknownKey, reason: `root ${root.signed.version} does not name this key for ${role}` });
    } else if (weakKey(key)) {
      result.ignored.push({ keyID, kind: REFUSAL.BadSignature, reason: "its key is a weak Ed25519 point (small-order or non-canonical): anyone can make its signatures" });
    } else if (!verifies(key, metadata)) {
      result.ignored.push({ keyID, kind: REFUSAL.BadSignature, reason: "its signature does not verify over this content (junk, or signed over something else)" });
    } else {
      const signer = publicKeyIdentity(key);
      const counted = signers.get(signer);
      if (counted === undefined) {
        signers.set(signer, keyID);
        result.valid.push(keyID);
      } else {
        result.ignored.push({ keyID, kind: DUPLICATE_SIGNER, reason: `the same public key as key ${counted.slice(0, 8)}…, already counted` });
      }
    }
  }
  return result;
}

/** A root object not read by `rootFromJson` may still name a weak key: its signatures never count. */
function weakKey(key: Key): boolean {
  const read = readPublicKey(key);
  return read !== undefined && weakPublicKey(read) !== undefined;
}

function verifies(key: Key, metadata: Metadata<Root | Targets>): boolean {
  try {
    key.verifySignature(metadata);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks that `metadata` carries a threshold of valid signatures by the keys `root` names for `role`.
 * Throws a Refused with UNSIGNED, MALFORMED (junk hex), UNKNOWN_KEY, BAD_SIGNATURE or BELOW_THRESHOLD.
 */
function verifyRole(root: Metadata<Root>, role: string, metadata: Metadata<Root | Targets>, what: string): void {
  if (Object.keys(metadata.signatures).length === 0) throw refused(REFUSAL.Unsigned, `${what} carries no signature`);
  const { valid, ignored, threshold } = checkRoleSignatures(root, role, metadata);
  const bad = ignored.find((each) => each.kind === REFUSAL.Malformed);
  if (bad) throw refused(REFUSAL.Malformed, `${what}: signature by ${bad.keyID.slice(0, 8)} is not hex`);
  if (!root.signed.roles[role]) throw refused(REFUSAL.Malformed, `trusted root has no ${role} role`);
  const invalid = ignored.filter((each) => each.kind === REFUSAL.BadSignature).length;
  if (valid.length === 0 && invalid === 0) throw refused(REFUSAL.UnknownKey, `${what} is signed only by keys the root does not name for ${role}`);
  if (valid.length >= threshold) return;
  if (invalid > 0) throw refused(REFUSAL.BadSignature, `${what}: ${invalid} signature(s) by trusted keys do not verify`);
  throw refused(REFUSAL.BelowThreshold, `${what} has ${valid.length} of the ${threshold} signatures its ${role} role needs`);
}

/** Applies a chain of newer roots to the trusted one (TUF's root update); the last must be unexpired unless `mayBeExpired`. */
function rotateRoot(trusted: Metadata<Root>, chain: unknown, what: string, now: Date, mayBeExpired = false): Metadata<Root> {
  if (chain !== undefined && !Array.isArray(chain)) throw refused(REFUSAL.Malformed, `${what} root chain is not a list`);
  const roots = ((chain as unknown[] | undefined) ?? []).map((json) => parseMetadata(json, rootFromJson, `${what} root`));
  roots.sort((a, b) => a.signed.version - b.signed.version);
  let current = trusted;
  for (const next of roots) {
    if (next.signed.version <= current.signed.version) continue;
    if (next.signed.version !== current.signed.version + 1) {
      throw refused(REFUSAL.PartialBundle, `${what} root ${next.signed.version} given without ${current.signed.version + 1}`);
    }
    try {
      verifyRole(current, ROLE.Root, next, `${what} root ${next.signed.version} (by the old root's keys)`);
      verifyRole(next, ROLE.Root, next, `${what} root ${next.signed.version} (by its own keys)`);
    } catch (error) {
      if (error instanceof Refused) throw refused(REFUSAL.RootRotation, error.refusal.message + ` [${error.refusal.kind}]`);
      throw error;
    }
    strictDate(next.signed.expires, `${what} root ${next.signed.version} expiry`);
    current = next;
  }
  if (mayBeExpired) strictDate(current.signed.expires, `${what} root ${current.signed.version} expiry`);
  else checkExpiry(current, `${what} root ${current.signed.version}`, now);
  return current;
}

/**
 * Verifies a job bundle (`jobs/<VIN>.json`) against the vehicle's trust and facts.
 *
 * @example
 * const verdict = verifyJobBundle(JSON.parse(body), memory.trust,
 *   { vin, ecus: { primary: { hardwareId: "hu-3", version: "2.3.0", antiRollbackCounter: 6 } }, now: new Date() });
 * if (verdict.ok && verdict.instruction.kind === "install") pending.push(verdict.instruction.images); // fetched, then checked against length and hash
 */
export function verifyJobBundle(document: unknown, trust: VehicleTrust, vehicle: VehicleContext): UptaneVerdict {
  let newTrust: VehicleTrust | undefined;
  let job: DirectorJob | undefined;
  try {
    if (typeof document !== "object" || document === null || Array.isArray(document)) throw refused(REFUSAL.Malformed, "not a job bundle (expected a JSON object)");
    const bundle = document as Record<string, unknown>;
    if (typeof bundle.director !== "object" || bundle.director === null) throw refused(REFUSAL.Malformed, "job bundle has no director metadata");

    const trustedDirectorRoot = parseMetadata(trust.directorRoot, rootFromJson, "pinned director root");
    const directorRoot = rotateRoot(trustedDirectorRoot, bundle.directorRoots, "director", vehicle.now);
    const director = parseMetadata(bundle.director, targetsFromJson, "director targets");
    verifyRole(directorRoot, ROLE.Targets, director, "director targets");
    const vin = director.signed.unrecognizedFields[VIN_FIELD];
    if (vin !== vehicle.vin) throw refused(REFUSAL.WrongVin, `director metadata is for ${String(vin)}, not ${vehicle.vin}`);
    const directorExpires = checkExpiry(director, "director targets", vehicle.now);
    const directorFloor = versionFloor(trustedDirectorRoot, directorRoot, trust.directorVersion);
    if (director.signed.version < directorFloor) {
      throw refused(REFUSAL.Replay, `director targets version ${director.signed.version} is older than ${directorFloor} already seen`);
    }
    newTrust = { ...trust, directorRoot: directorRoot.toJSON(), directorVersion: director.signed.version };

    const targets = Object.values(director.signed.targets);
    if (targets.length === 0) return { ok: true, trust: newTrust, instruction: { kind: "withdrawn" } };
    const customs = targets.map((target) => {
      const custom = directorCustomSchema.safeParse(target.custom);
      if (!custom.success) throw refused(REFUSAL.Malformed, `director target ${target.path} has no valid custom (${custom.error.issues[0]?.path.join(".")})`);
      return custom.data;
    });
    job = directorJob(customs, directorExpires);
    if (customs.some((custom) => custom.jobId !== job!.jobId || custom.attempt !== job!.attempt)) {
      throw refused(REFUSAL.Malformed, "director targets belong to different jobs");
    }
    const issuedAt = strictDate(job.issuedAt, "job issue date");
    if (issuedAt > directorExpires) throw refused(REFUSAL.BadDate, `job issued at ${job.issuedAt}, after its expiry`);

    if (bundle.imageTargets === undefined) throw refused(REFUSAL.PartialBundle, "job bundle carries no image repository metadata");
    const trustedImageRoot = parseMetadata(trust.imageRoot, rootFromJson, "pinned image root");
    const imageRoot = rotateRoot(trustedImageRoot, bundle.imageRoots, "image repository", vehicle.now);
    const image = parseMetadata(bundle.imageTargets, targetsFromJson, "image repository targets");
    verifyRole(imageRoot, ROLE.Targets, image, "image repository targets");
    checkExpiry(image, "image repository targets", vehicle.now);
    const imageFloor = versionFloor(trustedImageRoot, imageRoot, trust.imageTargetsVersion);
    if (image.signed.version < imageFloor) {
      throw refused(REFUSAL.Replay, `image repository targets version ${image.signed.version} is older than ${imageFloor} already seen`);
    }
    newTrust = { ...newTrust, imageRoot: imageRoot.toJSON(), imageTargetsVersion: image.signed.version };

    const images = targets.map((target, index) => checkImage(target, customs[index]!, image, vehicle));
    return { ok: true, trust: newTrust, instruction: { kind: "install", job, images } };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { ok: false, refusal: error.refusal, ...(newTrust ? { trust: newTrust } : {}), ...(job ? { job } : {}) };
  }
}

/**
 * The lowest targets version the vehicle may accept: the highest it has seen, unless the root it now
 * trusts names other targets keys than the root it trusted before (TUF 5.3.11, the fast-forward
 * recovery). A stolen targets key can sign a version of 2^53 − 1; without this, every genuine document
 * after it would be "older" for good, and rotating the key (the documented answer to its theft) would not
 * end the freeze. Documents signed by the old keys are refused by the new root's keys anyway.
 */
function versionFloor(before: Metadata<Root>, after: Metadata<Root>, seen: number): number {
  const keysOf = (root: Metadata<Root>) => [...(root.signed.roles[ROLE.Targets]?.keyIDs ?? [])].sort().join(" ");
  return keysOf(before) === keysOf(after) ? seen : 0;
}

function directorJob(customs: DirectorCustom[], expiresMs: number): DirectorJob {
  const first = customs[0]!;
  return {
    jobId: first.jobId,
    campaignId: first.campaignId,
    attempt: first.attempt,
    targetVersion: first.targetVersion,
    issuedAt: first.issuedAt,
    expiresAt: new Date(expiresMs).toISOString(),
    preconditions: first.preconditions,
  };
}

type TargetFileOf = Targets["targets"][string];

function checkImage(target: TargetFileOf, custom: DirectorCustom, image: Metadata<Targets>, vehicle: VehicleContext): VerifiedImage {
  const sha256 = target.hashes.sha256;
  if (sha256 === undefined || !SHA256.test(sha256) || !Number.isSafeInteger(target.length)) {
    throw refused(REFUSAL.Malformed, `director target ${target.path} has no valid sha256 and length`);
  }
  const ecu = vehicle.ecus[custom.ecuIdentifier];
  if (!ecu) throw refused(REFUSAL.WrongEcu, `director names ECU ${custom.ecuIdentifier}, which this vehicle does not have`);
  const signed = image.signed.targets[target.path];
  if (!signed) throw refused(REFUSAL.UnknownImage, `the image repository has not signed ${target.path}`);
  if (signed.length !== target.length || signed.hashes.sha256 !== sha256) {
    throw refused(REFUSAL.MixAndMatch, `director and image repository disagree on ${target.path} (hash or length)`);
  }
  const parsed = imageCustomSchema.safeParse(signed.custom);
  if (!parsed.success) throw refused(REFUSAL.Malformed, `image target ${target.path} has no valid custom`);
  const release = parsed.data;
  if (release.ecu !== custom.ecuIdentifier) throw refused(REFUSAL.WrongEcu, `${target.path} is for ECU ${release.ecu}, the director sends it to ${custom.ecuIdentifier}`);
  if (release.version !== custom.targetVersion) throw refused(REFUSAL.MixAndMatch, `${target.path} is ${release.version}, the job says ${custom.targetVersion}`);
  if (!release.hardwareIds.includes(ecu.hardwareId)) {
    throw refused(REFUSAL.WrongHardware, `${target.path} is for ${release.hardwareIds.join(", ")}, ECU ${custom.ecuIdentifier} is ${ecu.hardwareId}`);
  }
  if (release.antiRollbackCounter < ecu.antiRollbackCounter) {
    throw refused(REFUSAL.Downgrade, `anti-rollback counter ${release.antiRollbackCounter} is below the installed ${ecu.antiRollbackCounter}`);
  }
  if (!isNewer(release.version, ecu.version)) throw refused(REFUSAL.Downgrade, `${release.version} is not newer than the installed ${ecu.version}`);
  return {
    ecu: custom.ecuIdentifier,
    name: target.path,
    version: release.version,
    length: target.length,
    sha256,
    antiRollbackCounter: release.antiRollbackCounter,
    objectKey: REPOSITORY_LAYOUT.image(sha256),
  };
}

function isNewer(candidate: string, installed: string): boolean {
  try {
    return compareVersions(candidate, installed) > 0;
  } catch {
    return false;
  }
}

/** What a vehicle received of an image: how many bytes, and their SHA-256 (hex). */
export interface ImageDigest {
  length: number;
  sha256: string;
}

/** Hashes an image's bytes as they arrive (chunk by chunk), so a vehicle never needs the whole image in memory. */
export interface ImageHasher {
  update(chunk: Uint8Array): void;
  digest(): ImageDigest;
}

/**
 * A streaming hasher for received image bytes, checked afterwards with `verifyImageDigest`.
 *
 * @example
 * const hasher = imageHasher();
 * for await (const chunk of body) hasher.update(chunk);
 * const refusal = verifyImageDigest(hasher.digest(), image); // undefined when intact
 */
export function imageHasher(): ImageHasher {
  const hash = createHash("sha256");
  let length = 0;
  return {
    update(chunk) {
      hash.update(chunk);
      length += chunk.byteLength;
    },
    digest: () => ({ length, sha256: hash.digest("hex") }),
  };
}

/**
 * Checks what was received of an image against the verified length and SHA-256: the last Uptane step, the
 * bytes installed are the bytes signed. A receiver may stop reading one byte past the verified length
 * (Uptane's endless-data defence); such a digest is refused as longer.
 *
 * @example
 * verifyImageDigest({ length: 11, sha256: "ab…" }, { length: 11, sha256: "9f…" }); // { kind: "CORRUPT_IMAGE", message: "image SHA-256 does not match the metadata" }
 */
export function verifyImageDigest(received: ImageDigest, image: Pick<VerifiedImage, "length" | "sha256">): Refusal | undefined {
  if (received.length > image.length) return { kind: REFUSAL.CorruptImage, message: `image is longer than the ${image.length} bytes the metadata says` };
  if (received.length < image.length) return { kind: REFUSAL.CorruptImage, message: `image is ${received.length} bytes, metadata says ${image.length}` };
  if (received.sha256 !== image.sha256) return { kind: REFUSAL.CorruptImage, message: "image SHA-256 does not match the metadata" };
  return undefined;
}

/**
 * Checks downloaded image bytes (all in memory) against the verified length and SHA-256.
 *
 * @example
 * const refusal = verifyImageBytes(bytes, image); // undefined when intact
 */
export function verifyImageBytes(bytes: Uint8Array, image: Pick<VerifiedImage, "length" | "sha256">): Refusal | undefined {
  const hasher = imageHasher();
  hasher.update(bytes);
  return verifyImageDigest(hasher.digest(), image);
}

/**
 * Checks a repository's targets against its root chain as published (root 1 taken on first use, each
 * later root rotated in as a vehicle would): what the update manager and the CLI check before they
 * hand metadata on. Returns the refusal, or undefined when a threshold of the newest root's targets
 * keys signed it and it has not expired (`targetsMayBeExpired`: expired targets pass, as `release refresh`
 * needs before re-signing them; the roots must still be valid unless `rootMayBeExpired`).
 *
 * @example
 * const refusal = verifyPublishedTargets(imageRoots.map((root) => root.toJSON()), targets.toJSON(), new Date());
 */
export function verifyPublishedTargets(
  rootChain: unknown[],
  targets: unknown,
  now: Date,
  options: { targetsMayBeExpired?: boolean; rootMayBeExpired?: boolean } = {},
): Refusal | undefined {
  try {
    const root = trustedRoot(rootChain, now, options.rootMayBeExpired);
    const metadata = parseMetadata(targets, targetsFromJson, "targets");
    verifyRole(root, ROLE.Targets, metadata, `targets ${metadata.signed.version}`);
    if (options.targetsMayBeExpired) strictDate(metadata.signed.expires, "targets expiry");
    else checkExpiry(metadata, "targets", now);
    return undefined;
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}

/** The newest root of a published chain, reached as a vehicle reaches it (root 1 taken on first use). Throws a Refused. */
function trustedRoot(rootChain: unknown[], now: Date, mayBeExpired = false): Metadata<Root> {
  if (rootChain.length === 0) throw refused(REFUSAL.PartialBundle, "no root is published");
  const first = parseMetadata(rootChain[0], rootFromJson, "root 1");
  verifyRole(first, ROLE.Root, first, "root 1");
  return rotateRoot(first, rootChain.slice(1), "repository", now, mayBeExpired);
}

/**
 * Checks a repository's root chain as published, as a vehicle takes it (root 1 on first use, each later root
 * signed by a threshold of the previous root's keys and of its own). Returns the refusal, or undefined when
 * the chain verifies and its newest root has not expired (`rootMayBeExpired`: an expired newest root passes,
 * as a rotation that renews it needs).
 *
 * @example
 * const refusal = verifyRootChain([...imageRoots.map((root) => root.toJSON()), next.toJSON()], new Date());
 */
export function verifyRootChain(rootChain: unknown[], now: Date, options: { rootMayBeExpired?: boolean } = {}): Refusal | undefined {
  try {
    trustedRoot(rootChain, now, options.rootMayBeExpired);
    return undefined;
  } catch (error) {
    if (error instanceof Refused) return error.refusal;
    throw error;
  }
}
