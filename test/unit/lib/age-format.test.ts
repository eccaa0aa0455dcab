import { test } from "uvu";
import * as assert from "uvu/assert";
import { ageSeconds, formatAge, formatDuration } from "../../../lib/age-format.js";

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

test("ages in seconds: never negative, undefined when there is no time to read", () => {
  assert.is(ageSeconds(secondsAgo(90), nowMs), 90);
  assert.is(ageSeconds(secondsAgo(-5), nowMs), 0);
  assert.is(ageSeconds("", nowMs), undefined);
  assert.is(ageSeconds(null, nowMs), undefined);
});

test.run();
