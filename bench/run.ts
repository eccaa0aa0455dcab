/**
 * `npm run bench` runs every bench/*.bench.ts, each in its own Node process (so one benchmark's heap
 * and JIT state do not colour the next), gathers the figures they record (bench/results.ts) into
 * bench/results.json with the machine's CPU count, Node version and the date, and prints one table.
 *
 *   npm run bench                     every benchmark
 *   npm run bench -- telemetry        only files whose name contains "telemetry"
 */
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { formatTable } from "../cli/output.js";
import { updateReadmeFigures } from "../scripts/readme-figures.js";
import { meetsGoal, RESULTS_FILE_VARIABLE, type BenchFigure } from "./results.js";

const benchDir = resolve(import.meta.dirname);
const filters = process.argv.slice(2);
const files = readdirSync(benchDir)
  .filter((name) => name.endsWith(".bench.ts"))
  .filter((name) => filters.length === 0 || filters.some((filter) => name.includes(filter)))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${filters.join(", ") || "bench/*.bench.ts"}`);
  process.exitCode = 1;
}
const figuresFile = join(tmpdir(), `fleetota-bench-${process.pid}.jsonl`);
rmSync(figuresFile, { force: true });
const started = performance.now();
let failed = 0;
/** Wall-clock seconds each benchmark took, so the 15-minute budget can be checked and the slow one found. */
const secondsByBenchmark: Record<string, number> = {};
for (const file of files) {
  console.log(`\n── ${file}`);
  const fileStarted = performance.now();
  const result = spawnSync(process.execPath, ["--import", "tsx", join(benchDir, file)], {
    stdio: "inherit",
    cwd: resolve(benchDir, ".."),
    env: { ...process.env, [RESULTS_FILE_VARIABLE]: figuresFile, FLEETOTA_BENCH_NAME: file.replace(/\.bench\.ts$/, "") },
  });
  secondsByBenchmark[file.replace(/\.bench\.ts$/, "")] = Math.round((performance.now() - fileStarted) / 1000);
  if (result.status !== 0) {
    failed++;
    console.error(`✗ ${file} exited with ${result.status ?? result.signal}`);
  }
}

const figures = existsSync(figuresFile)
  ? readFileSync(figuresFile, "utf8").trim().split("\n").filter(Boolean).map((line) => JSON.parse(line) as BenchFigure & { bench: string })
  : [];
rmSync(figuresFile, { force: true });
if (figures.length > 0) {
  const results = {
    date: new Date().toISOString(),
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    node: process.version,
    benchmarks: files.map((file) => file.replace(/\.bench\.ts$/, "")),
    wallSeconds: Math.round((performance.now() - started) / 1000),
    secondsByBenchmark,
    figures,
  };
  // A partial run (filtered) updates only its own benchmarks' figures in the checked-in file.
  const path = join(benchDir, "results.json");
  // The run's wall time stays the last full run's; each benchmark's own seconds are updated.
  if (filters.length > 0 && existsSync(path)) {
    const previous = JSON.parse(readFileSync(path, "utf8")) as typeof results;
    results.figures = [...previous.figures.filter((figure) => !results.benchmarks.includes(figure.bench)), ...figures];
    results.secondsByBenchmark = { ...previous.secondsByBenchmark, ...secondsByBenchmark };
    results.benchmarks = [...new Set([...previous.benchmarks, ...results.benchmarks])].sort();
    results.wallSeconds = previous.wallSeconds;
  }
  writeFileSync(path, `${JSON.stringify(results, null, 2)}\n`);
  const format = (value: number) => (Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toPrecision(2));
  console.log(`\n${figures.length} figures (${results.cpus} CPUs, Node ${results.node}, ${results.wallSeconds} s) → bench/results.json`);
  const rows = figures.map((figure) => {
    const met = meetsGoal(figure);
    return { benchmark: figure.bench, figure: figure.name, value: format(figure.value), unit: figure.unit, goal: figure.goal ?? "", met: met === undefined ? "" : met ? "yes" : "NO" };
  });
  for (const line of formatTable(rows, ["benchmark", "figure", "value", "unit", "goal", "met"])) console.log(line);
  updateReadmeFigures();
  console.log("README.md: performance and cost figures regenerated");
}
if (failed > 0) process.exitCode = 1;
