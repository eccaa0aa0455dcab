import { SendMessageBatchCommand, type SQSClient } from "@aws-sdk/client-sqs";
import { WITHDRAWAL_SETTLE_MINUTES } from "../../campaigns/job-documents.js";
import { ACTIVE_JOB_STATES, CAMPAIGN_STATE, RETRYABLE_JOB_STATES, TERMINAL_CAMPAIGN_STATES, countJobsIn, type Campaign } from "../../campaigns/model.js";
import { OPERATOR_COMMAND, UPDATE_MESSAGE_KIND, type CommandMessage } from "../../contracts/update-messages.js";

/**
 * Campaigns a tick has work for: those rolling or about to (SCHEDULED, RUNNING, PAUSED — a paused one
 * still times out silent vehicles), ended ones with jobs still QUEUED, DEFERRED or IN_PROGRESS (a canceled or aborted
 * campaign's not yet canceled or left to finish; a COMPLETED one's brought back by a late report), and any
 * campaign whose jobs still owe a withdrawal of their document (`withdrawalsOwed`; a final one's tick rolls nothing), and
 * once more a canceled or aborted one with FAILED or TIMED_OUT jobs whose retries are not yet recorded dropped, at
 * `now` WITHDRAWAL_SETTLE_MINUTES or more after it ended (campaigns/update-service.ts sweepUnstartedJobs): a retry its
 * earlier sweeps missed (written unconditionally by the code before job writes kept for an unended campaign were
 * conditional, or missing from a listing the per-state index had not caught up with) is taken then, even when nothing
 * else keeps it ticked.
 *
 * @example
 * const due = campaignsToTick(await store.campaigns.list(), new Date());
 */
export function campaignsToTick(campaigns: readonly Campaign[], now: Date): Campaign[] {
  return campaigns.filter((campaign) => {
    if (campaign.state === CAMPAIGN_STATE.Scheduled || campaign.state === CAMPAIGN_STATE.Running || campaign.state === CAMPAIGN_STATE.Paused) {
      return true;
    }
    if ((campaign.withdrawalsOwed ?? 0) > 0 && campaign.state !== CAMPAIGN_STATE.Draft) return true;
    if (retriesToDrop(campaign, now)) return true;
    // A job still moving in a campaign that ended (started before a cancel or an abort, or a TIMED_OUT one a late report
    // brought back, COMPLETED campaigns included) is held to its limits, so it cannot show as moving, nor hold its
    // vehicle, for good; a canceled or aborted campaign's unstarted jobs are canceled.
    return TERMINAL_CAMPAIGN_STATES.includes(campaign.state) && countJobsIn(campaign.counts, ACTIVE_JOB_STATES) > 0;
  });
}

function retriesToDrop(campaign: Campaign, now: Date): boolean {
  if (campaign.state !== CAMPAIGN_STATE.Canceled && campaign.state !== CAMPAIGN_STATE.Aborted) return false;
  if (campaign.retriesDroppedAt !== undefined || countJobsIn(campaign.counts, RETRYABLE_JOB_STATES) === 0) return false;
  return now.getTime() >= Date.parse(campaign.finishedAt ?? campaign.updatedAt) + WITHDRAWAL_SETTLE_MINUTES * 60_000;
}

/**
 * The tick command for one campaign at one minute; the idempotency key is per campaign and minute, so a
 * schedule delivered twice asks for the same tick.
 *
 * @example
 * tickMessage("c-1", new Date("2026-11-26T18:04:31Z")).idempotencyKey; // "tick:c-1:2026-11-26T18:04"
 */
export function tickMessage(campaignId: string, at: Date): CommandMessage {
  const iso = at.toISOString();
  return {
    kind: UPDATE_MESSAGE_KIND.Command,
    idempotencyKey: `tick:${campaignId}:${iso.slice(0, 16)}`,
    command: OPERATOR_COMMAND.Tick,
    campaignId,
    requestedBy: "rollout-ticker",
    requestedAt: iso,
  };
}

export class TickSendError extends Error {
  override readonly name = "TickSendError";
  constructor(readonly failedCampaignIds: string[]) {
    super(`could not queue ticks for ${failedCampaignIds.join(", ")}`);
  }
}

/**
 * Sends tick commands to the command queue in batches of ten. Throws TickSendError naming the campaigns
 * whose tick was not accepted (the schedule retries the invocation).
 */
export async function sendTicks(sqs: SQSClient, queueUrl: string, messages: readonly CommandMessage[]): Promise<number> {
  const failed: string[] = [];
  for (let start = 0; start < messages.length; start += 10) {
    const batch = messages.slice(start, start + 10);
    const response = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: batch.map((message, index) => ({ Id: String(index), MessageBody: JSON.stringify(message) })),
      }),
    );
    for (const failure of response.Failed ?? []) failed.push(batch[Number(failure.Id)]!.campaignId);
  }
  if (failed.length > 0) throw new TickSendError(failed);
  return messages.length;
}
