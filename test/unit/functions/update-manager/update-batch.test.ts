/**
 * The update manager's invocation (processUpdateBatch) writes each applied transition's OTAUpdates/* count when it
 * is applied, so an invocation that dies part-way (Lambda timeout, crash) has already written what it applied, and
 * the redelivered batch, which finds those transitions applied ("ignored"), counts nothing twice. The invocation's
 * death is a message that never finishes: what a timeout leaves is what was written before it.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import type { JobDocumentChannel } from "../../../../campaigns/document-channel.js";
import { JOB_STATE, type JobState } from "../../../../campaigns/model.js";
import { factsAsDescribed, memoryVehicleRegistry } from "../../../../campaigns/registry-check.js";
import { memoryCampaignStore, type CampaignStore } from "../../../../campaigns/store/index.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../../campaigns/update-service.js";
import { UpdateTally } from "../../../../campaigns/update-tally.js";
import { METRIC } from "../../../../contracts/metrics.js";
import type { UpdateMessage } from "../../../../contracts/update-messages.js";
import { processUpdateBatch, type Repeater } from "../../../../functions/update-manager/process.js";
import { silentLog } from "../../../../lib/logger.js";
import { ParkedTally } from "../../../../lib/parked-failures.js";
import { computeCheckDigit } from "../../../../telemetry/vin.js";
import { T0, definition, minutesAfter, vehicle } from "../../campaigns/support/factories.js";
import { COMMAND_QUEUE_ARN, queuedRecord } from "./support/queued-record.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const C = ((body: string) => body.replace("_", computeCheckDigit(body)))("1HGCM826_3A000003");

const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;
const sqsRecord = queuedRecord;
const batch = (...messages: UpdateMessage[]): SQSEvent => ({ Records: messages.map((message, index) => sqsRecord(`m-${index + 1}`, message)) });

const report = (campaignId: string, vin: string, sequence: number, status: "DOWNLOADING" | "SUCCEEDED" | "FAILED"): UpdateMessage => ({
  kind: "status-report",
  idempotencyKey: `${campaignId}:${vin}#1#${sequence}`,
  vin,
  campaignId,
  jobId: `${campaignId}:${vin}`,
  attempt: 1,
  sequence,
  status,
  firmwareVersion: status === "SUCCEEDED" ? "2.4.0" : "2.3.1",
  reportedAt: T0.toISOString(),
});
const tick = (campaignId: string, key: string): UpdateMessage => ({ kind: "command", idempotencyKey: key, command: "tick", campaignId, requestedBy: "ticker", requestedAt: T0.toISOString() });

/** A never-settling promise, and one that settles once something reached it. */
function hang(): { reached: Promise<void>; forever(): Promise<never> } {
  let reach!: () => void;
  const reached = new Promise<void>((resolve) => (reach = resolve));
  return {
    reached,
    forever() {
      reach();
      return new Promise<never>(() => {});
    },
  };
}

interface World {
  store: CampaignStore;
  deps: UpdateServiceDeps;
  parking: { s3: never; bucket: string; tally: ParkedTally };
  clock: { now: Date };
  campaignId: string;
  /** The EMF lines written so far, parsed. */
  lines: Array<Record<string, unknown>>;
  /** Fires the flush timer, as METRICS_FLUSH_INTERVAL_MS passing would. */
  fireTimer(): void;
  invoke(event: SQSEvent): Promise<unknown>;
}

/** A RUNNING campaign whose one wave holds A, B and C (QUEUED), on the memory store; every line written is kept. */
async function world(): Promise<World> {
  const store = memoryCampaignStore();
  const clock = { now: T0 };
  const registry = memoryVehicleRegistry();
  const documents: JobDocumentChannel = {
    read: async (vin) => ({ key: `jobs/${vin}.json` }),
    publish: async (job) => `jobs/${job.vin}.json`,
    withdraw: async () => {},
    releaseExists: async () => true,
  };
  const deps: UpdateServiceDeps = { store, documents, tally: new UpdateTally(), registry, log: silentLog, now: () => clock.now };
  const created = await store.campaigns.create(definition(), { now: T0.toISOString() });
  const setup = async (message: UpdateMessage) => handleUpdateMessage(deps, message, new ActiveCampaigns(store));
  await setup({ kind: "command", idempotencyKey: "start#1", command: "start", campaignId: created.campaignId, requestedBy: "test", requestedAt: T0.toISOString() });
  for (const vin of [A, B, C]) {
    const snapshot = vehicle({ vin });
    registry.register(factsAsDescribed(snapshot));
    await setup({ kind: "candidate", idempotencyKey: `candidate#${vin}`, vehicle: snapshot });
  }
  deps.tally.reset(); // the setup's own counts are not the invocation's
  const lines: Array<Record<string, unknown>> = [];
  const timers: Array<() => void> = [];
  const repeat: Repeater = (flush) => {
    timers.push(flush);
    return () => void timers.splice(timers.indexOf(flush), 1);
  };
  const parking = { s3: undefined as never, bucket: "data", tally: new ParkedTally() };
  return {
    store,
    deps,
    parking,
    clock,
    campaignId: created.campaignId,
    lines,
    fireTimer: () => timers.forEach((flush) => flush()),
    invoke: (event) => processUpdateBatch(event, context, deps, parking, { namespace: "FleetOTA", commandQueueArn: COMMAND_QUEUE_ARN, write: (line) => lines.push(JSON.parse(line)), repeat }),
  };
}

/** The sum of one metric over every line written. */
const emitted = (lines: Array<Record<string, unknown>>, metric: string): number =>
  lines.reduce((sum, line) => sum + (typeof line[metric] === "number" ? (line[metric] as number) : 0), 0);

async function stateOf(store: CampaignStore, campaignId: string, vin: string): Promise<JobState | undefined> {
  return (await store.jobs.get(campaignId, vin))?.state;
}

test("an invocation that dies in its third message has written the first two messages' counts; the redelivery counts each transition once", async () => {
  const w = await world();
  await w.invoke(batch(report(w.campaignId, A, 1, "DOWNLOADING"), report(w.campaignId, B, 1, "DOWNLOADING")));
  assert.is(emitted(w.lines, METRIC.UpdatesInProgress), 2);
  w.lines.length = 0;

  // prepare: C's job read hangs for good, as a call does until the Lambda timeout kills the invocation
  const stuck = hang();
  const get = w.store.jobs.get.bind(w.store.jobs);
  w.store.jobs.get = async (campaignId, vin) => (vin === C ? stuck.forever() : get(campaignId, vin));
  const messages = batch(report(w.campaignId, A, 2, "SUCCEEDED"), report(w.campaignId, B, 2, "FAILED"), report(w.campaignId, C, 1, "DOWNLOADING"));

  // act: the invocation never returns
  void w.invoke(messages);
  await stuck.reached;

  // assess: A's success and B's failure were applied, and are in the log already
  assert.is(await stateOf(w.store, w.campaignId, A), JOB_STATE.Succeeded);
  assert.is(await stateOf(w.store, w.campaignId, B), JOB_STATE.Failed);
  assert.is(emitted(w.lines, METRIC.UpdatesSucceeded), 1, "A's success is counted before the invocation dies");
  assert.is(emitted(w.lines, METRIC.UpdatesFailed), 1, "B's failure is counted before the invocation dies");
  assert.ok(w.lines.length <= 2, `one line a message that counted something (${w.lines.length})`);

  // act: SQS redelivers the whole batch to a new invocation, with tallies of its own
  w.store.jobs.get = get;
  w.deps.tally = new UpdateTally();
  w.parking.tally = new ParkedTally();
  const response = await w.invoke(messages);

  // assess: A and B come back ignored and are not counted again; C's start is counted once
  assert.equal(response, { batchItemFailures: [] });
  assert.is(await stateOf(w.store, w.campaignId, C), JOB_STATE.InProgress);
  assert.is(emitted(w.lines, METRIC.UpdatesSucceeded), 1);
  assert.is(emitted(w.lines, METRIC.UpdatesFailed), 1);
  assert.is(emitted(w.lines, METRIC.UpdatesInProgress), 1);
});

test("a message that fails after applying a transition has its count written, and its redelivery does not count it again", async () => {
  const w = await world();
  await w.invoke(batch(report(w.campaignId, A, 1, "DOWNLOADING")));
  w.lines.length = 0;
  w.clock.now = minutesAfter(31); // A is silent past inProgressTimeoutMinutes (30)

  // prepare: the tick times A out, then its listing of retryable jobs fails
  const list = w.store.jobs.list.bind(w.store.jobs);
  let failing = true;
  w.store.jobs.list = async (campaignId, state) => {
    if (failing && state === JOB_STATE.Failed) throw new Error("ThrottlingException: Rate exceeded");
    return list(campaignId, state);
  };

  const first = await w.invoke(batch(tick(w.campaignId, "tick#1")));
  assert.equal(first, { batchItemFailures: [{ itemIdentifier: "m-1" }] });
  assert.is(await stateOf(w.store, w.campaignId, A), JOB_STATE.TimedOut);
  assert.is(emitted(w.lines, METRIC.UpdatesTimedOut), 1);

  failing = false;
  await w.invoke(batch(tick(w.campaignId, "tick#1")));
  assert.is(emitted(w.lines, METRIC.UpdatesTimedOut), 1, "the redelivered tick finds A timed out already");
});

test("counts applied inside a message that then hangs are written by the flush timer, once", async () => {
  const w = await world();
  await w.invoke(batch(report(w.campaignId, A, 1, "DOWNLOADING")));
  w.lines.length = 0;
  w.clock.now = minutesAfter(31);

  // prepare: the tick times A out, then hangs listing the retryable jobs until the Lambda timeout
  const stuck = hang();
  const list = w.store.jobs.list.bind(w.store.jobs);
  w.store.jobs.list = async (campaignId, state) => (state === JOB_STATE.Failed ? stuck.forever() : list(campaignId, state));

  void w.invoke(batch(tick(w.campaignId, "tick#2")));
  await stuck.reached;
  assert.is(await stateOf(w.store, w.campaignId, A), JOB_STATE.TimedOut);
  assert.is(emitted(w.lines, METRIC.UpdatesTimedOut), 0, "nothing written while the message runs and the timer has not fired");

  w.fireTimer();
  w.fireTimer();
  assert.is(emitted(w.lines, METRIC.UpdatesTimedOut), 1, "written by the timer, and only once");
  assert.is(w.lines.length, 1);
});

test("a message that counts nothing writes no line", async () => {
  const w = await world();
  await w.invoke(batch(report(w.campaignId, A, 1, "DOWNLOADING"), report(w.campaignId, A, 1, "DOWNLOADING")));
  assert.is(w.lines.length, 1, "the duplicate report counts nothing and writes nothing");
  w.lines.length = 0;
  await w.invoke(batch(tick(w.campaignId, "tick#3")));
  assert.is(w.lines.length, 0);
});

test.run();
