/** The README's figures are generated: the block between the markers is replaced, nothing else. */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { meetsGoal } from "../../../bench/results.js";
import { AWS_LATENCY } from "../../../cost/aws-latency.js";
import { LAMBDA_MB_PER_VCPU, MINUTES_PER_MONTH, type MeasuredProfile } from "../../../cost/model.js";
import { PRICES } from "../../../cost/prices.js";
import { usd } from "../../../cost/report.js";
import { DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS } from "../../../modules/data-lake-storage.js";
import { defaults as stackDefaults } from "../../../modules/stack-config.js";
import { ReadmeMarkersError, renderFigures, replaceFigures, type BenchResults } from "../../../scripts/readme-figures.js";
import { profile } from "../cost/support/profile.js";

const results = {
  date: "2026-12-01T20:00:00.000Z",
  cpus: 2,
  node: "v20.20.2",
  figures: [
    { bench: "telemetry-processor", name: "core vs bare limit", value: 0.78, unit: "ratio", goal: "≥ 0.75" },
    { bench: "cost", name: "per vehicle update", value: 0.0002, unit: "$", goal: "≤ 0.0001" },
    { bench: "build", name: "update-manager bundle", value: 1530.9, unit: "KiB" },
  ],
};

test("goals are read as ≥ or ≤ thresholds; a figure without one has no verdict", () => {
  assert.is(meetsGoal(results.figures[0]!), true);
  assert.is(meetsGoal(results.figures[1]!), false);
  assert.is(meetsGoal(results.figures[2]!), undefined);
});

test("the generated block holds every figure with its verdict, and the cost report", () => {
  const block = renderFigures(results, profile());
  assert.match(block, "| telemetry-processor | core vs bare limit | 0.78 | ratio | ≥ 0.75 | yes |");
  assert.match(block, "| cost | per vehicle update | 0.00020 | $ | ≤ 0.0001 | **no** |");
  assert.match(block, "| build | update-manager bundle | 1531 | KiB |  |  |");
  assert.match(block, "$ per vehicle update:");
});

test("only the block between the markers is replaced", () => {
  const block = renderFigures(results);
  const readme = `# Title\n\nbefore\n${renderFigures({ ...results, figures: [] })}\nafter\n`;
  const updated = replaceFigures(readme, block);
  assert.ok(updated.startsWith("# Title\n\nbefore\n"));
  assert.ok(updated.endsWith("\nafter\n"));
  assert.match(updated, "update-manager bundle");
  assert.throws(() => replaceFigures("# no markers", block), (error: unknown) => error instanceof ReadmeMarkersError);
});

test("the README's block is exactly what the generator makes of bench/results.json and cost/measured-profile.json (a hand edit fails here)", () => {
  const root = resolve(import.meta.dirname, "../../..");
  const read = (path: string) => readFileSync(resolve(root, path), "utf8");
  const readme = read("README.md");
  const generated = replaceFigures(readme, renderFigures(JSON.parse(read("bench/results.json")) as BenchResults, JSON.parse(read("cost/measured-profile.json")) as MeasuredProfile));
  assert.is(readme, generated, "README.md's bench block differs from the generator's: run `npx tsx scripts/readme-figures.ts`");
});

test("the figures the prose reasons with are generated from the results and the profile, and follow them", () => {
  const full = { ...results, wallSeconds: 759, secondsByBenchmark: { cost: 128, "telemetry-e2e": 224 } };
  const block = renderFigures(full, profile());
  assert.match(block, "took 12 min 39 s on this 2-CPU machine");
  assert.match(block, "telemetry-e2e 224 s, cost 128 s");
  for (const line of ["**Front doors at 10,000 vehicles.**", "**Per hourly object, S3 front door**", "**Batching, hourly uploads**", "**Retention, 100,000 vehicles hourly:**"]) assert.match(block, line);
  // A dearer S3 PUT in the profile's usage moves the per-object line: nothing in it is fixed text.
  const dearer = profile();
  const more = renderFigures(full, { ...dearer, telemetry: { ...dearer.telemetry, perObject: { ...dearer.telemetry.perObject, s3Put: 2 * dearer.telemetry.perObject.s3Put } } });
  const perObjectLine = (text: string) => text.split("\n").find((line) => line.includes("Per hourly object"));
  assert.is.not(perObjectLine(more), perObjectLine(block));
  // Without timings or a profile there is nothing to reason with, and no section for it.
  assert.not.match(renderFigures(results), "Read from these figures");
});

test("the processor memory line is derived from the worst batch the cost benchmark recorded", () => {
  const withWorst = {
    ...results,
    figures: [
      ...results.figures,
      { bench: "cost", name: "processor without network: peak RSS, worst batch (1000000 records)", value: 300, unit: "MB" },
      { bench: "cost", name: "processor without network: worst batch at 512 MB's CPU share", value: 20, unit: "s" },
    ],
  };
  const cpuSeconds = 20 * (512 / LAMBDA_MB_PER_VCPU);
  const block = renderFigures(withWorst, { ...profile(), processorCpu: { secondsPerInvocation: 0.008, secondsPerObject: 0.003, secondsPerRecord: 5e-6, objectsInFlight: 10, memoryMb: 512 } });
  assert.match(block, `peaked at 300 MB and took ${cpuSeconds.toFixed(1)} CPU-seconds`);
  assert.match(block, `${(cpuSeconds / (384 / LAMBDA_MB_PER_VCPU)).toFixed(0)} s at 384 MB`);
});

test("the dashboard publisher memory line is derived from its benchmark's figures and the configured memory", () => {
  const prefix = "dashboard publisher at 100,000 vehicles";
  const figures = [
    [`${prefix}, steady, entries ordinary: peak RSS`, 140],
    [`${prefix}, flood of 300k gateway VINs, entries ordinary: peak RSS`, 180],
    [`${prefix}, steady, entries at the limit: peak RSS`, 190],
    [`${prefix}, flood of 300k gateway VINs, entries at the limit: peak RSS`, 250],
    [`${prefix}, steady, entries at the limit: peak heap`, 127],
    [`${prefix}, flood of 300k gateway VINs, entries at the limit: peak heap`, 157],
    [`${prefix}, flood of 300k gateway VINs, entries at the limit: seconds at 512 MB's CPU share`, 17],
    [`${prefix}, steady, entries ordinary: seconds at 512 MB's CPU share`, 6],
  ] as const;
  const withPublisher = { ...results, figures: [...results.figures, ...figures.map(([name, value]) => ({ bench: "dashboard-publisher-memory", name, value, unit: "MB" }))] };
  const { memoryMb } = stackDefaults.functions.dashboardPublisher;

  const block = renderFigures(withPublisher, { ...profile(), publisherCompute: { gbSecondsPerMinute: 0.04, memoryMb: 256 } });
  const partial = renderFigures({ ...withPublisher, figures: withPublisher.figures.filter((figure) => !figure.name.includes("peak heap")) });

  assert.match(block, `**Dashboard publisher memory** (${memoryMb} MB`);
  assert.match(block, "peak RSS 140 MB in a steady minute and 180 MB under a gateway's flood");
  assert.match(block, "190 and 250 MB with every string at the schema's limit (peak heap 127 and 157 MB)");
  assert.match(block, `takes 17 s at ${memoryMb} MB's CPU share`);
  assert.match(block, `with the publisher at ${memoryMb} MB (`);
  assert.match(block, `A steady minute at the cap takes 6 s at that share, about ${usd(6 * (memoryMb / 1024) * MINUTES_PER_MONTH * PRICES.lambdaGbSecond.usd)} a month of compute`);
  assert.not.match(partial, "Dashboard publisher memory", "a run without every case adds no line");
});

test("the inputs the README's prose states are the code's constants", () => {
  const readme = readFileSync(resolve(import.meta.dirname, "../../../README.md"), "utf8");
  const section = readme.slice(readme.indexOf("## Performance and cost"), readme.indexOf("## Local fidelity"));
  assert.match(section, `the processor's ${stackDefaults.functions.telemetryProcessor.memoryMb} MB (one vCPU at ${LAMBDA_MB_PER_VCPU.toLocaleString("en-US")} MB)`);
  assert.match(section, `DynamoDB ${AWS_LATENCY.dynamoDb.ms} ms`);
  assert.match(section, `S3 ${AWS_LATENCY.s3.ms} ms`);
  assert.match(section, `${stackDefaults.telemetryRetentionDays} by default`);
  assert.match(section, `${DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS} days as\nnoncurrent versions`);
});

test.run();
