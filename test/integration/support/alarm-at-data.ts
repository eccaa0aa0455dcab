/**
 * For integration tests: one of the stack's alarms evaluated by the local cloud at the time of its newest data. An alarm
 * evaluates the period holding the evaluation time (five minutes for the fleet's counters), so evaluated "now" it saw
 * OK instead of ALARM whenever a period boundary passed between the count and the evaluation: the longer the test's
 * steps in between took on a loaded machine, the likelier. CloudWatch evaluates every minute, so on AWS some
 * evaluation falls in the period of the count; this names that time.
 */
import { CloudWatchClient, DescribeAlarmsCommand, GetMetricStatisticsCommand, type MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { LocalCloud } from "../../../local/cloud.js";
import { planAlarm, type MetricToFetch } from "../../../local/runtime/alarms/alarm-plan.js";
import type { AlarmEvaluation } from "../../../local/runtime/index.js";

/** How far back data is looked for: 1-second buckets, under CloudWatch's 1,440 datapoints a request. */
const LOOK_BACK_MS = 20 * 60_000;

async function alarmNamed(cloudwatch: CloudWatchClient, suffix: string): Promise<MetricAlarm | undefined> {
  let nextToken: string | undefined;
  do {
    const page = await cloudwatch.send(new DescribeAlarmsCommand({ NextToken: nextToken, AlarmTypes: ["MetricAlarm"] }));
    const found = page.MetricAlarms?.find((alarm) => alarm.AlarmName?.endsWith(`-${suffix}`));
    if (found) return found;
    nextToken = page.NextToken;
  } while (nextToken);
  return undefined;
}

/** A metric as an alarm reads it: namespace, name and the exact dimensions. */
export type WatchedMetric = Pick<MetricToFetch, "namespace" | "metricName" | "dimensions">;

/** The time (epoch ms) of the newest datapoint of any of the metrics, in the last LOOK_BACK_MS; undefined without one. */
async function newestDataOf(cloudwatch: CloudWatchClient, metrics: readonly WatchedMetric[]): Promise<number | undefined> {
  const nowMs = Date.now();
  let newest: number | undefined;
  for (const metric of metrics) {
    const { Datapoints = [] } = await cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: metric.dimensions,
        StartTime: new Date(nowMs - LOOK_BACK_MS),
        EndTime: new Date(nowMs + 1_000),
        Period: 1,
        Statistics: ["SampleCount"],
      }),
    );
    for (const point of Datapoints) {
      const at = point.Timestamp?.getTime();
      if (at !== undefined && (point.SampleCount ?? 0) > 0) newest = Math.max(newest ?? at, at);
    }
  }
  return newest;
}

/** Evaluates every alarm at the newest datapoint of the metrics `watched` names for the alarm `<prefix>-<suffix>`, returning its evaluation. */
async function evaluateAtDataOf(cloud: LocalCloud, suffix: string, watched: (alarm: MetricAlarm) => readonly WatchedMetric[]): Promise<AlarmEvaluation | undefined> {
  const cloudwatch = new CloudWatchClient(cloud.clientConfig);
  try {
    const alarm = await alarmNamed(cloudwatch, suffix);
    if (!alarm) return undefined;
    const evaluations = await cloud.runtime!.evaluateAlarms(await newestDataOf(cloudwatch, watched(alarm)));
    return evaluations.find((evaluation) => evaluation.alarmName === alarm.AlarmName);
  } finally {
    cloudwatch.destroy();
  }
}

/**
 * Evaluates every alarm as CloudWatch would at the newest datapoint of the metrics of the alarm named `<prefix>-<suffix>`
 * (now, when it has none), and returns that alarm's evaluation; undefined when the stack has no such alarm.
 *
 * @example
 * import { ALARM_SUFFIX } from "../../../contracts/metrics.js";
 * const evaluated = await evaluateAlarmAtItsData(cloud, ALARM_SUFFIX.CommandOffCommandQueue);
 * evaluated?.state; // "ALARM" once a command was parked off the command queue in the last 20 minutes
 */
export async function evaluateAlarmAtItsData(cloud: LocalCloud, suffix: string): Promise<AlarmEvaluation | undefined> {
  return evaluateAtDataOf(cloud, suffix, (alarm) => planAlarm(alarm).metrics);
}

/**
 * Like evaluateAlarmAtItsData, but at the newest datapoint of `metrics`, which the alarm need not read: to see it stay
 * quiet at the time other data came in.
 *
 * @example
 * const quiet = await evaluateAlarmAtDataOf(cloud, "reports-on-ended-jobs", [{ namespace: "FleetOTA", metricName: "OTAUpdates/JobEventsRefused", dimensions: [{ Name: "Reason", Value: "report-on-canceled-job" }] }]);
 * quiet?.state; // "OK": reports on canceled jobs are not what it counts
 */
export async function evaluateAlarmAtDataOf(cloud: LocalCloud, suffix: string, metrics: readonly WatchedMetric[]): Promise<AlarmEvaluation | undefined> {
  return evaluateAtDataOf(cloud, suffix, () => metrics);
}
