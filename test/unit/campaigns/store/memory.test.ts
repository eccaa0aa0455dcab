/** The in-memory campaign store holds to the store contract the DynamoDB store is held to on the emulator. */
import { suite } from "uvu";
import { memoryCampaignStore } from "../../../../campaigns/store/index.js";
import { storeContract } from "../support/store-contract.js";

const test = suite("memory campaign store");
const store = memoryCampaignStore();
storeContract(test, () => store);
test.run();
