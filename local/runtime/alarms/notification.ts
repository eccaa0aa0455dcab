import type { Dimension, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import type { AlarmState } from "./evaluate.js";

/** CloudWatch names the region in words in alarm notifications. */
const REGION_NAMES: Record<string, string> = {
  "us-east-1": "US East (N. Virginia)",
  "us-east-2": "US East (Ohio)",
  "us-west-1": "US West (N. California)",
  "us-west-2": "US West (Oregon)",
  "eu-west-1": "EU (Ireland)",
  "eu-west-2": "EU (London)",
  "eu-west-3": "EU (Paris)",
  "eu-central-1": "EU (Frankfurt)",
  "eu-north-1": "EU (Stockholm)",
  "ap-northeast-1": "Asia Pacific (Tokyo)",
  "ap-southeast-1": "Asia Pacific (Singapore)",
  "ap-southeast-2": "Asia Pacific (Sydney)",
};

export interface StateChange {
  oldState: AlarmState;
  newState: AlarmState;
  reason: string;
  changedAt: Date;
}

function lowerDimensions(dimensions: Dimension[] | undefined): Array<{ value?: string; name?: string }> {
  return (dimensions ?? []).map((dimension) => ({ value: dimension.Value, name: dimension.Name }));
}

function trigger(alarm: MetricAlarm): Record<string, unknown> {
  const common = {
    Period: alarm.Period,
    EvaluationPeriods: alarm.EvaluationPeriods,
    DatapointsToAlarm: alarm.DatapointsToAlarm ?? alarm.EvaluationPeriods,
    ComparisonOperator: alarm.ComparisonOperator,
    Threshold: alarm.Threshold,
    TreatMissingData: alarm.TreatMissingData ?? "missing",
    EvaluateLowSampleCountPercentile: alarm.EvaluateLowSampleCountPercentile ?? "",
  };
  if (alarm.Metrics?.length) {
    return {
      Metrics: alarm.Metrics.map((query) => ({
        Id: query.Id,
        ...(query.Label ? { Label: query.Label } : {}),
        ReturnData: query.ReturnData ?? false,
        ...(query.Expression ? { Expression: query.Expression } : {}),
        ...(query.MetricStat
          ? {
              MetricStat: {
                Metric: {
                  Dimensions: lowerDimensions(query.MetricStat.Metric?.Dimensions),
                  MetricName: query.MetricStat.Metric?.MetricName,
                  Namespace: query.MetricStat.Metric?.Namespace,
                },
                Period: query.MetricStat.Period,
                Stat: query.MetricStat.Stat,
              },
            }
          : {}),
      })),
      ...common,
    };
  }
  return {
    MetricName: alarm.MetricName,
    Namespace: alarm.Namespace,
    StatisticType: alarm.ExtendedStatistic ? "ExtendedStatistic" : "Statistic",
    Statistic: (alarm.ExtendedStatistic ?? alarm.Statistic ?? "").toUpperCase(),
    Unit: alarm.Unit ?? null,
    Dimensions: lowerDimensions(alarm.Dimensions),
    ...common,
  };
}

function isoWithOffset(date: Date): string {
  return date.toISOString().replace("Z", "+0000");
}

/**
 * The SNS message CloudWatch publishes when an alarm changes state: `Subject` and the JSON `Message`
 * (AlarmName, NewStateValue, OldStateValue, NewStateReason, StateChangeTime, Region, AlarmArn, Trigger …).
 *
 * @example
 * import { PublishCommand } from "@aws-sdk/client-sns";
 * const { subject, message } = alarmNotification(alarm, { oldState: "OK", newState: "ALARM", reason, changedAt: new Date() }, "123456789012", "us-east-1");
 * await sns.send(new PublishCommand({ TopicArn: topicArn, Subject: subject, Message: message }));
 */
export function alarmNotification(alarm: MetricAlarm, change: StateChange, accountId: string, region: string): { subject: string; message: string } {
  const regionName = REGION_NAMES[region] ?? region;
  const body = {
    AlarmName: alarm.AlarmName,
    AlarmDescription: alarm.AlarmDescription ?? null,
    AWSAccountId: accountId,
    AlarmConfigurationUpdatedTimestamp: isoWithOffset(alarm.AlarmConfigurationUpdatedTimestamp ?? change.changedAt),
    NewStateValue: change.newState,
    NewStateReason: change.reason,
    StateChangeTime: isoWithOffset(change.changedAt),
    Region: regionName,
    AlarmArn: alarm.AlarmArn,
    OldStateValue: change.oldState,
    OKActions: alarm.OKActions ?? [],
    AlarmActions: alarm.AlarmActions ?? [],
    InsufficientDataActions: alarm.InsufficientDataActions ?? [],
    Trigger: trigger(alarm),
  };
  const subject = `${change.newState}: "${alarm.AlarmName}" in ${regionName}`;
  return { subject: subject.length > 100 ? `${subject.slice(0, 97)}...` : subject, message: JSON.stringify(body) };
}

/** The actions CloudWatch runs for a transition into `state`. */
export function actionsFor(alarm: MetricAlarm, state: AlarmState): string[] {
  if (alarm.ActionsEnabled === false) return [];
  if (state === "ALARM") return alarm.AlarmActions ?? [];
  if (state === "OK") return alarm.OKActions ?? [];
  return alarm.InsufficientDataActions ?? [];
}
