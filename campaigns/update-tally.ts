import type { MetricDatum } from "@aws-sdk/client-cloudwatch";
import { METRIC } from "../contracts/metrics.js";
import { JOB_STATE, type JobState } from "./model.js";
import type { CandidateRefusal } from "./registry-check.js";

/**
 * Why the update manager refused a job event it does not park (the `Reason` of OTAUpdates/JobEventsRefused): the job
 * machine's refusals without a ReportRefusal (job-machine.ts), which update-service.ts applyJobEvent only logs.
 */
export const JOB_EVENT_REFUSAL = {
  /**
   * A vehicle's report on a job it ended itself (SUCCEEDED, FAILED, ROLLED_BACK, REJECTED: entered only on the vehicle's
   * own final report) with a sequence past that final one. An agent reports nothing on an attempt it concluded, and its
   * reports from before the end carry lower sequences (ignored as stale, not refused): no honest vehicle sends one.
   */
  ReportOnEndedJob: "report-on-ended-job",
  /**
   * A vehicle's report on a job the update side canceled (its campaign canceled or aborted before the job started). An
   * honest vehicle sends these: what it reported before the cancel but uploads after it (objects are hourly, a vehicle
   * offline uploads later still), and what it reports until it reads the signed withdrawal; one attempt's worth a job.
   */
  ReportOnCanceledJob: "report-on-canceled-job",
  /** A retry of a job in a state that takes none. */
  NotRetryable: "not-retryable",
} as const;
export type JobEventRefusal = (typeof JOB_EVENT_REFUSAL)[keyof typeof JOB_EVENT_REFUSAL];

/**
 * Counts the job transitions applied since the tally was last written (OTAUpdates/*, EMF log lines: the update
 * manager writes and resets it when each message ends, and during a long one; functions/update-manager/process.ts).
 * `InProgress` counts jobs that started (entered IN_PROGRESS); `SuccessRate` is succeeded over all
 * outcomes counted, in percent, and only sent when there was an outcome. `CandidatesRefused` counts
 * candidates not admitted on the registry's word, by `Reason` (campaigns/registry-check.ts); `WithdrawalsFailed` the job
 * document withdrawals that failed (each done again by the ticker until it lands); `JobEventsRefused` the job events
 * refused and only logged, by `Reason` (JOB_EVENT_REFUSAL). Dimensioned counts are written only when non-zero.
 */
export class UpdateTally {
  succeeded = 0;
  failed = 0;
  timedOut = 0;
  rolledBack = 0;
  started = 0;
  transitions = 0;
  /** Job document withdrawals that failed (each is done again by the ticker: job-documents.ts). */
  withdrawalsFailed = 0;
  readonly refusedCandidates = new Map<CandidateRefusal, number>();
  readonly refusedJobEvents = new Map<JobEventRefusal, number>();

  /**
   * @example
   * tally.count("IN_PROGRESS", "SUCCEEDED");
   */
  count(from: JobState, to: JobState): void {
    if (from === to) return;
    this.transitions++;
    if (to === JOB_STATE.Succeeded) this.succeeded++;
    else if (to === JOB_STATE.Failed) this.failed++;
    else if (to === JOB_STATE.TimedOut) this.timedOut++;
    else if (to === JOB_STATE.RolledBack) this.rolledBack++;
    else if (to === JOB_STATE.InProgress) this.started++;
  }

  /**
   * @example
   * tally.refuseCandidate("description-mismatch");
   */
  refuseCandidate(reason: CandidateRefusal): void {
    this.refusedCandidates.set(reason, (this.refusedCandidates.get(reason) ?? 0) + 1);
  }

  /**
   * @example
   * tally.refuseJobEvent("report-on-ended-job");
   */
  refuseJobEvent(reason: JobEventRefusal): void {
    this.refusedJobEvents.set(reason, (this.refusedJobEvents.get(reason) ?? 0) + 1);
  }

  /** A job document withdrawal failed (logged by the caller; the ticker withdraws it again). */
  withdrawalFailed(): void {
    this.withdrawalsFailed++;
  }

  /** Starts over, once what was counted is written. */
  reset(): void {
    this.succeeded = this.failed = this.timedOut = this.rolledBack = this.started = this.transitions = this.withdrawalsFailed = 0;
    this.refusedCandidates.clear();
    this.refusedJobEvents.clear();
  }

  get isEmpty(): boolean {
    return this.transitions === 0 && this.refusedCandidates.size === 0 && this.refusedJobEvents.size === 0 && this.withdrawalsFailed === 0;
  }

  /**
   * The metric data of this tally, timestamped `at`.
   *
   * @example
   * import { writeEmfMetrics } from "../lib/emf-metrics.js";
   * writeEmfMetrics(tally.toMetricData(new Date()), { namespace: "FleetOTA", log });
   */
  toMetricData(at: Date): MetricDatum[] {
    const count = (name: string, value: number): MetricDatum => ({ MetricName: name, Value: value, Unit: "Count", Timestamp: at });
    const data =
      this.transitions === 0
        ? []
        : [
            count(METRIC.UpdatesSucceeded, this.succeeded),
            count(METRIC.UpdatesFailed, this.failed),
            count(METRIC.UpdatesTimedOut, this.timedOut),
            count(METRIC.UpdatesRolledBack, this.rolledBack),
            count(METRIC.UpdatesInProgress, this.started),
          ];
    for (const [reason, value] of this.refusedCandidates) {
      data.push({ ...count(METRIC.CandidatesRefused, value), Dimensions: [{ Name: "Reason", Value: reason }] });
    }
    for (const [reason, value] of this.refusedJobEvents) {
      data.push({ ...count(METRIC.JobEventsRefused, value), Dimensions: [{ Name: "Reason", Value: reason }] });
    }
    if (this.withdrawalsFailed > 0) data.push(count(METRIC.WithdrawalsFailed, this.withdrawalsFailed));
    const outcomes = this.succeeded + this.failed + this.timedOut + this.rolledBack;
    if (outcomes > 0) {
      data.push({ MetricName: METRIC.UpdateSuccessRate, Value: (this.succeeded / outcomes) * 100, Unit: "Percent", Timestamp: at });
    }
    return data;
  }
}
