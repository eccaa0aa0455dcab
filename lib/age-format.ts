/**
 * Durations and ages as a person reads them (`3 h 5 min`, `12 s ago`): pure functions shared by the
 * operator CLI and the web dashboard (whose bundle imports this file, so it uses nothing of Node).
 */

/**
 * A duration in whole seconds as a person reads it: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h`.
 *
 * @example
 * formatDuration(3900); // "1 h 5 min"
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "—";
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const minutes = Math.floor(s / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 24) return minutes % 60 ? `${hours} h ${minutes % 60} min` : `${hours} h`;
  const days = Math.floor(hours / 24);
  return hours % 24 ? `${days} d ${hours % 24} h` : `${days} d`;
}

/**
 * How long ago an ISO time was, relative to `nowMs`: `updated 12 s ago`. A time slightly in the
 * future (clock skew) reads as `just now`; an unparsable one as `unknown`.
 *
 * @example
 * formatAge("2026-11-26T17:40:00Z", Date.parse("2026-11-26T17:40:12Z")); // "12 s ago"
 */
export function formatAge(iso: string | null | undefined, nowMs: number): string {
  const seconds = ageSeconds(iso, nowMs);
  if (seconds === undefined) return "unknown";
  if (seconds < 1) return "just now";
  return `${formatDuration(seconds)} ago`;
}

export function ageSeconds(iso: string | null | undefined, nowMs: number): number | undefined {
  if (!iso) return undefined;
  const at = Date.parse(iso);
  if (!Number.isFinite(at)) return undefined;
  return Math.max(0, (nowMs - at) / 1000);
}
