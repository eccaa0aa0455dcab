import { test } from "uvu";
import * as assert from "uvu/assert";
import type { MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { actionsFor, alarmNotification } from "../../../../../local/runtime/alarms/notification.js";

function alarm(overrides: Partial<MetricAlarm> = {}): MetricAlarm {
  return {
    AlarmName: "fleetota-dev-telemetry-queue-age",
    AlarmArn: "arn:aws:cloudwatch:us-east-1:123456789012:alarm:fleetota-dev-telemetry-queue-age",
    AlarmDescription: "Oldest telemetry message older than 5 minutes",
    Namespace: "AWS/SQS",
    MetricName: "ApproximateAgeOfOldestMessage",
    Dimensions: [{ Name: "QueueName", Value: "fleetota-dev-telemetry" }],
    Statistic: "Maximum",
    Period: 60,
    EvaluationPeriods: 5,
    DatapointsToAlarm: 3,
    Threshold: 300,
    ComparisonOperator: "GreaterThanThreshold",
    AlarmActions: ["arn:aws:sns:us-east-1:123456789012:fleetota-dev-alarms"],
    OKActions: ["arn:aws:sns:us-east-1:123456789012:fleetota-dev-alarms"],
    ...overrides,
  };
}

const change = { oldState: "OK", newState: "ALARM", reason: "Threshold Crossed", changedAt: new Date("2026-01-01T10:00:00.000Z") } as const;

test("the notification carries CloudWatch's fields and trigger", () => {
  const { subject, message } = alarmNotification(alarm(), change, "123456789012", "us-east-1");
  const body = JSON.parse(message) as Record<string, unknown>;
  assert.is(subject, 'ALARM: "fleetota-dev-telemetry-queue-age" in US East (N. Virginia)');
  assert.is(body.NewStateValue, "ALARM");
  assert.is(body.OldStateValue, "OK");
  assert.is(body.StateChangeTime, "2026-01-01T10:00:00.000+0000");
  assert.is(body.Region, "US East (N. Virginia)");
  assert.is(body.AWSAccountId, "123456789012");
  assert.equal(body.Trigger, {
    MetricName: "ApproximateAgeOfOldestMessage",
    Namespace: "AWS/SQS",
    StatisticType: "Statistic",
    Statistic: "MAXIMUM",
    Unit: null,
    Dimensions: [{ value: "fleetota-dev-telemetry", name: "QueueName" }],
    Period: 60,
    EvaluationPeriods: 5,
    DatapointsToAlarm: 3,
    ComparisonOperator: "GreaterThanThreshold",
    Threshold: 300,
    TreatMissingData: "missing",
    EvaluateLowSampleCountPercentile: "",
  });
});

test("a long subject is cut to SNS's 100 characters", () => {
  const { subject } = alarmNotification(alarm({ AlarmName: "x".repeat(120) }), change, "123456789012", "us-east-1");
  assert.is(subject.length, 100);
});

test("the actions follow the new state, and none when actions are disabled", () => {
  const topic = ["arn:aws:sns:us-east-1:123456789012:fleetota-dev-alarms"];
  assert.equal(actionsFor(alarm(), "ALARM"), topic);
  assert.equal(actionsFor(alarm(), "OK"), topic);
  assert.equal(actionsFor(alarm(), "INSUFFICIENT_DATA"), []);
  assert.equal(actionsFor(alarm({ ActionsEnabled: false }), "ALARM"), []);
});

test.run();
