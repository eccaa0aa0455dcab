/**
 * Real Terraform for the tests that run it: finds the `terraform` binary and the AWS provider in a local
 * plugin mirror (no network), writes the CLI configuration that points at the mirror, and runs commands.
 * Where either is missing, `findTerraform()` says why, so a test can skip with that reason.
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

export const PLUGIN_MIRROR = process.env.FLEETOTA_TF_PLUGIN_MIRROR ?? "/opt/tf-plugins";
const AWS_PROVIDER_DIR = join(PLUGIN_MIRROR, "registry.terraform.io", "hashicorp", "aws");

export type TerraformSetup = { available: true; providerVersion: string } | { available: false; reason: string };

/**
 * The mirrored AWS provider version to use (the newest of `preferredMajor`, else the newest there is),
 * or why Terraform cannot run here.
 *
 * @example
 * const setup = findTerraform("6");
 * if (!setup.available) console.log(`skipped: ${setup.reason}`);
 */
export function findTerraform(preferredMajor: string): TerraformSetup {
  if (spawnSync("terraform", ["version"], { stdio: "ignore" }).status !== 0) return { available: false, reason: "no terraform binary on PATH" };
  if (!existsSync(AWS_PROVIDER_DIR)) return { available: false, reason: `no hashicorp/aws provider in the plugin mirror ${PLUGIN_MIRROR}` };
  const versions = readdirSync(AWS_PROVIDER_DIR).sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
  const providerVersion = versions.filter((version) => version.startsWith(`${preferredMajor}.`)).at(-1) ?? versions.at(-1);
  if (!providerVersion) return { available: false, reason: `the plugin mirror ${PLUGIN_MIRROR} holds no hashicorp/aws version` };
  return { available: true, providerVersion };
}

/** Writes a CLI configuration into `dir` that installs hashicorp/aws from the mirror only; returns its path. */
export function writeCliConfig(dir: string): string {
  const path = join(dir, "terraformrc");
  writeFileSync(
    path,
    `provider_installation {\n  filesystem_mirror {\n    path = "${PLUGIN_MIRROR}"\n    include = ["registry.terraform.io/hashicorp/aws"]\n  }\n}\n`,
  );
  return path;
}

export interface TerraformResult {
  /** Exit code; null when killed (timeout). */
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs one terraform command in `cwd` with the mirror's CLI configuration, no prompts, no version check.
 * Asynchronous on purpose: a test's own child processes (the emulator's log pipe) keep being served.
 *
 * @example
 * const init = await runTerraform(["init", "-backend=false", "-input=false", "-no-color"], dir, cliConfig);
 */
export function runTerraform(args: string[], cwd: string, cliConfig: string, timeoutMs = 120_000): Promise<TerraformResult> {
  return new Promise((resolveResult, reject) => {
    const child = spawn("terraform", args, {
      cwd,
      stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, TF_CLI_CONFIG_FILE: cliConfig, TF_IN_AUTOMATION: "1", CHECKPOINT_DISABLE: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      stderr += `\n(terraform ${args[0]} killed after ${Math.round(timeoutMs / 1000)} s)`;
      child.kill("SIGTERM");
    }, timeoutMs);
    child.on("error", (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (status) => {
      clearTimeout(timer);
      resolveResult({ status, stdout, stderr });
    });
  });
}
