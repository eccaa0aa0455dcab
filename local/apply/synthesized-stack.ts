/**
 * Finds cdktf.out/stacks/<stack>/cdk.tf.json and makes sure it is current: when it is missing or older
 * than any source (main.ts, modules/, functions/ and the libraries they import, web/, scripts/build.ts), runs the build (esbuild bundles)
 * and the synth first, under a lock so concurrent test files do not build at the same moment.
 */
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { silentLog, type Log } from "../../lib/logger.js";
import { DEPLOY_TARGET, STACK_ENV } from "../../modules/stack-config.js";
import { withFileLock } from "../file-lock.js";
import { StackNotFoundError, SynthesisError } from "./errors.js";
import type { StackDocument } from "./stack-document.js";

export const DEFAULT_STACK_NAME = "fleetota-dev";
const SOURCE_PATHS = ["main.ts", "modules", "functions", "campaigns", "telemetry", "contracts", "lib", "web", "scripts/build.ts", "cdktf.json", "package-lock.json"] as const;
const STEP_TIMEOUT_MS = 5 * 60_000;

export interface SynthesizedStack {
  stackName: string;
  stackDir: string;
  stackFile: string;
  document: StackDocument;
}

export interface SynthesizeOptions {
  projectRoot?: string;
  stackName?: string;
  log?: Log;
  /** `if-stale` (default) builds and synthesizes only when needed. */
  mode?: "if-stale" | "always" | "never";
}

function newestMtime(path: string): number {
  const stats = statSync(path, { throwIfNoEntry: false });
  if (!stats) return 0;
  if (!stats.isDirectory()) return stats.mtimeMs;
  let newest = 0;
  for (const entry of readdirSync(path)) {
    if (entry === "node_modules" || entry.startsWith(".")) continue;
    newest = Math.max(newest, newestMtime(join(path, entry)));
  }
  return newest;
}

/** True when the stack file is missing or older than a source it is made from. */
export function isStackStale(projectRoot: string, stackFile: string): boolean {
  const synthesized = statSync(stackFile, { throwIfNoEntry: false });
  if (!synthesized) return true;
  return SOURCE_PATHS.some((path) => newestMtime(join(projectRoot, path)) > synthesized.mtimeMs);
}

function runStep(projectRoot: string, script: string, log: Log): Promise<void> {
  const tsxCli = join(projectRoot, "node_modules", "tsx", "dist", "cli.mjs");
  // The stack for the emulator: its account in the ARNs, no account suffix on bucket names.
  const env = { ...process.env, [STACK_ENV.target]: DEPLOY_TARGET.local };
  return new Promise((resolveStep, reject) => {
    const child = spawn(process.execPath, [tsxCli, script], { cwd: projectRoot, env, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const collect = (chunk: Buffer): void => {
      output = (output + chunk.toString()).slice(-16_000);
    };
    child.stdout.on("data", collect);
    child.stderr.on("data", collect);
    const timer = setTimeout(() => child.kill("SIGKILL"), STEP_TIMEOUT_MS);
    child.on("error", (error) => reject(new SynthesisError(script, error.message)));
    child.on("close", (code) => {
      clearTimeout(timer);
      if (code === 0) {
        log.debug(`${script} done`, { output: output.trim() });
        resolveStep();
      } else reject(new SynthesisError(script, output || `exit code ${code}`));
    });
  });
}

function pickStackName(projectRoot: string, requested: string | undefined): string {
  if (requested) return requested;
  const stacksDir = join(projectRoot, "cdktf.out", "stacks");
  const existing = existsSync(stacksDir) ? readdirSync(stacksDir) : [];
  if (existing.includes(DEFAULT_STACK_NAME) || existing.length !== 1) return DEFAULT_STACK_NAME;
  return existing[0]!;
}

/**
 * Returns the current synthesized stack, building and synthesizing first when it is stale.
 *
 * @example
 * const { document, stackDir } = await ensureSynthesizedStack({ log });
 */
export async function ensureSynthesizedStack(options: SynthesizeOptions = {}): Promise<SynthesizedStack> {
  const projectRoot = resolve(options.projectRoot ?? join(import.meta.dirname, "..", ".."));
  const log = options.log ?? silentLog;
  const mode = options.mode ?? "if-stale";
  let stackName = pickStackName(projectRoot, options.stackName);
  let stackDir = join(projectRoot, "cdktf.out", "stacks", stackName);
  let stackFile = join(stackDir, "cdk.tf.json");

  if (mode === "always" || (mode === "if-stale" && isStackStale(projectRoot, stackFile))) {
    if (!existsSync(join(projectRoot, "main.ts"))) throw new StackNotFoundError(`${join(projectRoot, "main.ts")} (the cdktf app) does not exist yet`);
    await withFileLock(join(projectRoot, ".fleetota", "synth.lock"), async () => {
      if (mode === "if-stale" && !isStackStale(projectRoot, stackFile)) return;
      const started = performance.now();
      log.info("building the Lambda bundles and synthesizing the stack");
      await runStep(projectRoot, "scripts/build.ts", log);
      await runStep(projectRoot, "main.ts", log);
      log.info("stack synthesized", { milliseconds: Math.round(performance.now() - started) });
    });
    stackName = pickStackName(projectRoot, options.stackName);
    stackDir = join(projectRoot, "cdktf.out", "stacks", stackName);
    stackFile = join(stackDir, "cdk.tf.json");
  }
  if (!existsSync(stackFile)) throw new StackNotFoundError(`${stackFile} does not exist (is the stack named "${stackName}"?)`);
  return { stackName, stackDir, stackFile, document: JSON.parse(readFileSync(stackFile, "utf8")) as StackDocument };
}
