import { test } from "uvu";
import * as assert from "uvu/assert";
import { emptyJobCounts } from "../../../campaigns/model.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import { campaignsToTick, tickMessage } from "../../../functions/rollout-ticker/tick-messages.js";
import { METRIC } from "../../../contracts/metrics.js";
import { updateMessageSchema } from "../../../contracts/update-messages.js";
import { T0, campaign } from "./support/factories.js";

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
  assert.equal(campaignsToTick(all).map((c) => c.campaignId), ["scheduled", "running", "paused", "aborted-dirty"]);
});

test("the ticker keeps ticking a final campaign while its jobs owe a withdrawal of their document, and stops when none does", () => {
  const owing = [
    campaign({ campaignId: "completed-owing", state: "COMPLETED", withdrawalsOwed: 1 }),
    campaign({ campaignId: "canceled-owing", state: "CANCELED", withdrawalsOwed: 3 }),
    campaign({ campaignId: "aborted-owing", state: "ABORTED", withdrawalsOwed: 2 }),
    campaign({ campaignId: "completed-settled", state: "COMPLETED", withdrawalsOwed: 0 }),
    campaign({ campaignId: "canceled-settled", state: "CANCELED", withdrawalsOwed: 0 }),
  ];
  assert.equal(campaignsToTick(owing).map((c) => c.campaignId), ["completed-owing", "canceled-owing", "aborted-owing"]);
});

test("the ticker keeps ticking a canceled or aborted campaign while a started job is IN_PROGRESS (held to its limits), and stops after", () => {
  const inProgress = { ...emptyJobCounts(), IN_PROGRESS: 1, SUCCEEDED: 4 };
  const ended = [
    campaign({ campaignId: "canceled-installing", state: "CANCELED", counts: inProgress }),
    campaign({ campaignId: "aborted-installing", state: "ABORTED", counts: inProgress }),
    campaign({ campaignId: "canceled-done", state: "CANCELED", counts: { ...emptyJobCounts(), TIMED_OUT: 1, FAILED: 2 } }),
  ];
  assert.equal(campaignsToTick(ended).map((c) => c.campaignId), ["canceled-installing", "aborted-installing"]);
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
