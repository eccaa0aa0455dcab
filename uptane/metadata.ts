import { Metadata, MetadataKind, TargetFile, Targets, type Key, type Root } from "@tufjs/models";
import { z } from "zod";
import { CONNECTIVITY_VALUES } from "../campaigns/model.js";
import { KEY_SCHEME, KEY_TYPE, publicKeyIdentity, readPublicKey, tufKeyId, weakPublicKey } from "./keys.js";

/**
 * Uptane's two repositories as TUF metadata (@tufjs/models): the image repository (offline root and
 * targets keys, a threshold of release engineers) and the director (offline root keys, an online
 * targets key in KMS that signs one targets document per vehicle). Builders, S3 layout and the
 * custom fields both sides agree on.
 */

export const ROLE = { Root: "root", Targets: "targets", Snapshot: "snapshot", Timestamp: "timestamp" } as const;
export const SPEC_VERSION = "1.0.31";
/** The ECU a campaign targets unless the release names another (the simulator's main firmware). */
export const DEFAULT_ECU = "primary";

/** Where each piece lives in the data bucket. Published metadata and images are never overwritten. */
export const REPOSITORY_LAYOUT = {
  imageRoot: (version: number) => `firmware/metadata/root/${version}.root.json`,
  imageTargets: (version: number) => `firmware/metadata/targets/${version}.targets.json`,
  /** A release waiting for signatures (overwritten as signatures arrive; trusted by nobody). */
  stagedTargets: (version: number) => `firmware/staged/targets/${version}.targets.json`,
  stagedImage: (sha256: string) => `firmware/staged/images/${sha256}`,
  image: (sha256: string) => `firmware/images/${sha256}`,
  directorRoot: (version: number) => `director/root/${version}.root.json`,
  jobDocument: (vin: string) => `jobs/${vin}.json`,
} as const;

/** Image repository `custom` of a target: what the image is and where it may run. */
export const imageCustomSchema = z.object({
  version: z.string().min(1),
  ecu: z.string().min(1),
  hardwareIds: z.array(z.string().min(1)).min(1),
  antiRollbackCounter: z.number().int().nonnegative(),
});
export type ImageCustom = z.infer<typeof imageCustomSchema>;

export const preconditionsSchema = z.object({
  requireParked: z.boolean(),
  minStateOfChargePercent: z.number(),
  connectivity: z.array(z.enum(CONNECTIVITY_VALUES)),
});
export type Preconditions = z.infer<typeof preconditionsSchema>;

/** Director `custom` of a target: which ECU of this vehicle installs it, as part of which job. */
export const directorCustomSchema = z.object({
  ecuIdentifier: z.string().min(1),
  jobId: z.string().min(1),
  campaignId: z.string().min(1),
  attempt: z.number().int().positive(),
  targetVersion: z.string().min(1),
  issuedAt: z.string(),
  preconditions: preconditionsSchema,
});
export type DirectorCustom = z.infer<typeof directorCustomSchema>;

/** Field of the director's targets `signed` part binding it to one vehicle. */
export const VIN_FIELD = "vin";

/** What `jobs/<VIN>.json` holds: both repositories' metadata the vehicle needs, plus any newer roots. */
export interface JobBundle {
  director: Record<string, unknown>;
  imageTargets?: Record<string, unknown>;
  directorRoots?: Array<Record<string, unknown>>;
  imageRoots?: Array<Record<string, unknown>>;
}

/** TUF's expiry format: whole seconds, UTC. */
export function tufDate(date: Date): string {
  return `${date.toISOString().slice(0, 19)}Z`;
}

export interface RootSpec {
  version: number;
  expires: Date;
  rootKeys: Key[];
  rootThreshold: number;
  targetsKeys: Key[];
  targetsThreshold: number;
  /** An image root that changed the release keys: the published targets its root keys allow the new release keys to re-sign. */
  refreshTargets?: RefreshTargets;
}

/**
 * Field of an image root's `signed` part (signed by the old and new root keys, ignored by vehicles): the
 * image targets published when the rotation changed the release keys, by version and SHA-256 of their
 * canonical `signed` part. `release refresh` re-signs exactly those, although the new root's release keys
 * did not sign them; no other targets that fail to verify.
 */
export const REFRESH_TARGETS_FIELD = "x-fleetota-refresh-targets";
export interface RefreshTargets {
  version: number;
  sha256: string;
}

export class ThresholdError extends Error {
  override readonly name = "ThresholdError";
}

/**
 * Root metadata naming the root and targets keys. Snapshot and timestamp roles exist (TUF requires
 * them) but hold no key: FleetOTA does not use them, and nothing signed for them can verify.
 *
 * @example
 * const root = buildRoot({ version: 1, expires, rootKeys, rootThreshold: 2, targetsKeys, targetsThreshold: 2 });
 */
export function buildRoot(spec: RootSpec): Metadata<Root> {
  for (const [role, keys, threshold] of [["root", spec.rootKeys, spec.rootThreshold], ["targets", spec.targetsKeys, spec.targetsThreshold]] as const) {
    if (!Number.isInteger(threshold) || threshold < 1 || threshold > keys.length) {
      throw new ThresholdError(`${role} threshold ${threshold} must be between 1 and the ${keys.length} key(s) given`);
    }
    if (new Set(keys.map(publicKeyIdentity)).size !== keys.length) throw new ThresholdError(`${role} keys: one key is given twice (a threshold counts each key once)`);
  }
  const keys = Object.fromEntries([...spec.rootKeys, ...spec.targetsKeys].map((key) => [key.keyID, key.toJSON()]));
  const role = (keyids: string[], threshold: number) => ({ keyids, threshold });
  const signed = {
    _type: MetadataKind.Root,
    spec_version: SPEC_VERSION,
    version: spec.version,
    expires: tufDate(spec.expires),
    keys,
    roles: {
      [ROLE.Root]: role(spec.rootKeys.map((key) => key.keyID), spec.rootThreshold),
      [ROLE.Targets]: role(spec.targetsKeys.map((key) => key.keyID), spec.targetsThreshold),
      [ROLE.Snapshot]: role([], 1),
      [ROLE.Timestamp]: role([], 1),
    },
    consistent_snapshot: true,
    ...(spec.refreshTargets ? { [REFRESH_TARGETS_FIELD]: { ...spec.refreshTargets } } : {}),
  };
  return rootFromJson({ signed, signatures: [] });
}

export interface ImageTarget {
  name: string;
  length: number;
  sha256: string;
  custom: ImageCustom;
}

/**
 * The image repository's next targets version: every earlier target plus one new image.
 *
 * @example
 * const next = nextImageTargets(current, { name: "primary-2.4.0.bin", length, sha256, custom }, expires);
 */
export function nextImageTargets(previous: Metadata<Targets> | undefined, image: ImageTarget, expires: Date): Metadata<Targets> {
  const targets: Record<string, TargetFile> = { ...(previous?.signed.targets ?? {}) };
  targets[image.name] = new TargetFile({
    path: image.name,
    length: image.length,
    hashes: { sha256: image.sha256 },
    unrecognizedFields: { custom: { ...image.custom } },
  });
  return new Metadata(new Targets({ version: (previous?.signed.version ?? 0) + 1, specVersion: SPEC_VERSION, expires: tufDate(expires), targets }));
}

/** The target name of a release image: `<ecu>-<version>.bin`. */
export function imageTargetName(ecu: string, version: string): string {
  return `${ecu}-${version}.bin`;
}

export interface DirectorTargetSpec {
  vin: string;
  version: number;
  expires: Date;
  /** Absent: the vehicle has nothing to install (a signed withdrawal). */
  target?: { name: string; length: number; sha256: string; custom: DirectorCustom };
}

/**
 * Director targets metadata for one vehicle. An empty one is a signed withdrawal.
 *
 * @example
 * const director = buildDirectorTargets({ vin, version: Date.now(), expires, target: { name: imageName, length, sha256, custom } });
 */
export function buildDirectorTargets(spec: DirectorTargetSpec): Metadata<Targets> {
  const targets: Record<string, TargetFile> = {};
  if (spec.target) {
    targets[spec.target.name] = new TargetFile({
      path: spec.target.name,
      length: spec.target.length,
      hashes: { sha256: spec.target.sha256 },
      unrecognizedFields: { custom: { ...spec.target.custom } },
    });
  }
  return new Metadata(
    new Targets({ version: spec.version, specVersion: SPEC_VERSION, expires: tufDate(spec.expires), targets, unrecognizedFields: { [VIN_FIELD]: spec.vin } }),
  );
}

/** A root whose key ids are not the hashes of their keys, or that names one public key twice. */
export class RootKeyError extends Error {
  override readonly name = "RootKeyError";
}

/** The (key type, scheme) pairs FleetOTA writes, and the lower-case hex lengths of their raw public keys. */
const CANONICAL_KEYS: ReadonlyArray<{ keyType: string; scheme: string; hexLengths: readonly number[]; pem: { type: string; curve?: string } }> = [
  { keyType: KEY_TYPE.Ed25519, scheme: KEY_SCHEME.Ed25519, hexLengths: [64], pem: { type: "ed25519" } },
  // A P-256 point, compressed or not; the KMS director key is written as PEM.
  { keyType: KEY_TYPE.Ecdsa, scheme: KEY_SCHEME.EcdsaP256, hexLengths: [66, 130], pem: { type: "ec", curve: "prime256v1" } },
  { keyType: KEY_SCHEME.EcdsaP256, scheme: KEY_SCHEME.EcdsaP256, hexLengths: [66, 130], pem: { type: "ec", curve: "prime256v1" } },
];

/**
 * Why a root's key entry is not one FleetOTA writes (undefined when it is): an unknown (key type, scheme) pair
 * (tuf-js ignores an Ed25519 key's scheme, so another scheme string is another valid key id for the same key),
 * hex that is not lower-case or not the key's length (tuf-js reads odd-length hex truncated), any keyval field
 * but `public`, or a public key that cannot be read as the key type says (`readPublicKey`; PEM of another key type or
 * curve), or a weak Ed25519 point (`weakPublicKey`: small-order or non-canonical). One key can then be written one way only.
 */
function nonCanonicalKey(key: Key): string | undefined {
  const form = CANONICAL_KEYS.find((each) => each.keyType === key.keyType && each.scheme === key.scheme);
  if (!form) return `key type ${JSON.stringify(key.keyType)} with scheme ${JSON.stringify(key.scheme)}`;
  const fields = Object.keys(key.keyVal);
  if (fields.length !== 1 || fields[0] !== "public") return `keyval fields ${JSON.stringify(fields)}, not just "public"`;
  const text = key.keyVal.public ?? "";
  const pem = text.startsWith("-----BEGIN PUBLIC KEY-----");
  if (!pem && !(/^[0-9a-f]*$/.test(text) && form.hexLengths.includes(text.length))) {
    return `public key not lower-case hex of ${form.hexLengths.join(" or ")} digits, nor PEM`;
  }
  const read = readPublicKey(key);
  // readPublicKey reads every text tuf-js reads, and more: what it cannot read, tuf-js cannot either.
  if (read === undefined) return "a public key tuf-js cannot read";
  const curve = read.asymmetricKeyDetails?.namedCurve;
  if (read.asymmetricKeyType !== form.pem.type || curve !== form.pem.curve) {
    return `a public key of type ${[read.asymmetricKeyType, curve].filter(Boolean).join(" ")} under key type ${JSON.stringify(key.keyType)}`;
  }
  return weakPublicKey(read);
}

/**
 * Parses root metadata JSON; throws TypeError/ValueError on a wrong shape and RootKeyError when a key entry
 * is not one FleetOTA writes (`nonCanonicalKey`: other key type/scheme pairs, upper-case or odd-length hex…),
 * a key id is not `tufKeyId` of its key (TUF: clients calculate each key id to verify it) or two ids name one
 * public key (in another encoding): otherwise one holder could count twice towards a threshold.
 *
 * @example
 * const root = rootFromJson(JSON.parse(text)); // throws RootKeyError on { "keys": { "<not the hash>": {…} } }
 */
export function rootFromJson(json: unknown): Metadata<Root> {
  const root = Metadata.fromJSON(MetadataKind.Root, json as never) as Metadata<Root>;
  const holders = new Map<string, string>();
  for (const [id, key] of Object.entries(root.signed.keys)) {
    const odd = nonCanonicalKey(key);
    if (odd !== undefined) throw new RootKeyError(`root ${root.signed.version}: key ${id.slice(0, 16)}… is not a key FleetOTA writes (${odd})`);
    if (tufKeyId({ keytype: key.keyType, scheme: key.scheme, keyval: key.keyVal }) !== id) {
      throw new RootKeyError(`root ${root.signed.version}: key id ${id.slice(0, 16)}… is not the hash of its key`);
    }
    const holder = publicKeyIdentity(key);
    const other = holders.get(holder);
    if (other !== undefined) throw new RootKeyError(`root ${root.signed.version}: key ids ${other.slice(0, 16)}… and ${id.slice(0, 16)}… name the same public key`);
    holders.set(holder, id);
  }
  return root;
}

/** Parses targets metadata JSON; throws TypeError/ValueError on a wrong shape. */
export function targetsFromJson(json: unknown): Metadata<Targets> {
  return Metadata.fromJSON(MetadataKind.Targets, json as never);
}

/** Finds the image target of a release version (for an ECU, when given). */
export function findReleaseTarget(targets: Metadata<Targets>, version: string, ecu?: string): ImageTarget | undefined {
  for (const file of Object.values(targets.signed.targets)) {
    const custom = imageCustomSchema.safeParse(file.custom);
    if (!custom.success || custom.data.version !== version || (ecu !== undefined && custom.data.ecu !== ecu)) continue;
    const sha256 = file.hashes.sha256;
    if (sha256 === undefined) continue;
    return { name: file.path, length: file.length, sha256, custom: custom.data };
  }
  return undefined;
}
