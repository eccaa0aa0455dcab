import { createHash, generateKeyPairSync, sign } from "node:crypto";
import { Signature, type Metadata, type Root, type Targets } from "@tufjs/models";
import { CONNECTIVITY_CLASS } from "../../../../contracts/update-messages.js";
import { ecdsaKeyFromSpki, generateOfflineKey, signedBytes, signWithKeyFile, tufKey, type OfflineKeyFile } from "../../../../uptane/keys.js";
import {
  buildDirectorTargets,
  buildRoot,
  DEFAULT_ECU,
  imageTargetName,
  nextImageTargets,
  type DirectorCustom,
  type ImageCustom,
  type JobBundle,
} from "../../../../uptane/metadata.js";
import { pinnedTrust, type VehicleContext, type VehicleTrust } from "../../../../uptane/vehicle-verification.js";

/**
 * A complete pair of Uptane repositories for unit tests: image root keys, three release keys
 * (threshold 2), director root keys and a director ECDSA P-256 key signing as KMS would (DER, hex).
 */
export const NOW = Date.parse("2026-11-26T12:00:00Z");
export const VIN = "1HGCM82633A004352";
export const OTHER_VIN = "1M8GDM9AXKP042788";
export const DAY = 86_400_000;

export interface DirectorKey {
  key: ReturnType<typeof ecdsaKeyFromSpki>;
  sign: (metadata: Metadata<Targets>) => void;
}

/** An ECDSA P-256 key signing like the KMS director key (ECDSA_SHA_256 over the canonical bytes, DER). */
export function directorKey(): DirectorKey {
  const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "prime256v1" });
  const key = ecdsaKeyFromSpki(publicKey.export({ format: "der", type: "spki" }), "arn:aws:kms:us-east-1:123456789012:key/test");
  return {
    key,
    sign(metadata) {
      const sig = sign("sha256", signedBytes(metadata), privateKey).toString("hex");
      metadata.signatures[key.keyID] = new Signature({ keyID: key.keyID, sig });
    },
  };
}

export const imageRootKeys = [generateOfflineKey("image-root-1"), generateOfflineKey("image-root-2")];
export const releaseKeys = [generateOfflineKey("alice"), generateOfflineKey("bob"), generateOfflineKey("carol")];
export const directorRootKeys = [generateOfflineKey("director-root-1"), generateOfflineKey("director-root-2")];
export const director = directorKey();

export function signAll(metadata: Metadata<Root | Targets>, keys: OfflineKeyFile[]): typeof metadata {
  for (const key of keys) signWithKeyFile(metadata, key);
  return metadata;
}

export function imageRoot(version = 1, rootKeys = imageRootKeys, targetsKeys = releaseKeys, signers = rootKeys): Metadata<Root> {
  const root = buildRoot({ version, expires: new Date(NOW + 365 * DAY), rootKeys: rootKeys.map(tufKey), rootThreshold: 2, targetsKeys: targetsKeys.map(tufKey), targetsThreshold: 2 });
  return signAll(root, signers) as Metadata<Root>;
}

export function directorRoot(version = 1, targetsKey: DirectorKey = director, signers = directorRootKeys): Metadata<Root> {
  const root = buildRoot({ version, expires: new Date(NOW + 365 * DAY), rootKeys: directorRootKeys.map(tufKey), rootThreshold: 2, targetsKeys: [targetsKey.key], targetsThreshold: 1 });
  return signAll(root, signers) as Metadata<Root>;
}

export const pinnedImageRoot = imageRoot().toJSON();
export const pinnedDirectorRoot = directorRoot().toJSON();

export function trust(overrides: Partial<VehicleTrust> = {}): VehicleTrust {
  return { ...pinnedTrust(pinnedDirectorRoot, pinnedImageRoot), ...overrides };
}

export const IMAGE = { length: 50_000_000, sha256: createHash("sha256").update("image 2.4.0").digest("hex") };

export function imageCustom(overrides: Partial<ImageCustom> = {}): ImageCustom {
  return { version: "2.4.0", ecu: DEFAULT_ECU, hardwareIds: ["hu-3"], antiRollbackCounter: 7, ...overrides };
}

/** Image repository targets v`version` with one release, signed by `signers` (default alice and bob). */
export function imageTargets(options: { custom?: Partial<ImageCustom>; length?: number; sha256?: string; version?: number; expires?: number; signers?: OfflineKeyFile[] } = {}): Metadata<Targets> {
  const custom = imageCustom(options.custom);
  const targets = nextImageTargets(
    undefined,
    { name: imageTargetName(custom.ecu, custom.version), length: options.length ?? IMAGE.length, sha256: options.sha256 ?? IMAGE.sha256, custom },
    new Date(options.expires ?? NOW + 30 * DAY),
  );
  if (options.version !== undefined) (targets.signed as { version: number }).version = options.version;
  return signAll(targets, options.signers ?? releaseKeys.slice(0, 2)) as Metadata<Targets>;
}

export function directorCustom(overrides: Partial<DirectorCustom> = {}): DirectorCustom {
  return {
    ecuIdentifier: DEFAULT_ECU,
    jobId: `cmp-1:${VIN}`,
    campaignId: "cmp-1",
    attempt: 1,
    targetVersion: "2.4.0",
    issuedAt: new Date(NOW).toISOString(),
    preconditions: { requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good] },
    ...overrides,
  };
}

export interface DirectorOptions {
  vin?: string;
  version?: number;
  expires?: number;
  custom?: Partial<DirectorCustom>;
  name?: string;
  length?: number;
  sha256?: string;
  withdrawn?: boolean;
  key?: DirectorKey;
}

export function directorTargets(options: DirectorOptions = {}): Metadata<Targets> {
  const custom = directorCustom(options.custom);
  const metadata = buildDirectorTargets({
    vin: options.vin ?? VIN,
    version: options.version ?? 1,
    expires: new Date(options.expires ?? NOW + 3 * DAY),
    ...(options.withdrawn
      ? {}
      : { target: { name: options.name ?? imageTargetName(custom.ecuIdentifier, custom.targetVersion), length: options.length ?? IMAGE.length, sha256: options.sha256 ?? IMAGE.sha256, custom } }),
  });
  (options.key ?? director).sign(metadata);
  return metadata;
}

/** A whole job bundle as the update manager writes it. */
export function bundle(options: { director?: DirectorOptions; image?: Parameters<typeof imageTargets>[0]; extra?: Partial<JobBundle> } = {}): JobBundle {
  return { director: directorTargets(options.director).toJSON(), imageTargets: imageTargets(options.image).toJSON(), ...options.extra };
}

export function vehicle(overrides: Partial<VehicleContext> = {}): VehicleContext {
  return { vin: VIN, ecus: { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.0", antiRollbackCounter: 6 } }, now: new Date(NOW), ...overrides };
}
