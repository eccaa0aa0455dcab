import { test } from "uvu";
import * as assert from "uvu/assert";
import { ScheduleExpressionError } from "../../../../../local/runtime/errors.js";
import { nextFireTime, parseScheduleExpression } from "../../../../../local/runtime/schedule/expression.js";

const at = (iso: string): number => Date.parse(iso);
const next = (expression: string, after: string): string | undefined => {
  const time = nextFireTime(parseScheduleExpression(expression), at(after));
  return time === undefined ? undefined : new Date(time).toISOString();
};

test("rate expressions in minutes, hours and days", () => {
  assert.equal(parseScheduleExpression("rate(1 minute)"), { kind: "rate", everyMs: 60_000 });
  assert.equal(parseScheduleExpression("rate(5 minutes)"), { kind: "rate", everyMs: 300_000 });
  assert.equal(parseScheduleExpression("rate(2 hours)"), { kind: "rate", everyMs: 7_200_000 });
  assert.equal(parseScheduleExpression("rate(1 day)"), { kind: "rate", everyMs: 86_400_000 });
});

test("a rate schedule fires one period after its anchor, then every period", () => {
  const schedule = parseScheduleExpression("rate(5 minutes)");
  const anchor = at("2026-01-01T00:00:00Z");
  assert.is(nextFireTime(schedule, anchor, anchor), anchor + 300_000);
  assert.is(nextFireTime(schedule, anchor + 300_000, anchor), anchor + 600_000);
  assert.is(nextFireTime(schedule, anchor + 301_000, anchor), anchor + 600_000);
});

for (const bad of ["rate(1 minutes)", "rate(5 minute)", "rate(0 minutes)", "rate(five minutes)", "rate(1 week)", "every(1 minute)"]) {
  test(`"${bad}" is refused`, () => {
    assert.throws(() => parseScheduleExpression(bad), (error: unknown) => error instanceof ScheduleExpressionError && error.message.includes(bad));
  });
}

test("cron fires on the next matching minute, in UTC", () => {
  assert.is(next("cron(30 2 * * ? *)", "2026-01-01T03:00:00Z"), "2026-01-02T02:30:00.000Z");
  assert.is(next("cron(30 2 * * ? *)", "2026-01-01T02:29:59Z"), "2026-01-01T02:30:00.000Z");
  assert.is(next("cron(* * * * ? *)", "2026-01-01T00:00:00Z"), "2026-01-01T00:01:00.000Z");
});

test("cron steps, ranges and lists", () => {
  assert.is(next("cron(0/15 * * * ? *)", "2026-01-01T00:16:00Z"), "2026-01-01T00:30:00.000Z");
  assert.is(next("cron(*/20 8-9 * * ? *)", "2026-01-01T09:41:00Z"), "2026-01-02T08:00:00.000Z");
  assert.is(next("cron(0 6,18 * * ? *)", "2026-01-01T07:00:00Z"), "2026-01-01T18:00:00.000Z");
});

test("cron day of week counts SUN as 1 and accepts names", () => {
  // 2026-01-01 is a Thursday
  assert.is(next("cron(0 12 ? * MON-FRI *)", "2026-01-02T13:00:00Z"), "2026-01-05T12:00:00.000Z");
  assert.is(next("cron(0 12 ? * 1 *)", "2026-01-01T00:00:00Z"), "2026-01-04T12:00:00.000Z");
  assert.is(next("cron(0 12 ? * SUN *)", "2026-01-01T00:00:00Z"), "2026-01-04T12:00:00.000Z");
});

test("cron day of month, month names and year", () => {
  assert.is(next("cron(0 0 29 FEB ? *)", "2026-03-01T00:00:00Z"), "2028-02-29T00:00:00.000Z");
  assert.is(next("cron(0 0 1 JAN ? 2027)", "2026-06-01T00:00:00Z"), "2027-01-01T00:00:00.000Z");
  assert.is(next("cron(0 0 1 JAN ? 2025)", "2026-06-01T00:00:00Z"), undefined, "a year in the past never fires");
});

for (const [bad, why] of [
  ["cron(0 12 * * *)", "6 fields"],
  ["cron(0 12 * * * *)", "exactly one of day-of-month and day-of-week"],
  ["cron(0 12 ? * ? *)", "exactly one of day-of-month and day-of-week"],
  ["cron(0 12 L * ? *)", "L, W or #"],
  ["cron(0 12 ? * 2#1 *)", "L, W or #"],
  ["cron(60 12 * * ? *)", "outside 0-59"],
  ["cron(0 12 ? * 0 *)", "outside 1-7"],
  ["cron(0 18-6 * * ? *)", "runs backwards"],
] as const) {
  test(`"${bad}" is refused: ${why}`, () => {
    assert.throws(() => parseScheduleExpression(bad), (error: unknown) => error instanceof ScheduleExpressionError && error.message.includes(why));
  });
}

test("WED and JUL are names, not W and L", () => {
  assert.is(next("cron(0 0 ? JUL WED *)", "2026-07-01T00:00:00Z"), "2026-07-08T00:00:00.000Z");
});

test.run();
