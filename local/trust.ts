import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { KMSClient } from "@aws-sdk/client-kms";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../lib/logger.js";
import { runCeremony } from "../uptane/ceremony.js";
import { ensureKeyFile } from "../uptane/key-files.js";
import type { OfflineKeyFile } from "../uptane/keys.js";
import { REPOSITORY_LAYOUT } from "../uptane/metadata.js";
import { readJson } from "../uptane/repository-store.js";
import { pinnedTrust, type VehicleTrust } from "../uptane/vehicle-verification.js";

/** Where the local cloud keeps its development keys (the project's `.fleetota/`, git-ignored). */
export const LOCAL_KEYS_DIR = ".fleetota/keys";

/** The development key set: two image-root keys, three release engineers (2 of 3), two director-root keys. */
export const LOCAL_KEY_NAMES = {
  imageRoot: ["image-root-1", "image-root-2"],
  release: ["alice", "bob", "carol"],
  directorRoot: ["director-root-1", "director-root-2"],
} as const;

export interface LocalTrust {
  /** What every simulated vehicle is provisioned with. */
  trust: VehicleTrust;
  keysDir: string;
  /** Key file path by name (`alice` → `<keysDir>/alice.key`). */
  keyFile: (name: string) => string;
}

/**
 * The local cloud's key ceremony: the development key files (created once in `keysDir`) and, when the
 * emulator's data bucket has no roots yet, both version-1 roots published with the stack's director KMS
 * key. Returns the roots the simulated vehicles are provisioned with.
 *
 * @example
 * const { trust, keyFile } = await provisionLocalTrust({ s3, kms, bucket, directorKeyId, keysDir: ".fleetota/keys", log });
 * // fleetota release fw.bin --version 2.4.0 --hardware hu-3 --key $(keyFile("alice"))
 */
export async function provisionLocalTrust(options: { s3: S3Client; kms: KMSClient; bucket: string; directorKeyId: string; keysDir: string; log: Log }): Promise<LocalTrust> {
  const { s3, bucket, keysDir } = options;
  mkdirSync(keysDir, { recursive: true, mode: 0o700 });
  const keyFile = (name: string) => join(keysDir, `${name}.key`);
  const load = (names: readonly string[]): OfflineKeyFile[] => names.map((name) => ensureKeyFile(keyFile(name), name));
  const imageRootKeys = load(LOCAL_KEY_NAMES.imageRoot);
  const releaseKeys = load(LOCAL_KEY_NAMES.release);
  const directorRootKeys = load(LOCAL_KEY_NAMES.directorRoot);
  let imageRoot = await readJson(s3, bucket, REPOSITORY_LAYOUT.imageRoot(1));
  let directorRoot = await readJson(s3, bucket, REPOSITORY_LAYOUT.directorRoot(1));
  if (imageRoot === undefined || directorRoot === undefined) {
    const roots = await runCeremony(s3, options.kms, bucket, {
      imageRootKeys,
      imageRootThreshold: 2,
      releaseKeys,
      releaseThreshold: 2,
      directorRootKeys,
      directorRootThreshold: 2,
      directorKmsKeyId: options.directorKeyId,
      rootLifetimeDays: 365,
    });
    imageRoot = roots.imageRoot.toJSON();
    directorRoot = roots.directorRoot.toJSON();
    options.log.info(`key ceremony: image repository and director roots published (release keys in ${keysDir}: alice, bob, carol; 2 of 3 sign a release)`);
  }
  return { trust: pinnedTrust(directorRoot as Record<string, unknown>, imageRoot as Record<string, unknown>), keysDir, keyFile };
}
