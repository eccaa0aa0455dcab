import { QueryCommand } from "@aws-sdk/lib-dynamodb";
import type { JobState } from "../../campaigns/model.js";
import { listCampaignHistory, listCampaigns } from "../../campaigns/store/campaigns.js";
import { INDEX_NAME, jobStateIndexPk } from "../../campaigns/store/keys.js";
import type { StateTable } from "../../campaigns/store/table.js";
import { campaignPageDefaults, hasCampaignPage, SAMPLED_JOB_STATES, type CampaignPageInput } from "./campaign-page-view.js";

/**
 * Reads what each campaign page needs, for the campaigns that get a page now: the campaign, its
 * transitions, and at most `reasonSampleLimit` jobs per failure or deferral state (one Query page each,
 * only the fields the page counts), so a 100,000-vehicle campaign costs the same few reads as a small one.
 *
 * @example
 * const inputs = await campaignPageReader({ doc, table: "fleetota-dev-state" })(new Date());
 */
export function campaignPageReader(
  db: StateTable,
  options: { keepFinishedHours?: number; reasonSampleLimit?: number } = {},
): (now: Date) => Promise<CampaignPageInput[]> {
  const keepFinishedHours = options.keepFinishedHours ?? campaignPageDefaults.keepFinishedHours;
  const limit = options.reasonSampleLimit ?? campaignPageDefaults.reasonSampleLimit;
  return async function readCampaignPages(now) {
    const campaigns = (await listCampaigns(db)).filter((campaign) => hasCampaignPage(campaign, now, keepFinishedHours));
    return Promise.all(
      campaigns.map(async (campaign): Promise<CampaignPageInput> => {
        const sampledStates = SAMPLED_JOB_STATES.filter((state) => (campaign.counts[state] ?? 0) > 0);
        const [history, ...samples] = await Promise.all([
          listCampaignHistory(db, campaign.campaignId),
          ...sampledStates.map((state) => sampleJobs(db, campaign.campaignId, state, limit)),
        ]);
        return { campaign, history, jobSamples: samples.flat() };
      }),
    );
  };
}

async function sampleJobs(
  db: StateTable,
  campaignId: string,
  state: JobState,
  limit: number,
): Promise<CampaignPageInput["jobSamples"][number][]> {
  const response = await db.doc.send(
    new QueryCommand({
      TableName: db.table,
      IndexName: INDEX_NAME,
      KeyConditionExpression: "gsi1pk = :pk",
      ExpressionAttributeValues: { ":pk": jobStateIndexPk(campaignId, state) },
      ProjectionExpression: "#state, stateReason, nextRetryAt",
      ExpressionAttributeNames: { "#state": "state" },
      Limit: limit,
    }),
  );
  return (response.Items ?? []).map((item) => ({
    state,
    ...(typeof item.stateReason === "string" ? { stateReason: item.stateReason } : {}),
    ...(typeof item.nextRetryAt === "string" ? { nextRetryAt: item.nextRetryAt } : {}),
  }));
}
