import { createHash } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { SSMClient } from "@aws-sdk/client-ssm";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { firmwareImageKey, firmwareManifestKey, jobDocumentKey, signManifest } from "../../../../campaigns/job-document.js";
import { ensureSigningKey, type SigningKey } from "../../../../campaigns/signing.js";
import { dynamoCampaignStore, type CampaignStore } from "../../../../campaigns/store/index.js";
import type { TransitionRecord } from "../../../../campaigns/model.js";
import { ENV } from "../../../../contracts/environment.js";
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
  ssm: SSMClient;
  table: string;
  bucket: string;
  updateQueueUrl: string;
  updateDlqUrl: string;
  signingKeyParameter: string;
  metricsNamespace: string;
  tickerRule: string;
  key: SigningKey;
}

export async function campaignWorld(cloud: LocalCloud): Promise<CampaignWorld> {
  const { description, clientConfig } = cloud;
  const environmentOf = (suffix: string) => description.functions.find((fn) => fn.functionName.endsWith(suffix))!.environment;
  const manager = environmentOf("-update-manager");
  const publisher = environmentOf("-dashboard-publisher");
  const ssm = new SSMClient(clientConfig);
  const signingKeyParameter = manager[ENV.SIGNING_KEY_PARAMETER]!;
  const doc = DynamoDBDocumentClient.from(new DynamoDBClient(clientConfig), { marshallOptions: { removeUndefinedValues: true } });
  const table = manager[ENV.STATE_TABLE]!;
  return {
    doc,
    store: dynamoCampaignStore({ doc, table }),
    s3: new S3Client({ ...clientConfig, forcePathStyle: true }),
    sqs: new SQSClient(clientConfig),
    ssm,
    table,
    bucket: manager[ENV.DATA_BUCKET]!,
    updateQueueUrl: manager[ENV.UPDATE_QUEUE_URL]!,
    updateDlqUrl: publisher[ENV.UPDATE_DLQ_URL]!,
    signingKeyParameter,
    metricsNamespace: manager[ENV.METRICS_NAMESPACE] ?? "FleetOTA",
    tickerRule: description.schedules.find((schedule) => schedule.ruleName.endsWith("-rollout-ticker-schedule"))!.ruleName,
    key: await ensureSigningKey(ssm, signingKeyParameter),
  };
}

/** One job's recorded transitions, oldest first (none when the job does not exist). */
export async function jobHistory(world: CampaignWorld, campaignId: string, vin: string): Promise<TransitionRecord[]> {
  return (await world.store.jobs.get(campaignId, vin))?.history ?? [];
}

/** Uploads a firmware image and its signed manifest, as `fleetota release` does. */
export async function releaseFirmware(world: CampaignWorld, version: string, hardware: string[] = ["hu-3"]): Promise<void> {
  const image = Buffer.from(`image of ${version}`);
  const manifest = signManifest(
    {
      version,
      sha256: createHash("sha256").update(image).digest("hex"),
      size: image.byteLength,
      hardware,
      antiRollbackCounter: 7,
      expiresAt: new Date(Date.now() + 30 * 86_400_000).toISOString(),
      imageKey: firmwareImageKey(version),
    },
    world.key,
  );
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: firmwareImageKey(version), Body: image }));
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: firmwareManifestKey(version), Body: JSON.stringify(manifest) }));
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
  const response = await world.s3.send(new GetObjectCommand({ Bucket: world.bucket, Key: jobDocumentKey(vin) }));
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
