/**
 * The reference OTA agent downloads and checks the image on the local cloud: a registered vehicle, signing
 * with its own credentials from the IoT credentials provider through the front door (the vehicle role's
 * policy evaluated), polls the job document the update service published, GETs `firmware/images/<sha256>`
 * and installs it; an image object replaced in the bucket (the bucket policy refuses overwrites and governance
 * bypasses, so: the account's root user lifts the policy, deletes the published version and creates other bytes) ends the
 * job FAILED (CORRUPT_IMAGE) with nothing installed, and the update manager records that reason.
 */
import { createHash } from "node:crypto";
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  DeleteBucketPolicyCommand,
  DeleteObjectCommand,
  GetBucketPolicyCommand,
  ListObjectVersionsCommand,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { IoTClient } from "@aws-sdk/client-iot";
import { s3JobDocumentChannel } from "../../../../campaigns/document-channel.js";
import { JOB_STATE, parseCampaignDefinition } from "../../../../campaigns/model.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../../campaigns/update-service.js";
import { UpdateTally } from "../../../../campaigns/update-tally.js";
import { UPDATE_MESSAGE_KIND, type StatusReportMessage, type UpdateMessage } from "../../../../contracts/update-messages.js";
import { vehicleS3Client, type VehicleIdentityMaterial } from "../../../../identity/vehicle-credentials.js";
import { silentLog } from "../../../../lib/logger.js";
import { createOtaAgent } from "../../../../simulator/ota-agent/ota-agent.js";
import type { VehicleView } from "../../../../simulator/vehicle.js";
import type { OtaReport } from "../../../../telemetry/schema.js";
import { REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import { campaignWorld, candidate, command, releaseFirmware, snapshot, type CampaignWorld } from "../../campaigns/support/world.js";
import { registerTestVehicle } from "../../local/identity/support/vehicles.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";

const HONEST = "1HGCM82633A004352";
const TARGETED = "1M8GDM9AXKP042788";
const TICK_MS = 60_000;

let testCloud: TestCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
let iot: IoTClient;
const vehicleClients = new Map<string, S3Client>();

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

/** A registered vehicle (its own key, certificate and credentials) on 2.3.1, and its own S3 client. */
async function registeredVehicle(vin: string, model: string): Promise<VehicleView> {
  const identity: VehicleIdentityMaterial = await registerTestVehicle(testCloud, iot, vin, { make: "Honda", model, hardware: "tcu-2" });
  const { endpoint, region } = testCloud.cloud.clientConfig;
  vehicleClients.set(vin, vehicleS3Client(identity, { endpoint, region, forcePathStyle: true }));
  const view = { vin, make: "Honda", model, hardwareId: "tcu-2", firmwareVersion: "2.3.1", parked: true, stateOfCharge: 80, online: true, connectivity: "good" };
  return view as unknown as VehicleView;
}

/** A campaign for one model, started, with the vehicle admitted: its job document is published. */
async function campaignFor(vehicle: VehicleView, version: string): Promise<string> {
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: vehicle.model, targetVersion: version, selector: { models: [vehicle.model] } }), { now: new Date().toISOString() });
  await deliver(command(campaign.campaignId, "start"));
  await deliver(candidate(snapshot(vehicle.vin, { make: "Honda", model: vehicle.model, hardware: "tcu-2", firmwareVersion: "2.3.1" })));
  return campaign.campaignId;
}

/** The status report the telemetry processor would hand over for the vehicle's record carrying `report`. */
function statusReport(vin: string, report: OtaReport, firmwareVersion: string): StatusReportMessage {
  return {
    kind: UPDATE_MESSAGE_KIND.StatusReport,
    idempotencyKey: `${report.jobId}#${report.attempt}#${report.sequence}`,
    vin,
    campaignId: report.campaignId,
    jobId: report.jobId,
    attempt: report.attempt,
    sequence: report.sequence,
    status: report.status,
    ...(report.reason === undefined ? {} : { reason: report.reason }),
    firmwareVersion,
    reportedAt: new Date().toISOString(),
  };
}

/** Ticks the agent for one vehicle every simulated minute until an outcome; each report goes to the update service. */
async function runAgent(agent: ReturnType<typeof createOtaAgent>, vehicle: VehicleView): Promise<OtaReport[]> {
  const reports: OtaReport[] = [];
  const start = Date.now();
  for (let tick = 0; tick < 20; tick++) {
    const report = await agent.tick(vehicle, new Date(start + tick * TICK_MS));
    if (!report) continue;
    reports.push(report);
    await deliver(statusReport(vehicle.vin, report, vehicle.firmwareVersion));
    if (["SUCCEEDED", "FAILED", "ROLLED_BACK", "REJECTED"].includes(report.status)) break;
  }
  return reports;
}

function agentFor(): ReturnType<typeof createOtaAgent> {
  return createOtaAgent({
    s3: world.s3,
    s3ForVehicle: (vin) => vehicleClients.get(vin)!,
    bucket: world.bucket,
    trust: world.local.trust,
    timings: { installMs: TICK_MS, verifyMs: TICK_MS },
  });
}

const imageKey = (version: string) => REPOSITORY_LAYOUT.image(createHash("sha256").update(`image of ${version}`).digest("hex"));

test.before(async () => {
  testCloud = await startTestCloud();
  world = await campaignWorld(testCloud.cloud);
  iot = new IoTClient(testCloud.cloud.clientConfig);
  const documents = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, refreshMs: 0 });
  deps = { store: world.store, documents, tally: new UpdateTally(), registry: world.registry, log: silentLog, now: () => new Date() };
});

test.after(async () => {
  for (const client of vehicleClients.values()) client.destroy();
  iot?.destroy();
  await testCloud?.stop();
});

test("a vehicle fetches the signed image with its own credentials, checks it and installs it; the update manager records SUCCEEDED", async () => {
  await releaseFirmware(world, "2.4.0", ["tcu-2"]);
  const vehicle = await registeredVehicle(HONEST, "Accord");
  const campaignId = await campaignFor(vehicle, "2.4.0");
  const frontDoor = testCloud.cloud.identity.frontDoor;
  const before = { ...frontDoor };
  const agent = agentFor();

  const reports = await runAgent(agent, vehicle);

  const stats = agent.stats();
  assert.equal(reports.map((report) => report.status), ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"]);
  assert.is(vehicle.firmwareVersion, "2.4.0");
  assert.is(stats.imageFetches, 1, "one image fetch for the attempt");
  assert.is(stats.imageBytes, Buffer.byteLength("image of 2.4.0"));
  assert.is(frontDoor.refused - before.refused, 0, "no request of the vehicle was refused");
  assert.is(frontDoor.allowed - before.allowed, stats.documentPolls + stats.imageFetches, "the polls and the image GET were the vehicle's own, through its role policy");
  assert.is((await world.store.jobs.get(campaignId, HONEST))?.state, JOB_STATE.Succeeded);
});

test("an image object replaced in the bucket is refused on the vehicle: FAILED (CORRUPT_IMAGE), nothing installed, recorded by the update manager", async () => {
  await releaseFirmware(world, "2.5.0", ["tcu-2"]);
  // The bucket policy refuses an overwrite and a governance bypass (write-once keys: test/integration/uptane/write-once.test.ts);
  // the account's root user can still delete that policy, delete the published version and create other bytes there.
  const { Policy } = await world.s3.send(new GetBucketPolicyCommand({ Bucket: world.bucket }));
  await world.s3.send(new DeleteBucketPolicyCommand({ Bucket: world.bucket }));
  const [published] = (await world.s3.send(new ListObjectVersionsCommand({ Bucket: world.bucket, Prefix: imageKey("2.5.0") }))).Versions ?? [];
  await world.s3.send(new DeleteObjectCommand({ Bucket: world.bucket, Key: imageKey("2.5.0"), VersionId: published!.VersionId, BypassGovernanceRetention: true }));
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: imageKey("2.5.0"), Body: "IMAGE OF 2.5.0", IfNoneMatch: "*" }));
  await world.s3.send(new PutBucketPolicyCommand({ Bucket: world.bucket, Policy }));
  const vehicle = await registeredVehicle(TARGETED, "Civic");
  const campaignId = await campaignFor(vehicle, "2.5.0");
  const agent = agentFor();

  const reports = await runAgent(agent, vehicle);

  const outcome = reports.at(-1);
  const memory = agent.memoryOf(TARGETED);
  assert.equal(reports.map((report) => report.status), ["DOWNLOADING", "FAILED"]);
  assert.match(outcome?.reason ?? "", /^CORRUPT_IMAGE: firmware\/images\/[0-9a-f]{64}: image SHA-256 does not match the metadata; nothing installed$/);
  assert.is(vehicle.firmwareVersion, "2.3.1");
  assert.equal(memory?.banks, { A: "2.3.1" });
  assert.is(memory?.activeBank, "A");
  assert.is(agent.stats().imageFetches, 1);
  const job = await world.store.jobs.get(campaignId, TARGETED);
  assert.is(job?.state, JOB_STATE.Failed);
  assert.match(job?.stateReason ?? "", /CORRUPT_IMAGE/);
});

test.run();
