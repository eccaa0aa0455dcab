import type { Log } from "../lib/logger.js";
import { SlotChangedError, type JobDocumentChannel, type JobSlot } from "./document-channel.js";
import { decideJobEvent } from "./job-machine.js";
import { ACTIVE_JOB_STATES, CAMPAIGN_STATE, JOB_HISTORY_LIMIT, JOB_STATE, TERMINAL_CAMPAIGN_STATES, owesWithdrawal, willNotRun, type Campaign, type Job } from "./model.js";
import { StaleJobError, type CampaignStore } from "./store/index.js";
import type { UpdateTally } from "./update-tally.js";

export { willNotRun };

/**
 * The vehicles' job documents as the update service keeps them: one slot per vehicle (`jobs/<VIN>.json`), every
 * write to it conditional on the slot as read (document-channel.ts). What holds after any interleaving:
 *
 * - A job that will not run (canceled, or timed out before it started) keeps no live install document. Its
 *   canceller writes the job first, then reads the slot and withdraws what is this job's (`withdraw`); a publisher
 *   writes the slot first, then reads the job (its conditional record of the document, and the re-read when that
 *   loses) and the campaign, and takes the document back itself when the job will not run or the campaign ended.
 *   Both stores read strongly consistent, so of the two second steps at least one sees the other's first step.
 * - A slot serves one moving job: a job whose vehicle's slot holds another campaign's job still moving stays QUEUED
 *   with the reason ("vehicle busy in campaign …"), and the tick, which publishes every QUEUED job without its
 *   document each minute, publishes it once that job has ended. An operator's retry of such a job is refused, with
 *   the reason in the job's history.
 * - A withdrawal is durable. The job write that makes a job one that will not run (or times it out in a campaign that
 *   ended, model.ts `owesWithdrawal`) also counts it in its campaign's `withdrawalsOwed` (store, same transaction); the withdrawal right after it may fail (a KMS throttle, an S3 error)
 *   or never run (the invocation died), and a publisher may die between its PUT and its check. So the ticker keeps
 *   ticking a campaign, final or not, while it owes withdrawals, and withdraws each such job's document again
 *   (`settleWithdrawal`) until one is done at least WITHDRAWAL_SETTLE_MINUTES after the job's last write, when no
 *   publisher that read the job before it can still be writing: then the job records `documentWithdrawnAttempt` and
 *   the campaign's count goes down with it.
 */

export interface DocumentDeps {
  store: CampaignStore;
  documents: JobDocumentChannel;
  log: Log;
  now: () => Date;
  /** Counts failed withdrawals (OTAUpdates/WithdrawalsFailed). */
  tally?: Pick<UpdateTally, "withdrawalFailed">;
}

/** How many times a publisher reads the slot (or the job) again after losing it to another writer before the message is retried. */
const MAX_SLOT_ROUNDS = 8;

/** The start of the reason a job waiting for its vehicle's slot gives. */
export const VEHICLE_BUSY = "vehicle busy in campaign";

/** A job of a rolling (RUNNING, PAUSED) campaign that still holds its vehicle: moving, or failed with an automatic retry ahead. */
export function isStillMoving(job: Job): boolean {
  return ACTIVE_JOB_STATES.includes(job.state) || job.nextRetryAt !== undefined;
}

/**
 * How long after a job's last write its withdrawal is confirmed: Lambda's longest invocation (15 minutes), so a
 * publisher that read the job before it was canceled has written its document (or died) by then, and a margin.
 */
export const WITHDRAWAL_SETTLE_MINUTES = 20;

/**
 * Whether a job holds its vehicle's slot against other campaigns. In a campaign that has not ended: while it moves or
 * has an automatic retry ahead (`isStillMoving`). In one that ended (canceled, aborted, completed), which retries
 * nothing: only while it moves within its own limits — a started job left to finish holds the vehicle while it may
 * still be installing (an agent never interrupts an install), but not once its campaign's tick would time it out
 * (silent past `inProgressTimeoutMinutes`, or past `maxInProgressMinutes`); a stray `nextRetryAt` holds nothing.
 * A job whose campaign is gone holds nothing.
 *
 * @example
 * holdsVehicle(job, await store.campaigns.get(job.campaignId), new Date()); // false: another campaign may publish
 */
export function holdsVehicle(job: Job, campaign: Pick<Campaign, "state" | "definition"> | undefined, at: Date): boolean {
  if (campaign === undefined) return false;
  if (!TERMINAL_CAMPAIGN_STATES.includes(campaign.state)) return isStillMoving(job);
  return ACTIVE_JOB_STATES.includes(job.state) && decideJobEvent(job, { type: "timeout-check", at }, campaign.definition).kind !== "applied";
}

/**
 * Another campaign's job that holds the vehicle's slot (its install document is there) and still holds the vehicle
 * (`holdsVehicle`), if any.
 *
 * @example
 * const other = await slotBusyWith(deps, job, await deps.documents.read(job.vin)); // undefined: the slot is free for `job`
 */
export async function slotBusyWith(deps: DocumentDeps, job: Job, slot: JobSlot): Promise<Job | undefined> {
  const holder = slot.holder;
  if (holder === undefined || holder.jobId === job.jobId) return undefined;
  const other = await deps.store.jobs.get(holder.campaignId, job.vin);
  if (other === undefined || !isStillMoving(other)) return undefined;
  // Its campaign's state decides (one read, only when the holder still looks busy).
  return holdsVehicle(other, await deps.store.campaigns.get(holder.campaignId), deps.now()) ? other : undefined;
}

/** Why a job's document cannot go out now. */
export function busyReason(other: Job): string {
  return `${VEHICLE_BUSY} ${other.campaignId} (its job there is ${other.state}); the document goes out when that job ends`;
}

/**
 * A QUEUED job of a RUNNING campaign whose current attempt has no document yet gets one, when its vehicle's slot is
 * free (absent, withdrawn, this job's, or another campaign's job that has ended); else it waits, with the reason.
 * Returns the job as stored afterwards.
 *
 * @example
 * job = await ensureDocumentPublished(deps, campaign, job); // job.documentPublishedAttempt === job.attempt once out
 */
export async function ensureDocumentPublished(deps: DocumentDeps, campaign: Campaign, initial: Job): Promise<Job> {
  let job = initial;
  for (let round = 0; round < MAX_SLOT_ROUNDS; round++) {
    if (job.state !== JOB_STATE.Queued || job.documentPublishedAttempt === job.attempt || campaign.state !== CAMPAIGN_STATE.Running) return job;
    const slot = await deps.documents.read(job.vin);
    if (slot.holder?.jobId === job.jobId && slot.holder.attempt >= job.attempt) {
      // This attempt's document is out already (a publisher that has not recorded it yet, or failed before), or a
      // later attempt's is (this job was read before a retry, which publishes its own).
      return slot.holder.attempt === job.attempt ? recordPublished(deps, job, slot.key, deps.now()) : job;
    }
    const other = await slotBusyWith(deps, job, slot);
    if (other) return waitForSlot(deps, job, other);
    const at = deps.now();
    try {
      const documentKey = await deps.documents.publish(job, campaign, at, slot);
      return await afterPublish(deps, job, documentKey, at);
    } catch (error) {
      if (!(error instanceof SlotChangedError)) throw error;
      // Withdrawn, published by another writer, or another campaign's meanwhile: decide again on what is there now.
      job = (await deps.store.jobs.get(job.campaignId, job.vin)) ?? job;
    }
  }
  throw new SlotChangedError(job.vin);
}

/**
 * After the slot was written, the campaign is read: one that ended (canceled, aborted) meanwhile takes the document
 * back at once (its sweep cancels the job). A PAUSED one keeps it, as it keeps every document already out.
 */
async function afterPublish(deps: DocumentDeps, job: Job, documentKey: string, at: Date): Promise<Job> {
  const campaign = await deps.store.campaigns.get(job.campaignId);
  if (campaign === undefined || TERMINAL_CAMPAIGN_STATES.includes(campaign.state)) {
    deps.log.info("document taken back: its campaign ended while it was written", { jobId: job.jobId, campaignState: campaign?.state });
    await deps.documents.withdraw(job);
    return job;
  }
  return recordPublished(deps, job, documentKey, at);
}

/**
 * Records the document as out for the job's attempt, conditional on the job being as read before the slot was
 * written: that write is the publisher's read of the job after its PUT. When it loses, the job is read again
 * (consistent): a job that will not run (its canceller may have read the slot before the PUT) takes the document
 * back; one still QUEUED on the attempt without the record is recorded; anything else keeps it (the vehicle started
 * or reported on it, or a retry publishes its own).
 */
async function recordPublished(deps: DocumentDeps, initial: Job, documentKey: string, at: Date): Promise<Job> {
  let job = initial;
  for (let round = 0; round < MAX_SLOT_ROUNDS; round++) {
    const stateReason = job.stateReason?.startsWith(VEHICLE_BUSY) ? "document published (the vehicle's slot is free)" : job.stateReason;
    try {
      return await deps.store.jobs.saveFields(job, {
        ...job,
        ...(stateReason === undefined ? {} : { stateReason }),
        documentKey,
        documentPublishedAttempt: job.attempt,
        updatedAt: at.toISOString(),
      });
    } catch (error) {
      if (!(error instanceof StaleJobError)) throw error;
    }
    const fresh = await deps.store.jobs.get(job.campaignId, job.vin);
    if (fresh === undefined || willNotRun(fresh)) {
      deps.log.info("document taken back: its job will not run", { jobId: initial.jobId, attempt: initial.attempt, state: fresh?.state });
      await deps.documents.withdraw(fresh ?? initial);
      return fresh ?? initial;
    }
    if (fresh.state !== JOB_STATE.Queued || fresh.attempt !== initial.attempt || fresh.documentPublishedAttempt === fresh.attempt) return fresh;
    job = fresh;
  }
  throw new StaleJobError(initial.jobId);
}

/** Leaves the job QUEUED without its document, saying why (written once, not every tick). */
async function waitForSlot(deps: DocumentDeps, job: Job, other: Job): Promise<Job> {
  const reason = busyReason(other);
  deps.log.info("document waits for the vehicle's slot", { jobId: job.jobId, holder: other.jobId, holderState: other.state });
  if (job.stateReason === reason) return job;
  try {
    return await deps.store.jobs.saveFields(job, { ...job, stateReason: reason, updatedAt: deps.now().toISOString() });
  } catch (error) {
    if (error instanceof StaleJobError) return job; // moved meanwhile: whoever moved it decides next
    throw error;
  }
}

/**
 * Whether an operator's retry of this finished job may go ahead: not while its vehicle's slot holds another campaign's
 * moving job. A refusal is recorded in the job's history (state unchanged) and logged; false then.
 */
export async function mayRetryNow(deps: DocumentDeps, job: Job, cause: string): Promise<boolean> {
  const other = await slotBusyWith(deps, job, await deps.documents.read(job.vin));
  if (!other) return true;
  const at = deps.now().toISOString();
  const record = { from: job.state, to: job.state, at, reason: `retry refused: ${busyReason(other)}`, cause };
  deps.log.warn("operator retry refused: the vehicle is busy in another campaign", { jobId: job.jobId, holder: other.jobId });
  try {
    await deps.store.jobs.saveFields(job, { ...job, history: [...job.history, record].slice(-JOB_HISTORY_LIMIT), updatedAt: at });
  } catch (error) {
    if (!(error instanceof StaleJobError)) throw error; // moved meanwhile (a late report): not retried by this command either
  }
  return false;
}

/**
 * Takes back the document of a job that will not run, as its canceller does right after the job write. A failure is
 * logged and counted (OTAUpdates/WithdrawalsFailed), not thrown: the job still owes its withdrawal, and the ticker
 * withdraws it again (`settleWithdrawal`). True when the withdrawal went through.
 *
 * @example
 * if (willNotRun(job)) await withdrawDocument(deps, job);
 */
export async function withdrawDocument(deps: DocumentDeps, job: Job): Promise<boolean> {
  try {
    await deps.documents.withdraw(job);
    return true;
  } catch (error) {
    deps.tally?.withdrawalFailed();
    deps.log.error("job document withdrawal failed; the ticker withdraws it again", {
      jobId: job.jobId,
      attempt: job.attempt,
      state: job.state,
      error: (error as Error).name,
      message: (error as Error).message,
    });
    return false;
  }
}

/**
 * For a job that owes its withdrawal (the ticker's round over them): withdraws its document again, and once that is
 * done WITHDRAWAL_SETTLE_MINUTES or more after the job's last write, records the withdrawal confirmed
 * (`documentWithdrawnAttempt`, which takes it out of its campaign's `withdrawalsOwed`). Returns whether it is settled.
 *
 * @example
 * for (const job of owing) await settleWithdrawal(deps, job);
 */
export async function settleWithdrawal(deps: DocumentDeps, job: Job): Promise<boolean> {
  if (!owesWithdrawal(job)) return true;
  const at = deps.now();
  if (!(await withdrawDocument(deps, job))) return false;
  if (at.getTime() - Date.parse(job.updatedAt) < WITHDRAWAL_SETTLE_MINUTES * 60_000) return false;
  try {
    await deps.store.jobs.saveFields(job, { ...job, documentWithdrawnAttempt: job.attempt, updatedAt: at.toISOString() });
    deps.log.info("job document withdrawal confirmed", { jobId: job.jobId, attempt: job.attempt });
    return true;
  } catch (error) {
    if (error instanceof StaleJobError) return false; // written meanwhile: the next round decides on it
    throw error;
  }
}
