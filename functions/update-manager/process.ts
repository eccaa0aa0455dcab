import type { SQSRecord } from "aws-lambda";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../campaigns/update-service.js";
import type { UpdateTally } from "../../campaigns/update-tally.js";
import { writeEmfMetrics, type LineWriter } from "../../lib/emf-metrics.js";
import type { Log } from "../../lib/logger.js";
import { updateMessageSchema, type UpdateMessage } from "../../contracts/update-messages.js";
import { PARKED_SOURCE } from "../../contracts/parked-failure.js";
import { parkedFailure, parkFailure, PARKED_REASON, PermanentFailureError, type ParkedTally, type Parking } from "../../lib/parked-failures.js";

/** The message body is not JSON or not an update message; the error names the bad fields. */
export class InvalidUpdateMessageError extends Error {
  override readonly name = "InvalidUpdateMessageError";
  constructor(readonly messageId: string, detail: string) {
    super(`update message ${messageId} is invalid: ${detail}`);
  }
}

/**
 * Parses an SQS record's body as an update message.
 *
 * @example
 * const message = parseUpdateRecord(record); // throws InvalidUpdateMessageError("… vin: Too small …")
 */
export function parseUpdateRecord(record: Pick<SQSRecord, "messageId" | "body">): UpdateMessage {
  let body: unknown;
  try {
    body = JSON.parse(record.body);
  } catch {
    throw new InvalidUpdateMessageError(record.messageId, "body is not JSON");
  }
  const result = updateMessageSchema.safeParse(body);
  if (!result.success) {
    const detail = result.error.issues.map((issue) => `${issue.path.join(".") || "(body)"}: ${issue.message}`).join("; ");
    throw new InvalidUpdateMessageError(record.messageId, detail);
  }
  return result.data;
}

/**
 * Returns the per-record handler of one invocation: parse and apply. A failure no retry can fix (a
 * malformed message, or a PermanentFailureError from the update service) is parked with its reason
 * (parked/update-manager/…, Reliability/MessagesParked) and the record counts as handled; any other
 * failure is logged with its reason and rethrown, so the record is reported as a batch item failure
 * (then retried, then dead-lettered).
 *
 * @example
 * import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
 * await processPartialResponse(sqsEvent, updateRecordHandler(deps, parking), new BatchProcessor(EventType.SQS));
 */
export function updateRecordHandler(deps: UpdateServiceDeps, parking: Parking): (record: SQSRecord) => Promise<void> {
  const active = new ActiveCampaigns(deps.store);
  return async function processUpdateRecord(record: SQSRecord): Promise<void> {
    let message: UpdateMessage | undefined;
    try {
      message = parseUpdateRecord(record);
      await handleUpdateMessage(deps, message, active);
    } catch (error) {
      const permanent =
        error instanceof InvalidUpdateMessageError ? new PermanentFailureError(PARKED_REASON.InvalidUpdateMessage, error.message) : error;
      if (permanent instanceof PermanentFailureError) {
        await parkUpdateRecord(deps, parking, record, message, permanent);
        return;
      }
      const err = error as Error;
      deps.log.error("update message failed", {
        messageId: record.messageId,
        receiveCount: record.attributes?.ApproximateReceiveCount,
        errorKind: err.name,
        error: err.message,
      });
      throw error;
    }
  };
}

/**
 * Parks one update record: identified by its message's idempotency key (with the reporting VIN for a status
 * report: its key is made of the vehicle's own text, so vehicle A must not be able to park B's report first),
 * or by its body when it has none.
 */
async function parkUpdateRecord(
  deps: UpdateServiceDeps,
  parking: Parking,
  record: SQSRecord,
  message: UpdateMessage | undefined,
  failure: PermanentFailureError,
): Promise<void> {
  const parked = parkedFailure({
    source: PARKED_SOURCE.UpdateManager,
    identity: message ? [message.kind, ...(message.kind === "status-report" ? [message.vin] : []), message.idempotencyKey] : [record.body],
    reason: failure.reason,
    detail: failure.message,
    message: record.body,
    ...(failure.remedy === undefined ? {} : { remedy: failure.remedy }),
    at: deps.now(),
  });
  const result = await parkFailure(parking, parked);
  deps.log.warn("update message parked: a retry cannot fix it", { messageId: record.messageId, reason: parked.reason, detail: parked.detail, id: parked.id, result });
}

/**
 * Writes the invocation's OTAUpdates/* counters (and parked messages) once, as embedded-metric-format log
 * lines (lib/emf-metrics.ts; nothing when nothing moved). A metrics failure is logged, never fails the
 * already-applied messages.
 *
 * @example
 * publishTally("FleetOTA", tally, log, new Date(), parking.tally);
 */
export function publishTally(namespace: string, tally: UpdateTally, log: Log, at: Date, parked?: ParkedTally, write?: LineWriter): void {
  if (tally.isEmpty && !parked?.total) return;
  try {
    const data = [...tally.toMetricData(at), ...(parked?.metricData(at) ?? [])];
    writeEmfMetrics(data, { namespace, log, write });
  } catch (error) {
    log.error("OTAUpdates metrics not published", { error: (error as Error).message });
  }
}
