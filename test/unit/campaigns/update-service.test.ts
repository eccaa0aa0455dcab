/**
 * The update service's race and retry paths against the in-memory campaign store (same conditions and
 * errors as the DynamoDB store): a job write that loses to another writer, a command delivered twice or
 * marked meanwhile, a campaign changed between read and write, a wave that closes under an admission,
 * the same vehicle's sightings racing. A competing writer is injected by wrapping one store method once.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { criteriaStanding } from "../../../campaigns/campaign-machine.js";
import { ImageTargetsExpiredError } from "../../../campaigns/document-channel.js";
import { JOB_STATES, owesWithdrawal, type Campaign, type CampaignDefinitionInput, type Job, type JobState } from "../../../campaigns/model.js";
import { WITHDRAWAL_SETTLE_MINUTES } from "../../../campaigns/job-documents.js";
import { campaignsToTick } from "../../../functions/rollout-ticker/tick-messages.js";
import { memoryCampaignStore, StaleJobError, type CampaignStore } from "../../../campaigns/store/index.js";
import { OUTCOME_KEYS } from "../../../campaigns/store/keys.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import { factsAsDescribed, memoryVehicleRegistry } from "../../../campaigns/registry-check.js";
import {
  ActiveCampaigns,
  CommandDeferredError,
  RaceLostError,
  REPORT_PARKED_REASON,
  ReportNotApplicableError,
  UnknownJobError,
  handleUpdateMessage,
  tickCampaign,
  type UpdateServiceDeps,
} from "../../../campaigns/update-service.js";
import { METRIC } from "../../../contracts/metrics.js";
import type { StatusReportMessage, UpdateMessage, VehicleSnapshot } from "../../../contracts/update-messages.js";
import { PermanentFailureError } from "../../../lib/parked-failures.js";
import { silentLog } from "../../../lib/logger.js";
import { computeCheckDigit } from "../../../telemetry/vin.js";
import { gate } from "../support/gate.js";
import { documentSlots, type DocumentSlots } from "./support/document-slots.js";
import { T0, definition, minutesAfter, vehicle } from "./support/factories.js";

interface Harness {
  store: CampaignStore;
  registry: ReturnType<typeof memoryVehicleRegistry>;
  deps: UpdateServiceDeps;
  clock: { now: Date };
  slots: DocumentSlots;
  published: string[];
  withdrawn: string[];
  /** Handles the messages, each candidate's vehicle registered as it describes itself first (an honest fleet). */
  deliver(...messages: UpdateMessage[]): Promise<void>;
  /** Handles the messages against the registry as it stands. */
  deliverAsIs(...messages: UpdateMessage[]): Promise<void>;
}

/** A store, a document channel keeping one document per VIN, and a controlled clock. */
function harness(options: { lastWriterWins?: boolean } = {}): Harness {
  const store = memoryCampaignStore();
  const clock = { now: T0 };
  const slots = documentSlots(options);
  const { published, withdrawn } = slots;
  const documents = slots.channel;
  const registry = memoryVehicleRegistry();
  const deps: UpdateServiceDeps = { store, documents, tally: new UpdateTally(), registry, log: silentLog, now: () => clock.now };
  const deliverAsIs = async (...messages: UpdateMessage[]) => {
    const active = new ActiveCampaigns(store);
    for (const message of messages) await handleUpdateMessage(deps, message, active);
  };
  return {
    store,
    registry,
    deps,
    clock,
    slots,
    published,
    withdrawn,
    async deliver(...messages) {
      for (const message of messages) if (message.kind === "candidate") registry.register(factsAsDescribed(message.vehicle));
      await deliverAsIs(...messages);
    },
    deliverAsIs,
  };
}

const vin = (index: number): string => {
  const body = `1HGCM826_3A${String(index).padStart(6, "0")}`;
  return body.replace("_", computeCheckDigit(body));
};
const car = (index: number, overrides: Partial<VehicleSnapshot> = {}): VehicleSnapshot =>
  vehicle({ vin: vin(index), observedAt: T0.toISOString(), ...overrides });
const candidate = (snapshot: VehicleSnapshot): UpdateMessage => ({
  kind: "candidate",
  idempotencyKey: `candidate#${snapshot.vin}#${snapshot.observedAt}`,
  vehicle: snapshot,
});
let commandCounter = 0;
const command = (campaignId: string, name: "start" | "pause" | "resume" | "cancel" | "retry-failed" | "tick", key = `${name}#${++commandCounter}`): UpdateMessage => ({
  kind: "command",
  idempotencyKey: key,
  command: name,
  campaignId,
  requestedBy: "test",
  requestedAt: T0.toISOString(),
});
const report = (campaignId: string, vinOf: string, sequence: number, status: "DOWNLOADING" | "INSTALLING" | "VERIFYING" | "SUCCEEDED" | "FAILED"): UpdateMessage => ({
  kind: "status-report",
  idempotencyKey: `${campaignId}:${vinOf}#1#${sequence}`,
  vin: vinOf,
  campaignId,
  jobId: `${campaignId}:${vinOf}`,
  attempt: 1,
  sequence,
  status,
  firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1",
  reportedAt: T0.toISOString(),
});

async function startedCampaign(h: Harness, overrides: Partial<CampaignDefinitionInput> = {}): Promise<Campaign> {
  const created = await h.store.campaigns.create(definition(overrides), { now: h.clock.now.toISOString() });
  await h.deliver(command(created.campaignId, "start"));
  return (await h.store.campaigns.get(created.campaignId))!;
}

/** The campaign's per-state counters agree with its jobs, and `admitted` with their number. */
async function assertCountersMatchJobs(store: CampaignStore, campaignId: string): Promise<void> {
  const campaign = (await store.campaigns.get(campaignId))!;
  const jobs = await store.jobs.list(campaignId);
  for (const state of JOB_STATES) {
    assert.is(campaign.counts[state], jobs.filter((job) => job.state === state).length, `count of ${state}`);
  }
  assert.is(campaign.admitted, jobs.length, "admitted");
  assert.is(campaign.withdrawalsOwed ?? 0, jobs.filter(owesWithdrawal).length, "withdrawals owed");
  // Each vehicle once in the criteria's counters, as its latest counted outcome; the baseline holds exactly those
  // counted before the last resume and not counted again since.
  for (const kind of OUTCOME_KEYS) {
    const counted = jobs.filter((job) => job.countedOutcome === kind);
    assert.is(campaign.vehicleOutcomes[kind], counted.length, `vehicles counted ${kind}`);
    const beforeResume = counted.filter((job) => (job.countedEpoch ?? 0) < campaign.outcomesEpoch).length;
    assert.is(campaign.outcomesBaseline[kind], campaign.outcomesEpoch === 0 ? 0 : beforeResume, `baseline ${kind}`);
  }
}

/** Wraps one store method so that, the first time it is called (with arguments `when` accepts), `competitor` runs before it. */
function onceBefore<T extends object, K extends keyof T>(target: T, method: K, competitor: () => Promise<unknown>, when: (...args: unknown[]) => boolean = () => true): void {
  const original = target[method] as unknown as (...args: unknown[]) => Promise<unknown>;
  let fired = false;
  (target as Record<K, unknown>)[method] = async (...args: unknown[]) => {
    if (!fired && when(...args)) {
      fired = true;
      await competitor();
    }
    return original(...args);
  };
}

// ── jobs: conditional-write conflicts ──────────────────────────────────────────────────────────────

test("a report whose job write loses to a concurrent report re-reads and applies on top of it, counted once", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  // While the INSTALLING report is being applied, the DOWNLOADING report (delivered elsewhere) lands first.
  onceBefore(h.store.jobs, "saveTransition", () => h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING")));
  await h.deliver(report(campaignId, vin(1), 2, "INSTALLING"));

  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(job.state, "IN_PROGRESS");
  assert.is(job.substate, "INSTALLING");
  assert.is(job.lastSequence, 2);
  assert.equal(
    job.history.map((record) => record.to),
    ["QUEUED", "IN_PROGRESS/DOWNLOADING", "IN_PROGRESS/INSTALLING"],
    "each move recorded once, in order",
  );
  await assertCountersMatchJobs(h.store, campaignId);
});

test("R26-01: reports on a vehicle's ended (SUCCEEDED) job are refused, job unchanged, and counted in OTAUpdates/JobEventsRefused by reason", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "SUCCEEDED"));
  const ended = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(ended.state, "SUCCEEDED");
  h.deps.tally.reset();
  assert.equal(h.deps.tally.toMetricData(T0), [], "nothing refused, nothing written");
  for (let n = 0; n < 16; n++) await h.deliver(report(campaignId, vin(1), 3 + n, n % 2 ? "INSTALLING" : "DOWNLOADING"));

  assert.equal((await h.store.jobs.get(campaignId, vin(1)))!, ended, "the ended job is as it was");
  assert.equal([...h.deps.tally.refusedJobEvents], [["report-on-ended-job", 16]]);
  assert.equal(
    h.deps.tally.toMetricData(T0).map(({ MetricName, Dimensions, Value }) => ({ MetricName, Dimensions, Value })),
    [{ MetricName: METRIC.JobEventsRefused, Dimensions: [{ Name: "Reason", Value: "report-on-ended-job" }], Value: 16 }],
    "only the refusals: no transition applied",
  );
  h.deps.tally.reset();
  assert.ok(h.deps.tally.isEmpty);
});

test("reports on a job canceled before it started count apart (report-on-canceled-job): an honest vehicle sends them, what it did before reading the withdrawal", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  await h.deliver(command(campaignId, "cancel"));
  const canceled = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(canceled.state, "CANCELED");
  h.deps.tally.reset();
  // The vehicle went on before the withdrawal reached it (or uploaded after the cancel what it did before): the download it started, and its heartbeat.
  await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "DOWNLOADING"));

  assert.equal((await h.store.jobs.get(campaignId, vin(1)))!, canceled, "the canceled job is as it was");
  assert.equal([...h.deps.tally.refusedJobEvents], [["report-on-canceled-job", 2]], "not report-on-ended-job, which no honest vehicle sends");
});

test("a report that lost its race to the same report (redelivered) is ignored on re-read: nothing counted twice", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "VERIFYING"));
  onceBefore(h.store.jobs, "saveTransition", () => h.deliver(report(campaignId, vin(1), 3, "SUCCEEDED")));
  await h.deliver(report(campaignId, vin(1), 3, "SUCCEEDED"));

  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.counts.SUCCEEDED, 1);
  assert.is(campaign.outcomes.succeeded, 1, "the outcome counted once");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a job that keeps changing under every attempt gives up with RaceLostError (redelivered later), having written nothing", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  const before = (await h.store.jobs.get(campaignId, vin(1)))!;
  const original = h.store.jobs.saveTransition;
  let attempts = 0;
  h.store.jobs.saveTransition = async (stale: Job) => {
    attempts++;
    throw new StaleJobError(stale.jobId);
  };
  try {
    await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"));
    assert.unreachable("should have given up");
  } catch (error) {
    assert.instance(error, RaceLostError);
  } finally {
    h.store.jobs.saveTransition = original;
  }
  assert.is(attempts, 8);
  assert.equal(await h.store.jobs.get(campaignId, vin(1)), before);
});

test("a report for a job that vanished between the lost write and the re-read is an UnknownJobError", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  const original = h.store.jobs.get;
  let reads = 0;
  h.store.jobs.get = async (id, which) => (++reads === 1 ? original(id, which) : undefined);
  h.store.jobs.saveTransition = async (stale: Job) => {
    throw new StaleJobError(stale.jobId);
  };
  try {
    await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"));
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.instance(error, UnknownJobError);
  }
});

test("a report naming a job id that is not the vehicle's own is refused for good as other-vehicle, and changes nothing", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  const other = { ...(report(campaignId, vin(1), 1, "DOWNLOADING") as Extract<UpdateMessage, { kind: "status-report" }>), jobId: "c-other:x" };
  await h.deliver(other).then(
    () => assert.unreachable("should have thrown"),
    (error: unknown) => assert.is(error instanceof ReportNotApplicableError && error.parkedReason, REPORT_PARKED_REASON.OtherVehicle),
  );
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "QUEUED");
});

test("publishing a document after a lost race keeps the winner's job and loses nothing (the document is per attempt)", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  // The first sighting admits the vehicle; while its document is recorded, its first report moves the job.
  onceBefore(h.store.jobs, "saveFields", () => h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING")));
  await h.deliver(candidate(car(1)));
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(job.state, "IN_PROGRESS");
  assert.equal(h.published, [`${vin(1)}#1`]);
});

// ── commands: duplicates and stale campaigns ──────────────────────────────────────────────────────

test("a command delivered twice is applied once", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  const pause = command(campaignId, "pause", "pause#twice");
  await h.deliver(pause, pause);
  const history = await h.store.campaigns.history(campaignId);
  assert.is(history.filter((record) => record.to === "PAUSED").length, 1);
  assert.is((await h.store.campaigns.get(campaignId))!.state, "PAUSED");
});

test("a command marked processed by a concurrent delivery between the check and the write is dropped, not re-applied", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  const resume = command(campaignId, "resume", "resume#raced");
  await h.deliver(command(campaignId, "pause"));
  // The other delivery of the same resume lands after this one checked the key and before it writes.
  onceBefore(h.store.campaigns, "saveChange", () => h.deliver(resume));
  await h.deliver(resume);
  const history = await h.store.campaigns.history(campaignId);
  assert.is(history.filter((record) => record.cause.startsWith("resume")).length, 1);
  assert.is((await h.store.campaigns.get(campaignId))!.state, "RUNNING");
});

test("a command whose campaign changed since it was read decides again on the fresh campaign", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  // A pause lands while a cancel is being applied: the cancel re-reads (now PAUSED) and still applies.
  onceBefore(h.store.campaigns, "saveChange", () => h.deliver(command(campaignId, "pause")));
  await h.deliver(command(campaignId, "cancel"));
  const history = await h.store.campaigns.history(campaignId);
  assert.equal(
    history.map((record) => record.to),
    ["DRAFT", "RUNNING", "PAUSED", "CANCELED"],
  );
  assert.is(history.at(-1)!.from, "PAUSED", "decided on the fresh state");
});

test("a command the fresh campaign no longer allows is recorded as refused after the race", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  onceBefore(h.store.campaigns, "saveChange", () => h.deliver(command(campaignId, "cancel")));
  await h.deliver(command(campaignId, "pause"));
  const last = (await h.store.campaigns.history(campaignId)).at(-1)!;
  assert.is(last.to, "CANCELED");
  assert.match(last.reason, /refused pause/);
});

// ── stale commands (a command redriven from the DLQ long after it was sent) ─────────────────────

/** An operator command as the CLI sends it: stamped with the harness clock and the campaign revision it reads first. */
async function sentByCli(h: Harness, campaignId: string, name: "start" | "pause" | "resume" | "cancel" | "retry-failed", reason?: string): Promise<UpdateMessage> {
  const campaign = (await h.store.campaigns.get(campaignId))!;
  return { ...stampedNow(h, campaignId, name), expectedRevision: campaign.revision, ...(reason ? { reason } : {}) } as UpdateMessage;
}

/** An operator command stamped with the harness clock, without a revision (an older sender). */
function stampedNow(h: Harness, campaignId: string, name: "start" | "pause" | "resume" | "cancel" | "retry-failed"): UpdateMessage {
  return { ...(command(campaignId, name) as Extract<UpdateMessage, { kind: "command" }>), requestedAt: h.clock.now.toISOString() };
}

/** The review's scenario: a resume dead-lettered at +5, a resume at +20 that works, a safety pause at +60; the first resume redriven at +240. */
async function staleResumeRedriven(h: Harness, send: (campaignId: string, name: "start" | "pause" | "resume", reason?: string) => Promise<UpdateMessage>) {
  const { campaignId } = await h.store.campaigns.create(definition(), { now: T0.toISOString() });
  await h.deliver(await send(campaignId, "start"));
  await h.deliver(await send(campaignId, "pause", "maintenance window"));
  h.clock.now = minutesAfter(5);
  const deadLettered = await send(campaignId, "resume");
  h.clock.now = minutesAfter(20);
  await h.deliver(await send(campaignId, "resume"));
  h.clock.now = minutesAfter(60);
  await h.deliver(await send(campaignId, "pause", "2.4.0 bricks hu-3 units"));
  const paused = (await h.store.campaigns.get(campaignId))!;
  h.clock.now = minutesAfter(240);
  await h.deliver(deadLettered);
  return { campaignId, paused, deadLettered };
}

test("a resume redriven hours later, after a later safety pause, is refused as stale and recorded; the campaign stays PAUSED, its criteria not re-based", async () => {
  const h = harness();
  const { campaignId, paused, deadLettered } = await staleResumeRedriven(h, (campaignId, name, reason) => sentByCli(h, campaignId, name, reason));

  const after = (await h.store.campaigns.get(campaignId))!;
  assert.is(after.state, "PAUSED");
  assert.is(after.stateReason, "2.4.0 bricks hu-3 units");
  assert.is(after.outcomesEpoch, paused.outcomesEpoch, "no resume baseline taken");
  const last = (await h.store.campaigns.history(campaignId)).at(-1)!;
  assert.equal([last.from, last.to, last.at], ["PAUSED", "PAUSED", minutesAfter(240).toISOString()]);
  assert.match(last.reason, /^refused resume: stale: the campaign changed state after it was requested \(revision 2\): RUNNING → PAUSED at 2026-11-26T19:00:00.000Z \[pause by test\]/);
  // Redriven once more (a second DLQ copy): the refusal marked it processed, nothing more is recorded.
  const records = (await h.store.campaigns.history(campaignId)).length;
  await h.deliver(deadLettered);
  assert.is((await h.store.campaigns.history(campaignId)).length, records);
});

test("the same scenario from a sender without revisions: requestedAt (5 min of clock allowance) refuses the stale resume too", async () => {
  const h = harness();
  const { campaignId } = await staleResumeRedriven(h, async (campaignId, name) => stampedNow(h, campaignId, name));
  assert.is((await h.store.campaigns.get(campaignId))!.state, "PAUSED");
  assert.match((await h.store.campaigns.history(campaignId)).at(-1)!.reason, /^refused resume: stale: .*\(at 2026-11-26T18:05:00.000Z\): RUNNING → PAUSED/);
});

test("a current command still applies: the CLI's revision whatever its clock, or a requestedAt a few minutes behind an automatic pause", async () => {
  const h = harness();
  const campaign = await startedCampaign(h);
  // The ticker pauses it at +60 (a criteria breach), as decideRollout records it.
  h.clock.now = minutesAfter(60);
  const autoPaused = await h.store.campaigns.saveChange(
    campaign,
    { ...campaign, state: "PAUSED", stateReason: "paused: failure rate", updatedAt: h.clock.now.toISOString() },
    { from: "RUNNING", to: "PAUSED", at: h.clock.now.toISOString(), reason: "paused: failure rate", cause: "ticker" },
  );
  // One minute later an operator whose clock runs four minutes behind resumes it.
  h.clock.now = minutesAfter(61);
  const skewed = { ...(command(campaign.campaignId, "resume") as Extract<UpdateMessage, { kind: "command" }>), requestedAt: minutesAfter(57).toISOString() };
  await h.deliver(skewed);
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.state, "RUNNING");

  await h.deliver(await sentByCli(h, campaign.campaignId, "pause"));
  const cli = { ...(await sentByCli(h, campaign.campaignId, "resume")), requestedAt: minutesAfter(-600).toISOString() } as UpdateMessage;
  await h.deliver(cli);
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.state, "RUNNING", "a revision involves no clock");
  assert.ok(autoPaused.revision > campaign.revision);
});

test("a duplicate of an applied command still dedupes, even after the campaign changed state", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(await sentByCli(h, campaignId, "pause"));
  const resume = await sentByCli(h, campaignId, "resume");
  await h.deliver(resume);
  h.clock.now = minutesAfter(30);
  await h.deliver(await sentByCli(h, campaignId, "pause"));
  const records = (await h.store.campaigns.history(campaignId)).length;

  await h.deliver(resume);

  assert.is((await h.store.campaigns.get(campaignId))!.state, "PAUSED");
  assert.is((await h.store.campaigns.history(campaignId)).length, records, "ignored as a duplicate: no refusal, no transition");
});

test("a pause redriven after a later resume is refused; a cancel sent before an automatic pause still applies", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  const stalePause = await sentByCli(h, campaignId, "pause");
  await h.deliver(await sentByCli(h, campaignId, "pause"));
  await h.deliver(await sentByCli(h, campaignId, "resume"));
  await h.deliver(stalePause);
  assert.is((await h.store.campaigns.get(campaignId))!.state, "RUNNING");
  assert.match((await h.store.campaigns.history(campaignId)).at(-1)!.reason, /^refused pause: stale: .*PAUSED → RUNNING/);

  const cancel = await sentByCli(h, campaignId, "cancel");
  await h.deliver(await sentByCli(h, campaignId, "pause"));
  await h.deliver(cancel);
  assert.is((await h.store.campaigns.get(campaignId))!.state, "CANCELED");
});

test("a tick that finds its campaign changed under its decision leaves the decision to the next tick", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 0 }, { percent: 100 }] });
  await h.deliver(candidate(car(1)));
  onceBefore(h.store.campaigns, "saveChange", () => h.deliver(command(campaignId, "pause")));
  const summary = await tickCampaign(h.deps, campaignId);
  assert.match(summary.decision, /changed concurrently/);
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.state, "PAUSED");
  assert.is(campaign.waveIndex, 0, "no wave opened by the stale decision");
});

// ── admissions: wave closed, duplicate sightings ─────────────────────────────────────────────────

test("two vehicles racing for a wave's last place: one admitted, the other waits and is counted eligible once", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 2, soakMinutes: 60 }, { percent: 100 }] });
  await h.deliver(candidate(car(1)));
  await Promise.all([h.deliver(candidate(car(2))), h.deliver(candidate(car(3)))]);
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.admitted, 2);
  assert.is(campaign.eligible, 3);
  const waiting = await h.store.targets.listWaiting(campaignId, 10);
  assert.is(waiting.length, 1);
  assert.ok([vin(2), vin(3)].includes(waiting[0]!.vin));
  await assertCountersMatchJobs(h.store, campaignId);
});

test("the wave closing between the room check and the admission leaves the vehicle waiting, not lost", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 60 }, { percent: 100 }] });
  // Another vehicle takes the only place after this one saw room.
  onceBefore(h.store.jobs, "admit", () => h.deliver(candidate(car(2))));
  await h.deliver(candidate(car(1)));
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.admitted, 1);
  assert.is(campaign.eligible, 2);
  assert.ok(await h.store.jobs.get(campaignId, vin(2)), "the other vehicle got the place");
  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined);
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(1)]);
});

test("a paused campaign refuses an admission already under way (wave closed): the vehicle waits", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 5, soakMinutes: 60 }, { percent: 100 }] });
  onceBefore(h.store.jobs, "admit", () => h.deliver(command(campaignId, "pause")));
  await h.deliver(candidate(car(1)));
  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined);
  assert.is((await h.store.campaigns.get(campaignId))!.admitted, 0);
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(1)]);
});

test("the same first sighting delivered twice at once makes one job, counted eligible and admitted once", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  const sighting = candidate(car(1));
  await Promise.all([h.deliver(sighting), h.deliver(sighting)]);
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.admitted, 1);
  assert.is(campaign.eligible, 1);
  assert.equal(await h.store.targets.listWaiting(campaignId, 10), []);
  assert.equal(h.published, [`${vin(1)}#1`]);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a first sighting racing a waiting record of the same vehicle (already eligible) is admitted as waiting, counted once", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 60 }, { percent: 100 }] });
  // The other delivery records the vehicle as waiting between this one's first-sighting check and its admission.
  onceBefore(h.store.jobs, "admit", () => h.store.targets.recordFirstSighting(campaignId, car(1), T0.toISOString()));
  await h.deliver(candidate(car(1)));
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 1);
  assert.is(campaign.admitted, 1);
  assert.ok(await h.store.jobs.get(campaignId, vin(1)));
  assert.equal(await h.store.targets.listWaiting(campaignId, 10), []);
});

test("a vehicle seen again while waiting keeps its newest snapshot and is admitted by the tick that opens the next wave", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 10, successThresholdPercent: 0 }, { percent: 100 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  h.clock.now = minutesAfter(5);
  await h.deliver(candidate(car(2, { observedAt: minutesAfter(5).toISOString(), firmwareVersion: "2.3.2" })));
  assert.is((await h.store.targets.listWaiting(campaignId, 10))[0]!.firmwareVersion, "2.3.2");
  h.clock.now = minutesAfter(11);
  const summary = await tickCampaign(h.deps, campaignId);
  assert.match(summary.decision, /wave 2 opened/);
  assert.is(summary.admitted, 1);
  assert.is((await h.store.jobs.get(campaignId, vin(2)))!.firmwareVersion, "2.3.2");
  await assertCountersMatchJobs(h.store, campaignId);
});

// ── retries ──────────────────────────────────────────────────────────────────────────────────────

test("a failed job is retried by the tick after its backoff with a new attempt and document, once even when two ticks race", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "FAILED"));
  assert.is((await tickCampaign(h.deps, campaignId)).retried, 0, "still backing off");
  h.clock.now = minutesAfter(2);
  await Promise.all([tickCampaign(h.deps, campaignId), tickCampaign(h.deps, campaignId)]);
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(job.state, "QUEUED");
  assert.is(job.attempt, 2);
  assert.is(job.history.filter((record) => record.from === "FAILED").length, 1, "one retry recorded");
  assert.equal(h.published, [`${vin(1)}#1`, `${vin(1)}#2`]);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("expired image targets: a start is refused with the reason, an operator's retry-failed is deferred (retried), a tick is parked", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "FAILED"));
  const expired = new ImageTargetsExpiredError(3, "2026-12-01T00:00:00Z");
  h.deps.documents.releaseExists = async () => Promise.reject(expired);
  h.deps.documents.publish = async () => Promise.reject(expired);
  const draft = await h.store.campaigns.create(definition(), { now: h.clock.now.toISOString() });

  await h.deliver(command(draft.campaignId, "start"));
  const retry = await h.deliver(command(campaignId, "retry-failed")).then(() => undefined, (error: Error) => error);
  h.clock.now = minutesAfter(2);
  const tick = await h.deliver(command(campaignId, "tick")).then(() => undefined, (error: Error) => error);
  const history = await h.store.campaigns.history(draft.campaignId);

  assert.is((await h.store.campaigns.get(draft.campaignId))?.state, "DRAFT");
  assert.match(history[history.length - 1]?.reason ?? "", "refused start: image targets expired: run fleetota release refresh");
  assert.instance(retry, CommandDeferredError);
  assert.not.instance(retry, PermanentFailureError, "an operator's command is retried, then redriven: never parked");
  assert.match(retry!.message, "image targets expired: run fleetota release refresh");
  assert.is(tick, expired, "the tick's failure is the permanent one (parked; the next tick redoes the work)");
});

test("cancel withdraws the documents of jobs that had not started and leaves an installing one alone", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), candidate(car(2)), report(campaignId, vin(2), 1, "INSTALLING"));
  await h.deliver(command(campaignId, "cancel"));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "CANCELED");
  assert.is((await h.store.jobs.get(campaignId, vin(2)))!.state, "IN_PROGRESS");
  assert.equal(h.withdrawn, [vin(1)]);
  await assertCountersMatchJobs(h.store, campaignId);
});

// ── job documents: one slot per vehicle, never a live install document for a job that will not run ──

/** A vehicle's report in the given campaign's job, on any attempt and firmware. */
const reportOn = (campaignId: string, vinOf: string, changes: Partial<StatusReportMessage>): UpdateMessage => ({
  ...(report(campaignId, vinOf, 1, "DOWNLOADING") as StatusReportMessage),
  ...changes,
  idempotencyKey: `${campaignId}:${vinOf}#${changes.attempt ?? 1}#${changes.sequence ?? 1}`,
});

/** An admission whose document could not be signed (a KMS throttle): the job is QUEUED without its document, the message fails. */
async function admittedWithoutDocument(h: Harness, campaignId: string, snapshot: VehicleSnapshot): Promise<void> {
  const publish = h.deps.documents.publish;
  h.deps.documents.publish = async () => Promise.reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
  await h.deliver(candidate(snapshot)).then(() => assert.unreachable("the admission's publish failed"), () => undefined);
  h.deps.documents.publish = publish;
  const job = (await h.store.jobs.get(campaignId, snapshot.vin))!;
  assert.equal([job.state, job.documentPublishedAttempt, h.slots.describe(snapshot.vin)], ["QUEUED", undefined, "(none)"]);
}

for (const lastWriterWins of [false, true]) {
  const store = lastWriterWins ? "a slot written last-writer-wins" : "conditional slot writes";
  test(`a cancel handled while the tick signs a QUEUED job's document (nothing to withdraw yet) leaves no live install document (${store})`, async () => {
    const h = harness({ lastWriterWins });
    const { campaignId } = await startedCampaign(h);
    await admittedWithoutDocument(h, campaignId, car(1));
    h.slots.beforePut = () => h.deliver(command(campaignId, "cancel"));
    await tickCampaign(h.deps, campaignId);
    await tickCampaign(h.deps, campaignId);

    assert.is((await h.store.campaigns.get(campaignId))!.state, "CANCELED");
    assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "CANCELED");
    assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
    await assertCountersMatchJobs(h.store, campaignId);
  });

  test(`a job timed out unstarted by another tick while this one signs its document: the document is taken back (${store})`, async () => {
    const h = harness({ lastWriterWins });
    const { campaignId } = await startedCampaign(h, { startTimeoutMinutes: 10, retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
    await admittedWithoutDocument(h, campaignId, car(1));
    h.clock.now = minutesAfter(9);
    h.slots.beforePut = async () => {
      h.clock.now = minutesAfter(11);
      await tickCampaign(h.deps, campaignId);
    };
    await tickCampaign(h.deps, campaignId);

    const job = (await h.store.jobs.get(campaignId, vin(1)))!;
    assert.equal([job.state, job.inProgressSince], ["TIMED_OUT", undefined]);
    assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  });

  test(`an abort decided by another tick while this one signs a QUEUED job's document leaves no live install document (${store})`, async () => {
    const h = harness({ lastWriterWins });
    const { campaignId } = await startedCampaign(h, {
      waves: [{ percent: 100, soakMinutes: 24 * 60 }],
      retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
      abortCriteria: [{ failureKind: "ANY", thresholdPercent: 50, minimumSample: 1, action: "ABORT" }],
    });
    await h.deliver(candidate(car(1)));
    await admittedWithoutDocument(h, campaignId, car(2));
    h.slots.beforePut = async () => {
      await h.deliver(report(campaignId, vin(1), 1, "FAILED"));
      await tickCampaign(h.deps, campaignId);
    };
    await tickCampaign(h.deps, campaignId);

    assert.is((await h.store.campaigns.get(campaignId))!.state, "ABORTED");
    assert.is((await h.store.jobs.get(campaignId, vin(2)))!.state, "CANCELED");
    assert.is(h.slots.describe(vin(2)), "WITHDRAWN");
    await assertCountersMatchJobs(h.store, campaignId);
  });

  test(`retry-failed racing a cancel: the retried job is canceled and the vehicle's document is a withdrawal (${store})`, async () => {
    const h = harness({ lastWriterWins });
    const { campaignId } = await startedCampaign(h, { retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
    await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "FAILED"));
    assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 1`);
    h.slots.beforePut = () => h.deliver(command(campaignId, "cancel"));
    await h.deliver(command(campaignId, "retry-failed"));

    const job = (await h.store.jobs.get(campaignId, vin(1)))!;
    assert.is((await h.store.campaigns.get(campaignId))!.state, "CANCELED");
    assert.equal([job.state, job.attempt], ["CANCELED", 2]);
    assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
    await assertCountersMatchJobs(h.store, campaignId);
  });
}

test("retry-failed on a COMPLETED campaign publishes the retried job's document once the campaign is RUNNING again", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "FAILED"));
  await tickCampaign(h.deps, campaignId);
  assert.is((await h.store.campaigns.get(campaignId))!.state, "COMPLETED");
  await h.deliver(command(campaignId, "retry-failed"));

  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is((await h.store.campaigns.get(campaignId))!.state, "RUNNING");
  assert.equal([job.state, job.attempt, job.documentPublishedAttempt], ["QUEUED", 2, 2]);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 2`);
});

// ── withdrawals are durable: one that failed, or never ran, is done again by the ticker ───────────────

/** Every `withdraw` fails as a KMS Sign throttle would (nothing written) until the returned function is called. */
function withdrawalsFail(h: Harness): () => void {
  const withdraw = h.deps.documents.withdraw;
  h.deps.documents.withdraw = async () => Promise.reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" }));
  return () => {
    h.deps.documents.withdraw = withdraw;
  };
}

/** Whether the rollout ticker would queue a tick for the campaign as stored now. */
async function tickedByTicker(h: Harness, campaignId: string): Promise<boolean> {
  return campaignsToTick([(await h.store.campaigns.get(campaignId))!], h.clock.now).length === 1;
}

test("a cancel whose withdrawal fails (a KMS throttle) leaves the job owing it: the CANCELED campaign keeps being ticked, the next tick withdraws, ticking stops once it is confirmed", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)));
  const install = `INSTALL ${campaignId}:${vin(1)} attempt 1`;
  assert.is(h.slots.describe(vin(1)), install);
  const restore = withdrawalsFail(h);
  const cancel = command(campaignId, "cancel");
  // Delivered, and delivered again as SQS would after a failure: the second is a duplicate either way.
  await h.deliver(cancel).catch(() => undefined);
  restore();
  await h.deliver(cancel).catch(() => undefined);
  const canceled = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([canceled.state, h.slots.describe(vin(1))], ["CANCELED", install]);
  assert.is(h.deps.tally.withdrawalsFailed, 1, "counted (OTAUpdates/WithdrawalsFailed)");
  assert.ok(h.deps.tally.toMetricData(T0).some((datum) => datum.MetricName === "OTAUpdates/WithdrawalsFailed" && datum.Value === 1));
  assert.is((await h.store.campaigns.get(campaignId))!.withdrawalsOwed, 1);
  assert.ok(await tickedByTicker(h, campaignId), "a CANCELED campaign owing a withdrawal is ticked");

  h.clock.now = minutesAfter(1);
  await tickCampaign(h.deps, campaignId);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  // Confirmed only once no publisher that read the job before the cancel can still be writing.
  assert.ok(await tickedByTicker(h, campaignId), "still ticked until the withdrawal is confirmed");

  h.clock.now = minutesAfter(1 + WITHDRAWAL_SETTLE_MINUTES);
  const summary = await tickCampaign(h.deps, campaignId);
  const [campaign, job] = [(await h.store.campaigns.get(campaignId))!, (await h.store.jobs.get(campaignId, vin(1)))!];
  assert.equal([summary.withdrawalsSettled, campaign.state, campaign.withdrawalsOwed, job.state, job.documentWithdrawnAttempt], [1, "CANCELED", 0, "CANCELED", 1]);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  assert.not.ok(await tickedByTicker(h, campaignId), "no longer ticked");
  await assertCountersMatchJobs(h.store, campaignId);
});

/** Records the states the campaign's jobs are listed by (a listing of all jobs as "all"), and the index reads. */
function jobReads(h: Harness): { byState: string[]; owedIndex: number } {
  const reads = { byState: [] as string[], owedIndex: 0 };
  const [list, listOwing] = [h.store.jobs.list, h.store.jobs.listOwingWithdrawal];
  h.store.jobs.list = (campaignId, state) => (reads.byState.push(state ?? "all"), list(campaignId, state));
  h.store.jobs.listOwingWithdrawal = (campaignId) => (reads.owedIndex++, listOwing(campaignId));
  return reads;
}

/** Twenty vehicles admitted, the campaign canceled, the withdrawal of vin(1)'s document failing (a KMS throttle). */
async function canceledOwingOne(h: Harness): Promise<string> {
  const { campaignId } = await startedCampaign(h);
  for (let index = 1; index <= 20; index++) await h.deliver(candidate(car(index)));
  const withdraw = h.deps.documents.withdraw;
  h.deps.documents.withdraw = async (job) => (job.vin === vin(1) ? Promise.reject(Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" })) : withdraw(job));
  await h.deliver(command(campaignId, "cancel"));
  h.clock.now = minutesAfter(1 + WITHDRAWAL_SETTLE_MINUTES);
  await tickCampaign(h.deps, campaignId);
  h.deps.documents.withdraw = withdraw;
  assert.is((await h.store.campaigns.get(campaignId))!.withdrawalsOwed, 1, "19 confirmed, vin(1)'s withdrawal still failing");
  return campaignId;
}

test("a campaign owing one withdrawal among its ended jobs reads that job off the index: its tick lists no CANCELED or TIMED_OUT jobs", async () => {
  const h = harness();
  const campaignId = await canceledOwingOne(h);
  const reads = jobReads(h);
  h.clock.now = minutesAfter(2 + WITHDRAWAL_SETTLE_MINUTES);
  const summary = await tickCampaign(h.deps, campaignId);
  assert.is(summary.withdrawalsSettled, 1);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  assert.is(reads.owedIndex, 1);
  assert.not.ok(reads.byState.includes("CANCELED") || reads.byState.includes("all"), `listed by state: ${reads.byState.join(", ")}`);
  await tickCampaign(h.deps, campaignId);
  assert.is(reads.owedIndex, 1, "owing nothing: the index is not read either");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("owed withdrawals the index does not list (jobs that began to owe before it existed) are found by state and settled", async () => {
  const h = harness();
  const campaignId = await canceledOwingOne(h);
  h.store.jobs.listOwingWithdrawal = async () => [];
  h.clock.now = minutesAfter(2 + WITHDRAWAL_SETTLE_MINUTES);
  assert.is((await tickCampaign(h.deps, campaignId)).withdrawalsSettled, 1);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  assert.is((await h.store.campaigns.get(campaignId))!.withdrawalsOwed, 0);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a publisher that dies between its PUT and its check, after a cancel read the slot before the PUT: the job owes its withdrawal and the next tick takes the document back", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await admittedWithoutDocument(h, campaignId, car(1));
  h.slots.beforePut = async () => {
    await h.deliver(command(campaignId, "cancel"));
    // The invocation dies as its PUT lands: its next step (reading the campaign) never happens.
    const get = h.store.campaigns.get;
    h.store.campaigns.get = async () => {
      h.store.campaigns.get = get;
      throw new Error("Task timed out after 30.00 seconds");
    };
  };
  await tickCampaign(h.deps, campaignId).then(() => assert.unreachable("the publisher died"), () => undefined);
  assert.equal([(await h.store.jobs.get(campaignId, vin(1)))!.state, h.slots.describe(vin(1))], ["CANCELED", `INSTALL ${campaignId}:${vin(1)} attempt 1`]);
  assert.ok(await tickedByTicker(h, campaignId));

  h.clock.now = minutesAfter(1);
  await tickCampaign(h.deps, campaignId);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  h.clock.now = minutesAfter(1 + WITHDRAWAL_SETTLE_MINUTES);
  await tickCampaign(h.deps, campaignId);
  assert.not.ok(await tickedByTicker(h, campaignId));
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a COMPLETED campaign whose timed-out job's withdrawal kept failing is ticked only to withdraw it: nothing rolls, and ticking stops once confirmed", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, {
    startTimeoutMinutes: 10,
    waves: [{ percent: 100, soakMinutes: 5 }],
    retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
  });
  await h.deliver(candidate(car(1)));
  const restore = withdrawalsFail(h);
  // Two ticks (a tick that fails is redelivered): the job times out unstarted, the campaign completes, no withdrawal lands.
  for (const minute of [11, 12]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, campaignId).catch(() => undefined);
  }
  restore();
  assert.is(h.deps.tally.withdrawalsFailed, 2);
  const completed = (await h.store.campaigns.get(campaignId))!;
  assert.equal([completed.state, (await h.store.jobs.get(campaignId, vin(1)))!.state], ["COMPLETED", "TIMED_OUT"]);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 1`);
  assert.ok(await tickedByTicker(h, campaignId), "a COMPLETED campaign owing a withdrawal is ticked");

  h.clock.now = minutesAfter(13);
  const summary = await tickCampaign(h.deps, campaignId);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  assert.equal([summary.state, summary.timedOut, summary.retried, summary.admitted, summary.canceled], ["COMPLETED", 0, 0, 0, 0]);
  const after = (await h.store.campaigns.get(campaignId))!;
  assert.equal([after.state, after.revision, after.waveIndex], ["COMPLETED", completed.revision, completed.waveIndex]);
  h.clock.now = minutesAfter(13 + WITHDRAWAL_SETTLE_MINUTES);
  await tickCampaign(h.deps, campaignId);
  assert.not.ok(await tickedByTicker(h, campaignId));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.documentWithdrawnAttempt, 1);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a job timed out before it started is not brought back by a late DEFERRED (its document was withdrawn): it stays TIMED_OUT, not QUEUED without a document; a late start still counts", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, {
    startTimeoutMinutes: 10,
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
  });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  h.clock.now = minutesAfter(11);
  await tickCampaign(h.deps, campaignId);
  for (const index of [1, 2]) {
    assert.equal([(await h.store.jobs.get(campaignId, vin(index)))!.state, h.slots.describe(vin(index))], ["TIMED_OUT", "WITHDRAWN"]);
  }
  const later = minutesAfter(12).toISOString();
  await h.deliver(
    reportOn(campaignId, vin(1), { status: "DEFERRED", sequence: 1 }),
    candidate(car(1, { observedAt: later })),
    reportOn(campaignId, vin(2), { status: "DOWNLOADING", sequence: 1 }),
  );
  const [deferred, started] = [(await h.store.jobs.get(campaignId, vin(1)))!, (await h.store.jobs.get(campaignId, vin(2)))!];
  assert.equal([deferred.state, deferred.attempt, h.slots.describe(vin(1))], ["TIMED_OUT", 1, "WITHDRAWN"]);
  // The vehicle had started before the withdrawal reached it: in progress, as before.
  assert.equal([started.state, started.substate], ["IN_PROGRESS", "DOWNLOADING"]);
  await assertCountersMatchJobs(h.store, campaignId);
});

/** Campaign one (no retries) admits the vehicle; campaign two (2.5.0) is started a minute later. */
async function twoCampaignsOneVehicle(h: Harness): Promise<{ one: string; two: string }> {
  const first = await startedCampaign(h, { name: "one", retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
  await h.deliver(candidate(car(1)));
  h.clock.now = minutesAfter(1);
  const second = await startedCampaign(h, { name: "two", targetVersion: "2.5.0" });
  return { one: first.campaignId, two: second.campaignId };
}

test("retry-failed of a job whose vehicle is busy in another campaign is refused with the reason in its history; that campaign's document stays", async () => {
  const h = harness();
  const { one, two } = await twoCampaignsOneVehicle(h);
  await h.deliver(report(one, vin(1), 1, "FAILED"));
  await h.deliver(candidate(car(1, { observedAt: minutesAfter(1).toISOString() })));
  assert.is((await h.store.jobs.get(two, vin(1)))!.state, "QUEUED");
  h.clock.now = minutesAfter(2);
  await h.deliver(command(one, "retry-failed"));
  for (const minute of [3, 30, 200]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, two);
    await tickCampaign(h.deps, one);
  }

  const jobOne = (await h.store.jobs.get(one, vin(1)))!;
  const refusal = jobOne.history[jobOne.history.length - 1]!;
  assert.equal([jobOne.state, jobOne.attempt], ["FAILED", 1]);
  assert.equal([refusal.from, refusal.to], ["FAILED", "FAILED"]);
  assert.match(refusal.reason, `retry refused: vehicle busy in campaign ${two} (its job there is QUEUED)`);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${two}:${vin(1)} attempt 1`);
  assert.is((await h.store.jobs.get(two, vin(1)))!.documentPublishedAttempt, 1);
  await assertCountersMatchJobs(h.store, one);

  // Once campaign two's job has ended, the operator's retry goes through and its document goes out.
  await h.deliver(reportOn(two, vin(1), { sequence: 1, status: "SUCCEEDED", firmwareVersion: "2.5.0" }));
  await h.deliver(command(one, "retry-failed"));
  assert.equal([(await h.store.jobs.get(one, vin(1)))!.state, h.slots.describe(vin(1))], ["QUEUED", `INSTALL ${one}:${vin(1)} attempt 2`]);
});

test("a retry and another campaign's admission of the same vehicle racing: the later publisher waits with the reason; the tick publishes it once the other job ends", async () => {
  const h = harness();
  const { one, two } = await twoCampaignsOneVehicle(h);
  await h.deliver(report(one, vin(1), 1, "FAILED"));
  // Campaign two admits the vehicle (its job in one has ended); just before the admission is written, the operator's
  // retry of campaign one finds the slot still campaign one's own, and its document goes out first.
  onceBefore(h.store.jobs, "admit", () => h.deliver(command(one, "retry-failed")));
  await h.deliver(candidate(car(1, { observedAt: minutesAfter(1).toISOString() })));
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, two);

  const waiting = (await h.store.jobs.get(two, vin(1)))!;
  assert.equal([(await h.store.jobs.get(one, vin(1)))!.state, waiting.state, waiting.documentPublishedAttempt], ["QUEUED", "QUEUED", undefined]);
  assert.match(waiting.stateReason ?? "", `vehicle busy in campaign ${one} (its job there is QUEUED)`);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${one}:${vin(1)} attempt 2`, "campaign one's document stays");

  await h.deliver(reportOn(one, vin(1), { attempt: 2, sequence: 2, status: "SUCCEEDED", firmwareVersion: "2.4.0" }));
  h.clock.now = minutesAfter(3);
  await tickCampaign(h.deps, two);
  const published = (await h.store.jobs.get(two, vin(1)))!;
  assert.equal([published.state, published.documentPublishedAttempt], ["QUEUED", 1]);
  assert.not.match(published.stateReason ?? "", "busy");
  assert.is(h.slots.describe(vin(1)), `INSTALL ${two}:${vin(1)} attempt 1`);
});

// ── status reports that can never apply: thrown as permanent (parked by the update manager), job untouched ──

type Report = StatusReportMessage;
const reportOf = (campaignId: string, vinOf: string, changes: Partial<Report>): Report => ({
  ...(report(campaignId, vinOf, 1, "DOWNLOADING") as Report),
  ...changes,
});

/** Delivers one report that must be refused for good; returns the reason it would be parked with. */
async function refusedReason(h: Harness, message: Report): Promise<string> {
  try {
    await h.deliver(message);
  } catch (error) {
    assert.instance(error, PermanentFailureError, "a report that can never apply must be permanent, not retried");
    assert.instance(error, ReportNotApplicableError);
    return (error as ReportNotApplicableError).parkedReason;
  }
  return assert.unreachable("the report was accepted") as never;
}

// [what the report tries, the job's history before it, the report, the parked reason]
const refusedReports: Array<[string, (campaignId: string) => Report[], (campaignId: string) => Report, string]> = [
  [
    "vehicle 1 reports SUCCEEDED on vehicle 2's job",
    () => [],
    (campaignId) => reportOf(campaignId, vin(1), { jobId: `${campaignId}:${vin(2)}`, status: "SUCCEEDED", firmwareVersion: "2.4.0" }),
    REPORT_PARKED_REASON.OtherVehicle,
  ],
  [
    "a report on a job of a campaign that does not exist",
    () => [],
    () => reportOf("c-none", vin(1), { campaignId: "c-none", jobId: `c-none:${vin(1)}` }),
    REPORT_PARKED_REASON.UnknownJob,
  ],
  [
    "a report from a vehicle the campaign never admitted",
    () => [],
    (campaignId) => reportOf(campaignId, vin(9), {}),
    REPORT_PARKED_REASON.UnknownJob,
  ],
  [
    "sequence 2^53-1 (would make every later report stale)",
    () => [],
    (campaignId) => reportOf(campaignId, vin(1), { sequence: Number.MAX_SAFE_INTEGER }),
    REPORT_PARKED_REASON.SequenceJump,
  ],
  [
    "SUCCEEDED while still on the old firmware",
    (campaignId) => [reportOf(campaignId, vin(1), { sequence: 1, status: "INSTALLING" })],
    (campaignId) => reportOf(campaignId, vin(1), { sequence: 2, status: "SUCCEEDED", firmwareVersion: "2.3.1" }),
    REPORT_PARKED_REASON.WrongFirmware,
  ],
  [
    "a report for attempt 2 of a job on attempt 1",
    () => [],
    (campaignId) => reportOf(campaignId, vin(1), { attempt: 2 }),
    REPORT_PARKED_REASON.UnknownAttempt,
  ],
];

for (const [name, before, attack, reason] of refusedReports) {
  test(`refused for good and left to park: ${name} (${reason})`, async () => {
    const h = harness();
    const { campaignId } = await startedCampaign(h);
    await h.deliver(candidate(car(1)), candidate(car(2)), ...before(campaignId));
    const jobsBefore = await h.store.jobs.list(campaignId);
    assert.is(await refusedReason(h, attack(campaignId)), reason);
    assert.equal(await h.store.jobs.list(campaignId), jobsBefore, "no job changed");
    await assertCountersMatchJobs(h.store, campaignId);
  });
}

test("one vehicle answering each start timeout with a late DEFERRED cannot abort its campaign: one timeout counted, in the criteria and the metric", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, {
    startTimeoutMinutes: 60,
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
    abortCriteria: [{ failureKind: "TIMED_OUT", thresholdPercent: 50, minimumSample: 5, action: "ABORT" }],
  });
  const other = car(2);
  await h.deliver(candidate(car(1)), candidate(other));
  await h.deliver({ ...report(campaign.campaignId, other.vin, 1, "SUCCEEDED") });
  const deferred = (sequence: number): UpdateMessage => ({ ...(report(campaign.campaignId, vin(1), sequence, "DOWNLOADING") as StatusReportMessage), status: "DEFERRED", idempotencyKey: `d#${sequence}` });

  for (let minute = 0; minute < 30; minute++) {
    h.clock.now = minutesAfter(61 + minute);
    await tickCampaign(h.deps, campaign.campaignId);
    await h.deliver(deferred(minute + 1));
  }
  await tickCampaign(h.deps, campaign.campaignId);

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  assert.is(after.outcomes.timedOut, 1);
  assert.is(after.state, "RUNNING", after.stateReason ?? "");
  assert.is(h.deps.tally.timedOut, 1);
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("a vehicle that times out and then reports its success counts one success in its campaign, the timeout taken back", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, { inProgressTimeoutMinutes: 30, waves: [{ percent: 100, soakMinutes: 24 * 60 }] });
  const car1 = car(1);
  await h.deliver(candidate(car1), report(campaign.campaignId, car1.vin, 1, "DOWNLOADING"));
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaign.campaignId);
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.outcomes.timedOut, 1);

  h.clock.now = minutesAfter(40);
  await h.deliver(report(campaign.campaignId, car1.vin, 2, "SUCCEEDED"));

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  assert.equal([after.outcomes.timedOut, after.outcomes.succeeded], [0, 1]);
  assert.is((await h.store.jobs.get(campaign.campaignId, car1.vin))!.state, "SUCCEEDED");
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

// ── abort criteria: each vehicle once ──────────────────────────────────────────────────────────────

const attemptReport = (campaignId: string, vinOf: string, attempt: number, sequence: number, status: "SUCCEEDED" | "FAILED"): UpdateMessage => ({
  ...(report(campaignId, vinOf, sequence, status) as StatusReportMessage),
  idempotencyKey: `${campaignId}:${vinOf}#${attempt}#${sequence}`,
  attempt,
});
const quickRetries = (max: number) => ({ max, backoffBaseSeconds: 60, backoffCapSeconds: 60 });

test("one vehicle failing all retries.max + 1 attempts weighs one failure in the criteria, not 11: its campaign keeps rolling", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, {
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: quickRetries(10),
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 50, minimumSample: 2, action: "ABORT" }],
  });
  const [broken, good1, good2] = [car(1), car(2), car(3)];
  await h.deliver(candidate(broken), candidate(good1), candidate(good2));
  await h.deliver(report(campaign.campaignId, good1.vin, 1, "SUCCEEDED"), report(campaign.campaignId, good2.vin, 1, "SUCCEEDED"));
  for (let attempt = 1; attempt <= 11; attempt++) {
    h.clock.now = minutesAfter(attempt * 2);
    await h.deliver(attemptReport(campaign.campaignId, broken.vin, attempt, 1, "FAILED"));
    h.clock.now = minutesAfter(attempt * 2 + 1.5);
    await tickCampaign(h.deps, campaign.campaignId);
  }

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  const job = (await h.store.jobs.get(campaign.campaignId, broken.vin))!;
  assert.equal([job.state, job.attempt, job.nextRetryAt], ["FAILED", 11, undefined]);
  assert.is(after.state, "RUNNING", after.stateReason ?? "");
  assert.equal(after.vehicleOutcomes, { succeeded: 2, failed: 1, timedOut: 0, rolledBack: 0, rejected: 0 });
  assert.is(after.outcomes.failed, 11, "attempts are still counted as such (the campaign page's retries)");
  assert.is(h.deps.tally.failed, 11, "OTAUpdates/Failed counts events");
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("a vehicle that fails and then succeeds on its retry counts as one success, not a failure and a success", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, {
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: quickRetries(2),
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 100, minimumSample: 5, action: "PAUSE" }],
  });
  const flaky = car(1);
  await h.deliver(candidate(flaky), attemptReport(campaign.campaignId, flaky.vin, 1, 1, "FAILED"));
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.vehicleOutcomes.failed, 1, "while it waits for its retry it counts as failed");
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, campaign.campaignId);
  await h.deliver(attemptReport(campaign.campaignId, flaky.vin, 2, 1, "SUCCEEDED"));

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  const any = criteriaStanding(after).find((standing) => standing.criterion.failureKind === "ANY")!;
  assert.equal([any.failures, any.finished], [0, 1], "one vehicle, a success");
  assert.equal(after.vehicleOutcomes, { succeeded: 1, failed: 0, timedOut: 0, rolledBack: 0, rejected: 0 });
  assert.equal([after.outcomes.failed, after.outcomes.succeeded], [1, 1]);
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("the abort still fires when enough distinct vehicles fail", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, {
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: quickRetries(0),
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 50, minimumSample: 4, action: "ABORT" }],
  });
  const cars = [car(1), car(2), car(3), car(4)];
  await h.deliver(...cars.map(candidate));
  await h.deliver(
    report(campaign.campaignId, cars[0]!.vin, 1, "FAILED"),
    report(campaign.campaignId, cars[1]!.vin, 1, "FAILED"),
    report(campaign.campaignId, cars[2]!.vin, 1, "SUCCEEDED"),
  );
  await tickCampaign(h.deps, campaign.campaignId);
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.state, "RUNNING", "3 finished: below the minimum sample");
  await h.deliver(report(campaign.campaignId, cars[3]!.vin, 1, "SUCCEEDED"));
  await tickCampaign(h.deps, campaign.campaignId);

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  assert.is(after.state, "ABORTED");
  assert.match(after.stateReason ?? "", /ANY at 50\.0% \(2\/4\)/);
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("after a resume, vehicles failed before it that recover do not hide new failures: the criteria pause the campaign again", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, {
    waves: [{ percent: 100, soakMinutes: 24 * 60 }],
    retries: quickRetries(1),
    abortCriteria: [{ failureKind: "ANY", thresholdPercent: 50, minimumSample: 4, action: "PAUSE" }],
  });
  const cars = [1, 2, 3, 4, 5, 6].map((index) => car(index));
  await h.deliver(...cars.slice(0, 4).map(candidate));
  await h.deliver(
    ...[0, 1].map((index) => attemptReport(campaign.campaignId, cars[index]!.vin, 1, 1, "FAILED")),
    ...[2, 3].map((index) => attemptReport(campaign.campaignId, cars[index]!.vin, 1, 1, "SUCCEEDED")),
  );
  await tickCampaign(h.deps, campaign.campaignId);
  assert.is((await h.store.campaigns.get(campaign.campaignId))!.state, "PAUSED");

  await h.deliver(command(campaign.campaignId, "resume"));
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, campaign.campaignId);
  // Since the resume: the two failed vehicles retry and succeed, two new vehicles fail: 2 of 4 finished since.
  await h.deliver(...[0, 1].map((index) => attemptReport(campaign.campaignId, cars[index]!.vin, 2, 1, "SUCCEEDED")));
  await h.deliver(candidate(cars[4]!), candidate(cars[5]!));
  await h.deliver(...[4, 5].map((index) => attemptReport(campaign.campaignId, cars[index]!.vin, 1, 1, "FAILED")));
  await tickCampaign(h.deps, campaign.campaignId);

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  assert.is(after.state, "PAUSED", after.stateReason ?? "");
  assert.equal(after.vehicleOutcomes, { succeeded: 4, failed: 2, timedOut: 0, rolledBack: 0, rejected: 0 });
  assert.match(after.stateReason ?? "", /ANY at 50\.0% \(2\/4\)/);
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("an outcome counted while a resume takes the baseline is re-counted in the new epoch, never lost from it", async () => {
  const h = harness();
  const campaign = await startedCampaign(h, { waves: [{ percent: 100, soakMinutes: 24 * 60 }], inProgressTimeoutMinutes: 30, retries: quickRetries(0) });
  const slow = car(1);
  await h.deliver(candidate(slow), report(campaign.campaignId, slow.vin, 1, "DOWNLOADING"));
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaign.campaignId);
  await h.deliver(command(campaign.campaignId, "pause"));
  // The vehicle's late FAILED is decided against epoch 0; the operator's resume lands between that read and the write.
  onceBefore(h.store.jobs, "saveTransition", () => h.deliver(stampedNow(h, campaign.campaignId, "resume")));
  h.clock.now = minutesAfter(40);
  await h.deliver(report(campaign.campaignId, slow.vin, 2, "FAILED"));

  const after = (await h.store.campaigns.get(campaign.campaignId))!;
  const job = (await h.store.jobs.get(campaign.campaignId, slow.vin))!;
  assert.equal([after.outcomesEpoch, job.countedOutcome, job.countedEpoch], [1, "failed", 1]);
  assert.equal([after.outcomesBaseline.timedOut, after.vehicleOutcomes.timedOut, after.vehicleOutcomes.failed], [0, 0, 1]);
  await assertCountersMatchJobs(h.store, campaign.campaignId);
});

test("after a refused jump and a refused forged success the genuine reports still drive the job to SUCCEEDED", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"));
  await refusedReason(h, reportOf(campaignId, vin(1), { sequence: 2 + 5_000, status: "FAILED" }));
  await refusedReason(h, reportOf(campaignId, vin(1), { sequence: 2, status: "SUCCEEDED", firmwareVersion: "2.3.1" }));
  await h.deliver(report(campaignId, vin(1), 2, "INSTALLING"), report(campaignId, vin(1), 3, "SUCCEEDED"));
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(job.state, "SUCCEEDED");
  assert.is(job.firmwareVersion, "2.4.0");
});

test("after a retry the old attempt's late report is refused, and the agent restarting its count at 1 reports again", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "FAILED"));
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, campaignId);
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.attempt, 2);
  assert.is(await refusedReason(h, reportOf(campaignId, vin(1), { attempt: 1, sequence: 3, status: "FAILED" })), REPORT_PARKED_REASON.OlderAttempt);
  await h.deliver(reportOf(campaignId, vin(1), { attempt: 2, sequence: 1, status: "DOWNLOADING", idempotencyKey: "a2#1" }));
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is(job.state, "IN_PROGRESS");
  assert.is(job.lastSequence, 1);
});

// ── admission on the registry's word (R4-4) ─────────────────────────────────────────────────────────

test("a vehicle registered as a Ford that claims to be a Honda is not admitted to a Honda campaign, nor kept waiting; an honest Honda is", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { selector: { makes: ["Honda"] } });
  h.registry.register(factsAsDescribed(car(1, { make: "Ford", model: "Focus" })));
  h.registry.register(factsAsDescribed(car(2)));

  await h.deliverAsIs(candidate(car(1)), candidate(car(2)));

  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined, "the liar has no job");
  assert.is(await h.store.targets.isKnown(campaignId, vin(1)), false, "nor is it recorded as waiting");
  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.state, "QUEUED");
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 1);
  assert.is(campaign.admitted, 1);
  assert.equal([...h.deps.tally.refusedCandidates], [["description-mismatch", 1]]);
  assert.ok(
    h.deps.tally.toMetricData(T0).some((datum) => datum.MetricName === "OTAUpdates/CandidatesRefused" && datum.Value === 1 && datum.Dimensions?.[0]?.Value === "description-mismatch"),
  );
});

test("a lie in the hardware alone is refused too (the job document is signed for the job's hardware)", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  h.registry.register(factsAsDescribed(car(1, { hardware: "hu-2" })));
  await h.deliverAsIs(candidate(car(1, { hardware: "hu-3" })));
  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined);
});

test("an unregistered vehicle is not admitted, and is counted", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliverAsIs(candidate(car(1)));
  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined);
  assert.is(await h.store.targets.isKnown(campaignId, vin(1)), false);
  assert.equal([...h.deps.tally.refusedCandidates], [["unregistered", 1]]);
});

test("a registry read that fails admits nothing and fails the message; the redelivery admits", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  h.registry.register(factsAsDescribed(car(1)));
  const describe = h.registry.describe;
  h.registry.describe = async () => {
    throw Object.assign(new Error("Rate exceeded"), { name: "ThrottlingException" });
  };
  const failure = await h.deliverAsIs(candidate(car(1))).then(() => undefined, (error: Error) => error);
  assert.is(failure?.name, "ThrottlingException");
  assert.not.ok(failure instanceof PermanentFailureError, "retried, not parked");
  assert.is(await h.store.jobs.get(campaignId, vin(1)), undefined);
  assert.is(await h.store.targets.isKnown(campaignId, vin(1)), false);

  h.registry.describe = describe;
  await h.deliverAsIs(candidate(car(1)));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))?.state, "QUEUED");
});

test("the registry is read only where a vehicle could be admitted: not for a vehicle whose job is still moving, nor one matching no running campaign", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1, { parked: false })));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))?.state, "DEFERRED");
  const reads = h.registry.reads;
  assert.is(reads, 1);
  await h.deliverAsIs(candidate(car(1, { observedAt: minutesAfter(5).toISOString() })));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))?.state, "QUEUED", "its preconditions were re-checked");
  await h.deliverAsIs(candidate(car(2, { firmwareVersion: "2.4.0" })));
  assert.is(h.registry.reads, reads, "no read for either");
});

test("a waiting vehicle seen again is not read while there is no room; when the next wave opens, one that changed its story since its first sighting is not admitted (tick or sighting), an honest one is", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { percent: 100 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)), candidate(car(3)), candidate(car(4)));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))?.state, "QUEUED");
  assert.ok(await h.store.targets.isKnown(campaignId, vin(2)), "the others wait");
  const reads = h.registry.reads;

  h.clock.now = minutesAfter(1);
  const later = { observedAt: minutesAfter(1).toISOString() };
  // Car 3 now claims other hardware (the campaign does not select hardware, so it still matches); car 4 another model year.
  await h.deliverAsIs(candidate(car(2, later)), candidate(car(3, { ...later, hardware: "hu-9" })), candidate(car(4, { ...later, modelYear: 2019 })));
  assert.is(h.registry.reads, reads, "waiting with no room: no registry read");

  await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "VERIFYING"), report(campaignId, vin(1), 3, "SUCCEEDED"));
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, campaignId);
  await tickCampaign(h.deps, campaignId);
  assert.is((await h.store.campaigns.get(campaignId))?.waveIndex, 1, "the second wave opened");
  await h.deliverAsIs(candidate(car(4, { observedAt: minutesAfter(2).toISOString(), modelYear: 2019 })));

  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.state, "QUEUED", "the honest one is admitted");
  assert.is(await h.store.jobs.get(campaignId, vin(3)), undefined, "the tick does not admit a changed story");
  assert.is(await h.store.jobs.get(campaignId, vin(4)), undefined, "nor does its next sighting");
  assert.is(h.deps.tally.refusedCandidates.get("description-mismatch"), 3, "cars 3 and 4 refused by the first tick (then off the list), car 4 again at its sighting");
  assert.equal(await h.store.targets.listWaiting(campaignId, 10), []);
});

test("a waiting vehicle refused at admission leaves the waiting list and `eligible`: the next tick neither reads nor counts it, and admits the honest one behind it", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { count: 2, soakMinutes: 60 }, { percent: 100 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)), candidate(car(3)), candidate(car(4)));
  assert.is((await h.store.campaigns.get(campaignId))?.eligible, 4);
  // Car 2's registration changes while it waits (say its head unit was swapped): its stored word no longer holds.
  h.registry.register(factsAsDescribed(car(2, { hardware: "hu-9" })));
  await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "VERIFYING"), report(campaignId, vin(1), 3, "SUCCEEDED"));
  h.clock.now = minutesAfter(2);
  await tickCampaign(h.deps, campaignId);
  assert.is((await h.store.campaigns.get(campaignId))?.waveIndex, 1, "the second wave opened (room for one)");
  const refusedOnce = h.deps.tally.refusedCandidates.get("description-mismatch");
  assert.is(refusedOnce, 1, "car 2, at the front of the list, refused once");
  assert.not.ok(await h.store.targets.isKnown(campaignId, vin(2)), "off the waiting list");
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(3), vin(4)]);
  let campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 3, "no longer eligible");

  const reads = h.registry.reads;
  await tickCampaign(h.deps, campaignId);
  assert.is((await h.store.jobs.get(campaignId, vin(3)))?.state, "QUEUED", "the honest one behind it is admitted");
  assert.is(h.registry.reads, reads + 1, "only car 3 read");
  assert.is(h.deps.tally.refusedCandidates.get("description-mismatch"), refusedOnce, "car 2 not counted again");
  campaign = (await h.store.campaigns.get(campaignId))!;
  await assertCountersMatchJobs(h.store, campaignId);
  assert.is(campaign.eligible, campaign.admitted + (await h.store.targets.listWaiting(campaignId, 10)).length, "eligible = admitted + waiting");

  // Seen again, it is a first sighting: refused again while it lies, recorded once it tells the truth.
  h.clock.now = minutesAfter(3);
  await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(3).toISOString() })));
  assert.not.ok(await h.store.targets.isKnown(campaignId, vin(2)));
  await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(4).toISOString(), hardware: "hu-9" })));
  assert.ok(await h.store.targets.isKnown(campaignId, vin(2)), "waiting again on its registration's word");
  campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, campaign.admitted + (await h.store.targets.listWaiting(campaignId, 10)).length, "counted eligible once again");
});


test("a waiting vehicle refused at its own sighting when there is room is taken off the waiting list too, `eligible` with it", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ percent: 50 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))?.state, "QUEUED");
  assert.ok(await h.store.targets.isKnown(campaignId, vin(2)), "car 2 waits: 50% of 2 is 1");
  // A third vehicle recorded waiting (e.g. by a concurrent sighting) makes room: 50% of 3 rounds up to 2.
  await h.store.targets.recordFirstSighting(campaignId, car(3), T0.toISOString());
  h.registry.register(factsAsDescribed(car(2, { model: "Civic Type R" })));
  h.clock.now = minutesAfter(1);
  await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(1).toISOString() })));
  assert.is(await h.store.jobs.get(campaignId, vin(2)), undefined, "not admitted");
  assert.not.ok(await h.store.targets.isKnown(campaignId, vin(2)), "nor left waiting");
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(3)]);
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.eligible, 2, "cars 1 and 3");
  await assertCountersMatchJobs(h.store, campaignId);
  assert.is(h.deps.tally.refusedCandidates.get("description-mismatch"), 1);
});


/**
 * Two waves: car 1 alone in the first (succeeded), car 2 waiting with a stored lie (its hardware, sent while its
 * wave was full, so never read) or its honest snapshot; the second wave (100%) opened by a tick short of time,
 * which admitted nobody yet: room for car 2, eligible 2, admitted 1, the registry honest.
 */
async function secondWaveOpenWithCar2Waiting(h: Harness, stored: "lie" | "honest"): Promise<string> {
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { percent: 100, soakMinutes: 60 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  h.clock.now = minutesAfter(1);
  if (stored === "lie") await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(1).toISOString(), hardware: "hu-9" })));
  await h.deliver(report(campaignId, vin(1), 1, "DOWNLOADING"), report(campaignId, vin(1), 2, "VERIFYING"), report(campaignId, vin(1), 3, "SUCCEEDED"));
  h.clock.now = minutesAfter(2);
  assert.is((await tickCampaign({ ...h.deps, remainingMs: () => 0 }, campaignId)).cutShort, true);
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.waveIndex, campaign.eligible, campaign.admitted], [1, 2, 1], "second wave open, car 2 still waiting");
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.hardware), [stored === "lie" ? "hu-9" : "hu-3"]);
  return campaignId;
}

async function assertEligibleCountsEveryVehicleOnce(store: CampaignStore, campaignId: string): Promise<void> {
  const campaign = (await store.campaigns.get(campaignId))!;
  await assertCountersMatchJobs(store, campaignId);
  assert.is(campaign.eligible, campaign.admitted + (await store.targets.listWaiting(campaignId, 10)).length, "eligible = admitted + waiting");
}

test("the ticker forgetting a waiting vehicle (its stored lie) between the vehicle's honest sighting's read and its admission: admitted as the first sighting it now is, counted eligible again", async () => {
  const h = harness();
  const campaignId = await secondWaveOpenWithCar2Waiting(h, "lie");
  // The tick lists car 2's stored lie before the sighting refreshes it, and forgets it after the sighting read it as known.
  let tick: Awaited<ReturnType<typeof tickCampaign>> | undefined;
  onceBefore(h.store.targets, "refreshWaiting", async () => (tick = await tickCampaign(h.deps, campaignId)));
  h.clock.now = minutesAfter(3);
  await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(3).toISOString() })));
  assert.is(tick?.admitted, 0);
  assert.is(h.deps.tally.refusedCandidates.get("description-mismatch"), 1, "the tick refused the stored lie");
  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.hardware, "hu-3", "admitted on its honest snapshot");
  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.eligible, campaign.admitted], [2, 2]);
  await assertEligibleCountsEveryVehicleOnce(h.store, campaignId);
});

test("a sighting forgetting a waiting vehicle (its new lie) between the ticker's listing and its admission: the ticker skips it, and the vehicle's next honest sighting admits it, counted once", async () => {
  const h = harness();
  const campaignId = await secondWaveOpenWithCar2Waiting(h, "honest");
  h.clock.now = minutesAfter(3);
  // The tick listed car 2's honest snapshot and its registration vouched for it; before it admits, car 2 lies with room.
  onceBefore(h.store.jobs, "admit", () => h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(3).toISOString(), hardware: "hu-9" }))));
  const tick = await tickCampaign(h.deps, campaignId);
  assert.is(tick.admitted, 0, "not admitted from the tick's stale copy");
  assert.is(await h.store.jobs.get(campaignId, vin(2)), undefined);
  assert.not.ok(await h.store.targets.isKnown(campaignId, vin(2)), "forgotten by its lying sighting");
  let campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.eligible, campaign.admitted], [1, 1]);
  await assertEligibleCountsEveryVehicleOnce(h.store, campaignId);

  h.clock.now = minutesAfter(4);
  await h.deliverAsIs(candidate(car(2, { observedAt: minutesAfter(4).toISOString() })));
  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.state, "QUEUED", "nothing lost: its next honest sighting admits it");
  campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.eligible, campaign.admitted], [2, 2]);
  await assertEligibleCountsEveryVehicleOnce(h.store, campaignId);
});

// ── completion: never while a waiting vehicle could still be admitted into the open last wave ───────

/** A vehicle's job reported through to SUCCEEDED. */
const succeeded = (campaignId: string, index: number): UpdateMessage[] => [
  report(campaignId, vin(index), 1, "DOWNLOADING"),
  report(campaignId, vin(index), 2, "VERIFYING"),
  report(campaignId, vin(index), 3, "SUCCEEDED"),
];

/** Two waves without soak: car 1 alone in the first (succeeded), car 2 waiting; the last wave (100%) not open yet. */
async function lastWaveDueWithCar2Waiting(h: Harness): Promise<string> {
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { percent: 100, soakMinutes: 0 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  await h.deliver(...succeeded(campaignId, 1));
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(2)]);
  return campaignId;
}

test("a tick that opened the last wave but admitted nobody (short of time) is followed by one that admits the waiting vehicle, not one that completes", async () => {
  const h = harness();
  const campaignId = await lastWaveDueWithCar2Waiting(h);
  h.clock.now = minutesAfter(1);
  const opening = await tickCampaign({ ...h.deps, remainingMs: () => 0 }, campaignId);
  assert.match(opening.decision, /^wave 2 opened/);
  assert.equal([opening.admitted, opening.cutShort], [0, true]);

  h.clock.now = minutesAfter(2);
  const next = await tickCampaign(h.deps, campaignId);
  assert.is(next.decision, "1 waiting vehicle with room in the last wave, to admit before completing");
  assert.equal([next.state, next.admitted], ["RUNNING", 1]);
  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.state, "QUEUED");
  let campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.state, campaign.eligible, campaign.admitted], ["RUNNING", 2, 2]);

  await h.deliver(...succeeded(campaignId, 2));
  h.clock.now = minutesAfter(3);
  const done = await tickCampaign(h.deps, campaignId);
  assert.equal([done.state, done.decision], ["COMPLETED", "completed: 2 SUCCEEDED"]);

  // A vehicle first seen after the completion is not in the campaign: no job, not recorded.
  await h.deliver(candidate(car(3, { observedAt: minutesAfter(4).toISOString() })));
  assert.is(await h.store.jobs.get(campaignId, vin(3)), undefined);
  assert.not.ok(await h.store.targets.isKnown(campaignId, vin(3)));
  campaign = (await h.store.campaigns.get(campaignId))!;
  assert.equal([campaign.eligible, campaign.admitted], [2, 2]);
});

test("a tick that opened the last wave and then failed (its registry read throttled) is run again: it admits the waiting vehicle, it does not complete", async () => {
  const h = harness();
  const campaignId = await lastWaveDueWithCar2Waiting(h);
  const throttled: UpdateServiceDeps["registry"] = {
    async describe() {
      throw new Error("ThrottlingException: Rate exceeded");
    },
  };
  h.clock.now = minutesAfter(1);
  const failed = await tickCampaign({ ...h.deps, registry: throttled }, campaignId).then(
    () => "no error",
    (error: Error) => error.message,
  );
  assert.match(failed, /Throttling/);
  assert.equal((await h.store.campaigns.get(campaignId))!.waveIndex, 1, "the failed tick had opened the last wave");

  h.clock.now = minutesAfter(2);
  const again = await tickCampaign(h.deps, campaignId);
  assert.equal([again.state, again.admitted], ["RUNNING", 1]);
  assert.is((await h.store.jobs.get(campaignId, vin(2)))?.state, "QUEUED");
});

test("a vehicle admitted at its sighting between the tick's read and its completion write: the completion is refused, the next tick waits for its job", async () => {
  const h = harness();
  const campaignId = await lastWaveDueWithCar2Waiting(h);
  h.clock.now = minutesAfter(1);
  await tickCampaign(h.deps, campaignId);
  await h.deliver(...succeeded(campaignId, 2));
  h.clock.now = minutesAfter(2);
  // The tick read the campaign (2 admitted, both succeeded, nobody waiting); car 3 is first seen before it writes.
  onceBefore(h.store.campaigns, "saveChange", () => h.deliver(candidate(car(3, { observedAt: minutesAfter(2).toISOString() }))));
  const raced = await tickCampaign(h.deps, campaignId);
  assert.is(raced.decision, "campaign changed concurrently; next tick decides");
  assert.is((await h.store.jobs.get(campaignId, vin(3)))?.state, "QUEUED", "admitted at its sighting");
  assert.is((await h.store.campaigns.get(campaignId))!.state, "RUNNING", "not completed under a job it never judged");

  const next = await tickCampaign(h.deps, campaignId);
  assert.equal([next.state, next.decision], ["RUNNING", "1 jobs moving, 0 retries pending"]);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a last-wave tick cut short before it saw the failed jobs does not complete under their pending retries", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ percent: 100, soakMinutes: 0 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)));
  await h.deliver(...succeeded(campaignId, 1), report(campaignId, vin(2), 1, "DOWNLOADING"), report(campaignId, vin(2), 2, "FAILED"));
  assert.ok((await h.store.jobs.get(campaignId, vin(2)))?.nextRetryAt, "car 2 waits for its retry");

  const cut = await tickCampaign({ ...h.deps, remainingMs: () => 0 }, campaignId);
  assert.equal([cut.state, cut.cutShort, cut.decision], ["RUNNING", true, "tick cut short before it saw every job; the next tick decides"]);
  const full = await tickCampaign(h.deps, campaignId);
  assert.equal([full.state, full.decision], ["RUNNING", "0 jobs moving, 1 retries pending"]);
});

test("a last wave full by its count completes with a vehicle still waiting, and says so: it holds nothing open", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { waves: [{ count: 1, soakMinutes: 0, successThresholdPercent: 100 }, { count: 2, soakMinutes: 0 }] });
  await h.deliver(candidate(car(1)), candidate(car(2)), candidate(car(3)));
  await h.deliver(...succeeded(campaignId, 1));
  h.clock.now = minutesAfter(1);
  const opening = await tickCampaign(h.deps, campaignId);
  assert.equal([opening.admitted, (await h.store.jobs.get(campaignId, vin(2)))?.state], [1, "QUEUED"]);
  await h.deliver(...succeeded(campaignId, 2));
  h.clock.now = minutesAfter(2);
  const done = await tickCampaign(h.deps, campaignId);
  assert.equal([done.state, done.decision], ["COMPLETED", "completed: 2 SUCCEEDED; 1 eligible vehicle not admitted (the last wave is full)"]);
  assert.equal((await h.store.targets.listWaiting(campaignId, 10)).map((waiting) => waiting.vin), [vin(3)]);
  assert.is((await h.store.campaigns.get(campaignId))!.stateReason, done.decision, "the campaign views show the same reason");
});

// ── jobs of campaigns that ended: they hold their vehicle while they may still be installing, not for good ──

/** Campaign x admits car 1, which starts downloading; x is canceled (the job is left to finish); campaign y (the fix) admits the car at +10 min. */
async function canceledWhileDownloading(h: Harness, lateReport?: "FAILED"): Promise<{ x: string; y: string }> {
  const { campaignId: x } = await startedCampaign(h, { name: "x" });
  await h.deliver(candidate(car(1)), report(x, vin(1), 1, "DOWNLOADING"));
  h.clock.now = minutesAfter(2);
  await h.deliver(command(x, "cancel"));
  if (lateReport) await h.deliver(report(x, vin(1), 2, lateReport));
  h.clock.now = minutesAfter(10);
  const { campaignId: y } = await startedCampaign(h, { name: "y (the fix)", targetVersion: "2.5.0", startTimeoutMinutes: 120 });
  await h.deliver(candidate(car(1, { observedAt: h.clock.now.toISOString() })));
  return { x, y };
}

/** Ticks x when the rollout ticker would (campaignsToTick), then y. */
async function tickBoth(h: Harness, x: string, y: string): Promise<void> {
  if (campaignsToTick([(await h.store.campaigns.get(x))!], h.clock.now).length > 0) await tickCampaign(h.deps, x);
  await tickCampaign(h.deps, y);
}

test("a canceled campaign's started job holds its vehicle while it reports, and times out (no retry) once silent: then the next campaign's document goes out, and that campaign counts no timeout", async () => {
  const h = harness();
  const { x, y } = await canceledWhileDownloading(h);
  assert.match((await h.store.jobs.get(y, vin(1)))!.stateReason ?? "", `vehicle busy in campaign ${x}`, "genuinely downloading: y waits");
  h.clock.now = minutesAfter(25);
  await h.deliver(report(x, vin(1), 2, "INSTALLING"));
  h.clock.now = minutesAfter(45);
  await tickBoth(h, x, y);
  assert.is((await h.store.jobs.get(x, vin(1)))!.state, "IN_PROGRESS", "it reported 20 minutes ago: still installing");
  assert.is(h.slots.describe(vin(1)), `INSTALL ${x}:${vin(1)} attempt 1`, "no other document mid-install");
  h.clock.now = minutesAfter(60);
  assert.equal(campaignsToTick([(await h.store.campaigns.get(x))!], h.clock.now).map((c) => c.campaignId), [x], "the canceled campaign is still ticked");
  await tickBoth(h, x, y);
  const old = (await h.store.jobs.get(x, vin(1)))!;
  assert.is(old.state, "TIMED_OUT");
  assert.is(old.nextRetryAt, undefined, "a canceled campaign retries nothing");
  assert.is(h.slots.describe(vin(1)), `INSTALL ${y}:${vin(1)} attempt 1`);
  const fix = (await h.store.jobs.get(y, vin(1)))!;
  assert.is(fix.state, "QUEUED");
  assert.is(fix.documentPublishedAttempt, 1);
  assert.is((await h.store.campaigns.get(y))!.outcomes.timedOut, 0);
  // Nothing left in progress; x is ticked only for the withdrawal its timed-out job owes, which leaves y's document alone.
  assert.is((await h.store.campaigns.get(x))!.withdrawalsOwed, 1);
  h.clock.now = minutesAfter(60 + WITHDRAWAL_SETTLE_MINUTES);
  await tickBoth(h, x, y);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${y}:${vin(1)} attempt 1`);
  assert.equal(campaignsToTick([(await h.store.campaigns.get(x))!], h.clock.now), [], "x is no longer ticked");
  await assertCountersMatchJobs(h.store, x);
  await assertCountersMatchJobs(h.store, y);
});

test("a canceled campaign's started job that then fails gets no retry and holds nothing: the next campaign's document goes out at its admission", async () => {
  const h = harness();
  const { x, y } = await canceledWhileDownloading(h, "FAILED");
  const old = (await h.store.jobs.get(x, vin(1)))!;
  assert.is(old.state, "FAILED");
  assert.is(old.nextRetryAt, undefined);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${y}:${vin(1)} attempt 1`);
  h.clock.now = minutesAfter(60);
  await tickBoth(h, x, y);
  const fix = (await h.store.jobs.get(y, vin(1)))!;
  assert.is(fix.state, "QUEUED");
  assert.is(fix.documentPublishedAttempt, 1);
  assert.is((await h.store.campaigns.get(y))!.outcomes.timedOut, 0);
  await assertCountersMatchJobs(h.store, x);
});

// ── a TIMED_OUT job a late progress report brings back, in a campaign that ended: held to its limits again ──

type EndedBy = "completed" | "canceled" | "aborted";

/**
 * A campaign (no retries, one wave; 30 minutes of silence, 120 minutes to finish) whose car 1 started at T0 and timed
 * out silent at +31, the campaign having ended around it: completed by that tick, canceled at +2, or aborted at +2 by
 * car 2's failure.
 */
async function endedAroundATimeout(h: Harness, endedBy: EndedBy): Promise<string> {
  const { campaignId } = await startedCampaign(h, {
    inProgressTimeoutMinutes: 30,
    maxInProgressMinutes: 120,
    retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
    waves: [{ percent: 100, soakMinutes: 0 }],
    abortCriteria: endedBy === "aborted" ? [{ failureKind: "FAILED", thresholdPercent: 50, minimumSample: 1, action: "ABORT" }] : [],
  });
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "DOWNLOADING"));
  if (endedBy === "aborted") await h.deliver(candidate(car(2)), report(campaignId, vin(2), 1, "FAILED"));
  h.clock.now = minutesAfter(2);
  if (endedBy === "canceled") await h.deliver(command(campaignId, "cancel"));
  if (endedBy === "aborted") await tickCampaign(h.deps, campaignId);
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaignId);
  const [campaign, job] = [(await h.store.campaigns.get(campaignId))!, (await h.store.jobs.get(campaignId, vin(1)))!];
  assert.equal([campaign.state, job.state, campaign.outcomes.timedOut], [endedBy.toUpperCase(), "TIMED_OUT", 1]);
  return campaignId;
}

/** Ticks the campaign when the rollout ticker would; whether it did. */
async function tickIfTicked(h: Harness, campaignId: string): Promise<boolean> {
  if (!(await tickedByTicker(h, campaignId))) return false;
  await tickCampaign(h.deps, campaignId);
  return true;
}

for (const endedBy of ["completed", "canceled", "aborted"] as const) {
  test(`a ${endedBy.toUpperCase()} campaign's TIMED_OUT job brought back IN_PROGRESS by a late INSTALLING is ticked and timed out again once silent: one timeout counted, nothing left moving`, async () => {
    const h = harness();
    const campaignId = await endedAroundATimeout(h, endedBy);
    h.clock.now = minutesAfter(40);
    await h.deliver(reportOn(campaignId, vin(1), { status: "INSTALLING", sequence: 2 }));
    let job = (await h.store.jobs.get(campaignId, vin(1)))!;
    assert.equal([job.state, job.substate], ["IN_PROGRESS", "INSTALLING"], "the vehicle came back: in progress again");
    assert.ok(await tickedByTicker(h, campaignId), "a job moving again is held to its limits: its campaign is ticked");
    h.clock.now = minutesAfter(60);
    await tickIfTicked(h, campaignId);
    assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "IN_PROGRESS", "it reported 20 minutes ago");

    h.clock.now = minutesAfter(71);
    assert.ok(await tickIfTicked(h, campaignId), "silent 31 minutes: still ticked");
    job = (await h.store.jobs.get(campaignId, vin(1)))!;
    const campaign = (await h.store.campaigns.get(campaignId))!;
    assert.equal([job.state, job.nextRetryAt], ["TIMED_OUT", undefined]);
    assert.match(job.stateReason ?? "", "no report for 31 minutes");
    assert.equal([campaign.state, campaign.counts.IN_PROGRESS, campaign.outcomes.timedOut, campaign.vehicleOutcomes.timedOut, h.deps.tally.timedOut], [endedBy.toUpperCase(), 0, 1, 1, 1]);
    assert.is(h.slots.describe(vin(1)), "WITHDRAWN", "timed out in a campaign that ended: its document is taken back");
    h.clock.now = minutesAfter(71 + WITHDRAWAL_SETTLE_MINUTES);
    await tickIfTicked(h, campaignId);
    assert.not.ok(await tickedByTicker(h, campaignId), "nothing moving, nothing owed: no longer ticked");
    await assertCountersMatchJobs(h.store, campaignId);
  });

  test(`a ${endedBy.toUpperCase()} campaign's TIMED_OUT job brought back keeps its deadline: heartbeats do not carry it past maxInProgressMinutes from its first start; a final report after that still lands`, async () => {
    const h = harness();
    const campaignId = await endedAroundATimeout(h, endedBy);
    for (const [index, minute] of [40, 60, 80, 100].entries()) {
      h.clock.now = minutesAfter(minute);
      await h.deliver(reportOn(campaignId, vin(1), { status: "INSTALLING", sequence: 2 + index }));
      await tickIfTicked(h, campaignId);
      assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "IN_PROGRESS", `heartbeat at +${minute}`);
    }
    h.clock.now = minutesAfter(121);
    assert.ok(await tickIfTicked(h, campaignId));
    let job = (await h.store.jobs.get(campaignId, vin(1)))!;
    assert.is(job.state, "TIMED_OUT");
    assert.match(job.stateReason ?? "", "121 minutes after it started (limit 120)");
    h.clock.now = minutesAfter(125);
    await h.deliver(reportOn(campaignId, vin(1), { status: "INSTALLING", sequence: 6 }));
    assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "TIMED_OUT", "progress past its limit changes nothing");
    await h.deliver(reportOn(campaignId, vin(1), { status: "SUCCEEDED", sequence: 7, firmwareVersion: "2.4.0" }));
    job = (await h.store.jobs.get(campaignId, vin(1)))!;
    const campaign = (await h.store.campaigns.get(campaignId))!;
    assert.is(job.state, "SUCCEEDED", "a genuine final report is never dropped");
    assert.equal([campaign.state, campaign.outcomes.timedOut, campaign.outcomes.succeeded], [endedBy.toUpperCase(), 0, 1]);
    await assertCountersMatchJobs(h.store, campaignId);
  });
}

for (const endedBy of ["canceled", "aborted"] as const) {
  test(`a ${endedBy.toUpperCase()} campaign's started TIMED_OUT job brought back DEFERRED by a late report is canceled by the next tick, as any DEFERRED job there: nothing left moving, its timeout still counted`, async () => {
    const h = harness();
    const campaignId = await endedAroundATimeout(h, endedBy);
    h.clock.now = minutesAfter(40);
    await h.deliver(reportOn(campaignId, vin(1), { status: "DEFERRED", sequence: 2 }));
    assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "DEFERRED");
    assert.ok(await tickIfTicked(h, campaignId));
    const [campaign, job] = [(await h.store.campaigns.get(campaignId))!, (await h.store.jobs.get(campaignId, vin(1)))!];
    assert.equal([job.state, campaign.counts.DEFERRED, campaign.outcomes.timedOut], ["CANCELED", 0, 1]);
    assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
    h.clock.now = minutesAfter(40 + WITHDRAWAL_SETTLE_MINUTES);
    await tickIfTicked(h, campaignId);
    assert.not.ok(await tickedByTicker(h, campaignId));
    await assertCountersMatchJobs(h.store, campaignId);
  });
}

test("a COMPLETED campaign's started TIMED_OUT job brought back DEFERRED by a late report is held to maxInProgressMinutes from its first start, then TIMED_OUT again", async () => {
  const h = harness();
  const campaignId = await endedAroundATimeout(h, "completed");
  h.clock.now = minutesAfter(40);
  await h.deliver(reportOn(campaignId, vin(1), { status: "DEFERRED", sequence: 2 }));
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "DEFERRED");
  assert.ok(await tickedByTicker(h, campaignId));
  h.clock.now = minutesAfter(119);
  await tickIfTicked(h, campaignId);
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "DEFERRED", "within its limit");
  h.clock.now = minutesAfter(121);
  assert.ok(await tickIfTicked(h, campaignId));
  const [campaign, job] = [(await h.store.campaigns.get(campaignId))!, (await h.store.jobs.get(campaignId, vin(1)))!];
  assert.equal([campaign.state, job.state, campaign.outcomes.timedOut, campaign.counts.DEFERRED], ["COMPLETED", "TIMED_OUT", 1, 0]);
  await assertCountersMatchJobs(h.store, campaignId);
});

// ── a TIMED_OUT job that never started: a late start counts its limit from the timeout (review 28, R28-01) ──

const UNSTARTED_LIMITS: Partial<CampaignDefinitionInput> = {
  startTimeoutMinutes: 30,
  inProgressTimeoutMinutes: 60,
  maxInProgressMinutes: 360,
  retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 },
  waves: [{ percent: 100, soakMinutes: 0 }],
};

/** A campaign whose only vehicle (car 1) never picked its job up: TIMED_OUT unstarted, COMPLETED, withdrawal settled. */
async function completedWithUnstartedTimeout(h: Harness): Promise<Campaign> {
  h.clock.now = T0;
  const created = await h.store.campaigns.create(definition(UNSTARTED_LIMITS), { now: h.clock.now.toISOString() });
  await h.deliver(command(created.campaignId, "start"));
  await h.deliver(candidate(car(1)));
  for (const minute of [31, 31 + WITHDRAWAL_SETTLE_MINUTES + 1, 31 + WITHDRAWAL_SETTLE_MINUTES + 2]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, created.campaignId);
  }
  return (await h.store.campaigns.get(created.campaignId))!;
}

test("a start report 30 days after an unstarted timeout is ignored (not ticked); a final report still lands", async () => {
  const h = harness();
  const { campaignId: id } = await completedWithUnstartedTimeout(h);
  h.clock.now = minutesAfter(30 * 24 * 60);
  await h.deliver(report(id, vin(1), 1, "DOWNLOADING"));
  assert.is((await h.store.jobs.get(id, vin(1)))!.state, "TIMED_OUT");
  assert.not.ok(await tickedByTicker(h, id));
  await h.deliver(report(id, vin(1), 2, "SUCCEEDED"));
  const campaign = (await h.store.campaigns.get(id))!;
  assert.equal([(await h.store.jobs.get(id, vin(1)))!.state, campaign.outcomes.timedOut, campaign.outcomes.succeeded], ["SUCCEEDED", 0, 1]);
});

test("a genuine late start (offline vehicle, report 100 min after the unstarted timeout) is revived, held to maxInProgressMinutes from the timeout", async () => {
  const h = harness();
  const { campaignId: id } = await completedWithUnstartedTimeout(h);
  h.clock.now = minutesAfter(31 + 100);
  await h.deliver(report(id, vin(1), 1, "DOWNLOADING"));
  const job = (await h.store.jobs.get(id, vin(1)))!;
  assert.equal([job.state, job.inProgressSince], ["IN_PROGRESS", minutesAfter(31).toISOString()]);
  for (let minute = 31 + 150; minute <= 31 + 360; minute += 50) {
    h.clock.now = minutesAfter(minute);
    await h.deliver(report(id, vin(1), minute, "INSTALLING"));
    await tickIfTicked(h, id);
  }
  h.clock.now = minutesAfter(31 + 361);
  assert.ok(await tickedByTicker(h, id));
  await tickCampaign(h.deps, id);
  assert.is((await h.store.jobs.get(id, vin(1)))!.state, "TIMED_OUT", "360 minutes after the timeout, heartbeats or not");
});

test("a retry-failed refused while the vehicle is busy in another campaign does not open the late-start window again (review 29, R29-01)", async () => {
  const h = harness();
  const { campaignId: one } = await completedWithUnstartedTimeout(h);
  assert.is((await h.store.campaigns.get(one))!.state, "COMPLETED");
  // Campaign two (2.5.0) holds the vehicle's slot: its job QUEUED, its document out.
  h.clock.now = minutesAfter(40);
  const two = await h.store.campaigns.create(definition({ ...UNSTARTED_LIMITS, name: "two", targetVersion: "2.5.0", startTimeoutMinutes: 24 * 60 }), { now: h.clock.now.toISOString() });
  await h.deliver(stampedNow(h, two.campaignId, "start"));
  await h.deliver(candidate(car(1, { observedAt: h.clock.now.toISOString() })));
  assert.is((await h.store.jobs.get(two.campaignId, vin(1)))!.state, "QUEUED");
  // 300 minutes after the timeout the operator retries campaign one's failures: refused for the vehicle (busy).
  h.clock.now = minutesAfter(31 + 300);
  await h.deliver(stampedNow(h, one, "retry-failed"));
  for (const minute of [31 + 301, 31 + 302]) {
    h.clock.now = minutesAfter(minute);
    await tickCampaign(h.deps, one);
  }
  const refusedJob = (await h.store.jobs.get(one, vin(1)))!;
  const last = refusedJob.history.at(-1)!;
  assert.equal([refusedJob.state, last.from, last.to], ["TIMED_OUT", "TIMED_OUT", "TIMED_OUT"], JSON.stringify(last));
  assert.match(last.reason, "retry refused");
  // A DOWNLOADING 400 minutes after the timeout (limit 360): should be ignored, as without the operator's command.
  h.clock.now = minutesAfter(31 + 400);
  await h.deliver(report(one, vin(1), 1, "DOWNLOADING"));
  const after = (await h.store.jobs.get(one, vin(1)))!;
  assert.equal([after.state, await tickedByTicker(h, one)], ["TIMED_OUT", false], `revived: ${after.state} inProgressSince ${after.inProgressSince} (timeout at ${minutesAfter(31).toISOString()})`);
});

// ── retry-failed: re-queues only once its campaign write applied, and then durably ──

/** A RUNNING campaign (no automatic retries, one long wave) whose one job FAILED. */
async function oneFailedJob(h: Harness): Promise<string> {
  const { campaignId } = await startedCampaign(h, { retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 }, waves: [{ percent: 100, soakMinutes: 600 }] });
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "FAILED"));
  h.clock.now = minutesAfter(5);
  return campaignId;
}

test("a canceled campaign's started job that times out owes its withdrawal: its install document is withdrawn at once, and again by the ticker when that fails, until confirmed", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "INSTALLING"));
  h.clock.now = minutesAfter(2);
  await h.deliver(command(campaignId, "cancel"));
  const install = `INSTALL ${campaignId}:${vin(1)} attempt 1`;
  assert.is(h.slots.describe(vin(1)), install, "installing: left to finish");
  h.clock.now = minutesAfter(31);
  const restore = withdrawalsFail(h);
  await tickCampaign(h.deps, campaignId);
  restore();
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, job.inProgressSince !== undefined, job.nextRetryAt], ["TIMED_OUT", true, undefined]);
  assert.ok(owesWithdrawal(job), "a started job timed out in a campaign that ended owes its withdrawal");
  assert.is(h.slots.describe(vin(1)), install, "the first withdrawal failed");
  assert.is((await h.store.campaigns.get(campaignId))!.withdrawalsOwed, 1);
  assert.ok(await tickedByTicker(h, campaignId), "ticked for the withdrawal it owes (nothing is in progress any more)");
  await assertCountersMatchJobs(h.store, campaignId);

  h.clock.now = minutesAfter(32);
  await tickCampaign(h.deps, campaignId);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  h.clock.now = minutesAfter(32 + WITHDRAWAL_SETTLE_MINUTES);
  const summary = await tickCampaign(h.deps, campaignId);
  assert.is(summary.withdrawalsSettled, 1);
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.documentWithdrawnAttempt, 1);
  assert.not.ok(await tickedByTicker(h, campaignId), "no longer ticked");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a started job that timed out in a running campaign keeps its document for its retry; canceled, it loses the retry and owes the withdrawal; a late SUCCEEDED settles it", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "INSTALLING"));
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaignId);
  let job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, owesWithdrawal(job), job.nextRetryAt !== undefined], ["TIMED_OUT", false, true], "RUNNING: a retry ahead");
  assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 1`);
  await h.deliver(command(campaignId, "cancel"));
  job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, owesWithdrawal(job), job.nextRetryAt], ["TIMED_OUT", true, undefined]);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  await assertCountersMatchJobs(h.store, campaignId);
  await h.deliver(report(campaignId, vin(1), 2, "SUCCEEDED"));
  job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, owesWithdrawal(job)], ["SUCCEEDED", false], "the late success lands, and owes nothing");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a started job that timed out with its retries used up in a running campaign keeps its document; canceled later, it owes the withdrawal (ticked until confirmed); a late SUCCEEDED still lands", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { retries: { max: 0, backoffBaseSeconds: 60, backoffCapSeconds: 600 } });
  // vin(2) not started yet keeps the campaign RUNNING.
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "INSTALLING"), candidate(car(2)));
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaignId);
  let job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.is((await h.store.campaigns.get(campaignId))!.state, "RUNNING");
  assert.equal([job.state, job.nextRetryAt, owesWithdrawal(job)], ["TIMED_OUT", undefined, false], "RUNNING, no retry left: the vehicle may still finish on it");
  const install = `INSTALL ${campaignId}:${vin(1)} attempt 1`;
  assert.is(h.slots.describe(vin(1)), install);

  h.clock.now = minutesAfter(40);
  const restore = withdrawalsFail(h);
  await h.deliver(command(campaignId, "cancel"));
  restore();
  job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, job.withdrawalOwedAttempt, owesWithdrawal(job)], ["TIMED_OUT", 1, true], "canceled: it will not install on that document for this campaign");
  assert.is(h.slots.describe(vin(1)), install, "the first withdrawal failed");
  assert.ok(await tickedByTicker(h, campaignId), "ticked for the withdrawal it owes");
  h.clock.now = minutesAfter(41);
  await tickCampaign(h.deps, campaignId);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  await assertCountersMatchJobs(h.store, campaignId);

  await h.deliver(report(campaignId, vin(1), 2, "SUCCEEDED"));
  job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, owesWithdrawal(job)], ["SUCCEEDED", false], "the late success lands, and owes nothing");
  h.clock.now = minutesAfter(40 + WITHDRAWAL_SETTLE_MINUTES);
  await tickCampaign(h.deps, campaignId);
  assert.not.ok(await tickedByTicker(h, campaignId), "vin(2)'s canceled job's withdrawal confirmed: nothing owed, nothing in progress, no longer ticked");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a retry-failed refused as stale (a pause landed before its campaign write) re-queues nothing, neither then nor at the next resume", async () => {
  const h = harness();
  const campaignId = await oneFailedJob(h);
  const retry = await sentByCli(h, campaignId, "retry-failed");
  onceBefore(h.store.campaigns, "saveChange", async () => h.deliver(await sentByCli(h, campaignId, "pause")));
  await h.deliver(retry);

  assert.is((await h.store.campaigns.get(campaignId))!.state, "PAUSED");
  assert.match((await h.store.campaigns.history(campaignId)).at(-1)!.reason, /^refused retry-failed: stale/);
  const refused = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([refused.state, refused.attempt], ["FAILED", 1]);
  h.clock.now = minutesAfter(10);
  await h.deliver(await sentByCli(h, campaignId, "resume"));
  await tickCampaign(h.deps, campaignId);
  const resumed = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([resumed.state, resumed.attempt], ["FAILED", 1]);
  assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 1`);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a retry-failed whose invocation failed after its campaign write (redelivered: a duplicate) still retries: the next tick does it, once", async () => {
  const h = harness();
  const campaignId = await oneFailedJob(h);
  const retry = command(campaignId, "retry-failed");
  const read = h.deps.documents.read;
  h.deps.documents.read = async () => Promise.reject(Object.assign(new Error("We encountered an internal error"), { name: "InternalError" }));
  const failed = await h.deliver(retry).then(() => undefined, (error: Error) => error);
  h.deps.documents.read = read;
  assert.is(failed?.name, "InternalError");
  await h.deliver(retry);
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.state, "FAILED", "the redelivery is a duplicate");

  h.clock.now = minutesAfter(6);
  await tickCampaign(h.deps, campaignId);
  const retried = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([retried.state, retried.attempt, retried.documentPublishedAttempt], ["QUEUED", 2, 2]);
  // Its retried attempt fails too: the same request does not retry it again.
  await h.deliver(reportOn(campaignId, vin(1), { attempt: 2, sequence: 2, status: "FAILED" }));
  h.clock.now = minutesAfter(7);
  await tickCampaign(h.deps, campaignId);
  const again = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([again.state, again.attempt], ["FAILED", 2]);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a retry-failed applied to a PAUSED campaign re-queues the failed job; its document goes out at the resume", async () => {
  const h = harness();
  const campaignId = await oneFailedJob(h);
  await h.deliver(command(campaignId, "pause"), command(campaignId, "retry-failed"));
  const queued = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([queued.state, queued.attempt, queued.documentPublishedAttempt], ["QUEUED", 2, 1]);
  await h.deliver(command(campaignId, "resume"));
  assert.is(h.slots.describe(vin(1)), `INSTALL ${campaignId}:${vin(1)} attempt 2`);
});

// ── ended campaigns: what their ticks read ────────────────────────────────────────────────────────

/**
 * A cancel lands between a RUNNING tick's (or report's) read of its campaign and its next job write (of `vin`, when
 * given): the campaign is written CANCELED at the clock's time just before that write, then `meanwhile` runs, still
 * before it. With `unconditional`, the job writes are the code's before they were conditional on the campaign not
 * having ended (no `whileNotEnded`): an invocation in flight across the deploy, which the settle window still catches.
 */
function cancelBeforeJobWrite(h: Harness, campaignId: string, options: { vin?: string; meanwhile?: () => Promise<void>; unconditional?: boolean } = {}): void {
  const cancel = async () => {
    const running = (await h.store.campaigns.get(campaignId))!;
    const at = h.clock.now.toISOString();
    await h.store.campaigns.saveChange(running, { ...running, state: "CANCELED", finishedAt: at, updatedAt: at }, { from: "RUNNING", to: "CANCELED", at, reason: "canceled by operator", cause: "test" });
    await options.meanwhile?.();
  };
  onceBefore(h.store.jobs, "saveTransition", cancel, (before) => options.vin === undefined || (before as Job).vin === options.vin);
  if (options.unconditional) {
    const conditional = h.store.jobs.saveTransition;
    h.store.jobs.saveTransition = (before, after, delta) => {
      const { whileNotEnded: _dropped, ...unconditional } = delta ?? {};
      return conditional(before, after, unconditional);
    };
  }
}

/** vin(1) and vin(2) start installing at T0; at minute 20 vin(1) reports again, vin(2) stays silent (times out at 30). */
async function bothInstallingOneSilent(h: Harness, campaignId: string): Promise<void> {
  await h.deliver(candidate(car(1)), candidate(car(2)));
  await h.deliver(report(campaignId, vin(1), 1, "INSTALLING"), report(campaignId, vin(2), 1, "INSTALLING"));
  h.clock.now = minutesAfter(20);
  await h.deliver(report(campaignId, vin(1), 2, "INSTALLING"));
}

/** Ticks the campaign at `minute` and returns what it listed by state (and whether it read the owed index). */
async function tickListing(h: Harness, reads: ReturnType<typeof jobReads>, campaignId: string, minute: number): Promise<string> {
  h.clock.now = minutesAfter(minute);
  const [byState, owedIndex] = [reads.byState.length, reads.owedIndex];
  await tickCampaign(h.deps, campaignId);
  return [...(reads.owedIndex > owedIndex ? ["owed index"] : []), ...reads.byState.slice(byState)].join(",");
}

test("an ended campaign's tick lists its FAILED and TIMED_OUT jobs only until a whole sweep ran WITHDRAWAL_SETTLE_MINUTES after it ended, and an unstarted state only while it counts jobs there; the started job still times out and owes its withdrawal", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  for (let index = 1; index <= 5; index++) await h.deliver(candidate(car(index)));
  await h.deliver(report(campaignId, vin(1), 1, "INSTALLING"), report(campaignId, vin(2), 1, "FAILED"), report(campaignId, vin(3), 1, "FAILED"));
  assert.ok((await h.store.jobs.get(campaignId, vin(2)))!.nextRetryAt, "a retry ahead while RUNNING");
  h.clock.now = minutesAfter(2);
  await h.deliver(command(campaignId, "cancel"));
  assert.equal((await h.store.jobs.get(campaignId, vin(2)))!.nextRetryAt, undefined, "the cancel's tick took the retries");
  const reads = jobReads(h);

  const listed: string[] = [];
  listed.push(await tickListing(h, reads, campaignId, 3));
  assert.is((await h.store.campaigns.get(campaignId))!.retriesDroppedAt, undefined, "too soon after the cancel: a job write from before the condition may still set a retry");
  h.clock.now = minutesAfter(20);
  await h.deliver(report(campaignId, vin(1), 2, "INSTALLING"));
  listed.push(await tickListing(h, reads, campaignId, 2 + WITHDRAWAL_SETTLE_MINUTES));
  assert.is((await h.store.campaigns.get(campaignId))!.retriesDroppedAt, minutesAfter(2 + WITHDRAWAL_SETTLE_MINUTES).toISOString());
  listed.push(await tickListing(h, reads, campaignId, 3 + WITHDRAWAL_SETTLE_MINUTES));
  h.clock.now = minutesAfter(40);
  await h.deliver(report(campaignId, vin(1), 3, "INSTALLING"));
  listed.push(await tickListing(h, reads, campaignId, 41));
  // The canceled QUEUED jobs owe their withdrawals until confirmed, WITHDRAWAL_SETTLE_MINUTES after the cancel.
  assert.equal(listed, ["owed index,FAILED,TIMED_OUT,IN_PROGRESS", "owed index,FAILED,TIMED_OUT,IN_PROGRESS", "IN_PROGRESS", "IN_PROGRESS"], `listed by state, tick by tick: ${listed.join(" | ")}`);
  assert.ok(await tickedByTicker(h, campaignId), "ticked while its started job runs");

  // Silent for 31 minutes: timed out in the ended campaign, no retry, its install document withdrawn at once.
  assert.is(await tickListing(h, reads, campaignId, 71), "IN_PROGRESS");
  const timedOut = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([timedOut.state, timedOut.nextRetryAt, owesWithdrawal(timedOut)], ["TIMED_OUT", undefined, true]);
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN");
  assert.ok(await tickedByTicker(h, campaignId), "ticked for the withdrawal it owes");
  assert.is(await tickListing(h, reads, campaignId, 71 + WITHDRAWAL_SETTLE_MINUTES), "owed index", "only the owed index: nothing else can hold work");
  assert.is((await h.store.jobs.get(campaignId, vin(1)))!.documentWithdrawnAttempt, 1, "confirmed");
  assert.not.ok(await tickedByTicker(h, campaignId), "no longer ticked");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a started job timed out with a retry by a tick that read its campaign RUNNING, written after the cancel by the code before the write was conditional: the first whole sweep past the settle window takes the retry and withdraws its document, then records the retries dropped", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await bothInstallingOneSilent(h, campaignId);
  h.clock.now = minutesAfter(31);
  // The cancel's campaign write lands between this RUNNING tick's read and its timeout of vin(2), written unconditionally.
  cancelBeforeJobWrite(h, campaignId, { vin: vin(2), unconditional: true });
  await tickCampaign(h.deps, campaignId);
  const raced = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.equal([(await h.store.campaigns.get(campaignId))!.state, raced.state, raced.nextRetryAt !== undefined, owesWithdrawal(raced)], ["CANCELED", "TIMED_OUT", true, false], "the race: a retry in a canceled campaign");
  assert.is(h.slots.describe(vin(2)), `INSTALL ${campaignId}:${vin(2)} attempt 1`);

  h.clock.now = minutesAfter(40);
  await h.deliver(report(campaignId, vin(1), 3, "INSTALLING"));
  const reads = jobReads(h);
  assert.is(await tickListing(h, reads, campaignId, 32 + WITHDRAWAL_SETTLE_MINUTES), "FAILED,TIMED_OUT,IN_PROGRESS");
  const swept = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.equal([swept.nextRetryAt, owesWithdrawal(swept)], [undefined, true], "the retry taken, the withdrawal owed");
  assert.is(h.slots.describe(vin(2)), "WITHDRAWN");
  assert.ok((await h.store.campaigns.get(campaignId))!.retriesDroppedAt);
  assert.is(await tickListing(h, reads, campaignId, 33 + WITHDRAWAL_SETTLE_MINUTES), "owed index,IN_PROGRESS");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a retry raced into a canceled campaign (an unconditional write, from before the condition) that nothing else keeps ticked: the ticker ticks it once past the settle window, which takes the retry and withdraws the document; ticked then only until that withdrawal is confirmed", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(2)), report(campaignId, vin(2), 1, "INSTALLING"));
  h.clock.now = minutesAfter(31);
  cancelBeforeJobWrite(h, campaignId, { unconditional: true });
  await tickCampaign(h.deps, campaignId);
  assert.ok((await h.store.jobs.get(campaignId, vin(2)))!.nextRetryAt, "the race: a retry in a canceled campaign");
  h.clock.now = minutesAfter(30 + WITHDRAWAL_SETTLE_MINUTES);
  assert.not.ok(await tickedByTicker(h, campaignId), "nothing in progress, nothing owed, within the window");

  h.clock.now = minutesAfter(31 + WITHDRAWAL_SETTLE_MINUTES);
  assert.ok(await tickedByTicker(h, campaignId), "once past the window");
  await tickCampaign(h.deps, campaignId);
  const swept = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.equal([swept.nextRetryAt, owesWithdrawal(swept), h.slots.describe(vin(2))], [undefined, true, "WITHDRAWN"]);
  assert.ok((await h.store.campaigns.get(campaignId))!.retriesDroppedAt);
  h.clock.now = minutesAfter(31 + 2 * WITHDRAWAL_SETTLE_MINUTES);
  assert.ok(await tickedByTicker(h, campaignId), "for the withdrawal it owes");
  await tickCampaign(h.deps, campaignId);
  assert.not.ok(await tickedByTicker(h, campaignId), "confirmed, retries recorded dropped: no longer ticked");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("an ended campaign's sweep cut short (the invocation ran short of time) records nothing: the next tick sweeps again", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(1)), candidate(car(2)));
  await h.deliver(report(campaignId, vin(1), 1, "INSTALLING"), report(campaignId, vin(2), 1, "FAILED"));
  await h.deliver(command(campaignId, "cancel"));
  h.clock.now = minutesAfter(1 + WITHDRAWAL_SETTLE_MINUTES);
  h.deps.remainingMs = () => 0;
  assert.ok((await tickCampaign(h.deps, campaignId)).cutShort);
  assert.is((await h.store.campaigns.get(campaignId))!.retriesDroppedAt, undefined);
  delete h.deps.remainingMs;
  await tickCampaign(h.deps, campaignId);
  assert.ok((await h.store.campaigns.get(campaignId))!.retriesDroppedAt);
});

// Review 12, R12-02: the settle window counts from the ended sweep's listings, not from its end.
test("a retry raced in (unconditionally, from before the condition) after an ended sweep listed TIMED_OUT is still taken: that sweep records nothing, a later one withdraws the document", async () => {
  const h = harness();
  // A retry backoff of an hour: the racing tick's own retry loop does not re-queue the job it just timed out.
  const { campaignId } = await startedCampaign(h, { retries: { max: 3, backoffBaseSeconds: 3600, backoffCapSeconds: 3600 } });
  await bothInstallingOneSilent(h, campaignId); // vin(1) keeps talking, vin(2) goes silent
  h.clock.now = minutesAfter(31);
  const endedAt = 31;

  const listed = gate();
  const racedIn = gate();
  let ended: Promise<unknown> | undefined;
  // A RUNNING tick (long invocation) read its campaign; the cancel lands; 14 minutes on, that tick writes vin(2)'s
  // timeout with a retry. Meanwhile a tick of the CANCELED campaign started at minute 44 and listed TIMED_OUT first.
  cancelBeforeJobWrite(h, campaignId, {
    vin: vin(2),
    unconditional: true,
    meanwhile: async () => {
      const list = h.store.jobs.list;
      let hooked = false;
      h.store.jobs.list = async (id: string, state?: JobState) => {
        const jobs = await list(id, state);
        if (!hooked && state === "TIMED_OUT") {
          hooked = true;
          listed.open();
          await racedIn.held; // the sweep works through its (long) listing; the racing write lands meanwhile
          h.clock.now = minutesAfter(endedAt + WITHDRAWAL_SETTLE_MINUTES + 1); // the sweep ends past the window
        }
        return jobs;
      };
      h.clock.now = minutesAfter(endedAt + 13);
      ended = tickCampaign(h.deps, campaignId);
      await listed.held;
      h.clock.now = minutesAfter(endedAt + 14);
    },
  });
  await tickCampaign(h.deps, campaignId);
  const raced = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.equal([raced.state, raced.nextRetryAt !== undefined, owesWithdrawal(raced)], ["TIMED_OUT", true, false], "the race: a retry in a canceled campaign");
  racedIn.open();
  await ended;

  const campaign = (await h.store.campaigns.get(campaignId))!;
  assert.is(campaign.retriesDroppedAt, undefined, "the sweep whose listing came before the window recorded nothing");

  // Every minute for hours: a later sweep takes the raced-in retry, the document is withdrawn, ticking stops.
  for (let minute = endedAt + 22; minute <= endedAt + 180; minute += 1) {
    h.clock.now = minutesAfter(minute);
    if (campaignsToTick([(await h.store.campaigns.get(campaignId))!], h.clock.now).length === 1) await tickCampaign(h.deps, campaignId);
  }
  const after = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.ok((await h.store.campaigns.get(campaignId))!.retriesDroppedAt, "a sweep listed within the window recorded the retries dropped");
  assert.not.ok(campaignsToTick([(await h.store.campaigns.get(campaignId))!], h.clock.now).length, "the campaign is no longer ticked");
  assert.equal([after.state, after.nextRetryAt !== undefined], ["TIMED_OUT", false], "the retry was taken");
  assert.is(h.slots.describe(vin(2)), "WITHDRAWN", "the install document of the canceled campaign is withdrawn");
});

// Job writes that keep a retry are conditional on the campaign not having ended: no window to wait for.

/**
 * vin(index) admitted and INSTALLING at T0; at `minute` the next job write's read sees the campaign RUNNING, a cancel
 * lands, and the write comes two hours later (an update manager timeout far above the settle window's 10 minutes).
 */
async function installingThenLateWriteAfterCancel(h: Harness, index: number, minute: number): Promise<string> {
  const { campaignId } = await startedCampaign(h);
  await h.deliver(candidate(car(index)), report(campaignId, vin(index), 1, "INSTALLING"));
  h.clock.now = minutesAfter(minute);
  cancelBeforeJobWrite(h, campaignId, { meanwhile: async () => void (h.clock.now = minutesAfter(minute + 120)) });
  return campaignId;
}

test("a cancel landing between a RUNNING tick's read and its timeout of a started job, written two hours later (an update manager timeout far above 10 minutes): the write is refused and redone as the canceled campaign wants it, no retry, the document owed and withdrawn at once", async () => {
  const h = harness();
  const campaignId = await installingThenLateWriteAfterCancel(h, 2, 31);
  await tickCampaign(h.deps, campaignId);
  const job = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.is((await h.store.campaigns.get(campaignId))!.state, "CANCELED");
  assert.equal([job.state, job.nextRetryAt, owesWithdrawal(job)], ["TIMED_OUT", undefined, true], "no retry survives; the withdrawal is owed");
  assert.is(h.slots.describe(vin(2)), "WITHDRAWN", "withdrawn by the refused write's redo, not by a later sweep");
  assert.is((await h.store.campaigns.get(campaignId))!.retriesDroppedAt, undefined, "no sweep ran");
  assert.ok(await tickedByTicker(h, campaignId), "ticked for the withdrawal it owes, until confirmed");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a FAILED report whose handler read its campaign RUNNING, written after the cancel: refused and redone without the retry, so the job holds its vehicle for nothing", async () => {
  const h = harness();
  const campaignId = await installingThenLateWriteAfterCancel(h, 1, 5);
  await h.deliver(report(campaignId, vin(1), 2, "FAILED"));
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([job.state, job.nextRetryAt, owesWithdrawal(job)], ["FAILED", undefined, false], "failed for good; a FAILED job's vehicle ended the attempt");
  assert.is((await h.store.campaigns.get(campaignId))!.outcomes.failed, 1, "counted once");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a PAUSED campaign has not ended: a FAILED report there keeps its retry, and a started job timed out there keeps its document", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h);
  await bothInstallingOneSilent(h, campaignId);
  await h.deliver(command(campaignId, "pause"));
  assert.is((await h.store.campaigns.get(campaignId))!.state, "PAUSED");
  h.clock.now = minutesAfter(31);
  await h.deliver(report(campaignId, vin(1), 3, "FAILED"));
  await tickCampaign(h.deps, campaignId);
  const [failed, timedOut] = [(await h.store.jobs.get(campaignId, vin(1)))!, (await h.store.jobs.get(campaignId, vin(2)))!];
  assert.equal([failed.state, failed.nextRetryAt !== undefined], ["FAILED", true]);
  assert.equal([timedOut.state, timedOut.nextRetryAt !== undefined, owesWithdrawal(timedOut)], ["TIMED_OUT", true, false]);
  assert.is(h.slots.describe(vin(2)), `INSTALL ${campaignId}:${vin(2)} attempt 1`);
  await assertCountersMatchJobs(h.store, campaignId);
});

// Review 14, R14-R1: taking a retry (a new attempt, its document signed and published next) is conditional too.

test("a RUNNING tick's automatic retry of a FAILED job, written after a cancel landed: refused and written as the canceled campaign wants it (FAILED, the retry dropped): no new attempt, nothing signed or published", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { retries: quickRetries(2) });
  await h.deliver(candidate(car(2)), report(campaignId, vin(2), 1, "FAILED"));
  assert.ok((await h.store.jobs.get(campaignId, vin(2)))!.nextRetryAt, "a retry ahead while RUNNING");
  h.clock.now = minutesAfter(2);
  // The tick read the campaign RUNNING and listed the FAILED job; the cancel lands before its retry write.
  cancelBeforeJobWrite(h, campaignId, { vin: vin(2) });
  const publishedBefore = h.published.length;
  const summary = await tickCampaign(h.deps, campaignId);
  const job = (await h.store.jobs.get(campaignId, vin(2)))!;
  assert.equal([(await h.store.campaigns.get(campaignId))!.state, job.state, job.attempt, job.nextRetryAt], ["CANCELED", "FAILED", 1, undefined], "no new attempt; the retry dropped");
  assert.equal(h.published.slice(publishedBefore), [], "nothing signed or published for the canceled campaign");
  assert.is(summary.retried, 0);
  await assertCountersMatchJobs(h.store, campaignId);
});

test("a RUNNING tick's automatic retry of a started job that timed out, written after a cancel landed: refused and redone as the canceled campaign wants it: no retry, its install document owed and withdrawn at once, no new attempt published", async () => {
  const h = harness();
  const { campaignId } = await startedCampaign(h, { retries: quickRetries(2) });
  await h.deliver(candidate(car(1)), report(campaignId, vin(1), 1, "INSTALLING"));
  h.clock.now = minutesAfter(31);
  await tickCampaign(h.deps, campaignId);
  const timedOut = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([timedOut.state, timedOut.nextRetryAt !== undefined, owesWithdrawal(timedOut)], ["TIMED_OUT", true, false], "RUNNING: a retry ahead, the document kept");
  h.clock.now = minutesAfter(33);
  cancelBeforeJobWrite(h, campaignId, { vin: vin(1) });
  const publishedBefore = h.published.length;
  await tickCampaign(h.deps, campaignId);
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([(await h.store.campaigns.get(campaignId))!.state, job.state, job.attempt, job.nextRetryAt, owesWithdrawal(job)], ["CANCELED", "TIMED_OUT", 1, undefined, true]);
  assert.equal(h.published.slice(publishedBefore), [], "attempt 2 never signed nor published");
  assert.is(h.slots.describe(vin(1)), "WITHDRAWN", "withdrawn by the refused write's redo, not by a later sweep");
  assert.ok(await tickedByTicker(h, campaignId), "ticked for the withdrawal it owes, until confirmed");
  await assertCountersMatchJobs(h.store, campaignId);
});

test("an operator's retry-failed carried out by a tick that read its campaign RUNNING, the job's retry written after a cancel landed: refused, the job stays FAILED, nothing published", async () => {
  const h = harness();
  const campaignId = await oneFailedJob(h);
  cancelBeforeJobWrite(h, campaignId, { vin: vin(1) });
  const publishedBefore = h.published.length;
  await h.deliver(command(campaignId, "retry-failed"));
  const job = (await h.store.jobs.get(campaignId, vin(1)))!;
  assert.equal([(await h.store.campaigns.get(campaignId))!.state, job.state, job.attempt], ["CANCELED", "FAILED", 1]);
  assert.equal(h.published.slice(publishedBefore), [], "nothing signed or published for the canceled campaign");
  await assertCountersMatchJobs(h.store, campaignId);
});

test.run();
