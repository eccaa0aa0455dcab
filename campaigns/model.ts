import semver from "semver";
import { z } from "zod";
import { CONNECTIVITY_CLASS } from "../contracts/update-messages.js";

/**
 * The OTA campaign model: states, the campaign definition an operator writes (JSON or YAML), and the
 * shapes of the campaign and vehicle-job records the store keeps. Pure: no AWS, no clock.
 */

export const CAMPAIGN_STATE = {
  Draft: "DRAFT",
  Scheduled: "SCHEDULED",
  Running: "RUNNING",
  Paused: "PAUSED",
  Completed: "COMPLETED",
  Aborted: "ABORTED",
  Canceled: "CANCELED",
} as const;
export type CampaignState = (typeof CAMPAIGN_STATE)[keyof typeof CAMPAIGN_STATE];

export const TERMINAL_CAMPAIGN_STATES: readonly CampaignState[] = [
  CAMPAIGN_STATE.Completed,
  CAMPAIGN_STATE.Aborted,
  CAMPAIGN_STATE.Canceled,
];

/** Campaigns under way: their jobs still move (a PAUSED one admits no vehicle but keeps its jobs). */
export const ACTIVE_CAMPAIGN_STATES: readonly CampaignState[] = [CAMPAIGN_STATE.Running, CAMPAIGN_STATE.Paused];

export const JOB_STATE = {
  Queued: "QUEUED",
  /** Waiting, not failing: the vehicle's preconditions (parked, charge, connectivity, window) are not met. */
  Deferred: "DEFERRED",
  InProgress: "IN_PROGRESS",
  Succeeded: "SUCCEEDED",
  Failed: "FAILED",
  RolledBack: "ROLLED_BACK",
  /** Silent in progress, in progress too long, or never started within the campaign's limits: a failure. */
  TimedOut: "TIMED_OUT",
  /** The vehicle refused the job document (signature, expiry, downgrade, hardware…). */
  Rejected: "REJECTED",
  Canceled: "CANCELED",
} as const;
export type JobState = (typeof JOB_STATE)[keyof typeof JOB_STATE];
export const JOB_STATES = Object.values(JOB_STATE) as readonly JobState[];

export const JOB_SUBSTATE = {
  Downloading: "DOWNLOADING",
  Installing: "INSTALLING",
  Verifying: "VERIFYING",
} as const;
export type JobSubstate = (typeof JOB_SUBSTATE)[keyof typeof JOB_SUBSTATE];

/** States a job is still moving in (it holds its wave slot and may still report). */
export const ACTIVE_JOB_STATES: readonly JobState[] = [JOB_STATE.Queued, JOB_STATE.Deferred, JOB_STATE.InProgress];

/** Moving states the vehicle has not started yet (canceled with their campaign, TIMED_OUT after the start timeout). */
export const UNSTARTED_JOB_STATES: readonly JobState[] = [JOB_STATE.Queued, JOB_STATE.Deferred];

/** Terminal outcomes. FAILED and TIMED_OUT may still be retried back to QUEUED. */
export const OUTCOME_JOB_STATES: readonly JobState[] = [
  JOB_STATE.Succeeded,
  JOB_STATE.Failed,
  JOB_STATE.RolledBack,
  JOB_STATE.TimedOut,
  JOB_STATE.Rejected,
  JOB_STATE.Canceled,
];

/** Failed outcomes the ticker retries on its own, after a backoff, while the campaign's retries last. */
export const RETRYABLE_JOB_STATES: readonly JobState[] = [JOB_STATE.Failed, JOB_STATE.TimedOut];

/** What an operator's retry-failed returns to QUEUED: the retryable ones and rolled-back installs. */
export const MANUALLY_RETRYABLE_JOB_STATES: readonly JobState[] = [...RETRYABLE_JOB_STATES, JOB_STATE.RolledBack];

/** The failed outcomes: what an abort criterion's `ANY` sums (CANCELED is no failure). */
export const FAILURE_JOB_STATES: readonly JobState[] = [JOB_STATE.Failed, JOB_STATE.TimedOut, JOB_STATE.RolledBack, JOB_STATE.Rejected];

/**
 * How many jobs are in any of `states`, from a campaign's counts (or any per-state tally).
 *
 * @example
 * const moving = countJobsIn(campaign.counts, ACTIVE_JOB_STATES);
 */
export function countJobsIn(counts: Readonly<Partial<Record<string, number>>>, states: readonly string[]): number {
  return states.reduce((sum, state) => sum + (counts[state] ?? 0), 0);
}

/**
 * Job states whose document is taken back: CANCELED, TIMED_OUT before the vehicle started it (`willNotRun`), and
 * TIMED_OUT after it started in a campaign that ended, which retries nothing (`owesWithdrawal`).
 */
export const WITHDRAWN_JOB_STATES: readonly JobState[] = [JOB_STATE.Canceled, JOB_STATE.TimedOut];

/** A job that will not run: canceled, or timed out before the vehicle started it. Its document is taken back. */
export function willNotRun(job: Pick<Job, "state" | "inProgressSince">): boolean {
  return job.state === JOB_STATE.Canceled || (job.state === JOB_STATE.TimedOut && job.inProgressSince === undefined);
}

/**
 * A CANCELED or TIMED_OUT job whose document is to go on this attempt (`withdrawalOwedAttempt`: set by the job machine
 * with the cancel or the unstarted timeout, and by the update service when a started job times out, or loses its
 * retry, in a campaign that ended), and whose withdrawal is not yet confirmed (`documentWithdrawnAttempt`): its
 * vehicle's slot may still hold its install document. The store counts these per campaign (`withdrawalsOwed`), in
 * the same write as the job, so a withdrawal that failed or never ran is found and done again by the ticker. (Jobs
 * ended before the field existed owe nothing, so the counter never counts them out without having counted them in.)
 */
export function owesWithdrawal(job: Pick<Job, "state" | "attempt" | "withdrawalOwedAttempt" | "documentWithdrawnAttempt">): boolean {
  return WITHDRAWN_JOB_STATES.includes(job.state) && job.withdrawalOwedAttempt === job.attempt && job.documentWithdrawnAttempt !== job.attempt;
}

/**
 * A job kept so only for a campaign that has not ended: FAILED or TIMED_OUT with a retry ahead, or TIMED_OUT keeping its
 * install document (not owed a withdrawal). A campaign that ended retries nothing and takes a timed-out job's document
 * back, so the store writes such a job only while its campaign has not ended (CounterDelta `whileNotEnded`).
 */
export function keptForUnendedCampaign(job: Pick<Job, "state" | "attempt" | "nextRetryAt" | "withdrawalOwedAttempt">): boolean {
  return job.nextRetryAt !== undefined || (job.state === JOB_STATE.TimedOut && job.withdrawalOwedAttempt !== job.attempt);
}

/** The campaign states that have not ended: a job write that keeps a retry is conditional on one of these (store). */
export const UNENDED_CAMPAIGN_STATES: readonly CampaignState[] = Object.values(CAMPAIGN_STATE).filter((state) => !TERMINAL_CAMPAIGN_STATES.includes(state));

/** How a job write from `before` to `after` moves its campaign's `withdrawalsOwed`: +1, -1 or 0. */
export function withdrawalDelta(before: Job, after: Job): number {
  return Number(owesWithdrawal(after)) - Number(owesWithdrawal(before));
}

/** Failure kinds an abort/pause criterion can watch. `ANY` sums FAILED, TIMED_OUT, ROLLED_BACK and REJECTED. */
export const FAILURE_KIND = {
  Failed: "FAILED",
  TimedOut: "TIMED_OUT",
  RolledBack: "ROLLED_BACK",
  Rejected: "REJECTED",
  Any: "ANY",
} as const;
export type FailureKind = (typeof FAILURE_KIND)[keyof typeof FAILURE_KIND];

export const THRESHOLD_ACTION = { Pause: "PAUSE", Abort: "ABORT" } as const;
export type ThresholdAction = (typeof THRESHOLD_ACTION)[keyof typeof THRESHOLD_ACTION];

export const CONNECTIVITY_VALUES = [CONNECTIVITY_CLASS.Good, CONNECTIVITY_CLASS.Weak, CONNECTIVITY_CLASS.Offline] as const;

/**
 * Bounds on every field: a campaign item stays far below DynamoDB's 400 KB, every duration stays a
 * valid date when added to now, and no text carries control characters to a terminal or a dashboard.
 */
export const CAMPAIGN_LIMITS = {
  nameLength: 128,
  descriptionLength: 2_000,
  selectorValueLength: 64,
  selectorValues: 200,
  waves: 20,
  waveCount: 10_000_000,
  abortCriteria: 20,
  minimumSample: 1_000_000,
  /** A week. */
  soakMinutes: 7 * 24 * 60,
  /** A day. */
  backoffBaseSeconds: 86_400,
  /** A week. */
  backoffCapSeconds: 7 * 86_400,
  /** A week. */
  inProgressTimeoutMinutes: 7 * 24 * 60,
  /** 30 days. */
  maxInProgressMinutes: 30 * 24 * 60,
  /** 30 days. */
  startTimeoutMinutes: 30 * 24 * 60,
  /** 30 days: a signed job document is not meant to stay actionable longer. */
  documentTtlHours: 30 * 24,
  modelYearMin: 1980,
  modelYearMax: 2100,
  /** The whole definition as JSON; the campaign item holds it plus counters, far below 400 KB. */
  definitionBytes: 64 * 1024,
} as const;

const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/;
const CONTROL_CHARACTERS_BUT_LINES = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/** Text of 1 to `max` characters without control characters. */
const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .refine((value) => !CONTROL_CHARACTERS.test(value), { message: "must not contain control characters" });
const selectorValues = z.array(text(CAMPAIGN_LIMITS.selectorValueLength)).min(1).max(CAMPAIGN_LIMITS.selectorValues).optional();
const boundedMinutes = (max: number) => z.number().positive().max(max);

const versionSchema = z.string().max(64).refine((value) => semver.valid(value) !== null, {
  message: "must be a semantic version such as 2.4.1",
});
const versionRangeSchema = z.string().max(256).refine((value) => semver.validRange(value) !== null, {
  message: "must be a semver range such as >=2.0.0 <2.4.0",
});
const hhmmSchema = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be HH:MM (24-hour, UTC)");

const waveSchema = z
  .object({
    /** Cumulative share of eligible vehicles admitted once this wave is open. */
    percent: z.number().gt(0).max(100).optional(),
    /** Cumulative number of vehicles admitted once this wave is open. */
    count: z.number().int().positive().max(CAMPAIGN_LIMITS.waveCount).optional(),
    /** Minutes the wave must run before the next one may open. */
    soakMinutes: z.number().min(0).max(CAMPAIGN_LIMITS.soakMinutes).default(0),
    /** Share (0–100) of admitted jobs that must have SUCCEEDED before the next wave opens. */
    successThresholdPercent: z.number().min(0).max(100).default(95),
  })
  .refine((wave) => (wave.percent === undefined) !== (wave.count === undefined), {
    message: "give exactly one of percent or count",
  });

const criterionSchema = z.object({
  failureKind: z.enum(Object.values(FAILURE_KIND) as [FailureKind, ...FailureKind[]]),
  /** Share (0–100) of the vehicles with an outcome (each once, by its latest counted attempt) whose outcome is this failure kind, at which the action triggers. */
  thresholdPercent: z.number().gt(0).max(100),
  /** No decision before this many vehicles have an outcome (since the last resume). */
  minimumSample: z.number().int().positive().max(CAMPAIGN_LIMITS.minimumSample),
  action: z.enum([THRESHOLD_ACTION.Pause, THRESHOLD_ACTION.Abort]),
});

export const campaignDefinitionSchema = z.object({
  name: text(CAMPAIGN_LIMITS.nameLength),
  description: z
    .string()
    .max(CAMPAIGN_LIMITS.descriptionLength)
    .refine((value) => !CONTROL_CHARACTERS_BUT_LINES.test(value), { message: "must not contain control characters" })
    .optional(),
  targetVersion: versionSchema,
  selector: z
    .object({
      makes: selectorValues,
      models: selectorValues,
      modelYears: z
        .object({
          from: z.number().int().min(CAMPAIGN_LIMITS.modelYearMin).max(CAMPAIGN_LIMITS.modelYearMax),
          to: z.number().int().min(CAMPAIGN_LIMITS.modelYearMin).max(CAMPAIGN_LIMITS.modelYearMax),
        })
        .refine((years) => years.from <= years.to, { message: "from must not be after to" })
        .optional(),
      regions: selectorValues,
      hardware: selectorValues,
      /** Current firmware the vehicle must run, e.g. ">=2.0.0 <2.4.0". Vehicles already on the target never match. */
      currentVersionRange: versionRangeSchema.optional(),
    })
    .default({}),
  waves: z.array(waveSchema).min(1).max(CAMPAIGN_LIMITS.waves).default([{ percent: 100, soakMinutes: 0, successThresholdPercent: 95 }]),
  abortCriteria: z.array(criterionSchema).max(CAMPAIGN_LIMITS.abortCriteria).default([]),
  retries: z
    .object({
      max: z.number().int().min(0).max(10).default(3),
      backoffBaseSeconds: z.number().positive().max(CAMPAIGN_LIMITS.backoffBaseSeconds).default(60),
      backoffCapSeconds: z.number().positive().max(CAMPAIGN_LIMITS.backoffCapSeconds).default(3600),
    })
    .refine((retries) => retries.backoffBaseSeconds <= retries.backoffCapSeconds, {
      message: "backoffBaseSeconds must not exceed backoffCapSeconds",
    })
    .default({ max: 3, backoffBaseSeconds: 60, backoffCapSeconds: 3600 }),
  /** A job IN_PROGRESS with no report for this long is TIMED_OUT (a failure). */
  inProgressTimeoutMinutes: boundedMinutes(CAMPAIGN_LIMITS.inProgressTimeoutMinutes).default(60),
  /** A job still not finished this long after the vehicle started it is TIMED_OUT, heartbeats or not (a stuck install). */
  maxInProgressMinutes: boundedMinutes(CAMPAIGN_LIMITS.maxInProgressMinutes).default(360),
  /**
   * A job the vehicle has not started (QUEUED or DEFERRED) this long after it was admitted or retried is
   * TIMED_OUT, so a vehicle that stays offline cannot hold the campaign open. Default: the job document's lifetime.
   */
  startTimeoutMinutes: boundedMinutes(CAMPAIGN_LIMITS.startTimeoutMinutes).optional(),
  /** How long a vehicle may act on a job document after it is issued. */
  documentTtlHours: z.number().positive().max(CAMPAIGN_LIMITS.documentTtlHours).default(72),
  /** Jobs are dispatched only inside this daily UTC window (may wrap midnight); outside it they are DEFERRED. */
  maintenanceWindow: z.object({ startUtc: hhmmSchema, endUtc: hhmmSchema }).optional(),
  /** When set and in the future, `start` makes the campaign SCHEDULED until then. */
  startAt: z.iso.datetime().optional(),
  preconditions: z
    .object({
      requireParked: z.boolean().default(true),
      minStateOfChargePercent: z.number().min(0).max(100).default(30),
      /** Connectivity classes good enough to download over. */
      connectivity: z.array(z.enum(CONNECTIVITY_VALUES)).min(1).default([CONNECTIVITY_CLASS.Good]),
    })
    .default({ requireParked: true, minStateOfChargePercent: 30, connectivity: [CONNECTIVITY_CLASS.Good] }),
});

export type CampaignDefinition = z.infer<typeof campaignDefinitionSchema>;
/** What an operator may write: everything with a default is optional. */
export type CampaignDefinitionInput = z.input<typeof campaignDefinitionSchema>;
export type Wave = CampaignDefinition["waves"][number];
export type AbortCriterion = CampaignDefinition["abortCriteria"][number];

export class CampaignDefinitionError extends Error {
  override readonly name = "CampaignDefinitionError";
  constructor(readonly problems: ReadonlyArray<{ field: string; message: string }>) {
    super(`invalid campaign definition: ${problems.map((p) => `${p.field}: ${p.message}`).join("; ")}`);
  }
}

/**
 * Validates an operator's campaign definition (already parsed from JSON or YAML) and fills defaults.
 * Throws CampaignDefinitionError whose message names every bad field (`waves[1].percent: …`).
 *
 * @example
 * const definition = parseCampaignDefinition({ name: "brakes", targetVersion: "2.4.0",
 *   waves: [{ percent: 1, soakMinutes: 30 }, { percent: 100 }] });
 */
export function parseCampaignDefinition(input: unknown): CampaignDefinition {
  const result = campaignDefinitionSchema.safeParse(input);
  if (result.success) {
    const bytes = Buffer.byteLength(JSON.stringify(result.data));
    if (bytes > CAMPAIGN_LIMITS.definitionBytes) {
      throw new CampaignDefinitionError([{ field: "(definition)", message: `is ${bytes} bytes as JSON, more than ${CAMPAIGN_LIMITS.definitionBytes}` }]);
    }
    checkWavesGrow(result.data.waves);
    checkTimeoutsNest(result.data);
    return result.data;
  }
  throw new CampaignDefinitionError(
    result.error.issues.map((issue) => ({ field: fieldPath(issue.path) || "(root)", message: issue.message })),
  );
}

function checkWavesGrow(waves: readonly Wave[]): void {
  const problems: Array<{ field: string; message: string }> = [];
  for (let index = 1; index < waves.length; index++) {
    const previous = waves[index - 1]!;
    const current = waves[index]!;
    const key = current.percent !== undefined ? "percent" : "count";
    const before = previous.percent ?? previous.count;
    const now = current.percent ?? current.count;
    const sameUnit = (previous.percent === undefined) === (current.percent === undefined);
    if (sameUnit && before !== undefined && now !== undefined && now <= before) {
      problems.push({ field: `waves[${index}].${key}`, message: `must be larger than the previous wave's (${before}); waves are cumulative` });
    }
  }
  if (problems.length > 0) throw new CampaignDefinitionError(problems);
}

function checkTimeoutsNest(definition: CampaignDefinition): void {
  if (definition.maxInProgressMinutes < definition.inProgressTimeoutMinutes) {
    throw new CampaignDefinitionError([
      { field: "maxInProgressMinutes", message: `must be at least inProgressTimeoutMinutes (${definition.inProgressTimeoutMinutes})` },
    ]);
  }
}

/** Minutes a vehicle has to start a job before it is TIMED_OUT unstarted. */
export function startTimeoutMinutes(definition: CampaignDefinition): number {
  return definition.startTimeoutMinutes ?? definition.documentTtlHours * 60;
}

function fieldPath(path: ReadonlyArray<PropertyKey>): string {
  return path
    .map((part, index) => (typeof part === "number" ? `[${part}]` : index === 0 ? String(part) : `.${String(part)}`))
    .join("");
}

/** Counts of a campaign's jobs by current state. */
export type JobCounts = Record<JobState, number>;

/**
 * Outcome counts by kind. As `Campaign.outcomes`: one per attempt (retries included), what the dashboard's retry and
 * timeout figures count; only a timeout is ever taken back, by the final report of its attempt that arrives after it
 * (the vehicle came back). As `Campaign.vehicleOutcomes`: one per vehicle, the base of the abort/pause criteria.
 */
export interface OutcomeTotals {
  succeeded: number;
  failed: number;
  timedOut: number;
  rolledBack: number;
  rejected: number;
}

export function emptyJobCounts(): JobCounts {
  return Object.fromEntries(JOB_STATES.map((state) => [state, 0])) as JobCounts;
}

export function emptyOutcomes(): OutcomeTotals {
  return { succeeded: 0, failed: 0, timedOut: 0, rolledBack: 0, rejected: 0 };
}

export interface Campaign {
  campaignId: string;
  name: string;
  definition: CampaignDefinition;
  state: CampaignState;
  stateReason?: string;
  /** Index of the open wave; -1 before the first opens. */
  waveIndex: number;
  waveOpenedAt?: string;
  /** Distinct vehicles seen matching the selector while the campaign was active. */
  eligible: number;
  /** Vehicles given a job (admitted into a wave). */
  admitted: number;
  counts: JobCounts;
  /** One outcome per attempt (retries included): the retry and timeout figures of the campaign page. */
  outcomes: OutcomeTotals;
  /**
   * Jobs that will not run whose withdrawal is not confirmed yet (`owesWithdrawal`), moved with each job write: while
   * above 0 the ticker keeps ticking the campaign, even a final one, to withdraw their documents. Absent: 0.
   */
  withdrawalsOwed?: number;
  /**
   * Each vehicle once, by the outcome of its latest counted attempt (`Job.countedOutcome`): a vehicle that failed
   * and then succeeded on a retry is one success, one that fails every retry one failure. The abort/pause
   * criteria's base, as AWS IoT Jobs counts job executions per thing.
   */
  vehicleOutcomes: OutcomeTotals;
  /**
   * `vehicleOutcomes` at the last resume, less the vehicles counted then whose outcome changed since: criteria
   * judge only what happened after it, else the same failures pause it again at once.
   */
  outcomesBaseline: OutcomeTotals;
  /** How many times the baseline was taken (resumes); a job's `countedEpoch` says which one its outcome counts in. */
  outcomesEpoch: number;
  createdAt: string;
  updatedAt: string;
  startedAt?: string;
  finishedAt?: string;
  /**
   * The latest operator retry-failed applied to the campaign (its command's idempotency key and when it applied),
   * written with the command's campaign write. Each tick while RUNNING or PAUSED retries the jobs it covers
   * (`owedManualRetry`): so a command whose write lost (refused as stale) re-queues nothing, and one whose invocation
   * died after its write loses nothing.
   */
  retryFailedRequest?: RetryFailedRequest;
  /**
   * A CANCELED or ABORTED campaign: when a tick canceled the retries of all its FAILED and TIMED_OUT jobs for good (a
   * whole sweep, at least WITHDRAWAL_SETTLE_MINUTES after it ended: job writes that keep a retry are conditional on the
   * campaign not having ended, and the window covers writes from before that condition and the per-state index's lag).
   * Later ticks list those jobs no more: nothing in them can change. Absent: not yet.
   */
  retriesDroppedAt?: string;
  /** Optimistic-concurrency revision, bumped on every write of the campaign record. */
  revision: number;
}

export interface RetryFailedRequest {
  /** The command's idempotency key: the `cause` of the retries (and refusals) it made in the jobs' histories. */
  key: string;
  at: string;
}

/**
 * Whether an applied retry-failed still owes this job its retry: the job is manually retryable, finished when the
 * command applied (its last transition not after it), and neither retried nor refused by that command yet (no record
 * with its key as the cause).
 *
 * @example
 * const owed = campaign.retryFailedRequest !== undefined && owedManualRetry(job, campaign.retryFailedRequest); // retry it now
 */
export function owedManualRetry(job: Pick<Job, "state" | "history" | "createdAt">, request: RetryFailedRequest): boolean {
  if (!MANUALLY_RETRYABLE_JOB_STATES.includes(job.state)) return false;
  if (job.history.some((record) => record.cause === request.key)) return false;
  return Date.parse(job.history.at(-1)?.at ?? job.createdAt) <= Date.parse(request.at);
}

export interface Job {
  jobId: string;
  campaignId: string;
  vin: string;
  state: JobState;
  substate?: JobSubstate;
  stateReason?: string;
  targetVersion: string;
  /** Firmware version the vehicle ran when admitted, then as last reported. */
  firmwareVersion: string;
  hardware: string;
  wave: number;
  /** 1 for the first try; bumped by each retry. */
  attempt: number;
  /** Highest status-report sequence applied in the current attempt; -1 before any (reset by each retry). */
  lastSequence: number;
  /** The highest sequence applied in earlier attempts, so an agent that keeps counting across attempts is not taken for a jump. */
  priorSequence?: number;
  /** Earliest time the ticker may return a FAILED/TIMED_OUT job to QUEUED; absent when retries are exhausted. */
  nextRetryAt?: string;
  /** When the current attempt was admitted or retried (the start-timeout clock). */
  attemptQueuedAt?: string;
  /** When the vehicle first reported progress on the current attempt (the max-in-progress clock); absent while unstarted. */
  inProgressSince?: string;
  /**
   * The attempt whose TIMED_OUT outcome has been counted (and stands). A late report brings a TIMED_OUT job
   * back (DEFERRED, IN_PROGRESS) and it may time out again in the same attempt: that counts once, or one
   * vehicle reporting DEFERRED after each tick would add a timeout a minute to its campaign's abort criteria.
   * The attempt's final report replaces the counted timeout (and clears this).
   */
  timedOutAttempt?: number;
  /**
   * The outcome this vehicle counts as in the campaign's `vehicleOutcomes` (its latest counted attempt's), and the
   * campaign's `outcomesEpoch` when it was counted; the next outcome replaces it in the same transaction.
   */
  countedOutcome?: keyof OutcomeTotals;
  countedEpoch?: number;
  /** Last time the vehicle reported progress (IN_PROGRESS timeout clock). */
  lastProgressAt?: string;
  /** The S3 key of the signed job document, once written for the current attempt. */
  documentKey?: string;
  documentPublishedAttempt?: number;
  /**
   * The attempt on which the job was canceled, timed out unstarted, or timed out (or lost its retry) in a campaign
   * that ended: its document is to be withdrawn (`owesWithdrawal`).
   */
  withdrawalOwedAttempt?: number;
  /**
   * The attempt whose withdrawal is confirmed: its vehicle's slot was read (and any install document of this job
   * replaced by a signed withdrawal) late enough that no publisher of the attempt can still be writing
   * (job-documents.ts `WITHDRAWAL_SETTLE_MINUTES`). Until then a job that will not run `owesWithdrawal`.
   */
  documentWithdrawnAttempt?: number;
  /** The job's transitions, oldest first, kept in the job item itself (the last JOB_HISTORY_LIMIT). */
  history: TransitionRecord[];
  createdAt: string;
  updatedAt: string;
  revision: number;
}

/** How many transitions a job item keeps; retries make long histories, a job item must stay small. */
export const JOB_HISTORY_LIMIT = 50;

/** One recorded transition of a job or a campaign. */
export interface TransitionRecord {
  from: string;
  to: string;
  at: string;
  reason: string;
  /** What caused it: a status report sequence, a command's idempotency key, `ticker`… */
  cause: string;
}

/** Job ids are the business identity: one job per vehicle per campaign. */
export function jobIdFor(campaignId: string, vin: string): string {
  return `${campaignId}:${vin}`;
}

/** Compares firmware versions by semver precedence (negative when a < b). */
export function compareVersions(a: string, b: string): number {
  return semver.compare(a, b);
}
