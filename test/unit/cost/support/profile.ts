import { NO_USAGE, type MeasuredProfile } from "../../../../cost/model.js";

/** A measured profile with round numbers, for the model's and the CLI's tests. */
export function profile(overrides: Partial<MeasuredProfile> = {}): MeasuredProfile {
  return {
    measuredAt: "2026-12-01",
    method: "test",
    telemetry: {
      perObject: { ...NO_USAGE, s3Put: 1, s3Get: 2, sqs: 1, dynamoDbWriteUnits: 2, lambdaGbSeconds: 0.01 },
      perInvocation: { ...NO_USAGE, s3Put: 1, sqs: 2, logIngestBytes: 2_000, dynamoDbReadUnits: 0.5, lambdaInvocations: 1, lambdaGbSeconds: 0.05 },
      recordsPerObject: 10,
      lambdaGbSecondsPerRecord: 0.0001,
      gzipBytesPerRecord: 50,
    },
    perScheduledMinute: { ...NO_USAGE, lambdaInvocations: 2, lambdaGbSeconds: 0.1, cloudWatchMetricsRequested: 10 },
    perVehicleUpdate: { ...NO_USAGE, dynamoDbWriteUnits: 20, kmsSign: 1, s3Put: 1 },
    customMetrics: 16,
    alarmMetrics: 20,
    kmsKeys: 1,
    ...overrides,
  };
}
