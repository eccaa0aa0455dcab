/** CloudWatch metric alarms, plain and metric-math. */
import { PutMetricAlarmCommand, type MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { block, blocks, defined, optionalBoolean, optionalNumber, optionalString, stringList, stringMap, tagList, type Config } from "../config.js";
import type { ResourceApplier } from "../context.js";

function dimensions(value: unknown): Array<{ Name: string; Value: string }> | undefined {
  const entries = Object.entries(stringMap(value));
  return entries.length ? entries.map(([Name, Value]) => ({ Name, Value })) : undefined;
}

function metricQuery(query: Config): MetricDataQuery {
  const metric = block(query.metric);
  return defined({
    Id: String(query.id),
    Expression: optionalString(query.expression),
    Label: optionalString(query.label),
    ReturnData: optionalBoolean(query.return_data),
    Period: optionalNumber(query.period),
    AccountId: optionalString(query.account_id),
    MetricStat: metric
      ? defined({
          Metric: defined({
            MetricName: String(metric.metric_name),
            Namespace: optionalString(metric.namespace),
            Dimensions: dimensions(metric.dimensions),
          }),
          Period: optionalNumber(metric.period) ?? 60,
          Stat: String(metric.stat),
          Unit: optionalString(metric.unit) as "Count" | undefined,
        })
      : undefined,
  });
}

const alarm: ResourceApplier = async (config, _node, context) => {
  const name = String(config.alarm_name);
  const queries = blocks(config.metric_query).map(metricQuery);
  const list = (value: unknown): string[] | undefined => (stringList(value).length ? stringList(value) : undefined);
  await context.clients.cloudwatch.send(
    new PutMetricAlarmCommand(
      defined({
        AlarmName: name,
        AlarmDescription: optionalString(config.alarm_description),
        ComparisonOperator: String(config.comparison_operator) as "GreaterThanThreshold",
        EvaluationPeriods: Number(config.evaluation_periods),
        DatapointsToAlarm: optionalNumber(config.datapoints_to_alarm),
        Threshold: optionalNumber(config.threshold),
        ThresholdMetricId: optionalString(config.threshold_metric_id),
        TreatMissingData: optionalString(config.treat_missing_data),
        EvaluateLowSampleCountPercentile: optionalString(config.evaluate_low_sample_count_percentiles),
        ActionsEnabled: optionalBoolean(config.actions_enabled),
        AlarmActions: list(config.alarm_actions),
        OKActions: list(config.ok_actions),
        InsufficientDataActions: list(config.insufficient_data_actions),
        MetricName: optionalString(config.metric_name),
        Namespace: optionalString(config.namespace),
        Period: optionalNumber(config.period),
        Statistic: optionalString(config.statistic) as "Sum" | undefined,
        ExtendedStatistic: optionalString(config.extended_statistic),
        Unit: optionalString(config.unit) as "Count" | undefined,
        Dimensions: dimensions(config.dimensions),
        Metrics: queries.length ? queries : undefined,
        Tags: tagList(config.tags).length ? tagList(config.tags) : undefined,
      }),
    ),
  );
  return { id: name, alarm_name: name, arn: `arn:aws:cloudwatch:${context.region}:${context.accountId}:alarm:${name}` };
};

export const cloudwatchAppliers: Record<string, ResourceApplier> = {
  aws_cloudwatch_metric_alarm: alarm,
};
