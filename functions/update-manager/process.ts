import { PutMetricDataCommand, type CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import type { SQSRecord } from "aws-lambda";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../campaigns/update-service.js";
import type { UpdateTally } from "../../campaigns/update-tally.js";
import type { Log } from "../../lib/logger.js";
import { updateMessageSchema, type UpdateMessage } from "../../contracts/update-messages.js";

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
 * Returns the per-record handler of one invocation: parse, apply, and on failure log the clear reason and
 * rethrow, so the record is reported as a batch item failure (then retried, then dead-lettered).
 *
 * @example
 * await processPartialResponse(event, updateRecordHandler(deps), new BatchProcessor(EventType.SQS));
 */
export function updateRecordHandler(deps: UpdateServiceDeps): (record: SQSRecord) => Promise<void> {
  const active = new ActiveCampaigns(deps.store);
  return async function processUpdateRecord(record: SQSRecord): Promise<void> {
    try {
      await handleUpdateMessage(deps, parseUpdateRecord(record), active);
    } catch (error) {
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
 * Sends the invocation's OTAUpdates/* counters in one PutMetricData call (nothing when nothing moved).
 * A metrics failure is logged, never fails the already-applied messages.
 */
export async function publishTally(cloudwatch: CloudWatchClient, namespace: string, tally: UpdateTally, log: Log, at: Date): Promise<void> {
  if (tally.isEmpty) return;
  try {
    await cloudwatch.send(new PutMetricDataCommand({ Namespace: namespace, MetricData: tally.toMetricData(at) }));
  } catch (error) {
    log.error("OTAUpdates metrics not published", { error: (error as Error).message });
  }
}
