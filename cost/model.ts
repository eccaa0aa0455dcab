/**
 * The cost model: monthly dollars for a fleet, priced from the requests a local run counted
 * (`MeasuredProfile`, written by `npm run bench -- cost`) and AWS list prices (`prices.ts`). Pure: no I/O.
 */
import { DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS } from "../modules/data-lake-storage.js";
import { defaults as stackDefaults, type QueueConsumerSettings } from "../modules/stack-config.js";
import { AWS_LATENCY } from "./aws-latency.js";
import { PRICES } from "./prices.js";

export const MINUTES_PER_MONTH = 43_800; // 730 h, AWS's billing month

/** Billable usage, per unit of work (one telemetry object, one scheduled minute, one vehicle update). */
export interface Usage {
  s3Put: number;
  s3Get: number;
  sqs: number;
  dynamoDbWriteUnits: number;
  dynamoDbReadUnits: number;
  cloudWatchApi: number;
  cloudWatchMetricsRequested: number;
  kmsSign: number;
  snsPublish: number;
  lambdaInvocations: number;
  lambdaGbSeconds: number;
  /**
   * Bytes of log events CloudWatch Logs ingests that the model prices: the functions' EMF metric lines
   * (each line's UTF-8 bytes + 26, as CloudWatch Logs sizes an event), which replaced PutMetricData
   * requests. The functions' other log lines are not counted (they were not before EMF either). Absent in
   * profiles measured before EMF (counted as 0).
   */
  logIngestBytes?: number;
  /** AWS IoT registry operations (the update manager's DescribeThing before it admits a vehicle). Absent in older profiles (0). */
  iotRegistryOperations?: number;
}

export const NO_USAGE: Usage = {
  s3Put: 0,
  s3Get: 0,
  sqs: 0,
  dynamoDbWriteUnits: 0,
  dynamoDbReadUnits: 0,
  cloudWatchApi: 0,
  cloudWatchMetricsRequested: 0,
  kmsSign: 0,
  snsPublish: 0,
  lambdaInvocations: 0,
  lambdaGbSeconds: 0,
  logIngestBytes: 0,
  iotRegistryOperations: 0,
};

/** What a counted local run measured; see bench/cost.bench.ts. */
export interface MeasuredProfile {
  measuredAt: string;
  /** How it was measured, e.g. "100 vehicles, 2 passes of 5 uploads, local cloud". */
  method: string;
  telemetry: {
    /**
     * Per object (vehicle side included: its PUT; EventBridge's delivery to SQS; the processor's ledger
     * check, read and completion, its hand-off; its compute beyond the per-record share).
     */
    perObject: Usage;
    /**
     * Per processor invocation, whatever the objects in it: the invocation, the pollers' receive and delete,
     * the fleet-state part, the metrics' EMF log lines, the campaign query. How many objects share one is the
     * mapping's batching (`objectsPerInvocation`), not the local run's.
     */
    perInvocation: Usage;
    recordsPerObject: number;
    /** Processor GB-seconds per record, from two passes with different object sizes after a warm-up pass. */
    lambdaGbSecondsPerRecord: number;
    gzipBytesPerRecord: number;
  };
  /** The scheduled functions (rollout ticker, dashboard publisher), per minute, with an idle fleet. */
  perScheduledMinute: Usage;
  /**
   * What a dashboard-publisher run that refreshes the telemetry trends adds to one that does not (the
   * trend metrics GetMetricData is billed for, telemetry.json's PUT, the compute): paid once every
   * `dashboardTrendsEveryMinutes`. Absent in profiles measured before the trends had their own cadence
   * (their perScheduledMinute reads the trends every minute).
   */
  perTrendsRefresh?: Usage;
  /**
   * The dashboard publisher's share of `perScheduledMinute`'s GB-seconds and the memory it ran with, so the model
   * prices the publisher's compute (a minute's run and a trends refresh) at its configured memory
   * (`publisherMemoryMb`). Absent in profiles measured before it (their compute is priced as measured).
   */
  publisherCompute?: { gbSecondsPerMinute: number; memoryMb: number };
  /** One vehicle updated by a campaign: admission, job document, signing, reports, state writes. */
  perVehicleUpdate: Usage;
  /** Custom metric series the stack publishes (counted in the emulator after the run). */
  customMetrics: number;
  /**
   * The processor's own CPU time with no network at all (bench/processor-offline.ts: the real processor
   * code and SDK clients, answered from memory), for compute modelled at AWS latencies. Absent in
   * profiles measured before it existed.
   */
  processorCpu?: ProcessorCpu;
  /** Metrics the stack's alarms watch (a metric-math alarm counts each metric it reads). */
  alarmMetrics: number;
  kmsKeys: number;
}

/** The processor's CPU seconds (at one full core) and how it runs, measured without network. */
export interface ProcessorCpu {
  secondsPerInvocation: number;
  /** Per object beyond its records: the object's SDK calls (ledger check, GET, completion) and its handling. */
  secondsPerObject: number;
  secondsPerRecord: number;
  /** Objects the handler reads at once (OBJECTS_IN_FLIGHT). */
  objectsInFlight: number;
  /** The processor's configured memory when measured. */
  memoryMb: number;
}

/** Where the processor's compute comes from: the local runtime's durations, or its CPU plus AWS's latencies. */
export const PROCESSOR_COMPUTE = { Measured: "measured", ModelledAws: "modelled-aws" } as const;
export type ProcessorCompute = (typeof PROCESSOR_COMPUTE)[keyof typeof PROCESSOR_COMPUTE];

/** The profile has no processor CPU measurement, so compute cannot be modelled at AWS latencies. */
export class ProcessorCpuNotMeasuredError extends Error {
  override readonly name = "ProcessorCpuNotMeasuredError";
  constructor() {
    super("the measured profile has no processor CPU figures (run npm run bench -- cost)");
  }
}

/** Lambda gives a function one vCPU at 1,769 MB, in proportion below. */
export const LAMBDA_MB_PER_VCPU = 1_769;

/**
 * GB-seconds of one processor invocation of `objects` objects on AWS, modelled: its CPU time (measured
 * without network) at Lambda's CPU share for its memory, plus what it waits for AWS (cost/aws-latency.ts):
 * each object's ledger check, GET and completion one after another, `objectsInFlight` objects at a time, then the
 * campaign query and the fleet-state PUT (the metrics are log lines, written without waiting). CPU and waiting are added, not
 * overlapped (conservative).
 *
 * @example
 * modelledProcessorGbSeconds(cpu, 100, 60); // one invocation of 100 hourly objects
 */
export function modelledProcessorGbSeconds(cpu: ProcessorCpu, objects: number, recordsPerObject: number): number {
  const cpuShare = Math.min(1, cpu.memoryMb / LAMBDA_MB_PER_VCPU);
  const cpuSeconds = (cpu.secondsPerInvocation + objects * (cpu.secondsPerObject + recordsPerObject * cpu.secondsPerRecord)) / cpuShare;
  const objectChainMs = 2 * AWS_LATENCY.dynamoDb.ms + AWS_LATENCY.s3.ms;
  const waitMs = Math.ceil(objects / cpu.objectsInFlight) * objectChainMs + AWS_LATENCY.dynamoDb.ms + AWS_LATENCY.s3.ms;
  return (cpuSeconds + waitMs / 1000) * (cpu.memoryMb / 1024);
}

export const FRONT_DOOR = { s3: "s3", iotBasicIngest: "iot-basic-ingest" } as const;
export type FrontDoor = (typeof FRONT_DOOR)[keyof typeof FRONT_DOOR];

export interface FleetScenario {
  vehicles: number;
  /** Minutes between two uploads of one vehicle. */
  uploadEveryMinutes: number;
  /** Records a vehicle produces per minute (one a minute by default). */
  recordsPerMinute?: number;
  updatesPerYear?: number;
  frontDoor?: FrontDoor;
  /** The telemetry event source mapping's batching (the stack's default on AWS unless given). */
  telemetryConsumer?: Pick<QueueConsumerSettings, "batchSize" | "maximumBatchingWindowSeconds">;
  /** Days telemetry objects are kept (the stack's `telemetryRetentionDays` unless given). */
  telemetryRetentionDays?: number;
  /** The processor's compute: as measured on the local runtime (default), or modelled at AWS latencies. */
  processorCompute?: ProcessorCompute;
  /** Minutes between two refreshes of the dashboard's telemetry trends (the stack's `dashboardTrendsEveryMinutes` unless given). */
  dashboardTrendsEveryMinutes?: number;
  /** The dashboard publisher's memory (the stack's `functions.dashboardPublisher.memoryMb` unless given). */
  publisherMemoryMb?: number;
}

/** SQS pollers Lambda starts for a mapping before it scales up (AWS: five batches at a time). */
export const LAMBDA_SQS_POLLERS = 5;
/**
 * Queues an event source mapping polls: telemetry, vehicle reports (update jobs) and operator commands. Each costs
 * idle long polls whatever the traffic (test/stack/queues.test.ts keeps it equal to the stack's mappings).
 */
export const MAPPED_QUEUES = 3;
/** Long polls a minute of one idle poller (20 s long polling). */
const IDLE_POLLS_PER_POLLER_MINUTE = 3;

/**
 * Objects one processor invocation gets at a steady arrival rate: each of Lambda's pollers gathers for up
 * to the batching window or until the batch is full, so an invocation gets the window's share of the
 * arrivals (at least one object, at most a batch).
 *
 * @example
 * objectsPerInvocation(10_000 / 3_600, { batchSize: 100, maximumBatchingWindowSeconds: 20 }); // ≈ 11 (10,000 vehicles, hourly)
 */
export function objectsPerInvocation(objectsPerSecond: number, consumer: Pick<QueueConsumerSettings, "batchSize" | "maximumBatchingWindowSeconds">): number {
  return Math.min(consumer.batchSize, Math.max(1, (objectsPerSecond * consumer.maximumBatchingWindowSeconds) / LAMBDA_SQS_POLLERS));
}

/** One priced line: what, how many, and what it costs a month. */
export interface CostLine {
  item: string;
  quantity: number;
  unit: string;
  usdPerMonth: number;
}

export interface FleetCost {
  scenario: Required<FleetScenario>;
  /** Objects each processor invocation handles at this fleet's arrival rate. */
  objectsPerInvocation: number;
  lines: CostLine[];
  usdPerMonth: number;
  usdPerVehicleMonth: number;
}

const sum = (usages: Array<[Usage, number]>): Usage => {
  const total = { ...NO_USAGE };
  for (const [usage, times] of usages) for (const key of Object.keys(total) as Array<keyof Usage>) total[key] += (usage[key] ?? 0) * times; // a profile measured before a field existed counts it as 0
  return total;
};

/** Prices a usage total into lines (zero lines left out). */
export function priceUsage(usage: Usage, label: string): CostLine[] {
  const lines: CostLine[] = [
    { item: `${label}: S3 PUT/LIST`, quantity: usage.s3Put, unit: "requests", usdPerMonth: usage.s3Put * PRICES.s3PutRequest.usd },
    { item: `${label}: S3 GET`, quantity: usage.s3Get, unit: "requests", usdPerMonth: usage.s3Get * PRICES.s3GetRequest.usd },
    { item: `${label}: SQS`, quantity: usage.sqs, unit: "requests", usdPerMonth: usage.sqs * PRICES.sqsRequest.usd },
    { item: `${label}: DynamoDB writes`, quantity: usage.dynamoDbWriteUnits, unit: "WRU", usdPerMonth: usage.dynamoDbWriteUnits * PRICES.dynamoDbWriteUnit.usd },
    { item: `${label}: DynamoDB reads`, quantity: usage.dynamoDbReadUnits, unit: "RRU", usdPerMonth: usage.dynamoDbReadUnits * PRICES.dynamoDbReadUnit.usd },
    { item: `${label}: CloudWatch API`, quantity: usage.cloudWatchApi, unit: "requests", usdPerMonth: usage.cloudWatchApi * PRICES.cloudWatchApiRequest.usd },
    {
      item: `${label}: CloudWatch GetMetricData`,
      quantity: usage.cloudWatchMetricsRequested,
      unit: "metrics",
      usdPerMonth: usage.cloudWatchMetricsRequested * PRICES.cloudWatchGetMetricDataMetric.usd,
    },
    { item: `${label}: KMS Sign`, quantity: usage.kmsSign, unit: "requests", usdPerMonth: usage.kmsSign * PRICES.kmsAsymmetricRequest.usd },
    { item: `${label}: SNS`, quantity: usage.snsPublish, unit: "publishes", usdPerMonth: usage.snsPublish * PRICES.snsPublish.usd },
    { item: `${label}: Lambda requests`, quantity: usage.lambdaInvocations, unit: "invocations", usdPerMonth: usage.lambdaInvocations * PRICES.lambdaRequest.usd },
    { item: `${label}: Lambda compute`, quantity: usage.lambdaGbSeconds, unit: "GB-s", usdPerMonth: usage.lambdaGbSeconds * PRICES.lambdaGbSecond.usd },
    {
      item: `${label}: CloudWatch Logs (EMF metrics)`,
      quantity: (usage.logIngestBytes ?? 0) / 1e9,
      unit: "GB",
      usdPerMonth: ((usage.logIngestBytes ?? 0) / 1e9) * PRICES.cloudWatchLogsIngestGb.usd,
    },
    {
      item: `${label}: IoT registry`,
      quantity: usage.iotRegistryOperations ?? 0,
      unit: "operations",
      usdPerMonth: (usage.iotRegistryOperations ?? 0) * PRICES.iotRegistryOperation.usd,
    },
  ];
  return lines.filter((line) => line.quantity > 0);
}

/** S3 objects under 128 KB are not moved to Standard-IA by lifecycle rules, so they stay in Standard. */
const IA_MINIMUM_OBJECT_BYTES = 128 * 1024;

/**
 * Months a telemetry object is stored: its retention, then as a noncurrent version (the bucket is
 * versioned: expiry leaves the object noncurrent) for the noncurrent-version retention.
 *
 * @example
 * storedMonths(365); // ≈ 13.0: a year, then 30 days as a noncurrent version
 */
export function storedMonths(retentionDays: number): number {
  return (retentionDays + DEFAULT_NONCURRENT_VERSION_RETENTION_DAYS) / (365 / 12);
}

function storageLines(gzipBytesPerMonth: number, objectBytes: number, retentionMonths: number): CostLine[] {
  const storedGb = (gzipBytesPerMonth * retentionMonths) / 1e9;
  const staysInStandard = objectBytes < IA_MINIMUM_OBJECT_BYTES;
  const standardGb = staysInStandard ? storedGb : gzipBytesPerMonth / 1e9;
  const iaGb = storedGb - standardGb;
  return [
    { item: "telemetry: S3 Standard storage (steady state)", quantity: standardGb, unit: "GB-month", usdPerMonth: standardGb * PRICES.s3StorageGbMonth.usd },
    { item: "telemetry: S3 Standard-IA storage (steady state)", quantity: iaGb, unit: "GB-month", usdPerMonth: iaGb * 0.0125 },
  ].filter((line) => line.quantity > 0);
}

/**
 * The monthly cost of a fleet's telemetry, its share of the scheduled functions and fixed items, and
 * its campaigns, by line.
 *
 * @example
 * const cost = fleetCost(profile, { vehicles: 10_000, uploadEveryMinutes: 60 });
 * cost.usdPerVehicleMonth; // e.g. 0.0051
 */
export function fleetCost(profile: MeasuredProfile, scenario: FleetScenario): FleetCost {
  const full: Required<FleetScenario> = {
    recordsPerMinute: 1,
    updatesPerYear: 4,
    frontDoor: FRONT_DOOR.s3,
    telemetryConsumer: stackDefaults.telemetryConsumer,
    telemetryRetentionDays: stackDefaults.telemetryRetentionDays,
    processorCompute: PROCESSOR_COMPUTE.Measured,
    dashboardTrendsEveryMinutes: stackDefaults.dashboardTrendsEveryMinutes,
    publisherMemoryMb: stackDefaults.functions.dashboardPublisher.memoryMb,
    ...scenario,
  };
  if (full.processorCompute === PROCESSOR_COMPUTE.ModelledAws && !profile.processorCpu) throw new ProcessorCpuNotMeasuredError();
  const retentionMonths = storedMonths(full.telemetryRetentionDays);
  const uploadsPerMonth = (full.vehicles * MINUTES_PER_MONTH) / full.uploadEveryMinutes;
  const recordsPerUpload = full.uploadEveryMinutes * full.recordsPerMinute;
  const recordsPerMonth = uploadsPerMonth * recordsPerUpload;
  const gzipBytesPerMonth = recordsPerMonth * profile.telemetry.gzipBytesPerRecord;

  const lines: CostLine[] = [];
  let batching: number;
  if (full.frontDoor === FRONT_DOOR.s3) {
    batching = objectsPerInvocation(uploadsPerMonth / (MINUTES_PER_MONTH * 60), full.telemetryConsumer);
    lines.push(...priceUsage(telemetryUsage(profile, uploadsPerMonth, recordsPerUpload, batching, full.processorCompute), "telemetry"));
    lines.push(...storageLines(gzipBytesPerMonth, recordsPerUpload * profile.telemetry.gzipBytesPerRecord, retentionMonths));
  } else {
    const ingest = basicIngestLines(profile, full, uploadsPerMonth, recordsPerUpload, gzipBytesPerMonth, retentionMonths);
    batching = ingest.objectsPerInvocation;
    lines.push(...ingest.lines);
  }
  const trendsRefreshes = MINUTES_PER_MONTH / full.dashboardTrendsEveryMinutes;
  const scheduled = scheduledUsage(profile, full.publisherMemoryMb);
  lines.push(...priceUsage(sum([[scheduled.perMinute, MINUTES_PER_MONTH], [scheduled.perTrendsRefresh, trendsRefreshes]]), "scheduled"));
  const updatesPerMonth = (full.vehicles * full.updatesPerYear) / 12;
  lines.push(...priceUsage(sum([[profile.perVehicleUpdate, updatesPerMonth]]), "campaigns"));
  const idlePolls = MAPPED_QUEUES * LAMBDA_SQS_POLLERS * IDLE_POLLS_PER_POLLER_MINUTE * MINUTES_PER_MONTH;
  lines.push(
    { item: "fixed: custom metrics", quantity: profile.customMetrics, unit: "metrics", usdPerMonth: profile.customMetrics * PRICES.cloudWatchMetricMonth.usd },
    { item: "fixed: alarms", quantity: profile.alarmMetrics, unit: "alarm metrics", usdPerMonth: profile.alarmMetrics * PRICES.cloudWatchAlarmMetricMonth.usd },
    { item: "fixed: KMS keys", quantity: profile.kmsKeys, unit: "keys", usdPerMonth: profile.kmsKeys * PRICES.kmsKeyMonth.usd },
    // Lambda's SQS pollers long-poll each mapped queue even when idle: about 5 pollers, 3 polls a minute.
    { item: "fixed: idle queue polling", quantity: idlePolls, unit: "requests", usdPerMonth: idlePolls * PRICES.sqsRequest.usd },
  );
  const usdPerMonth = lines.reduce((total, line) => total + line.usdPerMonth, 0);
  return { scenario: full, objectsPerInvocation: batching, lines, usdPerMonth, usdPerVehicleMonth: usdPerMonth / full.vehicles };
}

/**
 * The scheduled minute and a trends refresh with the publisher's compute at `publisherMemoryMb`: GB-seconds in
 * proportion to the memory, a run's duration as measured (more memory also brings more CPU, so a CPU-bound run
 * costs somewhat less than this).
 */
function scheduledUsage(profile: MeasuredProfile, publisherMemoryMb: number): { perMinute: Usage; perTrendsRefresh: Usage } {
  const refresh = profile.perTrendsRefresh ?? NO_USAGE;
  const measured = profile.publisherCompute;
  if (!measured) return { perMinute: profile.perScheduledMinute, perTrendsRefresh: refresh };
  const ratio = publisherMemoryMb / measured.memoryMb;
  return {
    perMinute: { ...profile.perScheduledMinute, lambdaGbSeconds: profile.perScheduledMinute.lambdaGbSeconds + measured.gbSecondsPerMinute * (ratio - 1) },
    perTrendsRefresh: { ...refresh, lambdaGbSeconds: refresh.lambdaGbSeconds * ratio },
  };
}

/**
 * A month's telemetry usage: per object, per record (compute) and per invocation at the given batching.
 * With compute modelled at AWS latencies, the processor's GB-seconds are the model's per invocation
 * instead of the local runtime's per object and per record.
 */
function telemetryUsage(
  profile: MeasuredProfile,
  objectsPerMonth: number,
  recordsPerObject: number,
  objectsPerInvocationNow: number,
  compute: ProcessorCompute,
): Usage {
  const { perObject, perInvocation, lambdaGbSecondsPerRecord } = profile.telemetry;
  const invocations = objectsPerMonth / objectsPerInvocationNow;
  if (compute === PROCESSOR_COMPUTE.ModelledAws) {
    const modelled = modelledProcessorGbSeconds(profile.processorCpu!, objectsPerInvocationNow, recordsPerObject);
    return sum([
      [{ ...perObject, lambdaGbSeconds: 0 }, objectsPerMonth],
      [{ ...perInvocation, lambdaGbSeconds: modelled }, invocations],
    ]);
  }
  const perRecordCompute: Usage = { ...NO_USAGE, lambdaGbSeconds: lambdaGbSecondsPerRecord };
  return sum([
    [perObject, objectsPerMonth],
    [perRecordCompute, objectsPerMonth * recordsPerObject],
    [perInvocation, invocations],
  ]);
}

/**
 * The other front door: vehicles publish each batch over MQTT to a Basic Ingest topic (no messaging
 * charge); a rule adds the publishing thing's name and hands the batch to Firehose, which writes large
 * gzip objects under telemetry/; from the S3 notification on, the pipeline is the same, with far fewer
 * objects. Vehicles stay connected (connectivity is charged per minute).
 */
function basicIngestLines(
  profile: MeasuredProfile,
  scenario: Required<FleetScenario>,
  uploadsPerMonth: number,
  recordsPerUpload: number,
  gzipBytesPerMonth: number,
  retentionMonths: number,
): { lines: CostLine[]; objectsPerInvocation: number } {
  const uploadBytes = recordsPerUpload * profile.telemetry.gzipBytesPerRecord;
  const firehoseGb = (uploadsPerMonth * Math.ceil(uploadBytes / 5_000) * 5_000) / 1e9;
  // Firehose flushes at 128 MB or every 15 minutes, whichever comes first, per stream.
  const firehoseObjects = Math.max(MINUTES_PER_MONTH / 15, gzipBytesPerMonth / 128e6);
  const recordsPerObject = (uploadsPerMonth * recordsPerUpload) / firehoseObjects;
  const batching = objectsPerInvocation(firehoseObjects / (MINUTES_PER_MONTH * 60), scenario.telemetryConsumer);
  const connectionMinutes = scenario.vehicles * MINUTES_PER_MONTH;
  return {
    objectsPerInvocation: batching,
    lines: [
      { item: "IoT Core connectivity", quantity: connectionMinutes, unit: "connection-minutes", usdPerMonth: connectionMinutes * PRICES.iotConnectionMinute.usd },
      { item: "IoT rules triggered", quantity: uploadsPerMonth, unit: "rules", usdPerMonth: uploadsPerMonth * PRICES.iotRuleTriggered.usd },
      { item: "IoT rule actions (Firehose)", quantity: uploadsPerMonth, unit: "actions", usdPerMonth: uploadsPerMonth * PRICES.iotRuleAction.usd },
      { item: "Firehose ingestion", quantity: firehoseGb, unit: "GB", usdPerMonth: firehoseGb * PRICES.firehoseIngestGb.usd },
      // Firehose's PUT takes the vehicle's place: the same per-object usage, on far fewer, larger objects.
      ...priceUsage(telemetryUsage(profile, firehoseObjects, recordsPerObject, batching, scenario.processorCompute), "telemetry"),
      ...storageLines(gzipBytesPerMonth, gzipBytesPerMonth / firehoseObjects, retentionMonths),
    ],
  };
}

/** Dollars per vehicle update (one job through a campaign). */
export function costPerVehicleUpdate(profile: MeasuredProfile): { usd: number; lines: CostLine[] } {
  const lines = priceUsage(profile.perVehicleUpdate, "update");
  return { usd: lines.reduce((total, line) => total + line.usdPerMonth, 0), lines };
}

/** The same traffic on the alternatives, per vehicle-month (transport or management only). */
export function alternatives(scenario: Pick<FleetScenario, "vehicles" | "uploadEveryMinutes">, uploadBytes: number) {
  const messagesPerVehicleMonth = (MINUTES_PER_MONTH / scenario.uploadEveryMinutes) * Math.max(1, Math.ceil(uploadBytes / 5_000));
  const selfHostedHawkbit = PRICES.ec2T3MediumMonth.usd + PRICES.rdsT3SmallMonth.usd + 20 * PRICES.ebsGp3GbMonth.usd + PRICES.albMonth.usd;
  const selfHostedMender = PRICES.ec2T3LargeMonth.usd + 50 * PRICES.ebsGp3GbMonth.usd + PRICES.albMonth.usd;
  return {
    iotCoreMessagingPerVehicleMonth: messagesPerVehicleMonth * PRICES.iotMessage.usd + MINUTES_PER_MONTH * PRICES.iotConnectionMinute.usd,
    iotJobsPerUpdate: PRICES.iotJobExecution.usd,
    hawkbitMinimumPerMonth: selfHostedHawkbit,
    menderMinimumPerMonth: selfHostedMender,
  };
}

/** The lines that cost the most, largest first. */
export function dominantLines(cost: FleetCost, count = 3): CostLine[] {
  return [...cost.lines].sort((a, b) => b.usdPerMonth - a.usdPerMonth).slice(0, count);
}
