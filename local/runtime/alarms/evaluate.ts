/**
 * Pure CloudWatch metric-alarm evaluation: period windows, statistics from aggregated samples, and the
 * state decision (M out of N datapoints, missing-data treatment), as CloudWatch documents it.
 * No I/O; the evaluator (alarm-evaluator.ts) feeds it the emulator's metrics.
 */

export const ALARM_STATE = { OK: "OK", ALARM: "ALARM", INSUFFICIENT_DATA: "INSUFFICIENT_DATA" } as const;
export type AlarmState = (typeof ALARM_STATE)[keyof typeof ALARM_STATE];

export const COMPARISON = {
  GreaterThanOrEqualToThreshold: (value: number, threshold: number) => value >= threshold,
  GreaterThanThreshold: (value: number, threshold: number) => value > threshold,
  LessThanThreshold: (value: number, threshold: number) => value < threshold,
  LessThanOrEqualToThreshold: (value: number, threshold: number) => value <= threshold,
} as const;
export type ComparisonOperator = keyof typeof COMPARISON;

const COMPARISON_WORDS: Record<ComparisonOperator, string> = {
  GreaterThanOrEqualToThreshold: "greater than or equal to",
  GreaterThanThreshold: "greater than",
  LessThanThreshold: "less than",
  LessThanOrEqualToThreshold: "less than or equal to",
};

export const TREAT_MISSING_DATA = { missing: "missing", ignore: "ignore", breaching: "breaching", notBreaching: "notBreaching" } as const;
export type TreatMissingData = keyof typeof TREAT_MISSING_DATA;

export const STATISTICS = ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] as const;
export type Statistic = (typeof STATISTICS)[number];

/** Samples of one period (or one moto bucket) that any basic statistic can be computed from. */
export interface PeriodStats {
  sampleCount: number;
  sum: number;
  minimum: number;
  maximum: number;
}

export interface TimedStats extends PeriodStats {
  timestampMs: number;
}

export function isComparisonOperator(value: string | undefined): value is ComparisonOperator {
  return value !== undefined && Object.hasOwn(COMPARISON, value);
}

export function isStatistic(value: string | undefined): value is Statistic {
  return (STATISTICS as readonly string[]).includes(value ?? "");
}

/**
 * Start times (epoch ms, oldest first) of the `count` periods an alarm evaluates at `nowMs`; periods are
 * aligned to multiples of the period and the newest is the one containing `nowMs`.
 *
 * @example
 * evaluationWindow(Date.parse("2026-01-01T00:02:30Z"), 60, 3); // starts at 00:00, 00:01, 00:02
 */
export function evaluationWindow(nowMs: number, periodSeconds: number, count: number): number[] {
  const periodMs = periodSeconds * 1000;
  const newest = Math.floor(nowMs / periodMs) * periodMs;
  return Array.from({ length: count }, (_, index) => newest - (count - 1 - index) * periodMs);
}

/** Merges fine-grained samples into the given periods; a period without samples is undefined. */
export function aggregateIntoPeriods(samples: TimedStats[], periodStartsMs: number[], periodSeconds: number): Array<PeriodStats | undefined> {
  const periodMs = periodSeconds * 1000;
  return periodStartsMs.map((start) => {
    const inside = samples.filter((sample) => sample.timestampMs >= start && sample.timestampMs < start + periodMs);
    if (inside.length === 0) return undefined;
    return {
      sampleCount: inside.reduce((total, sample) => total + sample.sampleCount, 0),
      sum: inside.reduce((total, sample) => total + sample.sum, 0),
      minimum: Math.min(...inside.map((sample) => sample.minimum)),
      maximum: Math.max(...inside.map((sample) => sample.maximum)),
    };
  });
}

/** The statistic's value for one period, undefined when the period has no samples. */
export function statisticValue(stats: PeriodStats | undefined, statistic: Statistic): number | undefined {
  if (!stats || stats.sampleCount === 0) return undefined;
  switch (statistic) {
    case "SampleCount":
      return stats.sampleCount;
    case "Sum":
      return stats.sum;
    case "Average":
      return stats.sum / stats.sampleCount;
    case "Minimum":
      return stats.minimum;
    case "Maximum":
      return stats.maximum;
  }
}

export interface AlarmRule {
  comparisonOperator: ComparisonOperator;
  threshold: number;
  evaluationPeriods: number;
  /** M of "M out of N"; defaults to evaluationPeriods. */
  datapointsToAlarm?: number;
  treatMissingData?: TreatMissingData;
}

export interface AlarmDecision {
  state: AlarmState;
  reason: string;
  breaching: number;
  present: number;
}

function formatValues(values: Array<number | undefined>): string {
  return values.map((value) => (value === undefined ? "missing" : String(Number(value.toFixed(6))))).join(", ");
}

/**
 * Decides an alarm's state from its newest `evaluationPeriods` values (oldest first; undefined =
 * missing): ALARM when at least M are breaching (missing ones count as breaching under `breaching`);
 * when no value is present, `missing` gives INSUFFICIENT_DATA, `ignore` keeps the current state and
 * `notBreaching` gives OK; otherwise OK.
 *
 * @example
 * decideAlarmState({ comparisonOperator: "GreaterThanThreshold", threshold: 5, evaluationPeriods: 3, datapointsToAlarm: 2 },
 *   [7, 1, 9], "OK"); // → { state: "ALARM", … }
 */
export function decideAlarmState(rule: AlarmRule, values: Array<number | undefined>, current: AlarmState): AlarmDecision {
  const treatMissing = rule.treatMissingData ?? "missing";
  const needed = rule.datapointsToAlarm ?? rule.evaluationPeriods;
  const crosses = COMPARISON[rule.comparisonOperator];
  const present = values.filter((value) => value !== undefined).length;
  const breaching = values.filter((value) =>
    value === undefined ? treatMissing === "breaching" : crosses(value, rule.threshold),
  ).length;
  const words = COMPARISON_WORDS[rule.comparisonOperator];
  const datapoints = `[${formatValues(values)}]`;
  if (breaching >= needed) {
    return {
      state: ALARM_STATE.ALARM,
      reason: `Threshold Crossed: ${breaching} out of the last ${values.length} datapoints ${datapoints} ${breaching === 1 ? "was" : "were"} ${words} the threshold (${rule.threshold}) (minimum ${needed} datapoint${needed === 1 ? "" : "s"} for OK -> ALARM transition).`,
      breaching,
      present,
    };
  }
  if (present === 0 && treatMissing === "missing") {
    return { state: ALARM_STATE.INSUFFICIENT_DATA, reason: `Insufficient Data: ${values.length} datapoints were unknown.`, breaching, present };
  }
  if (present === 0 && treatMissing === "ignore") {
    return { state: current, reason: `No datapoints in the last ${values.length} periods; state kept (treatMissingData: ignore).`, breaching, present };
  }
  return {
    state: ALARM_STATE.OK,
    reason: `Threshold Crossed: ${values.length - breaching} out of the last ${values.length} datapoints ${datapoints} ${values.length - breaching === 1 ? "was" : "were"} not ${words} the threshold (${rule.threshold}) (minimum ${values.length - needed + 1} datapoint${values.length - needed === 0 ? "" : "s"} for ALARM -> OK transition).`,
    breaching,
    present,
  };
}
