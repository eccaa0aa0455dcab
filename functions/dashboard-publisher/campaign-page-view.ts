import { criteriaStanding } from "../../campaigns/campaign-machine.js";
import {
  JOB_STATE,
  JOB_STATES,
  TERMINAL_CAMPAIGN_STATES,
  startTimeoutMinutes,
  type Campaign,
  type JobState,
  type TransitionRecord,
  type Wave,
} from "../../campaigns/model.js";
import { campaignSummary } from "../../campaigns/read-model.js";
import {
  DASHBOARD_SCHEMA_VERSION,
  type CampaignPageDocument,
  type CampaignWaveView,
  type ReasonCount,
} from "../../contracts/dashboard-documents.js";
import { shapeCampaigns } from "./campaign-view.js";
import { toCampaignSummaryInput } from "./readers.js";

/** What one campaign's page is built from: the campaign record, its transitions and a bounded read of its jobs. */
export interface CampaignPageInput {
  campaign: Campaign;
  history: readonly TransitionRecord[];
  /** Jobs read from the failure and deferral states, at most `reasonSampleLimit` per state. */
  jobSamples: ReadonlyArray<{ state: JobState; stateReason?: string; nextRetryAt?: string }>;
}

export interface CampaignPageOptions {
  /** A finished campaign keeps its page this long after it finished. */
  keepFinishedHours: number;
  /** Points kept in the job-state series; older ones are thinned, never the newest. */
  maxSeriesPoints: number;
  maxReasons: number;
  maxHistory: number;
  /** Jobs read per failure or deferral state to count reasons (a DynamoDB Query page each). */
  reasonSampleLimit: number;
}

export const campaignPageDefaults: CampaignPageOptions = {
  keepFinishedHours: 24,
  maxSeriesPoints: 180,
  maxReasons: 8,
  maxHistory: 30,
  reasonSampleLimit: 1000,
};

/** The states whose reasons the page counts as failures. */
export const FAILURE_REASON_STATES: readonly JobState[] = [JOB_STATE.Failed, JOB_STATE.TimedOut, JOB_STATE.RolledBack, JOB_STATE.Rejected];
/** Every state the publisher reads a sample of, failures then deferrals. */
export const SAMPLED_JOB_STATES: readonly JobState[] = [...FAILURE_REASON_STATES, JOB_STATE.Deferred];
/** The series' columns after the time: every job state, then the vehicles still waiting for a wave. */
export const SERIES_STATES: readonly string[] = [...JOB_STATES, "WAITING"];

/**
 * Whether a campaign gets a page now: every campaign not finished, and finished ones for a while.
 *
 * @example
 * hasCampaignPage({ state: "COMPLETED", finishedAt: "2026-11-26T10:00:00Z", updatedAt: "…" }, new Date("2026-11-26T12:00:00Z")); // true
 */
export function hasCampaignPage(
  campaign: Pick<Campaign, "state" | "finishedAt" | "updatedAt">,
  now: Date,
  keepFinishedHours: number = campaignPageDefaults.keepFinishedHours,
): boolean {
  if (!TERMINAL_CAMPAIGN_STATES.includes(campaign.state)) return true;
  const finished = Date.parse(campaign.finishedAt ?? campaign.updatedAt);
  return Number.isFinite(finished) && now.getTime() - finished <= keepFinishedHours * 3_600_000;
}

const WAVE_OPENED = /^wave (\d+) opened: wave \d+ at ([\d.]+)% succeeded/;

/**
 * Reads the ticker's "wave N opened" transition reason (campaign-machine.ts writes it): which wave
 * opened and the success share of the previous wave at its gate.
 *
 * @example
 * parseWaveOpened("wave 2 opened: wave 1 at 96.0% succeeded after 30 min"); // { number: 2, gatePercent: 96 }
 */
export function parseWaveOpened(reason: string): { number: number; gatePercent: number } | undefined {
  const match = WAVE_OPENED.exec(reason);
  return match ? { number: Number(match[1]), gatePercent: Number(match[2]) } : undefined;
}

function waveSize(wave: Wave): string {
  return wave.percent !== undefined ? `${wave.percent} %` : `${wave.count} vehicles`;
}

function plusMinutes(iso: string | null, minutes: number): string | null {
  return iso === null ? null : new Date(Date.parse(iso) + minutes * 60_000).toISOString();
}

/** The waves on a time line: when each opened, its soak, and the success share at its gate. */
export function waveTimeline(campaign: Campaign, history: readonly TransitionRecord[]): CampaignWaveView[] {
  const opened = new Map<number, { at: string; gatePercent: number }>();
  for (const record of history) {
    const parsed = parseWaveOpened(record.reason);
    if (parsed) opened.set(parsed.number, { at: record.at, gatePercent: parsed.gatePercent });
  }
  const liveGate = campaign.admitted > 0 ? round1((campaign.counts[JOB_STATE.Succeeded] / campaign.admitted) * 100) : null;
  return campaign.definition.waves.map((wave, index): CampaignWaveView => {
    const number = index + 1;
    const status = index < campaign.waveIndex ? "passed" : index === campaign.waveIndex ? "open" : "pending";
    const openedAt =
      index === campaign.waveIndex && campaign.waveOpenedAt
        ? campaign.waveOpenedAt
        : index === 0
          ? (campaign.startedAt ?? null)
          : (opened.get(number)?.at ?? null);
    return {
      number,
      size: waveSize(wave),
      soakMinutes: wave.soakMinutes,
      successThresholdPercent: wave.successThresholdPercent,
      status,
      openedAt: status === "pending" ? null : openedAt,
      soakEndsAt: status === "pending" ? null : plusMinutes(openedAt, wave.soakMinutes),
      gateSuccessPercent: status === "open" ? liveGate : status === "passed" ? (opened.get(number + 1)?.gatePercent ?? null) : null,
    };
  });
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z/g;

/**
 * A reason as the page groups it: per-vehicle numbers out (`state of charge 12% below 30%` →
 * `state of charge below 30%`), times out, one line, at most 160 characters.
 *
 * @example
 * reasonKey("backing off until 2026-11-26T17:40:00.000Z"); // "backing off until …"
 */
export function reasonKey(reason: string | undefined): string {
  if (!reason) return "(no reason recorded)";
  return reason
    .replace(/state of charge \d+(?:\.\d+)?% below/g, "state of charge below")
    .replace(ISO_TIME, "…")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 160);
}

function topReasons(samples: CampaignPageInput["jobSamples"], states: readonly JobState[], max: number, split: boolean): ReasonCount[] {
  const counts = new Map<string, ReasonCount>();
  for (const sample of samples) {
    if (!states.includes(sample.state)) continue;
    const parts = split && sample.stateReason ? sample.stateReason.split("; ") : [sample.stateReason];
    for (const part of parts) {
      const reason = reasonKey(part);
      const key = `${sample.state}\u0000${reason}`;
      const entry = counts.get(key) ?? { state: sample.state, reason, count: 0 };
      entry.count += 1;
      counts.set(key, entry);
    }
  }
  return [...counts.values()].sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)).slice(0, max);
}

/**
 * Keeps the newest point and thins the older half (every other point) until the series fits, so a long
 * campaign keeps its whole history at a coarser grain and the document stays the same size.
 */
export function thinSeries(points: readonly number[][], max: number): number[][] {
  let kept = [...points];
  while (kept.length > max) {
    const half = Math.floor(kept.length / 2);
    kept = [...kept.slice(0, half).filter((_, index) => index % 2 === 0), ...kept.slice(half)];
  }
  return kept;
}

function round1(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * The page document of one campaign. The job-state series continues the previous document's (when its
 * columns match), one point per run.
 *
 * @example
 * const doc = shapeCampaignPage({ campaign, history: transitions, jobSamples }, previous, new Date());
 * doc.waves[0].gateSuccessPercent; // 96.2
 */
export function shapeCampaignPage(
  input: CampaignPageInput,
  previous: CampaignPageDocument | undefined,
  now: Date,
  options: Partial<CampaignPageOptions> = {},
): CampaignPageDocument {
  const settings = { ...campaignPageDefaults, ...options };
  const { campaign, history, jobSamples } = input;
  const view = shapeCampaigns([toCampaignSummaryInput(campaignSummary(campaign))], now).campaigns[0]!;
  const waiting = Math.max(0, campaign.eligible - campaign.admitted);
  const point = [Math.floor(now.getTime() / 1000), ...JOB_STATES.map((state) => campaign.counts[state] ?? 0), waiting];
  const earlier =
    previous && previous.jobSeries.states.join() === SERIES_STATES.join()
      ? previous.jobSeries.points.filter((entry) => (entry[0] ?? 0) < point[0]!)
      : [];
  const failedNow = campaign.counts[JOB_STATE.Failed] + campaign.counts[JOB_STATE.TimedOut];
  const retrySamples = jobSamples.filter((sample) => sample.state === JOB_STATE.Failed || sample.state === JOB_STATE.TimedOut);
  const sampledOf = SAMPLED_JOB_STATES.reduce((sum, state) => sum + (campaign.counts[state] ?? 0), 0);
  const newestFirst = [...history].sort((a, b) => b.at.localeCompare(a.at));
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    campaign: { ...view, hasPage: true },
    description: campaign.definition.description ?? "",
    createdAt: campaign.createdAt,
    startedAt: campaign.startedAt ?? null,
    finishedAt: campaign.finishedAt ?? null,
    waves: waveTimeline(campaign, history),
    jobSeries: { states: [...SERIES_STATES], points: thinSeries([...earlier, point], settings.maxSeriesPoints) },
    failureReasons: topReasons(jobSamples, FAILURE_REASON_STATES, settings.maxReasons, false),
    deferralReasons: topReasons(jobSamples, [JOB_STATE.Deferred], settings.maxReasons, true),
    reasonSample: { read: jobSamples.length, of: sampledOf },
    retries: {
      max: campaign.definition.retries.max,
      backoffBaseSeconds: campaign.definition.retries.backoffBaseSeconds,
      backoffCapSeconds: campaign.definition.retries.backoffCapSeconds,
      retried: Math.max(0, campaign.outcomes.failed + campaign.outcomes.timedOut - failedNow),
      waiting: retrySamples.filter((sample) => sample.nextRetryAt !== undefined).length,
      exhausted: retrySamples.filter((sample) => sample.nextRetryAt === undefined).length,
    },
    timeouts: {
      total: campaign.outcomes.timedOut,
      current: campaign.counts[JOB_STATE.TimedOut],
      inProgressTimeoutMinutes: campaign.definition.inProgressTimeoutMinutes,
      maxInProgressMinutes: campaign.definition.maxInProgressMinutes,
      startTimeoutMinutes: startTimeoutMinutes(campaign.definition),
    },
    abortCriteria: criteriaStanding(campaign).map((standing) => ({
      failureKind: standing.criterion.failureKind,
      action: standing.criterion.action,
      thresholdPercent: standing.criterion.thresholdPercent,
      minimumSample: standing.criterion.minimumSample,
      failures: standing.failures,
      finished: standing.finished,
      currentPercent: round1(standing.ratePercent),
      armed: standing.armed,
      crossed: standing.crossed,
    })),
    history: newestFirst.slice(0, settings.maxHistory).map(({ at, from, to, reason, cause }) => ({ at, from, to, reason, cause })),
    historyOmitted: Math.max(0, newestFirst.length - settings.maxHistory),
  };
}

