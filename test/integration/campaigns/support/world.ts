import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateThingCommand, IoTClient, UpdateThingCommand } from "@aws-sdk/client-iot";
import { KMSClient } from "@aws-sdk/client-kms";
import { GetObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { dynamoCampaignStore, type CampaignStore } from "../../../../campaigns/store/index.js";
import { s3JobDocumentChannel } from "../../../../campaigns/document-channel.js";
import { UpdateTally } from "../../../../campaigns/update-tally.js";
import type { UpdateServiceDeps } from "../../../../campaigns/update-service.js";
import { factsAsDescribed, type RegisteredVehicleFacts, type VehicleRegistry } from "../../../../campaigns/registry-check.js";
import { VEHICLE_ATTRIBUTE } from "../../../../contracts/vehicle-identity.js";
import { iotVehicleRegistry } from "../../../../functions/update-manager/vehicle-registry.js";
import { parseCampaignDefinition, type TransitionRecord } from "../../../../campaigns/model.js";
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
  iot: IoTClient;
  /** The registry the update manager reads (AWS IoT things in the emulator, through the real SDK). */
  registry: VehicleRegistry;
  /** The stack's vehicle thing type (output `vehicle_thing_type`). */
  vehicleThingType: string;
  /** What this world has registered so far, by VIN (attributes as JSON), so a vehicle is written once. */
  registered: Map<string, string>;
  table: string;
  bucket: string;
  /** The vehicle-report queue: candidates and status reports. */
  updateQueueUrl: string;
  updateDlqUrl: string;
  /** The command queue: operator commands and ticks. */
  commandQueueUrl: string;
  commandDlqUrl: string;
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
  const iot = new IoTClient(clientConfig);
  const vehicleThingType = String(description.outputs.vehicle_thing_type);
  return {
    iot,
    registry: iotVehicleRegistry(iot, vehicleThingType),
    vehicleThingType,
    registered: new Map(),
    doc,
    store: dynamoCampaignStore({ doc, table }),
    s3,
    sqs: new SQSClient(clientConfig),
    kms,
    table,
    bucket,
    updateQueueUrl: manager[ENV.UPDATE_QUEUE_URL]!,
    updateDlqUrl: publisher[ENV.UPDATE_DLQ_URL]!,
    commandQueueUrl: publisher[ENV.COMMAND_QUEUE_URL]!,
    commandDlqUrl: publisher[ENV.COMMAND_DLQ_URL]!,
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

/**
 * Releases `version`, creates a campaign to it (at least 30 % charge, `overrides` on top) and sends its start through
 * the command queue; `settle` waits until the local runtime has handled it. Its campaign id.
 */
export async function newRunningCampaign(world: CampaignWorld, settle: () => Promise<void>, version: string, overrides: Record<string, unknown> = {}): Promise<string> {
  await releaseFirmware(world, version);
  const definition = parseCampaignDefinition({ name: `to ${version}`, targetVersion: version, preconditions: { minStateOfChargePercent: 30 }, ...overrides });
  const campaign = await world.store.campaigns.create(definition, { now: new Date().toISOString() });
  await sendUpdateMessages(world, [command(campaign.campaignId, "start")]);
  await settle();
  return campaign.campaignId;
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
  for (const key of others) await signStagedRelease(world.s3, world.bucket, { version, key, checked: { image, ecu: DEFAULT_ECU, hardwareIds: hardware, antiRollbackCounter: 7 } });
}

/** `release sign` by one more release engineer who checked the image and facts `releaseFirmware` staged (or the ones given). */
export function signRelease(world: CampaignWorld, version: string, signer: string, image: Uint8Array = Buffer.from(`image of ${version}`), hardware: string[] = ["hu-3"]) {
  const checked = { image, ecu: DEFAULT_ECU, hardwareIds: hardware, antiRollbackCounter: 7 };
  return signStagedRelease(world.s3, world.bucket, { version, key: readKeyFile(world.local.keyFile(signer)), checked });
}

/**
 * Registers vehicles in the emulator's AWS IoT as `fleetota vehicles register` does (a thing of the vehicle type
 * named by the VIN, attributes make, model, hardware, modelYear), or changes the attributes of one registered before.
 */
export async function registerVehicles(world: CampaignWorld, facts: readonly RegisteredVehicleFacts[]): Promise<void> {
  for (const vehicle of facts) {
    const attributes: Record<string, string> = {};
    if (vehicle.make !== undefined) attributes[VEHICLE_ATTRIBUTE.Make] = vehicle.make;
    if (vehicle.model !== undefined) attributes[VEHICLE_ATTRIBUTE.Model] = vehicle.model;
    if (vehicle.hardware !== undefined) attributes[VEHICLE_ATTRIBUTE.Hardware] = vehicle.hardware;
    if (vehicle.modelYear !== undefined) attributes[VEHICLE_ATTRIBUTE.ModelYear] = String(vehicle.modelYear);
    if (vehicle.attributeForm !== undefined) attributes[VEHICLE_ATTRIBUTE.Form] = vehicle.attributeForm;
    const known = world.registered.get(vehicle.vin);
    if (known === JSON.stringify(attributes)) continue;
    if (known === undefined) await world.iot.send(new CreateThingCommand({ thingName: vehicle.vin, thingTypeName: world.vehicleThingType, attributePayload: { attributes } }));
    else await world.iot.send(new UpdateThingCommand({ thingName: vehicle.vin, attributePayload: { attributes, merge: false } }));
    world.registered.set(vehicle.vin, JSON.stringify(attributes));
  }
}

/** An honest fleet: each candidate's vehicle is registered as it describes itself (before its message is handled). */
export async function registerCandidates(world: CampaignWorld, messages: ReadonlyArray<UpdateMessage | string>): Promise<void> {
  const candidates = messages.flatMap((message) => (typeof message !== "string" && message.kind === "candidate" ? [message.vehicle] : []));
  await registerVehicles(world, candidates.map(factsAsDescribed));
}

/**
 * Sends messages each to its own queue, in batches of 10: commands to the command queue (as the CLI and the ticker
 * do), candidates, reports and raw bodies to the vehicle-report queue (as the processor does); candidates' vehicles
 * registered honestly first, unless `registerCandidates` is false.
 */
export async function sendUpdateMessages(world: CampaignWorld, messages: ReadonlyArray<UpdateMessage | string>, options: { registerCandidates?: boolean } = {}): Promise<void> {
  if (options.registerCandidates !== false) await registerCandidates(world, messages);
  const isCommand = (message: UpdateMessage | string) => typeof message !== "string" && message.kind === "command";
  await sendBodies(world, world.commandQueueUrl, messages.filter(isCommand));
  await sendBodies(world, world.updateQueueUrl, messages.filter((message) => !isCommand(message)));
}

/** Sends messages to one queue as they are, in batches of 10. */
export async function sendBodies(world: CampaignWorld, queueUrl: string, messages: ReadonlyArray<UpdateMessage | string>): Promise<void> {
  for (let start = 0; start < messages.length; start += 10) {
    await world.sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
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

/**
 * The update service on the world's emulator (its store, signed documents in its bucket, its registry), silent.
 *
 * @example
 * const deps = updateServiceDeps(world, () => clock.now);
 */
export function updateServiceDeps(world: CampaignWorld, now: () => Date): UpdateServiceDeps {
  return {
    store: world.store,
    documents: s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog }),
    tally: new UpdateTally(),
    registry: world.registry,
    log: silentLog,
    now,
  };
}
