import type { Log } from "../lib/logger.js";
import { PermanentFailureError } from "../lib/parked-failures.js";
import {
  OPERATOR_COMMAND,
  type CandidateMessage,
  type CommandMessage,
  type StatusReportMessage,
  type UpdateMessage,
  type VehicleSnapshot,
} from "../contracts/update-messages.js";
import { countOutcome, decideCampaignCommand, decideRollout, waveCapacity, type CampaignDecision } from "./campaign-machine.js";
import { commandStaleness } from "./command-staleness.js";
import { ImageTargetsUnusableError, type JobDocumentChannel } from "./document-channel.js";
import { ensureDocumentPublished, isStillMoving, mayRetryNow, settleWithdrawal, willNotRun, withdrawDocument, WITHDRAWAL_SETTLE_MINUTES } from "./job-documents.js";
import { decideJobEvent, newJob, REPORT_REFUSAL, type JobEvent } from "./job-machine.js";
import {
  ACTIVE_CAMPAIGN_STATES,
  ACTIVE_JOB_STATES,
  CAMPAIGN_STATE,
  JOB_STATE,
  MANUALLY_RETRYABLE_JOB_STATES,
  RETRYABLE_JOB_STATES,
  TERMINAL_CAMPAIGN_STATES,
  UNSTARTED_JOB_STATES,
  WITHDRAWN_JOB_STATES,
  countJobsIn,
  jobIdFor,
  keptForUnendedCampaign,
  owedManualRetry,
  owesWithdrawal,
  type Campaign,
  type CampaignDefinition,
  type Job,
  type JobState,
} from "./model.js";
import { checkPreconditions } from "./preconditions.js";
import {
  CampaignNotFoundError,
  DuplicateCommandError,
  NotWaitingError,
  StaleCampaignError,
  StaleJobError,
  TargetExistsError,
  WaveClosedError,
  type CampaignStore,
} from "./store/index.js";
import { CANDIDATE_REFUSAL, registryMismatches, type CandidateRefusal, type RegisteredVehicleFacts, type VehicleRegistry } from "./registry-check.js";
import { matchesCampaign } from "./targeting.js";
import { JOB_EVENT_REFUSAL, type JobEventRefusal, type UpdateTally } from "./update-tally.js";

/**
 * The update manager's core: what each update-queue message does to campaigns and jobs. Every write is
 * conditional (see store/), so a message delivered twice, or two invocations racing, change things
 * once; a lost race re-reads and decides again.
 */

export interface UpdateServiceDeps {
  store: CampaignStore;
  documents: JobDocumentChannel;
  tally: UpdateTally;
  /** The vehicles' registered facts (AWS IoT things), read before a vehicle is admitted or recorded as waiting. */
  registry: VehicleRegistry;
  log: Log;
  now: () => Date;
  /** Milliseconds left in the invocation (Lambda's context); a tick stops starting job work when it runs short. */
  remainingMs?: () => number;
}

const MAX_RACE_RETRIES = 8;
/** A tick leaves this much of the invocation for the rest of its batch; the next tick picks up where it stopped. */
export const TICK_TIME_RESERVE_MS = 10_000;

/**
 * Why the update manager parks a status report instead of applying it: it can never apply, whatever is
 * retried. The `Reason` of `Reliability/MessagesParked` (Source `update-manager`) and of the parked record.
 */
export const REPORT_PARKED_REASON = {
  /** No such job: the campaign never admitted the reporting vehicle (or the campaign does not exist). */
  UnknownJob: "unknown-job",
  /** The report names another vehicle's job than the uploader's own (the processor binds `vin` to the uploader). */
  OtherVehicle: "other-vehicle",
  ...REPORT_REFUSAL,
} as const;
export type ReportParkedReason = (typeof REPORT_PARKED_REASON)[keyof typeof REPORT_PARKED_REASON];

/** A status report that can never apply; parked with its reason by the update manager, never retried. */
export class ReportNotApplicableError extends PermanentFailureError {
  override readonly name: string = "ReportNotApplicableError";
  constructor(readonly parkedReason: ReportParkedReason, detail: string) {
    super(parkedReason, detail);
  }
}

export class UnknownJobError extends ReportNotApplicableError {
  override readonly name = "UnknownJobError";
  constructor(readonly campaignId: string, readonly vin: string, readonly jobId: string) {
    super(REPORT_PARKED_REASON.UnknownJob, `status report for unknown job ${jobId} (campaign ${campaignId}, vehicle ${vin})`);
  }
}

export class RaceLostError extends Error {
  override readonly name = "RaceLostError";
  constructor(what: string) {
    super(`${what} kept changing under ${MAX_RACE_RETRIES} attempts; will be redelivered`);
  }
}

/**
 * Campaign definitions never change after creation, so a container may keep them.
 */
const definitions = new Map<string, CampaignDefinition>();

async function definitionOf(deps: UpdateServiceDeps, campaignId: string): Promise<CampaignDefinition> {
  const cached = definitions.get(campaignId);
  if (cached) return cached;
  const campaign = await deps.store.campaigns.get(campaignId);
  if (!campaign) throw new CampaignNotFoundError(campaignId);
  definitions.set(campaignId, campaign.definition);
  return campaign.definition;
}

/**
 * Dispatches one validated update-queue message.
 *
 * @example
 * await handleUpdateMessage(deps, updateMessageSchema.parse(JSON.parse(record.body)), new ActiveCampaigns(deps.store));
 */
export async function handleUpdateMessage(deps: UpdateServiceDeps, message: UpdateMessage, campaigns: ActiveCampaigns): Promise<void> {
  switch (message.kind) {
    case "candidate":
      return handleCandidate(deps, message, campaigns);
    case "status-report":
      return handleStatusReport(deps, message);
    case "command":
      return handleCommand(deps, message);
  }
}

/** The active campaigns, read once per invocation (one query for a whole batch of candidates). */
export class ActiveCampaigns {
  private campaigns: Promise<Campaign[]> | undefined;
  constructor(private readonly store: CampaignStore) {}

  list(): Promise<Campaign[]> {
    this.campaigns ??= this.store.campaigns.list().then((all) =>
      all.filter((campaign) => ACTIVE_CAMPAIGN_STATES.includes(campaign.state)),
    );
    return this.campaigns;
  }
}

// ── jobs ────────────────────────────────────────────────────────────────────────────────────────────

/**
 * What applying an event to a job needs of its campaign: the definition (limits, retries), and the
 * campaign as read where the event may leave the job QUEUED without its document (an admission, a retry,
 * preconditions met); a vehicle's report never does, so it needs only the definition.
 */
type JobEventScope = { definition: CampaignDefinition; campaign?: Campaign };

const scopeOf = (campaign: Campaign): JobEventScope => ({ definition: campaign.definition, campaign });

/**
 * Applies an event to a job, re-reading and deciding again when another writer got there first. Publishes
 * or withdraws the job document as the new state requires. Returns the job as stored afterwards. A report
 * the job machine refuses for good (older attempt, sequence jump, wrong firmware…) is thrown as a
 * ReportNotApplicableError, to be parked.
 */
/** The `Reason` a job event refused without a parked refusal is counted under (JOB_EVENT_REFUSAL). */
function jobEventRefusalOf(event: JobEvent, job: Job): JobEventRefusal {
  if (event.type !== "report") return JOB_EVENT_REFUSAL.NotRetryable;
  return job.state === JOB_STATE.Canceled ? JOB_EVENT_REFUSAL.ReportOnCanceledJob : JOB_EVENT_REFUSAL.ReportOnEndedJob;
}

async function applyJobEvent(deps: UpdateServiceDeps, scope: JobEventScope, initial: Job, initialEvent: JobEvent): Promise<Job> {
  let job = initial;
  let event = initialEvent;
  // The campaign whose `outcomesEpoch` an outcome is counted in: re-read when a resume moved it on meanwhile.
  let counting = scope.campaign;
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const decision = decideJobEvent(job, event, scope.definition);
    if (decision.kind === "ignored") {
      deps.log.debug("job event ignored", { jobId: job.jobId, event: event.type, reason: decision.reason });
      return job;
    }
    if (decision.kind === "refused") {
      if (decision.refusal) throw new ReportNotApplicableError(decision.refusal, `job ${job.jobId}: ${decision.reason}`);
      deps.log.warn("job event refused", { jobId: job.jobId, state: job.state, event: event.type, reason: decision.reason });
      deps.tally.refuseJobEvent(jobEventRefusalOf(event, job));
      return job;
    }
    // A retry taken (a new attempt, whose install document is signed and published next) is, like a retry kept, for a
    // campaign that has not ended only: written on the same condition. Refused, or its campaign read ended, the job is
    // written as the ended campaign wants it instead: the event becomes the cancel its sweep would apply (the retry it
    // waited for dropped, a started TIMED_OUT job's document owed).
    const takesRetry = event.type === "retry";
    if (event.type === "retry") {
      counting ??= await deps.store.campaigns.get(job.campaignId);
      if (counting === undefined || TERMINAL_CAMPAIGN_STATES.includes(counting.state)) {
        const reason = `campaign ${counting?.state.toLowerCase() ?? "gone"}: retry not taken`;
        deps.log.info("retry not taken: campaign ended", { jobId: job.jobId, state: job.state, attempt: job.attempt, campaignState: counting?.state });
        event = { type: "cancel", reason, cause: event.cause, at: event.at };
        continue;
      }
    }
    if (keptForUnendedCampaign(decision.job)) {
      counting ??= await deps.store.campaigns.get(job.campaignId);
      if (counting === undefined || TERMINAL_CAMPAIGN_STATES.includes(counting.state)) {
        // A campaign that ended retries nothing: an outcome there (a late report of a job left to finish, its timeout)
        // sets no retry, which would only keep the vehicle "busy" for other campaigns (job-documents.ts holdsVehicle).
        delete decision.job.nextRetryAt;
        // A started job timed out there (or losing its retry to the sweep) will not install on this document again:
        // it owes its withdrawal like a canceled one, or the document stays readable until another campaign's replaces it.
        if (decision.job.state === JOB_STATE.TimedOut) decision.job.withdrawalOwedAttempt = decision.job.attempt;
      }
    }
    // Kept so (or retried), the job is written only while its campaign has not ended: one that ended since it was read
    // refuses the write (StaleCampaignError), and the next round, reading it again, drops the retry (or owes the
    // withdrawal) above.
    const whileNotEnded = takesRetry || keptForUnendedCampaign(decision.job) ? { whileNotEnded: true } : {};
    try {
      let saved: Job;
      if (decision.outcome !== undefined) {
        counting ??= await deps.store.campaigns.get(job.campaignId);
        if (!counting) throw new CampaignNotFoundError(job.campaignId);
        const counted = countOutcome(job, decision, counting.outcomesEpoch);
        saved = await deps.store.jobs.saveTransition(job, counted.job, { ...counted.count, ...whileNotEnded });
      } else {
        saved =
          decision.record || whileNotEnded.whileNotEnded
            ? await deps.store.jobs.saveTransition(job, decision.job, whileNotEnded)
            : await deps.store.jobs.saveFields(job, decision.job);
      }
      // A repeated timeout of one attempt adds no outcome (job-machine.ts), nor an OTAUpdates/TimedOut count.
      if (decision.outcome !== undefined || saved.state !== JOB_STATE.TimedOut) deps.tally.count(job.state, saved.state);
      if (decision.record) deps.log.info("job transition", { jobId: job.jobId, ...decision.record });
      return await afterTransition(deps, scope.campaign, saved);
    } catch (error) {
      if (error instanceof StaleCampaignError) counting = undefined;
      else if (!(error instanceof StaleJobError)) throw error;
      const fresh = await deps.store.jobs.get(job.campaignId, job.vin);
      if (!fresh) throw new UnknownJobError(job.campaignId, job.vin, job.jobId);
      job = fresh;
    }
  }
  throw new RaceLostError(`job ${initial.jobId}`);
}

async function afterTransition(deps: UpdateServiceDeps, campaign: Campaign | undefined, job: Job): Promise<Job> {
  // A job that will not run (or owes its withdrawal) takes its document back: written the job first, the slot read
  // second (job-documents.ts). A failed withdrawal is logged and counted; the job owes it (its campaign's
  // withdrawalsOwed) and the ticker retries.
  if (willNotRun(job) || owesWithdrawal(job)) {
    await withdrawDocument(deps, job);
    return job;
  }
  return campaign ? ensureDocumentPublished(deps, campaign, job) : job;
}

// ── candidates ──────────────────────────────────────────────────────────────────────────────────────

/**
 * A vehicle seen by the telemetry processor. If it has a job still moving in any active campaign, its
 * preconditions are re-checked there (DEFERRED ⇄ QUEUED) and that is all; a campaign where its job is
 * finished does not hold it. The first RUNNING campaign it matches without a job admits it (QUEUED, or
 * DEFERRED while preconditions fail) when the open wave has room, or keeps it waiting for the next wave;
 * before it is recorded or admitted, its registration must vouch for its description (registryCheck: one
 * registry read, cached for the invocation; an unregistered vehicle, or one whose description differs, is
 * refused there, logged and counted in OTAUpdates/CandidatesRefused; a failed read fails the message, to be
 * redelivered). A waiting vehicle seen again is read only when there is room to admit it. One forgotten (refused by
 * another invocation) between this sighting's read and its admission is no longer eligible: it is offered once more,
 * as the first sighting it now is. A PAUSED campaign keeps its jobs but captures no new vehicle.
 */
export async function handleCandidate(deps: UpdateServiceDeps, message: CandidateMessage, active: ActiveCampaigns): Promise<void> {
  const vehicle = message.vehicle;
  const matching = (await active.list()).filter((campaign) => matchesCampaign(campaign.definition, vehicle));
  const jobs = await Promise.all(matching.map((campaign) => deps.store.jobs.get(campaign.campaignId, vehicle.vin)));
  const at = deps.now();
  const holding = jobs.findIndex((job) => job !== undefined && isStillMoving(job));
  if (holding >= 0) {
    const campaign = matching[holding]!;
    const verdict = checkPreconditions(campaign.definition, vehicle, at);
    await applyJobEvent(deps, scopeOf(campaign), jobs[holding]!, {
      type: "preconditions",
      met: verdict.met,
      reason: verdict.met ? "preconditions met" : verdict.reasons.join("; "),
      at,
    });
    return;
  }
  const registration = registryCheck(deps, vehicle);
  for (const [index, campaign] of matching.entries()) {
    if (jobs[index] !== undefined || campaign.state !== CAMPAIGN_STATE.Running) continue;
    let offer = await offerToCampaign(deps, campaign.campaignId, vehicle, registration, at);
    // Forgotten under it: offered again as a first sighting (once; forgotten again, its next sighting is one).
    if (offer === "not-waiting") offer = await offerToCampaign(deps, campaign.campaignId, vehicle, registration, at);
    if (offer !== "next-campaign") return;
  }
}

/** What offering a vehicle to one campaign came to: settled there (admitted, waiting or refused), or not. */
type Offer = "settled" | "next-campaign" | "not-waiting";

/**
 * Offers a vehicle without a job to one campaign it matches: "next-campaign" when the campaign is not RUNNING (any
 * more) or the registration refuses a first sighting; "not-waiting" when it was read as waiting but forgotten
 * before its admission (nothing written: offer it again, now as a first sighting).
 */
async function offerToCampaign(
  deps: UpdateServiceDeps,
  campaignId: string,
  vehicle: VehicleSnapshot,
  registration: ReturnType<typeof registryCheck>,
  at: Date,
): Promise<Offer> {
  // The wave's room depends on how many vehicles are eligible now, not when the batch started.
  const [fresh, seenBefore] = await Promise.all([deps.store.campaigns.get(campaignId), deps.store.targets.isKnown(campaignId, vehicle.vin)]);
  if (fresh?.state !== CAMPAIGN_STATE.Running) return "next-campaign";
  let current: Campaign | undefined = fresh;
  if (!seenBefore) {
    // Recorded (or admitted) only on its registration's word; a refused vehicle may still be another campaign's.
    if (!(await registration.vouchesFor(fresh))) return "next-campaign";
    // First sighting: admitted at once when the wave has room counting this vehicle, else remembered as waiting.
    const capacity = waveCapacity(fresh.definition, fresh.waveIndex, fresh.eligible + 1);
    if (fresh.admitted < capacity && (await admit(deps, fresh, vehicle, capacity, { firstSighting: true })) === "admitted") return "settled";
    if (await deps.store.targets.recordFirstSighting(campaignId, vehicle, at.toISOString())) {
      current = await deps.store.campaigns.get(campaignId);
    }
  } else {
    // Seen before and still waiting: keep its latest snapshot (no registry read: it is read again only if admitted);
    // no count changed, so `fresh` tells whether there is room.
    await deps.store.targets.refreshWaiting(campaignId, vehicle, at.toISOString());
  }
  if (current?.state !== CAMPAIGN_STATE.Running) return "settled";
  const room = waveCapacity(current.definition, current.waveIndex, current.eligible);
  if (current.admitted >= room) return "settled";
  if (seenBefore && !(await registration.vouchesFor(current))) {
    await forgetRefused(deps, current, vehicle.vin);
    return "settled";
  }
  return (await admit(deps, current, vehicle, room, { firstSighting: false })) === "not-waiting" ? "not-waiting" : "settled";
}

/**
 * Whether the vehicle's registration vouches for its description, campaign by campaign (campaigns/registry-check.ts):
 * the registry is read once, on the first question, so only where the vehicle could be recorded or admitted. A
 * refusal is logged with the VIN, the campaign and the differences, and counted once per candidate
 * (OTAUpdates/CandidatesRefused).
 */
function registryCheck(deps: UpdateServiceDeps, vehicle: VehicleSnapshot): { vouchesFor(campaign: Campaign): Promise<boolean> } {
  let registered: Promise<RegisteredVehicleFacts | undefined> | undefined;
  let counted = false;
  const refuse = (reason: CandidateRefusal, message: string, detail: Record<string, unknown>): false => {
    if (!counted) deps.tally.refuseCandidate(reason);
    counted = true;
    deps.log.warn(message, { vin: vehicle.vin, ...detail });
    return false;
  };
  return {
    async vouchesFor(campaign) {
      registered ??= deps.registry.describe(vehicle.vin);
      const facts = await registered;
      if (!facts) return refuse(CANDIDATE_REFUSAL.Unregistered, "candidate refused: not a registered vehicle", { campaignId: campaign.campaignId });
      const mismatches = registryMismatches(vehicle, facts, campaign.definition);
      if (mismatches.length === 0) return true;
      return refuse(CANDIDATE_REFUSAL.DescriptionMismatch, "candidate refused: its description differs from its registration", { campaignId: campaign.campaignId, mismatches });
    },
  };
}

type AdmissionOutcome = "admitted" | "wave-closed" | "already-eligible" | "not-waiting";

async function admit(
  deps: UpdateServiceDeps,
  campaign: Campaign,
  vehicle: CandidateMessage["vehicle"],
  capacity: number,
  options: { firstSighting: boolean },
): Promise<AdmissionOutcome> {
  const at = deps.now();
  const { job } = newJob(
    {
      campaignId: campaign.campaignId,
      vin: vehicle.vin,
      wave: campaign.waveIndex,
      targetVersion: campaign.definition.targetVersion,
      firmwareVersion: vehicle.firmwareVersion,
      hardware: vehicle.hardware,
    },
    checkPreconditions(campaign.definition, vehicle, at),
    at,
  );
  try {
    await deps.store.jobs.admit(job, { capacity, ...(options.firstSighting ? { firstSighting: vehicle } : {}) });
  } catch (error) {
    if (error instanceof WaveClosedError) return "wave-closed";
    if (error instanceof TargetExistsError) return "already-eligible";
    if (error instanceof NotWaitingError) {
      deps.log.info("vehicle no longer waiting at its admission (forgotten meanwhile); not admitted", { vin: vehicle.vin, campaignId: campaign.campaignId });
      return "not-waiting";
    }
    if (error instanceof StaleJobError) return "admitted";
    throw error;
  }
  deps.log.info("vehicle admitted", { jobId: job.jobId, wave: job.wave + 1, state: job.state });
  await ensureDocumentPublished(deps, campaign, job);
  return "admitted";
}

// ── status reports ──────────────────────────────────────────────────────────────────────────────────

/**
 * A vehicle's progress report about one attempt of its job. `message.vin` is the uploader's VIN, bound by
 * the telemetry processor from the object key; the job is looked up by it, so a vehicle can only ever
 * report on its own job. Monotonic on `sequence` within an attempt: a stale or duplicate report changes
 * nothing. A report that can never apply (another vehicle's job, no such job, an older or unknown attempt,
 * a sequence jump, SUCCEEDED on another firmware than the target) throws ReportNotApplicableError: the
 * update manager parks and counts it, it is not retried into the DLQ.
 */
export async function handleStatusReport(deps: UpdateServiceDeps, message: StatusReportMessage): Promise<void> {
  if (message.jobId !== jobIdFor(message.campaignId, message.vin)) {
    throw new ReportNotApplicableError(
      REPORT_PARKED_REASON.OtherVehicle,
      `vehicle ${message.vin} reported on job ${message.jobId}, which is not its job in campaign ${message.campaignId}`,
    );
  }
  const job = await deps.store.jobs.get(message.campaignId, message.vin);
  if (!job) throw new UnknownJobError(message.campaignId, message.vin, message.jobId);
  const definition = await definitionOf(deps, message.campaignId);
  await applyJobEvent(deps, { definition }, job, {
    type: "report",
    status: message.status,
    attempt: message.attempt,
    sequence: message.sequence,
    firmwareVersion: message.firmwareVersion,
    ...(message.reason ? { reason: message.reason } : {}),
    at: deps.now(),
  });
}

// ── commands ────────────────────────────────────────────────────────────────────────────────────────

/**
 * An operator command (start, pause, resume, cancel, retry-failed) or a `tick`. A command is applied once
 * per idempotency key; one that the campaign's state does not allow, or that is stale (the campaign changed
 * state after its sender read it: campaigns/command-staleness.ts), is recorded as refused in the campaign's history.
 */
export async function handleCommand(deps: UpdateServiceDeps, message: CommandMessage): Promise<void> {
  if (message.command === OPERATOR_COMMAND.Tick) {
    // Unusable (expired, unverifiable) image targets park the tick (the next one, a minute later, does its work again); other failures retry.
    await tickCampaign(deps, message.campaignId);
    return;
  }
  try {
    await handleOperatorCommand(deps, message, message.command);
  } catch (error) {
    // An operator's command is never parked for unusable (expired, unverifiable) image targets: retried, then
    // dead-lettered, it is redriven after the refresh (a start is refused instead, with the reason in the campaign's history).
    if (error instanceof ImageTargetsUnusableError) throw new CommandDeferredError(message.command, error.message);
    throw error;
  }
}

/** An operator command that could not complete now (transient: retried, then dead-lettered for a redrive). */
export class CommandDeferredError extends Error {
  override readonly name = "CommandDeferredError";
  constructor(command: string, reason: string) {
    super(`${command} could not complete: ${reason}; it is retried, then kept in the command DLQ for \`fleetota redrive --queue commands\``);
  }
}

async function handleOperatorCommand(
  deps: UpdateServiceDeps,
  message: CommandMessage,
  command: Exclude<CommandMessage["command"], typeof OPERATOR_COMMAND.Tick>,
): Promise<void> {
  if (await deps.store.commands.isProcessed(message.idempotencyKey)) {
    deps.log.info("duplicate command ignored", { idempotencyKey: message.idempotencyKey });
    return;
  }
  for (let attempt = 0; attempt < MAX_RACE_RETRIES; attempt++) {
    const campaign = await deps.store.campaigns.get(message.campaignId);
    if (!campaign) throw new CampaignNotFoundError(message.campaignId);
    const at = deps.now();
    const context = { at, cause: `${command} by ${message.requestedBy}`, ...(message.reason ? { reason: message.reason } : {}) };
    const stale = await commandStaleness(deps.store.campaigns, campaign, message);
    let decision: CampaignDecision = stale ? { kind: "refused", reason: stale } : decideCampaignCommand(campaign, command, context);
    if (decision.kind === "applied" && command === OPERATOR_COMMAND.Start) {
      const version = campaign.definition.targetVersion;
      const exists = await deps.documents.releaseExists(version).catch((error: unknown) => {
        if (error instanceof ImageTargetsUnusableError) return error;
        throw error;
      });
      if (exists instanceof ImageTargetsUnusableError) decision = { kind: "refused", reason: exists.message };
      else if (!exists) decision = { kind: "refused", reason: `release ${version} has no signed manifest (run fleetota release)` };
    }
    const iso = at.toISOString();
    // A retry-failed re-queues nothing itself: it is written with the campaign (retryFailedRequest), and the ticks
    // from the one below on retry the jobs it covers. So a write that loses (stale, refused) has re-queued nothing.
    const retryRequest = command === OPERATOR_COMMAND.RetryFailed ? { retryFailedRequest: { key: message.idempotencyKey, at: iso } } : {};
    const after = decision.kind === "applied" ? { ...decision.campaign, ...retryRequest } : { ...campaign, updatedAt: iso };
    const record =
      decision.kind === "applied"
        ? decision.record
        : { from: campaign.state, to: campaign.state, at: iso, reason: `refused ${command}: ${decision.reason}`, cause: context.cause };
    try {
      await deps.store.campaigns.saveChange(campaign, after, record, { commandKey: message.idempotencyKey });
    } catch (error) {
      if (error instanceof DuplicateCommandError) return;
      if (error instanceof StaleCampaignError) continue;
      throw error;
    }
    if (decision.kind === "refused") deps.log.warn("command refused", { campaignId: campaign.campaignId, command, reason: decision.reason });
    else deps.log.info("campaign transition", { campaignId: campaign.campaignId, ...record });
    if (decision.kind === "applied" && command !== OPERATOR_COMMAND.Pause) await tickCampaign(deps, campaign.campaignId);
    return;
  }
  throw new RaceLostError(`campaign ${message.campaignId}`);
}

/**
 * An operator's retry-failed, as a tick carries it out (the campaign's `retryFailedRequest`, written with the
 * command): a finished job it covers (`owedManualRetry`) returns to QUEUED, unless its vehicle is busy in another
 * campaign (refused, in the job's history). Either way its history then names the command, so it is done once.
 * Returns the job as stored afterwards.
 */
async function retryAsRequested(deps: UpdateServiceDeps, campaign: Campaign, job: Job, cause: string): Promise<Job> {
  if (!(await mayRetryNow(deps, job, cause))) return job;
  return applyJobEvent(deps, scopeOf(campaign), job, { type: "retry", manual: true, cause, at: deps.now() });
}

// ── the rollout tick ────────────────────────────────────────────────────────────────────────────────

/** What one tick did, for logs and tests. */
export interface TickSummary {
  campaignId: string;
  state: string;
  timedOut: number;
  retried: number;
  admitted: number;
  canceled: number;
  /** Withdrawals owed by jobs that will not run, confirmed by this tick (job-documents.ts `settleWithdrawal`). */
  withdrawalsSettled: number;
  decision: string;
  /** The invocation ran short of time before every job was seen to; the next tick continues. */
  cutShort: boolean;
}

/** Yields the items while the invocation has time to spare, marking the tick cut short when it stops early. */
function* whileTimeLeft<T>(deps: UpdateServiceDeps, summary: TickSummary, items: Iterable<T>): Generator<T> {
  for (const item of items) {
    if (deps.remainingMs !== undefined && deps.remainingMs() < TICK_TIME_RESERVE_MS) {
      summary.cutShort = true;
      return;
    }
    yield item;
  }
}

/**
 * One rollout tick for a campaign: time out jobs past their limits (silent or stuck IN_PROGRESS, never
 * started), return due FAILED/TIMED_OUT jobs to
 * QUEUED, make sure every QUEUED job's document is out, decide the campaign's next step (wave, pause,
 * abort, complete), admit waiting vehicles into the open wave, and cancel what has not started in a
 * canceled or aborted campaign. A campaign that ended still times out the jobs moving in it (started before a cancel
 * or an abort, or brought back by a late report, COMPLETED campaigns included). Safe to run twice at once.
 *
 * @example
 * const summary = await tickCampaign(deps, "c-20261126T173500-1a2b3c4d");
 */
export async function tickCampaign(deps: UpdateServiceDeps, campaignId: string): Promise<TickSummary> {
  let campaign = await deps.store.campaigns.get(campaignId);
  if (!campaign) throw new CampaignNotFoundError(campaignId);
  const summary: TickSummary = { campaignId, state: campaign.state, timedOut: 0, retried: 0, admitted: 0, canceled: 0, withdrawalsSettled: 0, decision: "", cutShort: false };
  const jobsIn = (state: JobState) => deps.store.jobs.list(campaignId, state);

  // Before anything else, and in any state: the documents of jobs that will not run whose withdrawal is not confirmed.
  summary.withdrawalsSettled = await settleOwedWithdrawals(deps, campaign, summary);
  if (campaign.state === CAMPAIGN_STATE.Canceled || campaign.state === CAMPAIGN_STATE.Aborted) {
    summary.canceled = await sweepUnstartedJobs(deps, campaign, summary, { ended: true });
    // Started jobs are left to finish, within their limits: a silent one times out (without a retry), so it stops
    // holding its vehicle; the ticker ticks the campaign while any is IN_PROGRESS (rollout-ticker campaignsToTick).
    if (countJobsIn(campaign.counts, [JOB_STATE.InProgress]) > 0) summary.timedOut = await timeOutJobs(deps, campaign, summary, [JOB_STATE.InProgress]);
    summary.decision = `${campaign.state}: unstarted jobs canceled`;
    return summary;
  }
  if (campaign.state === CAMPAIGN_STATE.Draft || campaign.state === CAMPAIGN_STATE.Completed) {
    // A COMPLETED campaign's TIMED_OUT job a late progress report brought back (IN_PROGRESS, or DEFERRED after it
    // started) moves again where nothing rolls: held to its limits like one left to finish, or it shows as moving for good.
    const { counts } = campaign;
    const moving = ACTIVE_JOB_STATES.filter((state) => countJobsIn(counts, [state]) > 0);
    if (moving.length > 0) summary.timedOut = await timeOutJobs(deps, campaign, summary, moving);
    summary.decision = `${campaign.state}: nothing to roll`;
    return summary;
  }

  summary.timedOut = await timeOutJobs(deps, campaign, summary, [JOB_STATE.InProgress, ...UNSTARTED_JOB_STATES]);
  let pendingRetries = 0;
  // An operator's retry-failed applied to the campaign retries the jobs it covers, RUNNING or PAUSED (their documents
  // go out while RUNNING); the others retry on their own after their backoff, while RUNNING.
  const request = campaign.retryFailedRequest;
  const retryStates = request ? MANUALLY_RETRYABLE_JOB_STATES : RETRYABLE_JOB_STATES;
  for (const job of whileTimeLeft(deps, summary, (await Promise.all(retryStates.map(jobsIn))).flat())) {
    const after =
      request && owedManualRetry(job, request)
        ? await retryAsRequested(deps, campaign, job, request.key)
        : campaign.state === CAMPAIGN_STATE.Running && RETRYABLE_JOB_STATES.includes(job.state)
          ? await applyJobEvent(deps, scopeOf(campaign), job, { type: "retry", manual: false, cause: "ticker", at: deps.now() })
          : job;
    if (after.state === JOB_STATE.Queued) summary.retried++;
    else if (after.nextRetryAt !== undefined) pendingRetries++;
  }
  if (campaign.state === CAMPAIGN_STATE.Running) {
    for (const job of whileTimeLeft(deps, summary, await jobsIn(JOB_STATE.Queued))) await ensureDocumentPublished(deps, campaign, job);
  }

  campaign = (await deps.store.campaigns.get(campaignId))!;
  // Listed before deciding, as the last wave completes only once no waiting vehicle has room in it; admitted from below.
  const waiting = await waitingWithRoom(deps, campaign);
  const decision = decideRollout(campaign, { at: deps.now(), pendingRetries, waitingAdmissible: waiting.length, cutShort: summary.cutShort });
  if (decision.kind === "applied") {
    try {
      campaign = await deps.store.campaigns.saveChange(campaign, decision.campaign, decision.record);
      deps.log.info("campaign transition", { campaignId, ...decision.record });
      summary.decision = decision.record.reason;
    } catch (error) {
      if (!(error instanceof StaleCampaignError)) throw error;
      summary.decision = "campaign changed concurrently; next tick decides";
      return summary;
    }
  } else {
    summary.decision = decision.reason;
  }
  summary.state = campaign.state;
  if (campaign.state === CAMPAIGN_STATE.Aborted) summary.canceled = await sweepUnstartedJobs(deps, campaign, summary);
  if (campaign.state === CAMPAIGN_STATE.Running) {
    // A decision that changed the campaign (a wave opened) changed its room: listed again.
    const admissible = decision.kind === "applied" ? await waitingWithRoom(deps, campaign) : waiting;
    summary.admitted = await admitWaitingVehicles(deps, campaign, summary, admissible);
  }
  if (summary.cutShort) deps.log.info("tick cut short; the next tick continues", { ...summary });
  return summary;
}

/** Times out the campaign's jobs in `states` that crossed a limit (job-machine.ts); returns how many. */
async function timeOutJobs(deps: UpdateServiceDeps, campaign: Campaign, summary: TickSummary, states: readonly JobState[]): Promise<number> {
  let timedOut = 0;
  for (const state of states) {
    for (const job of whileTimeLeft(deps, summary, await deps.store.jobs.list(campaign.campaignId, state))) {
      const after = await applyJobEvent(deps, scopeOf(campaign), job, { type: "timeout-check", at: deps.now() });
      if (after.state === JOB_STATE.TimedOut && job.state !== JOB_STATE.TimedOut) timedOut++;
    }
  }
  return timedOut;
}

/** The waiting vehicles a RUNNING campaign's open wave has room for, oldest sighting first (at most the room). */
async function waitingWithRoom(deps: UpdateServiceDeps, campaign: Campaign): Promise<VehicleSnapshot[]> {
  if (campaign.state !== CAMPAIGN_STATE.Running) return [];
  const room = waveCapacity(campaign.definition, campaign.waveIndex, campaign.eligible) - campaign.admitted;
  return room > 0 ? deps.store.targets.listWaiting(campaign.campaignId, room) : [];
}

/**
 * Admits the listed waiting vehicles into the open wave's room (those the tick has no time for are admitted at their
 * next sighting or tick; until then the last wave does not complete).
 */
async function admitWaitingVehicles(deps: UpdateServiceDeps, campaign: Campaign, summary: TickSummary, waiting: VehicleSnapshot[]): Promise<number> {
  let eligible = campaign.eligible;
  let admitted = 0;
  for (const vehicle of whileTimeLeft(deps, summary, waiting)) {
    // Its latest snapshot is its own word since its first sighting: asked again before it takes a slot.
    if (!(await registryCheck(deps, vehicle).vouchesFor(campaign))) {
      if (await forgetRefused(deps, campaign, vehicle.vin)) eligible--;
      continue;
    }
    // A forgotten vehicle no longer counts in a percent wave's capacity.
    const capacity = waveCapacity(campaign.definition, campaign.waveIndex, eligible);
    const outcome = await admit(deps, campaign, vehicle, capacity, { firstSighting: false });
    if (outcome === "not-waiting") {
      // Forgotten since the list was read (refused at its own sighting): out of `eligible` too; seen again, a first sighting.
      eligible--;
      continue;
    }
    if (outcome !== "admitted") break;
    admitted++;
  }
  return admitted;
}

/**
 * Takes a waiting vehicle refused at admission off the campaign's waiting list and out of `eligible`, so the ticker
 * neither reads nor counts it again; seen again, it is a first sighting (asked again, and recorded only if vouched for).
 * False when it was no longer waiting (admitted or forgotten meanwhile).
 */
async function forgetRefused(deps: UpdateServiceDeps, campaign: Campaign, vin: string): Promise<boolean> {
  const forgotten = await deps.store.targets.forgetWaiting(campaign.campaignId, vin, deps.now().toISOString());
  if (forgotten) deps.log.info("refused vehicle taken off the waiting list", { vin, campaignId: campaign.campaignId });
  return forgotten;
}

/**
 * The campaign's jobs that owe a withdrawal (model.ts `owesWithdrawal`), while its `withdrawalsOwed` counter says there
 * are any: each one's document is withdrawn again, and confirmed once late enough (job-documents.ts
 * `settleWithdrawal`). Read off the store's index of owing jobs, so a campaign owing one withdrawal among 100,000
 * ended jobs reads one job, and one owing nothing reads nothing. Returns how many were confirmed.
 */
async function settleOwedWithdrawals(deps: UpdateServiceDeps, campaign: Campaign, summary: TickSummary): Promise<number> {
  if (!((campaign.withdrawalsOwed ?? 0) > 0)) return 0;
  let owing = await deps.store.jobs.listOwingWithdrawal(campaign.campaignId);
  if (owing.length === 0) {
    // Owed, yet none on the index: jobs that began to owe before the index existed (their items carry no index keys
    // until their next write), or ones written a moment ago; found by state instead, this tick only.
    owing = (await Promise.all(WITHDRAWN_JOB_STATES.map((state) => deps.store.jobs.list(campaign.campaignId, state)))).flat().filter(owesWithdrawal);
  }
  let settled = 0;
  for (const job of whileTimeLeft(deps, summary, owing)) if (await settleWithdrawal(deps, job)) settled++;
  return settled;
}

/**
 * In a canceled or aborted campaign: cancels the unstarted jobs, and takes from the FAILED and TIMED_OUT ones the retry
 * they were waiting for (a started TIMED_OUT one then owes its withdrawal). Returns how many were canceled.
 *
 * With `ended` (a tick of a campaign read as ended, not the tick that just aborted it), it reads only what can still
 * hold work: an unstarted state only while the campaign counts jobs in it (the counters move in the same transaction
 * as each job, and are read strongly consistent), and the FAILED and TIMED_OUT jobs only until a whole sweep of them,
 * its listings begun WITHDRAWAL_SETTLE_MINUTES or more after the campaign ended, ran (`retriesDroppedAt`, then recorded). A job
 * write that keeps or takes a retry is conditional on the campaign not having ended (store `whileNotEnded`), so none lands after
 * the end; the window stays as a safety net for what that condition does not cover: a write by the code before it, in
 * flight as it deploys (at most Lambda's 15 minutes), and the per-state index's eventual consistency (a retry written
 * just before the end may be missing from a listing made a moment after it). Then a campaign whose jobs failed by the
 * thousand is not listed whole each minute while a started job finishes.
 */
async function sweepUnstartedJobs(deps: UpdateServiceDeps, campaign: Campaign, summary: TickSummary, options: { ended?: boolean } = {}): Promise<number> {
  let canceled = 0;
  const reason = `campaign ${campaign.state.toLowerCase()}`;
  const unstarted = options.ended ? UNSTARTED_JOB_STATES.filter((state) => countJobsIn(campaign.counts, [state]) > 0) : UNSTARTED_JOB_STATES;
  const retriesOwed = !(options.ended && campaign.retriesDroppedAt !== undefined);
  // The window counts from before the listings: a retry written after a listing is not in it (review 12, R12-02).
  const listedAt = deps.now();
  // Unstarted jobs are canceled; failed ones keep their outcome but lose the retry they were waiting for.
  for (const state of [...unstarted, ...(retriesOwed ? RETRYABLE_JOB_STATES : [])]) {
    for (const job of whileTimeLeft(deps, summary, await deps.store.jobs.list(campaign.campaignId, state))) {
      const after = await applyJobEvent(deps, scopeOf(campaign), job, { type: "cancel", reason, cause: "ticker", at: deps.now() });
      if (after.state === JOB_STATE.Canceled && job.state !== JOB_STATE.Canceled) canceled++;
    }
  }
  if (options.ended && retriesOwed && !summary.cutShort) await recordRetriesDropped(deps, campaign, listedAt);
  return canceled;
}

/**
 * Records that the ended campaign's retries are dropped for good, once a whole sweep whose listings began
 * WITHDRAWAL_SETTLE_MINUTES or more after the campaign ended ran (see sweepUnstartedJobs). A campaign changed
 * meanwhile is left to the next tick's sweep.
 */
async function recordRetriesDropped(deps: UpdateServiceDeps, campaign: Campaign, listedAt: Date): Promise<void> {
  const endedAt = Date.parse(campaign.finishedAt ?? campaign.updatedAt);
  if (listedAt.getTime() < endedAt + WITHDRAWAL_SETTLE_MINUTES * 60_000) return;
  const now = deps.now();
  const at = now.toISOString();
  const record = { from: campaign.state, to: campaign.state, at, reason: "retries of failed and timed-out jobs dropped for good: ticks no longer list them", cause: "ticker" };
  try {
    await deps.store.campaigns.saveChange(campaign, { ...campaign, retriesDroppedAt: at, updatedAt: at }, record);
  } catch (error) {
    if (!(error instanceof StaleCampaignError)) throw error;
  }
}
