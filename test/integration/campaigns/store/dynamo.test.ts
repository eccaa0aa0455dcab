/**
 * The DynamoDB campaign store on the emulator's state table (real SDK, the applied stack) against the
 * store contract the in-memory store of the unit tests is held to: same conditions, same errors.
 */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { GetCommand, type TransactWriteCommandInput } from "@aws-sdk/lib-dynamodb";
import { newJob } from "../../../../campaigns/job-machine.js";
import { parseCampaignDefinition, type Job } from "../../../../campaigns/model.js";
import { startLocalCloud, type LocalCloud } from "../../../../local/cloud.js";
import { StaleCampaignError, type CampaignStore } from "../../../../campaigns/store/index.js";
import { CAMPAIGN_SK, campaignPk, jobSk, OWED_INDEX } from "../../../../campaigns/store/keys.js";
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

test("a job write kept for an unended campaign is the one TransactWriteItems it always was (job Put, campaign Update carrying the state condition, no ConditionCheck part); refused once the campaign ended, it leaves both items as they were", async () => {
  const at = "2026-11-26T12:00:00.000Z";
  const created = await store.campaigns.create(parseCampaignDefinition({ name: "unended", targetVersion: "2.4.0" }), { now: at });
  const campaign = await store.campaigns.saveChange(created, { ...created, state: "RUNNING", waveIndex: 0, updatedAt: at }, { from: "DRAFT", to: "RUNNING", at, reason: "started", cause: "test" });
  const [one, two] = [vinNumber(7100), vinNumber(7101)].map(
    (vin) => newJob({ campaignId: campaign.campaignId, vin, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, new Date(at)).job,
  ) as [Job, Job];
  for (const job of [one, two]) await store.jobs.admit(job, { capacity: 5, firstSighting: snapshot(job.vin) });
  const sent: Array<{ command: string; input: TransactWriteCommandInput }> = [];
  world.doc.middlewareStack.add(
    (next, context) => async (args) => {
      sent.push({ command: context.commandName ?? "", input: args.input as TransactWriteCommandInput });
      return next(args);
    },
    { step: "initialize", name: "recordUnendedWrites" },
  );
  try {
    await store.jobs.saveTransition(one, { ...one, state: "FAILED", nextRetryAt: at, updatedAt: at }, { outcomes: { failed: 1 }, whileNotEnded: true });
    const parts = sent.map(({ command, input }) => [command, (input.TransactItems ?? []).map((item) => Object.keys(item)[0])]);
    assert.equal(parts, [["TransactWriteItemsCommand", ["Put", "Update"]]], "one request, the two parts of any job transition");
    assert.match(sent[0]!.input.TransactItems![1]!.Update!.ConditionExpression ?? "", /#state IN \(/);
    const fresh = (await store.campaigns.get(campaign.campaignId))!;
    await store.campaigns.saveChange(fresh, { ...fresh, state: "CANCELED", finishedAt: at, updatedAt: at }, { from: "RUNNING", to: "CANCELED", at, reason: "canceled", cause: "test" });
    const rawJob = async () => (await world.doc.send(new GetCommand({ TableName: world.table, Key: { pk: campaignPk(campaign.campaignId), sk: jobSk(two.vin) }, ConsistentRead: true }))).Item;
    const rawCampaign = async () => (await world.doc.send(new GetCommand({ TableName: world.table, Key: { pk: campaignPk(campaign.campaignId), sk: CAMPAIGN_SK }, ConsistentRead: true }))).Item;
    const [jobBefore, campaignBefore] = [await rawJob(), await rawCampaign()];
    sent.length = 0;
    await store.jobs
      .saveTransition(two, { ...two, state: "TIMED_OUT", inProgressSince: at, nextRetryAt: at, timedOutAttempt: 1, updatedAt: at }, { outcomes: { timedOut: 1 }, whileNotEnded: true })
      .then(() => assert.unreachable(), (error: unknown) => assert.instance(error, StaleCampaignError));
    assert.equal(sent.map(({ command }) => command), ["TransactWriteItemsCommand"], "refused by the transaction itself, no read first");
    assert.equal([await rawJob(), await rawCampaign()], [jobBefore, campaignBefore], "both items as they were");
  } finally {
    world.doc.middlewareStack.remove("recordUnendedWrites");
  }
});

test.run();
