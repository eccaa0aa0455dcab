import { AGENT_STATUS, type AgentStatus } from "../contracts/update-messages.js";
import {
  ACTIVE_JOB_STATES,
  JOB_STATE,
  JOB_SUBSTATE,
  MANUALLY_RETRYABLE_JOB_STATES,
  RETRYABLE_JOB_STATES,
  UNSTARTED_JOB_STATES,
  type CampaignDefinition,
  type Job,
  type JobState,
  type JobSubstate,
  type OutcomeTotals,
  type TransitionRecord,
  JOB_HISTORY_LIMIT,
  jobIdFor,
  startTimeoutMinutes,
} from "./model.js";
import type { PreconditionVerdict } from "./preconditions.js";

/**
 * The vehicle-job state machine, pure: given a job, an event and the campaign's definition, decide the
 * next job (with the transition to record) or why nothing changes. The store persists what it decides.
 *
 *   QUEUED ⇄ DEFERRED → IN_PROGRESS (DOWNLOADING, INSTALLING, VERIFYING)
 *          → SUCCEEDED | FAILED | ROLLED_BACK | TIMED_OUT | REJECTED | CANCELED
 *   FAILED, TIMED_OUT ──retry with backoff (max per campaign)──▶ QUEUED
 *
 * TIMED_OUT has three causes, all counted as failures: silence while in progress, a started job not
 * finished within maxInProgressMinutes, and an admitted job not started within the start timeout.
 */

export type JobEvent =
  /**
   * A status report from the vehicle's agent about one attempt of its job, monotonic on `sequence` within
   * the attempt; `firmwareVersion` is what the vehicle runs as it reports.
   */
  | { type: "report"; status: AgentStatus; attempt: number; sequence: number; firmwareVersion: string; reason?: string; at: Date }
  /** The update side re-checked the vehicle's preconditions (a fresh candidate snapshot). */
  | { type: "preconditions"; met: boolean; reason: string; at: Date }
  /** The ticker checks a moving job against the campaign's limits: silence, time in progress, time to start. */
  | { type: "timeout-check"; at: Date }
  /** The ticker returns a due FAILED/TIMED_OUT job to QUEUED; `manual` (operator retry-failed) ignores backoff and the maximum. */
  | { type: "retry"; manual: boolean; cause: string; at: Date }
  /** The campaign was canceled or aborted: jobs that have not started are canceled. */
  | { type: "cancel"; reason: string; cause: string; at: Date };

export type JobDecision =
  /** `record` is absent when only bookkeeping changed (a repeated progress report). */
  | {
      kind: "applied";
      job: Job;
      record?: TransitionRecord;
      outcome?: keyof OutcomeTotals;
      /**
       * The outcome this one replaces: a final report after the attempt was counted TIMED_OUT (the vehicle came
       * back) takes the timeout's place, so each attempt counts once, as what it finally was.
       */
      replaces?: keyof OutcomeTotals;
    }
  /** Nothing to do and nothing wrong (duplicate or stale report, timeout not reached…). */
  | { kind: "ignored"; reason: string }
  /**
   * The event is not allowed in the job's state. A report that can never apply also names its `refusal`
   * (a small fixed set, the `Reason` of the parked-failure metric).
   */
  | { kind: "refused"; reason: string; refusal?: ReportRefusal };

/**
 * Why a status report can never apply to its job, whatever is retried: the update side parks and
 * counts it instead of retrying it.
 */
export const REPORT_REFUSAL = {
  /** The report is about an attempt before the job's current one. */
  OlderAttempt: "older-attempt",
  /** The report names an attempt the job never had. */
  UnknownAttempt: "unknown-attempt",
  /** The sequence leaps further past the last one than any agent counts (a forged or broken counter). */
  SequenceJump: "sequence-jump",
  /** SUCCEEDED while the vehicle runs another firmware than the campaign's target. */
  WrongFirmware: "wrong-firmware",
} as const;
export type ReportRefusal = (typeof REPORT_REFUSAL)[keyof typeof REPORT_REFUSAL];

/**
 * How far one report's sequence may pass the last one applied in its attempt (or, on an attempt's first
 * report, 0 or the last sequence of the earlier attempts). The simulator's agent reports at each phase
 * change and every 5 minutes at most, so an attempt makes tens of reports; a gap of more than 1,000 lost
 * reports is not an agent counting, and a sequence of 2^53 must not make every later report "stale".
 */
export const MAX_SEQUENCE_STEP = 1_000;

const REPORTED_STATE: Record<AgentStatus, { state: JobState; substate?: JobSubstate }> = {
  [AGENT_STATUS.Deferred]: { state: JOB_STATE.Deferred },
  [AGENT_STATUS.Downloading]: { state: JOB_STATE.InProgress, substate: JOB_SUBSTATE.Downloading },
  [AGENT_STATUS.Installing]: { state: JOB_STATE.InProgress, substate: JOB_SUBSTATE.Installing },
  [AGENT_STATUS.Verifying]: { state: JOB_STATE.InProgress, substate: JOB_SUBSTATE.Verifying },
  [AGENT_STATUS.Succeeded]: { state: JOB_STATE.Succeeded },
  [AGENT_STATUS.Failed]: { state: JOB_STATE.Failed },
  [AGENT_STATUS.RolledBack]: { state: JOB_STATE.RolledBack },
  [AGENT_STATUS.Rejected]: { state: JOB_STATE.Rejected },
};

/** The outcome each outcome state counts as. */
export const OUTCOME_OF_STATE: Partial<Record<JobState, keyof OutcomeTotals>> = {
  [JOB_STATE.Succeeded]: "succeeded",
  [JOB_STATE.Failed]: "failed",
  [JOB_STATE.TimedOut]: "timedOut",
  [JOB_STATE.RolledBack]: "rolledBack",
  [JOB_STATE.Rejected]: "rejected",
};

/** States a vehicle's report may move a job out of. TIMED_OUT accepts late reports: the vehicle came back. */
const REPORTABLE_STATES: readonly JobState[] = [JOB_STATE.Queued, JOB_STATE.Deferred, JOB_STATE.InProgress, JOB_STATE.TimedOut];
/** What a vehicle reports when it is done with an attempt. */
const FINAL_REPORTED_STATES: readonly JobState[] = [JOB_STATE.Succeeded, JOB_STATE.Failed, JOB_STATE.RolledBack, JOB_STATE.Rejected];

/**
 * Seconds to wait before retry number `attempt` (1 = the first retry): base × 2^(attempt−1), capped.
 *
 * @example
 * retryDelaySeconds(3, { backoffBaseSeconds: 60, backoffCapSeconds: 3600 }); // 240
 */
export function retryDelaySeconds(attempt: number, retries: Pick<CampaignDefinition["retries"], "backoffBaseSeconds" | "backoffCapSeconds">): number {
  return Math.min(retries.backoffCapSeconds, retries.backoffBaseSeconds * 2 ** Math.max(0, attempt - 1));
}

/** When a job that just failed on `attempt` may be retried, or undefined when its retries are used up. */
export function nextRetryAt(attempt: number, retries: CampaignDefinition["retries"], failedAt: Date): string | undefined {
  if (attempt > retries.max) return undefined;
  return new Date(failedAt.getTime() + retryDelaySeconds(attempt, retries) * 1000).toISOString();
}

/**
 * Applies one event to a job.
 *
 * @example
 * const decision = decideJobEvent(job, { type: "report", status: "SUCCEEDED", attempt: job.attempt, sequence: 7,
 *   firmwareVersion: "2.4.0", at: new Date() }, campaign.definition);
 * if (decision.kind === "refused" && decision.refusal) log.warn(decision.reason, { refusal: decision.refusal }); // parked, never retried
 * if (decision.kind === "applied") await store.jobs.saveTransition(job, decision.job, { outcomes: { succeeded: 1 } });
 */
export function decideJobEvent(job: Job, event: JobEvent, definition: CampaignDefinition): JobDecision {
  switch (event.type) {
    case "report":
      return decideReport(job, event, definition);
    case "preconditions":
      return decidePreconditions(job, event);
    case "timeout-check":
      return decideTimeout(job, event, definition);
    case "retry":
      return decideRetry(job, event);
    case "cancel":
      return decideCancel(job, event);
  }
}

function transition(
  job: Job,
  to: { state: JobState; substate?: JobSubstate },
  at: Date,
  reason: string,
  cause: string,
  changes: Partial<Job> = {},
): JobDecision {
  const iso = at.toISOString();
  const next: Job = { ...job, ...changes, state: to.state, substate: to.substate, stateReason: reason, updatedAt: iso };
  if (next.substate === undefined) delete next.substate;
  const stateChanged = job.state !== to.state;
  const from = job.substate ? `${job.state}/${job.substate}` : job.state;
  const target = to.substate ? `${to.state}/${to.substate}` : to.state;
  // One outcome per attempt: a job brought back by a late report and timed out again adds none, and a final
  // report after a counted timeout replaces it.
  const timeoutCounted = job.timedOutAttempt === job.attempt;
  const repeatedTimeout = to.state === JOB_STATE.TimedOut && timeoutCounted;
  const outcome = stateChanged && !repeatedTimeout ? OUTCOME_OF_STATE[to.state] : undefined;
  const replaces = outcome !== undefined && outcome !== "timedOut" && timeoutCounted ? "timedOut" : undefined;
  if (replaces) delete next.timedOutAttempt;
  const record: TransitionRecord | undefined = from !== target ? { from, to: target, at: iso, reason, cause } : undefined;
  if (record) next.history = [...(job.history ?? []), record].slice(-JOB_HISTORY_LIMIT);
  return {
    kind: "applied",
    job: next,
    ...(record ? { record } : {}),
    ...(outcome ? { outcome } : {}),
    ...(replaces ? { replaces } : {}),
  };
}

/** Why a report can never apply to this job (attempt, sequence, firmware), or undefined when it may. */
function reportRefusal(job: Job, event: Extract<JobEvent, { type: "report" }>): Extract<JobDecision, { kind: "refused" }> | undefined {
  if (event.attempt < job.attempt) {
    return { kind: "refused", refusal: REPORT_REFUSAL.OlderAttempt, reason: `report for attempt ${event.attempt}; the job is on attempt ${job.attempt}` };
  }
  if (event.attempt > job.attempt) {
    return { kind: "refused", refusal: REPORT_REFUSAL.UnknownAttempt, reason: `report for attempt ${event.attempt}; the job never went past attempt ${job.attempt}` };
  }
  const base = job.lastSequence >= 0 ? job.lastSequence : Math.max(0, job.priorSequence ?? 0);
  if (event.sequence > base + MAX_SEQUENCE_STEP) {
    return {
      kind: "refused",
      refusal: REPORT_REFUSAL.SequenceJump,
      reason: `sequence ${event.sequence} jumps more than ${MAX_SEQUENCE_STEP} past ${base}`,
    };
  }
  if (event.status === AGENT_STATUS.Succeeded && event.firmwareVersion !== job.targetVersion) {
    return {
      kind: "refused",
      refusal: REPORT_REFUSAL.WrongFirmware,
      reason: `SUCCEEDED while running ${event.firmwareVersion}, not the target ${job.targetVersion}`,
    };
  }
  return undefined;
}

function decideReport(job: Job, event: Extract<JobEvent, { type: "report" }>, definition: CampaignDefinition): JobDecision {
  if (event.attempt === job.attempt && event.sequence <= job.lastSequence) {
    return { kind: "ignored", reason: `stale or duplicate report: sequence ${event.sequence} ≤ last applied ${job.lastSequence} of attempt ${job.attempt}` };
  }
  const refusal = reportRefusal(job, event);
  if (refusal) return refusal;
  if (!REPORTABLE_STATES.includes(job.state)) {
    return { kind: "refused", reason: `report ${event.status} on a ${job.state} job` };
  }
  const target = REPORTED_STATE[event.status];
  const iso = event.at.toISOString();
  const late = job.state === JOB_STATE.TimedOut ? " (late report after timeout)" : "";
  const reason = `${event.reason ?? `vehicle reported ${event.status}`}${late}`;
  if (job.state === JOB_STATE.TimedOut && !FINAL_REPORTED_STATES.includes(target.state) && ranPastLimit(job, event.at, definition)) {
    return { kind: "ignored", reason: `${event.status} after the job ran past its ${definition.maxInProgressMinutes}-minute limit; only a final report changes it` };
  }
  // Timed out before it started, its document was withdrawn: the attempt cannot start from a DEFERRED (or QUEUED)
  // again, it would wait without a document until the start timeout, already past, ended it once more. Only a report
  // that the vehicle started (before the withdrawal reached it) or finished brings it back; a retry brings a new document.
  if (job.state === JOB_STATE.TimedOut && job.inProgressSince === undefined && UNSTARTED_JOB_STATES.includes(target.state)) {
    return { kind: "ignored", reason: `${event.status} after the job timed out unstarted (its document was withdrawn); only a start or a final report changes it` };
  }
  const changes: Partial<Job> = {
    lastSequence: event.sequence,
    firmwareVersion: event.firmwareVersion,
    lastProgressAt: iso,
    nextRetryAt: undefined,
  };
  if (target.state === JOB_STATE.InProgress && job.inProgressSince === undefined) changes.inProgressSince = limitClockStart(job) ?? iso;
  if (target.state === JOB_STATE.Failed) {
    changes.nextRetryAt = nextRetryAt(job.attempt, definition.retries, event.at);
  }
  const decision = transition(job, target, event.at, reason, `report#${event.sequence}`, changes);
  if (decision.kind === "applied" && decision.job.nextRetryAt === undefined) delete decision.job.nextRetryAt;
  return decision;
}

function decidePreconditions(job: Job, event: Extract<JobEvent, { type: "preconditions" }>): JobDecision {
  if (job.state === JOB_STATE.Deferred && event.met) {
    return transition(job, { state: JOB_STATE.Queued }, event.at, "preconditions met", "candidate");
  }
  if (job.state === JOB_STATE.Queued && !event.met && job.documentPublishedAttempt !== job.attempt) {
    return transition(job, { state: JOB_STATE.Deferred }, event.at, event.reason, "candidate");
  }
  return { kind: "ignored", reason: `preconditions ${event.met ? "met" : "unmet"} change nothing for a ${job.state} job` };
}

function decideTimeout(job: Job, event: Extract<JobEvent, { type: "timeout-check" }>, definition: CampaignDefinition): JobDecision {
  const reason = timeoutReason(job, event.at, definition);
  if (reason.timedOut === false) return { kind: "ignored", reason: reason.text };
  const retryAt = nextRetryAt(job.attempt, definition.retries, event.at);
  // Timed out before it started: its document is withdrawn, and owed until that is confirmed (job-documents.ts).
  const unstarted = job.inProgressSince === undefined ? { withdrawalOwedAttempt: job.attempt } : {};
  const decision = transition(job, { state: JOB_STATE.TimedOut }, event.at, reason.text, "ticker", { nextRetryAt: retryAt, timedOutAttempt: job.attempt, ...unstarted });
  if (decision.kind === "applied" && retryAt === undefined) delete decision.job.nextRetryAt;
  return decision;
}

/**
 * When the job last timed out: its latest transition into TIMED_OUT from another state. A TIMED_OUT -> TIMED_OUT record
 * (a retry refused while the vehicle is busy elsewhere, job-documents.ts mayRetryNow) is not a timeout: counted as
 * one, each refused retry opened the late-start window again (review 29, R29-01). If such records have pushed the
 * timeout out of the kept history (JOB_HISTORY_LIMIT), the oldest of them: the job was TIMED_OUT by then.
 */
function lastTimeoutAt(job: Job): string | undefined {
  for (let index = job.history.length - 1; index >= 0; index--) {
    const record = job.history[index]!;
    if (record.to === JOB_STATE.TimedOut && record.from !== JOB_STATE.TimedOut) return record.at;
  }
  return job.history.find((record) => record.to === JOB_STATE.TimedOut)?.at;
}

const minutesBetween = (from: string, to: Date): number => (to.getTime() - Date.parse(from)) / 60_000;

/**
 * When the job's maxInProgressMinutes clock started: its first start; for a job that timed out before it started, the
 * timeout. Its document was withdrawn then, so its vehicle cannot have started later: a start reported afterwards is
 * held to the limit from there, not from its arrival (review 28, R28-01: one DOWNLOADING a month late revived a
 * COMPLETED campaign's job for another full limit of ticks).
 */
function limitClockStart(job: Job): string | undefined {
  if (job.inProgressSince !== undefined) return job.inProgressSince;
  return job.state === JOB_STATE.TimedOut ? lastTimeoutAt(job) : undefined;
}

function ranPastLimit(job: Job, at: Date, definition: CampaignDefinition): boolean {
  const since = limitClockStart(job);
  return since !== undefined && minutesBetween(since, at) >= definition.maxInProgressMinutes;
}

/**
 * Which limit, if any, a moving job has crossed. A started job answers to silence (while IN_PROGRESS) and
 * to its total time since it started; an unstarted one (QUEUED, DEFERRED) to the start timeout.
 */
function timeoutReason(job: Job, at: Date, definition: CampaignDefinition): { timedOut: boolean; text: string } {
  if (!ACTIVE_JOB_STATES.includes(job.state)) return { timedOut: false, text: `a ${job.state} job cannot time out` };
  if (job.state === JOB_STATE.InProgress) {
    const silent = minutesBetween(job.lastProgressAt ?? job.updatedAt, at);
    if (silent >= definition.inProgressTimeoutMinutes) {
      return { timedOut: true, text: `no report for ${Math.floor(silent)} minutes (timeout ${definition.inProgressTimeoutMinutes})` };
    }
  }
  if (job.inProgressSince !== undefined || job.state === JOB_STATE.InProgress) {
    const running = minutesBetween(job.inProgressSince ?? job.lastProgressAt ?? job.updatedAt, at);
    if (running >= definition.maxInProgressMinutes) {
      return { timedOut: true, text: `still ${job.substate ?? job.state} ${Math.floor(running)} minutes after it started (limit ${definition.maxInProgressMinutes})` };
    }
    return { timedOut: false, text: `started ${running.toFixed(1)} of ${definition.maxInProgressMinutes} minutes ago, within limits` };
  }
  const limit = startTimeoutMinutes(definition);
  const waiting = minutesBetween(job.attemptQueuedAt ?? job.createdAt, at);
  if (waiting >= limit) {
    const why = job.state === JOB_STATE.Deferred ? `deferred: ${job.stateReason ?? "preconditions not met"}` : "the vehicle never picked it up";
    return { timedOut: true, text: `not started within ${limit} minutes of attempt ${job.attempt} (${why})` };
  }
  return { timedOut: false, text: `waiting ${waiting.toFixed(1)} of ${limit} minutes to start` };
}

function decideRetry(job: Job, event: Extract<JobEvent, { type: "retry" }>): JobDecision {
  const allowed = event.manual ? MANUALLY_RETRYABLE_JOB_STATES : RETRYABLE_JOB_STATES;
  if (!allowed.includes(job.state)) return { kind: "refused", reason: `a ${job.state} job cannot be retried` };
  if (!event.manual) {
    if (job.nextRetryAt === undefined) return { kind: "ignored", reason: `retries exhausted after attempt ${job.attempt}` };
    if (Date.parse(job.nextRetryAt) > event.at.getTime()) return { kind: "ignored", reason: `backing off until ${job.nextRetryAt}` };
  }
  const decision = transition(
    job,
    { state: JOB_STATE.Queued },
    event.at,
    `${event.manual ? "operator retry" : "automatic retry"} (attempt ${job.attempt + 1})`,
    event.cause,
    // Sequences count per attempt: the next one may start again from 1, or carry on from here.
    { attempt: job.attempt + 1, attemptQueuedAt: event.at.toISOString(), lastSequence: -1, priorSequence: Math.max(job.lastSequence, job.priorSequence ?? -1) },
  );
  if (decision.kind === "applied") {
    delete decision.job.nextRetryAt;
    delete decision.job.inProgressSince;
  }
  return decision;
}

function decideCancel(job: Job, event: Extract<JobEvent, { type: "cancel" }>): JobDecision {
  if (UNSTARTED_JOB_STATES.includes(job.state)) {
    // Its document is withdrawn, and owed until that is confirmed (job-documents.ts).
    return transition(job, { state: JOB_STATE.Canceled }, event.at, event.reason, event.cause, { withdrawalOwedAttempt: job.attempt });
  }
  // A TIMED_OUT job (started: an unstarted one owes it already) will not install on its document for this campaign
  // again, retry or none: its document is withdrawn and owed like a canceled one's. A late final report still lands.
  const owesItsDocument = job.state === JOB_STATE.TimedOut && job.withdrawalOwedAttempt !== job.attempt && job.documentWithdrawnAttempt !== job.attempt;
  if (job.nextRetryAt !== undefined || owesItsDocument) {
    const next: Job = { ...job, updatedAt: event.at.toISOString(), ...(owesItsDocument ? { withdrawalOwedAttempt: job.attempt } : {}) };
    delete next.nextRetryAt;
    return { kind: "applied", job: next };
  }
  return { kind: "ignored", reason: `a ${job.state} job is left to finish` };
}

/**
 * The job a vehicle gets when it is admitted into a wave: QUEUED, or DEFERRED when its preconditions
 * are not met.
 *
 * @example
 * import { checkPreconditions } from "./preconditions.js";
 * const { job, record } = newJob({ campaignId, vin, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1",
 *   hardware: "hu-3" }, checkPreconditions(definition, snapshot, now), now);
 */
export function newJob(
  identity: Pick<Job, "campaignId" | "vin" | "wave" | "targetVersion" | "firmwareVersion" | "hardware">,
  preconditions: PreconditionVerdict,
  at: Date,
): { job: Job; record: TransitionRecord } {
  const iso = at.toISOString();
  const state = preconditions.met ? JOB_STATE.Queued : JOB_STATE.Deferred;
  const reason = preconditions.met ? `admitted in wave ${identity.wave + 1}` : preconditions.reasons.join("; ");
  const record: TransitionRecord = { from: "", to: state, at: iso, reason, cause: "candidate" };
  const job: Job = {
    ...identity,
    jobId: jobIdFor(identity.campaignId, identity.vin),
    state,
    stateReason: reason,
    attempt: 1,
    lastSequence: -1,
    attemptQueuedAt: iso,
    history: [record],
    createdAt: iso,
    updatedAt: iso,
    revision: 0,
  };
  return { job, record };
}
