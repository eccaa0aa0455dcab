import type { Command } from "commander";
import { CeremonyError, rotateDirectorKey, runCeremony } from "../../uptane/ceremony.js";
import { ImageRootRotationError, rotateImageRoot } from "../../uptane/image-root-rotation.js";
import { createKeyFile, readKeyFile } from "../../uptane/key-files.js";
import { KeyFileError, type OfflineKeyFile } from "../../uptane/keys.js";
import { ROLE, ThresholdError } from "../../uptane/metadata.js";
import { parseIntegerOption } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { InputFileError, UsageError } from "../errors.js";
import { printResult } from "../output.js";
import { writeFileSync } from "node:fs";

/**
 * Reads an offline key file for a command, as a clear CLI error when it is not one.
 *
 * @example
 * const alice = loadKey("alice.key");
 */
export function loadKey(path: string): OfflineKeyFile {
  try {
    return readKeyFile(path);
  } catch (error) {
    if (error instanceof KeyFileError) throw new InputFileError(path, error.message);
    throw new InputFileError(path, `cannot read the key file (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (error instanceof CeremonyError || error instanceof ImageRootRotationError || error instanceof ThresholdError) throw new UsageError(error.message);
    throw error;
  }
}

export function registerKeysCommands(program: Command, contextFor: (command: Command) => CommandContext): void {
  const keys = program.command("keys").description("offline keys and the roots of the image repository and the director");
  keys
    .command("create")
    .description("create an offline Ed25519 key file (0600) and its .pub, on the holder's own machine")
    .argument("<file>", "where to write the key, e.g. ~/.fleetota/alice.key")
    .option("--name <name>", "the holder's name, shown in signatures' listings", "release-engineer")
    .action(function createAction(this: Command, file: string, options: { name: string }) {
      const context = contextFor(this);
      let key: OfflineKeyFile;
      try {
        key = createKeyFile(file, options.name);
      } catch (error) {
        throw new InputFileError(file, `cannot create the key file (${(error as NodeJS.ErrnoException).code ?? String(error)}); it is never overwritten`);
      }
      printResult(context.io, context.json, { file, publicFile: `${file}.pub`, keyid: key.keyid, name: key.name }, () => [
        `created ${file} (keep it offline) and ${file}.pub (hand this one over); key id ${key.keyid}`,
      ]);
    });
  keys
    .command("ceremony")
    .description("publish the image repository's and the director's version-1 roots, signed by all their root keys")
    .requiredOption("--image-root-key <file>", "an image-root key file (repeat)", collect)
    .option("--image-root-threshold <n>", "image-root signatures needed for a root rotation", "2")
    .requiredOption("--release-key <file>", "a release engineer's public key file (.pub) (repeat)", collect)
    .option("--release-threshold <n>", "release keys needed to publish a release", "2")
    .requiredOption("--director-root-key <file>", "a director-root key file (repeat)", collect)
    .option("--director-root-threshold <n>", "director-root signatures needed for a rotation", "2")
    .option("--director-kms-key <id>", "the director's KMS key (default: the stack's)")
    .option("--root-lifetime-days <n>", "how long the roots stay valid", "365")
    .option("--out <dir>", "where to write image-root.json and director-root.json for vehicle provisioning", ".")
    .action(async function ceremonyAction(this: Command, options: Record<string, string & string[]>) {
      const context = contextFor(this);
      const int = (name: string, raw: string) => parseIntegerOption(name, raw, { min: 1 });
      const roots = await guarded(() =>
        runCeremony(context.s3(), context.kms(), context.target().names.dataBucket, {
          imageRootKeys: options.imageRootKey.map(loadKey),
          imageRootThreshold: int("--image-root-threshold", options.imageRootThreshold),
          releaseKeys: options.releaseKey.map(loadKey),
          releaseThreshold: int("--release-threshold", options.releaseThreshold),
          directorRootKeys: options.directorRootKey.map(loadKey),
          directorRootThreshold: int("--director-root-threshold", options.directorRootThreshold),
          directorKmsKeyId: options.directorKmsKey ?? context.target().names.directorKeyId,
          rootLifetimeDays: int("--root-lifetime-days", options.rootLifetimeDays),
        }),
      );
      const files = { imageRoot: `${options.out}/image-root.json`, directorRoot: `${options.out}/director-root.json` };
      writeFileSync(files.imageRoot, JSON.stringify(roots.imageRoot.toJSON(), null, 2));
      writeFileSync(files.directorRoot, JSON.stringify(roots.directorRoot.toJSON(), null, 2));
      printResult(context.io, context.json, files, () => [`published image root 1 and director root 1; vehicles are provisioned with ${files.imageRoot} and ${files.directorRoot}`]);
    });
  keys
    .command("rotate-director")
    .description("publish the next director root naming a new KMS key; the update manager switches to it")
    .requiredOption("--kms-key <id>", "the new director KMS key (ECC_NIST_P256, SIGN_VERIFY)")
    .requiredOption("--director-root-key <file>", "a director-root key file (repeat up to the threshold)", collect)
    .option("--root-lifetime-days <n>", "how long the new root stays valid", "365")
    .action(async function rotateAction(this: Command, options: { kmsKey: string; directorRootKey: string[]; rootLifetimeDays: string }) {
      const context = contextFor(this);
      const root = await guarded(() =>
        rotateDirectorKey(context.s3(), context.kms(), context.target().names.dataBucket, {
          kmsKeyId: options.kmsKey,
          rootKeys: options.directorRootKey.map(loadKey),
          rootLifetimeDays: parseIntegerOption("--root-lifetime-days", options.rootLifetimeDays, { min: 1 }),
        }),
      );
      printResult(context.io, context.json, { directorRootVersion: root.signed.version, kmsKeyId: options.kmsKey }, () => [
        `published director root ${root.signed.version}: the director now signs with ${options.kmsKey}`,
      ]);
    });
  keys
    .command("rotate-image-root")
    .description("publish the next image root (renewed expiry; new root keys, release keys or thresholds), signed by a threshold of the current and of the new root keys")
    .requiredOption("--image-root-key <file>", "a current image-root key file (repeat up to the threshold)", collect)
    .option("--new-image-root-key <file>", "a root key file of the next root, private part included: each signs (repeat: the whole new set; default: keep the current root keys)", collect)
    .option("--image-root-threshold <n>", "image-root signatures the next root needs (default: the current threshold)")
    .option("--release-key <file>", "a release engineer's public key file (.pub) (repeat: the whole new set; default: keep the current release keys)", collect)
    .option("--release-threshold <n>", "release keys needed to publish (default: the current threshold)")
    .option("--root-lifetime-days <n>", "how long the new root stays valid", "365")
    .option("--refresh-targets-next", "allow new release keys under which the published image targets stop verifying: a threshold of them runs `fleetota release refresh` right after")
    .action(async function rotateImageRootAction(this: Command, options: RotateImageRootOptions) {
      await runRotateImageRoot(contextFor(this), options);
    });
}

export interface RotateImageRootOptions {
  imageRootKey: string[];
  newImageRootKey?: string[];
  imageRootThreshold?: string;
  releaseKey?: string[];
  releaseThreshold?: string;
  rootLifetimeDays: string;
  refreshTargetsNext?: boolean;
}

/**
 * The `keys rotate-image-root` command: publishes image root n+1 and says what comes next.
 *
 * @example
 * await runRotateImageRoot(context, { imageRootKey: ["ir1.key", "ir2.key"], rootLifetimeDays: "365" }); // renews the expiry
 */
export async function runRotateImageRoot(context: CommandContext, options: RotateImageRootOptions, now = new Date()): Promise<void> {
  const threshold = (name: string, raw: string | undefined) => (raw === undefined ? undefined : parseIntegerOption(name, raw, { min: 1 }));
  const rootThreshold = threshold("--image-root-threshold", options.imageRootThreshold);
  const releaseThreshold = threshold("--release-threshold", options.releaseThreshold);
  const { root, targetsToRefresh } = await guarded(() =>
    rotateImageRoot(context.s3(), context.target().names.dataBucket, {
      rootKeys: options.imageRootKey.map(loadKey),
      ...(options.newImageRootKey ? { newRootKeys: options.newImageRootKey.map(loadKey) } : {}),
      ...(rootThreshold === undefined ? {} : { rootThreshold }),
      ...(options.releaseKey ? { releaseKeys: options.releaseKey.map(loadKey) } : {}),
      ...(releaseThreshold === undefined ? {} : { releaseThreshold }),
      rootLifetimeDays: parseIntegerOption("--root-lifetime-days", options.rootLifetimeDays, { min: 1 }),
      refreshTargetsNext: options.refreshTargetsNext === true,
      now,
    }),
  );
  const role = (name: string) => root.signed.roles[name]!;
  const value = {
    imageRootVersion: root.signed.version,
    expires: root.signed.expires,
    rootKeys: role(ROLE.Root).keyIDs,
    rootThreshold: role(ROLE.Root).threshold,
    releaseKeys: role(ROLE.Targets).keyIDs,
    releaseThreshold: role(ROLE.Targets).threshold,
    targetsToRefresh: targetsToRefresh?.version ?? null,
  };
  printResult(context.io, context.json, value, () => [
    `published image root ${value.imageRootVersion}, expiring ${value.expires}: ${value.rootThreshold} of ${value.rootKeys.length} root keys, ` +
      `${value.releaseThreshold} of ${value.releaseKeys.length} release keys; vehicles take it from their next job document`,
    ...(targetsToRefresh
      ? [
          `next: the published image targets ${targetsToRefresh.version} no longer verify under image root ${value.imageRootVersion}, so the update manager publishes no job document until`,
          `  ${value.releaseThreshold} of its release keys re-sign them, each: fleetota release refresh --key <their release key> (then the next tick publishes the waiting documents)`,
        ]
      : []),
  ]);
}
