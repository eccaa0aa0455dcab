import { ScheduleExpressionError } from "../errors.js";

/**
 * EventBridge schedule expressions, evaluated in UTC as EventBridge does:
 * - `rate(<n> minute|minutes|hour|hours|day|days)` (singular unit for 1, plural otherwise);
 * - `cron(<minutes> <hours> <day-of-month> <month> <day-of-week> <year>)` with `*`, `?`, lists, ranges,
 *   steps (`0/5`, `*\/10`, `8-17/2`), month names JAN-DEC and day names SUN-SAT (SUN = 1). Exactly one
 *   of day-of-month and day-of-week must be `?`. `L`, `W` and `#` are refused with a clear error.
 * A small parser rather than a cron library: the common ones are 5-field Unix crons (Sunday = 0, no
 * year, both day fields OR-ed), which would silently misread AWS expressions.
 */
export type ScheduleExpression =
  | { kind: "rate"; everyMs: number }
  | {
      kind: "cron";
      minutes: Set<number>;
      hours: Set<number>;
      /** undefined for `?` */
      daysOfMonth?: Set<number>;
      months: Set<number>;
      /** 1 = Sunday … 7 = Saturday; undefined for `?` */
      daysOfWeek?: Set<number>;
      years: Set<number>;
    };

const RATE_UNITS_MS = { minute: 60_000, hour: 3_600_000, day: 86_400_000 } as const;
const MONTH_NAMES = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

interface FieldSpec {
  label: string;
  min: number;
  max: number;
  names?: string[];
}

const FIELDS = {
  minutes: { label: "minutes", min: 0, max: 59 },
  hours: { label: "hours", min: 0, max: 23 },
  daysOfMonth: { label: "day-of-month", min: 1, max: 31 },
  months: { label: "month", min: 1, max: 12, names: MONTH_NAMES },
  daysOfWeek: { label: "day-of-week", min: 1, max: 7, names: DAY_NAMES },
  years: { label: "year", min: 1970, max: 2199 },
} as const satisfies Record<string, FieldSpec>;

function parseRate(expression: string, body: string): ScheduleExpression {
  const match = /^(\d+)\s+(minute|minutes|hour|hours|day|days)$/.exec(body.trim());
  if (!match) throw new ScheduleExpressionError(expression, "expected rate(<positive integer> <minute(s)|hour(s)|day(s)>)");
  const value = Number(match[1]);
  const unit = match[2]!;
  if (value <= 0) throw new ScheduleExpressionError(expression, "the rate must be a positive integer");
  const plural = unit.endsWith("s");
  if ((value === 1) === plural) throw new ScheduleExpressionError(expression, "use a singular unit for 1 and a plural unit otherwise");
  const singular = (plural ? unit.slice(0, -1) : unit) as keyof typeof RATE_UNITS_MS;
  return { kind: "rate", everyMs: value * RATE_UNITS_MS[singular] };
}

function parseValue(expression: string, token: string, spec: FieldSpec): number {
  const nameIndex = spec.names?.indexOf(token.toUpperCase()) ?? -1;
  const value = nameIndex >= 0 ? nameIndex + spec.min : /^\d+$/.test(token) ? Number(token) : NaN;
  if (!Number.isInteger(value) || value < spec.min || value > spec.max) {
    throw new ScheduleExpressionError(expression, `${spec.label} value "${token}" is outside ${spec.min}-${spec.max}`);
  }
  return value;
}

function parseField(expression: string, field: string, spec: FieldSpec): Set<number> {
  const withoutNames = spec.names ? field.toUpperCase().replace(new RegExp(spec.names.join("|"), "g"), "") : field;
  if (/[LW#]/i.test(withoutNames)) {
    throw new ScheduleExpressionError(expression, `${spec.label} "${field}" uses L, W or #, which the local scheduler does not support`);
  }
  const values = new Set<number>();
  for (const part of field.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    if (!Number.isInteger(step) || step <= 0) throw new ScheduleExpressionError(expression, `${spec.label} step "${stepText}" is not a positive integer`);
    let from: number;
    let to: number;
    if (range === "*") {
      [from, to] = [spec.min, spec.max];
    } else if (range.includes("-")) {
      const [low = "", high = ""] = range.split("-");
      [from, to] = [parseValue(expression, low, spec), parseValue(expression, high, spec)];
      if (from > to) throw new ScheduleExpressionError(expression, `${spec.label} range "${range}" runs backwards`);
    } else {
      from = parseValue(expression, range, spec);
      to = stepText === undefined ? from : spec.max;
    }
    for (let value = from; value <= to; value += step) values.add(value);
  }
  return values;
}

function parseCron(expression: string, body: string): ScheduleExpression {
  const parts = body.trim().split(/\s+/);
  if (parts.length !== 6) throw new ScheduleExpressionError(expression, `expected 6 fields (minutes hours day-of-month month day-of-week year), got ${parts.length}`);
  const [minutes, hours, dayOfMonth, month, dayOfWeek, year] = parts as [string, string, string, string, string, string];
  if ((dayOfMonth === "?") === (dayOfWeek === "?")) {
    throw new ScheduleExpressionError(expression, "exactly one of day-of-month and day-of-week must be ?");
  }
  return {
    kind: "cron",
    minutes: parseField(expression, minutes, FIELDS.minutes),
    hours: parseField(expression, hours, FIELDS.hours),
    daysOfMonth: dayOfMonth === "?" ? undefined : parseField(expression, dayOfMonth, FIELDS.daysOfMonth),
    months: parseField(expression, month, FIELDS.months),
    daysOfWeek: dayOfWeek === "?" ? undefined : parseField(expression, dayOfWeek, FIELDS.daysOfWeek),
    years: parseField(expression, year, FIELDS.years),
  };
}

/**
 * Parses an EventBridge schedule expression; throws ScheduleExpressionError naming what is wrong.
 *
 * @example
 * parseScheduleExpression("rate(5 minutes)");      // { kind: "rate", everyMs: 300000 }
 * parseScheduleExpression("cron(0/15 8-17 ? * MON-FRI *)");
 */
export function parseScheduleExpression(expression: string): ScheduleExpression {
  const match = /^(rate|cron)\((.*)\)$/.exec(expression.trim());
  if (!match) throw new ScheduleExpressionError(expression, "expected rate(...) or cron(...)");
  return match[1] === "rate" ? parseRate(expression, match[2]!) : parseCron(expression, match[2]!);
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;
/** Far enough for any yearly expression (29 February included); beyond it there is no next time. */
const SEARCH_DAYS = 8 * 366;

function dayMatches(cron: Extract<ScheduleExpression, { kind: "cron" }>, day: Date): boolean {
  if (!cron.years.has(day.getUTCFullYear()) || !cron.months.has(day.getUTCMonth() + 1)) return false;
  if (cron.daysOfMonth && !cron.daysOfMonth.has(day.getUTCDate())) return false;
  if (cron.daysOfWeek && !cron.daysOfWeek.has(day.getUTCDay() + 1)) return false;
  return true;
}

/**
 * The first time strictly after `afterMs` at which the schedule fires, or undefined if it never does
 * again. A rate schedule counts from `anchorMs` (when the rule started).
 *
 * @example
 * nextFireTime(parseScheduleExpression("cron(30 2 * * ? *)"), Date.parse("2026-01-01T03:00:00Z"));
 * // → Date.parse("2026-01-02T02:30:00Z")
 */
export function nextFireTime(schedule: ScheduleExpression, afterMs: number, anchorMs = afterMs): number | undefined {
  if (schedule.kind === "rate") {
    const periods = Math.floor((afterMs - anchorMs) / schedule.everyMs) + 1;
    return anchorMs + Math.max(1, periods) * schedule.everyMs;
  }
  const firstMinute = Math.floor(afterMs / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  const firstDay = Math.floor(firstMinute / DAY_MS) * DAY_MS;
  const hours = [...schedule.hours].sort((a, b) => a - b);
  const minutes = [...schedule.minutes].sort((a, b) => a - b);
  for (let dayIndex = 0; dayIndex < SEARCH_DAYS; dayIndex += 1) {
    const dayStart = firstDay + dayIndex * DAY_MS;
    if (!dayMatches(schedule, new Date(dayStart))) continue;
    for (const hour of hours) {
      for (const minute of minutes) {
        const candidate = dayStart + hour * 3_600_000 + minute * MINUTE_MS;
        if (candidate >= firstMinute) return candidate;
      }
    }
  }
  return undefined;
}
