import * as assert from "uvu/assert";
import type { Test } from "uvu";
import { newJob } from "../../../../campaigns/job-machine.js";
import {
  CampaignExistsError,
  DuplicateCommandError,
  NotWaitingError,
  StaleCampaignError,
  StaleJobError,
  TargetExistsError,
  WaveClosedError,
  type CampaignStore,
} from "../../../../campaigns/store/index.js";
import type { Campaign, Job } from "../../../../campaigns/model.js";
import { T0, definition, minutesAfter, vehicle } from "./factories.js";

/**
 * What every CampaignStore must do, whatever keeps the items: the same suite runs against the in-memory
 * store (unit) and the DynamoDB store on the emulator (integration), so the fast tests' store is held to
 * the real one's conditions and errors.
 */
export function storeContract(test: Test, store: () => CampaignStore): void {
  let counter = 0;
  const at = (minutes: number) => minutesAfter(minutes).toISOString();

  async function running(capacityWaves: Parameters<typeof definition>[0] = {}): Promise<Campaign> {
    const created = await store().campaigns.create(definition(capacityWaves), { now: at(0), campaignId: `c-contract-${Date.now()}-${++counter}` });
    return store().campaigns.saveChange(
      created,
      { ...created, state: "RUNNING", waveIndex: 0, waveOpenedAt: at(0), startedAt: at(0), updatedAt: at(0) },
      { from: "DRAFT", to: "RUNNING", at: at(0), reason: "started", cause: "test" },
    );
  }

  function jobFor(campaign: Campaign, vin: string): Job {
    const snapshot = vehicle({ vin });
    return newJob(
      { campaignId: campaign.campaignId, vin, wave: 0, targetVersion: "2.4.0", firmwareVersion: snapshot.firmwareVersion, hardware: snapshot.hardware },
      { met: true },
      T0,
    ).job;
  }

  test("contract: create, get, list and history of a campaign; the same id twice is CampaignExistsError", async () => {
    const campaign = await running();
    const read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.state, "RUNNING");
    assert.is(read.revision, 1);
    assert.ok((await store().campaigns.list()).some((listed) => listed.campaignId === campaign.campaignId));
    assert.equal((await store().campaigns.history(campaign.campaignId)).map((record) => record.to), ["DRAFT", "RUNNING"]);
    await store()
      .campaigns.create(definition(), { now: at(0), campaignId: campaign.campaignId })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, CampaignExistsError));
    assert.is(await store().campaigns.get("c-missing"), undefined);
  });

  test("contract: changesSince gives the transitions after a revision, each with its revision, and nothing of the campaign's other items", async () => {
    const campaign = await running();
    await store().jobs.admit(jobFor(campaign, "1HGCM82633A004352"), { capacity: 10, firstSighting: vehicle({ vin: "1HGCM82633A004352" }) });
    const paused = await store().campaigns.saveChange(campaign, { ...campaign, state: "PAUSED", updatedAt: at(2) }, { from: "RUNNING", to: "PAUSED", at: at(2), reason: "paused", cause: "pause by bob" });
    const summary = (records: Array<{ revision: number; to: string }>) => records.map((record) => `${record.revision}:${record.to}`);
    assert.equal(summary(await store().campaigns.changesSince(campaign.campaignId, -1)), ["0:DRAFT", "1:RUNNING", "2:PAUSED"]);
    assert.equal(summary(await store().campaigns.changesSince(campaign.campaignId, 1)), ["2:PAUSED"]);
    assert.equal(await store().campaigns.changesSince(campaign.campaignId, paused.revision), []);
    assert.is((await store().campaigns.changesSince(campaign.campaignId, 1))[0]?.cause, "pause by bob");
  });

  test("contract: a campaign change from a stale read is StaleCampaignError; a processed command key is DuplicateCommandError", async () => {
    const campaign = await running();
    const paused = { ...campaign, state: "PAUSED" as const, updatedAt: at(1) };
    const record = { from: "RUNNING", to: "PAUSED", at: at(1), reason: "paused", cause: "test" };
    await store().campaigns.saveChange(campaign, paused, record, { commandKey: `pause-${campaign.campaignId}` });
    assert.ok(await store().commands.isProcessed(`pause-${campaign.campaignId}`));
    assert.not.ok(await store().commands.isProcessed(`other-${campaign.campaignId}`));
    await store()
      .campaigns.saveChange(campaign, paused, record)
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleCampaignError));
    const fresh = (await store().campaigns.get(campaign.campaignId))!;
    await store()
      .campaigns.saveChange(fresh, { ...fresh, state: "RUNNING" }, { ...record, to: "RUNNING" }, { commandKey: `pause-${campaign.campaignId}` })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, DuplicateCommandError));
    assert.is((await store().campaigns.get(campaign.campaignId))!.state, "PAUSED", "nothing written by the refused transactions");
  });

  test("contract: admission counts against the wave; a second admission of the job is StaleJobError, a full wave WaveClosedError", async () => {
    const campaign = await running();
    const first = jobFor(campaign, "1HGCM82633A004352");
    await store().jobs.admit(first, { capacity: 1, firstSighting: vehicle({ vin: first.vin }) });
    await store().jobs.admit(first, { capacity: 5 }).then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    const second = jobFor(campaign, "1M8GDM9AXKP042788");
    await store()
      .jobs.admit(second, { capacity: 1, firstSighting: vehicle({ vin: second.vin }) })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, WaveClosedError));
    const read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.admitted, 1);
    assert.is(read.eligible, 1);
    assert.is(read.counts.QUEUED, 1);
    assert.ok(await store().targets.isKnown(campaign.campaignId, first.vin));
    assert.not.ok(await store().targets.isKnown(campaign.campaignId, second.vin), "the refused admission recorded nothing");
  });

  test("contract: waiting vehicles are recorded once, refreshed only forwards, admitted off the waiting list; a first sighting of a waiting vehicle is TargetExistsError", async () => {
    const campaign = await running();
    const vin = "1HGCM82633A004352";
    assert.ok(await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin }), at(1)));
    assert.not.ok(await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin }), at(2)));
    await store().targets.refreshWaiting(campaign.campaignId, vehicle({ vin, firmwareVersion: "2.3.2" }), at(3));
    await store().targets.refreshWaiting(campaign.campaignId, vehicle({ vin, firmwareVersion: "2.0.0" }), at(2));
    assert.equal((await store().targets.listWaiting(campaign.campaignId, 10)).map((waiting) => waiting.firmwareVersion), ["2.3.2"]);
    const job = jobFor(campaign, vin);
    await store()
      .jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin }) })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, TargetExistsError));
    await store().jobs.admit(job, { capacity: 5 });
    assert.equal(await store().targets.listWaiting(campaign.campaignId, 10), []);
    const read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.eligible, 1);
    assert.is(read.admitted, 1);
  });

  test("contract: a waiting vehicle forgotten (refused) leaves the list and `eligible` at once; forgetting an admitted or unknown one changes nothing; seen again it is a first sighting", async () => {
    const campaign = await running();
    const [refused, honest, admitted] = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "5YJ3E1EA7KF317000"];
    for (const [index, vin] of [refused, honest, admitted].entries()) await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin }), at(1 + index));
    await store().jobs.admit(jobFor(campaign, admitted), { capacity: 5 });

    assert.ok(await store().targets.forgetWaiting(campaign.campaignId, refused, at(5)));
    assert.not.ok(await store().targets.forgetWaiting(campaign.campaignId, refused, at(6)), "forgotten once");
    assert.not.ok(await store().targets.forgetWaiting(campaign.campaignId, admitted, at(6)), "an admitted vehicle is not waiting");
    assert.not.ok(await store().targets.forgetWaiting(campaign.campaignId, "2T1BURHE0JC074321", at(6)), "nor is one never seen");
    assert.not.ok(await store().targets.isKnown(campaign.campaignId, refused));
    assert.equal((await store().targets.listWaiting(campaign.campaignId, 10)).map((waiting) => waiting.vin), [honest]);
    assert.ok(await store().targets.isKnown(campaign.campaignId, admitted));
    let read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.eligible, 2, "the admitted one and the honest one waiting");
    assert.is(read.admitted, 1);

    assert.ok(await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin: refused, firmwareVersion: "2.3.2" }), at(7)), "seen again: a first sighting");
    assert.equal((await store().targets.listWaiting(campaign.campaignId, 10)).map((waiting) => waiting.vin), [honest, refused]);
    assert.ok(await store().targets.forgetWaiting(campaign.campaignId, refused, at(8)));
    const job = jobFor(campaign, refused);
    await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: refused }) });
    assert.is((await store().jobs.get(campaign.campaignId, refused))?.state, "QUEUED", "admitted at a first sighting after being forgotten");
    read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.eligible, 3);
    assert.is(read.admitted, 2);
    assert.equal((await store().targets.listWaiting(campaign.campaignId, 10)).map((waiting) => waiting.vin), [honest]);
  });

  test("contract: admitting a vehicle as waiting once it is not (forgotten between its sighting's read and the admission, or never recorded) is NotWaitingError and writes nothing; seen again, a first sighting admits it counted once", async () => {
    const campaign = await running();
    const [forgotten, unknown, admitted] = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "5YJ3E1EA7KF317000"];
    await store().jobs.admit(jobFor(campaign, admitted), { capacity: 5, firstSighting: vehicle({ vin: admitted }) });
    await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin: forgotten }), at(1));
    assert.ok(await store().targets.forgetWaiting(campaign.campaignId, forgotten, at(2)));
    for (const vin of [forgotten, unknown]) {
      await store()
        .jobs.admit(jobFor(campaign, vin), { capacity: 5 })
        .then(() => assert.unreachable(`${vin} admitted although not waiting`), (error: unknown) => assert.instance(error, NotWaitingError));
      assert.is(await store().jobs.get(campaign.campaignId, vin), undefined, "no job written");
      assert.not.ok(await store().targets.isKnown(campaign.campaignId, vin), "no target written");
    }
    // An admitted vehicle admitted again is StaleJobError (its job exists), not NotWaitingError.
    await store().jobs.admit(jobFor(campaign, admitted), { capacity: 5 }).then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    let read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([read.eligible, read.admitted, read.counts.QUEUED], [1, 1, 1], "counters unchanged by the refused admissions");
    assert.equal(await store().targets.listWaiting(campaign.campaignId, 10), []);

    await store().jobs.admit(jobFor(campaign, forgotten), { capacity: 5, firstSighting: vehicle({ vin: forgotten }) });
    read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([read.eligible, read.admitted], [2, 2], "eligible counted again with the admission");
  });

  test("contract: a job transition moves the counters with it; a stale one is StaleJobError and moves nothing", async () => {
    const campaign = await running();
    const job = jobFor(campaign, "1HGCM82633A004352");
    await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
    const failed = { ...job, state: "FAILED" as const, updatedAt: at(1) };
    const saved = await store().jobs.saveTransition(job, failed, { outcomes: { failed: 1 } });
    assert.is(saved.revision, job.revision + 1);
    await store()
      .jobs.saveTransition(job, { ...job, state: "SUCCEEDED" }, { outcomes: { succeeded: 1 } })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    await store().jobs.saveFields(job, job).then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    const fields = await store().jobs.saveFields(saved, { ...saved, documentKey: "jobs/x.json" });
    assert.is((await store().jobs.get(campaign.campaignId, job.vin))!.documentKey, "jobs/x.json");
    assert.is(fields.revision, saved.revision + 1);
    const read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.counts.QUEUED, 0);
    assert.is(read.counts.FAILED, 1);
    assert.is(read.outcomes.failed, 1);
    assert.is(read.outcomes.succeeded, 0);
    assert.equal((await store().jobs.list(campaign.campaignId, "FAILED")).map((listed) => listed.vin), [job.vin]);
    assert.equal(await store().jobs.list(campaign.campaignId, "QUEUED"), []);
  });
  test("contract: a job that will not run owes its withdrawal in `withdrawalsOwed`, moved with the job's own writes (transition or fields) until its attempt's withdrawal is recorded; a stale write moves nothing", async () => {
    const campaign = await running();
    const owed = async () => (await store().campaigns.get(campaign.campaignId))!.withdrawalsOwed;
    const [one, two] = [jobFor(campaign, "1HGCM82633A004352"), jobFor(campaign, "1M8GDM9AXKP042788")];
    for (const job of [one, two]) await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
    assert.is(await owed(), 0);
    // A job ended before withdrawals were owed (no withdrawalOwedAttempt: an item older than the field) owes nothing.
    const legacy = await store().jobs.saveTransition(one, { ...one, state: "CANCELED", updatedAt: at(1) });
    assert.is(await owed(), 0);
    const canceled = await store().jobs.saveFields(legacy, { ...legacy, withdrawalOwedAttempt: 1, updatedAt: at(1) });
    // Timed out before it started: owed too, and the fields-only write of a repeated timeout changes nothing.
    const timedOut = await store().jobs.saveTransition(two, { ...two, state: "TIMED_OUT", timedOutAttempt: 1, withdrawalOwedAttempt: 1, updatedAt: at(1) }, { outcomes: { timedOut: 1 } });
    assert.is(await owed(), 2);
    const again = await store().jobs.saveFields(timedOut, { ...timedOut, stateReason: "again", updatedAt: at(2) });
    assert.is(await owed(), 2);
    await store()
      .jobs.saveFields(legacy, { ...legacy, withdrawalOwedAttempt: 1, documentWithdrawnAttempt: 1 })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    await store()
      .jobs.saveFields(timedOut, { ...timedOut, documentWithdrawnAttempt: 1 })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleJobError));
    assert.is(await owed(), 2, "a stale write moves nothing");
    const settled = await store().jobs.saveFields(canceled, { ...canceled, documentWithdrawnAttempt: 1, updatedAt: at(3) });
    assert.is(await owed(), 1);
    assert.is((await store().jobs.get(campaign.campaignId, one.vin))!.documentWithdrawnAttempt, 1);
    await store().jobs.saveFields(settled, { ...settled, stateReason: "still canceled", updatedAt: at(4) });
    assert.is(await owed(), 1, "a settled job owes nothing again");
    // A retry takes the timed-out job off (its new attempt's document replaces the old one); it owes again only if it times out unstarted again.
    const retried = await store().jobs.saveTransition(again, { ...again, state: "QUEUED", attempt: 2, documentWithdrawnAttempt: 1, updatedAt: at(5) });
    assert.is(await owed(), 0);
    await store().jobs.saveTransition(retried, { ...retried, state: "TIMED_OUT", withdrawalOwedAttempt: 2, updatedAt: at(6) }, { outcomes: { timedOut: 1 } });
    assert.is(await owed(), 1, "attempt 2 owes its own withdrawal");
  });

  test("contract: listOwingWithdrawal lists exactly the campaign's jobs owing a withdrawal, from the write that makes them owe to the one that confirms it", async () => {
    const [campaign, other] = [await running(), await running()];
    const owingVins = async (of: Campaign) => (await store().jobs.listOwingWithdrawal(of.campaignId)).map((job) => job.vin);
    const [one, two, three] = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "1HGCM82633A004360"].map((vin) => jobFor(campaign, vin)) as [Job, Job, Job];
    const elsewhere = jobFor(other, one.vin);
    for (const job of [one, two, three, elsewhere]) await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
    assert.equal(await owingVins(campaign), []);
    const canceled = await store().jobs.saveTransition(one, { ...one, state: "CANCELED", withdrawalOwedAttempt: 1, updatedAt: at(1) });
    // Timed out after it started in a campaign that ended: owes too (a started job's mark is the update service's).
    await store().jobs.saveTransition(two, { ...two, state: "TIMED_OUT", inProgressSince: at(0), withdrawalOwedAttempt: 1, updatedAt: at(1) }, { outcomes: { timedOut: 1 } });
    // Ended without the mark (a legacy item, or a timeout in a rolling campaign): not listed.
    await store().jobs.saveTransition(three, { ...three, state: "CANCELED", updatedAt: at(1) });
    await store().jobs.saveTransition(elsewhere, { ...elsewhere, state: "CANCELED", withdrawalOwedAttempt: 1, updatedAt: at(1) });
    const listed = await store().jobs.listOwingWithdrawal(campaign.campaignId);
    assert.equal(listed.map((job) => [job.vin, job.state, job.revision]), [[one.vin, "CANCELED", 1], [two.vin, "TIMED_OUT", 1]], "whole jobs, as stored");
    assert.equal(listed[0], await store().jobs.get(campaign.campaignId, one.vin), "the job as a read returns it");
    await store().jobs.saveFields(canceled, { ...canceled, documentWithdrawnAttempt: 1, updatedAt: at(25) });
    assert.equal(await owingVins(campaign), [two.vin], "confirmed: off the list");
    assert.equal(await owingVins(other), [one.vin]);
  });

  test("contract: a vehicle's outcome moves per-vehicle counters and the baseline only at the campaign's epoch; a resume takes the baseline only from the counters it read", async () => {
    const campaign = await running();
    const job = jobFor(campaign, "1M8GDM9AXKP042788");
    await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
    const failed = await store().jobs.saveTransition(job, { ...job, state: "FAILED", countedOutcome: "failed", countedEpoch: 0, updatedAt: at(1) }, {
      outcomes: { failed: 1 },
      vehicleOutcomes: { failed: 1 },
      epoch: 0,
    });
    const paused = await store().campaigns.saveChange(campaign, { ...campaign, state: "PAUSED", updatedAt: at(2) }, { from: "RUNNING", to: "PAUSED", at: at(2), reason: "paused", cause: "test" });
    // A resume from a read that missed the failure is refused: its baseline would leave the failure out.
    const resume = (from: Campaign) => ({ ...from, state: "RUNNING" as const, outcomesBaseline: { ...from.vehicleOutcomes }, outcomesEpoch: from.outcomesEpoch + 1, updatedAt: at(3) });
    const record = { from: "PAUSED", to: "RUNNING", at: at(3), reason: "resumed", cause: "test" };
    await store()
      .campaigns.saveChange(paused, resume({ ...paused, vehicleOutcomes: { ...paused.vehicleOutcomes, failed: 0 } }), record)
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleCampaignError));
    const read = (await store().campaigns.get(campaign.campaignId))!;
    await store().campaigns.saveChange(read, resume(read), record);
    // An outcome computed for the old epoch is refused, job and counters untouched.
    const retried = { ...failed, state: "SUCCEEDED" as const, countedOutcome: "succeeded" as const, updatedAt: at(4) };
    await store()
      .jobs.saveTransition(failed, { ...retried, countedEpoch: 0 }, { outcomes: { succeeded: 1 }, vehicleOutcomes: { succeeded: 1, failed: -1 }, epoch: 0 })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleCampaignError));
    assert.is((await store().jobs.get(campaign.campaignId, job.vin))!.state, "FAILED");
    await store().jobs.saveTransition(failed, { ...retried, countedEpoch: 1 }, { outcomes: { succeeded: 1 }, vehicleOutcomes: { succeeded: 1, failed: -1 }, baseline: { failed: -1 }, epoch: 1 });
    const after = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([after.outcomesEpoch, after.vehicleOutcomes.failed, after.vehicleOutcomes.succeeded, after.outcomesBaseline.failed], [1, 0, 1, 0]);
    assert.equal([after.outcomes.failed, after.outcomes.succeeded], [1, 1]);
  });

  test("contract: a completion is refused once a vehicle was admitted, recorded waiting or forgotten since its read; other changes are not", async () => {
    const complete = (from: Campaign, minutes: number) => ({ ...from, state: "COMPLETED" as const, finishedAt: at(minutes), updatedAt: at(minutes) });
    const record = (minutes: number) => ({ from: "RUNNING", to: "COMPLETED", at: at(minutes), reason: "completed", cause: "test" });
    const refused = (error: unknown) => assert.instance(error, StaleCampaignError);
    const campaign = await running();
    const [first, waiting, third] = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "2HGCM82633A004352"];
    await store().jobs.admit(jobFor(campaign, first), { capacity: 5, firstSighting: vehicle({ vin: first }) });

    // Recorded waiting since the read (eligible moved).
    let read = (await store().campaigns.get(campaign.campaignId))!;
    await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin: waiting }), at(1));
    await store().campaigns.saveChange(read, complete(read, 1), record(1)).then(() => assert.unreachable(), refused);
    // Admitted since the read (admitted moved).
    read = (await store().campaigns.get(campaign.campaignId))!;
    await store().jobs.admit(jobFor(campaign, waiting), { capacity: 5 });
    await store().campaigns.saveChange(read, complete(read, 2), record(2)).then(() => assert.unreachable(), refused);
    // Forgotten since the read (eligible moved down).
    read = (await store().campaigns.get(campaign.campaignId))!;
    await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin: third }), at(3));
    read = (await store().campaigns.get(campaign.campaignId))!;
    assert.ok(await store().targets.forgetWaiting(campaign.campaignId, third, at(3)));
    await store().campaigns.saveChange(read, complete(read, 3), record(3)).then(() => assert.unreachable(), refused);
    assert.is((await store().campaigns.get(campaign.campaignId))!.state, "RUNNING");

    // A pause is not judged by the vehicles: the counters moving under it do not refuse it.
    read = (await store().campaigns.get(campaign.campaignId))!;
    await store().targets.recordFirstSighting(campaign.campaignId, vehicle({ vin: third }), at(4));
    const paused = await store().campaigns.saveChange(read, { ...read, state: "PAUSED", updatedAt: at(4) }, { from: "RUNNING", to: "PAUSED", at: at(4), reason: "paused", cause: "test" });
    assert.is(paused.state, "PAUSED");
    // A completion from a read that is current goes through.
    const resumed = (await store().campaigns.get(campaign.campaignId))!;
    const running2 = await store().campaigns.saveChange(resumed, { ...resumed, state: "RUNNING", updatedAt: at(5) }, { from: "PAUSED", to: "RUNNING", at: at(5), reason: "resumed", cause: "test" });
    read = (await store().campaigns.get(running2.campaignId))!;
    await store().campaigns.saveChange(read, complete(read, 6), record(6));
    const done = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([done.state, done.eligible, done.admitted], ["COMPLETED", 3, 2]);
  });

  test("contract: a campaign change carrying a retry-failed request stores it; a later change without one keeps it, a newer one replaces it", async () => {
    const campaign = await running();
    const request = { key: `retry-failed#${campaign.campaignId}`, at: at(1) };
    const record = (minute: number) => ({ from: "RUNNING", to: "RUNNING", at: at(minute), reason: "retry failed jobs", cause: "test" });
    await store().campaigns.saveChange(campaign, { ...campaign, retryFailedRequest: request, updatedAt: at(1) }, record(1));
    let read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal(read.retryFailedRequest, request);
    await store().campaigns.saveChange(read, { ...read, state: "PAUSED", retryFailedRequest: undefined, updatedAt: at(2) }, { ...record(2), to: "PAUSED" });
    read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal(read.retryFailedRequest, request);
    const newer = { key: "retry-failed#2", at: at(3) };
    await store().campaigns.saveChange(read, { ...read, retryFailedRequest: newer, updatedAt: at(3) }, { ...record(3), from: "PAUSED", to: "PAUSED" });
    assert.equal((await store().campaigns.get(campaign.campaignId))!.retryFailedRequest, newer);
  });

  test("contract: a job write kept for an unended campaign (whileNotEnded) is written while the campaign is RUNNING or PAUSED; once it ended it is StaleCampaignError and writes nothing, job or counters; without the flag it is written", async () => {
    const campaign = await running();
    const [one, two, three] = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "1HGCM82633A004360"].map((vin) => jobFor(campaign, vin)) as [Job, Job, Job];
    for (const job of [one, two, three]) await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
    const failed = await store().jobs.saveTransition(one, { ...one, state: "FAILED", nextRetryAt: at(3), updatedAt: at(1) }, { outcomes: { failed: 1 }, whileNotEnded: true });
    const paused = await store().campaigns.saveChange(campaign, { ...campaign, state: "PAUSED", updatedAt: at(2) }, { from: "RUNNING", to: "PAUSED", at: at(2), reason: "paused", cause: "test" });
    // Timed out after it started, no retry left, keeping its document: kept so only for a campaign that has not ended.
    await store().jobs.saveTransition(two, { ...two, state: "TIMED_OUT", inProgressSince: at(0), timedOutAttempt: 1, updatedAt: at(2) }, { outcomes: { timedOut: 1 }, whileNotEnded: true });
    await store().campaigns.saveChange(paused, { ...paused, state: "CANCELED", finishedAt: at(3), updatedAt: at(3) }, { from: "PAUSED", to: "CANCELED", at: at(3), reason: "canceled", cause: "test" });
    const refused = (error: unknown) => assert.instance(error, StaleCampaignError);
    await store()
      .jobs.saveTransition(three, { ...three, state: "FAILED", nextRetryAt: at(5), updatedAt: at(4) }, { outcomes: { failed: 1 }, whileNotEnded: true })
      .then(() => assert.unreachable(), refused);
    // A write that moves no counter is held to it too.
    await store()
      .jobs.saveTransition(failed, { ...failed, stateReason: "still failing", updatedAt: at(4) }, { whileNotEnded: true })
      .then(() => assert.unreachable(), refused);
    assert.equal(await store().jobs.get(campaign.campaignId, three.vin), three, "the job as it was");
    assert.is((await store().jobs.get(campaign.campaignId, one.vin))!.revision, failed.revision);
    let read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([read.counts.QUEUED, read.counts.FAILED, read.counts.TIMED_OUT, read.outcomes.failed, read.updatedAt], [1, 1, 1, 1, at(3)], "counters as they were");
    // Written as the ended campaign wants it (no retry): no flag, no condition.
    await store().jobs.saveTransition(three, { ...three, state: "FAILED", updatedAt: at(4) }, { outcomes: { failed: 1 } });
    read = (await store().campaigns.get(campaign.campaignId))!;
    assert.equal([read.counts.QUEUED, read.counts.FAILED, read.outcomes.failed], [0, 2, 2]);
    for (const ended of ["ABORTED", "COMPLETED"] as const) {
      const other = await running();
      const job = jobFor(other, "1HGCM82633A004352");
      await store().jobs.admit(job, { capacity: 5, firstSighting: vehicle({ vin: job.vin }) });
      const fresh = (await store().campaigns.get(other.campaignId))!;
      await store().campaigns.saveChange(fresh, { ...fresh, state: ended, finishedAt: at(3), updatedAt: at(3) }, { from: "RUNNING", to: ended, at: at(3), reason: ended, cause: "test" });
      await store()
        .jobs.saveTransition(job, { ...job, state: "FAILED", nextRetryAt: at(5), updatedAt: at(4) }, { outcomes: { failed: 1 }, whileNotEnded: true })
        .then(() => assert.unreachable(), refused);
      assert.is((await store().jobs.get(other.campaignId, job.vin))!.state, "QUEUED", ended);
    }
  });

  test("contract: an ended campaign's change recording its retries dropped stores when; a later change without it keeps it", async () => {
    const campaign = await running();
    const canceled = await store().campaigns.saveChange(campaign, { ...campaign, state: "CANCELED", finishedAt: at(1), updatedAt: at(1) }, { from: "RUNNING", to: "CANCELED", at: at(1), reason: "canceled", cause: "test" });
    const record = (minute: number) => ({ from: "CANCELED", to: "CANCELED", at: at(minute), reason: "retries dropped", cause: "test" });
    await store().campaigns.saveChange(canceled, { ...canceled, retriesDroppedAt: at(30), updatedAt: at(30) }, record(30));
    const read = (await store().campaigns.get(campaign.campaignId))!;
    assert.is(read.retriesDroppedAt, at(30));
    await store().campaigns.saveChange(read, { ...read, retriesDroppedAt: undefined, updatedAt: at(31) }, record(31));
    assert.is((await store().campaigns.get(campaign.campaignId))!.retriesDroppedAt, at(30));
  });
}
