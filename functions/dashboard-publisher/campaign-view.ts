import { ACTIVE_CAMPAIGN_STATES, FAILURE_JOB_STATES, JOB_STATE, JOB_STATES, OUTCOME_JOB_STATES } from "../../campaigns/model.js";
import { DASHBOARD_SCHEMA_VERSION, type CampaignJobCount, type CampaignsDocument, type CampaignView } from "../../contracts/dashboard-documents.js";

/** What the campaign view needs of one campaign; the campaigns read model is adapted to this in sources.ts. */
export interface CampaignSummaryInput {
  campaignId: string;
  name?: string;
  state: string;
  stateReason?: string | null;
  firmwareVersion?: string;
  currentWave?: number | null;
  totalWaves?: number | null;
  /** Vehicles the campaign targets; defaults to the sum of the job counts. */
  targeted?: number | null;
  /** Vehicle jobs by state, e.g. `{ SUCCEEDED: 40, IN_PROGRESS: 3 }`. */
  jobCounts: Readonly<Record<string, number>>;
  /** Install documents of canceled or timed-out jobs the ticker still has to take back. */
  withdrawalsOwed?: number;
  updatedAt?: string | null;
}

/** Job states in the order a job lives through them (the model's); the page draws its bar segments in this order. */
export const JOB_STATE_ORDER: readonly string[] = JOB_STATES;

/** Outcomes: the job no longer moves unless retried. */
export const FINAL_JOB_STATES: ReadonlySet<string> = new Set(OUTCOME_JOB_STATES);
/** The failure kinds a campaign's abort criteria sum up as ANY. */
export const FAILED_JOB_STATES: ReadonlySet<string> = new Set(FAILURE_JOB_STATES);

/** Campaign states listed first on the page; the rest follow, most recently updated first. */
const LISTED_FIRST: ReadonlySet<string> = new Set(ACTIVE_CAMPAIGN_STATES);

export const campaignViewDefaults = { maxCampaigns: 25 } as const;

/**
 * Shapes campaign summaries for the page: job counts in lifecycle order, succeeded / failed totals
 * and percent complete; running and paused campaigns first; capped, with the rest counted.
 *
 * @example
 * shapeCampaigns([{ campaignId: "c-1", state: "RUNNING", jobCounts: { SUCCEEDED: 3, QUEUED: 1 } }], new Date());
 * // campaigns[0].percentComplete === 75
 */
export function shapeCampaigns(
  summaries: readonly CampaignSummaryInput[],
  now: Date,
  options: { maxCampaigns?: number } = {},
): CampaignsDocument {
  const maxCampaigns = options.maxCampaigns ?? campaignViewDefaults.maxCampaigns;
  const views = summaries.map(campaignView).sort(compareCampaigns);
  return {
    schemaVersion: DASHBOARD_SCHEMA_VERSION,
    generatedAt: now.toISOString(),
    campaigns: views.slice(0, maxCampaigns),
    omitted: Math.max(0, views.length - maxCampaigns),
  };
}

function campaignView(summary: CampaignSummaryInput): CampaignView {
  const jobs = orderedJobCounts(summary.jobCounts);
  const jobTotal = jobs.reduce((sum, job) => sum + job.count, 0);
  const targeted = Math.max(summary.targeted ?? 0, jobTotal);
  const count = (states: ReadonlySet<string>) => jobs.filter((job) => states.has(job.state)).reduce((sum, job) => sum + job.count, 0);
  const finished = count(FINAL_JOB_STATES);
  const total = summary.totalWaves ?? null;
  return {
    campaignId: summary.campaignId,
    name: summary.name || summary.campaignId,
    state: summary.state.toUpperCase(),
    stateReason: summary.stateReason ?? null,
    firmwareVersion: summary.firmwareVersion ?? "",
    wave: total ? { current: Math.min(summary.currentWave ?? 0, total), total } : null,
    targeted,
    jobs,
    succeeded: count(new Set([JOB_STATE.Succeeded])),
    failed: count(FAILED_JOB_STATES),
    percentComplete: targeted === 0 ? 0 : Math.round((finished / targeted) * 1000) / 10,
    withdrawalsOwed: owedCount(summary.withdrawalsOwed),
    updatedAt: summary.updatedAt ?? null,
  };
}

/** A campaign's withdrawalsOwed as a count (a negative or unreadable counter shows as none). */
export function owedCount(value: number | undefined): number {
  return typeof value === "number" && Number.isSafeInteger(value) && value > 0 ? value : 0;
}

/** Known states in lifecycle order, unknown ones after them alphabetically; zero counts dropped. */
export function orderedJobCounts(jobCounts: Readonly<Record<string, number>>): CampaignJobCount[] {
  const merged = new Map<string, number>();
  for (const [state, count] of Object.entries(jobCounts)) {
    if (!Number.isFinite(count) || count <= 0) continue;
    const key = state.toUpperCase();
    merged.set(key, (merged.get(key) ?? 0) + count);
  }
  const rank = (state: string) => {
    const index = (JOB_STATE_ORDER as readonly string[]).indexOf(state);
    return index === -1 ? JOB_STATE_ORDER.length : index;
  };
  return [...merged]
    .sort((a, b) => rank(a[0]) - rank(b[0]) || a[0].localeCompare(b[0]))
    .map(([state, count]) => ({ state, count }));
}

function compareCampaigns(a: CampaignView, b: CampaignView): number {
  const activeA = LISTED_FIRST.has(a.state) ? 0 : 1;
  const activeB = LISTED_FIRST.has(b.state) ? 0 : 1;
  if (activeA !== activeB) return activeA - activeB;
  return (b.updatedAt ?? "").localeCompare(a.updatedAt ?? "") || a.campaignId.localeCompare(b.campaignId);
}
