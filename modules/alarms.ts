import { Construct } from "constructs";
import { CloudwatchMetricAlarm, type CloudwatchMetricAlarmConfig } from "@cdktf/provider-aws/lib/cloudwatch-metric-alarm/index.js";
import { SnsTopic } from "@cdktf/provider-aws/lib/sns-topic/index.js";
import { ALARM_SUFFIX, METRIC } from "../contracts/metrics.js";
import { PARKED_SOURCE } from "../contracts/parked-failure.js";
import { PARKED_REASON } from "../lib/parked-failures.js";
import { CANDIDATE_REFUSAL } from "../campaigns/registry-check.js";
import { JOB_EVENT_REFUSAL } from "../campaigns/update-tally.js";
import { REPORT_HELD_BACK } from "../functions/telemetry-processor/report-screen.js";
import { FLEET_DROP_REASON } from "../telemetry/aggregate.js";
import type { BundledFunction } from "./bundled-function.js";
import { named, snake } from "./logical-id.js";
import type { AlarmThresholds } from "./stack-config.js";
import type { WorkQueue } from "./work-queue.js";

const ONE_MINUTE = 60;
const FIVE_MINUTES = 300;

export interface FleetAlarmsProps {
  readonly namePrefix: string;
  readonly metricsNamespace: string;
  readonly thresholds: AlarmThresholds;
  readonly telemetryQueue: WorkQueue;
  readonly updateQueue: WorkQueue;
  readonly commandQueue: WorkQueue;
  /** Each function gets an errors and a throttles alarm, named after its short name. */
  readonly functions: ReadonlyArray<{ readonly shortName: string; readonly fn: BundledFunction }>;
  /** See FleetOtaStackProps.fleetSize. */
  readonly fleetSize?: number;
  /** KMS key (ARN) encrypting the alarm topic (see AlarmTopicKey). */
  readonly topicKeyArn: string;
}

type AlarmSpec = Omit<CloudwatchMetricAlarmConfig, "alarmName" | "alarmActions" | "okActions"> & { readonly suffix: string };

/** A queue's SQS metric a minute (the namespace, dimensions and period every queue alarm uses). */
const sqs = (queueName: string) => ({ namespace: "AWS/SQS", dimensions: { QueueName: queueName }, period: ONE_MINUTE });

/**
 * Every CloudWatch alarm of FleetOTA, all named `<prefix>-…` and all notifying one SNS topic
 * (`<prefix>-alarms`) when they fire and when they recover.
 *
 * Custom metrics are watched without dimensions, in the stack's namespace: the handlers publish
 * `Telemetry/ProcessingLatency` in milliseconds, `FleetHealth/ConnectivityRate` in percent (0–100),
 * and the `OTAUpdates/*` outcomes as counts.
 *
 * @example
 * const alarms = new FleetAlarms(this, "alarms", { namePrefix: "fleetota-dev", metricsNamespace: "FleetOTA", thresholds, telemetryQueue, updateQueue, commandQueue, functions, topicKeyArn: key.keyArn });
 * alarms.alarmNames // ["fleetota-dev-telemetry-queue-depth", …]
 */
export class FleetAlarms extends Construct {
  readonly topic: SnsTopic;
  readonly topicArn: string;
  readonly alarms: CloudwatchMetricAlarm[] = [];
  readonly alarmNames: string[] = [];

  constructor(scope: Construct, id: string, private readonly props: FleetAlarmsProps) {
    super(scope, id);
    // Not encrypted with the AWS-managed SNS key: CloudWatch cannot publish to a topic using it.
    this.topic = named(new SnsTopic(this, "topic", { name: `${props.namePrefix}-alarms`, kmsMasterKeyId: props.topicKeyArn }), "alarm_topic");
    this.topicArn = this.topic.arn;

    const specs: AlarmSpec[] = [
      ...this.workQueueAlarms("telemetry", props.telemetryQueue),
      ...this.workQueueAlarms("update", props.updateQueue),
      ...this.workQueueAlarms("command", props.commandQueue),
      this.updateFailureRateAlarm(),
      this.processingLatencyAlarm(),
      this.connectivityAlarm(),
      this.candidatesRefusedAlarm(),
      this.fleetStateFullAlarm(),
      this.withdrawalsFailedAlarm(),
      this.commandOffCommandQueueAlarm(),
      this.objectUnreadableAlarm(),
      this.statusReportsForgedAlarm(),
      this.reportsOnEndedJobsAlarm(),
      ...props.functions.flatMap(({ shortName, fn }) => this.functionAlarms(shortName, fn)),
    ];
    for (const spec of specs) this.addAlarm(spec);
  }

  private addAlarm({ suffix, ...config }: AlarmSpec): void {
    const alarmName = `${this.props.namePrefix}-${suffix}`;
    const alarm = named(
      new CloudwatchMetricAlarm(this, suffix, {
        ...config,
        alarmName,
        alarmActions: [this.topicArn],
        okActions: [this.topicArn],
      }),
      `alarm_${snake(suffix)}`,
    );
    this.alarms.push(alarm);
    this.alarmNames.push(alarmName);
  }

  private workQueueAlarms(label: string, work: WorkQueue): AlarmSpec[] {
    return [
      {
        suffix: `${label}-queue-depth`,
        alarmDescription: `More than ${this.props.thresholds.queueDepthMessages} messages wait in the ${label} queue`,
        ...sqs(work.queueName),
        metricName: "ApproximateNumberOfMessagesVisible",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: this.props.thresholds.queueDepthMessages,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
      },
      {
        suffix: `${label}-queue-age`,
        alarmDescription: `The oldest message in the ${label} queue is older than ${this.props.thresholds.queueAgeSeconds} s`,
        ...sqs(work.queueName),
        metricName: "ApproximateAgeOfOldestMessage",
        statistic: "Maximum",
        comparisonOperator: "GreaterThanThreshold",
        threshold: this.props.thresholds.queueAgeSeconds,
        evaluationPeriods: 3,
        datapointsToAlarm: 3,
        treatMissingData: "notBreaching",
      },
      this.deadLettersAlarm(label, work.deadLetterQueueName),
    ];
  }

  /**
   * Dead letters visible or in flight: a receive's own VisibilityTimeout (up to 12 h) has no condition key, so the
   * publisher's ReceiveMessage on the DLQs (a peek at visibility 0 in its code) could hide letters from an alarm on
   * visible messages alone (review 15, R15-Q2).
   */
  private deadLettersAlarm(label: string, deadLetterQueueName: string): AlarmSpec {
    const depth = (id: string, metricName: string) => ({
      id,
      metric: { ...sqs(deadLetterQueueName), metricName, stat: "Maximum" },
      returnData: false,
    });
    return {
      suffix: `${label}-dlq-not-empty`,
      alarmDescription: `Messages are in the ${label} dead-letter queue (visible or in flight): inspect them, fix the cause, then redrive`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: 0,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQuery: [
        depth("visible", "ApproximateNumberOfMessagesVisible"),
        depth("inflight", "ApproximateNumberOfMessagesNotVisible"),
        { id: "deadletters", expression: "FILL(visible, 0) + FILL(inflight, 0)", label: `Dead letters in the ${label} DLQ (visible + in flight)`, returnData: true },
      ],
    };
  }

  /**
   * Failed + timed-out + rolled-back as a percentage of all finished updates in five minutes; the
   * rate counts as 0 until at least `updateFailureMinimumSamples` updates finished, so two failures
   * out of three do not page anyone.
   */
  private updateFailureRateAlarm(): AlarmSpec {
    const { updateFailureRatePercent, updateFailureMinimumSamples } = this.props.thresholds;
    const count = (id: string, metricName: string) => ({
      id,
      metric: { namespace: this.props.metricsNamespace, metricName, period: FIVE_MINUTES, stat: "Sum" },
      returnData: false,
    });
    return {
      suffix: "update-failure-rate",
      alarmDescription: `More than ${updateFailureRatePercent}% of OTA updates failed, timed out or rolled back (at least ${updateFailureMinimumSamples} finished)`,
      comparisonOperator: "GreaterThanThreshold",
      threshold: updateFailureRatePercent,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQuery: [
        count("failed", METRIC.UpdatesFailed),
        count("timedout", METRIC.UpdatesTimedOut),
        count("rolledback", METRIC.UpdatesRolledBack),
        count("succeeded", METRIC.UpdatesSucceeded),
        { id: "unsuccessful", expression: "FILL(failed, 0) + FILL(timedout, 0) + FILL(rolledback, 0)", returnData: false },
        { id: "finished", expression: "unsuccessful + FILL(succeeded, 0)", returnData: false },
        {
          id: "failurerate",
          expression: `IF(finished >= ${updateFailureMinimumSamples}, 100 * unsuccessful / finished, 0)`,
          label: "Update failure rate (%)",
          returnData: true,
        },
      ],
    };
  }

  private processingLatencyAlarm(): AlarmSpec {
    const { processingLatencyMs } = this.props.thresholds;
    return {
      suffix: "telemetry-processing-latency",
      alarmDescription: `Telemetry takes more than ${processingLatencyMs / 1000} s on average from upload to processed`,
      namespace: this.props.metricsNamespace,
      metricName: METRIC.ProcessingLatency,
      statistic: "Average",
      period: ONE_MINUTE,
      comparisonOperator: "GreaterThanThreshold",
      threshold: processingLatencyMs,
      evaluationPeriods: 3,
      datapointsToAlarm: 3,
      treatMissingData: "notBreaching",
    };
  }

  private connectivityAlarm(): AlarmSpec {
    const { connectivityMinimumPercent } = this.props.thresholds;
    const common = {
      suffix: "fleet-connectivity",
      alarmDescription: `Fewer than ${connectivityMinimumPercent}% of the fleet's vehicles are connected`,
      comparisonOperator: "LessThanThreshold",
      threshold: connectivityMinimumPercent,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      treatMissingData: "missing",
    };
    if (this.props.fleetSize === undefined) {
      return { ...common, namespace: this.props.metricsNamespace, metricName: METRIC.ConnectivityRate, statistic: "Average", period: FIVE_MINUTES };
    }
    return {
      ...common,
      metricQuery: [
        {
          id: "online",
          metric: { namespace: this.props.metricsNamespace, metricName: METRIC.VehiclesOnline, period: FIVE_MINUTES, stat: "Maximum" },
          returnData: false,
        },
        { id: "connectivity", expression: `100 * online / ${this.props.fleetSize}`, label: "Connected vehicles (% of fleet)", returnData: true },
      ],
    };
  }

  /**
   * A candidate the registry does not vouch for (campaigns/registry-check.ts), for either reason: refused, but
   * someone should look at it. `description-mismatch`: a compromised or misconfigured vehicle, or a stale
   * registration. `unregistered`: only a vehicle's own object makes a candidate (functions/telemetry-processor,
   * never a fleet gateway's), and its credentials are issued to a registered thing, so a thing deleted or typed
   * while its vehicle still uploads, or an object written under a VIN's prefix by someone other than the vehicle.
   */
  private candidatesRefusedAlarm(): AlarmSpec {
    return this.onFirstCountOfReasons(
      "candidates-refused",
      "A campaign candidate was refused by the registry (described otherwise than its registration, or no registered vehicle thing): see the update manager's 'candidate refused' log lines",
      METRIC.CandidatesRefused,
      { mismatch: CANDIDATE_REFUSAL.DescriptionMismatch, unregistered: CANDIDATE_REFUSAL.Unregistered },
      { id: "refused", label: "Candidates refused by the registry" },
    );
  }

  /**
   * The fleet state dropped entries because it held `fleetStateMaxVehicles` (telemetry/fleet-state.ts; the processor
   * for a full part, the publisher at compaction): a gateway naming invented VINs, or a fleet that outgrew the setting.
   */
  private fleetStateFullAlarm(): AlarmSpec {
    return this.onFirstCount(
      "fleet-state-full",
      "The fleet state dropped vehicles because it holds fleetStateMaxVehicles: a gateway naming invented VINs, or a fleet that outgrew the setting; see the 'fleet state full' log lines of the dashboard publisher and the processor",
      METRIC.FleetStateEntriesDropped,
      { Reason: FLEET_DROP_REASON.OverCap },
    );
  }

  /**
   * A signed withdrawal of a job document could not be written (KMS throttling, an S3 error; campaigns/job-documents.ts):
   * the job owes it and the ticker writes it again, but until then a vehicle may still read the install document of a
   * job that was canceled or will not run.
   */
  private withdrawalsFailedAlarm(): AlarmSpec {
    return this.onFirstCount(
      ALARM_SUFFIX.WithdrawalsFailed,
      "A job document withdrawal failed: until the ticker writes it again a vehicle may still read the install document of a canceled job; see the update manager's 'job document withdrawal failed' log lines",
      METRIC.WithdrawalsFailed,
    );
  }

  /**
   * A command or tick arrived on the vehicle-report queue and the update manager parked it (functions/update-manager/process.ts).
   * Only the telemetry processor may send there and it never sends commands: its role or its code is being misused (or
   * an operator redrove an old letter from before the command queue). One is enough to look.
   */
  private commandOffCommandQueueAlarm(): AlarmSpec {
    return this.onFirstCount(
      ALARM_SUFFIX.CommandOffCommandQueue,
      "A command arrived on the vehicle-report queue and was parked (command-off-command-queue): only the telemetry processor sends there and it never sends commands; see fleetota parked --source update-manager and the processor's logs",
      METRIC.MessagesParked,
      { Source: PARKED_SOURCE.UpdateManager, Reason: PARKED_REASON.CommandOffCommandQueue },
    );
  }

  /**
   * The telemetry processor parked an object as `object-unreadable` (functions/telemetry-processor/unreadable-object.ts):
   * S3 answered its read or copy 400, or 403 for an archived object. The device roles and the bucket policy let no such
   * object in, so one means a policy or lifecycle rule changed by hand, or a request of the processor's own that S3
   * refuses for every object, which would park every upload with nothing retried or dead-lettered. One is enough to look.
   */
  private objectUnreadableAlarm(): AlarmSpec {
    return this.onFirstCount(
      ALARM_SUFFIX.ObjectUnreadable,
      "The telemetry processor parked an object it cannot read (object-unreadable: S3 answered 400, or 403 for an archived object): see fleetota parked --source telemetry-processor for S3's code and message; many at once point at the processor's own requests",
      METRIC.MessagesParked,
      { Source: PARKED_SOURCE.TelemetryProcessor, Reason: PARKED_REASON.ObjectUnreadable },
    );
  }

  /**
   * The telemetry processor held back a vehicle's status reports for a reason no honest agent gives
   * (functions/telemetry-processor/report-screen.ts): a job not `<campaign>:<its own VIN>` (other-vehicle), a campaign
   * that does not exist (unknown-campaign: an agent learns a campaign from the document signed after it was created),
   * or more than 16 reports of one job attempt in one object (too-many-reports: an attempt is at most 9 once heartbeats
   * collapse). A forged or broken agent; a flood of them costs only the processor, but the vehicle is worth a look at
   * the first. Not older-attempt (an hourly object holding a failure, the retry and its success holds the failed
   * attempt's reports) nor too-many-jobs (three campaigns one after another within one object's hour): honest vehicles
   * send those, as many as the fleet has such vehicles.
   */
  private statusReportsForgedAlarm(): AlarmSpec {
    return this.onFirstCountOfReasons(
      ALARM_SUFFIX.StatusReportsForged,
      "A vehicle's object carried status reports no honest agent sends (another vehicle's job, a campaign that does not exist, more than 16 reports of one attempt), held back by the telemetry processor: see its 'status reports held back' log lines for the object and the vehicle",
      METRIC.StatusReportsHeldBack,
      { othervehicle: REPORT_HELD_BACK.OtherVehicle, unknowncampaign: REPORT_HELD_BACK.UnknownCampaign, toomanyreports: REPORT_HELD_BACK.TooManyReports },
      { id: "forged", label: "Status reports held back that no honest agent sends" },
    );
  }

  /**
   * The update manager refused a vehicle's report on a job the vehicle itself ended (SUCCEEDED, FAILED, ROLLED_BACK,
   * REJECTED) with a sequence past its final report (campaigns/update-tally.ts): an agent reports nothing on an attempt
   * it concluded, and its earlier reports arriving late carry lower sequences (ignored, not refused). Each such report
   * took a slot of the whole fleet's report consumer and a job read: a vehicle replaying its old jobs. Not
   * report-on-canceled-job: a campaign canceled or aborted under vehicles that were about to start makes honest ones,
   * up to one attempt's reports a vehicle, as many as the campaign had such vehicles.
   */
  private reportsOnEndedJobsAlarm(): AlarmSpec {
    return this.onFirstCount(
      ALARM_SUFFIX.ReportsOnEndedJobs,
      "The update manager refused a vehicle's report on a job the vehicle had itself ended (report-on-ended-job): no honest agent reports on an attempt it concluded; see the update manager's 'job event refused' log lines for the job, hence the vehicle",
      METRIC.JobEventsRefused,
      { Reason: JOB_EVENT_REFUSAL.ReportOnEndedJob },
    );
  }

  /** An alarm on one of the fleet's own counters that fires on its first count in five minutes. */
  private onFirstCount(suffix: string, alarmDescription: string, metricName: string, dimensions?: Record<string, string>): AlarmSpec {
    return {
      suffix,
      alarmDescription,
      namespace: this.props.metricsNamespace,
      metricName,
      ...(dimensions ? { dimensions } : {}),
      statistic: "Sum",
      period: FIVE_MINUTES,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    };
  }

  /** `onFirstCount` of one metric summed over several `Reason`s (`reasons`: each one's query id), shown as `sum`. */
  private onFirstCountOfReasons(suffix: string, alarmDescription: string, metricName: string, reasons: Record<string, string>, sum: { id: string; label: string }): AlarmSpec {
    const ids = Object.keys(reasons);
    return {
      suffix,
      alarmDescription,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: 1,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
      metricQuery: [
        ...ids.map((id) => ({
          id,
          metric: { namespace: this.props.metricsNamespace, metricName, dimensions: { Reason: reasons[id]! }, period: FIVE_MINUTES, stat: "Sum" },
          returnData: false,
        })),
        { id: sum.id, expression: ids.map((id) => `FILL(${id}, 0)`).join(" + "), label: sum.label, returnData: true },
      ],
    };
  }

  private functionAlarms(shortName: string, fn: BundledFunction): AlarmSpec[] {
    return (["Errors", "Throttles"] as const).map((metricName) => ({
      suffix: `${shortName}-${metricName.toLowerCase()}`,
      alarmDescription: `${shortName} reported ${metricName.toLowerCase()} (a returned batch item failure is not an error)`,
      namespace: "AWS/Lambda",
      metricName,
      dimensions: { FunctionName: fn.functionName },
      statistic: "Sum",
      period: ONE_MINUTE,
      comparisonOperator: "GreaterThanOrEqualToThreshold",
      threshold: this.props.thresholds.lambdaErrorsPerPeriod,
      evaluationPeriods: 1,
      treatMissingData: "notBreaching",
    }));
  }
}
