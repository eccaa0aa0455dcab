import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { CampaignRecords } from "../../campaigns/store/index.js";
import { MAX_SEQUENCE_STEP } from "../../campaigns/job-machine.js";
import { matchesCampaign } from "../../campaigns/targeting.js";
import { CAMPAIGN_STATE, jobIdFor, type CampaignDefinition } from "../../campaigns/model.js";
import {
  AGENT_STATUS,
  UPDATE_MESSAGE_KIND,
  type AgentStatus,
  type CandidateMessage,
  type StatusReportMessage,
  type UpdateMessage,
  type VehicleSnapshot,
} from "../../contracts/update-messages.js";
import { isNewerEntry, type FleetVehicle, type LatestEntry } from "../../telemetry/aggregate.js";
import { MAX_JOBS_PER_OBJECT, MAX_REPORTS_PER_JOB, screenStatusReports, type HeldBackCounts } from "./report-screen.js";
import type { EnrichedRecord } from "../../telemetry/enrich.js";

/** SendMessageBatch takes at most 10 entries. */
export const SEND_BATCH_SIZE = 10;
const SEND_ATTEMPTS = 3;

/** Some update messages could not be sent after retries: the telemetry message is retried whole. */
export class UpdateQueueSendError extends Error {
  override readonly name = "UpdateQueueSendError";
  constructor(readonly failed: number, detail: string) {
    super(`${failed} update message(s) not accepted by the update queue: ${detail}`);
  }
}

/**
 * At most this many status reports of one object go to the update queue: MAX_JOBS_PER_OBJECT jobs of
 * MAX_REPORTS_PER_JOB each (report-screen.ts). An agent reports at each phase change and re-reports its status as a
 * heartbeat in between; a run of heartbeats collapses into its first and last report (below), so a genuine object
 * carries a handful even after days offline. Without a bound, one object of 10,000 `ota` lines (a few KiB gzipped)
 * made 10,000 update messages: 10,000 update-manager reads and, for jobs that do not exist, 10,000 parked objects, a
 * cheap lever for one vehicle on the update queue, on `Reliability/MessagesParked` and on the dashboard's "needs a hand".
 */
export const MAX_STATUS_REPORTS_PER_OBJECT = MAX_JOBS_PER_OBJECT * MAX_REPORTS_PER_JOB;

/** What an agent reports while a job is on its way; a run of one of them is a heartbeat. */
const PROGRESS_STATUSES: ReadonlySet<AgentStatus> = new Set([AGENT_STATUS.Deferred, AGENT_STATUS.Downloading, AGENT_STATUS.Installing, AGENT_STATUS.Verifying]);

/** The status reports of one object, and how many past MAX_STATUS_REPORTS_PER_OBJECT were withheld. */
export interface ObjectStatusReports {
  reports: StatusReportMessage[];
  /** Reports not sent: the earliest of an object with more than the bound (the last ones decide a job). */
  withheld: number;
  /** Reports held back by screenStatusReports, by reason (only when the campaigns were given). */
  heldBack: HeldBackCounts;
}

/**
 * The status reports of an object's records of `uploaderVin` that carry an `ota` block, keyed
 * `<jobId>#<attempt>#<sequence>` so a redelivered object produces the same keys. `uploaderVin` is the VIN
 * the object key binds (the vehicle that uploaded it); the message carries it, and a record of any other
 * VIN yields no report (the reader has already rejected such records; this holds even if it had not).
 *
 * A run of progress reports (DEFERRED, DOWNLOADING, INSTALLING, VERIFYING) of one job attempt with one
 * status, sequences rising and within MAX_SEQUENCE_STEP of the run's first, is sent as its first and its
 * last report: the job machine leaves the job as all of them would (a same-status report records no
 * transition; the job keeps the last sequence, firmware and reason; the first keeps the sequence-jump
 * check where it was). Final reports are never merged (a later SUCCEEDED on another firmware is refused,
 * an earlier one would have applied). With `knownCampaignIds` (every campaign's id), what remains is screened
 * (report-screen.ts: only what can still apply, counted by reason in `heldBack`) before the bound: a vehicle's junk
 * cannot push its own genuine reports out. Of what remains, the last MAX_STATUS_REPORTS_PER_OBJECT are sent.
 *
 * @example
 * statusReportsOf(readout.otaRecords, "5YJ3E1EA7KF317000").reports[0]?.idempotencyKey; // "c-1:5YJ3E1EA7KF317000#1#3"
 */
export function statusReportsOf(accepted: readonly EnrichedRecord[], uploaderVin: string, knownCampaignIds?: ReadonlySet<string>): ObjectStatusReports {
  const reports: StatusReportMessage[] = [];
  /** Per job attempt, where its latest run of one status starts and ends in `reports`. */
  const runOfAttempt = new Map<string, { head: number; tail: number }>();
  for (const { record } of accepted) {
    if (!record.ota || record.vin !== uploaderVin) continue;
    const report: StatusReportMessage = {
      kind: UPDATE_MESSAGE_KIND.StatusReport,
      idempotencyKey: `${record.ota.jobId}#${record.ota.attempt}#${record.ota.sequence}`,
      vin: uploaderVin,
      campaignId: record.ota.campaignId,
      jobId: record.ota.jobId,
      attempt: record.ota.attempt,
      sequence: record.ota.sequence,
      status: record.ota.status,
      ...(record.ota.reason === undefined ? {} : { reason: record.ota.reason }),
      firmwareVersion: record.firmware.version,
      reportedAt: record.ts,
    };
    const attemptKey = JSON.stringify([report.campaignId, report.jobId, report.attempt]);
    const run = runOfAttempt.get(attemptKey);
    const head = run && reports[run.head];
    const tail = run && reports[run.tail];
    if (run && head && tail && tail.status === report.status && PROGRESS_STATUSES.has(report.status) && report.sequence > tail.sequence && report.sequence - head.sequence <= MAX_SEQUENCE_STEP) {
      if (run.tail === run.head) run.tail = reports.push(report) - 1;
      else reports[run.tail] = report;
      continue;
    }
    runOfAttempt.set(attemptKey, { head: reports.length, tail: reports.length });
    reports.push(report);
  }
  const screened = knownCampaignIds === undefined ? { reports, heldBack: {} } : screenStatusReports(reports, knownCampaignIds);
  const withheld = Math.max(0, screened.reports.length - MAX_STATUS_REPORTS_PER_OBJECT);
  return { reports: withheld > 0 ? screened.reports.slice(withheld) : screened.reports, withheld, heldBack: screened.heldBack };
}

/**
 * The campaigns that the uploader's reports on its own jobs (`<campaignId>:<uploaderVin>`) name: the ids the screen
 * judges against the campaign list (report-screen.ts), and the only ones that make the processor read it again
 * (campaign-cache.ts). A report on any other job is held back whatever the list holds.
 *
 * @example
 * reportedCampaignIds(readout.otaRecords, "5YJ3E1EA7KF317000"); // Set { "c-20261203T100000-aaaaaaaa" }
 */
export function reportedCampaignIds(accepted: readonly EnrichedRecord[], uploaderVin: string): Set<string> {
  const campaignIds = new Set<string>();
  for (const { record } of accepted) {
    if (record.ota && record.vin === uploaderVin && record.ota.jobId === jobIdFor(record.ota.campaignId, uploaderVin)) campaignIds.add(record.ota.campaignId);
  }
  return campaignIds;
}

/**
 * What the update side knows of a vehicle from its fleet-state entry.
 *
 * @example
 * vehicleSnapshotOf(entry.vehicle).parked; // true
 */
export function vehicleSnapshotOf(fleetVehicle: FleetVehicle): VehicleSnapshot {
  const { vin, make, model, modelYear, region, hardwareId, firmwareVersion, parked, stateOfCharge, connectivity, lastSeen } = fleetVehicle;
  return { vin, make, model, modelYear, region, hardware: hardwareId, firmwareVersion, parked, stateOfCharge, connectivity, observedAt: lastSeen };
}

/**
 * The candidate of a vehicle's own object: from the latest record of `uploaderVin` (the VIN the object key
 * binds, as for statusReportsOf), and only when it matches a running campaign's targeting; at most one per
 * object, keyed on the observation (`candidate#<vin>#<ts>`). Campaign decisions (admission into a wave, a
 * place on the waiting list, a moving job's preconditions) are taken on a vehicle's own word only: a record of
 * any other VIN yields none (the reader has already rejected such records; this holds even if it had not), and
 * a fleet gateway's object, which has no uploader VIN (telemetry/uploader-binding.ts `reportingVin`), is never
 * handed here: its records feed the fleet state, the metrics and the dashboard, never a campaign.
 *
 * @example
 * candidatesOf(readout.latest, "1HGCM82633A004352", runningCampaigns).length; // 0 or 1
 */
export function candidatesOf(entries: readonly LatestEntry[], uploaderVin: string, activeCampaigns: readonly CampaignDefinition[]): CandidateMessage[] {
  if (activeCampaigns.length === 0) return [];
  let latest: LatestEntry | undefined;
  for (const entry of entries) {
    if (entry.vehicle.vin === uploaderVin && (!latest || isNewerEntry(entry, latest))) latest = entry;
  }
  if (!latest) return [];
  const vehicle = vehicleSnapshotOf(latest.vehicle);
  if (!activeCampaigns.some((definition) => matchesCampaign(definition, vehicle))) return [];
  return [{ kind: UPDATE_MESSAGE_KIND.Candidate, idempotencyKey: `candidate#${vehicle.vin}#${vehicle.observedAt}`, vehicle }];
}

/** What the processor knows of the campaigns (campaign-cache.ts): every campaign's id, and the RUNNING ones' definitions. */
export interface KnownCampaigns {
  /** Every campaign, whatever its state: a status report can belong only to a job of one of them. */
  ids: ReadonlySet<string>;
  /** The campaigns a candidate may be admitted to. */
  running: CampaignDefinition[];
}

/** No campaign at all (an object that asks for none). */
export const NO_CAMPAIGNS: KnownCampaigns = { ids: new Set(), running: [] };

/**
 * The campaigns, from one query on the campaigns index (paginated: it reads every campaign item whole).
 *
 * @example
 * const { ids, running } = await loadCampaigns(store.campaigns);
 */
export async function loadCampaigns(campaigns: Pick<CampaignRecords, "list">): Promise<KnownCampaigns> {
  const all = await campaigns.list();
  return {
    ids: new Set(all.map((campaign) => campaign.campaignId)),
    running: all.filter((campaign) => campaign.state === CAMPAIGN_STATE.Running).map((campaign) => campaign.definition),
  };
}

/**
 * A message as JSON that SQS takes: SQS allows only XML's characters in a body (U+0009, U+000A, U+000D,
 * U+0020–U+D7FF, U+E000–U+FFFD, U+10000–U+10FFFF) and refuses the rest. JSON.stringify already escapes
 * the C0 controls and lone surrogates, but leaves U+FFFE and U+FFFF as they are, and a vehicle's names,
 * ids and reasons may hold them (the telemetry schema refuses only control characters): escaped here, so
 * such a record cannot fail its object (and every vehicle in a gateway's object) on every retry into the DLQ.
 * JSON.parse gives back the same message.
 *
 * @example
 * sqsMessageBody({ reason: "bad\uffff" }); // '{"reason":"bad\\uffff"}'
 */
export function sqsMessageBody(message: UpdateMessage | Record<string, unknown>): string {
  return JSON.stringify(message).replace(/[\ufffe\uffff]/g, (character) => `\\u${character.charCodeAt(0).toString(16)}`);
}

/**
 * Sends messages in SendMessageBatch calls of 10, retrying entries SQS refused; throws
 * UpdateQueueSendError when some still fail.
 *
 * @example
 * await sendUpdateMessages(sqs, queueUrl, [...statusReportsOf(accepted, uploaderVin).reports, ...candidatesOf(accepted, uploaderVin, active)]);
 */
export async function sendUpdateMessages(sqs: SQSClient, queueUrl: string, messages: readonly UpdateMessage[]): Promise<number> {
  for (let start = 0; start < messages.length; start += SEND_BATCH_SIZE) {
    let entries = messages.slice(start, start + SEND_BATCH_SIZE).map((message, index) => ({ Id: String(index), MessageBody: sqsMessageBody(message) }));
    let lastError = "";
    for (let attempt = 0; attempt < SEND_ATTEMPTS && entries.length > 0; attempt++) {
      const response = await sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries: entries }));
      const failedIds = new Set((response.Failed ?? []).map((failure) => failure.Id));
      lastError = (response.Failed ?? []).map((failure) => `${failure.Code}: ${failure.Message ?? ""}`).join("; ");
      entries = entries.filter((entry) => failedIds.has(entry.Id));
    }
    if (entries.length > 0) throw new UpdateQueueSendError(entries.length, lastError);
  }
  return messages.length;
}
