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
 *   npm run bench -- cost                      (FLEETOTA_BENCH_COST_VEHICLES=30 by default)
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { CloudWatchClient, paginateDescribeAlarms, paginateListMetrics } from "@aws-sdk/client-cloudwatch";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { startLocalCloud, type LocalCloud } from "../local/cloud.js";
import { bindLocalGatewayVehicles, provisionLocalGateway } from "../local/identity/simulated-fleet.js";
import type { GatewayIdentity } from "../simulator/gateway-identity.js";
import { DEFAULT_METRICS_NAMESPACE } from "../contracts/metrics.js";
import { LAMBDA_MB_PER_VCPU, NO_USAGE, type MeasuredProfile, type ProcessorCpu, type Usage } from "../cost/model.js";
import { perUnit, usageFromCensus } from "../cost/usage.js";
import type { CensusSnapshot } from "../local/request-census.js";
import { costFigures, renderCostReport } from "../cost/report.js";
import { startSimulation } from "../simulator/simulation.js";
import { runCampaign } from "../test/integration/e2e-campaign/support/campaign-run.js";
import { permissivePreconditions } from "../test/integration/e2e-campaign/support/local-cloud.js";
import { recordFigure } from "./results.js";
import { defaults, LOCAL_ACCOUNT_ID } from "../modules/stack-config.js";
import { scheduledEvent } from "../local/runtime/schedule/scheduler.js";
import { InvocationAggregate } from "../telemetry/aggregate.js";
import { readTelemetryObject } from "../telemetry/core.js";
import { generateBatch } from "../simulator/batch.js";
import { createFleet } from "../simulator/fleet.js";
import { SeededRandom } from "../simulator/random.js";

/** Vehicles in the campaign phase (its length grows with them); the telemetry passes use more. */
const VEHICLES = Number(process.env.FLEETOTA_BENCH_COST_VEHICLES ?? 30);
const TELEMETRY_VEHICLES = 3 * VEHICLES;
/** Records per object in the two measured telemetry passes (a quarter hour and an hour at a record a minute). */
const SMALL_OBJECT_RECORDS = 15;
const LARGE_OBJECT_RECORDS = 60;
/** Objects each pass writes per vehicle's worth of records. */
const PASS_OBJECTS_PER_VEHICLE = 2;
const TELEMETRY_FLEET_SEED = 7;
const PROFILE_FILE = resolve(import.meta.dirname, "..", "cost", "measured-profile.json");

/** Local polling waits 1 s (AWS: 20 s), so the pollers' own requests are counted from the batches they delivered instead. */
const billedCaller = (principal: string): boolean => !["emulation", "unsigned", "esm"].includes(principal);
const byFunction = (suffix: string) => (principal: string) => principal.startsWith("function:") && principal.endsWith(suffix);

/** What the runtime counted for one function: invocations, GB-seconds, and the bytes of its EMF metric lines. */
interface FunctionTotals {
  invocations: number;
  gbSeconds: number;
  emfBytes: number;
}

interface Phase {
  census: CensusSnapshot;
  functions: Record<string, FunctionTotals>;
  /** Batches each mapping delivered, by function. */
  batches: Record<string, number>;
}

function runtimeTotals(cloud: LocalCloud): Omit<Phase, "census"> {
  const counters = cloud.runtime!.counters();
  const batches: Record<string, number> = {};
  for (const [name, mapping] of Object.entries(counters.mappings)) batches[name.split(" <- ")[0]!] = mapping.batches;
  const functions = Object.entries(counters.functions).map(([name, fn]): [string, FunctionTotals] => [
    name,
    { invocations: fn.invocations, gbSeconds: fn.gbSeconds, emfBytes: counters.emf[name]?.bytes ?? 0 },
  ]);
  return { functions: Object.fromEntries(functions), batches };
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
      Object.entries(after.functions).map(([name, fn]) => {
        const earlier = before.functions[name];
        return [name, { invocations: fn.invocations - (earlier?.invocations ?? 0), gbSeconds: fn.gbSeconds - (earlier?.gbSeconds ?? 0), emfBytes: fn.emfBytes - (earlier?.emfBytes ?? 0) }];
      }),
    ),
    batches: delta(after.batches, before.batches),
  };
}

/**
 * A phase's usage by the callers `include` accepts, with their Lambda invocations, GB-seconds and EMF log bytes, and the
 * SQS requests AWS's pollers make for their mappings (a receive and a delete per batch).
 */
function usageOf(phase: Phase, include: (principal: string) => boolean): Usage {
  const usage = usageFromCensus(phase.census, (principal) => billedCaller(principal) && include(principal));
  for (const [name, fn] of Object.entries(phase.functions)) {
    if (!include(`function:${name}`)) continue;
    usage.lambdaInvocations += fn.invocations;
    usage.lambdaGbSeconds += fn.gbSeconds;
    usage.logIngestBytes = (usage.logIngestBytes ?? 0) + fn.emfBytes;
    usage.sqs += 2 * (phase.batches[name] ?? 0);
  }
  return usage;
}

const add = (a: Usage, b: Usage): Usage => Object.fromEntries(Object.keys(NO_USAGE).map((key) => [key, (a[key as keyof Usage] ?? 0) + (b[key as keyof Usage] ?? 0)])) as unknown as Usage;
const minus = (a: Usage, b: Usage): Usage =>
  Object.fromEntries(Object.keys(NO_USAGE).map((key) => [key, Math.max(0, (a[key as keyof Usage] ?? 0) - (b[key as keyof Usage] ?? 0))])) as unknown as Usage;

interface TelemetryPass {
  objects: number;
  records: number;
  gzipBytes: number;
  invocations: number;
  gbSeconds: number;
  /** Usage done for each object: the vehicle's PUT, EventBridge's delivery, the processor's ledger check, read, completion, hand-off. */
  perObject: Usage;
  /** Usage done once per processor invocation: the invocation, the pollers' receive and delete, the fleet-state part, the metrics' EMF lines, the campaign query. */
  perInvocation: Usage;
}

const PROCESSOR = byFunction("-telemetry-processor");
const PROCESSOR_MEMORY_MB = defaults.functions.telemetryProcessor.memoryMb;

/** CPU seconds the telemetry core (decode, validate, enrich, aggregate) spends per record, in this process. */
async function coreCpuSecondsPerRecord(): Promise<number> {
  const nowMs = Date.now();
  const fleet = createFleet({ vehicles: 5_000, seed: 3, startMs: nowMs - 120_000 });
  const context = { fleet, buffers: new Map(), random: new SeededRandom(3), runId: "cost", objectSequence: { next: 0 }, batchSize: 60 };
  const bodies = generateBatch(context, nowMs).objects.map((object) => object.body);
  let best = Number.POSITIVE_INFINITY;
  let records = 0;
  for (let round = 0; round < 5; round++) {
    const aggregate = new InvocationAggregate();
    const started = process.cpuUsage();
    for (const body of bodies) aggregate.addObject(await readTelemetryObject([body], nowMs), 0);
    aggregate.metricData(new Date(nowMs));
    const used = process.cpuUsage(started);
    records = aggregate.dataPoints;
    if (round > 0) best = Math.min(best, (used.user + used.system) / 1e6);
  }
  return best / records;
}

/**
 * The fleet uploads `objectsPerVehicle × vehicles` objects of `recordsPerObject` records each, as fast as
 * it can, and the processor handles them; returns the pass's usage split per object and per invocation.
 */
async function telemetryPass(cloud: LocalCloud, gateway: GatewayIdentity, bucket: string, recordsPerObject: number, objectsPerVehicle: number): Promise<TelemetryPass> {
  let gzipBytes = 0;
  let summary = { objects: 0, records: 0 };
  const phase = await measured(cloud, async () => {
    const simulation = startSimulation({
      vehicles: TELEMETRY_VEHICLES,
      intervalMs: 60_000,
      batches: recordsPerObject * objectsPerVehicle,
      // One fleet for every pass: the processor holds a gateway's bound VINs for GATEWAY_VEHICLES_CACHE_MS,
      // so a pass with other VINs would start with its records refused as not bound (and quarantined).
      seed: TELEMETRY_FLEET_SEED,
      batchSize: recordsPerObject,
      realtime: false,
      bucket,
      s3: gateway.s3,
      gatewayId: gateway.gatewayId,
      prepare: async (fleet) => void (await bindLocalGatewayVehicles(cloud, gateway.gatewayId, fleet.vehicles.map((vehicle) => vehicle.vin))),
      onUploaded: (object) => (gzipBytes += object.body.length),
    });
    summary = await simulation.done;
  });
  const processorName = Object.keys(phase.functions).find((name) => PROCESSOR(`function:${name}`)) ?? "";
  const processor = usageFromCensus(phase.census, (principal) => billedCaller(principal) && PROCESSOR(principal));
  // The processor's reads: each object's ledger check (GetItem, eventually consistent: 0.5 RRU) and the
  // running campaigns (one Query an invocation holding a vehicle's own object).
  const ledgerReadUnits =
    0.5 *
    Object.entries(phase.census.requests)
      .filter(([key]) => PROCESSOR(key.split(" ")[0]!) && key.endsWith(" dynamodb:GetItem"))
      .reduce((total, [, count]) => total + count, 0);
  // The uploads: the simulator uploads as a fleet gateway, with the gateway's own session.
  const uploaders = usageFromCensus(phase.census, (principal) => principal === "vehicle" || principal === "gateway");
  const invocations = phase.functions[processorName]?.invocations ?? 0;
  const perInvocation: Usage = {
    ...NO_USAGE,
    s3Put: processor.s3Put, // the fleet-state part (no object is quarantined in this clean run)
    // The publisher's read of that part when it compacts it into the snapshot, counted here by rule: the
    // scheduled minute is measured warm, after the warm-up run compacted the passes' parts.
    s3Get: invocations,
    cloudWatchApi: processor.cloudWatchApi, // none since the metrics are EMF log lines
    logIngestBytes: phase.functions[processorName]?.emfBytes ?? 0, // the metrics' EMF lines, once an invocation
    cloudWatchMetricsRequested: processor.cloudWatchMetricsRequested,
    // The running campaigns, one Query an invocation (0.5 RRU, eventually consistent, one page), counted by rule too:
    // the passes upload as a fleet gateway, whose objects never look the campaigns up (no candidate comes from
    // them), while a fleet of vehicles uploading their own objects queries once in each invocation.
    dynamoDbReadUnits: Math.max(0.5 * invocations, processor.dynamoDbReadUnits - ledgerReadUnits),
    lambdaInvocations: invocations,
    sqs: 2 * (phase.batches[processorName] ?? 0), // AWS's pollers: a receive and a delete per batch
  };
  const perObject = add(uploaders, {
    ...NO_USAGE,
    s3Get: processor.s3Get,
    dynamoDbWriteUnits: processor.dynamoDbWriteUnits,
    dynamoDbReadUnits: ledgerReadUnits,
    sqs: processor.sqs + summary.objects, // the hand-off, and EventBridge's delivery of each object's event (unseen by the front door)
  });
  return { objects: summary.objects, records: summary.records, gzipBytes, invocations, gbSeconds: phase.functions[processorName]?.gbSeconds ?? 0, perObject, perInvocation };
}

/**
 * The passes are clean traffic: anything quarantined means the bench measured refusals (their writes, their
 * compute) as if a healthy fleet paid for them, so the figures would be wrong.
 */
async function refuseQuarantine(bucket: string): Promise<void> {
  const s3 = new S3Client({ ...cloud.clientConfig, forcePathStyle: true });
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "quarantine/", MaxKeys: 5 }));
  s3.destroy();
  const keys = (listed.Contents ?? []).map((object) => object.Key);
  if (keys.length > 0) throw new Error(`the clean telemetry passes quarantined objects or records (first: ${keys.join(", ")}): the cost figures would count refusals`);
}

/** What bench/processor-offline.ts prints: the processor's CPU and memory with no network. */
interface OfflineProcessor {
  cpuSecondsPerObject: number;
  cpuSecondsPerInvocation: number;
  coreCpuSecondsPerRecord: number;
  recordsPerObject: number;
  objectsInFlight: number;
  sdkCallsPerObject: number;
  sdkCallsPerInvocation: number;
  baselineRssMb: number;
  peakRssMb: number;
  worstCase: { objects: number; records: number; cpuSeconds: number; peakRssMb: number };
}

/**
 * The processor's CPU time and peak memory in a fresh process (so its peak RSS is the processor's), with
 * the old-generation heap capped as the local runtime caps a sandbox at the function's memory.
 */
function offlineProcessor(): OfflineProcessor {
  const result = spawnSync(process.execPath, [`--max-old-space-size=${PROCESSOR_MEMORY_MB}`, "--import", "tsx", resolve(import.meta.dirname, "processor-offline.ts")], {
    encoding: "utf8",
    env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  });
  if (result.status !== 0) throw new Error(`processor-offline failed: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split("\n").at(-1)!) as OfflineProcessor;
}

let lapStarted = performance.now();
function lap(what: string): void {
  console.log(`${what}: ${((performance.now() - lapStarted) / 1000).toFixed(0)} s`);
  lapStarted = performance.now();
}

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
const gateway = await provisionLocalGateway(cloud);
const cloudwatch = new CloudWatchClient(cloud.clientConfig);
try {
  // 1. telemetry: a warm-up pass (cold starts are not what a running fleet pays), then two measured passes
  // with the same number of objects and different object sizes, which separate compute per record from
  // compute per object; requests are split by what they are done for: each object, or each invocation.
  await telemetryPass(cloud, gateway, outputs.data_bucket_name!, SMALL_OBJECT_RECORDS, 1);
  const small = await telemetryPass(cloud, gateway, outputs.data_bucket_name!, SMALL_OBJECT_RECORDS, PASS_OBJECTS_PER_VEHICLE);
  const large = await telemetryPass(cloud, gateway, outputs.data_bucket_name!, LARGE_OBJECT_RECORDS, PASS_OBJECTS_PER_VEHICLE);
  await refuseQuarantine(outputs.data_bucket_name!);
  const objects = small.objects + large.objects;
  const records = small.records + large.records;
  const gzipBytes = small.gzipBytes + large.gzipBytes;
  const invocations = small.invocations + large.invocations;
  const perObject = perUnit(add(small.perObject, large.perObject), objects);
  const perInvocation = perUnit(add(small.perInvocation, large.perInvocation), invocations);
  // GB-s an object = per object + records × per record (what is per invocation is counted per object: conservative)
  const gbPerObject = (pass: TelemetryPass) => pass.gbSeconds / pass.objects;
  const recordsPerObjectOf = (pass: TelemetryPass) => pass.records / pass.objects;
  // Per record, the local runtime's wall-clock durations on a shared 2-core machine are mostly waiting for
  // a core; the core's own CPU time per record (measured here, in this process) at Lambda's CPU share for
  // the processor's memory (one vCPU at 1,769 MB) is what a record costs. The rest of the measured
  // duration is charged per object (conservative: part of it is per invocation).
  const memoryGb = PROCESSOR_MEMORY_MB / 1024;
  const gbPerRecord = (await coreCpuSecondsPerRecord()) * (LAMBDA_MB_PER_VCPU / PROCESSOR_MEMORY_MB) * memoryGb;
  const measuredGbPerRecord = Math.max(0, (gbPerObject(large) - gbPerObject(small)) / (recordsPerObjectOf(large) - recordsPerObjectOf(small)));
  const gbPerObjectBase = Math.max(0, gbPerObject(small) - gbPerRecord * recordsPerObjectOf(small));
  console.log(
    `processor GB-s: ${gbPerObjectBase.toPrecision(3)} per object (measured, after a warm-up), ${gbPerRecord.toPrecision(3)} per record ` +
      `(core CPU time at Lambda's share; the local wall clock said ${measuredGbPerRecord.toPrecision(3)})`,
  );

  lap("telemetry passes");

  // 1b. the processor without network: its own CPU (for compute modelled at AWS latencies) and memory
  const offline = offlineProcessor();
  const processorCpu: ProcessorCpu = {
    secondsPerInvocation: offline.cpuSecondsPerInvocation,
    secondsPerObject: Math.max(0, offline.cpuSecondsPerObject - offline.recordsPerObject * offline.coreCpuSecondsPerRecord),
    secondsPerRecord: offline.coreCpuSecondsPerRecord,
    objectsInFlight: offline.objectsInFlight,
    memoryMb: PROCESSOR_MEMORY_MB,
  };
  const cpuShare = Math.min(1, PROCESSOR_MEMORY_MB / LAMBDA_MB_PER_VCPU);
  console.log(
    `processor without network: ${(offline.cpuSecondsPerObject * 1000).toFixed(2)} ms CPU an object of ${offline.recordsPerObject} records ` +
      `(${offline.sdkCallsPerObject} SDK calls), ${(offline.cpuSecondsPerInvocation * 1000).toFixed(1)} ms an invocation (${offline.sdkCallsPerInvocation} calls); ` +
      `peak RSS ${offline.peakRssMb.toFixed(0)} MB (${offline.baselineRssMb.toFixed(0)} MB with nothing done); worst batch (${offline.worstCase.objects} objects, ${offline.worstCase.records} records): ` +
      `${offline.worstCase.peakRssMb.toFixed(0)} MB, ${offline.worstCase.cpuSeconds.toFixed(1)} s CPU = ${(offline.worstCase.cpuSeconds / cpuShare).toFixed(0)} s at ${PROCESSOR_MEMORY_MB} MB's CPU share`,
  );
  recordFigure({ name: "processor without network: CPU per hourly object (60 records, 3 SDK calls)", value: offline.cpuSecondsPerObject * 1000, unit: "ms" });
  recordFigure({ name: "processor without network: peak RSS, batch of 100 hourly objects", value: offline.peakRssMb, unit: "MB" });
  recordFigure({ name: `processor without network: peak RSS, worst batch (${offline.worstCase.records} records)`, value: offline.worstCase.peakRssMb, unit: "MB" });
  recordFigure({ name: `processor without network: worst batch at ${PROCESSOR_MEMORY_MB} MB's CPU share`, value: offline.worstCase.cpuSeconds / cpuShare, unit: "s" });
  lap("processor without network");

  // 2. one scheduled minute, warm (both functions run every minute, so their sandboxes stay warm): a
  // warm-up run of each, then the ticker and a publisher run between two refreshes of the telemetry trends
  // (as its EventBridge rule sends it), then a run that refreshes them, whose extra is paid every
  // dashboardTrendsEveryMinutes.
  const functionNamed = (suffix: string) => cloud.description.functions.find((fn) => fn.functionName.endsWith(suffix))!.functionName;
  const trendsEveryMinutes = defaults.dashboardTrendsEveryMinutes;
  if (trendsEveryMinutes < 2) throw new Error("the scheduled minute is measured between two trend refreshes: dashboardTrendsEveryMinutes must be 2 or more");
  const windowStart = Math.floor(Date.now() / (trendsEveryMinutes * 60_000)) * trendsEveryMinutes * 60_000;
  const publisherRun = (at: number) =>
    cloud.runtime!.invoke(
      functionNamed("-dashboard-publisher"),
      scheduledEvent({ ruleName: `${outputs.name_prefix}-dashboard-publisher-schedule`, accountId: LOCAL_ACCOUNT_ID, region: cloud.description.region }, new Date(at)),
    );
  await cloud.runtime!.invoke(functionNamed("-rollout-ticker"), {});
  await publisherRun(windowStart);
  const scheduled = await measured(cloud, async () => {
    await cloud.runtime!.invoke(functionNamed("-rollout-ticker"), {});
    await publisherRun(windowStart + 60_000);
  });
  const trendsRefresh = await measured(cloud, async () => {
    await publisherRun(windowStart + trendsEveryMinutes * 60_000);
  });
  // Steady state: the publisher asks for the history of alarms that changed in the last day only, and in a
  // cloud started minutes ago every alarm just changed (to INSUFFICIENT_DATA), so those calls are left out.
  const alarmHistoryCalls = (phase: Phase) =>
    Object.entries(phase.census.requests)
      .filter(([key]) => key.endsWith(" monitoring:DescribeAlarmHistory"))
      .reduce((total, [, count]) => total + count, 0);
  const scheduledUsage = usageOf(scheduled, (principal) => byFunction("-rollout-ticker")(principal) || byFunction("-dashboard-publisher")(principal));
  const perScheduledMinute = { ...scheduledUsage, cloudWatchApi: scheduledUsage.cloudWatchApi - alarmHistoryCalls(scheduled) };
  const skippedRun = usageOf(scheduled, byFunction("-dashboard-publisher"));
  const refreshRun = usageOf(trendsRefresh, byFunction("-dashboard-publisher"));
  // What refreshing adds (minus clamps at zero: a warm run's compute varies from run to run).
  const perTrendsRefresh = minus(
    { ...refreshRun, cloudWatchApi: refreshRun.cloudWatchApi - alarmHistoryCalls(trendsRefresh) },
    { ...skippedRun, cloudWatchApi: skippedRun.cloudWatchApi - alarmHistoryCalls(scheduled) },
  );
  console.log(
    `scheduled minute: ${perScheduledMinute.cloudWatchMetricsRequested} metrics asked for between trend refreshes; a refresh adds ` +
      `${perTrendsRefresh.cloudWatchMetricsRequested} metrics, ${perTrendsRefresh.s3Put} PUT, ${perTrendsRefresh.lambdaGbSeconds.toPrecision(2)} GB-s (every ${trendsEveryMinutes} min)`,
  );
  const idleTick = usageOf(scheduled, byFunction("-rollout-ticker"));

  lap("scheduled minute");

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

  lap("campaign");

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
      `local cloud, ${TELEMETRY_VEHICLES} vehicles, after a warm-up pass: ${objects} objects of ${SMALL_OBJECT_RECORDS} and ${LARGE_OBJECT_RECORDS} records ` +
      `in ${invocations} processor invocations (${(objects / invocations).toFixed(1)} objects each); ` +
      `one rollout-ticker and one dashboard-publisher run between trend refreshes, warm, and one refreshing run (steady state: no alarm history to read); compute per record from the core's CPU time at Lambda's share; a two-wave campaign of ${updated} jobs (${VEHICLES} vehicles) over ${campaignMinutes} minutes (${campaignObjects} objects)`,
    telemetry: {
      perObject: { ...perObject, lambdaGbSeconds: gbPerObjectBase },
      perInvocation: { ...perInvocation, lambdaGbSeconds: 0 },
      recordsPerObject: records / objects,
      lambdaGbSecondsPerRecord: gbPerRecord,
      gzipBytesPerRecord: gzipBytes / records,
    },
    perScheduledMinute,
    perTrendsRefresh,
    publisherCompute: { gbSecondsPerMinute: skippedRun.lambdaGbSeconds, memoryMb: defaults.functions.dashboardPublisher.memoryMb },
    perVehicleUpdate,
    customMetrics,
    processorCpu,
    alarmMetrics,
    kmsKeys: 1,
  };
  writeFileSync(PROFILE_FILE, `${JSON.stringify(profile, null, 2)}\n`);
  console.log(`wrote ${PROFILE_FILE}`);
  console.log(renderCostReport(profile));
  for (const figure of costFigures(profile)) recordFigure(figure);
} finally {
  gateway.destroy();
  cloudwatch.destroy();
  await cloud.stop();
}
