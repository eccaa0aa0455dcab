import type { CampaignStore } from "./campaign-store.js";
import { dynamoCampaignRecords } from "./campaigns.js";
import { dynamoCommandRecords } from "./commands.js";
import { dynamoJobRecords } from "./jobs.js";
import type { StateTable } from "./table.js";
import { dynamoTargetRecords } from "./targets.js";

export type { AdmitOptions, CampaignRecords, CampaignStore, CommandRecords, CounterDelta, JobRecords, TargetRecords } from "./campaign-store.js";
export * from "./errors.js";
export type { StateTable } from "./table.js";

/**
 * The campaign store on the state table (ENV.STATE_TABLE; item layout in keys.ts). Make it once per
 * container and pass it in.
 *
 * @example
 * const store = dynamoCampaignStore({ doc, table: requireEnv(ENV.STATE_TABLE) });
 * const running = (await store.campaigns.list()).filter((campaign) => campaign.state === "RUNNING");
 */
export function dynamoCampaignStore(db: StateTable): CampaignStore {
  return {
    campaigns: dynamoCampaignRecords(db),
    jobs: dynamoJobRecords(db),
    targets: dynamoTargetRecords(db),
    commands: dynamoCommandRecords(db),
  };
}
export { memoryCampaignStore } from "./memory.js";
