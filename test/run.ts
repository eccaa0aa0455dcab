/**
 * Runs the uvu suites (unit, stack, integration, reliability, browser), each file in its own Node process, several at
 * once, and ends with the plain line `N passed, N failed` that CI reads. Exits non-zero when a test
 * failed, a file crashed, or no test ran at all.
 *
 * Files run in parallel within bounds: at most `--jobs` processes in all (default: CPUs + 2), per
 * kind at most its own limit (unit and stack files are short CPU-bound processes: one per CPU;
 * integration files, each with its own local cloud: 2; browser files share one chromium: 1; any other
 * kind: 1), and the two end-to-end campaigns never beside each other (each keeps a core busy for minutes).
 * The longest files start first (durations of the last run on this machine in
 * .fleetota/test-timings.json; in a fresh clone, the known slow files' usual durations), so the slowest
 * file does not start last. Each file prints its line when it ends.
 *
 *   npm test                 every kind
 *   npm test -- unit stack   only those kinds
 *   npm test -- --filter vin only files whose path from the repository root contains "vin" (also: npx tsx test/run.ts -- --filter vin)
 *   npm test -- --jobs 1     one file at a time, kind by kind, in path order (as before)
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { join, relative, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const root = resolve(import.meta.dirname, "..");
const KINDS = ["unit", "stack", "integration", "reliability", "browser"] as const;
type Kind = (typeof KINDS)[number];
const FILE_TIMEOUT_MS = 15 * 60_000;
const CPUS = availableParallelism();
/** Per-kind limit on files running at once; a kind not listed runs one at a time. */
// Integration files two at a time (three local clouds starting at once failed their start-up hooks on a heavily loaded machine).
const KIND_CONCURRENCY: Readonly<Record<string, number>> = { unit: CPUS, stack: CPUS, integration: 2, browser: 1 };
/** Files whose path contains the key run one at a time among themselves, whatever their kind's limit. */
const GROUP_CONCURRENCY: Readonly<Record<string, number>> = { "/e2e-campaign/": 1 };
/**
 * Without recorded timings (a fresh clone): the usual seconds of the files known to take longest, so they
 * start first (matched on the path); other files guess 100 s (integration) or 10 s.
 */
const KNOWN_SLOW: Readonly<Record<string, number>> = {
  "e2e-campaign/campaign-completes": 355,
  "e2e-campaign/failure-pause": 310,
  "apply-vs-terraform": 285,
  "stack/checkov": 225,
  "/real-run": 205,
  "reliability/faults": 85,
  "redrive-telemetry": 75,
  "stack/terraform": 60,
};
const TIMINGS_FILE = join(root, ".fleetota", "test-timings.json");
const BEFORE_HOOK_ERRORS = pathToFileURL(join(root, "test", "uvu-before-errors.mjs")).href;

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
    const child = spawn(process.execPath, ["--import", "tsx", "--import", BEFORE_HOOK_ERRORS, file], {
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
function ensureChromium(): Promise<boolean> {
  return new Promise((resolveReady) => {
    const child = spawn("bash", [join(root, "scripts", "ensure-chromium.sh")], { cwd: root, stdio: "inherit" });
    child.on("close", (code) => resolveReady(code === 0));
    child.on("error", () => resolveReady(false));
  });
}

function readTimings(): Record<string, number> {
  try {
    return JSON.parse(readFileSync(TIMINGS_FILE, "utf8")) as Record<string, number>;
  } catch {
    return {};
  }
}

function writeTimings(timings: Record<string, number>): void {
  try {
    mkdirSync(join(root, ".fleetota"), { recursive: true });
    writeFileSync(TIMINGS_FILE, `${JSON.stringify(timings, null, 1)}\n`);
  } catch {
    // Only an ordering hint for the next run.
  }
}

interface PendingFile {
  kind: string;
  file: string;
  /** Expected seconds: last run's, or a guess that puts known-slow files first. */
  expected: number;
}

/**
 * Runs the files under the global and per-kind limits, longest expected first, and reports each as it
 * ends. With one job, files run kind by kind in path order.
 */
async function runAll(
  pending: PendingFile[],
  jobs: number,
  onDone: (entry: PendingFile, result: FileResult, seconds: number) => void,
): Promise<void> {
  const queue = jobs === 1 ? [...pending] : [...pending].sort((a, b) => b.expected - a.expected);
  const running = new Map<string, number>();
  const groupOf = (entry: PendingFile): string | undefined => Object.keys(GROUP_CONCURRENCY).find((part) => entry.file.includes(part));
  let active = 0;
  let chromium: Promise<boolean> | undefined;
  await new Promise<void>((allDone) => {
    const startNext = (): void => {
      if (queue.length === 0 && active === 0) return allDone();
      for (let index = 0; index < queue.length && active < jobs; ) {
        const entry = queue[index]!;
        const limit = jobs === 1 ? 1 : (KIND_CONCURRENCY[entry.kind] ?? 1);
        const group = groupOf(entry);
        if ((running.get(entry.kind) ?? 0) >= limit || (group !== undefined && (running.get(group) ?? 0) >= GROUP_CONCURRENCY[group]!)) {
          index++;
          continue;
        }
        queue.splice(index, 1);
        active++;
        running.set(entry.kind, (running.get(entry.kind) ?? 0) + 1);
        if (group !== undefined) running.set(group, (running.get(group) ?? 0) + 1);
        void (async () => {
          const started = performance.now();
          let result: FileResult;
          if (entry.kind === "browser" && !(await (chromium ??= ensureChromium()))) {
            result = { file: relative(root, entry.file), passed: 0, failed: 1, skipped: 0, output: "chromium is unavailable (see the message above)", exitCode: null };
          } else {
            result = await runFile(entry.file);
          }
          onDone(entry, result, (performance.now() - started) / 1000);
          active--;
          running.set(entry.kind, running.get(entry.kind)! - 1);
          if (group !== undefined) running.set(group, running.get(group)! - 1);
          startNext();
        })();
      }
    };
    startNext();
  });
}

async function main(): Promise<void> {
  // `npm test -- --filter x` arrives without the `--`; `npx tsx test/run.ts -- --filter x` with it, which
  // parseArgs would take as the end of the options (and `--filter` as a test kind).
  const args = process.argv.slice(2);
  if (args[0] === "--") args.shift();
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { filter: { type: "string" }, verbose: { type: "boolean", short: "v" }, jobs: { type: "string", short: "j" } },
  });
  const kinds = (positionals.length ? positionals : KINDS) as Kind[];
  for (const kind of kinds) {
    if (!KINDS.includes(kind)) throw new Error(`unknown test kind "${kind}" (expected one of ${KINDS.join(", ")})`);
  }
  const jobs = Number(values.jobs ?? process.env.FLEETOTA_TEST_JOBS ?? CPUS + 2);
  if (!Number.isInteger(jobs) || jobs < 1) throw new Error(`--jobs must be a positive whole number (got "${values.jobs ?? process.env.FLEETOTA_TEST_JOBS}")`);
  const timings = readTimings();
  const pending: PendingFile[] = kinds.flatMap((kind) =>
    testFiles(join(root, "test", kind))
      // Matched against the path from the repository root: a checkout whose own path holds the filter would match every file.
      .filter((f) => !values.filter || relative(root, f).includes(values.filter))
      .map((file) => {
        const rel = relative(root, file);
        const known = Object.entries(KNOWN_SLOW).find(([part]) => rel.includes(part))?.[1];
        const guess = known ?? (kind === "integration" ? 100 : 10);
        return { kind, file, expected: timings[rel] ?? guess };
      }),
  );
  const totals = { passed: 0, failed: 0, skipped: 0 };
  const started = performance.now();
  if (pending.length > 0) {
    const counts = kinds
      .map((kind) => [kind, pending.filter((entry) => entry.kind === kind).length] as const)
      .filter(([, count]) => count > 0)
      .map(([kind, count]) => `${count} ${kind}`)
      .join(", ");
    console.log(`\n── ${pending.length} file${pending.length === 1 ? "" : "s"} (${counts}), up to ${jobs} at once`);
  }
  await runAll(pending, jobs, (entry, result, seconds) => {
    const mark = result.failed ? "✗" : "✓";
    console.log(`${mark} ${result.file}  ${result.passed} passed, ${result.failed} failed  (${seconds.toFixed(1)}s)`);
    if (result.failed || values.verbose) console.log(result.output.replace(ANSI, "").trimEnd().replace(/^/gm, "    "));
    totals.passed += result.passed;
    totals.failed += result.failed;
    totals.skipped += result.skipped;
    timings[result.file] = Math.round(seconds * 10) / 10;
  });
  if (pending.length > 0) writeTimings(timings);
  console.log("");
  if (totals.passed + totals.failed === 0) {
    console.log("no test ran");
    console.log("0 passed, 0 failed");
    process.exitCode = 1;
    return;
  }
  console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
  console.log(`${totals.passed} passed, ${totals.failed} failed${totals.skipped ? `, ${totals.skipped} skipped` : ""}`);
  if (totals.failed > 0) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error);
  console.log("0 passed, 1 failed");
  process.exitCode = 1;
});
