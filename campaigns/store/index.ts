import type { CampaignRecords, CampaignStore } from "./campaign-store.js";
import { dynamoCampaignRecords, listCampaigns } from "./campaigns.js";
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
 * import { ENV, requireEnv } from "../../contracts/environment.js";
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

/** Reading the campaign list is all some functions do with the store. */
export type CampaignList = Pick<CampaignRecords, "list">;

/**
 * The campaign list alone, for the functions that only read it (rollout ticker, telemetry processor,
 * dashboard publisher): their bundles then hold no store write, and the least-privilege test keeps
 * their roles from holding one.
 *
 * @example
 * const campaigns = await dynamoCampaignList({ doc, table: "fleetota-dev-state" }).list();
 */
export function dynamoCampaignList(db: StateTable): CampaignList {
  return { list: () => listCampaigns(db) };
}
