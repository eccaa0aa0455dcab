/**
 * What a batch test of the telemetry processor needs besides its stand-in S3: DynamoDB and SQS that accept every
 * write (no ledger entry is ever found), a log and metrics that drop what they get, the clock at NOW_MS, and `carried`
 * the VINs every gateway carries; and no campaigns.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { CampaignList } from "../../../../../campaigns/store/index.js";
import { cachedCampaigns } from "../../../../../functions/telemetry-processor/campaign-cache.js";
import type { ProcessorDependencies } from "../../../../../functions/telemetry-processor/processor.js";
import { NOW_MS } from "../../../telemetry/support/factories.js";

export const BUCKET = "lake";

export function quietDependencies(s3: object, carried: ReadonlySet<string> = new Set()): ProcessorDependencies {
  return {
    s3: s3 as S3Client,
    sqs: { send: async () => ({ Successful: [], Failed: [] }) } as unknown as SQSClient,
    doc: { send: async () => ({}) } as unknown as DynamoDBDocumentClient,
    dataBucket: BUCKET,
    stateTable: "state",
    updateQueueUrl: "http://queue/update",
    metricsNamespace: "FleetOTA",
    gatewayVehicles: { vehiclesOf: async () => new Set(carried), newerThan: async () => undefined },
    log: { debug() {}, info() {}, warn() {}, error() {} },
    metricsOut: () => {},
    now: () => NOW_MS,
  };
}

export const noCampaigns = cachedCampaigns({ campaigns: { list: async () => [] } as unknown as CampaignList });
