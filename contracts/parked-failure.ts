/**
 * A parked failure: a message or object that no retry can fix (bad input, an unknown job, a report
 * from the wrong vehicle), recorded once with its reason instead of being retried into a DLQ.
 *
 * Where: one JSON object per failure in the data bucket under `parked/<source>/<yyyy-mm-dd>/<id>.json`,
 * written by the function that parked it; counted by the `Reliability/MessagesParked` metric with the
 * `Source` and `Reason` dimensions (both small fixed sets, never per vehicle). `fleetota parked` lists
 * them and the dashboard's "needs a hand" view shows the newest.
 */
export const PARKED_PREFIX = "parked/";

/** Days a parked record is kept before the bucket's lifecycle rule expires it (the stack's `parkedRetentionDays`). */
export const DEFAULT_PARKED_RETENTION_DAYS = 90;

/** Which part parked the failure. */
export const PARKED_SOURCE = {
  TelemetryProcessor: "telemetry-processor",
  UpdateManager: "update-manager",
} as const;
export type ParkedSource = (typeof PARKED_SOURCE)[keyof typeof PARKED_SOURCE];

export interface ParkedFailure {
  /** Stable id: a hash of the business identity (object bucket/key/etag, or job id + attempt + sequence). */
  readonly id: string;
  readonly source: ParkedSource;
  /** A short machine-readable reason from a fixed vocabulary of the source, e.g. `object-missing`. */
  readonly reason: string;
  /** One human line naming what was wrong. */
  readonly detail: string;
  /** ISO 8601 time the failure was parked. */
  readonly parkedAt: string;
  /** The original message body (truncated to 16 KiB), so an operator can act on it. */
  readonly message: string;
  /** The `fleetota` command that deals with it, when one does. */
  readonly remedy?: string;
  /**
   * How many distinct messages this record stands for (absent: one). A vehicle's reports that can never apply are
   * parked once a day per vehicle and reason, and counted here: `message` and `detail` are the first of them.
   */
  readonly count?: number;
  /** With `count`: when the last of them was parked. */
  readonly lastParkedAt?: string;
  /** With a `count` above one: the last message's detail (cut as `detail` is). */
  readonly lastDetail?: string;
  /** With a `count` above one: the last message (cut as `message` is). */
  readonly lastMessage?: string;
  /** With `count`: digests of the latest messages' keys, so a redelivered one is not counted twice. */
  readonly recentKeys?: readonly string[];
}

/** `parked/<source>/<yyyy-mm-dd>/<id>.json` for a failure. */
export function parkedFailureKey(failure: Pick<ParkedFailure, "source" | "parkedAt" | "id">): string {
  return `${PARKED_PREFIX}${failure.source}/${failure.parkedAt.slice(0, 10)}/${failure.id}.json`;
}
