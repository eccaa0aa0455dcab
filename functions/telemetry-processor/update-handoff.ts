import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import type { CampaignRecords } from "../../campaigns/store/index.js";
import { matchesCampaign } from "../../campaigns/targeting.js";
import { CAMPAIGN_STATE, type CampaignDefinition } from "../../campaigns/model.js";
import {
  UPDATE_MESSAGE_KIND,
  type CandidateMessage,
  type StatusReportMessage,
  type UpdateMessage,
  type VehicleSnapshot,
} from "../../contracts/update-messages.js";
import { fleetVehicleOf, isNewer } from "../../telemetry/aggregate.js";
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
 * One status report per record of `uploaderVin` carrying an `ota` block, keyed
 * `<jobId>#<attempt>#<sequence>` so a redelivered object produces the same keys. `uploaderVin` is the VIN
 * the object key binds (the vehicle that uploaded it); the message carries it, and a record of any other
 * VIN yields no report (the reader has already rejected such records; this holds even if it had not).
 *
 * @example
 * statusReportsOf(readout.otaRecords, "5YJ3E1EA7KF317000")[0]?.idempotencyKey; // "c-1:5YJ3E1EA7KF317000#1#3"
 */
export function statusReportsOf(accepted: readonly EnrichedRecord[], uploaderVin: string): StatusReportMessage[] {
  const reports: StatusReportMessage[] = [];
  for (const { record } of accepted) {
    if (!record.ota || record.vin !== uploaderVin) continue;
    reports.push({
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
    });
  }
  return reports;
}

/**
 * What the update side knows of a vehicle from one record.
 *
 * @example
 * vehicleSnapshotOf(enriched).parked; // true
 */
export function vehicleSnapshotOf(enriched: EnrichedRecord): VehicleSnapshot {
  const { vin, make, model, modelYear, region, hardwareId, firmwareVersion, parked, stateOfCharge, connectivity, lastSeen } = fleetVehicleOf(enriched);
  return { vin, make, model, modelYear, region, hardware: hardwareId, firmwareVersion, parked, stateOfCharge, connectivity, observedAt: lastSeen };
}

/**
 * At most one candidate per vehicle per object: from the vehicle's latest record in it, and only
 * when it matches an active campaign's targeting. Keyed on the observation (`candidate#<vin>#<ts>`).
 *
 * @example
 * candidatesOf(readout.accepted, runningCampaigns).length; // vehicles that look eligible
 */
export function candidatesOf(accepted: readonly EnrichedRecord[], activeCampaigns: readonly CampaignDefinition[]): CandidateMessage[] {
  if (activeCampaigns.length === 0) return [];
  const latest = new Map<string, EnrichedRecord>();
  for (const enriched of accepted) {
    const current = latest.get(enriched.record.vin);
    if (!current || isNewer(enriched, current)) latest.set(enriched.record.vin, enriched);
  }
  const candidates: CandidateMessage[] = [];
  for (const enriched of latest.values()) {
    const vehicle = vehicleSnapshotOf(enriched);
    if (!activeCampaigns.some((definition) => matchesCampaign(definition, vehicle))) continue;
    candidates.push({ kind: UPDATE_MESSAGE_KIND.Candidate, idempotencyKey: `candidate#${vehicle.vin}#${vehicle.observedAt}`, vehicle });
  }
  return candidates;
}

/**
 * Definitions of the campaigns currently RUNNING (one query on the campaigns index).
 *
 * @example
 * const active = await loadActiveCampaigns(store.campaigns);
 */
export async function loadActiveCampaigns(campaigns: Pick<CampaignRecords, "list">): Promise<CampaignDefinition[]> {
  const all = await campaigns.list();
  return all.filter((campaign) => campaign.state === CAMPAIGN_STATE.Running).map((campaign) => campaign.definition);
}

/**
 * Sends messages in SendMessageBatch calls of 10, retrying entries SQS refused; throws
 * UpdateQueueSendError when some still fail.
 *
 * @example
 * await sendUpdateMessages(sqs, queueUrl, [...statusReportsOf(accepted, uploaderVin), ...candidatesOf(accepted, active)]);
 */
export async function sendUpdateMessages(sqs: SQSClient, queueUrl: string, messages: readonly UpdateMessage[]): Promise<number> {
  for (let start = 0; start < messages.length; start += SEND_BATCH_SIZE) {
    let entries = messages.slice(start, start + SEND_BATCH_SIZE).map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) }));
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
