import {
  DescribeAlarmsCommand,
  GetMetricStatisticsCommand,
  SetAlarmStateCommand,
  type CloudWatchClient,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { PublishCommand, type SNSClient } from "@aws-sdk/client-sns";
import type { Log } from "../../../lib/logger.js";
import { UnsupportedAlarmError } from "../errors.js";
import { alarmValues, planAlarm, type AlarmPlan, type MetricToFetch } from "./alarm-plan.js";
import { aggregateIntoPeriods, ALARM_STATE, decideAlarmState, evaluationWindow, type AlarmState, type PeriodStats, type TimedStats } from "./evaluate.js";
import { actionsFor, alarmNotification } from "./notification.js";

export interface AlarmEvaluatorOptions {
  cloudwatch: CloudWatchClient;
  sns: SNSClient;
  accountId: string;
  region: string;
  log: Log;
}

/** The outcome of evaluating one alarm once. */
export interface AlarmEvaluation {
  alarmName: string;
  previousState: AlarmState;
  state: AlarmState;
  changed: boolean;
  reason: string;
  /** SNS topics notified for this transition. */
  notified: string[];
}

const INITIAL_REASON = "Unchecked: Initial alarm creation";

function asState(value: string | undefined): AlarmState {
  return value === "ALARM" || value === "OK" ? value : ALARM_STATE.INSUFFICIENT_DATA;
}

/**
 * Evaluates the emulator's CloudWatch metric alarms, which moto stores but never evaluates: reads each
 * alarm's metrics with GetMetricStatistics (1-second buckets merged into the alarm's aligned periods),
 * computes the supported metric math, decides the state, and on a change calls SetAlarmState and
 * publishes the AWS-shaped notification to the SNS topics among the transition's actions.
 * An alarm it cannot evaluate is set to INSUFFICIENT_DATA with the reason, once.
 *
 * @example
 * const evaluator = new AlarmEvaluator({ cloudwatch, sns, accountId, region, log });
 * await evaluator.initialize();               // every alarm → INSUFFICIENT_DATA
 * const results = await evaluator.evaluate(); // [{ alarmName, state: "ALARM", changed: true, … }]
 */
export class AlarmEvaluator {
  private readonly unsupported = new Set<string>();

  constructor(private readonly options: AlarmEvaluatorOptions) {}

  /** Puts every metric alarm in INSUFFICIENT_DATA, as a newly created CloudWatch alarm starts. */
  async initialize(): Promise<number> {
    const alarms = await this.describeAlarms();
    for (const alarm of alarms) {
      await this.options.cloudwatch.send(
        new SetAlarmStateCommand({ AlarmName: alarm.AlarmName, StateValue: ALARM_STATE.INSUFFICIENT_DATA, StateReason: INITIAL_REASON }),
      );
    }
    return alarms.length;
  }

  async evaluate(nowMs = Date.now()): Promise<AlarmEvaluation[]> {
    const results: AlarmEvaluation[] = [];
    for (const alarm of await this.describeAlarms()) {
      const result = await this.evaluateOne(alarm, nowMs);
      if (result) results.push(result);
    }
    return results;
  }

  private async describeAlarms(): Promise<MetricAlarm[]> {
    const alarms: MetricAlarm[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.options.cloudwatch.send(new DescribeAlarmsCommand({ NextToken: nextToken, AlarmTypes: ["MetricAlarm"] }));
      alarms.push(...(page.MetricAlarms ?? []));
      nextToken = page.NextToken;
    } while (nextToken);
    return alarms;
  }

  private async evaluateOne(alarm: MetricAlarm, nowMs: number): Promise<AlarmEvaluation | undefined> {
    const alarmName = alarm.AlarmName ?? "";
    const previousState = asState(alarm.StateValue);
    let plan: AlarmPlan;
    try {
      plan = planAlarm(alarm);
    } catch (error) {
      if (!(error instanceof UnsupportedAlarmError)) throw error;
      if (!this.unsupported.has(alarmName)) {
        this.unsupported.add(alarmName);
        this.options.log.warn(error.message);
        await this.setState(alarm, previousState, { state: ALARM_STATE.INSUFFICIENT_DATA, reason: error.message }, nowMs);
      }
      return undefined;
    }
    const window = evaluationWindow(nowMs, plan.periodSeconds, plan.rule.evaluationPeriods);
    const statsById = new Map<string, Array<PeriodStats | undefined>>();
    for (const metric of plan.metrics) {
      const samples = await this.fetchSamples(metric, window[0]!, nowMs);
      statsById.set(metric.id, aggregateIntoPeriods(samples, window, plan.periodSeconds));
    }
    const decision = decideAlarmState(plan.rule, alarmValues(plan, statsById), previousState);
    const changed = decision.state !== previousState;
    const notified = changed ? await this.setState(alarm, previousState, decision, nowMs) : [];
    return { alarmName, previousState, state: decision.state, changed, reason: decision.reason, notified };
  }

  private async fetchSamples(metric: MetricToFetch, startMs: number, nowMs: number): Promise<TimedStats[]> {
    const output = await this.options.cloudwatch.send(
      new GetMetricStatisticsCommand({
        Namespace: metric.namespace,
        MetricName: metric.metricName,
        Dimensions: metric.dimensions,
        StartTime: new Date(startMs),
        EndTime: new Date(nowMs + 1000),
        // moto anchors buckets at the first sample, not at period boundaries: fetch 1-second buckets
        // and merge them into aligned periods here.
        Period: 1,
        Statistics: ["SampleCount", "Sum", "Minimum", "Maximum"],
      }),
    );
    return (output.Datapoints ?? []).map((point) => ({
      timestampMs: point.Timestamp?.getTime() ?? 0,
      sampleCount: point.SampleCount ?? 0,
      sum: point.Sum ?? 0,
      minimum: point.Minimum ?? 0,
      maximum: point.Maximum ?? 0,
    }));
  }

  private async setState(alarm: MetricAlarm, oldState: AlarmState, decision: { state: AlarmState; reason: string }, nowMs: number): Promise<string[]> {
    const { cloudwatch, sns, accountId, region, log } = this.options;
    await cloudwatch.send(
      new SetAlarmStateCommand({
        AlarmName: alarm.AlarmName,
        StateValue: decision.state,
        StateReason: decision.reason.slice(0, 1023),
        StateReasonData: JSON.stringify({ version: "1.0", queryDate: new Date(nowMs).toISOString(), evaluatedBy: "fleetota-local-runtime" }),
      }),
    );
    if (oldState === decision.state) return [];
    log.info(`[alarm ${alarm.AlarmName}] ${oldState} -> ${decision.state}: ${decision.reason}`);
    const { subject, message } = alarmNotification(alarm, { oldState, newState: decision.state, reason: decision.reason, changedAt: new Date(nowMs) }, accountId, region);
    const notified: string[] = [];
    for (const action of actionsFor(alarm, decision.state)) {
      if (!action.startsWith("arn:aws:sns:")) {
        log.warn(`[alarm ${alarm.AlarmName}] action ${action} is not an SNS topic; not run locally`);
        continue;
      }
      await sns.send(new PublishCommand({ TopicArn: action, Subject: subject, Message: message }));
      notified.push(action);
    }
    return notified;
  }
}
