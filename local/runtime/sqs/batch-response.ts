/**
 * What an SQS event source mapping does with a batch once the function returned, as AWS documents it
 * for `ReportBatchItemFailures`:
 * - the invocation failed (error, timeout, crash): the whole batch fails;
 * - success with no failures reported (null/empty response, no or null or empty `batchItemFailures`):
 *   every record is deleted;
 * - `batchItemFailures` naming records of the batch: those stay, the others are deleted;
 * - an invalid response (`batchItemFailures` not a list, an entry without `itemIdentifier`, an empty,
 *   null or non-string identifier, or an identifier that is not a message of the batch): the whole
 *   batch fails.
 * Without `ReportBatchItemFailures` any successful response deletes the whole batch.
 */
export type InvocationResult = { ok: true; payload: unknown } | { ok: false; error: Error };

export interface BatchDecision {
  /** Message ids to delete. */
  succeeded: string[];
  /** Message ids left to the visibility timeout (then redelivered, or moved to the DLQ by the redrive policy). */
  failed: string[];
  /** Why records failed, for the log. */
  reason?: string;
}

function wholeBatchFails(messageIds: string[], reason: string): BatchDecision {
  return { succeeded: [], failed: [...messageIds], reason };
}

/**
 * Splits a batch into the records to delete and those to leave, from the function's outcome.
 *
 * @example
 * decideBatch(["m1", "m2"], { ok: true, payload: { batchItemFailures: [{ itemIdentifier: "m2" }] } }, true);
 * // → { succeeded: ["m1"], failed: ["m2"], reason: "function reported 1 failed record(s)" }
 */
export function decideBatch(messageIds: string[], result: InvocationResult, reportBatchItemFailures: boolean): BatchDecision {
  if (!result.ok) return wholeBatchFails(messageIds, `invocation failed: ${result.error.message}`);
  if (!reportBatchItemFailures) return { succeeded: [...messageIds], failed: [] };
  const payload = result.payload;
  if (payload === null || typeof payload !== "object" || Array.isArray(payload)) return { succeeded: [...messageIds], failed: [] };
  const failures = (payload as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return { succeeded: [...messageIds], failed: [] };
  if (!Array.isArray(failures)) return wholeBatchFails(messageIds, "invalid response: batchItemFailures is not a list");
  const inBatch = new Set(messageIds);
  const failedIds = new Set<string>();
  for (const failure of failures as unknown[]) {
    const identifier = failure && typeof failure === "object" ? (failure as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof identifier !== "string" || identifier === "") {
      return wholeBatchFails(messageIds, "invalid response: a batchItemFailures entry has no itemIdentifier");
    }
    if (!inBatch.has(identifier)) {
      return wholeBatchFails(messageIds, `invalid response: itemIdentifier "${identifier}" is not a message of the batch`);
    }
    failedIds.add(identifier);
  }
  if (failedIds.size === 0) return { succeeded: [...messageIds], failed: [] };
  return {
    succeeded: messageIds.filter((id) => !failedIds.has(id)),
    failed: messageIds.filter((id) => failedIds.has(id)),
    reason: `function reported ${failedIds.size} failed record(s)`,
  };
}
