import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  aggregateIntoPeriods,
  decideAlarmState,
  evaluationWindow,
  statisticValue,
  type AlarmRule,
  type TimedStats,
} from "../../../../../local/runtime/alarms/evaluate.js";

function rule(overrides: Partial<AlarmRule> = {}): AlarmRule {
  return { comparisonOperator: "GreaterThanThreshold", threshold: 5, evaluationPeriods: 3, ...overrides };
}

function sample(timestampMs: number, value: number): TimedStats {
  return { timestampMs, sampleCount: 1, sum: value, minimum: value, maximum: value };
}

test("the window is the aligned periods ending with the one containing now", () => {
  const now = Date.parse("2026-01-01T00:02:30Z");
  assert.equal(evaluationWindow(now, 60, 3).map((start) => new Date(start).toISOString()), [
    "2026-01-01T00:00:00.000Z",
    "2026-01-01T00:01:00.000Z",
    "2026-01-01T00:02:00.000Z",
  ]);
});

test("samples merge into their periods; every statistic is computed from the merged samples", () => {
  const [first, second, third] = evaluationWindow(Date.parse("2026-01-01T00:02:30Z"), 60, 3) as [number, number, number];
  const periods = aggregateIntoPeriods([sample(first + 1000, 2), sample(first + 59_000, 6), sample(third + 10, 1)], [first, second, third], 60);
  assert.is(periods[1], undefined, "an empty period is missing");
  assert.is(statisticValue(periods[0], "Sum"), 8);
  assert.is(statisticValue(periods[0], "Average"), 4);
  assert.is(statisticValue(periods[0], "Minimum"), 2);
  assert.is(statisticValue(periods[0], "Maximum"), 6);
  assert.is(statisticValue(periods[0], "SampleCount"), 2);
  assert.is(statisticValue(periods[2], "Sum"), 1);
});

// Rows of CloudWatch's "M out of N" table, 3 of 3 unless noted; X breaching, 0 not, - missing.
for (const [label, values, overrides, current, expected] of [
  ["X X X", [9, 9, 9], {}, "OK", "ALARM"],
  ["0 X X", [1, 9, 9], {}, "OK", "OK"],
  ["0 X X, 2 of 3", [1, 9, 9], { datapointsToAlarm: 2 }, "OK", "ALARM"],
  ["- - -, missing", [undefined, undefined, undefined], {}, "OK", "INSUFFICIENT_DATA"],
  ["- - -, ignore keeps ALARM", [undefined, undefined, undefined], { treatMissingData: "ignore" }, "ALARM", "ALARM"],
  ["- - -, breaching", [undefined, undefined, undefined], { treatMissingData: "breaching" }, "OK", "ALARM"],
  ["- - -, notBreaching", [undefined, undefined, undefined], { treatMissingData: "notBreaching" }, "ALARM", "OK"],
  ["X - X, breaching", [9, undefined, 9], { treatMissingData: "breaching" }, "OK", "ALARM"],
  ["X - X, missing", [9, undefined, 9], {}, "OK", "OK"],
  ["0 - -, missing", [1, undefined, undefined], {}, "ALARM", "OK"],
] as const) {
  test(`state decision: ${label} → ${expected}`, () => {
    const decision = decideAlarmState(rule(overrides as Partial<AlarmRule>), [...values], current);
    assert.is(decision.state, expected);
  });
}

test("each comparison operator compares against the threshold", () => {
  const state = (comparisonOperator: AlarmRule["comparisonOperator"], value: number) =>
    decideAlarmState(rule({ comparisonOperator, evaluationPeriods: 1 }), [value], "OK").state;
  assert.is(state("GreaterThanThreshold", 5), "OK");
  assert.is(state("GreaterThanOrEqualToThreshold", 5), "ALARM");
  assert.is(state("LessThanThreshold", 5), "OK");
  assert.is(state("LessThanOrEqualToThreshold", 5), "ALARM");
});

test("the reason names the datapoints and the threshold", () => {
  const decision = decideAlarmState(rule({ evaluationPeriods: 2 }), [7, 8], "OK");
  assert.match(decision.reason, "2 out of the last 2 datapoints [7, 8] were greater than the threshold (5)");
});

test.run();
