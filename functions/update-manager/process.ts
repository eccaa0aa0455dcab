import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { ActiveCampaigns, handleUpdateMessage, REPORT_PARKED_REASON, type UpdateServiceDeps } from "../../campaigns/update-service.js";
import type { UpdateTally } from "../../campaigns/update-tally.js";
import { writeEmfMetrics, type LineWriter } from "../../lib/emf-metrics.js";
import type { Log } from "../../lib/logger.js";
import { updateMessageSchema, type UpdateMessage } from "../../contracts/update-messages.js";
import { PARKED_SOURCE } from "../../contracts/parked-failure.js";
import { CountedParkBatch, parkedFailure, parkFailure, PARKED_REASON, PermanentFailureError, type ParkedTally, type Parking } from "../../lib/parked-failures.js";

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

/** Where the update manager takes commands from. */
export interface CommandSource {
  /**
   * The command queue's ARN: a command or tick is applied only from a record whose `eventSourceARN` is this queue
   * (which only operators and the rollout ticker may send to). One from any other queue is parked, whoever sent it.
   */
  commandQueueArn: string;
}

/**
 * Returns the per-record handler of one invocation: parse and apply. A failure no retry can fix (a
 * malformed message, a command that did not come from the command queue, or a PermanentFailureError from the update service) is parked with its reason
 * (parked/update-manager/…, Reliability/MessagesParked) and the record counts as handled; any other
 * failure is logged with its reason and rethrown, so the record is reported as a batch item failure
 * (then retried, then dead-lettered). With `gathered`, a park counted in a shared record (a vehicle's refused
 * report, a candidate that needed unusable image targets) is only gathered there, by record, for its owner (the
 * invocation, processUpdateBatch) to write once for the whole batch; without, it is written at once.
 *
 * @example
 * import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
 * await processPartialResponse(sqsEvent, updateRecordHandler(deps, parking, { commandQueueArn }), new BatchProcessor(EventType.SQS));
 */
export function updateRecordHandler(
  deps: UpdateServiceDeps,
  parking: Parking,
  source: CommandSource,
  gathered?: CountedParkBatch<string>,
): (record: SQSRecord) => Promise<void> {
  const active = new ActiveCampaigns(deps.store);
  return async function processUpdateRecord(record: SQSRecord): Promise<void> {
    let message: UpdateMessage | undefined;
    try {
      message = parseUpdateRecord(record);
      if (message.kind === "command" && record.eventSourceARN !== source.commandQueueArn) {
        throw new PermanentFailureError(
          PARKED_REASON.CommandOffCommandQueue,
          `${message.command} of campaign ${message.campaignId} arrived on ${record.eventSourceARN || "an unnamed queue"}, not the command queue: commands come from operators and the rollout ticker, on the command queue only`,
        );
      }
      if (message.kind !== "command" && record.eventSourceARN === source.commandQueueArn) {
        throw new PermanentFailureError(
          PARKED_REASON.VehicleMessageOnCommandQueue,
          `a ${message.kind} arrived on the command queue, sent by ${record.attributes?.SenderId || "an unnamed sender"}: vehicles' reports and candidates come from the telemetry processor, on the vehicle-report queue only`,
        );
      }
      await handleUpdateMessage(deps, message, active);
    } catch (error) {
      const permanent =
        error instanceof InvalidUpdateMessageError ? new PermanentFailureError(PARKED_REASON.InvalidUpdateMessage, error.message) : error;
      if (permanent instanceof PermanentFailureError) {
        await parkUpdateRecord(deps, parking, record, message, permanent, gathered);
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
 * Every reason a status report is refused for: each is parked once a day per vehicle and reason, and counted. Every
 * field of a report is the vehicle's own text (campaign, attempt, sequence), so a record per report would let a
 * vehicle park one object a report, 64 an upload (review 17, R17-P2: made-up campaigns; review 18, R18-P1: made-up
 * attempts and sequences on its own job). A refused report is never replayed (the vehicle's next genuine one
 * applies), so nothing is lost for an operator: the record keeps the first report and the last, with their details.
 */
const COUNTED_REPORT_REASONS: ReadonlySet<string> = new Set(Object.values(REPORT_PARKED_REASON));

/**
 * The reasons a candidate is parked for while the image targets are unusable (it needed a job document): each once a
 * day per vehicle and reason, and counted, as refused reports are. A candidate's key is its `observedAt`, a time the
 * vehicle chooses, so a record per candidate would let a vehicle park one object an upload for as long as the targets
 * stay expired (review 18, R18-P1). A parked candidate is never replayed (the vehicle's next telemetry after the
 * refresh sends a new one); the record keeps the first and the last.
 */
const COUNTED_CANDIDATE_REASONS: ReadonlySet<string> = new Set([PARKED_REASON.ImageTargetsExpired, PARKED_REASON.ImageTargetsUnverifiable]);

/** The vehicle a message speaks for, when it is parked counted (COUNTED_REPORT_REASONS, COUNTED_CANDIDATE_REASONS). */
function countedVehicleOf(message: UpdateMessage | undefined, reason: string): string | undefined {
  if (message?.kind === "status-report" && COUNTED_REPORT_REASONS.has(reason)) return message.vin;
  if (message?.kind === "candidate" && COUNTED_CANDIDATE_REASONS.has(reason)) return message.vehicle.vin;
  return undefined;
}

/**
 * Reasons that blame the sender, not the message: parked apart from the same message parked for another reason
 * (a report refused from the report queue the same day) and per sender, so each sender's record names it.
 */
const WRONG_QUEUE_REASONS: ReadonlySet<string> = new Set([PARKED_REASON.CommandOffCommandQueue, PARKED_REASON.VehicleMessageOnCommandQueue]);

/**
 * Parks one update record: identified by its message's idempotency key (with the reporting VIN for a status
 * report: its key is made of the vehicle's own text, so vehicle A must not be able to park B's report first; with
 * the reason and the sender when it came by the wrong queue), or by its body when it has none. A refused report
 * (COUNTED_REPORT_REASONS) or a candidate that needed unusable image targets (COUNTED_CANDIDATE_REASONS) is parked
 * under [kind, vehicle, reason, day] instead and counted in that record, so a vehicle cannot grow `parked/` by one
 * object a forged report or an upload; with `gathered` that park waits there for the batch's one write of the record.
 */
async function parkUpdateRecord(
  deps: UpdateServiceDeps,
  parking: Parking,
  record: SQSRecord,
  message: UpdateMessage | undefined,
  failure: PermanentFailureError,
  gathered: CountedParkBatch<string> | undefined,
): Promise<void> {
  const at = deps.now();
  const countedVin = countedVehicleOf(message, failure.reason);
  const sentAmiss = WRONG_QUEUE_REASONS.has(failure.reason) ? [failure.reason, record.attributes?.SenderId ?? ""] : [];
  const identity =
    message && countedVin !== undefined
      ? [message.kind, countedVin, failure.reason, at.toISOString().slice(0, 10)]
      : message
      ? [message.kind, ...(message.kind === "status-report" ? [message.vin] : []), message.idempotencyKey, ...sentAmiss]
      : [record.body];
  const parked = parkedFailure({
    source: PARKED_SOURCE.UpdateManager,
    identity,
    reason: failure.reason,
    detail: failure.message,
    message: record.body,
    ...(failure.remedy === undefined ? {} : { remedy: failure.remedy }),
    at,
  });
  if (gathered && message && countedVin !== undefined) {
    gathered.add(record.messageId, parked, message.idempotencyKey);
    return;
  }
  const result = await parkFailure(parking, parked, message && countedVin !== undefined ? { countedAs: message.idempotencyKey } : {});
  deps.log.warn("update message parked: a retry cannot fix it", { messageId: record.messageId, reason: parked.reason, detail: parked.detail, id: parked.id, result });
}

/**
 * Writes the OTAUpdates/* counters (and parked messages) counted since the last flush as embedded-metric-format
 * log lines (lib/emf-metrics.ts; nothing when nothing was counted), then starts both tallies over. A metrics failure
 * is logged, never fails the already-applied messages (nor is it written again: a line may have gone out).
 *
 * @example
 * flushTally("FleetOTA", tally, log, new Date(), parking.tally);
 */
export function flushTally(namespace: string, tally: UpdateTally, log: Log, at: Date, parked?: ParkedTally, write?: LineWriter): void {
  if (tally.isEmpty && !parked?.total) return;
  try {
    const data = [...tally.toMetricData(at), ...(parked?.metricData(at) ?? [])];
    writeEmfMetrics(data, { namespace, log, write });
  } catch (error) {
    log.error("OTAUpdates metrics not published", { error: (error as Error).message });
  } finally {
    tally.reset();
    parked?.reset();
  }
}

/**
 * Longest that counts applied inside one message wait to be written: a tick that times out hundreds of jobs, or a
 * message that hangs on a call until the Lambda timeout, has written what it applied up to a second before.
 */
export const METRICS_FLUSH_INTERVAL_MS = 1_000;

/** Calls `flush` every `ms` until the returned stop is called (a test passes one it fires by hand). */
export type Repeater = (flush: () => void, ms: number) => () => void;

const everyInterval: Repeater = function everyInterval(flush, ms) {
  const timer = setInterval(flush, ms);
  timer.unref();
  return () => clearInterval(timer);
};

/** Where and how the update manager's metrics are written, and which queue its commands come from. */
export interface UpdateBatchOptions extends CommandSource {
  namespace: string;
  write?: LineWriter;
  repeat?: Repeater;
}

/**
 * Writes the counted records the batch gathered, each once (CountedParkBatch), and returns the messages whose record
 * could not be written: they fail the batch item, to be retried (none of them was counted); a record that was written
 * counts its messages, a redelivered one among its last keys not again.
 */
async function writeGatheredParks(gathered: CountedParkBatch<string>, parking: Parking, log: Log): Promise<string[]> {
  const unwritten: string[] = [];
  for (const { key, failure, owners, outcome } of await gathered.flush(parking)) {
    if ("error" in outcome) {
      log.error("update messages not parked: their counted record was not written", { key, reason: failure.reason, messageIds: owners, errorKind: outcome.error.name, error: outcome.error.message });
      unwritten.push(...owners);
    } else {
      log.warn("update messages parked: a retry cannot fix them", { reason: failure.reason, detail: failure.detail, id: failure.id, messageIds: owners, ...outcome });
    }
  }
  return unwritten;
}

/**
 * One invocation: the batch, in order, with partial batch responses. The parks counted in a shared record are
 * gathered by record while the batch runs and each record is written once at its end (writeGatheredParks): one
 * vehicle's refused reports cost one read and one write a batch, not a read-modify-write each, queued on one key
 * behind the other invocations' (review 21, R21-04); a record that cannot be written fails exactly its messages.
 * The counts are written as soon as they are applied, not once at the end: when each message ends (handled, parked or failed) and every
 * METRICS_FLUSH_INTERVAL_MS during one. A transition applied before the invocation dies (Lambda timeout, crash) is
 * therefore already in the log, and its redelivery finds it applied ("ignored", not counted again): each applied
 * transition is counted once, when it is applied. Candidate refusals are counted per delivery, as before.
 *
 * @example
 * const response = await processUpdateBatch(sqsEvent, context, deps, parking, { namespace: "FleetOTA", commandQueueArn });
 */
export async function processUpdateBatch(
  event: SQSEvent,
  context: Context,
  deps: UpdateServiceDeps,
  parking: Parking,
  output: UpdateBatchOptions,
): Promise<SQSBatchResponse> {
  const flush = () => flushTally(output.namespace, deps.tally, deps.log, deps.now(), parking.tally, output.write);
  const gathered = new CountedParkBatch<string>();
  const handle = updateRecordHandler(deps, parking, output, gathered);
  const stop = (output.repeat ?? everyInterval)(flush, METRICS_FLUSH_INTERVAL_MS);
  try {
    const processed = await processPartialResponse(
      event,
      async function processAndFlush(record: SQSRecord): Promise<void> {
        try {
          await handle(record);
        } finally {
          flush();
        }
      },
      new BatchProcessor(EventType.SQS),
      {
        context,
        throwOnFullBatchFailure: false,
        // In order: reports of one job in one batch apply without racing each other, and a batch of ten
        // takes a few hundred milliseconds at DynamoDB latencies; parallelism comes from concurrent batches.
        processInParallel: false,
      },
    );
    const unparked = await writeGatheredParks(gathered, parking, deps.log);
    // A new response: powertools may hand back one shared empty response object.
    const response: SQSBatchResponse = { batchItemFailures: [...processed.batchItemFailures, ...unparked.map((itemIdentifier) => ({ itemIdentifier }))] };
    if (response.batchItemFailures.length > 0) deps.log.warn("batch item failures", { failed: response.batchItemFailures.length, of: event.Records.length });
    return response;
  } finally {
    stop();
    flush();
  }
}
