/**
 * What one rollout tick reads of the state table for a CANCELED campaign that owes one withdrawal among N ended jobs
 * (default 10,000; FLEETOTA_BENCH_ENDED_JOBS), against the emulator's DynamoDB (real SDK, the applied stack): the jobs
 * are seeded with BatchWriteItem in the store's own item layout (jobItem), N - 1 CANCELED with their withdrawal
 * confirmed and one CANCELED still owing it. Counts read requests, items and bytes on the wire, and the read units AWS
 * would bill (per request: its items' bytes rounded up to 4 KB, half a unit eventually consistent, one strongly).
 *
 *   npm run bench -- withdrawals-owed
 */
import { BatchWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { WITHDRAWAL_SETTLE_MINUTES } from "../campaigns/job-documents.js";
import { newJob } from "../campaigns/job-machine.js";
import { parseCampaignDefinition, type Job } from "../campaigns/model.js";
import { jobItem } from "../campaigns/store/jobs.js";
import { CAMPAIGN_SK, campaignPk, WITHDRAWALS_OWED_ATTR } from "../campaigns/store/keys.js";
import { tickCampaign } from "../campaigns/update-service.js";
import { startLocalCloud } from "../local/cloud.js";
import { campaignWorld, updateServiceDeps, vinNumber } from "../test/integration/campaigns/support/world.js";
import { recordFigure } from "./results.js";

const ENDED = Number(process.env.FLEETOTA_BENCH_ENDED_JOBS ?? 10_000);
const at = new Date("2026-11-26T12:00:00.000Z");
const iso = (minutes: number) => new Date(at.getTime() + minutes * 60_000).toISOString();

const cloud = await startLocalCloud({ runtime: false, stateFile: false });
try {
  const world = await campaignWorld(cloud);
  const created = await world.store.campaigns.create(parseCampaignDefinition({ name: "mass cancel", targetVersion: "2.4.0" }), { now: iso(0) });
  const running = await world.store.campaigns.saveChange(created, { ...created, state: "RUNNING", waveIndex: 0, updatedAt: iso(0) }, { from: "DRAFT", to: "RUNNING", at: iso(0), reason: "started", cause: "bench" });
  await world.store.campaigns.saveChange(running, { ...running, state: "CANCELED", updatedAt: iso(1) }, { from: "RUNNING", to: "CANCELED", at: iso(1), reason: "canceled", cause: "bench" });

  const ended = (index: number): Job => {
    const vin = vinNumber(index);
    const { job, record } = newJob({ campaignId: created.campaignId, vin, wave: 0, targetVersion: "2.4.0", firmwareVersion: "2.3.1", hardware: "hu-3" }, { met: true }, at);
    const cancel = { from: "QUEUED", to: "CANCELED", at: iso(1), reason: "campaign canceled", cause: "ticker" };
    const owing = index === 0;
    return {
      ...job,
      state: "CANCELED",
      stateReason: cancel.reason,
      history: [record, cancel],
      documentKey: `jobs/${vin}.json`,
      documentPublishedAttempt: 1,
      withdrawalOwedAttempt: 1,
      ...(owing ? {} : { documentWithdrawnAttempt: 1 }),
      updatedAt: iso(1),
      revision: 2,
    };
  };
  const seedStarted = performance.now();
  for (let from = 0; from < ENDED; from += 25) {
    const items = Array.from({ length: Math.min(25, ENDED - from) }, (_, offset) => ({ PutRequest: { Item: jobItem(ended(from + offset)) } }));
    let unprocessed: Record<string, unknown>[] | undefined = items;
    while (unprocessed?.length) {
      const response = await world.doc.send(new BatchWriteCommand({ RequestItems: { [world.table]: unprocessed as never } }));
      unprocessed = response.UnprocessedItems?.[world.table] as Record<string, unknown>[] | undefined;
    }
  }
  await world.doc.send(
    new UpdateCommand({
      TableName: world.table,
      Key: { pk: campaignPk(created.campaignId), sk: CAMPAIGN_SK },
      UpdateExpression: "SET #owed = :one, #canceled = :ended",
      ExpressionAttributeNames: { "#owed": WITHDRAWALS_OWED_ATTR, "#canceled": "count_CANCELED" },
      ExpressionAttributeValues: { ":one": 1, ":ended": ENDED },
    }),
  );
  console.log(`seeded ${ENDED} CANCELED jobs (1 owing its withdrawal) in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s`);

  const reads = { requests: 0, items: 0, bytes: 0, units: 0 };
  world.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const output = await next(args);
      const name = (context.commandName ?? "").replace(/Command$/, "");
      if (!["Get", "GetItem", "Query"].includes(name)) return output;
      const input = args.input as { ConsistentRead?: boolean };
      const result = output.output as { Item?: unknown; Items?: unknown[] };
      const items = result.Items ?? (result.Item ? [result.Item] : []);
      const bytes = items.reduce<number>((sum, item) => sum + Buffer.byteLength(JSON.stringify(item)), 0);
      reads.requests++;
      reads.items += items.length;
      reads.bytes += bytes;
      reads.units += Math.max(1, Math.ceil(bytes / 4096)) * (input.ConsistentRead ? 1 : 0.5);
      return output;
    },
    { step: "initialize", name: "countReads" },
  );
  const deps = updateServiceDeps(world, () => new Date(at.getTime() + (2 + WITHDRAWAL_SETTLE_MINUTES) * 60_000));
  const tickStarted = performance.now();
  const summary = await tickCampaign(deps, created.campaignId);
  const ms = performance.now() - tickStarted;
  const owed = (await world.store.campaigns.get(created.campaignId))!.withdrawalsOwed;
  console.log(
    `one tick of a CANCELED campaign owing 1 withdrawal among ${ENDED} ended jobs: ${reads.requests} read requests, ${reads.items} items, ` +
      `${(reads.bytes / 1024).toFixed(0)} KB, ≈${reads.units.toFixed(1)} read units on AWS; ${ms.toFixed(0)} ms on the emulator; ` +
      `settled ${summary.withdrawalsSettled}, still owed ${owed}`,
  );
  recordFigure({ name: `DynamoDB read units of a tick owing 1 withdrawal among ${ENDED} ended jobs`, value: reads.units, unit: "RCU" });
} finally {
  await cloud.stop();
}
