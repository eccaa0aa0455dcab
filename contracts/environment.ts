/**
 * The environment variables the stack sets on every Lambda and the handlers read.
 * One list, imported by both sides, so a renamed variable breaks the build rather than production.
 *
 * @example
 * const bucket = requireEnv(ENV.DATA_BUCKET); // "fleetota-dev-data-lake-…"
 */
export const ENV = {
  /** Stack name prefix, e.g. `fleetota-dev`. */
  NAME_PREFIX: "FLEETOTA_NAME_PREFIX",
  /** Data-lake bucket: telemetry/, quarantine/, firmware/, jobs/, fleet-state/. */
  DATA_BUCKET: "FLEETOTA_DATA_BUCKET",
  /** Single DynamoDB table holding campaigns, vehicle jobs and idempotency keys. */
  STATE_TABLE: "FLEETOTA_STATE_TABLE",
  TELEMETRY_QUEUE_URL: "FLEETOTA_TELEMETRY_QUEUE_URL",
  TELEMETRY_DLQ_URL: "FLEETOTA_TELEMETRY_DLQ_URL",
  /** The vehicle-report queue (update-job queue): candidates and status reports, from the telemetry processor only. */
  UPDATE_QUEUE_URL: "FLEETOTA_UPDATE_QUEUE_URL",
  UPDATE_DLQ_URL: "FLEETOTA_UPDATE_DLQ_URL",
  /** The command queue: operator commands (the CLI) and the rollout ticker's ticks; the processor may not send to it. */
  COMMAND_QUEUE_URL: "FLEETOTA_COMMAND_QUEUE_URL",
  COMMAND_DLQ_URL: "FLEETOTA_COMMAND_DLQ_URL",
  /** The command queue's ARN: the update manager applies a command only from a record of that queue (`eventSourceARN`). */
  COMMAND_QUEUE_ARN: "FLEETOTA_COMMAND_QUEUE_ARN",
  /** CloudWatch namespace for every custom metric (see METRIC). */
  METRICS_NAMESPACE: "FLEETOTA_METRICS_NAMESPACE",
  /** Bucket of the static dashboard site; the publisher writes under DASHBOARD_DATA_PREFIX. */
  DASHBOARD_BUCKET: "FLEETOTA_DASHBOARD_BUCKET",
  DASHBOARD_DATA_PREFIX: "FLEETOTA_DASHBOARD_DATA_PREFIX",
  /** Minutes between two refreshes of the dashboard's telemetry trends (1-60, a divisor of 60); the rest is written every run. */
  DASHBOARD_TRENDS_EVERY_MINUTES: "FLEETOTA_DASHBOARD_TRENDS_EVERY_MINUTES",
  /** Most vehicles the fleet state holds (processor: per part; publisher: at compaction); default 100,000. */
  FLEET_STATE_MAX_VEHICLES: "FLEETOTA_FLEET_STATE_MAX_VEHICLES",
  /** Days a vehicle stays in the fleet state after its last record (the publisher drops it at compaction); default 30. */
  FLEET_STATE_RETENTION_DAYS: "FLEETOTA_FLEET_STATE_RETENTION_DAYS",
  /** Days a parked record is kept (the data bucket's lifecycle rule on parked/): the dashboard says when the oldest expires; default 90. */
  PARKED_RETENTION_DAYS: "FLEETOTA_PARKED_RETENTION_DAYS",
  /** Prefix shared by every CloudWatch alarm of the stack (the publisher lists them). */
  ALARM_PREFIX: "FLEETOTA_ALARM_PREFIX",
  /** The stack's director KMS key (ARN): what `fleetota keys ceremony` names in the director root. */
  DIRECTOR_KEY_ID: "FLEETOTA_DIRECTOR_KEY_ID",
  LOG_LEVEL: "POWERTOOLS_LOG_LEVEL",
  SERVICE_NAME: "POWERTOOLS_SERVICE_NAME",
} as const;

export type EnvName = (typeof ENV)[keyof typeof ENV];

export class MissingEnvironmentError extends Error {
  override readonly name = "MissingEnvironmentError";
  constructor(readonly variable: string) {
    super(`environment variable ${variable} is not set`);
  }
}

export class InvalidEnvironmentError extends Error {
  override readonly name = "InvalidEnvironmentError";
}

/**
 * Reads an optional whole number above 0, `fallback` when absent or empty; throws InvalidEnvironmentError naming it otherwise.
 *
 * @example
 * positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, 100_000, { FLEETOTA_FLEET_STATE_MAX_VEHICLES: "250000" }); // 250000
 */
export function positiveIntegerEnv(name: EnvName, fallback: number, env: NodeJS.ProcessEnv = process.env): number {
  const text = env[name];
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!Number.isInteger(value) || value <= 0) throw new InvalidEnvironmentError(`environment variable ${name} must be a whole number above 0, got "${text}"`);
  return value;
}

/** Reads a required variable; throws MissingEnvironmentError naming it when absent or empty. */
export function requireEnv(name: EnvName, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  if (value === undefined || value === "") throw new MissingEnvironmentError(name);
  return value;
}
