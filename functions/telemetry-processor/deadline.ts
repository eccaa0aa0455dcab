/**
 * The telemetry processor's deadline guard (R15-T2): near the invocation's timeout, a message that gets its turn is
 * not started, and closer still a read in flight is abandoned; both messages go back to the queue, so the messages
 * that can finish do, the invocation's metrics are published and the batch gets its partial response instead of
 * timing out whole.
 */

/**
 * Time left in the invocation below which a read still going is abandoned (ReadLimits.pastDeadline, asked once a
 * parse-ahead run: telemetry/core.ts ReadDeadlineError) and its message returned to the queue. What must still fit
 * after it: the objects past their read finish their writes (records file or quarantine copy, which is of an object of
 * at most MAX_OBJECT_BYTES, processor.ts, and is started only before this deadline: CopyDeadlineError; update messages,
 * the ledger: a few SDK calls), and publishInvocation writes
 * the fleet-state part (gzip of up to FLEET_STATE_MAX_VEHICLES entries) and the EMF lines: about 2 s at 512 MB's
 * 0.29 vCPU; 5 s with a margin. A read is not bounded by a start reserve alone: the dearest objects the read limits
 * allow cost 0.2-0.6 CPU-s (refused nested arrays, records of the most ECUs, the largest clean records;
 * telemetry/parse-budget.ts, measured 2026-12-03), 1.1-2 CPU-s with distinct keys before the object's parse budget,
 * and before the container bound accepted nested arrays cost ~2 CPU-s an object (review 16 R16-T2: 70 s with ten in
 * flight, longer than the whole timeout); whatever a future limit lets through, this holds.
 */
export const READ_DEADLINE_RESERVE_MS = 5_000;

/**
 * Time left in the invocation below which a message is not started at all (DeadlineNearError): less than this leaves
 * its read under READ_DEADLINE_RESERVE_MS + 5 s, and a read started then would mostly be abandoned, its CPU wasted. A
 * clean object at the line limit (10,000 records, 0.08-0.14 CPU-s: its lines past the 1,000th are scanned, ~+30 %) read
 * with nine others takes up to ~4.5 s at 0.29 vCPU, so it fits those 5 s. The worst clean batch (100 such objects,
 * 8-14 CPU-s, 28-48 s) starts every message within the 50 s this leaves of the 60 s timeout: the guard defers no clean
 * batch. An absolute time, not a share of the timeout (what it must cover shrinks with memory, i.e. CPU, not with the
 * timeout); resolveStackProps refuses a processor timeout under twice this.
 */
export const DEADLINE_RESERVE_MS = 10_000;

/**
 * A message not started because the invocation had less than the reserve left: transient by nature, it goes back to
 * the queue as a batch item failure and is read by a later invocation (a receive of it is spent).
 */
export class DeadlineNearError extends Error {
  override readonly name = "DeadlineNearError";
  constructor(
    readonly remainingMs: number,
    readonly reserveMs: number,
  ) {
    super(`${remainingMs} ms left in the invocation, under the ${reserveMs} ms kept for the objects in flight and the invocation's metrics: not started, returned to the queue`);
  }
}

/**
 * A quarantine copy not started: the invocation had less than the read reserve left (READ_DEADLINE_RESERVE_MS), the
 * time a copy of up to MAX_OBJECT_BYTES is left to (an object over it is not copied). Not the object's fault: its
 * message goes back to the queue as a read past its deadline does (counted deferred), and a later invocation reads and
 * copies it.
 */
export class CopyDeadlineError extends Error {
  override readonly name = "CopyDeadlineError";
  constructor(readonly source: string) {
    super(`quarantine copy of ${source} not started: the invocation is past its read deadline, so its message goes back to the queue`);
  }
}

/** What the guard needs of Lambda's context; a context without it (a hand-made one) has no deadline to keep. */
export interface DeadlineContext {
  getRemainingTimeInMillis?: () => number;
}

/**
 * Throws a DeadlineNearError when the invocation has less than `reserveMs` left; call it as a message is about to
 * start (in its slot, after any wait for one). Lambda and the local runtime (local/runtime/lambda/sandbox-worker.ts)
 * always give the remaining time; without it nothing is refused.
 *
 * @example
 * import { GetObjectCommand } from "@aws-sdk/client-s3";
 * import { fairConcurrencyLimit } from "../../lib/concurrency-limit.js";
 * const limited = fairConcurrencyLimit(10);
 * await limited("vehicle/1HGCM82633A004352", async () => {
 *   startBeforeDeadline(context); // throws DeadlineNearError with under 10 s left: the message goes back to the queue
 *   return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
 * });
 */
export function startBeforeDeadline(context: DeadlineContext | undefined, reserveMs: number = DEADLINE_RESERVE_MS): void {
  if (typeof context?.getRemainingTimeInMillis !== "function") return;
  const remainingMs = context.getRemainingTimeInMillis();
  if (remainingMs < reserveMs) throw new DeadlineNearError(remainingMs, reserveMs);
}

/**
 * Whether the invocation's reads are to be abandoned now (ReadLimits.pastDeadline: less than `reserveMs` left);
 * undefined for a context without the remaining time.
 *
 * @example
 * const pastDeadline = readDeadlineOf(context); // pastDeadline?.() is true with under 5 s left
 */
export function readDeadlineOf(context: DeadlineContext | undefined, reserveMs: number = READ_DEADLINE_RESERVE_MS): (() => boolean) | undefined {
  const remaining = context?.getRemainingTimeInMillis;
  if (typeof remaining !== "function") return undefined;
  return () => remaining.call(context) < reserveMs;
}
