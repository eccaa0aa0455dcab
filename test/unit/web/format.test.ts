import { test } from "uvu";
import * as assert from "uvu/assert";
import { CAMPAIGN_STATE, TERMINAL_CAMPAIGN_STATES } from "../../../campaigns/model.js";
import { FINAL_CAMPAIGN_STATES, formatCount, formatMetric, formatShare, humanizeState, notAdmittedLabel, parkedStatus, stateToken } from "../../../web/src/format.js";

test("formats counts, shares and metric values with their units", () => {
  assert.is(formatCount(100000), "100,000");
  assert.is(formatCount(null), "—");
  assert.is(formatShare(1, 3), "33.3 %");
  assert.is(formatShare(5, 0), "0 %");
  assert.is(formatMetric(97.46, "percent"), "97.5 %");
  assert.is(formatMetric(812.4, "ms"), "812 ms");
  assert.is(formatMetric(12_345, "ms"), "12.3 s");
  assert.is(formatMetric(1234, "count"), "1,234");
});

test("turns state names into words and CSS tokens", () => {
  assert.is(humanizeState("ROLLED_BACK"), "rolled back");
  assert.is(stateToken("INSUFFICIENT_DATA"), "insufficient-data");
});

test("a campaign's vehicles without a job wait for a wave while it may admit them, and are not admitted once it is final", () => {
  const labels = Object.fromEntries(Object.values(CAMPAIGN_STATE).map((state) => [state, notAdmittedLabel(state)]));

  assert.equal(labels, {
    DRAFT: "waiting for a wave",
    SCHEDULED: "waiting for a wave",
    RUNNING: "waiting for a wave",
    PAUSED: "waiting for a wave",
    COMPLETED: "not admitted",
    ABORTED: "not admitted",
    CANCELED: "not admitted",
  });
  assert.equal([...FINAL_CAMPAIGN_STATES].sort(), [...TERMINAL_CAMPAIGN_STATES].sort(), "the dashboard's final states are the campaign model's");
});

test("the status line counts parked messages (a counted record stands for many), 'at least' for a listing cut short, and records for an older document", () => {
  assert.is(parkedStatus({ total: 2, messages: 65, complete: true }), "65 parked messages");
  assert.is(parkedStatus({ total: 1, messages: 1, complete: true }), "1 parked message");
  assert.is(parkedStatus({ total: 1000, messages: 4200, complete: false }), "at least 4,200 parked messages");
  assert.is(parkedStatus({ total: 2, complete: true }), "2 parked records", "a document from before messages were counted");
  assert.is(parkedStatus({ total: 0, messages: 0, complete: true }), undefined);
});

test.run();
