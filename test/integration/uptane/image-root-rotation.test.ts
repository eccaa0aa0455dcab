/**
 * `fleetota keys rotate-image-root` on the local cloud (real S3 and KMS in moto), through the CLI command and
 * the update service: the image root renewed with the same keys reaches vehicles provisioned with root 1;
 * a release key replaced under which the published targets stop verifying is refused unless the refresh
 * comes next, and then `release refresh` by the new release keys makes job documents verify end to end.
 * Attempts with too few or the wrong keys publish nothing.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateBucketCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { runRotateImageRoot, type RotateImageRootOptions } from "../../../cli/commands/keys.js";
import { runReleaseStatus } from "../../../cli/commands/release.js";
import type { CommandContext } from "../../../cli/context.js";
import { s3JobDocumentChannel } from "../../../campaigns/document-channel.js";
import { parseCampaignDefinition } from "../../../campaigns/model.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import type { ParkedFailure } from "../../../contracts/parked-failure.js";
import type { UpdateMessage } from "../../../contracts/update-messages.js";
import { updateRecordHandler } from "../../../functions/update-manager/process.js";
import { silentLog } from "../../../lib/logger.js";
import { ParkedTally, remedyOf } from "../../../lib/parked-failures.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { refreshImageTargets } from "../../../uptane/image-repository.js";
import { rotateImageRoot } from "../../../uptane/image-root-rotation.js";
import { createKeyFile, readKeyFile } from "../../../uptane/key-files.js";
import { signWithKeyFile } from "../../../uptane/keys.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT, rootFromJson, targetsFromJson } from "../../../uptane/metadata.js";
import { readJson } from "../../../uptane/repository-store.js";
import { verifyJobBundle, type VehicleTrust } from "../../../uptane/vehicle-verification.js";
import { campaignWorld, candidate, command, readJobDocument, registerCandidates, releaseFirmware, snapshot, vinNumber, type CampaignWorld } from "../campaigns/support/world.js";
import { refusedWith } from "../support/refusals.js";
import { COMMAND_QUEUE_ARN, queuedRecord } from "../../unit/functions/update-manager/support/queued-record.js";

const DAY = 86_400_000;
let cloud: LocalCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
let channel: ReturnType<typeof s3JobDocumentChannel>;
let out = "";
let context: CommandContext;
let campaignId = "";
/** What the vehicle that took root 2 trusts afterwards. */
let renewedTrust: VehicleTrust | undefined;

const key = (name: string) => readKeyFile(world.local.keyFile(name));
const rootKeyFiles = () => ["image-root-1", "image-root-2"].map((name) => world.local.keyFile(name));
const rotate = (options: Partial<RotateImageRootOptions>) => runRotateImageRoot(context, { imageRootKey: rootKeyFiles(), rootLifetimeDays: "365", ...options });
const publishedRoot = async (version: number) => readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageRoot(version));
const output = async (run: () => Promise<void>) => {
  out = "";
  await run();
  return out;
};

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  await registerCandidates(world, messages);
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

/** What a vehicle running 2.3.1 on hu-3 makes of its job document. */
async function vehicleVerdict(vin: string, trust: VehicleTrust = world.local.trust) {
  const ecus = { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.1", antiRollbackCounter: 6 } };
  return verifyJobBundle(await readJobDocument(world, vin), trust, { vin, ecus, now: new Date() });
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  channel = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, refreshMs: 0 });
  deps = { store: world.store, documents: channel, tally: new UpdateTally(), registry: world.registry, log: silentLog, now: () => new Date() };
  const io = { stdout: (text: string) => void (out += text), stderr: () => undefined, interactive: false };
  context = { io, json: false, s3: () => world.s3, target: () => ({ names: { dataBucket: world.bucket } }) } as unknown as CommandContext;
});

test.after(async () => {
  await cloud?.stop();
});

test("nothing published: refused, naming the key ceremony", async () => {
  const empty = `fleetota-empty-${Date.now()}`;
  await world.s3.send(new CreateBucketCommand({ Bucket: empty }));
  await refusedWith(() => rotateImageRoot(world.s3, empty, { rootKeys: [key("image-root-1"), key("image-root-2")], rootLifetimeDays: 365 }), /no image root is published; run the key ceremony first/);
});

test("a release reaches a vehicle under image root 1", async () => {
  await releaseFirmware(world, "2.4.0"); // alice and bob sign
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: "Rotation", targetVersion: "2.4.0", selector: { models: ["Rotation"] } }), { now: new Date().toISOString() });
  campaignId = campaign.campaignId;
  await deliver(command(campaign.campaignId, "start"));
  await deliver(candidate(snapshot(vinNumber(940)!, { model: "Rotation" })));
  const verdict = await vehicleVerdict(vinNumber(940)!);
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
});

test("one image-root key, a release key in its place, or new root keys only: refused, and no root 2 is published", async () => {
  createKeyFile(world.local.keyFile("image-root-3"), "image-root-3");
  createKeyFile(world.local.keyFile("image-root-4"), "image-root-4");
  await refusedWith(() => rotate({ imageRootKey: [world.local.keyFile("image-root-1")] }), /rotating needs 2 of the image-root keys of image root 1; 1 given/);
  await refusedWith(() => rotate({ imageRootKey: [world.local.keyFile("image-root-1"), world.local.keyFile("alice")] }), /key alice \(.{8}\) is not an image-root key of image root 1/);
  const newKeys = ["image-root-3", "image-root-4"].map((name) => world.local.keyFile(name));
  await refusedWith(() => rotate({ imageRootKey: newKeys, newImageRootKey: newKeys }), /key image-root-3 \(.{8}\) is not an image-root key of image root 1/);
  await refusedWith(() => rotate({ imageRootThreshold: "3" }), /root threshold 3 must be between 1 and the 2 key/);
  await refusedWith(() => rotate({ rootLifetimeDays: "0" }), /--root-lifetime-days/);
  assert.is(await publishedRoot(2), undefined);
});

test("renewal keeping every key (the CLI command): root 2 with a later expiry; a vehicle provisioned with root 1 takes it from its next document", async () => {
  const text = await output(() => rotate({ rootLifetimeDays: "400" }));
  const [root1, root2] = [rootFromJson(await publishedRoot(1)), rootFromJson(await publishedRoot(2))];
  await deliver(candidate(snapshot(vinNumber(941)!, { model: "Rotation" })));
  const verdict = await vehicleVerdict(vinNumber(941)!);

  assert.match(text, /^published image root 2, expiring .*: 2 of 2 root keys, 2 of 3 release keys; vehicles take it from their next job document\n$/);
  assert.ok(Date.parse(root2.signed.expires) > Date.parse(root1.signed.expires));
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
  if (!verdict.ok) return;
  assert.is((verdict.trust.imageRoot as { signed: { version: number } }).signed.version, 2);
  renewedTrust = verdict.trust;
});

test("bob's release key replaced by dave's: refused while the published targets (alice, bob) would stop verifying; no root 3", async () => {
  createKeyFile(world.local.keyFile("dave"), "dave");
  const releaseKey = ["alice", "carol", "dave"].map((name) => `${world.local.keyFile(name)}.pub`);
  await refusedWith(() => rotate({ releaseKey }), /image targets 1 would no longer verify under image root 3 .*--refresh-targets-next/);
  assert.is(await publishedRoot(3), undefined);
});

test("with --refresh-targets-next: root 3 published; the command and release status say to refresh; no job document until then", async () => {
  const releaseKey = ["alice", "carol", "dave"].map((name) => `${world.local.keyFile(name)}.pub`);
  const text = await output(() => rotate({ releaseKey, refreshTargetsNext: true }));
  const status = await output(() => runReleaseStatus(context));

  assert.match(text, /published image root 3, .*2 of 3 release keys/);
  assert.match(text, /next: the published image targets 1 no longer verify under image root 3/);
  assert.match(text, /fleetota release refresh --key <their release key>/);
  assert.match(status, /image targets 1 do NOT verify under image root 3 \(BELOW_THRESHOLD: .*fleetota release refresh --key <release key>/);
  await refusedWith(() => channel.releaseExists("2.4.0"), /BELOW_THRESHOLD/);
});

test("until the refresh the update manager parks and counts each candidate and tick that needs the targets (image-targets-unverifiable): the job waits QUEUED, a start is refused, withdrawals go out", async () => {
  const parking = { s3: world.s3, bucket: world.bucket, tally: new ParkedTally() };
  const handle = updateRecordHandler(deps, parking, { commandQueueArn: COMMAND_QUEUE_ARN });
  const gap = vinNumber(944)!;
  const messages = [candidate(snapshot(gap, { model: "Rotation" })), command(campaignId, "tick")];
  await registerCandidates(world, messages);
  const bodies = messages.map((message) => JSON.stringify(message));
  for (const [index, message] of messages.entries()) await handle(queuedRecord(`m-${index}`, message));
  const listed = await world.s3.send(new ListObjectsV2Command({ Bucket: world.bucket, Prefix: "parked/update-manager/" }));
  const parked = await Promise.all((listed.Contents ?? []).map(async (object) => (await readJson(world.s3, world.bucket, object.Key!)) as ParkedFailure));
  const second = await world.store.campaigns.create(parseCampaignDefinition({ name: "Gap", targetVersion: "2.4.0", selector: { models: ["Gap"] } }), { now: new Date().toISOString() });
  await deliver(command(second.campaignId, "start"));
  const history = await world.store.campaigns.history(second.campaignId);
  await channel.withdraw((await world.store.jobs.get(campaignId, vinNumber(940)!))!);
  const withdrawn = await vehicleVerdict(vinNumber(940)!);

  assert.equal(parking.tally.byReason(), { "image-targets-unverifiable": 2 });
  assert.equal(parked.map((failure) => failure.message).sort(), [...bodies].sort(), "both messages kept as sent");
  for (const failure of parked) {
    assert.is(failure.reason, "image-targets-unverifiable");
    assert.match(failure.detail, /^image targets unverifiable: run fleetota release status \(image targets 1 do not verify under image root 3: BELOW_THRESHOLD: /);
    assert.match(remedyOf(failure), "fleetota release refresh --key <release key> by a threshold of the new release keys");
  }
  const job = await world.store.jobs.get(campaignId, gap);
  assert.equal([job?.state, job?.documentPublishedAttempt], ["QUEUED", undefined], "admitted, its document waits");
  assert.is((await world.store.campaigns.get(second.campaignId))?.state, "DRAFT");
  assert.match(history.at(-1)?.reason ?? "", "refused start: image targets unverifiable: run fleetota release status");
  assert.ok(withdrawn.ok && withdrawn.instruction.kind === "withdrawn", "a signed withdrawal carries no image targets: it still goes out and verifies");
});

test("bob, rotated out, cannot refresh; carol and dave re-sign the targets: documents flow and verify end to end, for vehicles on root 1 and on root 2", async () => {
  const refresh = (name: string) => refreshImageTargets(world.s3, world.bucket, { key: key(name), expires: new Date(Date.now() + 30 * DAY) });
  await refusedWith(() => refresh("bob"), /key bob .* is not a release key of image root 3/);
  const first = await refresh("dave");
  const second = await refresh("carol");
  await deliver(candidate(snapshot(vinNumber(942)!, { model: "Rotation" })), candidate(snapshot(vinNumber(943)!, { model: "Rotation" })));
  await deliver(command(campaignId, "tick")); // the first tick after the refresh publishes the parked vehicle's document
  const fresh = await vehicleVerdict(vinNumber(942)!);
  const parkedVehicle = await vehicleVerdict(vinNumber(944)!);
  const renewed = await vehicleVerdict(vinNumber(943)!, renewedTrust);
  const status = await output(() => runReleaseStatus(context));

  assert.equal([first.published, second.published, second.targetsVersion], [false, true, 2]);
  for (const verdict of [fresh, renewed, parkedVehicle]) {
    assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
    if (!verdict.ok) continue;
    assert.is((verdict.trust.imageRoot as { signed: { version: number } }).signed.version, 3);
    assert.is(verdict.trust.imageTargetsVersion, 2);
    assert.is(verdict.instruction.kind === "install" && verdict.instruction.images[0]?.version, "2.4.0");
  }
  assert.not.match(status, /do NOT verify/);
});

test("targets signed by the rotated-out keys and written after the rotation are not re-signed: root 3 names only the targets it replaced", async () => {
  const forged = targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)));
  (forged.signed as { version: number }).version = 3;
  forged.signatures = {};
  for (const name of ["alice", "bob"]) signWithKeyFile(forged, key(name));
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.imageTargets(3), Body: JSON.stringify(forged.toJSON()), IfNoneMatch: "*" })); // created, as the write-once policy allows

  await refusedWith(() => refreshImageTargets(world.s3, world.bucket, { key: key("carol"), expires: new Date(Date.now() + 40 * DAY) }), /published image targets 3 do not verify \(BELOW_THRESHOLD/);
  assert.match(await output(() => runReleaseStatus(context)), /image targets 3 do NOT verify under image root 3 .*does not name them for a refresh/);
});

test.run();
