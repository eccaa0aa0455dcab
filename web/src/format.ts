/**
 * Formatting for the dashboard: pure functions, unit-tested without a browser.
 */
const countFormat = new Intl.NumberFormat("en-US");

/** `12345` → `12,345`; null → `—`. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? "—" : countFormat.format(Math.round(value));
}

/** Share as a percentage with at most one decimal: `(1, 3)` → `33.3 %`; a zero whole gives `0 %`. */
export function formatShare(part: number, whole: number): string {
  if (whole <= 0) return "0 %";
  return `${Math.round((part / whole) * 1000) / 10} %`;
}

/** A metric value with its unit: `ms` → `812 ms`, `percent` → `97.5 %`, `count` → `12,345`. */
export function formatMetric(value: number | null | undefined, unit: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) return "—";
  if (unit === "percent") return `${Math.round(value * 10) / 10} %`;
  if (unit === "ms") return value >= 10_000 ? `${Math.round(value / 100) / 10} s` : `${Math.round(value)} ms`;
  return formatCount(value);
}

/** Clock time in UTC for chart axes: epoch seconds → `17:42`. */
export function formatClock(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(11, 16);
}

/**
 * The status line's part for parked failures: the messages parked (a counted record stands for many), `at least` when
 * the listing stopped before the oldest days; a document from before `messages` existed counts records, and says so.
 *
 * @example
 * parkedStatus({ total: 2, messages: 65, complete: true }); // "65 parked messages"
 */
export function parkedStatus(parked: { total: number; messages?: number; complete: boolean }): string | undefined {
  const [count, noun] = parked.messages === undefined ? [parked.total, "record"] : [parked.messages, "message"];
  if (count <= 0) return undefined;
  return `${parked.complete ? "" : "at least "}${formatCount(count)} parked ${noun}${count === 1 ? "" : "s"}`;
}

/** `ROLLED_BACK` → `rolled back`; `INSUFFICIENT_DATA` → `insufficient data`. */
export function humanizeState(state: string): string {
  return state.toLowerCase().replace(/_/g, " ");
}

/**
 * Campaign states in which no vehicle is admitted any more: `TERMINAL_CAMPAIGN_STATES` of campaigns/model.ts (the
 * dashboard bundle does not import the campaign model; a unit test keeps the two lists equal).
 */
export const FINAL_CAMPAIGN_STATES: readonly string[] = ["COMPLETED", "ABORTED", "CANCELED"];

/**
 * What the dashboard calls a campaign's eligible vehicles that have no job (never admitted into a wave): "waiting for
 * a wave" while the campaign may still admit them, "not admitted" once it is final (its last wave was full, or they
 * were first seen after it ended).
 *
 * @example
 * notAdmittedLabel("RUNNING"); // "waiting for a wave"
 * notAdmittedLabel("COMPLETED"); // "not admitted"
 */
export function notAdmittedLabel(campaignState: string): string {
  return FINAL_CAMPAIGN_STATES.includes(campaignState) ? "not admitted" : "waiting for a wave";
}

/** A CSS-safe token from a state name: `TIMED_OUT` → `timed-out`. */
export function stateToken(state: string): string {
  return state.toLowerCase().replace(/[^a-z0-9]+/g, "-");
}
