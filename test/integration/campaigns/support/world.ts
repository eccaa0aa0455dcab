import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { KMSClient } from "@aws-sdk/client-kms";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { dynamoCampaignStore, type CampaignStore } from "../../../../campaigns/store/index.js";
import type { TransitionRecord } from "../../../../campaigns/model.js";
import { ENV } from "../../../../contracts/environment.js";
import { silentLog } from "../../../../lib/logger.js";
import { provisionLocalTrust, type LocalTrust } from "../../../../local/trust.js";
import { signStagedRelease, stageRelease } from "../../../../uptane/image-repository.js";
import { readKeyFile } from "../../../../uptane/key-files.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import type { UpdateMessage, VehicleSnapshot } from "../../../../contracts/update-messages.js";
import { computeCheckDigit } from "../../../../telemetry/vin.js";
import type { LocalCloud } from "../../../../local/cloud.js";
import { vehicle } from "../../../unit/campaigns/support/factories.js";

/** The deployed names and real SDK clients of a running local cloud. */
export interface CampaignWorld {
  doc: DynamoDBDocumentClient;
  /** The campaign store on the deployed state table. */
  store: CampaignStore;
  s3: S3Client;
  sqs: SQSClient;
  kms: KMSClient;
  table: string;
  bucket: string;
  updateQueueUrl: string;
  updateDlqUrl: string;
  directorKeyId: string;
  metricsNamespace: string;
  tickerRule: string;
  /** The key ceremony's roots (what vehicles are provisioned with) and its key files (a temporary folder). */
  local: LocalTrust;
}

export async function campaignWorld(cloud: LocalCloud): Promise<CampaignWorld> {
  const { description, clientConfig } = cloud;
  const environmentOf = (suffix: string) => description.functions.find((fn) => fn.functionName.endsWith(suffix))!.environment;
  const manager = environmentOf("-update-manager");
  const publisher = environmentOf("-dashboard-publisher");
  const s3 = new S3Client({ ...clientConfig, forcePathStyle: true });
  const kms = new KMSClient(clientConfig);
  const directorKeyId = manager[ENV.DIRECTOR_KEY_ID]!;
  const bucket = manager[ENV.DATA_BUCKET]!;
  const keysDir = mkdtempSync(join(tmpdir(), "fleetota-keys-"));
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), { marshallOptions: { removeUndefinedValues: true } });
  const table = manager[ENV.STATE_TABLE]!;
  return {
    doc,
    store: dynamoCampaignStore({ doc, table }),
    s3,
    sqs: new SQSClient(clientConfig),
    kms,
    table,
    bucket,
    updateQueueUrl: manager[ENV.UPDATE_QUEUE_URL]!,
    updateDlqUrl: publisher[ENV.UPDATE_DLQ_URL]!,
    directorKeyId,
    metricsNamespace: manager[ENV.METRICS_NAMESPACE] ?? "FleetOTA",
    tickerRule: description.schedules.find((schedule) => schedule.ruleName.endsWith("-rollout-ticker-schedule"))!.ruleName,
    local: await provisionLocalTrust({ s3, kms, bucket, directorKeyId, keysDir, log: silentLog }),
  };
}

/** One job's recorded transitions, oldest first (none when the job does not exist). */
export async function jobHistory(world: CampaignWorld, campaignId: string, vin: string): Promise<TransitionRecord[]> {
  return (await world.store.jobs.get(campaignId, vin))?.history ?? [];
}

/** Releases an image as two release engineers would: `fleetota release` by alice, `release sign` by bob (2 of 3). */
export async function releaseFirmware(world: CampaignWorld, version: string, hardware: string[] = ["hu-3"], signers = ["alice", "bob"]): Promise<void> {
  const image = Buffer.from(`image of ${version}`);
  const [first, ...others] = signers.map((name) => readKeyFile(world.local.keyFile(name)));
  await stageRelease(world.s3, world.bucket, {
    image,
    custom: { version, ecu: DEFAULT_ECU, hardwareIds: hardware, antiRollbackCounter: 7 },
    expires: new Date(Date.now() + 30 * 86_400_000),
    key: first!,
  });
  for (const key of others) await signStagedRelease(world.s3, world.bucket, { version, key });
}

export async function sendUpdateMessages(world: CampaignWorld, messages: ReadonlyArray<UpdateMessage | string>): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    await world.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: world.updateQueueUrl,
        Entries: messages.slice(start, start + 10).map((message, index) => ({
          Id: String(index),
          MessageBody: typeof message === "string" ? message : JSON.stringify(message),
        })),
      }),
    );
  }
}

export async function readJobDocument(world: CampaignWorld, vin: string): Promise<unknown> {
  const response = await world.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.jobDocument(vin) }));
  return JSON.parse(await response.Body!.transformToString());
}

/** North American VINs with valid check digits, generated deterministically. */
export function vinNumber(index: number): string {
  const body = `1HGCM826_3A${String(index).padStart(6, "0")}`;
  return body.replace("_", computeCheckDigit(body));
}

export function snapshot(vin: string, overrides: Partial<VehicleSnapshot> = {}): VehicleSnapshot {
  return vehicle({ vin, observedAt: new Date().toISOString(), ...overrides });
}

export function candidate(vehicle: VehicleSnapshot): UpdateMessage {
  return { kind: "candidate", idempotencyKey: `candidate:${vehicle.vin}:${vehicle.observedAt}`, vehicle };
}

export function command(campaignId: string, name: "start" | "pause" | "resume" | "cancel" | "retry-failed" | "tick", key = `${name}:${campaignId}:${Math.random()}`): UpdateMessage {
  return { kind: "command", idempotencyKey: key, command: name, campaignId, requestedBy: "test", requestedAt: new Date().toISOString() };
}

export function report(campaignId: string, vin: string, sequence: number, status: string, firmwareVersion = "2.3.1", attempt = 1): UpdateMessage {
  return {
    kind: "status-report",
    idempotencyKey: `${campaignId}:${vin}#${attempt}#${sequence}`,
    vin,
    campaignId,
    jobId: `${campaignId}:${vin}`,
    attempt,
    sequence,
    status: status as "DOWNLOADING",
    firmwareVersion,
    reportedAt: new Date().toISOString(),
  };
}
