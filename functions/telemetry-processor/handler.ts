import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { documentClient, s3Client, sqsClient } from "../../lib/aws-clients.js";
import { dynamoCampaignList } from "../../campaigns/store/index.js";
import { ENV, positiveIntegerEnv, requireEnv } from "../../contracts/environment.js";
import { createLogger } from "../../lib/logger.js";
import { DEFAULT_METRICS_NAMESPACE } from "../../contracts/metrics.js";
import { FLEET_STATE_DEFAULTS } from "../../telemetry/fleet-state.js";
import { processTelemetryBatch } from "./batch.js";
import { cachedCampaigns, type CampaignCache } from "./campaign-cache.js";
import { cachedGatewayVehicles } from "./gateway-vehicles.js";
import type { ProcessorDependencies } from "./processor.js";

const logger = createLogger("telemetry-processor");

let dependencies: ProcessorDependencies | undefined;
let fleetStateMaxVehicles: number | undefined;
let campaigns: CampaignCache | undefined;

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
 * SQS batch of EventBridge "Object Created" events → partial batch response (batch.ts). Each message is one
 * telemetry object; a transient failure, or a message not started near the timeout, returns only that message to the queue.
 */
export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  dependencies ??= createDependencies();
  campaigns ??= cachedCampaigns({ campaigns: dynamoCampaignList({ doc: dependencies.doc, table: dependencies.stateTable }) });
  fleetStateMaxVehicles ??= positiveIntegerEnv(ENV.FLEET_STATE_MAX_VEHICLES, FLEET_STATE_DEFAULTS.maxVehicles);
  return processTelemetryBatch(event, context, dependencies, { campaigns, fleetStateMaxVehicles });
};
