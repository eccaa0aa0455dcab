import { UsageError } from "./errors.js";

/**
 * Parses an option that must be a whole number within bounds, naming the option when it is not.
 *
 * @example
 * parseIntegerOption("--max-per-second", "50", { min: 1, max: 500 }); // 50
 */
export function parseIntegerOption(option: string, raw: string, bounds: { min: number; max?: number }): number {
  const value = Number(raw.trim());
  if (!/^-?\d+$/.test(raw.trim()) || !Number.isSafeInteger(value)) throw new UsageError(`${option} must be a whole number, got "${raw}"`);
  if (value < bounds.min) throw new UsageError(`${option} must be at least ${bounds.min}, got ${value}`);
  if (bounds.max !== undefined && value > bounds.max) throw new UsageError(`${option} must be at most ${bounds.max}, got ${value}`);
  return value;
}

const DURATION_UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 } as const;

/**
 * Parses a duration such as `30d`, `12h`, `90m`, `45s` or `2w` into seconds.
 *
 * @example
 * parseDuration("--expires", "30d"); // 2_592_000
 */
export function parseDuration(option: string, raw: string): number {
  const match = /^(\d+)\s*([smhdw])$/.exec(raw.trim());
  if (!match) throw new UsageError(`${option} must be a duration like 30d, 12h, 90m or 45s, got "${raw}"`);
  const seconds = Number(match[1]) * DURATION_UNIT_SECONDS[match[2] as keyof typeof DURATION_UNIT_SECONDS];
  if (seconds <= 0) throw new UsageError(`${option} must be longer than zero, got "${raw}"`);
  return seconds;
}

/**
 * Parses a value that must be one of a fixed set, case-insensitively, listing the set when it is not.
 *
 * @example
 * parseChoice("--state", "failed", ["QUEUED", "FAILED"]); // "FAILED"
 */
export function parseChoice<T extends string>(option: string, raw: string, choices: readonly T[]): T {
  const found = choices.find((choice) => choice.toLowerCase() === raw.trim().toLowerCase());
  if (found === undefined) throw new UsageError(`${option} must be one of ${choices.join(", ")}, got "${raw}"`);
  return found;
}

/**
 * Splits repeated and comma-separated values (`--hardware a,b --hardware c`) into a clean list.
 *
 * @example
 * parseList("--hardware", ["tcu-4g,tcu-5g", "tcu-5g"]); // ["tcu-4g", "tcu-5g"]
 */
export function parseList(option: string, raw: readonly string[]): string[] {
  const values = [...new Set(raw.flatMap((item) => item.split(",")).map((item) => item.trim()).filter(Boolean))];
  if (values.length === 0) throw new UsageError(`${option} needs at least one value`);
  return values;
}

/** A firmware version as releases are named: dotted numbers with an optional suffix (`2.4.1`, `2.5.0-rc1`). */
const VERSION_PATTERN = /^\d+(\.\d+){0,3}(-[0-9A-Za-z.]+)?$/;

/**
 * Checks a firmware version string; it also becomes an S3 path segment, so it must be plain.
 *
 * @example
 * parseVersion("--version", "2.4.1"); // "2.4.1"
 */
export function parseVersion(option: string, raw: string): string {
  const value = raw.trim();
  if (!VERSION_PATTERN.test(value)) throw new UsageError(`${option} must look like 2.4.1 or 2.5.0-rc1, got "${raw}"`);
  return value;
}
