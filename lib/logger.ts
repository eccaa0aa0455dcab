import { Logger } from "@aws-lambda-powertools/logger";

/**
 * Creates the structured (JSON) logger a handler passes down to the domain.
 * Nothing in the domain reaches for a global logger.
 *
 * @example
 * const logger = createLogger("telemetry-processor");
 * logger.info("batch processed", { records: 812 });
 */
export function createLogger(serviceName: string): Logger {
  return new Logger({ serviceName });
}

/** The subset of a logger the domain modules need; tests pass a silent or recording one. */
export interface Log {
  debug(message: string, ...extra: unknown[]): void;
  info(message: string, ...extra: unknown[]): void;
  warn(message: string, ...extra: unknown[]): void;
  error(message: string, ...extra: unknown[]): void;
}

export const silentLog: Log = { debug() {}, info() {}, warn() {}, error() {} };
