import { OPERATOR_COMMAND, type OperatorCommand } from "../contracts/update-messages.js";
import {
  ACTIVE_JOB_STATES,
  CAMPAIGN_STATE,
  FAILURE_KIND,
  JOB_STATE,
  THRESHOLD_ACTION,
  type AbortCriterion,
  type Campaign,
  type CampaignDefinition,
  type CampaignState,
  type Job,
  type OutcomeTotals,
  type TransitionRecord,
  countJobsIn,
} from "./model.js";

/**
 * The campaign state machine and the rollout rules, pure.
 *
 *   DRAFT → SCHEDULED → RUNNING ⇄ PAUSED
 *   RUNNING → COMPLETED | ABORTED ;  any non-final → CANCELED ;  COMPLETED → RUNNING (retry-failed)
 */

export type CampaignDecision =
  | { kind: "applied"; campaign: Campaign; record: TransitionRecord }
  | { kind: "refused"; reason: string };

/** What a campaign command needs besides the campaign. */
export interface CommandContext {
  at: Date;
  cause: string;
  reason?: string;
}

const COMMAND_FROM: Record<Exclude<OperatorCommand, "tick">, readonly CampaignState[]> = {
  [OPERATOR_COMMAND.Start]: [CAMPAIGN_STATE.Draft],
  [OPERATOR_COMMAND.Pause]: [CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Scheduled],
  [OPERATOR_COMMAND.Resume]: [CAMPAIGN_STATE.Paused],
  [OPERATOR_COMMAND.Cancel]: [CAMPAIGN_STATE.Draft, CAMPAIGN_STATE.Scheduled, CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Paused],
  [OPERATOR_COMMAND.RetryFailed]: [CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Paused, CAMPAIGN_STATE.Completed],
};

function change(campaign: Campaign, to: CampaignState, context: CommandContext, reason: string, changes: Partial<Campaign> = {}): CampaignDecision {
  const iso = context.at.toISOString();
  const next: Campaign = { ...campaign, ...changes, state: to, stateReason: reason, updatedAt: iso };
  return { kind: "applied", campaign: next, record: { from: campaign.state, to, at: iso, reason, cause: context.cause } };
}

function openWave(index: number, at: Date): Partial<Campaign> {
  return { waveIndex: index, waveOpenedAt: at.toISOString() };
}

/**
 * Applies an operator command (not `tick`, which is `decideRollout`) to a campaign.
 *
 * @example
 * const decision = decideCampaignCommand(campaign, "pause", { at: new Date(), cause: "cli:ops@example", reason: "bad batch" });
 */
export function decideCampaignCommand(
  campaign: Campaign,
  command: Exclude<OperatorCommand, "tick">,
  context: CommandContext,
): CampaignDecision {
  if (!COMMAND_FROM[command].includes(campaign.state)) {
    return { kind: "refused", reason: `cannot ${command} a ${campaign.state} campaign` };
  }
  const why = (fallback: string) => context.reason ?? fallback;
  switch (command) {
    case OPERATOR_COMMAND.Start: {
      const startAt = campaign.definition.startAt;
      if (startAt && Date.parse(startAt) > context.at.getTime()) {
        return change(campaign, CAMPAIGN_STATE.Scheduled, context, why(`scheduled for ${startAt}`));
      }
      return change(campaign, CAMPAIGN_STATE.Running, context, why("started"), {
        ...openWave(0, context.at),
        startedAt: context.at.toISOString(),
      });
    }
    case OPERATOR_COMMAND.Pause:
      return change(campaign, CAMPAIGN_STATE.Paused, context, why("paused by operator"));
    case OPERATOR_COMMAND.Resume:
      return change(campaign, CAMPAIGN_STATE.Running, context, why("resumed by operator"), {
        // Criteria judge only what happens after the resume, else the same failures pause it again at once.
        outcomesBaseline: { ...campaign.vehicleOutcomes },
        outcomesEpoch: campaign.outcomesEpoch + 1,
        ...(campaign.waveIndex < 0 ? { ...openWave(0, context.at), startedAt: context.at.toISOString() } : {}),
      });
    case OPERATOR_COMMAND.Cancel:
      return change(campaign, CAMPAIGN_STATE.Canceled, context, why("canceled by operator"), { finishedAt: context.at.toISOString() });
    case OPERATOR_COMMAND.RetryFailed:
      if (campaign.state !== CAMPAIGN_STATE.Completed) {
        return { kind: "applied", campaign, record: { from: campaign.state, to: campaign.state, at: context.at.toISOString(), reason: why("retry failed jobs"), cause: context.cause } };
      }
      return change(campaign, CAMPAIGN_STATE.Running, context, why("reopened to retry failed jobs"), { finishedAt: undefined });
  }
}

/**
 * How many vehicles may hold a job once wave `index` is open: a count, or a percent of the eligible
 * vehicles seen so far (rounded up, so a 1% wave of a small fleet still admits one).
 *
 * @example
 * waveCapacity(definition, 0, 1000); // 10 for a first wave of 1%
 */
export function waveCapacity(definition: CampaignDefinition, index: number, eligible: number): number {
  const wave = definition.waves[index];
  if (!wave) return 0;
  if (wave.count !== undefined) return wave.count;
  // A 100% wave admits every vehicle that ever turns up, not just those seen so far.
  if (wave.percent === undefined || wave.percent >= 100) return Number.MAX_SAFE_INTEGER;
  return Math.ceil((wave.percent / 100) * eligible);
}

export interface CriterionBreach {
  criterion: AbortCriterion;
  /** Vehicles failed with the criterion's kind since the last resume, and all vehicles finished since then (each once). */
  failures: number;
  finished: number;
  ratePercent: number;
}

/** Vehicles' outcomes since the baseline (never below none). */
function since(outcomes: OutcomeTotals, baseline: OutcomeTotals): OutcomeTotals {
  const delta = (kind: keyof OutcomeTotals) => Math.max(0, outcomes[kind] - baseline[kind]);
  return { succeeded: delta("succeeded"), failed: delta("failed"), timedOut: delta("timedOut"), rolledBack: delta("rolledBack"), rejected: delta("rejected") };
}

function failuresOfKind(totals: OutcomeTotals, kind: AbortCriterion["failureKind"]): number {
  switch (kind) {
    case FAILURE_KIND.Failed:
      return totals.failed;
    case FAILURE_KIND.TimedOut:
      return totals.timedOut;
    case FAILURE_KIND.RolledBack:
      return totals.rolledBack;
    case FAILURE_KIND.Rejected:
      return totals.rejected;
    case FAILURE_KIND.Any:
      return totals.failed + totals.timedOut + totals.rolledBack + totals.rejected;
  }
}

/** Where one abort criterion stands: armed once its minimum sample finished, crossed at or above its threshold. */
export interface CriterionStanding extends CriterionBreach {
  armed: boolean;
  crossed: boolean;
}

/** What one job decision adds to its campaign's counters (the store applies it with the job's write, atomically). */
export interface OutcomeCount {
  /** Per attempt: +1 the attempt's outcome, -1 the timeout it replaces. */
  outcomes: Partial<OutcomeTotals>;
  /** Per vehicle: +1 the vehicle's new outcome, -1 the one it counted as before (any earlier attempt's). */
  vehicleOutcomes: Partial<OutcomeTotals>;
  /** -1 the vehicle's former outcome when it was counted before the last resume (it is in the baseline). */
  baseline: Partial<OutcomeTotals>;
  /** The campaign's `outcomesEpoch` this was computed for: the store refuses it once a resume moved the epoch on. */
  epoch: number;
}

/**
 * The counter changes of a job decision that decided an outcome, given the campaign's current `outcomesEpoch`,
 * and the job to store (its `countedEpoch` set). Each vehicle weighs one in `vehicleOutcomes`, as its latest counted
 * attempt: a vehicle that fails retries.max + 1 times is one failure, one that fails and then succeeds one success.
 *
 * @example
 * const { count, job } = countOutcome(before, decision, campaign.outcomesEpoch);
 * await store.jobs.saveTransition(before, job, count);
 */
export function countOutcome(
  before: Job,
  decision: { job: Job; outcome?: keyof OutcomeTotals; replaces?: keyof OutcomeTotals },
  epoch: number,
): { count: OutcomeCount; job: Job } {
  const count: OutcomeCount = { outcomes: {}, vehicleOutcomes: {}, baseline: {}, epoch };
  if (decision.outcome === undefined) return { count, job: decision.job };
  const add = (totals: Partial<OutcomeTotals>, kind: keyof OutcomeTotals, amount: number) => {
    totals[kind] = (totals[kind] ?? 0) + amount;
  };
  add(count.outcomes, decision.outcome, 1);
  if (decision.replaces) add(count.outcomes, decision.replaces, -1);
  add(count.vehicleOutcomes, decision.outcome, 1);
  const former = before.countedOutcome;
  if (former) {
    add(count.vehicleOutcomes, former, -1);
    if ((before.countedEpoch ?? 0) < epoch) add(count.baseline, former, -1);
  }
  return { count, job: { ...decision.job, countedOutcome: decision.outcome, countedEpoch: epoch } };
}

/**
 * Every abort criterion's current value against its threshold, judged on outcomes since the last resume.
 * Each vehicle counts once, by the outcome of its latest counted attempt (`vehicleOutcomes`), as AWS IoT Jobs
 * counts job executions per thing: one vehicle failing every retry weighs one failure, not retries.max + 1.
 *
 * @example
 * criteriaStanding(campaign)[0]; // { criterion: { failureKind: "ANY", thresholdPercent: 10, … }, ratePercent: 4, armed: true, crossed: false, … }
 */
export function criteriaStanding(campaign: Campaign): CriterionStanding[] {
  const totals = since(campaign.vehicleOutcomes, campaign.outcomesBaseline);
  const finished = totals.succeeded + failuresOfKind(totals, FAILURE_KIND.Any);
  return campaign.definition.abortCriteria.map((criterion) => {
    const failures = failuresOfKind(totals, criterion.failureKind);
    const ratePercent = finished > 0 ? (failures / finished) * 100 : 0;
    const armed = finished >= criterion.minimumSample && finished > 0;
    return { criterion, failures, finished, ratePercent, armed, crossed: armed && ratePercent >= criterion.thresholdPercent };
  });
}

/**
 * The first abort criterion crossed (ABORT before PAUSE), judged on outcomes since the last resume and
 * only once at least `minimumSample` vehicles have an outcome.
 *
 * @example
 * const breach = crossedCriterion(campaign); // { criterion: { failureKind: "ANY", …, action: "PAUSE" }, ratePercent: 20, … }
 */
export function crossedCriterion(campaign: Campaign): CriterionBreach | undefined {
  const breaches = criteriaStanding(campaign)
    .filter((standing) => standing.crossed)
    .map(({ criterion, failures, finished, ratePercent }) => ({ criterion, failures, finished, ratePercent }));
  return breaches.find((breach) => breach.criterion.action === THRESHOLD_ACTION.Abort) ?? breaches[0];
}

/** What the ticker knows beyond the campaign record. */
export interface RolloutFacts {
  at: Date;
  /** FAILED/TIMED_OUT jobs still waiting for an automatic retry. */
  pendingRetries: number;
  /**
   * Vehicles on the campaign's waiting list (recorded eligible, neither admitted nor forgotten) that the open wave
   * has room for, as the ticker listed them at this tick. Clamped to the room the campaign's counters give, so a
   * vehicle the wave has no room for (full by its count or percent) never holds the campaign open.
   */
  waitingAdmissible: number;
  /** The tick ran short of time before it saw every job (its `pendingRetries` may count too few): it completes nothing. */
  cutShort: boolean;
}

export type RolloutDecision =
  | CampaignDecision
  | { kind: "unchanged"; reason: string };

/**
 * One tick of the rollout rules for a campaign: start a SCHEDULED one whose time came; pause or abort on
 * a crossed criterion; open the next wave once the current one soaked and met its success threshold;
 * complete when the last wave is open and soaked, no job is still moving or waiting for a retry, no waiting
 * vehicle could still be admitted into the last wave (it has room for it), and the tick saw every job.
 *
 * @example
 * const decision = decideRollout(campaign, { at: new Date(), pendingRetries: 0, waitingAdmissible: 0, cutShort: false });
 */
export function decideRollout(campaign: Campaign, facts: RolloutFacts): RolloutDecision {
  const context: CommandContext = { at: facts.at, cause: "ticker" };
  if (campaign.state === CAMPAIGN_STATE.Scheduled) {
    const startAt = campaign.definition.startAt;
    if (startAt && Date.parse(startAt) > facts.at.getTime()) return { kind: "unchanged", reason: `starts at ${startAt}` };
    return change(campaign, CAMPAIGN_STATE.Running, context, "scheduled start reached", {
      ...openWave(0, facts.at),
      startedAt: facts.at.toISOString(),
    });
  }
  if (campaign.state !== CAMPAIGN_STATE.Running) return { kind: "unchanged", reason: `${campaign.state} campaigns do not roll` };

  const breach = crossedCriterion(campaign);
  if (breach) {
    const { criterion } = breach;
    const reason = `${criterion.failureKind} at ${breach.ratePercent.toFixed(1)}% (${breach.failures}/${breach.finished}) ≥ ${criterion.thresholdPercent}% with minimum sample ${criterion.minimumSample}`;
    return criterion.action === THRESHOLD_ACTION.Abort
      ? change(campaign, CAMPAIGN_STATE.Aborted, context, `aborted: ${reason}`, { finishedAt: facts.at.toISOString() })
      : change(campaign, CAMPAIGN_STATE.Paused, context, `paused: ${reason}`);
  }

  const wave = campaign.definition.waves[campaign.waveIndex];
  if (!wave) return { kind: "unchanged", reason: "no open wave" };
  const soakedMinutes = (facts.at.getTime() - Date.parse(campaign.waveOpenedAt ?? campaign.updatedAt)) / 60_000;
  if (soakedMinutes < wave.soakMinutes) {
    return { kind: "unchanged", reason: `wave ${campaign.waveIndex + 1} soaking (${soakedMinutes.toFixed(1)}/${wave.soakMinutes} min)` };
  }
  const isLastWave = campaign.waveIndex === campaign.definition.waves.length - 1;
  const moving = countJobsIn(campaign.counts, ACTIVE_JOB_STATES);
  if (isLastWave) {
    const holding = completionHolds(campaign, facts, moving);
    if (holding.length > 0) return { kind: "unchanged", reason: holding.join("; ") };
    if (campaign.admitted === 0) return { kind: "unchanged", reason: "no vehicle admitted yet" };
    return change(campaign, CAMPAIGN_STATE.Completed, context, completionSummary(campaign), { finishedAt: facts.at.toISOString() });
  }
  if (campaign.admitted === 0) return { kind: "unchanged", reason: `wave ${campaign.waveIndex + 1} has no vehicle yet` };
  const successPercent = (campaign.counts[JOB_STATE.Succeeded] / campaign.admitted) * 100;
  if (successPercent < wave.successThresholdPercent) {
    return {
      kind: "unchanged",
      reason: `wave ${campaign.waveIndex + 1} at ${successPercent.toFixed(1)}% succeeded, needs ${wave.successThresholdPercent}%`,
    };
  }
  const next = campaign.waveIndex + 1;
  return change(
    campaign,
    CAMPAIGN_STATE.Running,
    context,
    `wave ${next + 1} opened: wave ${campaign.waveIndex + 1} at ${successPercent.toFixed(1)}% succeeded after ${soakedMinutes.toFixed(0)} min`,
    openWave(next, facts.at),
  );
}

/** Room left in the open wave by the campaign's counters (never below none). */
function roomLeft(campaign: Campaign): number {
  return Math.max(0, waveCapacity(campaign.definition, campaign.waveIndex, campaign.eligible) - campaign.admitted);
}

/** What keeps an open, soaked last wave from completing: moving jobs, pending retries, admissible waiting vehicles, a short tick. */
function completionHolds(campaign: Campaign, facts: RolloutFacts, moving: number): string[] {
  const holds: string[] = [];
  if (moving > 0 || facts.pendingRetries > 0) holds.push(`${moving} jobs moving, ${facts.pendingRetries} retries pending`);
  const admissible = Math.min(facts.waitingAdmissible, roomLeft(campaign));
  if (admissible > 0) holds.push(`${admissible} waiting ${admissible === 1 ? "vehicle" : "vehicles"} with room in the last wave, to admit before completing`);
  if (facts.cutShort) holds.push("tick cut short before it saw every job; the next tick decides");
  return holds;
}

function completionSummary(campaign: Campaign): string {
  const counts = Object.entries(campaign.counts)
    .filter(([, count]) => count > 0)
    .map(([state, count]) => `${count} ${state}`)
    .join(", ");
  const left = campaign.eligible - campaign.admitted;
  if (left <= 0) return `completed: ${counts}`;
  const why = roomLeft(campaign) === 0 ? " (the last wave is full)" : "";
  return `completed: ${counts}; ${left} eligible ${left === 1 ? "vehicle" : "vehicles"} not admitted${why}`;
}
