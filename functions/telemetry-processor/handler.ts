import { BatchProcessor, EventType, processPartialResponse } from "@aws-lambda-powertools/batch";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { documentClient, s3Client, sqsClient } from "../../lib/aws-clients.js";
import { dynamoCampaignList, type CampaignList } from "../../campaigns/store/index.js";
import { ENV, positiveIntegerEnv, requireEnv } from "../../contracts/environment.js";
import { concurrencyLimit } from "../../lib/concurrency-limit.js";
import { createLogger } from "../../lib/logger.js";
import { DEFAULT_METRICS_NAMESPACE } from "../../contracts/metrics.js";
import { InvocationAggregate } from "../../telemetry/aggregate.js";
import { FLEET_STATE_DEFAULTS } from "../../telemetry/fleet-state.js";
import { ParkedTally } from "../../lib/parked-failures.js";
import { cachedGatewayVehicles } from "./gateway-vehicles.js";
import { lazyOnce, processTelemetryMessage, publishInvocation, type InvocationScope, type ProcessorDependencies } from "./processor.js";
import { loadActiveCampaigns } from "./update-handoff.js";

const logger = createLogger("telemetry-processor");
const batchProcessor = new BatchProcessor(EventType.SQS);
/**
 * Objects read at once within a batch: the mapping delivers up to 100, and memory (512 MB) is sized for
 * about 10 objects in flight, each bounded by the read limits (the sizing is in modules/stack-config.ts).
 * More in flight would wait less per object, but on AWS the processor is mostly CPU, not waiting: the cost
 * model puts 10 → 100 at well under $0.0001 a vehicle-month.
 */
export const OBJECTS_IN_FLIGHT = 10;

let dependencies: ProcessorDependencies | undefined;
let fleetStateMaxVehicles: number | undefined;
let campaignList: CampaignList | undefined;

function createDependencies(): ProcessorDependencies {
  const s3 = s3Client();
  const dataBucket = requireEnv(ENV.DATA_BUCKET);
  return {
    s3,
    sqs: sqsClient(),
    doc: documentClient(),
    dataBucket,
    gatewayVehicles: cachedGatewayVehicles({ s3, bucket: dataBucket }),
    stateTable: requireEnv(ENV.STATE_TABLE),
    updateQueueUrl: requireEnv(ENV.UPDATE_QUEUE_URL),
    metricsNamespace: process.env[ENV.METRICS_NAMESPACE] || DEFAULT_METRICS_NAMESPACE,
    log: logger,
  };
}

/**
 * SQS batch of EventBridge "Object Created" events → partial batch response. Each message is one
 * telemetry object; a transient failure returns only that message to the queue.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const startedMs = Date.now();
  dependencies ??= createDependencies();
  const deps = dependencies;
  campaignList ??= dynamoCampaignList({ doc: deps.doc, table: deps.stateTable });
  const campaigns = campaignList;
  fleetStateMaxVehicles ??= positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, FLEET_STATE_DEFAULTS.maxVehicles);
  const aggregate = new InvocationAggregate(fleetStateMaxVehicles);
  const scope: InvocationScope = {
    aggregate,
    inFlight: new Map(),
    activeCampaigns: lazyOnce(() => loadActiveCampaigns(campaigns)),
    parking: { s3: deps.s3, bucket: deps.dataBucket, tally: new ParkedTally() },
  };
  const limited = concurrencyLimit(OBJECTS_IN_FLIGHT);
  const response = await processPartialResponse(
    event,
    async (record: SQSRecord) => {
      try {
        return await limited(() => processTelemetryMessage(record.body, deps, scope, { receiveCount: Number(record.attributes?.ApproximateReceiveCount ?? 1) }));
      } catch (error) {
        logger.warn("message failed; it will be retried", { messageId: record.messageId, error });
        throw error;
      }
    },
    batchProcessor,
    { context, throwOnFullBatchFailure: false },
  );
  await publishInvocation(aggregate, deps, context?.awsRequestId ?? `${Date.now()}`, scope.parking.tally);
  logger.info("batch done", {
    messages: event.Records.length,
    failures: response.batchItemFailures.length,
    dataPoints: aggregate.dataPoints,
    rejected: aggregate.recordsRejected,
    quarantinedObjects: aggregate.objectsQuarantined,
    duplicates: aggregate.duplicateObjects,
    parked: scope.parking.tally.byReason(),
    refusals: Object.fromEntries(aggregate.refusals),
    durationMs: Date.now() - startedMs,
  });
  return response;
};
