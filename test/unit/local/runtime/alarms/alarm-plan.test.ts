import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { UnsupportedAlarmError } from "../../../../../local/runtime/errors.js";
import { alarmValues, planAlarm } from "../../../../../local/runtime/alarms/alarm-plan.js";
import type { PeriodStats } from "../../../../../local/runtime/alarms/evaluate.js";

function alarm(overrides: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: "fleetota-dev-telemetry-dlq-depth",
    Namespace: "AWS/SQS",
    MetricName: "ApproximateNumberOfMessagesVisible",
    Dimensions: [{ Name: "QueueName", Value: "fleetota-dev-telemetry-dlq" }],
    Statistic: "Maximum",
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 0,
    ComparisonOperator: "GreaterThanThreshold",
    ...overrides,
  };
}

function stats(...values: number[]): PeriodStats {
  return { sampleCount: values.length, sum: values.reduce((a, b) => a + b, 0), minimum: Math.min(...values), maximum: Math.max(...values) };
}

const failureRate = alarm({
  AlarmName: "fleetota-dev-update-failure-rate",
  Namespace: undefined,
  MetricName: undefined,
  Statistic: undefined,
  Period: undefined,
  Dimensions: undefined,
  Metrics: [
    { Id: "failed", MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: "OTAUpdates/Failed" }, Period: 300, Stat: "Sum" }, ReturnData: false },
    { Id: "succeeded", MetricStat: { Metric: { Namespace: "FleetOTA", MetricName: "OTAUpdates/Succeeded" }, Period: 300, Stat: "Sum" }, ReturnData: false },
    { Id: "attempts", Expression: "failed + FILL(succeeded, 0)", ReturnData: false },
    { Id: "rate", Expression: "100 * failed / attempts", ReturnData: true },
  ],
});

test("a single-metric alarm fetches its metric with its statistic and dimensions", () => {
  const plan = planAlarm(alarm());
  assert.is(plan.periodSeconds, 60);
  assert.equal(plan.metrics, [
    { id: "m", namespace: "AWS/SQS", metricName: "ApproximateNumberOfMessagesVisible", dimensions: [{ Name: "QueueName", Value: "fleetota-dev-telemetry-dlq" }], statistic: "Maximum" },
  ]);
  assert.equal(alarmValues(plan, new Map([["m", [undefined, stats(1, 4)]]])), [undefined, 4]);
});

test("a metric-math alarm evaluates nested expressions period by period", () => {
  const plan = planAlarm(failureRate);
  assert.is(plan.periodSeconds, 300);
  assert.equal(plan.metrics.map((metric) => metric.id), ["failed", "succeeded"]);
  const values = alarmValues(plan, new Map([
    ["failed", [stats(1, 2), stats(5), undefined]],
    ["succeeded", [stats(7), undefined, stats(3)]],
  ]));
  assert.equal(values, [30, 100, undefined]);
});

for (const [label, overrides, why] of [
  ["a percentile", { Statistic: undefined, ExtendedStatistic: "p99" }, "p99"],
  ["anomaly detection", { ComparisonOperator: "LessThanLowerOrGreaterThanUpperThreshold" }, "anomaly detection"],
  ["an unsupported function", { Metrics: [{ Id: "e1", Expression: "RATE(m1)", ReturnData: true, Period: 60 }] }, "RATE"],
  ["a percentile in a metric query", { Metrics: [{ Id: "m1", MetricStat: { Metric: { Namespace: "N", MetricName: "M" }, Period: 60, Stat: "p90" }, ReturnData: true }] }, "p90"],
  ["no returned query", { Metrics: [{ Id: "m1", MetricStat: { Metric: { Namespace: "N", MetricName: "M" }, Period: 60, Stat: "Sum" }, ReturnData: false }, { Id: "e1", Expression: "m1", ReturnData: false }] }, "ReturnData"],
  ["an unknown id", { Metrics: [{ Id: "e1", Expression: "m9 * 2", ReturnData: true, Period: 60 }] }, "m9"],
] as const) {
  test(`${label} is refused with the reason`, () => {
    assert.throws(
      () => planAlarm(alarm(overrides as Partial<MetricAlarm>)),
      (error: unknown) => error instanceof UnsupportedAlarmError && error.message.includes(why),
    );
  });
}

test.run();
