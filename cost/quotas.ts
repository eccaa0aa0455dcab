/**
 * Where AWS's default quotas bind first: for each, the rate the stack needs per vehicle (from the measured
 * profile) and the fleet size at which that rate reaches the default. Defaults are AWS's documented
 * defaults in us-east-1 at the price date; most are adjustable in Service Quotas.
 */
import { defaults as stackDefaults } from "../modules/stack-config.js";
import type { MeasuredProfile } from "./model.js";

export interface QuotaRow {
  quota: string;
  defaultLimit: string;
  /** Fleet size at which the default binds, at the given upload period. */
  bindsAtVehicles: number;
  whatTheStackDoes: string;
}

/**
 * @example
 * quotaTable(profile, 15).find((row) => row.quota.startsWith("Lambda"))?.bindsAtVehicles;
 */
export function quotaTable(profile: MeasuredProfile, uploadEveryMinutes: number, processorSecondsPerInvocation = 5): QuotaRow[] {
  const uploadsPerSecondPerVehicle = 1 / (uploadEveryMinutes * 60);
  const { perObject, perInvocation } = profile.telemetry;
  // Where a quota binds the queue is never short of objects: every invocation gets a full batch.
  const { batchSize } = stackDefaults.telemetryConsumer;
  const vehiclesAt = (limitPerSecond: number, perUpload: number) => (perUpload > 0 ? Math.floor(limitPerSecond / (uploadsPerSecondPerVehicle * perUpload)) : Number.POSITIVE_INFINITY);
  return [
    {
      quota: "S3 PUT per partitioned prefix",
      defaultLimit: "3,500 requests/s",
      bindsAtVehicles: vehiclesAt(3_500, 1),
      whatTheStackDoes: "each vehicle writes under telemetry/vehicle/<VIN>/, so S3 can split partitions by VIN as the rate grows",
    },
    {
      quota: "CloudWatch PutMetricData",
      defaultLimit: "500 requests/s",
      bindsAtVehicles: vehiclesAt(500, (perObject.cloudWatchApi + perInvocation.cloudWatchApi / batchSize)),
      whatTheStackDoes: "no PutMetricData from the functions: each invocation writes its metrics as EMF log lines, which CloudWatch Logs extracts; no per-vehicle dimensions",
    },
    {
      quota: "Lambda concurrent executions",
      defaultLimit: "1,000 per account and region",
      bindsAtVehicles: vehiclesAt(1_000 / processorSecondsPerInvocation, perInvocation.lambdaInvocations / batchSize),
      whatTheStackDoes: "the telemetry mapping's maximum concurrency caps the processor; the queue absorbs bursts",
    },
    {
      quota: "SQS standard queue in-flight messages",
      defaultLimit: "120,000 per queue",
      // A message is in flight from its receive, through the batching window, to its deletion.
      bindsAtVehicles: Math.floor(120_000 / (uploadsPerSecondPerVehicle * (stackDefaults.telemetryConsumer.maximumBatchingWindowSeconds + processorSecondsPerInvocation))),
      whatTheStackDoes: `batches of up to ${batchSize} deleted as soon as processed; ReportBatchItemFailures keeps only failures in flight`,
    },
    {
      quota: "DynamoDB on-demand table throughput",
      defaultLimit: "40,000 write units/s per table",
      bindsAtVehicles: vehiclesAt(40_000, perObject.dynamoDbWriteUnits),
      whatTheStackDoes: "one ledger write an object, keyed by object (spread over partitions); job state written on transitions only",
    },
    {
      quota: "KMS asymmetric (ECC) Sign",
      defaultLimit: "300 requests/s (shared by ECC operations)",
      bindsAtVehicles: Number.POSITIVE_INFINITY,
      whatTheStackDoes: "one Sign per job document version; a wave is admitted over several ticks (a tick stops starting work when short of time), so signing is paced by waves, not by fleet size",
    },
    {
      quota: "IoT credentials provider (AssumeRoleWithCertificate)",
      defaultLimit: "50 requests/s per account",
      bindsAtVehicles: 50 * 3_600,
      whatTheStackDoes: "a vehicle refreshes its one-hour credentials once an hour, jittered: 180,000 vehicles at the default",
    },
  ];
}
