/**
 * Whether a publisher run refreshes the telemetry trends. The trends are 14 CloudWatch metrics over three
 * hours, and GetMetricData is billed per metric asked for, whatever the window: read every minute they are
 * the largest fixed item of the stack. So they are refreshed every N minutes while everything else the
 * publisher writes stays at every minute.
 *
 * The decision is stateless and deterministic: it is read from the scheduled event's own time (the
 * publisher runs every minute, so exactly one run a window falls in the window's first minute). Any
 * sandbox decides the same, and Lambda's retries of a failed run (same event, same time) decide as that
 * run did. A run without a scheduled time (invoked by hand) refreshes everything. Should EventBridge
 * deliver two runs' times unevenly across a window's first minute (say 59 s and 61 s apart), that window
 * gets two refreshes or none; the page shows the trends' age, and the next window refreshes them.
 */

/** The publisher's schedule the decision counts on: one run a minute. */
export const PUBLISHER_RUN_EVERY_MS = 60_000;

export const TRENDS_DECISION = { Refresh: "refresh", Skip: "skip" } as const;
export type TrendsDecisionKind = (typeof TRENDS_DECISION)[keyof typeof TRENDS_DECISION];

export interface TrendsDecision {
  decision: TrendsDecisionKind;
  reason: string;
}

/** The trends' refresh interval is not a whole number of minutes from 1 to 60 that divides an hour. */
export class InvalidTrendsIntervalError extends RangeError {
  override readonly name = "InvalidTrendsIntervalError";
  constructor(readonly value: unknown) {
    super(`the telemetry trends' refresh interval must be a whole number of minutes from 1 to 60 that divides 60 (1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30, 60), got ${JSON.stringify(value)}`);
  }
}

/**
 * Checks a refresh interval in minutes: whole, 1-60 and a divisor of 60, so refreshes fall at the same
 * minutes of every hour (every 5: :00, :05, :10 …).
 *
 * @example
 * trendsIntervalMinutes("5"); // 5
 * trendsIntervalMinutes(7);   // throws InvalidTrendsIntervalError
 */
export function trendsIntervalMinutes(value: number | string): number {
  const minutes = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  if (typeof minutes !== "number" || !Number.isInteger(minutes) || minutes < 1 || minutes > 60 || 60 % minutes !== 0) {
    throw new InvalidTrendsIntervalError(value);
  }
  return minutes;
}

/**
 * Refresh when the run's scheduled time falls within the first minute of an `everyMinutes` window (UTC
 * epoch minutes, so every 5: the runs at :00, :05, :10 … whatever their seconds); skip otherwise. No
 * scheduled time (a run by hand) or one that does not parse: refresh.
 *
 * @example
 * decideTrendsRefresh({ scheduledTime: "2026-12-02T04:05:07Z", everyMinutes: 5 }); // { decision: "refresh", reason: "…" }
 * decideTrendsRefresh({ scheduledTime: "2026-12-02T04:06:07Z", everyMinutes: 5 }); // { decision: "skip", reason: "… next at 04:10" }
 */
export function decideTrendsRefresh(input: { scheduledTime: string | undefined; everyMinutes: number }): TrendsDecision {
  const { scheduledTime, everyMinutes } = input;
  if (everyMinutes === 1) return { decision: TRENDS_DECISION.Refresh, reason: "trends are refreshed every run" };
  if (scheduledTime === undefined) return { decision: TRENDS_DECISION.Refresh, reason: "not a scheduled run (no event time): everything is refreshed" };
  const at = Date.parse(scheduledTime);
  if (!Number.isFinite(at)) return { decision: TRENDS_DECISION.Refresh, reason: `event time ${JSON.stringify(scheduledTime)} does not parse: everything is refreshed` };
  const windowMs = everyMinutes * 60_000;
  const intoWindowMs = ((at % windowMs) + windowMs) % windowMs;
  if (intoWindowMs < PUBLISHER_RUN_EVERY_MS) {
    return { decision: TRENDS_DECISION.Refresh, reason: `first run of a ${everyMinutes}-minute window (${minuteOf(at - intoWindowMs)})` };
  }
  return { decision: TRENDS_DECISION.Skip, reason: `trends are refreshed every ${everyMinutes} minutes; next at ${minuteOf(at - intoWindowMs + windowMs)}` };
}

function minuteOf(ms: number): string {
  return new Date(ms).toISOString().slice(11, 16);
}
