import type { CompositeAlarm, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { ALARM_STATE, DASHBOARD_SCHEMA_VERSION, type AlarmState, type AlarmsDocument, type AlarmView } from "../../contracts/dashboard-documents.js";

const STATE_ORDER: readonly AlarmState[] = [ALARM_STATE.Alarm, ALARM_STATE.InsufficientData, ALARM_STATE.Ok];

/**
 * Shapes DescribeAlarms output (metric and composite alarms) for the page: ALARM first, counts per
 * state. An alarm whose metric comes from metric math names its first metric.
 *
 * @example
 * shapeAlarms(response.MetricAlarms ?? [], response.CompositeAlarms ?? [], new Date()).counts.ALARM; // 1
 */
export function shapeAlarms(
  metricAlarms: readonly MetricAlarm[],
  compositeAlarms: readonly CompositeAlarm[],
  now: Date,
): AlarmsDocument {
  const views: AlarmView[] = [
    ...metricAlarms.map((alarm) => ({
      ...common(alarm),
      metric: alarm.MetricName ?? alarm.Metrics?.find((query) => query.MetricStat)?.MetricStat?.Metric?.MetricName ?? null,
      threshold: alarm.Threshold ?? null,
      comparison: alarm.ComparisonOperator ?? null,
    })),
    ...compositeAlarms.map((alarm) => ({ ...common(alarm), metric: null, threshold: null, comparison: null })),
  ];
  views.sort((a, b) => STATE_ORDER.indexOf(a.state) - STATE_ORDER.indexOf(b.state) || a.name.localeCompare(b.name));
  const counts: Record<AlarmState, number> = { ALARM: 0, OK: 0, INSUFFICIENT_DATA: 0 };
  for (const view of views) counts[view.state] += 1;
  return { schemaVersion: DASHBOARD_SCHEMA_VERSION, generatedAt: now.toISOString(), counts, alarms: views };
}

function common(alarm: MetricAlarm | CompositeAlarm): Omit<AlarmView, "metric" | "threshold" | "comparison"> {
  return {
    name: alarm.AlarmName ?? "(unnamed)",
    state: toAlarmState(alarm.StateValue),
    reason: alarm.StateReason ?? "",
    updatedAt: alarm.StateUpdatedTimestamp ? new Date(alarm.StateUpdatedTimestamp).toISOString() : null,
    description: alarm.AlarmDescription ?? "",
  };
}

/** Unknown or missing states count as INSUFFICIENT_DATA, which is what CloudWatch means by them. */
export function toAlarmState(value: string | undefined): AlarmState {
  return value === ALARM_STATE.Alarm || value === ALARM_STATE.Ok ? value : ALARM_STATE.InsufficientData;
}
