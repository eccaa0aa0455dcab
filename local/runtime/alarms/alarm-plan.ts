import type { Dimension, MetricAlarm } from "@aws-sdk/client-cloudwatch";
import { MetricMathError, UnsupportedAlarmError } from "../errors.js";
import {
  isComparisonOperator,
  isStatistic,
  statisticValue,
  TREAT_MISSING_DATA,
  type AlarmRule,
  type PeriodStats,
  type Statistic,
  type TreatMissingData,
} from "./evaluate.js";
import { evaluateMetricMath, parseMetricMath, referencedIds, type MathNode } from "./metric-math.js";

/** One metric the evaluator must fetch for an alarm. */
export interface MetricToFetch {
  id: string;
  namespace: string;
  metricName: string;
  dimensions: Dimension[];
  statistic: Statistic;
}

/** How to evaluate one alarm: its rule, its period, the metrics to fetch and how to combine them. */
export interface AlarmPlan {
  alarmName: string;
  rule: AlarmRule;
  periodSeconds: number;
  metrics: MetricToFetch[];
  /** Query id whose value is compared with the threshold. */
  returnedId: string;
  expressions: Map<string, MathNode>;
}

const SINGLE_METRIC_ID = "m";

function treatMissing(alarm: MetricAlarm): TreatMissingData {
  const value = alarm.TreatMissingData ?? "missing";
  if (!Object.hasOwn(TREAT_MISSING_DATA, value)) throw new UnsupportedAlarmError(alarm.AlarmName ?? "?", `treatMissingData "${value}" is unknown`);
  return value as TreatMissingData;
}

function requireStatistic(alarmName: string, statistic: string | undefined): Statistic {
  if (isStatistic(statistic)) return statistic;
  throw new UnsupportedAlarmError(alarmName, `statistic "${statistic}" is not computed locally (moto keeps no raw samples; supported: SampleCount, Average, Sum, Minimum, Maximum)`);
}

function planMetricMath(alarm: MetricAlarm, alarmName: string): Omit<AlarmPlan, "alarmName" | "rule"> {
  const queries = alarm.Metrics ?? [];
  const returned = queries.filter((query) => query.ReturnData !== false && (query.ReturnData === true || queries.length === 1));
  if (returned.length !== 1 || !returned[0]!.Id) throw new UnsupportedAlarmError(alarmName, "exactly one metric query must have ReturnData true");
  const metrics: MetricToFetch[] = [];
  const expressions = new Map<string, MathNode>();
  const periods = new Set<number>();
  for (const query of queries) {
    const id = query.Id ?? "";
    if (query.Expression) {
      try {
        expressions.set(id, parseMetricMath(query.Expression));
      } catch (error) {
        if (error instanceof MetricMathError) throw new UnsupportedAlarmError(alarmName, error.message);
        throw error;
      }
      if (query.Period) periods.add(query.Period);
    } else if (query.MetricStat?.Metric) {
      const { Metric, Stat, Period } = query.MetricStat;
      metrics.push({
        id,
        namespace: Metric.Namespace ?? "",
        metricName: Metric.MetricName ?? "",
        dimensions: Metric.Dimensions ?? [],
        statistic: requireStatistic(alarmName, Stat),
      });
      if (Period) periods.add(Period);
    } else {
      throw new UnsupportedAlarmError(alarmName, `metric query "${id}" has neither MetricStat nor Expression`);
    }
  }
  if (periods.size !== 1) throw new UnsupportedAlarmError(alarmName, "metric queries must share one period");
  const known = new Set([...metrics.map((metric) => metric.id), ...expressions.keys()]);
  for (const [id, node] of expressions) {
    const unknown = referencedIds(node).filter((ref) => !known.has(ref));
    if (unknown.length) throw new UnsupportedAlarmError(alarmName, `expression "${id}" reads unknown id(s) ${unknown.join(", ")}`);
  }
  return { periodSeconds: [...periods][0]!, metrics, returnedId: returned[0]!.Id!, expressions };
}

/**
 * Turns a described alarm into an evaluation plan, or throws UnsupportedAlarmError naming what the
 * local evaluator cannot compute (percentiles, anomaly detection, unsupported metric math …).
 *
 * @example
 * const plan = planAlarm(describedAlarm);
 * const values = alarmValues(plan, statsById);
 */
export function planAlarm(alarm: MetricAlarm): AlarmPlan {
  const alarmName = alarm.AlarmName ?? "(unnamed)";
  if (!isComparisonOperator(alarm.ComparisonOperator)) {
    throw new UnsupportedAlarmError(alarmName, `comparison operator ${alarm.ComparisonOperator} (anomaly detection) is not supported locally`);
  }
  if (alarm.ThresholdMetricId) throw new UnsupportedAlarmError(alarmName, "threshold from a metric (ThresholdMetricId) is not supported locally");
  const rule: AlarmRule = {
    comparisonOperator: alarm.ComparisonOperator,
    threshold: alarm.Threshold ?? 0,
    evaluationPeriods: alarm.EvaluationPeriods ?? 1,
    datapointsToAlarm: alarm.DatapointsToAlarm ?? undefined,
    treatMissingData: treatMissing(alarm),
  };
  if (alarm.Metrics?.length) return { alarmName, rule, ...planMetricMath(alarm, alarmName) };
  if (alarm.ExtendedStatistic) {
    throw new UnsupportedAlarmError(alarmName, `extended statistic ${alarm.ExtendedStatistic} is not computed locally (moto has no percentiles)`);
  }
  return {
    alarmName,
    rule,
    periodSeconds: alarm.Period ?? 60,
    metrics: [
      {
        id: SINGLE_METRIC_ID,
        namespace: alarm.Namespace ?? "",
        metricName: alarm.MetricName ?? "",
        dimensions: alarm.Dimensions ?? [],
        statistic: requireStatistic(alarmName, alarm.Statistic),
      },
    ],
    returnedId: SINGLE_METRIC_ID,
    expressions: new Map(),
  };
}

/**
 * The alarm's value in each evaluated period (oldest first), from each fetched metric's period stats.
 *
 * @example
 * alarmValues(plan, new Map([["m", [undefined, { sampleCount: 1, sum: 7, minimum: 7, maximum: 7 }]]])); // [undefined, 7]
 */
export function alarmValues(plan: AlarmPlan, statsById: ReadonlyMap<string, Array<PeriodStats | undefined>>): Array<number | undefined> {
  const periods = Math.max(0, ...[...statsById.values()].map((series) => series.length));
  const statisticById = new Map(plan.metrics.map((metric) => [metric.id, metric.statistic]));
  return Array.from({ length: periods }, (_, period) => {
    const resolving = new Set<string>();
    const valueOf = (id: string): number | undefined => {
      const statistic = statisticById.get(id);
      if (statistic) return statisticValue(statsById.get(id)?.[period], statistic);
      const expression = plan.expressions.get(id);
      if (!expression) return undefined;
      if (resolving.has(id)) throw new UnsupportedAlarmError(plan.alarmName, `expression "${id}" refers to itself`);
      resolving.add(id);
      const value = evaluateMetricMath(expression, valueOf);
      resolving.delete(id);
      return value;
    };
    return valueOf(plan.returnedId);
  });
}
