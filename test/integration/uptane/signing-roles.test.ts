/**
 * Signing roles on the local cloud, through the update service with real S3 and KMS (moto): a release
 * reaches vehicles only once two of the three release keys signed it; the director key is rotated in
 * the middle of a campaign (the next director root names a new KMS key) and the vehicles follow it,
 * refusing what the rotated-out key signs afterwards. Counts the KMS requests per job document.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CreateKeyCommand } from "@aws-sdk/client-kms";
import { s3JobDocumentChannel } from "../../../campaigns/document-channel.js";
import { parseCampaignDefinition } from "../../../campaigns/model.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import type { UpdateMessage } from "../../../contracts/update-messages.js";
import { silentLog } from "../../../lib/logger.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { rotateDirectorKey } from "../../../uptane/ceremony.js";
import { readKeyFile } from "../../../uptane/key-files.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT } from "../../../uptane/metadata.js";
import { readJson } from "../../../uptane/repository-store.js";
import { REFUSAL, verifyJobBundle, type VehicleTrust } from "../../../uptane/vehicle-verification.js";
import { campaignWorld, candidate, registerCandidates, command, readJobDocument, releaseFirmware, signRelease, snapshot, vinNumber, type CampaignWorld } from "../campaigns/support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
let channel: ReturnType<typeof s3JobDocumentChannel>;

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  await registerCandidates(world, messages);
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

async function startCampaign(version: string, model: string): Promise<string> {
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: model, targetVersion: version, selector: { models: [model] } }), { now: new Date().toISOString() });
  await deliver(command(campaign.campaignId, "start"));
  return campaign.campaignId;
}

/** What a vehicle running 2.3.1 on hu-3 makes of its job document. */
async function vehicleVerdict(vin: string, trust: VehicleTrust = world.local.trust) {
  const ecus = { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.1", antiRollbackCounter: 6 } };
  return verifyJobBundle(await readJobDocument(world, vin), trust, { vin, ecus, now: new Date() });
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  // Reads the published roots on every document, so a rotation shows at once (the Lambda rereads them every minute).
  channel = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, refreshMs: 0 });
  deps = { store: world.store, documents: channel, tally: new UpdateTally(), registry: world.registry, log: silentLog, now: () => new Date() };
});

test.after(async () => {
  await cloud?.stop();
});

test("a release signed by one release key does not reach vehicles: its campaign does not start", async () => {
  await releaseFirmware(world, "2.4.0", ["hu-3"], ["alice"]);
  const campaignId = await startCampaign("2.4.0", "Solo");
  assert.is((await world.store.campaigns.get(campaignId))?.state, "DRAFT");
  assert.is(await channel.releaseExists("2.4.0"), false);
});

test("signed by a second release key (2 of 3), it reaches vehicles: the job document verifies on the vehicle", async () => {
  await signRelease(world, "2.4.0", "carol");
  const campaignId = await startCampaign("2.4.0", "Pair");
  const vin = vinNumber(900);
  await deliver(candidate(snapshot(vin, { model: "Pair" })));

  const verdict = await vehicleVerdict(vin);
  assert.is((await world.store.campaigns.get(campaignId))?.state, "RUNNING");
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
  assert.is(verdict.ok && verdict.instruction.kind === "install" && verdict.instruction.images[0]?.version, "2.4.0");
});

test("director-key rotation mid-campaign: later documents are signed by the new KMS key and verify; the old key's are refused", async () => {
  await releaseFirmware(world, "2.5.0");
  await startCampaign("2.5.0", "Rotating");
  const [before, after] = [vinNumber(910), vinNumber(911)];
  await deliver(candidate(snapshot(before!, { model: "Rotating" })));
  const beforeVerdict = await vehicleVerdict(before!);

  const created = await world.kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY", Description: "director key, generation 2" }));
  const rootKeys = ["director-root-1", "director-root-2"].map((name) => readKeyFile(world.local.keyFile(name)));
  const root2 = await rotateDirectorKey(world.s3, world.kms, world.bucket, { kmsKeyId: created.KeyMetadata!.Arn!, rootKeys, rootLifetimeDays: 365 });
  await deliver(candidate(snapshot(after!, { model: "Rotating" })));
  const afterVerdict = await vehicleVerdict(after!);

  assert.ok(beforeVerdict.ok, !beforeVerdict.ok ? beforeVerdict.refusal.message : "");
  assert.is(root2.signed.version, 2);
  assert.ok(afterVerdict.ok, !afterVerdict.ok ? afterVerdict.refusal.message : "");
  if (!afterVerdict.ok) return;
  assert.is((afterVerdict.trust.directorRoot as { signed: { version: number } }).signed.version, 2, "the vehicle took director root 2 from the bundle");
  // The document the old key signed, shown to a vehicle that rotated: refused.
  const oldDocument = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.jobDocument(before!));
  const replayed = verifyJobBundle(oldDocument, afterVerdict.trust, { vin: before!, ecus: { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.1", antiRollbackCounter: 6 } }, now: new Date() });
  assert.is(!replayed.ok && replayed.refusal.kind, REFUSAL.UnknownKey);
});

test("rotating needs a threshold of the director root keys: one is refused", async () => {
  const created = await world.kms.send(new CreateKeyCommand({ KeySpec: "ECC_NIST_P256", KeyUsage: "SIGN_VERIFY" }));
  const one = [readKeyFile(world.local.keyFile("director-root-1"))];
  await rotateDirectorKey(world.s3, world.kms, world.bucket, { kmsKeyId: created.KeyMetadata!.Arn!, rootKeys: one, rootLifetimeDays: 365 }).then(
    () => assert.unreachable("one of two root keys must not rotate the director key"),
    (error: Error) => assert.match(error.message, "needs 2 of the director root keys"),
  );
});

test("one KMS Sign per job document; the public key read once per key", () => {
  const requests = channel.kmsRequests();
  assert.is(requests.Sign, 3, "three documents published (one per vehicle job)");
  assert.is(requests.GetPublicKey, 2, "two director keys used");
});

test.run();
