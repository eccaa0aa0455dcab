import { test } from "uvu";
import * as assert from "uvu/assert";
import { emptyJobCounts } from "../../../campaigns/model.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import { campaignsToTick, tickMessage } from "../../../functions/rollout-ticker/tick-messages.js";
import { METRIC } from "../../../contracts/metrics.js";
import { updateMessageSchema } from "../../../contracts/update-messages.js";
import { WITHDRAWAL_SETTLE_MINUTES } from "../../../campaigns/job-documents.js";
import { T0, campaign, minutesAfter } from "./support/factories.js";

test("the ticker picks rolling campaigns and finished ones with unstarted jobs", () => {
  const withQueued = { ...emptyJobCounts(), QUEUED: 2 };
  const all = [
    campaign({ campaignId: "draft", state: "DRAFT" }),
    campaign({ campaignId: "scheduled", state: "SCHEDULED" }),
    campaign({ campaignId: "running", state: "RUNNING" }),
    campaign({ campaignId: "paused", state: "PAUSED" }),
    campaign({ campaignId: "completed", state: "COMPLETED" }),
    campaign({ campaignId: "canceled-clean", state: "CANCELED" }),
    campaign({ campaignId: "aborted-dirty", state: "ABORTED", counts: withQueued }),
  ];
  assert.equal(campaignsToTick(all, T0).map((c) => c.campaignId), ["scheduled", "running", "paused", "aborted-dirty"]);
});

test("the ticker keeps ticking a final campaign while its jobs owe a withdrawal of their document, and stops when none does", () => {
  const owing = [
    campaign({ campaignId: "completed-owing", state: "COMPLETED", withdrawalsOwed: 1 }),
    campaign({ campaignId: "canceled-owing", state: "CANCELED", withdrawalsOwed: 3 }),
    campaign({ campaignId: "aborted-owing", state: "ABORTED", withdrawalsOwed: 2 }),
    campaign({ campaignId: "completed-settled", state: "COMPLETED", withdrawalsOwed: 0 }),
    campaign({ campaignId: "canceled-settled", state: "CANCELED", withdrawalsOwed: 0 }),
  ];
  assert.equal(campaignsToTick(owing, T0).map((c) => c.campaignId), ["completed-owing", "canceled-owing", "aborted-owing"]);
});

test("the ticker keeps ticking a canceled or aborted campaign while a started job is IN_PROGRESS (held to its limits), and stops after", () => {
  const inProgress = { ...emptyJobCounts(), IN_PROGRESS: 1, SUCCEEDED: 4 };
  const ended = [
    campaign({ campaignId: "canceled-installing", state: "CANCELED", counts: inProgress }),
    campaign({ campaignId: "aborted-installing", state: "ABORTED", counts: inProgress }),
    campaign({ campaignId: "canceled-done", state: "CANCELED", counts: { ...emptyJobCounts(), TIMED_OUT: 1, FAILED: 2 } }),
  ];
  assert.equal(campaignsToTick(ended, T0).map((c) => c.campaignId), ["canceled-installing", "aborted-installing"]);
});

test("the ticker ticks a COMPLETED campaign while a job a late report brought back moves (IN_PROGRESS or DEFERRED), and stops after", () => {
  const completed = [
    campaign({ campaignId: "completed-installing", state: "COMPLETED", counts: { ...emptyJobCounts(), IN_PROGRESS: 1, SUCCEEDED: 4 } }),
    campaign({ campaignId: "completed-deferred", state: "COMPLETED", counts: { ...emptyJobCounts(), DEFERRED: 1, SUCCEEDED: 4 } }),
    campaign({ campaignId: "completed-done", state: "COMPLETED", counts: { ...emptyJobCounts(), TIMED_OUT: 1, SUCCEEDED: 4 } }),
    campaign({ campaignId: "draft", state: "DRAFT", counts: { ...emptyJobCounts(), IN_PROGRESS: 1 } }),
  ];
  assert.equal(campaignsToTick(completed, T0).map((c) => c.campaignId), ["completed-installing", "completed-deferred"]);
});

test("the ticker ticks a canceled or aborted campaign with FAILED or TIMED_OUT jobs once more WITHDRAWAL_SETTLE_MINUTES after it ended, until its retries are recorded dropped", () => {
  const failed = { ...emptyJobCounts(), FAILED: 2, TIMED_OUT: 1 };
  const endedAt = T0.toISOString();
  const ended = [
    campaign({ campaignId: "canceled-failures", state: "CANCELED", finishedAt: endedAt, counts: failed }),
    campaign({ campaignId: "aborted-failures", state: "ABORTED", finishedAt: endedAt, counts: failed }),
    campaign({ campaignId: "canceled-swept", state: "CANCELED", finishedAt: endedAt, counts: failed, retriesDroppedAt: minutesAfter(WITHDRAWAL_SETTLE_MINUTES).toISOString() }),
    campaign({ campaignId: "canceled-no-failures", state: "CANCELED", finishedAt: endedAt, counts: { ...emptyJobCounts(), SUCCEEDED: 3 } }),
    campaign({ campaignId: "completed-failures", state: "COMPLETED", finishedAt: endedAt, counts: failed }),
  ];
  assert.equal(campaignsToTick(ended, minutesAfter(WITHDRAWAL_SETTLE_MINUTES - 1)), [], "within the window: a tick now could not record them dropped");
  assert.equal(campaignsToTick(ended, minutesAfter(WITHDRAWAL_SETTLE_MINUTES)).map((c) => c.campaignId), ["canceled-failures", "aborted-failures"]);
});

test("a tick message is a valid update message keyed by campaign and minute", () => {
  const message = tickMessage("c-1", new Date("2026-11-26T18:04:31.250Z"));
  assert.ok(updateMessageSchema.safeParse(message).success);
  assert.is(message.idempotencyKey, "tick:c-1:2026-11-26T18:04");
  assert.is(tickMessage("c-1", new Date("2026-11-26T18:04:59Z")).idempotencyKey, message.idempotencyKey);
});

test("the tally counts outcomes and starts, and computes the success rate", () => {
  const tally = new UpdateTally();
  tally.count("QUEUED", "IN_PROGRESS");
  tally.count("IN_PROGRESS", "IN_PROGRESS");
  for (let i = 0; i < 3; i++) tally.count("IN_PROGRESS", "SUCCEEDED");
  tally.count("IN_PROGRESS", "FAILED");
  const data = Object.fromEntries(tally.toMetricData(T0).map((datum) => [datum.MetricName, datum.Value]));
  assert.is(data[METRIC.UpdatesInProgress], 1);
  assert.is(data[METRIC.UpdatesSucceeded], 3);
  assert.is(data[METRIC.UpdatesFailed], 1);
  assert.is(data[METRIC.UpdateSuccessRate], 75);
});

test("no success rate is sent when nothing finished", () => {
  const tally = new UpdateTally();
  tally.count("QUEUED", "IN_PROGRESS");
  assert.not.ok(tally.toMetricData(T0).some((datum) => datum.MetricName === METRIC.UpdateSuccessRate));
  assert.ok(new UpdateTally().isEmpty);
});

test.run();
