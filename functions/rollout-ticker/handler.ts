import { documentClient, sqsClient } from "../../lib/aws-clients.js";
import { dynamoCampaignList, type CampaignList } from "../../campaigns/store/index.js";
import { ENV, requireEnv } from "../../contracts/environment.js";
import { createLogger } from "../../lib/logger.js";
import { campaignsToTick, sendTicks, tickMessage } from "./tick-messages.js";

/**
 * Rollout ticker (EventBridge schedule, every minute): queues one `tick` command per campaign with work to
 * do; the update manager runs the tick (waves, timeouts, retries, thresholds, completion), so every
 * campaign and job write stays in one consumer.
 */
const logger = createLogger("rollout-ticker");
const doc = documentClient();
const sqs = sqsClient();
let campaigns: CampaignList | undefined;

export const handler = async (): Promise<{ ticked: string[] }> => {
  const now = new Date();
  campaigns ??= dynamoCampaignList({ doc, table: requireEnv(ENV.STATE_TABLE) });
  const due = campaignsToTick(await campaigns.list(), now);
  await sendTicks(sqs, requireEnv(ENV.COMMAND_QUEUE_URL), due.map((campaign) => tickMessage(campaign.campaignId, now)));
  const ticked = due.map((campaign) => campaign.campaignId);
  logger.info("ticks queued", { campaigns: ticked.length, ticked });
  return { ticked };
};
