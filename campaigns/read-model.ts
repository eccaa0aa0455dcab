import type { Campaign, CampaignState, Job, JobCounts, JobState } from "./model.js";
import type { CampaignStore } from "./store/index.js";

/**
 * What the dashboard publisher and the operator CLI read: campaign summaries and job lists, never the
 * raw table items.
 */

export interface CampaignSummary {
  campaignId: string;
  name: string;
  state: CampaignState;
  stateReason?: string;
  targetVersion: string;
  /** `index` is 1-based for people (0 before the first wave opens); `total` is the number of waves. */
  wave: { index: number; total: number };
  eligible: number;
  admitted: number;
  counts: JobCounts;
  /** Jobs that will not run whose install document is not yet confirmed withdrawn (Campaign.withdrawalsOwed). */
  withdrawalsOwed: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Every campaign as a summary, newest first.
 *
 * @example
 * const summaries = await listCampaignSummaries(store);
 * // [{ campaignId: "c-…", name: "brakes", state: "RUNNING", targetVersion: "2.4.0",
 * //    wave: { index: 2, total: 4 }, counts: { SUCCEEDED: 40, … }, … }]
 */
export async function listCampaignSummaries(store: { readonly campaigns: Pick<CampaignStore["campaigns"], "list"> }): Promise<CampaignSummary[]> {
  const campaigns = await store.campaigns.list();
  return campaigns.reverse().map(campaignSummary);
}

/** One campaign record as its summary. */
export function campaignSummary(campaign: Campaign): CampaignSummary {
  return {
    campaignId: campaign.campaignId,
    name: campaign.name,
    state: campaign.state,
    ...(campaign.stateReason ? { stateReason: campaign.stateReason } : {}),
    targetVersion: campaign.definition.targetVersion,
    wave: { index: campaign.waveIndex + 1, total: campaign.definition.waves.length },
    eligible: campaign.eligible,
    admitted: campaign.admitted,
    counts: campaign.counts,
    withdrawalsOwed: campaign.withdrawalsOwed ?? 0,
    createdAt: campaign.createdAt,
    updatedAt: campaign.updatedAt,
  };
}

/**
 * A campaign's vehicle jobs, optionally only those in one state, ordered by VIN.
 *
 * @example
 * const failed = await listJobs(store, "c-20261126T173500-1a2b3c4d", "FAILED");
 */
export async function listJobs(store: Pick<CampaignStore, "jobs">, campaignId: string, state?: JobState): Promise<Job[]> {
  const jobs = await store.jobs.list(campaignId, state);
  return jobs.sort((a, b) => a.vin.localeCompare(b.vin));
}
