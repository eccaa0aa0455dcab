import { test } from "uvu";
import * as assert from "uvu/assert";
import { CAMPAIGN_STATE, TERMINAL_CAMPAIGN_STATES } from "../../../campaigns/model.js";
import { FINAL_CAMPAIGN_STATES, formatAge, formatCount, formatDuration, formatMetric, formatShare, humanizeState, notAdmittedLabel, stateToken } from "../../../web/src/format.js";

const nowMs = Date.parse("2026-11-26T18:00:00.000Z");
const secondsAgo = (seconds: number) => new Date(nowMs - seconds * 1000).toISOString();

test("formats ages the way a person reads them", () => {
  assert.is(formatAge(secondsAgo(12), nowMs), "12 s ago");
  assert.is(formatAge(secondsAgo(7 * 60 + 5), nowMs), "7 min ago");
  assert.is(formatAge(secondsAgo(3 * 3600 + 5 * 60), nowMs), "3 h 5 min ago");
  assert.is(formatAge(secondsAgo(-30), nowMs), "just now");
  assert.is(formatAge("not a time", nowMs), "unknown");
  assert.is(formatAge(undefined, nowMs), "unknown");
});

test("formats durations across units", () => {
  assert.is(formatDuration(0), "0 s");
  assert.is(formatDuration(59.6), "1 min");
  assert.is(formatDuration(7200), "2 h");
  assert.is(formatDuration(2 * 86400 + 4 * 3600), "2 d 4 h");
  assert.is(formatDuration(null), "—");
});

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

test.run();
