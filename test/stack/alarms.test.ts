import { test } from "uvu";
import * as assert from "uvu/assert";
import measuredProfile from "../../cost/measured-profile.json" with { type: "json" };
import { METRIC } from "../../contracts/metrics.js";
import { FLEET_DROP_REASON } from "../../telemetry/aggregate.js";
import { FUNCTION } from "../../modules/fleet-functions.js";
import { DEPLOY_TARGET } from "../../modules/stack-config.js";
import { evaluateMetricMath, parseMetricMath } from "../../local/runtime/alarms/metric-math.js";
import { ref, synthStack } from "./support/synth.js";

const PREFIX = "fleetota-alarmtest";
const stack = synthStack({ namePrefix: PREFIX });
const alarms = Object.values(stack.resources("aws_cloudwatch_metric_alarm")) as Array<Record<string, any>>;
const topicArn = ref("aws_sns_topic", "alarm_topic", "arn");

function alarmsOn(namespace: string, metricName: string): Array<Record<string, any>> {
  return alarms.filter((alarm) => alarm.namespace === namespace && alarm.metric_name === metricName);
}

function queueNameRef(queue: string): string {
  return ref("aws_sqs_queue", queue, "name");
}

test("queue depth and age of oldest message are watched on every work queue, the command queue too", () => {
  for (const metric of ["ApproximateNumberOfMessagesVisible", "ApproximateAgeOfOldestMessage"]) {
    const watched = alarmsOn("AWS/SQS", metric).map((alarm) => alarm.dimensions.QueueName);
    for (const queue of ["telemetry_queue", "update_queue", "command_queue"]) assert.ok(watched.includes(queueNameRef(queue)), `${metric} on ${queue}`);
  }
  const names = alarms.map((alarm) => alarm.alarm_name);
  for (const suffix of ["command-queue-depth", "command-queue-age", "command-dlq-not-empty"]) assert.ok(names.includes(`${PREFIX}-${suffix}`), suffix);
});

test("R15-Q2: each DLQ alarms as soon as it holds one message, visible or in flight (a receive's own visibility timeout of up to 12 h, which no policy can bound, hides no letter from it)", () => {
  for (const label of ["telemetry", "update", "command"]) {
    const dlq = `${label}_dlq`;
    const alarm = alarms.find((candidate) => candidate.alarm_name === `${PREFIX}-${label}-dlq-not-empty`);
    assert.ok(alarm, `${dlq} alarm`);
    assert.equal([alarm.comparison_operator, alarm.threshold, alarm.evaluation_periods, alarm.treat_missing_data], ["GreaterThanThreshold", 0, 1, "notBreaching"], dlq);
    const queries = alarm.metric_query as Array<Record<string, any>>;
    assert.ok(queries, `${dlq}: metric math`);
    const idOf = (metricName: string) => {
      const found = queries.filter((query) => query.metric?.metric_name === metricName);
      assert.is(found.length, 1, `${dlq}: ${metricName}`);
      assert.equal([found[0]!.metric.namespace, found[0]!.metric.dimensions, found[0]!.metric.stat, found[0]!.metric.period], ["AWS/SQS", { QueueName: queueNameRef(dlq) }, "Maximum", 60], `${dlq}: ${metricName}`);
      return found[0]!.id as string;
    };
    const visible = idOf("ApproximateNumberOfMessagesVisible");
    const inFlight = idOf("ApproximateNumberOfMessagesNotVisible");
    const returned = queries.filter((query) => query.return_data === true);
    assert.is(returned.length, 1, dlq);
    // The alarm's value as the local evaluator (and CloudWatch) computes it: over the threshold whenever either count is.
    const expression = parseMetricMath(returned[0]!.expression);
    const valueWith = (counts: Record<string, number | undefined>) => evaluateMetricMath(expression, (id) => counts[id]);
    assert.is(valueWith({ [visible]: 0, [inFlight]: 3 }), 3, `${dlq}: letters hidden by a receive`);
    assert.is(valueWith({ [visible]: 2, [inFlight]: 0 }), 2, `${dlq}: visible letters`);
    assert.is(valueWith({ [visible]: undefined, [inFlight]: 1 }), 1, `${dlq}: no visible datapoint`);
    assert.is(valueWith({ [visible]: 0, [inFlight]: 0 }), 0, `${dlq}: empty`);
  }
});

test("the update failure rate is metric math over the manager's own counters, above 5 %, with a minimum-sample guard", () => {
  const alarm = alarms.find((candidate) => candidate.alarm_name === `${PREFIX}-update-failure-rate`);
  assert.ok(alarm);
  const queries = alarm.metric_query as Array<Record<string, any>>;
  const metricNames = queries.filter((query) => query.metric).map((query) => query.metric.metric_name).sort();
  const returned = queries.filter((query) => query.return_data === true);

  assert.equal(metricNames, [METRIC.UpdatesFailed, METRIC.UpdatesRolledBack, METRIC.UpdatesSucceeded, METRIC.UpdatesTimedOut].sort());
  assert.ok(queries.filter((query) => query.metric).every((query) => query.metric.namespace === "FleetOTA" && query.metric.stat === "Sum"));
  assert.is(returned.length, 1);
  assert.match(returned[0]!.expression, /IF\(finished >= \d+/);
  assert.is(alarm.threshold, 5);
  assert.is(alarm.comparison_operator, "GreaterThanThreshold");
});

test("telemetry processing latency alarms above the 20 s batching window plus 10 s on AWS, above 5 s on the local target (1 s window)", () => {
  const [alarm] = alarmsOn("FleetOTA", METRIC.ProcessingLatency);
  const local = synthStack({ namePrefix: PREFIX, target: DEPLOY_TARGET.local });
  const localAlarm = Object.values(local.resources("aws_cloudwatch_metric_alarm")).find((candidate) => (candidate as Record<string, any>).metric_name === METRIC.ProcessingLatency) as
    | Record<string, any>
    | undefined;

  assert.ok(alarm);
  assert.is(alarm.threshold, 30_000);
  assert.is(alarm.comparison_operator, "GreaterThanThreshold");
  assert.is(localAlarm?.threshold, 5000);
});

test("connectivity alarms below 80 % of the fleet, from the rate or from a configured fleet size", () => {
  const [byRate] = alarmsOn("FleetOTA", METRIC.ConnectivityRate);
  const sized = synthStack({ namePrefix: PREFIX, fleetSize: 250 });
  const bySize = sized.resource("aws_cloudwatch_metric_alarm", "alarm_fleet_connectivity") as Record<string, any>;
  const expression = (bySize.metric_query as Array<Record<string, any>>).find((query) => query.return_data === true);

  assert.ok(byRate);
  assert.is(byRate.threshold, 80);
  assert.is(byRate.comparison_operator, "LessThanThreshold");
  assert.is(bySize.threshold, 80);
  assert.is(bySize.comparison_operator, "LessThanThreshold");
  assert.match(expression!.expression, /\/ 250$/);
  assert.ok((bySize.metric_query as Array<Record<string, any>>).some((query) => query.metric?.metric_name === METRIC.VehiclesOnline));
});

test("a candidate the registry refuses alarms at once, for either reason: a description unlike its registration, or no registered vehicle thing (only a vehicle's own object makes a candidate)", () => {
  const watching = alarms.filter((alarm) => (alarm.metric_query as Array<Record<string, any>> | undefined)?.some((query) => query.metric?.metric_name === METRIC.CandidatesRefused));
  assert.is(watching.length, 1);
  const [alarm] = watching;
  assert.is(alarm!.alarm_name, `${PREFIX}-candidates-refused`);
  const queries = alarm!.metric_query as Array<Record<string, any>>;
  const watched = queries.filter((query) => query.metric).map((query) => [query.id, query.metric.dimensions, query.metric.stat, query.metric.period, query.metric.namespace]);
  // The dimensions the update manager publishes (update-tally), so the alarm sees the metric.
  assert.equal(watched, [
    ["mismatch", { Reason: "description-mismatch" }, "Sum", 300, "FleetOTA"],
    ["unregistered", { Reason: "unregistered" }, "Sum", 300, "FleetOTA"],
  ]);
  const returned = queries.filter((query) => query.return_data === true);
  // FILL: a five minutes with refusals of one reason only still sums (CloudWatch's `+` has no value where either series has none).
  assert.equal(returned.map((query) => query.expression), ["FILL(mismatch, 0) + FILL(unregistered, 0)"]);
  assert.is(alarm!.comparison_operator, "GreaterThanOrEqualToThreshold");
  assert.is(alarm!.threshold, 1, "one refused candidate is enough");
  assert.is(alarm!.treat_missing_data, "notBreaching");
});

test("every function has an Errors and a Throttles alarm", () => {
  for (const shortName of Object.values(FUNCTION)) {
    const functionName = ref("aws_lambda_function", shortName.replace(/-/g, "_"), "function_name");
    for (const metric of ["Errors", "Throttles"]) {
      assert.ok(
        alarmsOn("AWS/Lambda", metric).some((alarm) => alarm.dimensions.FunctionName === functionName),
        `${metric} alarm for ${shortName}`,
      );
    }
  }
});

test("every alarm carries the prefix and notifies the alarm topic on alarm and on recovery", () => {
  assert.is(stack.resource("aws_sns_topic", "alarm_topic").name, `${PREFIX}-alarms`);
  for (const alarm of alarms) {
    assert.ok(alarm.alarm_name.startsWith(`${PREFIX}-`), alarm.alarm_name);
    assert.equal(alarm.alarm_actions, [topicArn]);
    assert.equal(alarm.ok_actions, [topicArn]);
  }
  assert.is(new Set(alarms.map((alarm) => alarm.alarm_name)).size, alarms.length, "alarm names are unique");
});

test("thresholds come from the stack props", () => {
  const custom = synthStack({ alarms: { updateFailureRatePercent: 2, queueDepthMessages: 42 } });

  assert.is(custom.resource("aws_cloudwatch_metric_alarm", "alarm_update_failure_rate").threshold, 2);
  assert.is(custom.resource("aws_cloudwatch_metric_alarm", "alarm_telemetry_queue_depth").threshold, 42);
});

test("a full fleet state alarms at once, on the dimension the processor and the publisher publish", () => {
  const [alarm, ...more] = alarmsOn("FleetOTA", METRIC.FleetStateEntriesDropped);

  assert.equal(more, []);
  assert.is(alarm!.alarm_name, `${PREFIX}-fleet-state-full`);
  assert.equal(alarm!.dimensions, { Reason: FLEET_DROP_REASON.OverCap });
  assert.equal([alarm!.statistic, alarm!.period, alarm!.threshold, alarm!.comparison_operator, alarm!.treat_missing_data], ["Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
});

test("a failed job document withdrawal alarms at once, on the metric the update manager publishes without dimensions", () => {
  const [alarm, ...more] = alarmsOn("FleetOTA", METRIC.WithdrawalsFailed);

  assert.equal(more, []);
  assert.is(alarm!.alarm_name, `${PREFIX}-withdrawals-failed`);
  assert.is(alarm!.dimensions, undefined);
  assert.equal([alarm!.statistic, alarm!.period, alarm!.threshold, alarm!.comparison_operator, alarm!.treat_missing_data], ["Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
});

/** The alarms on Reliability/MessagesParked for one source and reason. */
function parkedAlarms(source: string, reason: string): Array<Record<string, any>> {
  return alarmsOn("FleetOTA", METRIC.MessagesParked).filter((alarm) => alarm.dimensions?.Source === source && alarm.dimensions?.Reason === reason);
}

test("a command parked off the command queue alarms at once, on the update manager's MessagesParked with the dimensions it publishes", () => {
  const [alarm, ...more] = parkedAlarms("update-manager", "command-off-command-queue");

  assert.equal(more, []);
  assert.is(alarm!.alarm_name, `${PREFIX}-command-off-command-queue`);
  // The dimensions ParkedTally.metricData publishes (Source, Reason): an alarm on another set would never see a datapoint.
  assert.equal(alarm!.dimensions, { Source: "update-manager", Reason: "command-off-command-queue" });
  assert.equal([alarm!.statistic, alarm!.period, alarm!.threshold, alarm!.comparison_operator, alarm!.treat_missing_data], ["Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
});

test("an object parked object-unreadable alarms at once, on the telemetry processor's MessagesParked with the dimensions it publishes, notifying the alarm topic", () => {
  const [alarm, ...more] = parkedAlarms("telemetry-processor", "object-unreadable");

  assert.equal(more, []);
  assert.is(alarm!.alarm_name, `${PREFIX}-object-unreadable`);
  // The dimensions ParkedTally.metricData publishes for the processor's parks: an alarm on another set would never see a datapoint.
  assert.equal(alarm!.dimensions, { Source: "telemetry-processor", Reason: "object-unreadable" });
  assert.equal([alarm!.statistic, alarm!.period, alarm!.threshold, alarm!.comparison_operator, alarm!.treat_missing_data], ["Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
  const parkedOnMessagesParked = alarmsOn("FleetOTA", METRIC.MessagesParked).map((each) => each.alarm_name).sort();
  assert.equal(parkedOnMessagesParked, [`${PREFIX}-command-off-command-queue`, `${PREFIX}-object-unreadable`], "no other alarm reads MessagesParked");
  assert.equal([alarm!.alarm_actions, alarm!.ok_actions], [[topicArn], [topicArn]], "the alarm topic, as every alarm");
});

/** The alarm named `<prefix>-<suffix>`. */
function alarmNamed(suffix: string): Record<string, any> | undefined {
  return alarms.find((alarm) => alarm.alarm_name === `${PREFIX}-${suffix}`);
}

test("status reports no honest agent sends alarm at the first one held back, on the Reasons the processor publishes; older-attempt and too-many-jobs, which honest vehicles send, do not count", () => {
  const alarm = alarmNamed("status-reports-forged");
  assert.ok(alarm, "the alarm exists");
  assert.equal([alarm!.comparison_operator, alarm!.threshold, alarm!.evaluation_periods, alarm!.treat_missing_data], ["GreaterThanOrEqualToThreshold", 1, 1, "notBreaching"]);
  assert.equal([alarm!.alarm_actions, alarm!.ok_actions], [[topicArn], [topicArn]], "the alarm topic, as every alarm");
  const queries = alarm!.metric_query as Array<Record<string, any>>;
  const read = queries.filter((query) => query.metric);
  // The metric and dimension HeldBackTally.metricData publishes (Reason only): another set would never see a datapoint.
  for (const query of read) {
    assert.equal([query.metric.namespace, query.metric.metric_name, Object.keys(query.metric.dimensions), query.metric.stat, query.metric.period], ["FleetOTA", METRIC.StatusReportsHeldBack, ["Reason"], "Sum", 300]);
  }
  const reasonOf = new Map(read.map((query) => [query.id as string, query.metric.dimensions.Reason as string]));
  assert.equal([...reasonOf.values()].sort(), ["other-vehicle", "too-many-reports", "unknown-campaign"]);
  const returned = queries.filter((query) => query.return_data === true);
  assert.is(returned.length, 1);
  // The alarm's value as the local evaluator (and CloudWatch) computes it from the counts by reason.
  const expression = parseMetricMath(returned[0]!.expression);
  const valueWith = (counts: Record<string, number>) => evaluateMetricMath(expression, (id) => counts[reasonOf.get(id)!]);
  assert.is(valueWith({ "other-vehicle": 1 }), 1, "one other vehicle's report is enough");
  assert.is(valueWith({ "unknown-campaign": 64, "too-many-reports": 3 }), 67);
  assert.is(valueWith({}), 0, "no datapoint of any: 0, under the threshold");
});

test("reports on a job its vehicle ended alarm at the first, on the update manager's JobEventsRefused by the Reason it publishes; reports on canceled jobs and refused retries do not", () => {
  const [alarm, ...more] = alarmsOn("FleetOTA", METRIC.JobEventsRefused);

  assert.equal(more, [], "one alarm reads JobEventsRefused");
  assert.is(alarm!.alarm_name, `${PREFIX}-reports-on-ended-jobs`);
  // The dimension UpdateTally.metricData publishes (Reason), for report-on-ended-job only.
  assert.equal(alarm!.dimensions, { Reason: "report-on-ended-job" });
  assert.equal([alarm!.statistic, alarm!.period, alarm!.threshold, alarm!.comparison_operator, alarm!.treat_missing_data], ["Sum", 300, 1, "GreaterThanOrEqualToThreshold", "notBreaching"]);
  assert.equal([alarm!.alarm_actions, alarm!.ok_actions], [[topicArn], [topicArn]], "the alarm topic, as every alarm");
});

test("the cost model's profile prices the stack's alarm metrics (a metric-math alarm counts each metric it reads, as bench/cost.bench.ts counts them)", () => {
  const alarmMetrics = alarms.reduce((sum, alarm) => sum + Math.max(1, ((alarm.metric_query as Array<Record<string, any>> | undefined) ?? []).filter((query) => query.metric).length), 0);

  assert.is(measuredProfile.alarmMetrics, alarmMetrics);
});

test.run();
