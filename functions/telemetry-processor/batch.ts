import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { fairConcurrencyLimit } from "../../lib/concurrency-limit.js";
import { ParkedTally } from "../../lib/parked-failures.js";
import { InvocationAggregate } from "../../telemetry/aggregate.js";
import { ReadDeadlineError } from "../../telemetry/core.js";
import { CopyDeadlineError, DEADLINE_RESERVE_MS, DeadlineNearError, READ_DEADLINE_RESERVE_MS, readDeadlineOf, startBeforeDeadline } from "./deadline.js";
import { roundRobinByUploader, uploaderOfMessage } from "./fair-order.js";
import { processTelemetryMessage, publishInvocation, type InvocationScope, type ProcessorDependencies } from "./processor.js";
import { HeldBackTally } from "./report-screen.js";
import type { CampaignCache } from "./campaign-cache.js";

const batchProcessor = new BatchProcessor(EventType.SQS);

/**
 * Objects read at once within a batch: the mapping delivers up to 100, and memory (512 MB) is sized for
 * about 10 objects in flight, each bounded by the read limits (the sizing is in modules/stack-config.ts).
 * More in flight would wait less per object, but on AWS the processor is mostly CPU, not waiting: the cost
 * model puts 10 → 100 at well under $0.0001 a vehicle-month.
 */
export const OBJECTS_IN_FLIGHT = 10;

export interface BatchSettings {
  /** The container's campaign list (campaign-cache.ts): made once per container, read again as it says. */
  campaigns: CampaignCache;
  /** Most VINs the invocation's fleet-state part holds (FLEET_STATE_MAX_VEHICLES). */
  fleetStateMaxVehicles: number;
  /** Time left below which no message is started; default DEADLINE_RESERVE_MS. */
  reserveMs?: number;
  /** Time left below which a read in flight is abandoned; default READ_DEADLINE_RESERVE_MS. */
  readReserveMs?: number;
}

/**
 * One SQS batch of telemetry-queue messages → its partial batch response: at most OBJECTS_IN_FLIGHT objects at
 * once, started round-robin by uploader, a free slot going to the uploader with the fewest running (fair-order.ts, fairConcurrencyLimit),
 * each message's transient failure its own; a message whose turn comes with less than the reserve left in the
 * invocation is not started (DeadlineNearError, counted as deferred), and a read still going with less than the read
 * reserve left is abandoned (ReadDeadlineError, counted as abandoned), as is a quarantine copy not yet started then
 * (CopyDeadlineError); all go back to the queue. Then the
 * invocation's fleet-state part and metrics, whatever the messages did.
 *
 * @example
 * const response = await processTelemetryBatch(sqsEvent, context, dependencies, { campaigns: campaignCache, fleetStateMaxVehicles: 10_000 }); // { batchItemFailures: [...] }
 */
export async function processTelemetryBatch(event: SQSEvent, context: Context, deps: ProcessorDependencies, settings: BatchSettings): Promise<SQSBatchResponse> {
  const startedMs = Date.now();
  const { log } = deps;
  const reserveMs = settings.reserveMs ?? DEADLINE_RESERVE_MS;
  const aggregate = new InvocationAggregate(settings.fleetStateMaxVehicles);
  const readPastDeadline = readDeadlineOf(context, settings.readReserveMs ?? READ_DEADLINE_RESERVE_MS);
  const scope: InvocationScope = {
    aggregate,
    inFlight: new Map(),
    campaigns: settings.campaigns.forInvocation(),
    reportsHeldBack: new HeldBackTally(),
    parking: { s3: deps.s3, bucket: deps.dataBucket, tally: new ParkedTally() },
    ...(readPastDeadline === undefined ? {} : { readPastDeadline }),
  };
  const slot = fairConcurrencyLimit(OBJECTS_IN_FLIGHT);
  let firstDeferral: DeadlineNearError | undefined;
  let abandoned = 0;
  // Started in this order, slots shared by uploader: the messages near the deadline leaves unstarted are a flooder's own.
  const uploaders = new Map(event.Records.map((record) => [record.messageId, uploaderOfMessage(record.body)]));
  const uploaderOf = (record: SQSRecord) => uploaders.get(record.messageId)!;
  const fairEvent: SQSEvent = { ...event, Records: roundRobinByUploader(event.Records, uploaderOf) };
  const response = await processPartialResponse(
    fairEvent,
    async function handleRecord(record: SQSRecord) {
      try {
        // Judged in the slot, when the message would start: a message may wait long for its slot behind dear objects.
        return await slot(uploaderOf(record), () => {
          startBeforeDeadline(context, reserveMs);
          return processTelemetryMessage(record.body, deps, scope, { receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) });
        });
      } catch (error) {
        if (error instanceof DeadlineNearError) {
          aggregate.addDeferred();
          firstDeferral ??= error;
        } else if (error instanceof ReadDeadlineError || error instanceof CopyDeadlineError) {
          aggregate.addDeferred();
          abandoned++;
        } else {
          log.warn("message failed; it will be retried", { messageId: record.messageId, error });
        }
        throw error;
      }
    },
    batchProcessor,
    { context, throwOnFullBatchFailure: false },
  );
  if (aggregate.deferredMessages > 0) {
    log.warn("messages not started or reads abandoned: the invocation neared its timeout; they go back to the queue", {
      notStarted: aggregate.deferredMessages - abandoned,
      abandoned,
      ...(firstDeferral ? { remainingMs: firstDeferral.remainingMs, reserveMs } : {}),
    });
  }
  await publishInvocation(aggregate, deps, context?.awsRequestId ?? `${Date.now()}`, scope.parking.tally, scope.reportsHeldBack);
  log.info("batch done", {
    messages: event.Records.length,
    failures: response.batchItemFailures.length,
    deferred: aggregate.deferredMessages,
    abandoned,
    dataPoints: aggregate.dataPoints,
    rejected: aggregate.recordsRejected,
    quarantinedObjects: aggregate.objectsQuarantined,
    duplicates: aggregate.duplicateObjects,
    parked: scope.parking.tally.byReason(),
    refusals: Object.fromEntries(aggregate.refusals),
    durationMs: Date.now() - startedMs,
  });
  return response;
}
