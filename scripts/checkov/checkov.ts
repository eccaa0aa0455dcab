/**
 * checkov (pinned, in its own virtual environment under .fleetota/, installed once by the same step
 * that installs the emulator) run with `--framework terraform_json` on a synthesized stack, and the
 * project's skip file (checkov-skips.yaml: each check that does not fit, with its reason) applied to
 * the result: what is left failing is a real finding.
 *
 * Its own venv, not the emulator's: checkov 3.3 pins botocore 1.35, and installing it next to moto
 * downgrades the botocore moto runs on (measured: 1.43.11 → 1.35.99).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { parse } from "yaml";
import { ensurePythonTool, type EmulatorOptions, type PythonTool } from "../../local/emulator.js";

export const CHECKOV_VERSION = "3.3.30";
export const CHECKOV_TOOL: PythonTool = {
  venvName: "checkov-venv",
  requirement: `checkov==${CHECKOV_VERSION}`,
  systemSitePackages: false,
  markerName: `checkov-${CHECKOV_VERSION}`,
};
const projectRoot = resolve(import.meta.dirname, "..", "..");
export const SKIP_FILE = join(projectRoot, "checkov-skips.yaml");

export interface CheckovFinding {
  readonly checkId: string;
  readonly checkName: string;
  /** Terraform address, e.g. `aws_sns_topic.alarm_topic`. */
  readonly resource: string;
}

export interface CheckovSkip {
  readonly id: string;
  /** Why the check does not fit this stack (required). */
  readonly reason: string;
  /** Only these resource addresses; all when absent. */
  readonly resources?: readonly string[];
}

export interface CheckovReport {
  readonly version: string;
  readonly passed: number;
  readonly failed: readonly CheckovFinding[];
  readonly skipped: ReadonlyArray<CheckovFinding & { readonly reason: string }>;
  /** Skip entries that matched no failure (stale: the check now passes or is gone). */
  readonly unusedSkips: readonly CheckovSkip[];
  readonly seconds: number;
}

export class CheckovSkipFileError extends Error {
  override readonly name = "CheckovSkipFileError";
}

export class CheckovRunError extends Error {
  override readonly name = "CheckovRunError";
}

/**
 * Reads and checks the skip file: every entry has a check id and a written reason.
 *
 * @example
 * parseSkips("id: CKV_AWS_117\nreason: …") // throws: the file holds a list
 */
export function parseSkips(text: string): CheckovSkip[] {
  const entries = parse(text) as unknown;
  if (!Array.isArray(entries)) throw new CheckovSkipFileError("checkov-skips.yaml must be a list of { id, reason, resources? }");
  return entries.map((entry: Record<string, unknown>, index) => {
    const id = entry?.id;
    const reason = typeof entry?.reason === "string" ? entry.reason.trim() : "";
    if (typeof id !== "string" || !/^CKV2?_[A-Z]+_\d+$/.test(id)) throw new CheckovSkipFileError(`entry ${index + 1}: "id" must be a checkov check id, got ${JSON.stringify(id)}`);
    if (reason.length < 30) throw new CheckovSkipFileError(`entry ${index + 1} (${id}): a skip needs a written reason (30+ characters)`);
    const resources = entry.resources === undefined ? undefined : (entry.resources as unknown[]).map(String);
    return { id, reason, ...(resources ? { resources } : {}) };
  });
}

/**
 * Splits checkov's failures into skipped (by the skip file) and still failing, and finds stale skips.
 *
 * @example
 * applySkips(failures, [{ id: "CKV_AWS_117", reason: "…" }])
 */
export function applySkips(failures: readonly CheckovFinding[], skips: readonly CheckovSkip[]): Pick<CheckovReport, "failed" | "skipped" | "unusedSkips"> {
  const used = new Set<CheckovSkip>();
  const failed: CheckovFinding[] = [];
  const skipped: Array<CheckovFinding & { reason: string }> = [];
  for (const finding of failures) {
    const skip = skips.find((candidate) => candidate.id === finding.checkId && (!candidate.resources || candidate.resources.includes(finding.resource)));
    if (skip) {
      used.add(skip);
      skipped.push({ ...finding, reason: skip.reason });
    } else failed.push(finding);
  }
  return { failed, skipped, unusedSkips: skips.filter((skip) => !used.has(skip)) };
}

function run(command: string, args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(command, args, { cwd, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, LOG_LEVEL: "ERROR", BC_SKIP_MAPPING: "TRUE" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk).slice(-8_000)));
    child.on("error", reject);
    child.on("close", (code) => resolveRun({ code, stdout, stderr }));
  });
}

interface CheckovJson {
  summary: { passed: number; failed: number; checkov_version: string };
  results: { failed_checks?: Array<{ check_id: string; check_name: string; resource: string }> };
}

/**
 * Installs checkov once (pinned), runs it on the synthesized stack JSON and applies the skip file.
 *
 * @example
 * const report = await runCheckov(stack.json);
 * report.failed // [] on a clean stack
 */
export async function runCheckov(stackJson: unknown, options: EmulatorOptions & { skips?: readonly CheckovSkip[] } = {}): Promise<CheckovReport> {
  const python = await ensurePythonTool(CHECKOV_TOOL, options);
  const checkov = join(dirname(python), "checkov");
  const dir = mkdtempSync(join(tmpdir(), "fleetota-checkov-"));
  try {
    writeFileSync(join(dir, "cdk.tf.json"), JSON.stringify(stackJson, null, 1));
    const started = performance.now();
    const result = await run(checkov, ["--directory", dir, "--framework", "terraform_json", "--output", "json", "--compact", "--skip-download"], dir);
    const seconds = (performance.now() - started) / 1000;
    // checkov exits 1 when a check failed; anything else without JSON is a crash.
    let parsed: CheckovJson;
    try {
      const json = JSON.parse(result.stdout) as CheckovJson | CheckovJson[];
      parsed = Array.isArray(json) ? json[0]! : json;
    } catch {
      throw new CheckovRunError(`checkov gave no report (exit ${result.code}): ${result.stderr.trim() || result.stdout.slice(0, 2_000)}`);
    }
    const failures = (parsed.results.failed_checks ?? []).map((check) => ({ checkId: check.check_id, checkName: check.check_name, resource: check.resource }));
    const skips = options.skips ?? parseSkips(readFileSync(SKIP_FILE, "utf8"));
    return { version: parsed.summary.checkov_version, passed: parsed.summary.passed, seconds, ...applySkips(failures, skips) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
