import { StandardUnit, type MetricDatum } from "@aws-sdk/client-cloudwatch";
import { jobIdFor } from "../../campaigns/model.js";
import { METRIC } from "../../contracts/metrics.js";
import type { StatusReportMessage } from "../../contracts/update-messages.js";

/**
 * Most jobs one object's reports may speak of. A vehicle runs one update at a time; two cover a job that ends (a late
 * final report after a timeout) and the next one beginning within one object.
 */
export const MAX_JOBS_PER_OBJECT = 2;

/**
 * Most reports of one job one object sends. An agent's attempt is at most 9 once runs of one status collapse
 * (DEFERRED, DOWNLOADING, INSTALLING, VERIFYING as first and last, then one final report); 16 leaves room for an agent
 * that pauses a download (DEFERRED again, DOWNLOADING again).
 */
export const MAX_REPORTS_PER_JOB = 16;

/**
 * Why the processor keeps a status report off the update queue (the `Reason` of `Telemetry/StatusReportsHeldBack`).
 * Each is one the update manager could only refuse after reading the job, or more than any agent makes: the shared
 * update queue carries none of them (review 25, R25-03: 64 reports of made-up campaigns an object, each a job read,
 * let one vehicle's few KB/s hold the whole report consumer).
 */
export const REPORT_HELD_BACK = {
  /** No campaign of that id exists (the processor's campaign list, read again first when it does not know the id: campaign-cache.ts): no job can. */
  UnknownCampaign: "unknown-campaign",
  /** The job is not `<campaignId>:<uploader's VIN>`: another vehicle's, never the uploader's to report on. */
  OtherVehicle: "other-vehicle",
  /**
   * An attempt before the newest the object reports for the job. A vehicle learns an attempt from the signed document
   * the update manager publishes after it moved the job there, and attempts only grow: the job is already past it.
   */
  OlderAttempt: "older-attempt",
  /** Reports of more jobs than MAX_JOBS_PER_OBJECT: the object's latest jobs are kept. */
  TooManyJobs: "too-many-jobs",
  /** More of one job's reports than MAX_REPORTS_PER_JOB: its latest are kept. */
  TooManyReports: "too-many-reports",
} as const;
export type ReportHeldBack = (typeof REPORT_HELD_BACK)[keyof typeof REPORT_HELD_BACK];

export type HeldBackCounts = Partial<Record<ReportHeldBack, number>>;

/** The reports of an object that go to the update queue, and how many were held back, by reason. */
export interface ScreenedReports {
  reports: StatusReportMessage[];
  heldBack: HeldBackCounts;
}

/**
 * The status reports of one vehicle's object (statusReportsOf's, in object order) that can still apply: of the uploader's
 * own jobs (`<campaignId>:<VIN>`) in campaigns that exist, each job's newest attempt in the object, at most
 * MAX_JOBS_PER_OBJECT jobs (those reported last) and MAX_REPORTS_PER_JOB reports a job (its last). The update manager
 * would refuse every report held back, but only after reading its job from the shared report queue; an honest object
 * loses none that could apply (its older attempts' reports are refused `older-attempt` there today). Only the object's
 * own reports are judged, so a vehicle can hold back none but its own.
 *
 * @example
 * const { reports, heldBack } = screenStatusReports(collapsedReports, new Set(["c-20261203T100000-aaaaaaaa"]));
 * heldBack["unknown-campaign"]; // e.g. 64 for an object of made-up campaigns' reports
 */
export function screenStatusReports(reports: readonly StatusReportMessage[], knownCampaignIds: ReadonlySet<string>): ScreenedReports {
  const heldBack: HeldBackCounts = {};
  const hold = (reason: ReportHeldBack, count = 1) => {
    if (count > 0) heldBack[reason] = (heldBack[reason] ?? 0) + count;
  };
  const ownJobs: StatusReportMessage[] = [];
  const newestAttempt = new Map<string, number>();
  for (const report of reports) {
    if (report.jobId !== jobIdFor(report.campaignId, report.vin)) hold(REPORT_HELD_BACK.OtherVehicle);
    else if (!knownCampaignIds.has(report.campaignId)) hold(REPORT_HELD_BACK.UnknownCampaign);
    else {
      ownJobs.push(report);
      newestAttempt.set(report.jobId, Math.max(newestAttempt.get(report.jobId) ?? 0, report.attempt));
    }
  }
  const current = ownJobs.filter((report) => report.attempt === newestAttempt.get(report.jobId));
  hold(REPORT_HELD_BACK.OlderAttempt, ownJobs.length - current.length);
  const lastReportOf = new Map<string, number>();
  current.forEach((report, index) => lastReportOf.set(report.jobId, index));
  const keptJobs = new Set([...lastReportOf].sort(([, a], [, b]) => a - b).slice(-MAX_JOBS_PER_OBJECT).map(([jobId]) => jobId));
  const sentOfJob = new Map<string, number>();
  const sent: StatusReportMessage[] = [];
  for (let index = current.length - 1; index >= 0; index--) {
    const report = current[index]!;
    const count = sentOfJob.get(report.jobId) ?? 0;
    if (!keptJobs.has(report.jobId)) hold(REPORT_HELD_BACK.TooManyJobs);
    else if (count >= MAX_REPORTS_PER_JOB) hold(REPORT_HELD_BACK.TooManyReports);
    else {
      sentOfJob.set(report.jobId, count + 1);
      sent.push(report);
    }
  }
  return { reports: sent.reverse(), heldBack };
}

/** Status reports held back over one invocation, by reason: `Telemetry/StatusReportsHeldBack` (dimension Reason). */
export class HeldBackTally {
  private readonly counts = new Map<string, number>();

  add(heldBack: HeldBackCounts): void {
    for (const [reason, count] of Object.entries(heldBack)) this.counts.set(reason, (this.counts.get(reason) ?? 0) + (count ?? 0));
  }

  get total(): number {
    let total = 0;
    for (const count of this.counts.values()) total += count;
    return total;
  }

  metricData(timestamp: Date): MetricDatum[] {
    return [...this.counts].map(([reason, count]) => ({
      MetricName: METRIC.StatusReportsHeldBack,
      Dimensions: [{ Name: "Reason", Value: reason }],
      Value: count,
      Unit: StandardUnit.Count,
      Timestamp: timestamp,
    }));
  }
}

/** The total of a count by reason. */
export function heldBackTotal(heldBack: HeldBackCounts): number {
  return Object.values(heldBack).reduce((sum, count) => sum + (count ?? 0), 0);
}
