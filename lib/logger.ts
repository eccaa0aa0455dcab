import { Logger } from "@aws-lambda-powertools/logger";

/**
 * Where a logged `_aws` member goes instead of the top level of the line. On AWS, CloudWatch Logs reads
 * any log line with a top-level `_aws` member as embedded-metric-format metrics; a function logs values
 * that vehicles chose (keys, maps, messages), and the logger merges an extra object's keys into the top
 * level, so a crafted key there would let a vehicle publish metrics and silence or trip alarms. Only
 * lib/emf-metrics.ts writes EMF, and never through the logger.
 */
export const LOGGED_AWS_KEY = "logged_aws";

/**
 * The logger's JSON replacer: moves a top-level `_aws` member under LOGGED_AWS_KEY (nested members are
 * left alone: EMF reads the top level only).
 *
 * @example
 * JSON.stringify({ message: "x", _aws: { CloudWatchMetrics: [] } }, withoutTopLevelAws); // '{"message":"x","logged_aws":{"CloudWatchMetrics":[]}}'
 */
export function withoutTopLevelAws(key: string, value: unknown): unknown {
  if (key !== "" || typeof value !== "object" || value === null || !Object.hasOwn(value, "_aws")) return value;
  const { _aws, ...rest } = value as Record<string, unknown>;
  return { ...rest, [LOGGED_AWS_KEY]: _aws };
}

/**
 * Creates the structured (JSON) logger a handler passes down to the domain.
 * Nothing in the domain reaches for a global logger. No line it writes has a top-level `_aws` member
 * (see LOGGED_AWS_KEY).
 *
 * @example
 * const logger = createLogger("telemetry-processor");
 * logger.info("batch processed", { records: 812 });
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName, jsonReplacerFn: withoutTopLevelAws });
}

/** The subset of a logger the domain modules need; tests pass a silent or recording one. */
export interface Log {
  debug(message: string, ...extra: unknown[]): void;
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
