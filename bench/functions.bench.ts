/**
 * Each Lambda's deployed bundle: its size, and its cold initialisation (a fresh Node process importing
 * the bundle until its handler is exported, the part of a cold start the code controls), as a ratio to
 * a baseline bundle of the S3 client alone, built and timed the same way in this run.
 *
 *   npm run bench -- functions
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { ENV } from "../contracts/environment.js";
import { bundleLambda, lambdaDefaults, lambdaNames } from "../scripts/build.js";
import { recordFigure } from "./results.js";

const RUNS = 7;
const outdir = mkdtempSync(join(tmpdir(), "fleetota-bench-functions-"));
// Every variable the stack sets, with placeholder values: initialisation must not need AWS.
const environment = { ...process.env, AWS_REGION: "us-east-1", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true", ...Object.fromEntries(Object.values(ENV).map((name) => [name, `bench-${name.toLowerCase()}`])) };

/** Median milliseconds for a fresh process to import `bundle` and find its `handler`. */
function coldInitMs(bundle: string): number {
  const probe = `const t = performance.now(); const m = await import(${JSON.stringify(bundle)}); if (typeof m.handler !== "function" && !m.default) throw new Error("no handler"); console.log(performance.now() - t);`;
  const times = Array.from({ length: RUNS }, () => {
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", probe], { env: environment, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`${bundle}: ${result.stderr}`);
    return Number(result.stdout.trim());
  }).sort((a, b) => a - b);
  return times[Math.floor(RUNS / 2)]!;
}

const baselineSource = join(outdir, "baseline.ts");
writeFileSync(baselineSource, 'import { S3Client } from "@aws-sdk/client-s3";\nexport const handler = async () => new S3Client({}).config.region;\n');
const baseline = join(outdir, "baseline", "index.mjs");
await build({ ...lambdaDefaults, entryPoints: [baselineSource], outfile: baseline, nodePaths: [join(import.meta.dirname, "..", "node_modules")] });
const baselineMs = coldInitMs(baseline);
console.log(`baseline (S3 client alone): ${(statSync(baseline).size / 1024).toFixed(0)} KiB, cold init ${baselineMs.toFixed(1)} ms (median of ${RUNS})`);

for (const name of lambdaNames()) {
  const bundle = await bundleLambda(name, outdir);
  const kib = statSync(bundle).size / 1024;
  const initMs = coldInitMs(bundle);
  console.log(`${name.padEnd(22)} ${kib.toFixed(0).padStart(6)} KiB  cold init ${initMs.toFixed(1)} ms = ${(initMs / baselineMs).toFixed(2)}× the baseline`);
  recordFigure({ name: `${name}: bundle size`, value: kib, unit: "KiB" });
  recordFigure({ name: `${name}: cold init vs S3-client-only bundle`, value: initMs / baselineMs, unit: "ratio" });
  recordFigure({ name: `${name}: cold init`, value: initMs, unit: "ms" });
}
