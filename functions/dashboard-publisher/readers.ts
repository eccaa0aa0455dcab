import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { S3Client } from "@aws-sdk/client-s3";
import type { Log } from "../shared/logger.js";
import type { CampaignSummaryInput } from "./campaign-view.js";
import type { FleetVehicleInput } from "./fleet-view.js";

/**
 * Adapters from the other modules' read models to the dashboard's input shapes: the fleet state the
 * telemetry processor keeps and the campaign summaries of the campaigns read model.
 */
export function fleetReader(
  _s3: S3Client,
  _bucket: string,
  log: Log,
): () => Promise<{ vehicles: Iterable<FleetVehicleInput>; writtenAt?: string | null }> {
  return async function readFleet() {
    log.warn("fleet state reader not wired yet; publishing an empty fleet");
    return { vehicles: [], writtenAt: null };
  };
}

export function campaignReader(_doc: DynamoDBDocumentClient, _table: string, log: Log): () => Promise<CampaignSummaryInput[]> {
  return async function readCampaigns() {
    log.warn("campaign read model not wired yet; publishing no campaigns");
    return [];
  };
}
