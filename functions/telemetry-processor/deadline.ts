/**
 * The telemetry processor's deadline guard (R15-T2): near the invocation's timeout, a message that gets its turn is
 * not started but handed back to the queue, so the messages already started finish, the invocation's metrics are
 * published and the batch gets its partial response instead of timing out whole.
 */

/**
 * Time an invocation keeps, once it stops starting messages, for the objects still in flight and publishInvocation.
 * An object in flight is bounded by the read limits (telemetry/core.ts DEFAULT_READ_LIMITS); the dearest one
 * measured (2026-12-03, this machine, reader alone) is 4 MiB of nested-array lines, the rejected-text limit, with up
 * to 10,000 valid records beside them: 0.27-0.36 CPU-s. Ten of them in flight (OBJECTS_IN_FLIGHT) take 3.6 CPU-s,
 * about 12.5 s of wall time at 512 MB's share of a vCPU (0.29, modules/stack-config.ts); their last SDK calls (the
 * quarantine copy, the ledger) and publishInvocation (one fleet-state PUT, the EMF lines) add well under 2 s.
 * 20 s covers that with a margin and leaves 40 s of the 60 s timeout for starting messages: the worst clean batch (100
 * objects at the line limit) takes 6-11 CPU-s, 22-37 s there, so the guard defers no clean batch. It is an
 * absolute time, not a share of the timeout: what it must cover grows with the objects in flight and shrinks with
 * memory (CPU), not with the timeout; resolveStackProps refuses a processor timeout under twice this.
 */
export const DEADLINE_RESERVE_MS = 20_000;

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
 * import { concurrencyLimit } from "../../lib/concurrency-limit.js";
 * const limited = concurrencyLimit(10);
 * await limited(async () => {
 *   startBeforeDeadline(context); // throws DeadlineNearError with under 20 s left: the message goes back to the queue
 *   return s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
 * });
 */
export function startBeforeDeadline(context: DeadlineContext | undefined, reserveMs: number = DEADLINE_RESERVE_MS): void {
  if (typeof context?.getRemainingTimeInMillis !== "function") return;
  const remainingMs = context.getRemainingTimeInMillis();
  if (remainingMs < reserveMs) throw new DeadlineNearError(remainingMs, reserveMs);
}
