import type { Context, SQSBatchResponse, SQSEvent } from "aws-lambda";
import { documentClient, iotClient, kmsClient, s3Client } from "../../lib/aws-clients.js";
import { readOncePerInvocation, type VehicleRegistry } from "../../campaigns/registry-check.js";
import { s3JobDocumentChannel, type JobDocumentChannel } from "../../campaigns/document-channel.js";
import { dynamoCampaignStore, type CampaignStore } from "../../campaigns/store/index.js";
import { UpdateTally } from "../../campaigns/update-tally.js";
import { ENV, requireEnv } from "../../contracts/environment.js";
import { vehicleIdentityNames } from "../../contracts/vehicle-identity.js";
import { createLogger } from "../../lib/logger.js";
import { DEFAULT_METRICS_NAMESPACE } from "../../contracts/metrics.js";
import { ParkedTally } from "../../lib/parked-failures.js";
import { processUpdateBatch } from "./process.js";
import { iotVehicleRegistry } from "./vehicle-registry.js";

/**
 * Update manager: consumes the vehicle-report queue (candidates, status reports) and the command queue (operator
 * commands, ticks) with partial batch responses (process.ts); see campaigns/update-service.ts for what each message does.
 */
const logger = createLogger("update-manager");
const doc = documentClient();
const s3 = s3Client();
const iot = iotClient();
let registry: VehicleRegistry | undefined;
let documents: JobDocumentChannel | undefined;
let store: CampaignStore | undefined;

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  documents ??= s3JobDocumentChannel({
    s3,
    kms: kmsClient(),
    bucket: requireEnv(ENV.DATA_BUCKET),
    log: logger,
  });
  store ??= dynamoCampaignStore({ doc, table: requireEnv(ENV.STATE_TABLE) });
  // The stack names the vehicle thing type from the same prefix (contracts/vehicle-identity.ts).
  registry ??= iotVehicleRegistry(iot, vehicleIdentityNames(requireEnv(ENV.NAME_PREFIX)).thingType);
  const tally = new UpdateTally();
  // Each invocation reads a vehicle's registration once, and the next one reads it afresh (a re-registration counts at once).
  const deps = { store, documents, tally, registry: readOncePerInvocation(registry), log: logger, now: () => new Date(), remainingMs: () => context.getRemainingTimeInMillis() };
  const parking = { s3, bucket: requireEnv(ENV.DATA_BUCKET), tally: new ParkedTally() };
  return processUpdateBatch(event, context, deps, parking, {
    namespace: process.env[ENV.METRICS_NAMESPACE] || DEFAULT_METRICS_NAMESPACE,
    commandQueueArn: requireEnv(ENV.COMMAND_QUEUE_ARN),
  });
};
