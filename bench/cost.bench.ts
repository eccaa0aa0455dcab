/**
 * The cost model's measured profile, counted on the local cloud: every AWS request that passes the front
 * door (by caller, service and operation, DynamoDB capacity units and GetMetricData metrics from the
 * bodies) and every function's GB-seconds, in three phases:
 *   1. telemetry: the simulated fleet uploads for a few minutes → usage per object;
 *   2. one scheduled minute: the rollout ticker and the dashboard publisher once each → usage per minute;
 *   3. a campaign through the CLI, the fleet's OTA agents and the update side → usage per vehicle update
 *      (the run's total, less its objects' and minutes' share measured in 1 and 2).
 * Writes cost/measured-profile.json (read by `fleetota cost` and the README) and prints the cost table.
 *
 *   npm run bench -- cost                      (FLEETOTA_BENCH_COST_VEHICLES=50 by default)
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudWatchClient, paginateDescribeAlarms, paginateListMetrics } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { startLocalCloud, type LocalCloud } from "../local/cloud.js";
import { DEFAULT_METRICS_NAMESPACE } from "../contracts/metrics.js";
import { NO_USAGE, type MeasuredProfile, type Usage } from "../cost/model.js";
import { perUnit, usageFromCensus } from "../cost/usage.js";
import type { CensusSnapshot } from "../local/request-census.js";
import { costFigures, renderCostReport } from "../cost/report.js";
import { startSimulation } from "../simulator/simulation.js";
import { runCampaign } from "../test/integration/e2e-campaign/support/campaign-run.js";
import { permissivePreconditions } from "../test/integration/e2e-campaign/support/local-cloud.js";
import { recordFigure } from "./results.js";

const VEHICLES = Number(process.env.FLEETOTA_BENCH_COST_VEHICLES ?? 50);
const TELEMETRY_MINUTES = 5;
/** Records per object in the telemetry phase: one vehicle's quarter hour at a record a minute. */
const RECORDS_PER_OBJECT = 15;
const PROFILE_FILE = resolve(import.meta.dirname, "..", "cost", "measured-profile.json");

/** Local polling waits 1 s (AWS: 20 s), so the pollers' own requests are counted from the batches they delivered instead. */
const billedCaller = (principal: string): boolean => !["emulation", "unsigned", "esm"].includes(principal);
const byFunction = (suffix: string) => (principal: string) => principal.startsWith("function:") && principal.endsWith(suffix);

interface Phase {
  census: CensusSnapshot;
  functions: Record<string, { invocations: number; gbSeconds: number }>;
  /** Batches each mapping delivered, by function. */
  batches: Record<string, number>;
}

function runtimeTotals(cloud: LocalCloud): Omit<Phase, "census"> {
  const counters = cloud.runtime!.counters();
  const batches: Record<string, number> = {};
  for (const [name, mapping] of Object.entries(counters.mappings)) batches[name.split(" <- ")[0]!] = mapping.batches;
  return { functions: Object.fromEntries(Object.entries(counters.functions).map(([name, fn]) => [name, { invocations: fn.invocations, gbSeconds: fn.gbSeconds }])), batches };
}

/** What runs inside `work`: the census of its requests and the runtime's counters over it. */
async function measured(cloud: LocalCloud, work: () => Promise<void>): Promise<Phase> {
  cloud.census.reset();
  const before = runtimeTotals(cloud);
  await work();
  await cloud.runtime!.waitForIdle(300_000);
  const after = runtimeTotals(cloud);
  const delta = (a: Record<string, number>, b: Record<string, number>) => Object.fromEntries(Object.entries(a).map(([key, value]) => [key, value - (b[key] ?? 0)]));
  return {
    census: cloud.census.snapshot(),
    functions: Object.fromEntries(
      Object.entries(after.functions).map(([name, fn]) => [name, { invocations: fn.invocations - (before.functions[name]?.invocations ?? 0), gbSeconds: fn.gbSeconds - (before.functions[name]?.gbSeconds ?? 0) }]),
    ),
    batches: delta(after.batches, before.batches),
  };
}

/**
 * A phase's usage by the callers `include` accepts, with their Lambda invocations and GB-seconds, and the
 * SQS requests AWS's pollers make for their mappings (a receive and a delete per batch).
 */
function usageOf(phase: Phase, include: (principal: string) => boolean): Usage {
  const usage = usageFromCensus(phase.census, (principal) => billedCaller(principal) && include(principal));
  for (const [name, fn] of Object.entries(phase.functions)) {
    if (!include(`function:${name}`)) continue;
    usage.lambdaInvocations += fn.invocations;
    usage.lambdaGbSeconds += fn.gbSeconds;
    usage.sqs += 2 * (phase.batches[name] ?? 0);
  }
  return usage;
}

const add = (a: Usage, b: Usage): Usage => Object.fromEntries(Object.keys(NO_USAGE).map((key) => [key, a[key as keyof Usage] + b[key as keyof Usage]])) as unknown as Usage;
const minus = (a: Usage, b: Usage): Usage =>
  Object.fromEntries(Object.keys(NO_USAGE).map((key) => [key, Math.max(0, a[key as keyof Usage] - b[key as keyof Usage])])) as unknown as Usage;

const workspace = mkdtempSync(join(tmpdir(), "fleetota-cost-"));
mkdirSync(join(workspace, ".fleetota"), { recursive: true });
const warnings = {
  debug() {},
  info() {},
  warn: (message: string, ...extra: unknown[]) => console.warn("warn", message, ...extra.map((item) => JSON.stringify(item))),
  error: (message: string, ...extra: unknown[]) => console.error("error", message, ...extra.map((item) => JSON.stringify(item))),
};
const cloud = await startLocalCloud({
  log: process.env.FLEETOTA_BENCH_LOG ? warnings : undefined,
  runtime: true,
  stateFile: join(workspace, ".fleetota", "local.json"),
  runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
});
const outputs = cloud.description.outputs as Record<string, string>;
const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
const cloudwatch = new CloudWatchClient(cloud.clientConfig);
try {
  // 1. telemetry
  let objects = 0;
  let records = 0;
  let gzipBytes = 0;
  const telemetry = await measured(cloud, async () => {
    const simulation = startSimulation({
      vehicles: VEHICLES,
      intervalMs: 60_000,
      batches: TELEMETRY_MINUTES,
      seed: 7,
      batchSize: RECORDS_PER_OBJECT,
      realtime: false,
      bucket: outputs.data_bucket_name!,
      s3,
      onUploaded: (object) => (gzipBytes += object.body.length),
    });
    const summary = await simulation.done;
    objects = summary.objects;
    records = summary.records;
  });
  // The vehicles' PUTs (the simulator's gateway signs as the operator), the processor, and the
  // EventBridge → SQS delivery AWS makes per object (inside the emulator, unseen by the front door).
  const telemetryUsage = usageOf(telemetry, (principal) => principal === "vehicle" || principal === "operator" || byFunction("-telemetry-processor")(principal));
  const perObject = perUnit({ ...telemetryUsage, sqs: telemetryUsage.sqs + objects }, objects);

  // 2. one scheduled minute
  const functionNamed = (suffix: string) => cloud.description.functions.find((fn) => fn.functionName.endsWith(suffix))!.functionName;
  const scheduled = await measured(cloud, async () => {
    await cloud.runtime!.invoke(functionNamed("-rollout-ticker"), {});
    await cloud.runtime!.invoke(functionNamed("-dashboard-publisher"), {});
  });
  const perScheduledMinute = usageOf(scheduled, (principal) => byFunction("-rollout-ticker")(principal) || byFunction("-dashboard-publisher")(principal));
  const idleTick = usageOf(scheduled, byFunction("-rollout-ticker"));

  // 3. a campaign
  let updated = 0;
  let campaignObjects = 0;
  let campaignMinutes = 0;
  const campaign = await measured(cloud, async () => {
    const run = await runCampaign({
      cloud,
      workspace,
      vehicles: VEHICLES,
      seed: 11,
      targetVersion: "2.5.0",
      faults: {},
      agentTimings: { heartbeatMs: 120_000 },
      definition: `waves:\n  - { percent: 20, soakMinutes: 0, successThresholdPercent: 80 }\n  - { percent: 100, soakMinutes: 0, successThresholdPercent: 80 }\n${permissivePreconditions}`,
      maxMinutes: 30,
      done: (state) => state.state === "COMPLETED",
    });
    updated = Object.values(run.campaign.counts).reduce((sum, count) => sum + count, 0);
    campaignObjects = run.simulation.objects;
    campaignMinutes = run.minutes;
  });
  // Campaign work: the update manager, the ticker beyond an idle tick each minute, the processor's
  // hand-off of candidates and reports, the vehicles' job-document GETs, KMS signing.
  const updateSide = usageOf(campaign, (principal) => byFunction("-update-manager")(principal) || byFunction("-rollout-ticker")(principal));
  const handOff = usageFromCensus(campaign.census, byFunction("-telemetry-processor"));
  const vehicleReads = usageFromCensus(campaign.census, (principal) => principal === "vehicle");
  const campaignUsage = add(minus(updateSide, perUnit(idleTick, 1 / campaignMinutes)), { ...NO_USAGE, sqs: handOff.sqs, s3Get: vehicleReads.s3Get });
  const perVehicleUpdate = perUnit(campaignUsage, Math.max(1, updated));

  // fixed items, counted in the emulator
  // moto lists a metric once per datum it stored: count distinct name + dimension sets, as AWS bills them.
  const series = new Set<string>();
  for await (const page of paginateListMetrics({ client: cloudwatch }, { Namespace: DEFAULT_METRICS_NAMESPACE })) {
    for (const metric of page.Metrics ?? []) series.add(JSON.stringify([metric.MetricName, [...(metric.Dimensions ?? [])].sort((a, b) => String(a.Name).localeCompare(String(b.Name)))]));
  }
  const customMetrics = series.size;
  // A metric-math alarm is billed per metric it reads.
  let alarmMetrics = 0;
  for await (const page of paginateDescribeAlarms({ client: cloudwatch }, {})) {
    for (const alarm of page.MetricAlarms ?? []) alarmMetrics += Math.max(1, (alarm.Metrics ?? []).filter((query) => query.MetricStat).length);
  }

  const profile: MeasuredProfile = {
    measuredAt: new Date().toISOString().slice(0, 10),
    method:
      `local cloud, ${VEHICLES} vehicles: ${objects} objects of ${(records / objects).toFixed(1)} records over ${TELEMETRY_MINUTES} simulated minutes; ` +
      `one rollout-ticker and one dashboard-publisher run; a two-wave campaign of ${updated} jobs over ${campaignMinutes} minutes (${campaignObjects} objects)`,
    telemetry: {
      perObject: { ...perObject, lambdaGbSeconds: 0 },
      recordsPerObject: records / objects,
      lambdaGbSecondsPerRecord: telemetryUsage.lambdaGbSeconds / records,
      gzipBytesPerRecord: gzipBytes / records,
    },
    perScheduledMinute,
    perVehicleUpdate,
    customMetrics,
    alarmMetrics,
    kmsKeys: 1,
  };
  writeFileSync(PROFILE_FILE, `${JSON.stringify(profile, null, 2)}\n`);
  console.log(`wrote ${PROFILE_FILE}`);
  console.log(renderCostReport(profile));
  for (const figure of costFigures(profile)) recordFigure(figure);
} finally {
  s3.destroy();
  cloudwatch.destroy();
  await cloud.stop();
}
