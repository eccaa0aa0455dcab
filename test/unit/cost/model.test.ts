/** The cost model: census to usage, usage to dollars, fleets and front doors. Pure, no I/O. */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  alternatives,
  costPerVehicleUpdate,
  dominantLines,
  fleetCost,
  FRONT_DOOR,
  LAMBDA_MB_PER_VCPU,
  MINUTES_PER_MONTH,
  modelledProcessorGbSeconds,
  NO_USAGE,
  objectsPerInvocation,
  priceUsage,
  PROCESSOR_COMPUTE,
  ProcessorCpuNotMeasuredError,
  storedMonths,
  type ProcessorCpu,
} from "../../../cost/model.js";
import { AWS_LATENCY } from "../../../cost/aws-latency.js";
import { PRICES } from "../../../cost/prices.js";
import { defaults as stackDefaults } from "../../../modules/stack-config.js";
import { perUnit, usageFromCensus } from "../../../cost/usage.js";
import { profile } from "./support/profile.js";

test("usage from a census: S3 tiers, SQS, CloudWatch, KMS and units, only for the callers asked for", () => {
  const usage = usageFromCensus(
    {
      requests: {
        "vehicle s3:PutObject": 10,
        "vehicle s3:GetObject": 10,
        "function:p s3:GetObject": 10,
        "function:p s3:DeleteObject": 5,
        "function:p sqs:SendMessageBatch": 2,
        "function:p monitoring:PutMetricData": 1,
        "function:p monitoring:GetMetricData": 3,
        "function:u kms:Sign": 4,
        "function:u iot:GET /things": 6,
        "function:u iot:POST /things": 1,
        "emulation monitoring:PutMetricData": 99,
      },
      units: { "function:p": { write: 20, read: 1.5, metrics: 12 }, emulation: { write: 1000, read: 0, metrics: 1000 } },
    },
    (principal) => principal !== "emulation",
  );
  assert.equal(usage, { ...NO_USAGE, s3Put: 10, s3Get: 20, sqs: 2, cloudWatchApi: 1, cloudWatchMetricsRequested: 12, kmsSign: 4, iotRegistryOperations: 6, dynamoDbWriteUnits: 20, dynamoDbReadUnits: 1.5 });
  assert.is(perUnit(usage, 10).s3Put, 1);
});

test("IoT registry reads (DescribeThing before an admission) are priced at $1.25 a million; a profile without them prices none", () => {
  const registry = (usage: typeof NO_USAGE) => priceUsage(usage, "updates").find((line) => line.item === "updates: IoT registry");
  assert.is(registry({ ...NO_USAGE, iotRegistryOperations: 2_000_000 })?.usdPerMonth, 2.5);
  const { iotRegistryOperations: _, ...older } = NO_USAGE;
  assert.is(registry(older), undefined);
});

test("telemetry cost scales with uploads: an hourly fleet pays 60x fewer PUTs than a per-minute one", () => {
  const hourly = fleetCost(profile(), { vehicles: 1000, uploadEveryMinutes: 60 });
  const minutely = fleetCost(profile(), { vehicles: 1000, uploadEveryMinutes: 1 });
  const puts = (cost: typeof hourly) => cost.lines.find((line) => line.item === "telemetry: S3 PUT/LIST")!.quantity;
  const objects = (cost: typeof hourly) => (cost.scenario.vehicles * MINUTES_PER_MONTH) / cost.scenario.uploadEveryMinutes;
  // the vehicle's PUT per object, one fleet-state part per invocation
  assert.ok(Math.abs(puts(hourly) - objects(hourly) * (1 + 1 / hourly.objectsPerInvocation)) < 1e-3);
  assert.ok(Math.abs(puts(minutely) - objects(minutely) * (1 + 1 / minutely.objectsPerInvocation)) < 1e-3);
  assert.ok(minutely.usdPerVehicleMonth > 10 * hourly.usdPerVehicleMonth);
});

test("fixed costs are shared: per vehicle, a larger fleet costs less", () => {
  const small = fleetCost(profile(), { vehicles: 1000, uploadEveryMinutes: 60 });
  const large = fleetCost(profile(), { vehicles: 100_000, uploadEveryMinutes: 60 });
  assert.ok(large.usdPerVehicleMonth < small.usdPerVehicleMonth);
  assert.is(small.lines.find((line) => line.item === "fixed: alarms")!.usdPerMonth, 20 * PRICES.cloudWatchAlarmMetricMonth.usd);
});

test("the dashboard's trend refresh is paid once every dashboardTrendsEveryMinutes, the rest of the scheduled minute every minute", () => {
  const withTrends = profile({ perTrendsRefresh: { ...NO_USAGE, cloudWatchMetricsRequested: 14, s3Put: 1 } });
  const metricsOf = (cost: ReturnType<typeof fleetCost>) => cost.lines.find((line) => line.item === "scheduled: CloudWatch GetMetricData")!;

  const byDefault = fleetCost(withTrends, { vehicles: 1000, uploadEveryMinutes: 60 });
  const everyMinute = fleetCost(withTrends, { vehicles: 1000, uploadEveryMinutes: 60, dashboardTrendsEveryMinutes: 1 });
  const everyQuarterHour = fleetCost(withTrends, { vehicles: 1000, uploadEveryMinutes: 60, dashboardTrendsEveryMinutes: 15 });
  const before = fleetCost(profile(), { vehicles: 1000, uploadEveryMinutes: 60 });

  assert.is(byDefault.scenario.dashboardTrendsEveryMinutes, 5, "the stack's default");
  assert.is(metricsOf(byDefault).quantity, 10 * MINUTES_PER_MONTH + (14 * MINUTES_PER_MONTH) / 5);
  assert.is(metricsOf(everyMinute).quantity, 24 * MINUTES_PER_MONTH);
  assert.is(metricsOf(everyQuarterHour).quantity, 10 * MINUTES_PER_MONTH + (14 * MINUTES_PER_MONTH) / 15);
  assert.is(metricsOf(byDefault).usdPerMonth, metricsOf(byDefault).quantity * PRICES.cloudWatchGetMetricDataMetric.usd);
  assert.is(byDefault.lines.find((line) => line.item === "scheduled: S3 PUT/LIST")!.quantity, MINUTES_PER_MONTH / 5);
  // A profile measured before the trends had their own cadence: its scheduled minute is priced as it is.
  assert.is(metricsOf(before).quantity, 10 * MINUTES_PER_MONTH);
});

test("the dashboard publisher's compute is priced at its configured memory: its share of the scheduled GB-seconds scales with it", () => {
  // the scheduled minute's 0.1 GB-s: 0.04 the publisher's at 256 MB; a trends refresh adds 0.02 of the publisher's
  const measured = profile({ perTrendsRefresh: { ...NO_USAGE, lambdaGbSeconds: 0.02 }, publisherCompute: { gbSecondsPerMinute: 0.04, memoryMb: 256 } });
  const computeOf = (cost: ReturnType<typeof fleetCost>) => cost.lines.find((line) => line.item === "scheduled: Lambda compute")!;
  const scenario = { vehicles: 1000, uploadEveryMinutes: 60, dashboardTrendsEveryMinutes: 5 };

  const asMeasured = fleetCost(measured, { ...scenario, publisherMemoryMb: 256 });
  const doubled = fleetCost(measured, { ...scenario, publisherMemoryMb: 512 });
  const byDefault = fleetCost(measured, scenario);
  const olderProfile = fleetCost(profile({ perTrendsRefresh: { ...NO_USAGE, lambdaGbSeconds: 0.02 } }), { ...scenario, publisherMemoryMb: 512 });

  const refreshes = MINUTES_PER_MONTH / 5;
  assert.ok(Math.abs(computeOf(asMeasured).quantity - (0.1 * MINUTES_PER_MONTH + 0.02 * refreshes)) < 1e-6);
  assert.ok(Math.abs(computeOf(doubled).quantity - ((0.1 + 0.04) * MINUTES_PER_MONTH + 0.04 * refreshes)) < 1e-6);
  assert.is(byDefault.scenario.publisherMemoryMb, stackDefaults.functions.dashboardPublisher.memoryMb, "the stack's default");
  assert.is(computeOf(byDefault).quantity, computeOf(fleetCost(measured, { ...scenario, publisherMemoryMb: stackDefaults.functions.dashboardPublisher.memoryMb })).quantity);
  // A profile without the publisher's share is priced as measured, whatever the memory.
  assert.is(computeOf(olderProfile).quantity, computeOf(fleetCost(profile({ perTrendsRefresh: { ...NO_USAGE, lambdaGbSeconds: 0.02 } }), scenario)).quantity);
});

test("the lines add up to the total, and the dominant line is the largest", () => {
  const cost = fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 15 });
  const total = cost.lines.reduce((sum, line) => sum + line.usdPerMonth, 0);
  assert.ok(Math.abs(total - cost.usdPerMonth) < 1e-9);
  const [top] = dominantLines(cost, 1);
  assert.ok(cost.lines.every((line) => line.usdPerMonth <= top!.usdPerMonth));
});

test("Basic Ingest + Firehose: no per-upload S3 PUT, connectivity per vehicle, cheaper than S3 uploads every minute", () => {
  const s3 = fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 1 });
  const ingest = fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 1, frontDoor: FRONT_DOOR.iotBasicIngest });
  const connectivity = ingest.lines.find((line) => line.item === "IoT Core connectivity")!;
  assert.is(connectivity.quantity, 10_000 * MINUTES_PER_MONTH);
  const puts = ingest.lines.find((line) => line.item === "telemetry: S3 PUT/LIST")!.quantity;
  assert.ok(puts < 10_000, `Firehose writes few objects (${puts})`);
  assert.ok(ingest.usdPerVehicleMonth < s3.usdPerVehicleMonth);
});

test("a vehicle update is priced from its usage; the alternatives from list prices", () => {
  const update = costPerVehicleUpdate(profile());
  assert.ok(Math.abs(update.usd - (20 * PRICES.dynamoDbWriteUnit.usd + PRICES.kmsAsymmetricRequest.usd + PRICES.s3PutRequest.usd)) < 1e-12);
  const other = alternatives({ vehicles: 1000, uploadEveryMinutes: 1 }, 2_000);
  assert.ok(Math.abs(other.iotCoreMessagingPerVehicleMonth - (MINUTES_PER_MONTH * 1e-6 + MINUTES_PER_MONTH * 0.08e-6)) < 1e-12);
  assert.is(other.iotJobsPerUpdate, 0.003);
});

test("objects per invocation: the batching window's share of the arrivals over Lambda's five pollers, at least one, at most a batch", () => {
  const consumer = { batchSize: 100, maximumBatchingWindowSeconds: 20 };
  assert.is(objectsPerInvocation(0.01, consumer), 1);
  assert.ok(Math.abs(objectsPerInvocation(10_000 / 3_600, consumer) - (10_000 / 3_600) * 4) < 1e-9);
  assert.is(objectsPerInvocation(1_000, consumer), 100);
  assert.is(objectsPerInvocation(1_000, { batchSize: 10, maximumBatchingWindowSeconds: 1 }), 10);
});

test("per-invocation items (fleet-state part, the metrics' EMF lines, the pollers' calls, the invocation) shrink with batching; per-object items do not", () => {
  const scenario = { vehicles: 10_000, uploadEveryMinutes: 60 };
  const unbatched = fleetCost(profile(), { ...scenario, telemetryConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 0 } });
  const batched = fleetCost(profile(), { ...scenario, telemetryConsumer: { batchSize: 100, maximumBatchingWindowSeconds: 20 } });
  const quantity = (cost: typeof batched, item: string) => cost.lines.find((line) => line.item === `telemetry: ${item}`)?.quantity ?? 0;
  const objects = 10_000 * (MINUTES_PER_MONTH / 60);

  assert.is(unbatched.objectsPerInvocation, 1);
  assert.ok(Math.abs(batched.objectsPerInvocation - (10_000 / 3_600) * 4) < 1e-9);
  assert.is(quantity(unbatched, "Lambda requests"), objects);
  assert.ok(Math.abs(quantity(batched, "Lambda requests") - objects / batched.objectsPerInvocation) < 1e-6);
  assert.ok(Math.abs(quantity(batched, "CloudWatch Logs (EMF metrics)") - ((objects / batched.objectsPerInvocation) * 2_000) / 1e9) < 1e-9);
  assert.is(quantity(batched, "S3 GET"), quantity(unbatched, "S3 GET"));
  assert.is(quantity(batched, "DynamoDB writes"), quantity(unbatched, "DynamoDB writes"));
  assert.ok(batched.usdPerVehicleMonth < unbatched.usdPerVehicleMonth);
});

test("EMF metric lines are priced as log ingestion, not as CloudWatch API requests; a profile without them counts none", () => {
  const cost = fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 60 });
  const line = cost.lines.find((candidate) => candidate.item === "telemetry: CloudWatch Logs (EMF metrics)")!;
  const invocations = (10_000 * MINUTES_PER_MONTH) / 60 / cost.objectsPerInvocation;

  assert.ok(Math.abs(line.usdPerMonth - ((invocations * 2_000) / 1e9) * PRICES.cloudWatchLogsIngestGb.usd) < 1e-12);
  assert.is(cost.lines.find((candidate) => candidate.item === "telemetry: CloudWatch API"), undefined);
  const older = profile();
  delete (older.telemetry.perInvocation as Partial<typeof older.telemetry.perInvocation>).logIngestBytes;
  const olderCost = fleetCost(older, { vehicles: 10_000, uploadEveryMinutes: 60 });
  assert.ok(Number.isFinite(olderCost.usdPerMonth));
  assert.ok(Math.abs(cost.usdPerMonth - olderCost.usdPerMonth - line.usdPerMonth) < 1e-9);
});

test("compute: per object, per record and per invocation", () => {
  const cost = fleetCost(profile(), { vehicles: 3_600, uploadEveryMinutes: 60, telemetryConsumer: { batchSize: 10, maximumBatchingWindowSeconds: 5 } });
  const objects = 3_600 * (MINUTES_PER_MONTH / 60);
  const gbSeconds = cost.lines.find((line) => line.item === "telemetry: Lambda compute")!.quantity;
  // 1 object/s, 5 s window over 5 pollers: 1 object an invocation
  assert.ok(Math.abs(gbSeconds - objects * (0.01 + 60 * 0.0001 + 0.05)) < 1e-6);
});

const cpu: ProcessorCpu = { secondsPerInvocation: 0.01, secondsPerObject: 0.004, secondsPerRecord: 0.00001, objectsInFlight: 10, memoryMb: 512 };

test("modelled compute: CPU at Lambda's share for the memory, plus each object's claim, GET and completion, objectsInFlight at a time", () => {
  const share = 512 / LAMBDA_MB_PER_VCPU;
  const chainSeconds = (2 * AWS_LATENCY.dynamoDb.ms + AWS_LATENCY.s3.ms) / 1000;
  const perInvocationWaitSeconds = (AWS_LATENCY.dynamoDb.ms + AWS_LATENCY.s3.ms) / 1000; // the campaign query, the fleet-state PUT
  const expected = (objects: number, rounds: number) => ((0.01 + objects * (0.004 + 60 * 0.00001)) / share + rounds * chainSeconds + perInvocationWaitSeconds) * 0.5;
  assert.ok(Math.abs(modelledProcessorGbSeconds(cpu, 1, 60) - expected(1, 1)) < 1e-12);
  assert.ok(Math.abs(modelledProcessorGbSeconds(cpu, 10, 60) - expected(10, 1)) < 1e-12);
  assert.ok(Math.abs(modelledProcessorGbSeconds(cpu, 100, 60) - expected(100, 10)) < 1e-12);
  // more objects in flight wait less; CPU-bound GB-seconds do not depend on the memory (below one vCPU)
  assert.ok(modelledProcessorGbSeconds({ ...cpu, objectsInFlight: 100 }, 100, 60) < modelledProcessorGbSeconds(cpu, 100, 60));
  const cpuOnly = (memoryMb: number) => modelledProcessorGbSeconds({ ...cpu, memoryMb }, 100, 60) - modelledProcessorGbSeconds({ ...cpu, memoryMb, secondsPerInvocation: 0, secondsPerObject: 0, secondsPerRecord: 0 }, 100, 60);
  assert.ok(Math.abs(cpuOnly(256) - cpuOnly(1024)) < 1e-12);
});

test("modelled compute replaces the measured per-object, per-record and per-invocation GB-seconds, and nothing else", () => {
  const scenario = { vehicles: 100_000, uploadEveryMinutes: 60 };
  const measured = fleetCost(profile({ processorCpu: cpu }), scenario);
  const modelled = fleetCost(profile({ processorCpu: cpu }), { ...scenario, processorCompute: PROCESSOR_COMPUTE.ModelledAws });
  const compute = (cost: typeof measured) => cost.lines.find((line) => line.item === "telemetry: Lambda compute")!.quantity;
  const invocations = (100_000 * MINUTES_PER_MONTH) / 60 / modelled.objectsPerInvocation;
  assert.ok(Math.abs(compute(modelled) - invocations * modelledProcessorGbSeconds(cpu, modelled.objectsPerInvocation, 60)) < 1e-3);
  const others = (cost: typeof measured) => cost.lines.filter((line) => line.item !== "telemetry: Lambda compute");
  assert.equal(others(modelled), others(measured));
  assert.throws(() => fleetCost(profile(), { ...scenario, processorCompute: PROCESSOR_COMPUTE.ModelledAws }), (error: unknown) => error instanceof ProcessorCpuNotMeasuredError);
});

test("storage: kept for telemetryRetentionDays plus 30 days as a noncurrent version; shorter retention stores proportionally less", () => {
  assert.ok(Math.abs(storedMonths(365) - (395 * 12) / 365) < 1e-12);
  const stored = (telemetryRetentionDays?: number) =>
    fleetCost(profile(), { vehicles: 10_000, uploadEveryMinutes: 60, ...(telemetryRetentionDays === undefined ? {} : { telemetryRetentionDays }) }).lines.find(
      (line) => line.item === "telemetry: S3 Standard storage (steady state)",
    )!.quantity;
  const gbPerMonth = (10_000 * MINUTES_PER_MONTH * 50) / 1e9; // a record a minute, 50 gzip bytes each
  assert.ok(Math.abs(stored() - gbPerMonth * storedMonths(365)) < 1e-9, "the stack's default retention");
  assert.ok(Math.abs(stored(90) / stored(365) - 120 / 395) < 1e-9);
});

test.run();
