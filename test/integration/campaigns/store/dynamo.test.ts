/**
 * The DynamoDB campaign store on the emulator's state table (real SDK, the applied stack) against the
 * store contract the in-memory store of the unit tests is held to: same conditions, same errors.
 */
import { suite } from "uvu";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import type { CampaignStore } from "../../../../campaigns/store/index.js";
import { storeContract } from "../../../unit/campaigns/support/store-contract.js";
import { campaignWorld } from "../support/world.js";

const test = suite("dynamodb campaign store");
let cloud: LocalCloud;
let store: CampaignStore;

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  store = (await campaignWorld(cloud)).store;
});

test.after(async () => {
  await cloud?.stop();
});

storeContract(test, () => store);
test.run();
