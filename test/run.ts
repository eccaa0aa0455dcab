/**
 * Runs the uvu suites kind by kind (unit, stack, integration, browser), each file in its own Node
 * process, and ends with the plain line `N passed, N failed` that CI reads. Exits non-zero when a test
 * failed, a file crashed, or no test ran at all.
 *
 *   npm test                 every kind
 *   npm test -- unit stack   only those kinds
 *   npm test -- --filter vin only files whose path contains "vin"
 */
import { spawn, spawnSync } from "node:child_process";
import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const KINDS = ["unit", "stack", "integration", "browser"] as const;
type Kind = (typeof KINDS)[number];
const FILE_TIMEOUT_MS = 15 * 60_000;

interface FileResult {
  file: string;
  passed: number;
  failed: number;
  skipped: number;
  output: string;
  exitCode: number | null;
}

function testFiles(dir: string): string[] {
  let entries: string[];
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.sort().flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) return entry === "support" ? [] : testFiles(path);
    return entry.endsWith(".test.ts") ? [path] : [];
  });
}

const ANSI = /\u001b\[[0-9;]*m/g;

/** Reads uvu's own per-process summary ("Total: 3 / Passed: 2 / Skipped: 0"). */
export function parseUvuSummary(output: string): { total: number; passed: number; skipped: number } | undefined {
  const plain = output.replace(ANSI, "");
  const total = /Total:\s+(\d+)/.exec(plain);
  const passed = /Passed:\s+(\d+)/.exec(plain);
  const skipped = /Skipped:\s+(\d+)/.exec(plain);
  if (!total || !passed) return undefined;
  return { total: Number(total[1]), passed: Number(passed[1]), skipped: skipped ? Number(skipped[1]) : 0 };
}

function runFile(file: string): Promise<FileResult> {
  return new Promise((resolveResult) => {
    const child = spawn(process.execPath, ["--import", "tsx", file], {
      cwd: root,
      env: { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk));
    child.stderr.on("data", (chunk: Buffer) => (output += chunk));
    const timer = setTimeout(() => {
      output += `\n[test runner] ${relative(root, file)} exceeded ${FILE_TIMEOUT_MS / 60_000} min, killed\n`;
      child.kill("SIGKILL");
    }, FILE_TIMEOUT_MS);
    child.on("close", (exitCode) => {
      clearTimeout(timer);
      const summary = parseUvuSummary(output);
      const rel = relative(root, file);
      if (!summary) {
        resolveResult({ file: rel, passed: 0, failed: 1, skipped: 0, output, exitCode });
        return;
      }
      let failed = summary.total - summary.passed - summary.skipped;
      if (failed === 0 && exitCode !== 0) failed = 1; // crashed after its summary
      resolveResult({ file: rel, passed: summary.passed, failed, skipped: summary.skipped, output, exitCode });
    });
  });
}

/** Browser tests drive Debian's chromium; scripts/ensure-chromium.sh installs it once when missing. */
function ensureChromium(): boolean {
  const result = spawnSync("bash", [join(root, "scripts", "ensure-chromium.sh")], { cwd: root, stdio: "inherit" });
  return result.status === 0;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { filter: { type: "string" }, verbose: { type: "boolean", short: "v" } },
  });
  const kinds = (positionals.length ? positionals : KINDS) as Kind[];
  for (const kind of kinds) {
    if (!KINDS.includes(kind)) throw new Error(`unknown test kind "${kind}" (expected one of ${KINDS.join(", ")})`);
  }
  const totals = { passed: 0, failed: 0, skipped: 0 };
  for (const kind of kinds) {
    const files = testFiles(join(root, "test", kind)).filter((f) => !values.filter || f.includes(values.filter));
    if (files.length === 0) continue;
    console.log(`\n── ${kind} (${files.length} files)`);
    if (kind === "browser" && !ensureChromium()) {
      console.log(`✗ browser tests not run: chromium is unavailable (see the message above)`);
      totals.failed += 1;
      continue;
    }
    for (const file of files) {
      const started = performance.now();
      const result = await runFile(file);
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      const mark = result.failed ? "✗" : "✓";
      console.log(`${mark} ${result.file}  ${result.passed} passed, ${result.failed} failed  (${seconds}s)`);
      if (result.failed || values.verbose) console.log(result.output.replace(ANSI, "").trimEnd().replace(/^/gm, "    "));
      totals.passed += result.passed;
      totals.failed += result.failed;
      totals.skipped += result.skipped;
    }
  }
  console.log("");
  if (totals.passed + totals.failed === 0) {
    console.log("no test ran");
    console.log("0 passed, 0 failed");
    process.exitCode = 1;
    return;
  }
  console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
  if (totals.failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
});
