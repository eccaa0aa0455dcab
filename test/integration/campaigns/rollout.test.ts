/**
 * The rollout rules end to end through the update service against the emulator (real DynamoDB, S3 and
 * SSM through the SDK), with a controlled clock so soak times, backoff and timeouts take no real time:
 * waves opening, a failing campaign pausing in its first wave, timeouts counted and retried with a new
 * signed document, cancel withdrawing documents, refused and duplicate commands, concurrent deliveries.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { s3JobDocumentChannel } from "../../../campaigns/document-channel.js";
import { targetsFromJson, type JobBundle } from "../../../uptane/metadata.js";
import { parseCampaignDefinition, type CampaignDefinitionInput } from "../../../campaigns/model.js";
import { WITHDRAWAL_SETTLE_MINUTES } from "../../../campaigns/job-documents.js";
import { ActiveCampaigns, TICK_TIME_RESERVE_MS, handleUpdateMessage, tickCampaign, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import { campaignsToTick } from "../../../functions/rollout-ticker/tick-messages.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import type { UpdateMessage } from "../../../contracts/update-messages.js";
import { silentLog } from "../../../lib/logger.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import { campaignWorld, candidate, registerCandidates, command, jobHistory, readJobDocument, releaseFirmware, report, snapshot, vinNumber, type CampaignWorld } from "./support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
const clock = { now: new Date("2026-11-26T12:00:00.000Z") };
const advanceMinutes = (minutes: number) => (clock.now = new Date(clock.now.getTime() + minutes * 60_000));

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  await registerCandidates(world, messages);
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

let modelCounter = 0;
/** A started campaign whose selector only matches the model it returns. */
async function startedCampaign(overrides: Partial<CampaignDefinitionInput>): Promise<{ campaignId: string; model: string; version: string }> {
  const model = `Model-${++modelCounter}`;
  const version = `3.${modelCounter}.0`;
  await releaseFirmware(world, version);
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: model, targetVersion: version, selector: { models: [model] }, ...overrides }),
    { now: clock.now.toISOString() },
  );
  await deliver(command(campaign.campaignId, "start"));
  return { campaignId: campaign.campaignId, model, version };
}

/** The attempt the vehicle's current job document is for (0 for a signed withdrawal). */
async function documentAttempt(vin: string): Promise<number> {
  const document = (await readJobDocument(world, vin)) as JobBundle;
  const target = Object.values(targetsFromJson(document.director).signed.targets)[0];
  return (target?.custom as { attempt?: number } | undefined)?.attempt ?? 0;
}

/** "withdrawn" once the vehicle's document is a signed withdrawal (director metadata naming no image), else "still there". */
async function documentState(vin: string): Promise<string> {
  const document = (await readJobDocument(world, vin)) as JobBundle;
  return Object.keys(targetsFromJson(document.director).signed.targets).length === 0 ? "withdrawn" : "still there";
}

const vins = (from: number, count: number) => Array.from({ length: count }, (_, index) => vinNumber(from + index));

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  deps = {
    store: world.store,
    documents: s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog }),
    tally: new UpdateTally(),
    registry: world.registry,
    log: silentLog,
    now: () => clock.now,
  };
});

test.after(async () => {
  await cloud?.stop();
});

test("a wave opens only after its soak time and success threshold, then admits the vehicles that waited", async () => {
  const { campaignId, model, version } = await startedCampaign({
    waves: [{ count: 2, soakMinutes: 30, successThresholdPercent: 100 }, { percent: 100 }],
  });
  const fleet = vins(100, 6);
  await deliver(...fleet.map((vin) => candidate(snapshot(vin, { model }))));
  let campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 6);
  assert.is(campaign.admitted, 2);

  const [first, second] = fleet;
  await deliver(report(campaignId, first!, 1, "SUCCEEDED", version), report(campaignId, second!, 1, "SUCCEEDED", version));
  advanceMinutes(10);
  assert.match((await tickCampaign(deps, campaignId)).decision, /soaking/);
  advanceMinutes(21);
  const opened = await tickCampaign(deps, campaignId);
  assert.match(opened.decision, /wave 2 opened/);
  assert.is(opened.admitted, 4);
  campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.waveIndex, 1);
  assert.is(campaign.counts.QUEUED, 4);
  const lastJob = await world.store.jobs.get(campaignId, fleet[5]!);
  assert.is(lastJob?.wave, 1);
  assert.is(lastJob?.documentPublishedAttempt, 1);
});

test("a waiting vehicle seen again is counted once and keeps its newest snapshot; a repeated sighting changes nothing", async () => {
  const { campaignId, model } = await startedCampaign({ waves: [{ count: 1 }, { percent: 100 }] });
  const [admitted, waiting] = vins(140, 2);
  await deliver(candidate(snapshot(admitted!, { model })), candidate(snapshot(waiting!, { model, stateOfCharge: 50 })));
  advanceMinutes(1);
  await deliver(candidate(snapshot(waiting!, { model, stateOfCharge: 45 })), candidate(snapshot(admitted!, { model })));
  await deliver(candidate(snapshot(waiting!, { model, stateOfCharge: 40 })));
  const campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 2);
  assert.is(campaign.admitted, 1);
  const waitingNow = await world.store.targets.listWaiting(campaignId, 10);
  assert.equal(waitingNow.map((vehicle) => [vehicle.vin, vehicle.stateOfCharge]), [[waiting, 45]]);
});

test("a tick short of invocation time stops admitting and says so; the next tick admits the rest", async () => {
  const { campaignId, model, version } = await startedCampaign({ waves: [{ count: 1, successThresholdPercent: 100 }, { percent: 100 }] });
  const [first, ...waiting] = vins(160, 8);
  await deliver(...[first!, ...waiting].map((vin) => candidate(snapshot(vin, { model }))));
  await deliver(report(campaignId, first!, 1, "SUCCEEDED", version));

  let checks = 0;
  const shortOfTime = { ...deps, remainingMs: () => (++checks <= 3 ? 60_000 : TICK_TIME_RESERVE_MS - 1) };
  const cut = await tickCampaign(shortOfTime, campaignId);
  assert.match(cut.decision, /wave 2 opened/);
  assert.is(cut.admitted, 3);
  assert.ok(cut.cutShort);

  const rest = await tickCampaign(deps, campaignId);
  assert.is(rest.admitted, waiting.length - 3);
  assert.not.ok(rest.cutShort);
  const campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.admitted, 8);
  assert.is(campaign.counts.QUEUED, 7);
});

test("a campaign with 20% failures pauses in its first wave once the minimum sample finished; resume judges afresh", async () => {
  const { campaignId, model, version } = await startedCampaign({
    waves: [{ percent: 50, soakMinutes: 60 }, { percent: 100 }],
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 15, minimumSample: 10, action: "PAUSE" }],
    retries: { max: 0 },
  });
  const fleet = vins(200, 20);
  await deliver(...fleet.map((vin) => candidate(snapshot(vin, { model }))));
  const admitted = (await world.store.campaigns.get(campaignId))!.admitted;
  assert.ok(admitted >= 10, `admitted ${admitted}`);

  const jobs = (await Promise.all(fleet.map((vin) => world.store.jobs.get(campaignId, vin)))).filter((job) => job !== undefined);
  const reports = jobs.slice(0, 10).map((job, index) => report(campaignId, job.vin, 1, index < 2 ? "FAILED" : "SUCCEEDED", index < 2 ? "2.3.1" : version));
  await deliver(...reports.slice(0, 9));
  assert.is((await tickCampaign(deps, campaignId)).state, "RUNNING", "9 finished is below the minimum sample");
  await deliver(reports[9]!);
  const paused = await tickCampaign(deps, campaignId);
  assert.is(paused.state, "PAUSED");
  assert.match(paused.decision, /ANY at 20\.0% \(2\/10\)/);

  await deliver(command(campaignId, "resume"));
  const resumed = await tickCampaign(deps, campaignId);
  assert.is(resumed.state, "RUNNING", "failures before the resume do not pause it again");
});

test("a silent vehicle times out (a failure), is retried after the backoff with a newly signed document", async () => {
  const { campaignId, model } = await startedCampaign({
    inProgressTimeoutMinutes: 30,
    retries: { max: 2, backoffBaseSeconds: 120, backoffCapSeconds: 600 },
  });
  const [vin] = vins(300, 1);
  await deliver(candidate(snapshot(vin!, { model })), report(campaignId, vin!, 1, "DOWNLOADING"));

  advanceMinutes(29);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 0);
  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 1);
  let job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.is(job.state, "TIMED_OUT");
  assert.is((await world.store.campaigns.get(campaignId))!.outcomes.timedOut, 1);

  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).retried, 0, "still backing off (120 s)");
  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).retried, 1);
  job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.is(job.state, "QUEUED");
  assert.is(job.attempt, 2);
  assert.is(await documentAttempt(vin!), 2);
});

test("a vehicle that never starts its job is TIMED_OUT unstarted, its document withdrawn, and the campaign completes after the last retry", async () => {
  const { campaignId, model, version } = await startedCampaign({
    startTimeoutMinutes: 60,
    retries: { max: 1, backoffBaseSeconds: 60, backoffCapSeconds: 60 },
  });
  const [updated, offline] = vins(320, 2);
  await deliver(candidate(snapshot(updated!, { model })), candidate(snapshot(offline!, { model })));
  await deliver(report(campaignId, updated!, 1, "SUCCEEDED", version));

  advanceMinutes(59);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 0);
  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 1);
  let job = (await world.store.jobs.get(campaignId, offline!))!;
  assert.is(job.state, "TIMED_OUT");
  assert.match(job.stateReason ?? "", /not started within 60 minutes of attempt 1/);
  assert.is(await documentState(offline!), "withdrawn");
  assert.is((await world.store.campaigns.get(campaignId))!.state, "RUNNING", "a retry is still ahead");

  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).retried, 1);
  job = (await world.store.jobs.get(campaignId, offline!))!;
  assert.is(job.attempt, 2);
  assert.is(await documentAttempt(offline!), 2);

  advanceMinutes(60);
  const last = await tickCampaign(deps, campaignId);
  assert.is(last.timedOut, 1);
  const campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.state, "COMPLETED", last.decision);
  assert.is(campaign.counts.SUCCEEDED, 1);
  assert.is(campaign.counts.TIMED_OUT, 1);
  assert.is(campaign.outcomes.timedOut, 2);
});

test("a job that keeps heartbeating INSTALLING is TIMED_OUT at maxInProgressMinutes; a late SUCCEEDED still lands", async () => {
  const { campaignId, model, version } = await startedCampaign({ inProgressTimeoutMinutes: 30, maxInProgressMinutes: 120, retries: { max: 0 } });
  const [vin] = vins(340, 1);
  await deliver(candidate(snapshot(vin!, { model })), report(campaignId, vin!, 1, "DOWNLOADING"));
  let sequence = 1;
  for (let minute = 20; minute <= 100; minute += 20) {
    advanceMinutes(20);
    await deliver(report(campaignId, vin!, ++sequence, "INSTALLING"));
    assert.is((await tickCampaign(deps, campaignId)).timedOut, 0, `minute ${minute}: within limits`);
  }
  advanceMinutes(20);
  await deliver(report(campaignId, vin!, ++sequence, "INSTALLING"));
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 1);
  let job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.is(job.state, "TIMED_OUT");
  assert.match(job.stateReason ?? "", /still INSTALLING 120 minutes after it started/);

  advanceMinutes(5);
  await deliver(report(campaignId, vin!, ++sequence, "INSTALLING"));
  job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.is(job.state, "TIMED_OUT", "a heartbeat past the limit does not revive the job");
  await deliver(report(campaignId, vin!, ++sequence, "SUCCEEDED", version));
  job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.is(job.state, "SUCCEEDED");
  assert.is(job.firmwareVersion, version);
});

test("cancel cancels what has not started, withdraws its documents, leaves running installs alone; a duplicate cancel does nothing", async () => {
  const { campaignId, model } = await startedCampaign({});
  const [waiting, installing] = vins(400, 2);
  await deliver(candidate(snapshot(waiting!, { model })), candidate(snapshot(installing!, { model })));
  await deliver(report(campaignId, installing!, 1, "INSTALLING"));

  const cancel = command(campaignId, "cancel", `cancel:${campaignId}`);
  await deliver(cancel, cancel);

  assert.is((await world.store.jobs.get(campaignId, waiting!))?.state, "CANCELED");
  assert.is((await world.store.jobs.get(campaignId, installing!))?.state, "IN_PROGRESS");
  assert.is(await documentState(waiting!), "withdrawn");
  const history = await world.store.campaigns.history(campaignId);
  assert.is(history.filter((record) => record.to === "CANCELED").length, 1);
});

test("a job installing when its campaign is canceled, then silent, times out and its install document is withdrawn (owed until confirmed)", async () => {
  const { campaignId, model } = await startedCampaign({ inProgressTimeoutMinutes: 30 });
  const [vin] = vins(420, 1);
  await deliver(candidate(snapshot(vin!, { model })), report(campaignId, vin!, 1, "INSTALLING"));
  advanceMinutes(2);
  await deliver(command(campaignId, "cancel"));
  assert.is(await documentState(vin!), "still there", "installing: left to finish");

  advanceMinutes(30);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 1);
  const job = (await world.store.jobs.get(campaignId, vin!))!;
  assert.equal([job.state, job.withdrawalOwedAttempt, job.nextRetryAt], ["TIMED_OUT", 1, undefined]);
  assert.is(await documentState(vin!), "withdrawn");
  assert.is((await world.store.campaigns.get(campaignId))!.withdrawalsOwed, 1, "owed until confirmed");

  advanceMinutes(WITHDRAWAL_SETTLE_MINUTES);
  assert.is((await tickCampaign(deps, campaignId)).withdrawalsSettled, 1);
  assert.is((await world.store.campaigns.get(campaignId))!.withdrawalsOwed, 0);
  assert.is((await world.store.jobs.get(campaignId, vin!))!.documentWithdrawnAttempt, 1);
});

test("a COMPLETED campaign's timed-out job brought back IN_PROGRESS by a late report is ticked and timed out again once silent: one timeout counted, its document withdrawn, nothing left moving", async () => {
  const { campaignId, model } = await startedCampaign({ inProgressTimeoutMinutes: 30, retries: { max: 0 } });
  const [vin] = vins(440, 1);
  await deliver(candidate(snapshot(vin!, { model })), report(campaignId, vin!, 1, "DOWNLOADING"));
  advanceMinutes(30);
  const completing = await tickCampaign(deps, campaignId);
  assert.equal([completing.timedOut, completing.state], [1, "COMPLETED"], completing.decision);
  assert.is(await documentState(vin!), "still there", "timed out while RUNNING, no retry left: the vehicle may still finish on it");

  advanceMinutes(10);
  await deliver(report(campaignId, vin!, 2, "INSTALLING"));
  let campaign = (await world.store.campaigns.get(campaignId))!;
  assert.equal([(await world.store.jobs.get(campaignId, vin!))!.state, campaign.state, campaign.counts.IN_PROGRESS], ["IN_PROGRESS", "COMPLETED", 1]);
  assert.equal(campaignsToTick([campaign], clock.now).map((c) => c.campaignId), [campaignId], "the ticker ticks it while the job moves");

  advanceMinutes(29);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 0, "it reported 29 minutes ago");
  advanceMinutes(1);
  assert.is((await tickCampaign(deps, campaignId)).timedOut, 1);
  const job = (await world.store.jobs.get(campaignId, vin!))!;
  campaign = (await world.store.campaigns.get(campaignId))!;
  assert.equal([job.state, job.withdrawalOwedAttempt, job.nextRetryAt], ["TIMED_OUT", 1, undefined]);
  assert.equal([campaign.state, campaign.counts.IN_PROGRESS, campaign.counts.TIMED_OUT, campaign.outcomes.timedOut], ["COMPLETED", 0, 1, 1]);
  assert.is(await documentState(vin!), "withdrawn", "timed out again in a campaign that ended: its document is taken back");

  advanceMinutes(WITHDRAWAL_SETTLE_MINUTES);
  assert.is((await tickCampaign(deps, campaignId)).withdrawalsSettled, 1);
  assert.equal(campaignsToTick([(await world.store.campaigns.get(campaignId))!], clock.now), [], "nothing moving, nothing owed: no longer ticked");
});

test("a command the campaign's state does not allow is refused and recorded", async () => {
  await releaseFirmware(world, "4.0.0");
  const draft = await world.store.campaigns.create(parseCampaignDefinition({ name: "draft", targetVersion: "4.0.0" }), { now: clock.now.toISOString() });
  await deliver(command(draft.campaignId, "pause"));
  const history = await world.store.campaigns.history(draft.campaignId);
  assert.is((await world.store.campaigns.get(draft.campaignId))?.state, "DRAFT");
  assert.match(history.at(-1)?.reason ?? "", /refused pause: cannot pause a DRAFT campaign/);
});

test("start is refused while the release has no signed manifest", async () => {
  const draft = await world.store.campaigns.create(parseCampaignDefinition({ name: "unreleased", targetVersion: "9.9.9" }), { now: clock.now.toISOString() });
  await deliver(command(draft.campaignId, "start"));
  assert.is((await world.store.campaigns.get(draft.campaignId))?.state, "DRAFT");
  assert.match((await world.store.campaigns.history(draft.campaignId)).at(-1)?.reason ?? "", /release 9\.9\.9 has no signed manifest/);
});

test("a paused campaign keeps its jobs but does not capture new vehicles; a running one matching them admits them", async () => {
  const shared = { model: `Shared-${++modelCounter}` };
  await releaseFirmware(world, "6.1.0");
  await releaseFirmware(world, "6.2.0");
  const older = await world.store.campaigns.create(parseCampaignDefinition({ name: "older", targetVersion: "6.1.0", selector: { models: [shared.model] } }), { now: clock.now.toISOString() });
  const newer = await world.store.campaigns.create(parseCampaignDefinition({ name: "newer", targetVersion: "6.2.0", selector: { models: [shared.model] } }), { now: clock.now.toISOString() });
  const [inOlder, arriving] = vins(600, 2);
  await deliver(command(older.campaignId, "start"), candidate(snapshot(inOlder!, shared)), command(older.campaignId, "pause"), command(newer.campaignId, "start"));

  await deliver(candidate(snapshot(inOlder!, shared)), candidate(snapshot(arriving!, shared)));

  assert.is((await world.store.jobs.get(older.campaignId, inOlder!))?.state, "QUEUED", "its job stays with the paused campaign");
  assert.is(await world.store.jobs.get(newer.campaignId, inOlder!), undefined, "a vehicle with a moving job is not taken twice");
  assert.is(await world.store.jobs.get(older.campaignId, arriving!), undefined);
  assert.is((await world.store.jobs.get(newer.campaignId, arriving!))?.state, "QUEUED");
});

// Delivered one after another: moto's threaded server does not isolate concurrent DynamoDB transactions
// (two conditional writes on the same revision can both pass there), so true races are only AWS-faithful
// on AWS; the conditional-write logic itself is what this checks.
test("the same report delivered five times is applied once", async () => {
  const { campaignId, model, version } = await startedCampaign({});
  const [vin] = vins(500, 1);
  await deliver(candidate(snapshot(vin!, { model })));
  const success = report(campaignId, vin!, 1, "SUCCEEDED", version);
  for (let delivery = 0; delivery < 5; delivery++) await deliver(success);
  const campaign = (await world.store.campaigns.get(campaignId))!;
  assert.is(campaign.outcomes.succeeded, 1);
  assert.is(campaign.counts.SUCCEEDED, 1);
  assert.is(campaign.counts.QUEUED, 0);
  assert.is((await jobHistory(world, campaignId, vin!)).filter((record) => record.to === "SUCCEEDED").length, 1);
});

test.run();
