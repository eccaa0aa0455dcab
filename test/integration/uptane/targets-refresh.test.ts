/**
 * `release refresh` on the local cloud (real S3 and KMS in moto), through the update service: image targets
 * that expired stop every job document (the update manager refuses them, vehicles refuse what they hold);
 * the release keys re-sign the same targets as the next version with a later expiry, at the same
 * threshold as a release, and documents flow again and verify on the vehicle. A refresh signed by one key
 * is never published, and a vehicle shown it refuses it. The calendar is a clock the test moves, not a wait.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { s3JobDocumentChannel } from "../../../campaigns/document-channel.js";
import { parseCampaignDefinition } from "../../../campaigns/model.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import type { UpdateMessage } from "../../../contracts/update-messages.js";
import type { ParkedFailure } from "../../../contracts/parked-failure.js";
import { updateRecordHandler } from "../../../functions/update-manager/process.js";
import { silentLog } from "../../../lib/logger.js";
import { ParkedTally, remedyOf } from "../../../lib/parked-failures.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { dropStagedRelease, refreshImageTargets } from "../../../uptane/image-repository.js";
import { readKeyFile } from "../../../uptane/key-files.js";
import { DEFAULT_ECU, REPOSITORY_LAYOUT, targetsFromJson, tufDate } from "../../../uptane/metadata.js";
import { readJson } from "../../../uptane/repository-store.js";
import { REFUSAL, verifyJobBundle, type VehicleTrust } from "../../../uptane/vehicle-verification.js";
import { campaignWorld, candidate, command, readJobDocument, registerCandidates, releaseFirmware, snapshot, vinNumber, type CampaignWorld } from "../campaigns/support/world.js";
import { refusedWith } from "../support/refusals.js";
import { COMMAND_QUEUE_ARN, queuedRecord } from "../../unit/functions/update-manager/support/queued-record.js";

const DAY = 86_400_000;
let cloud: LocalCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
let channel: ReturnType<typeof s3JobDocumentChannel>;
/** The test's calendar: what the update manager, the release engineers and the vehicles take as now. */
let today = Date.now();
let campaignId = "";
const [early, late] = [vinNumber(930), vinNumber(931)];
/** What the early vehicle trusts after its first document. */
let earlyTrust: VehicleTrust | undefined;
/** The one-signature refresh as it waited for a second signer. */
let stagedBelowThreshold: unknown;

const key = (name: string) => readKeyFile(world.local.keyFile(name));
const refresh = (name: string, days = 30) => refreshImageTargets(world.s3, world.bucket, { key: key(name), expires: new Date(today + days * DAY), now: new Date(today) });

let uploads = 0;
/** The late vehicle's next telemetry (each upload observed a second later: a new candidate, as after a retry). */
const lateTelemetry = () => snapshot(late!, { model: "Calendar", observedAt: new Date(today + ++uploads * 1000).toISOString() });

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  await registerCandidates(world, messages);
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

function verdictOf(document: unknown, vin: string, trust: VehicleTrust = world.local.trust) {
  const ecus = { [DEFAULT_ECU]: { hardwareId: "hu-3", version: "2.3.1", antiRollbackCounter: 6 } };
  return verifyJobBundle(document, trust, { vin, ecus, now: new Date(today) });
}

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  channel = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, refreshMs: 0, clock: () => today });
  deps = { store: world.store, documents: channel, tally: new UpdateTally(), registry: world.registry, log: silentLog, now: () => new Date(today) };
});

test.after(async () => {
  await cloud?.stop();
});

test("nothing published: refresh refuses, naming what to do", async () => {
  await refusedWith(() => refresh("alice"), /nothing to refresh: .*published no targets/);
});

test("a released image reaches a vehicle while its targets are valid", async () => {
  await releaseFirmware(world, "2.4.0"); // alice + bob, expiring in 30 days
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: "Calendar", targetVersion: "2.4.0", selector: { models: ["Calendar"] } }), { now: new Date(today).toISOString() });
  campaignId = campaign.campaignId;
  await deliver(command(campaignId, "start"), candidate(snapshot(early!, { model: "Calendar", observedAt: new Date(today).toISOString() })));

  const verdict = verdictOf(await readJobDocument(world, early!), early!);
  assert.is((await world.store.campaigns.get(campaignId))?.state, "RUNNING");
  assert.ok(verdict.ok, !verdict.ok ? verdict.refusal.message : "");
  earlyTrust = verdict.trust;
  assert.is(earlyTrust?.imageTargetsVersion, 1);
});

test("31 days later the targets have expired: no document is published, and the vehicle refuses the one it holds", async () => {
  const held = await readJobDocument(world, early!);
  today += 31 * DAY;
  // A new vehicle is admitted (QUEUED) but gets no document.
  await refusedWith(() => deliver(candidate(lateTelemetry())), /^image targets expired: run fleetota release refresh \(image targets 1 expired at /);
  const verdict = verdictOf(held, early!, earlyTrust);
  assert.is((await world.store.jobs.get(campaignId, late!))?.documentPublishedAttempt, undefined);
  assert.is(!verdict.ok && verdict.refusal.kind, REFUSAL.Expired);
});

test("the update manager parks and counts each candidate and tick that needs the expired targets, with the reason and its remedy", async () => {
  const parking = { s3: world.s3, bucket: world.bucket, tally: new ParkedTally() };
  const handle = updateRecordHandler(deps, parking, { commandQueueArn: COMMAND_QUEUE_ARN });
  // A vehicle seen for the first time (admitted, its document due) and the tick (the late vehicle's document due).
  const newcomer = snapshot(vinNumber(932), { model: "Calendar", observedAt: new Date(today).toISOString() });
  const messages = [candidate(newcomer), command(campaignId, "tick")];
  await registerCandidates(world, messages);
  const bodies = messages.map((message) => JSON.stringify(message));
  for (const [index, message] of messages.entries()) await handle(queuedRecord(`m-${index}`, message));
  const listed = await world.s3.send(new ListObjectsV2Command({ Bucket: world.bucket, Prefix: "parked/update-manager/" }));
  const parked = await Promise.all((listed.Contents ?? []).map(async (object) => (await readJson(world.s3, world.bucket, object.Key!)) as ParkedFailure));

  assert.equal(parking.tally.byReason(), { "image-targets-expired": 2 });
  assert.equal(parked.map((failure) => failure.message).sort(), [...bodies].sort(), "both messages kept as sent");
  for (const failure of parked) {
    assert.is(failure.reason, "image-targets-expired");
    assert.match(failure.detail, "image targets expired: run fleetota release refresh");
    assert.match(remedyOf(failure), "fleetota release refresh");
  }
});

test("a campaign start is refused with the reason in its history (not parked); withdrawals still go out", async () => {
  const second = await world.store.campaigns.create(parseCampaignDefinition({ name: "Second", targetVersion: "2.4.0", selector: { models: ["Second"] } }), { now: new Date(today).toISOString() });
  await deliver(command(second.campaignId, "start"));
  const history = await world.store.campaigns.history(second.campaignId);
  const job = (await world.store.jobs.get(campaignId, early!))!;
  await channel.withdraw(job);
  const withdrawn = verdictOf(await readJobDocument(world, early!), early!, earlyTrust);

  assert.is((await world.store.campaigns.get(second.campaignId))?.state, "DRAFT");
  assert.match(history[history.length - 1]?.reason ?? "", "refused start: image targets expired: run fleetota release refresh");
  assert.ok(withdrawn.ok && withdrawn.instruction.kind === "withdrawn", "a signed withdrawal carries no image targets: it still verifies");
  if (withdrawn.ok) earlyTrust = withdrawn.trust;
});

test("a refresh signed by one release key (of 2) is staged, not published: the tick still publishes nothing", async () => {
  const staged = await refresh("alice");
  stagedBelowThreshold = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(2));

  assert.equal([staged.published, staged.targetsVersion, staged.refreshes, staged.signedBy.length, staged.threshold, staged.images], [false, 2, 1, 1, 2, 1]);
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)), undefined);
  await refusedWith(() => deliver(command(campaignId, "tick")), /image targets expired/);
  // A new release meanwhile is told what waits, and how to finish or drop it.
  await refusedWith(() => releaseFirmware(world, "2.5.0", ["hu-3"], ["carol"]), "a refresh of the image targets is waiting for signatures as targets 2; complete it (`fleetota release refresh`)");
});

test("a key that is not a release key cannot sign a refresh", async () => {
  await refusedWith(() => refresh("director-root-1"), "is not a release key");
});

test("a second release key publishes the refresh: documents flow again and the vehicle takes the same images at version 2", async () => {
  const done = await refresh("bob");
  await deliver(command(campaignId, "tick")); // the tick publishes the QUEUED job's missing document
  const lateVerdict = verdictOf(await readJobDocument(world, late!), late!);
  // The early vehicle's next document (a new attempt's, as the ticker would send): signed anew, carrying targets 2.
  const job = (await world.store.jobs.get(campaignId, early!))!;
  const campaign = (await world.store.campaigns.get(campaignId))!;
  await channel.publish(job, campaign, new Date(today), await channel.read(job.vin));
  const earlyVerdict = verdictOf(await readJobDocument(world, early!), early!, earlyTrust);
  const [before, after] = await Promise.all([1, 2].map(async (version) => targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(version)))));

  assert.equal([done.published, done.targetsVersion, done.signedBy.length], [true, 2, 2]);
  assert.is(done.expires, tufDate(new Date(today + 30 * DAY)));
  assert.equal(after!.signed.targets, before!.signed.targets, "the same images, unchanged");
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(2)), undefined, "the staged refresh is gone");
  assert.ok(lateVerdict.ok, !lateVerdict.ok ? lateVerdict.refusal.message : "");
  assert.ok(earlyVerdict.ok, !earlyVerdict.ok ? earlyVerdict.refusal.message : "");
  if (!earlyVerdict.ok || earlyVerdict.instruction.kind !== "install") return assert.unreachable("the early vehicle installs");
  assert.is(earlyVerdict.trust.imageTargetsVersion, 2, "the image targets version moved forward (1 → 2)");
  assert.is(earlyVerdict.instruction.images[0]?.version, "2.4.0");
  assert.is(earlyVerdict.instruction.images[0]?.sha256, before!.signed.targets["primary-2.4.0.bin"]?.hashes.sha256);
});

test("a vehicle shown the one-signature refresh (in place of the published one) refuses it: BELOW_THRESHOLD", async () => {
  const document = (await readJobDocument(world, late!)) as Record<string, unknown>;
  const verdict = verdictOf({ ...document, imageTargets: stagedBelowThreshold }, late!);
  assert.is(!verdict.ok && verdict.refusal.kind, REFUSAL.BelowThreshold);
});

test("a refresh that would not move the expiry forward is refused", async () => {
  await refusedWith(() => refresh("carol", 10), /nothing to refresh: image targets 2 already expire at/);
});

test("someone with write access to firmware/staged/ cannot have a refresh sign more than the published targets, or for longer", async () => {
  const published = targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2)));
  const forge = async (change: (json: { signed: Record<string, unknown> }) => void) => {
    const json = JSON.parse(JSON.stringify({ ...published.toJSON(), signatures: [] })) as { signed: Record<string, unknown> };
    json.signed.version = 3;
    json.signed.expires = tufDate(new Date(today + 40 * DAY));
    change(json);
    await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(3), Body: JSON.stringify(json) }));
  };
  await forge((json) => {
    const targets = json.signed.targets as Record<string, { hashes: { sha256: string } }>;
    targets["primary-6.6.6.bin"] = { ...targets["primary-2.4.0.bin"]!, hashes: { sha256: "66".repeat(32) } };
  });
  await refusedWith(() => refresh("carol", 60), "primary-6.6.6.bin is waiting for signatures as targets 3");
  await forge((json) => {
    json.signed.expires = tufDate(new Date(today + 3650 * DAY));
  });
  await refusedWith(() => refresh("carol", 60), "later than your --expires allows");
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(3)), undefined, "nothing published");
});

test("the update manager's cached targets are not bundled past their expiry (cached 10 s before it, asked 10 s after)", async () => {
  const cachedChannel = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, clock: () => today }); // rereads every 60 s
  const expires = Date.parse(targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(2))).signed.expires);
  const job = (await world.store.jobs.get(campaignId, early!))!;
  const campaign = (await world.store.campaigns.get(campaignId))!;
  today = expires - 10_000;
  await cachedChannel.publish(job, campaign, new Date(today), await cachedChannel.read(job.vin));
  today = expires + 10_000;
  await refusedWith(async () => cachedChannel.publish(job, campaign, new Date(today), await cachedChannel.read(job.vin)), "image targets expired: run fleetota release refresh (image targets 2 expired");
});

/** What a firmware/staged/ writer (no release key) does to a refresh waiting for signatures. */
async function putStagedRefresh(json: unknown): Promise<void> {
  await world.s3.send(new PutObjectCommand({ Bucket: world.bucket, Key: REPOSITORY_LAYOUT.stagedTargets(3), Body: JSON.stringify(json) }));
}

/** A refused refresh changes nothing: the staged file stays as the attacker left it and targets 3 is not published. */
async function refusedAndUnchanged(name: string, pattern: RegExp | string): Promise<void> {
  const before = await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(3));
  await refusedWith(() => refresh(name, 60), pattern, "ReleaseError");
  assert.equal(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(3)), before, "the staged refresh is left as it was");
  assert.is(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(3)), undefined, "nothing published");
}

let alicesRefresh: { signed: { expires: string }; signatures: Array<{ keyid: string; sig: string }> };

test("R8-B for refresh: a firmware/staged/ writer shortens alice's staged refresh (her signature kept): bob and carol refuse, naming her key; nothing published", async () => {
  await dropStagedRelease(world.s3, world.bucket); // the forged refresh the test above left
  const staged = await refresh("alice", 60);
  alicesRefresh = (await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.stagedTargets(3))) as typeof alicesRefresh;
  assert.equal([staged.published, staged.signedBy], [false, [key("alice").keyid]]);
  // Expiring in an hour: two honest signatures would publish targets that freeze the fleet an hour later.
  const shortened = structuredClone(alicesRefresh);
  shortened.signed.expires = tufDate(new Date(today + 3_600_000));
  await putStagedRefresh(shortened);

  const named = new RegExp(`the staged targets 3 of the refresh \\(expiring .*\\) changed after release key ${key("alice").keyid.slice(0, 8)}… signed them \\(its signature no longer verifies`);
  await refusedAndUnchanged("bob", named);
  await refusedAndUnchanged("carol", named);
});

test("junk under alice's key id in the staged refresh: refused, naming her key", async () => {
  await putStagedRefresh({ ...alicesRefresh, signatures: [{ keyid: key("alice").keyid, sig: "5a".repeat(64) }] });
  await refusedAndUnchanged("bob", `changed after release key ${key("alice").keyid.slice(0, 8)}… signed them`);
});

test("a staged refresh no release key signed (alice's signature stripped, or one made up by the writer): refused", async () => {
  await putStagedRefresh({ ...alicesRefresh, signatures: [] });
  await refusedAndUnchanged("bob", "no release key has signed the staged targets 3 of the refresh");
});

test("alice's own staging restored: alice may run refresh again (still 1 of 2), and bob publishes it with alice's expiry", async () => {
  await putStagedRefresh(alicesRefresh);
  const again = await refresh("alice", 60);
  const done = await refresh("bob", 60);
  const published = targetsFromJson(await readJson(world.s3, world.bucket, REPOSITORY_LAYOUT.imageTargets(3)));

  assert.equal([again.published, again.signedBy, again.ignored], [false, [key("alice").keyid], []]);
  assert.equal([done.published, done.signedBy.length, done.expires], [true, 2, alicesRefresh.signed.expires]);
  assert.is(published.signed.expires, alicesRefresh.signed.expires);
});

test.run();
