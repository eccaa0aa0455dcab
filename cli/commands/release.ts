import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import type { Command } from "commander";
import semver from "semver";
import {
  firmwareImageKey,
  firmwareManifestKey,
  signManifest,
  type FirmwareManifest,
} from "../../campaigns/job-document.js";
import { ensureSigningKey, signingKeyFromPrivatePem, type SigningKey } from "../../campaigns/signing.js";
import { parseDuration, parseIntegerOption, parseList } from "../arguments.js";
import type { CommandContext } from "../context.js";
import { InputFileError, UsageError } from "../errors.js";
import { printResult } from "../output.js";
import { TARGET_KIND } from "../target.js";

/** Environment variables that give the signing key for AWS (never a file in the repository). */
export const SIGNING_KEY_ENV = { Pem: "FLEETOTA_SIGNING_KEY", File: "FLEETOTA_SIGNING_KEY_FILE" } as const;

export interface ReleaseOptions {
  version: string;
  hardware: string[];
  antiRollback?: string;
  expires?: string;
  key?: string;
  force?: boolean;
}

export function registerReleaseCommand(program: Command, contextFor: (command: Command) => CommandContext): void {
  program
    .command("release")
    .description("upload a firmware image and its signed manifest to firmware/<version>/")
    .argument("<image>", "firmware image file")
    .requiredOption("--version <version>", "firmware version (semver), e.g. 2.4.0")
    .requiredOption("--hardware <ids...>", "compatible hardware revisions (repeat or comma-separate)")
    .option("--anti-rollback <n>", "anti-rollback counter of this image", "0")
    .option("--expires <duration>", "how long the manifest stays valid (30d, 12h…)", "30d")
    .option("--key <file>", `Ed25519 private key PEM (AWS; or ${SIGNING_KEY_ENV.File} / ${SIGNING_KEY_ENV.Pem})`)
    .option("--force", "replace an existing release of the same version")
    .action(async function releaseAction(this: Command, image: string, options: ReleaseOptions) {
      await runRelease(contextFor(this), image, options);
    });
}

/**
 * The `release` command.
 *
 * @example
 * await runRelease(context, "fw-2.4.0.bin", { version: "2.4.0", hardware: ["hu-3"], antiRollback: "7" });
 */
export async function runRelease(context: CommandContext, imagePath: string, options: ReleaseOptions, now = new Date()): Promise<void> {
  const version = semver.valid(options.version);
  if (version === null) throw new UsageError(`--version must be a semantic version such as 2.4.0, got "${options.version}"`);
  const hardware = parseList("--hardware", options.hardware);
  const antiRollbackCounter = parseIntegerOption("--anti-rollback", options.antiRollback ?? "0", { min: 0 });
  const lifetimeSeconds = parseDuration("--expires", options.expires ?? "30d");
  const image = readImage(imagePath);
  const { names } = context.target();
  const s3 = context.s3();
  if (!options.force && (await exists(context, names.dataBucket, firmwareManifestKey(version)))) {
    throw new UsageError(`release ${version} already exists (use --force to replace it)`);
  }
  const key = await signingKey(context, options.key);
  const manifest: FirmwareManifest = {
    version,
    sha256: createHash("sha256").update(image).digest("hex"),
    size: image.byteLength,
    hardware,
    antiRollbackCounter,
    expiresAt: new Date(now.getTime() + lifetimeSeconds * 1000).toISOString(),
    imageKey: firmwareImageKey(version),
  };
  const envelope = signManifest(manifest, key);
  await s3.send(new PutObjectCommand({ Bucket: names.dataBucket, Key: manifest.imageKey, Body: image, ContentType: "application/octet-stream" }));
  await s3.send(
    new PutObjectCommand({
      Bucket: names.dataBucket,
      Key: firmwareManifestKey(version),
      Body: JSON.stringify(envelope),
      ContentType: "application/json",
    }),
  );
  const result = { ...manifest, manifestKey: firmwareManifestKey(version), keyId: key.keyId, bucket: names.dataBucket };
  printResult(context.io, context.json, result, () => [
    `released ${version} (${manifest.size} bytes, sha256 ${manifest.sha256.slice(0, 16)}…) for ${hardware.join(", ")}`,
    `  s3://${names.dataBucket}/${manifest.imageKey}`,
    `  s3://${names.dataBucket}/${result.manifestKey}  signed by key ${key.keyId}, expires ${manifest.expiresAt}`,
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

async function exists(context: CommandContext, bucket: string, key: string): Promise<boolean> {
  try {
    await context.s3().send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
    return true;
  } catch (error) {
    const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
    if (status === 404 || (error as Error).name === "NotFound") return false;
    throw error;
  }
}

/**
 * Local cloud: the key lives in the stack's SSM parameter and is created on first use.
 * AWS: the operator brings it (`--key`, or the environment); the CLI never writes it anywhere.
 */
async function signingKey(context: CommandContext, keyPath: string | undefined): Promise<SigningKey> {
  const target = context.target();
  const env = context.env;
  const path = keyPath ?? env[SIGNING_KEY_ENV.File];
  if (path !== undefined) {
    let pem: string;
    try {
      pem = readFileSync(path, "utf8");
    } catch (error) {
      throw new InputFileError(path, `cannot read the signing key (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
    return keyFromPem(pem, path);
  }
  const inline = env[SIGNING_KEY_ENV.Pem];
  if (inline) return keyFromPem(inline, SIGNING_KEY_ENV.Pem);
  if (target.kind === TARGET_KIND.Local) return ensureSigningKey(context.ssm(), target.names.signingKeyParameter);
  throw new UsageError(`no signing key: give --key <file>, or set ${SIGNING_KEY_ENV.File} or ${SIGNING_KEY_ENV.Pem}`);
}

function keyFromPem(pem: string, where: string): SigningKey {
  try {
    return signingKeyFromPrivatePem(pem);
  } catch (error) {
    throw new InputFileError(where, `not an Ed25519 private key PEM (${(error as Error).message})`);
  }
}
