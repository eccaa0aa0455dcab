/**
 * The DynamoDB campaign store on the emulator's state table (real SDK, the applied stack) against the
 * store contract the in-memory store of the unit tests is held to: same conditions, same errors.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { newJob } from "../../../../campaigns/job-machine.js";
import { parseCampaignDefinition } from "../../../../campaigns/model.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import type { CampaignStore } from "../../../../campaigns/store/index.js";
import { campaignPk, jobSk, OWED_INDEX } from "../../../../campaigns/store/keys.js";
import { storeContract } from "../../../unit/campaigns/support/store-contract.js";
import { campaignWorld, snapshot, vinNumber, type CampaignWorld } from "../support/world.js";

const test = suite("dynamodb campaign store");
let cloud: LocalCloud;
let store: CampaignStore;
let world: CampaignWorld;

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  store = world.store;
});

test.after(async () => {
  await cloud?.stop();
});

storeContract(test, () => store);

test("the owed index is sparse: a job item carries its keys only while the job owes its withdrawal", async () => {
  const at = "2026-11-26T12:00:00.000Z";
  const created = await store.campaigns.create(parseCampaignDefinition({ name: "sparse", targetVersion: "2.4.0" }), { now: at });
  const campaign = await store.campaigns.saveChange(created, { ...created, state: "RUNNING", waveIndex: 0, updatedAt: at }, { from: "DRAFT", to: "RUNNING", at, reason: "started", cause: "test" });
  const vin = vinNumber(7000);
  const { job } = newJob({ campaignId: campaign.campaignId, vin, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, new Date(at));
  await store.jobs.admit(job, { capacity: 5, firstSighting: snapshot(vin) });
  const item = async () => (await world.doc.send(new GetCommand({ TableName: world.table, Key: { pk: campaignPk(campaign.campaignId), sk: jobSk(vin) } }))).Item!;
  assert.equal([(await item())[OWED_INDEX.partitionKey], (await item())[OWED_INDEX.sortKey]], [undefined, undefined], "a queued job is off the index");
  const canceled = await store.jobs.saveTransition(job, { ...job, state: "CANCELED", withdrawalOwedAttempt: 1, updatedAt: at });
  assert.equal([(await item())[OWED_INDEX.partitionKey], (await item())[OWED_INDEX.sortKey]], [`OWED#${campaign.campaignId}`, vin]);
  await store.jobs.saveFields(canceled, { ...canceled, documentWithdrawnAttempt: 1, updatedAt: at });
  assert.equal([(await item())[OWED_INDEX.partitionKey], (await item())[OWED_INDEX.sortKey]], [undefined, undefined], "confirmed: off the index again");
});

test.run();
