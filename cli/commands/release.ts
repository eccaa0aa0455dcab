import { readFileSync } from "node:fs";
import type { Command } from "commander";
import semver from "semver";
import { DEFAULT_ECU, REPOSITORY_LAYOUT } from "../../uptane/metadata.js";
import { AlreadyPublishedError, readJson, readPublished } from "../../uptane/repository-store.js";
import { describeExpiry, expiryCalendar } from "../../uptane/calendar.js";
import { publishedTargetsRefusal } from "../../uptane/image-root-rotation.js";
import { dropStagedRelease, refreshImageTargets, ReleaseError, signStagedRelease, stageRelease, type RefreshStatus, type ReleaseStatus } from "../../uptane/image-repository.js";
import { parseDuration, parseIntegerOption, parseList } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { InputFileError, UsageError } from "../errors.js";
import { printResult } from "../output.js";
import { loadKey } from "./keys.js";

export interface ReleaseSignOptions {
  key: string;
  image: string;
  hardware: string[];
  antiRollback: string;
  ecu?: string;
}

export interface ReleaseOptions {
  version?: string;
  hardware?: string[];
  ecu?: string;
  antiRollback?: string;
  expires?: string;
  key?: string;
}

export function registerReleaseCommand(program: Command, contextFor: (command: Command) => CommandContext): void {
  const release = program
    .command("release")
    .description("stage a firmware release in the image repository, signed with your release key (published once enough keys sign)")
    .argument("<image>", "firmware image file")
    // Checked in the action, not as commander's required options: those would be demanded of `release sign` too.
    .option("--version <version>", "firmware version (semver), e.g. 2.4.0 (required)")
    .option("--hardware <ids...>", "compatible hardware revisions, repeat or comma-separate (required)")
    .option("--ecu <id>", "the ECU the image is for", DEFAULT_ECU)
    .option("--anti-rollback <n>", "anti-rollback counter of this image", "0")
    .option("--expires <duration>", "how long the image repository's targets metadata stays valid (30d, 12h…)", "30d")
    .option("--key <file>", "your offline release key file from `fleetota keys create` (required)")
    // `release sign … --key` is the subcommand's own --key, not the parent's.
    .enablePositionalOptions()
    .action(async function releaseAction(this: Command, image: string, options: ReleaseOptions) {
      await runRelease(contextFor(this), image, options);
    });
  release
    .command("sign")
    .description("add your release key's signature to the release waiting for signatures; publishes it at the threshold")
    .argument("<version>", "the staged version")
    .requiredOption("--key <file>", "your offline release key file")
    // What the signer checked, all stated: a firmware/staged/ writer can rewrite the staged release, never these.
    .requiredOption("--image <file>", "your own copy of the image: signing only if it is the one staged (length and SHA-256)")
    .requiredOption("--hardware <ids...>", "the compatible hardware revisions you agreed to, repeat or comma-separate: signing only if the staged release names exactly these")
    .requiredOption("--anti-rollback <n>", "the anti-rollback counter you agreed to: signing only if the staged release carries it")
    .option("--ecu <id>", "the ECU the image is for: signing only if the staged release names it", DEFAULT_ECU)
    .action(async function signAction(this: Command, version: string, options: ReleaseSignOptions) {
      await runReleaseSign(contextFor(this), version, options);
    });
  release
    .command("refresh")
    .description("re-sign the published image targets unchanged with a later expiry (version + 1); published once enough release keys run it")
    .requiredOption("--key <file>", "your offline release key file")
    .option("--expires <duration>", "how long the refreshed targets stay valid (30d, 12h…)", "30d")
    .action(async function refreshAction(this: Command, options: { key: string; expires: string }) {
      await runReleaseRefresh(contextFor(this), options);
    });
  release
    .command("status")
    .description("what is published, and how many days the image targets and both roots have left before vehicles refuse them")
    .action(async function statusAction(this: Command) {
      await runReleaseStatus(contextFor(this));
    });
  release
    .command("drop")
    .description("drop the release waiting for signatures (nothing published changes)")
    .action(async function dropAction(this: Command) {
      const context = contextFor(this);
      const dropped = await dropStagedRelease(context.s3(), context.target().names.dataBucket);
      printResult(context.io, context.json, { dropped: dropped ?? null }, () => [dropped === undefined ? "no release is waiting for signatures" : `dropped staged targets ${dropped}`]);
    });
}

/** One line per staged signature that did not count (it did not verify), so a forged one is named. */
function describeIgnored(ignored: readonly string[]): string[] {
  return ignored.map((line) => `  signature by ${line} (dropped from the staged file)`);
}

function describe(status: ReleaseStatus, bucket: string): string[] {
  const progress = `${status.signedBy.length} of ${status.threshold} signatures`;
  // What was signed, in full: each signer sees the facts they vouched for.
  const signed = `  ${status.targetName}: ${status.length} bytes, sha256 ${status.sha256}, ECU ${status.ecu}, hardware ${status.hardwareIds.join(",")}, anti-rollback ${status.antiRollbackCounter}`;
  const lines = status.published
    ? [
        `published ${status.version} as ${status.targetName} (${status.length} bytes, sha256 ${status.sha256.slice(0, 16)}…), targets ${status.targetsVersion}, ${progress}`,
        signed,
        `  s3://${bucket}/${status.imageKey}`,
      ]
    : [
        `staged ${status.version} as targets ${status.targetsVersion} with ${progress}; not published yet`,
        signed,
        `  another release engineer: fleetota release sign ${status.version} --key <their key file> --image <their copy> --hardware <ids> --anti-rollback <n>`,
      ];
  return [...lines, ...describeIgnored(status.ignored)];
}

function describeRefresh(status: RefreshStatus): string[] {
  const what = `image targets ${status.refreshes} (${status.images} image(s), expiring ${status.previousExpires}) as targets ${status.targetsVersion}, expiring ${status.expires}`;
  const progress = `${status.signedBy.length} of ${status.threshold} signatures`;
  const lines = status.published
    ? [`refreshed ${what}, ${progress}`]
    : [`refresh of ${what} staged with ${progress}; not published yet`, "  another release engineer: fleetota release refresh --key <their key file>"];
  return [...lines, ...describeIgnored(status.ignored)];
}

async function guarded<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    // A published key taken meanwhile (another signer published that version first) is said as plainly.
    if (error instanceof ReleaseError || error instanceof AlreadyPublishedError) throw new UsageError(error.message);
    throw error;
  }
}

/**
 * The `release` command: stages the next image-repository targets with this image, signed by one key.
 *
 * @example
 * await runRelease(context, "fw-2.4.0.bin", { version: "2.4.0", hardware: ["hu-3"], antiRollback: "7", key: "alice.key" });
 */
export async function runRelease(context: CommandContext, imagePath: string, options: ReleaseOptions, now = new Date()): Promise<void> {
  for (const [flag, value] of [["--version", options.version], ["--hardware", options.hardware], ["--key", options.key]] as const) {
    if (value === undefined) throw new UsageError(`release needs ${flag}`);
  }
  const version = semver.valid(options.version!);
  if (version === null) throw new UsageError(`--version must be a semantic version such as 2.4.0, got "${options.version}"`);
  const hardwareIds = parseList("--hardware", options.hardware!);
  const antiRollbackCounter = parseIntegerOption("--anti-rollback", options.antiRollback ?? "0", { min: 0 });
  const lifetimeSeconds = parseDuration("--expires", options.expires ?? "30d");
  const key = loadKey(options.key!);
  const image = readImage(imagePath);
  const bucket = context.target().names.dataBucket;
  const status = await guarded(() =>
    stageRelease(context.s3(), bucket, {
      image,
      custom: { version, ecu: options.ecu ?? DEFAULT_ECU, hardwareIds, antiRollbackCounter },
      expires: new Date(now.getTime() + lifetimeSeconds * 1000),
      key,
      now,
    }),
  );
  printResult(context.io, context.json, { ...status, bucket }, () => describe(status, bucket));
}

/**
 * The `release sign` command: signs only if the staged release is the signer's own image with the hardware ids,
 * anti-rollback counter and ECU they state.
 *
 * @example
 * await runReleaseSign(context, "2.4.0", { key: "bob.key", image: "fw-2.4.0.bin", hardware: ["hu-3"], antiRollback: "7" });
 */
export async function runReleaseSign(context: CommandContext, version: string, options: ReleaseSignOptions): Promise<void> {
  const hardwareIds = parseList("--hardware", options.hardware);
  const antiRollbackCounter = parseIntegerOption("--anti-rollback", options.antiRollback, { min: 0 });
  const key = loadKey(options.key);
  const image = readImage(options.image);
  const bucket = context.target().names.dataBucket;
  const checked = { image, ecu: options.ecu ?? DEFAULT_ECU, hardwareIds, antiRollbackCounter };
  const status = await guarded(() => signStagedRelease(context.s3(), bucket, { version, key, checked }));
  printResult(context.io, context.json, { ...status, bucket }, () => describe(status, bucket));
}

/**
 * The `release refresh` command: the published image targets again with a later expiry, signed by one more release key.
 *
 * @example
 * await runReleaseRefresh(context, { key: "alice.key", expires: "30d" });
 */
export async function runReleaseRefresh(context: CommandContext, options: { key: string; expires?: string }, now = new Date()): Promise<void> {
  const lifetimeSeconds = parseDuration("--expires", options.expires ?? "30d");
  const key = loadKey(options.key);
  const bucket = context.target().names.dataBucket;
  const status = await guarded(() => refreshImageTargets(context.s3(), bucket, { key, expires: new Date(now.getTime() + lifetimeSeconds * 1000), now }));
  printResult(context.io, context.json, { ...status, bucket }, () => describeRefresh(status));
}

/**
 * The `release status` command: the published image targets (images, any version waiting for signatures)
 * and the expiry calendar of the targets and both roots, soonest first, with what renews each.
 *
 * @example
 * await runReleaseStatus(context); // "image targets 4 expire 2027-01-01T00:00:00Z: 29 days left" …
 */
export async function runReleaseStatus(context: CommandContext, now = new Date()): Promise<void> {
  const bucket = context.target().names.dataBucket;
  const published = await readPublished(context.s3(), bucket);
  const targets = published.imageTargets;
  const nextVersion = (targets?.signed.version ?? 0) + 1;
  const waiting = (await readJson(context.s3(), bucket, REPOSITORY_LAYOUT.stagedTargets(nextVersion))) !== undefined;
  const calendar = expiryCalendar(published, now);
  const images = targets ? Object.keys(targets.signed.targets).sort() : [];
  const unverified = targets ? publishedTargetsRefusal(published.imageRoots, targets, now) : undefined;
  const value = { bucket, targetsVersion: targets?.signed.version ?? null, images, waitingForSignatures: waiting ? nextVersion : null, targetsRefused: unverified ?? null, calendar };
  printResult(context.io, context.json, value, () => [
    targets ? `image targets ${targets.signed.version}: ${images.length} image(s): ${images.join(", ")}` : "no release is published yet",
    ...(unverified ? [`  ${unverified.line}`] : []),
    ...(waiting ? [`targets ${nextVersion} is waiting for signatures (fleetota release sign / release refresh, or release drop)`] : []),
    ...calendar.map(describeExpiry),
  ]);
}

function readImage(path: string): Buffer {
  try {
    const bytes = readFileSync(path);
    if (bytes.byteLength === 0) throw new InputFileError(path, "the image is empty");
    return bytes;
  } catch (error) {
    if (error instanceof InputFileError) throw error;
    throw new InputFileError(path, `cannot read the image (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
}
