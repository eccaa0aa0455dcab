/**
 * `npm run bench` runs every bench/*.bench.ts, each in its own Node process (so one benchmark's heap
 * and JIT state do not colour the next), and prints what each reports.
 *
 *   npm run bench                     every benchmark
 *   npm run bench -- telemetry        only files whose name contains "telemetry"
 */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join, resolve } from "node:path";

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
let failed = 0;
for (const file of files) {
  console.log(`\n── ${file}`);
  const result = spawnSync(process.execPath, ["--import", "tsx", join(benchDir, file)], { stdio: "inherit", cwd: resolve(benchDir, "..") });
  if (result.status !== 0) {
    failed++;
    console.error(`✗ ${file} exited with ${result.status ?? result.signal}`);
  }
}
if (failed > 0) process.exitCode = 1;
