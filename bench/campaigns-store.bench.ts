/**
 * A whole campaign through the update service against the emulator's DynamoDB, S3 and SSM (real SDK,
 * in-process, one message at a time: moto's threaded server neither isolates concurrent DynamoDB
 * transactions nor survives many of them at once — it answers HTTP 500 pages): N vehicles (default 100; set
 * FLEETOTA_BENCH_VEHICLES=10000 for the size) from start to COMPLETED over two waves, each vehicle
 * reporting DOWNLOADING, INSTALLING, VERIFYING, SUCCEEDED. Reports wall time, vehicles per second, and
 * DynamoDB write items per vehicle counted on the wire (a transaction counts each of its items; AWS bills
 * transactional items at twice the write units), with the same counts computed as a baseline from a
 * single-vehicle campaign in this run, so the ratio shows whether per-vehicle writes grow with the fleet.
 *
 *   npm run bench -- campaigns-store
 */
import { parseCampaignDefinition } from "../campaigns/model.js";
import { s3JobDocumentChannel } from "../campaigns/document-channel.js";
import { ActiveCampaigns, handleUpdateMessage, tickCampaign, type UpdateServiceDeps } from "../campaigns/update-service.js";
import { UpdateTally } from "../campaigns/update-tally.js";
import { silentLog } from "../lib/logger.js";
import type { UpdateMessage } from "../contracts/update-messages.js";
import { startLocalCloud } from "../local/cloud.js";
import { campaignWorld, candidate, command, registerCandidates, releaseFirmware, report, snapshot, vinNumber } from "../test/integration/campaigns/support/world.js";
import { recordFigure } from "./results.js";

const VEHICLES = Number(process.env.FLEETOTA_BENCH_VEHICLES ?? 100);
const IN_FLIGHT = Number(process.env.FLEETOTA_BENCH_IN_FLIGHT ?? 1);

const cloud = await startLocalCloud({ runtime: false, stateFile: false });
try {
  const world = await campaignWorld(cloud);
  const writes = { calls: 0, items: 0, transactionalItems: 0, reads: 0 };
  world.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { TransactItems?: unknown[] };
      const name = (context.commandName ?? "").replace(/Command$/, "");
      if (name === "TransactWrite" || name === "TransactWriteItems") {
        writes.calls++;
        writes.items += input.TransactItems?.length ?? 0;
        writes.transactionalItems += input.TransactItems?.length ?? 0;
      } else if (["Put", "PutItem", "Update", "UpdateItem", "Delete", "DeleteItem"].includes(name)) {
        writes.calls++;
        writes.items++;
      } else if (["Get", "GetItem", "Query"].includes(name)) {
        writes.reads++;
      }
      return next(args);
    },
    { step: "initialize", name: "countWrites" },
  );
  const deps: UpdateServiceDeps = {
    store: world.store,
    documents: s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog }),
    tally: new UpdateTally(),
    registry: world.registry,
    log: silentLog,
    now: () => new Date(),
  };

  async function deliverAll(messages: UpdateMessage[]): Promise<void> {
    let next = 0;
    const active = new ActiveCampaigns(deps.store);
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < messages.length) await handleUpdateMessage(deps, messages[next++]!, active);
      }),
    );
  }

  async function reportLifecycle(campaignId: string, vins: string[], version: string): Promise<void> {
    const statuses = ["DOWNLOADING", "INSTALLING", "VERIFYING", "SUCCEEDED"];
    for (const [sequence, status] of statuses.entries()) {
      await deliverAll(vins.map((vin) => report(campaignId, vin, sequence, status, status === "SUCCEEDED" ? version : "2.3.1")));
    }
  }

  async function runCampaign(vehicles: number, firstVin: number, model: string, version: string) {
    await releaseFirmware(world, version);
    const campaign = await world.store.campaigns.create(parseCampaignDefinition({
        name: model,
        targetVersion: version,
        selector: { models: [model] },
        waves: [{ percent: 10, soakMinutes: 0, successThresholdPercent: 90 }, { percent: 100 }],
      }),
      { now: new Date().toISOString() },
    );
    const fleet = Array.from({ length: vehicles }, (_, index) => vinNumber(firstVin + index));
    // Registered before the clock starts, as a real fleet is; the update service's registry reads are measured.
    await registerCandidates(world, fleet.map((vin) => candidate(snapshot(vin, { model }))));
    const before = { ...writes };
    const started = performance.now();
    await deliverAll([command(campaign.campaignId, "start")]);
    await deliverAll(fleet.map((vin) => candidate(snapshot(vin, { model }))));
    const firstWave = (await world.store.jobs.list(campaign.campaignId)).map((job) => job.vin);
    // A minute later the waiting vehicles are seen again (what happens every minute while a wave soaks);
    // measured apart and left out of the campaign's totals.
    const admittedFirst = new Set(firstWave);
    const waiting = fleet.filter((vin) => !admittedFirst.has(vin));
    const beforeResighting = { ...writes };
    await deliverAll(waiting.map((vin) => candidate(snapshot(vin, { model }))));
    const resighting = {
      writes: (writes.calls - beforeResighting.calls) / Math.max(1, waiting.length),
      reads: (writes.reads - beforeResighting.reads) / Math.max(1, waiting.length),
    };
    for (const key of ["calls", "items", "transactionalItems", "reads"] as const) before[key] += writes[key] - beforeResighting[key];
    await reportLifecycle(campaign.campaignId, firstWave, version);
    await tickCampaign(deps, campaign.campaignId);
    const rest = (await world.store.jobs.list(campaign.campaignId, "QUEUED")).map((job) => job.vin);
    await reportLifecycle(campaign.campaignId, rest, version);
    const summary = await tickCampaign(deps, campaign.campaignId);
    const ms = performance.now() - started;
    const final = (await world.store.campaigns.get(campaign.campaignId))!;
    return {
      state: summary.state,
      succeeded: final.counts.SUCCEEDED,
      jobsStored: (await world.store.jobs.list(campaign.campaignId, "SUCCEEDED")).length,
      ms,
      itemsPerVehicle: (writes.items - before.items) / vehicles,
      callsPerVehicle: (writes.calls - before.calls) / vehicles,
      wcuPerVehicle: (writes.items - before.items + (writes.transactionalItems - before.transactionalItems)) / vehicles,
      resighting,
    };
  }

  const single = await runCampaign(1, 900_000, "Bench-1", "5.0.1");
  const fleet = await runCampaign(VEHICLES, 0, "Bench-N", "5.0.2");
  console.log(`one vehicle (baseline): ${single.state}, ${single.itemsPerVehicle.toFixed(1)} write items in ${single.callsPerVehicle.toFixed(1)} calls`);
  console.log(
    `${VEHICLES} vehicles: ${fleet.state} in ${(fleet.ms / 1000).toFixed(1)} s (${((VEHICLES / fleet.ms) * 1000).toFixed(1)} vehicles/s), ` +
      `${fleet.succeeded} SUCCEEDED by the campaign counter, ${fleet.jobsStored} SUCCEEDED jobs stored`,
  );
  console.log(
    `writes per vehicle: ${fleet.itemsPerVehicle.toFixed(2)} items in ${fleet.callsPerVehicle.toFixed(2)} calls, ` +
      `≈${fleet.wcuPerVehicle.toFixed(1)} WCU on AWS (${(fleet.itemsPerVehicle / single.itemsPerVehicle).toFixed(2)}× the one-vehicle baseline)`,
  );
  recordFigure({ name: `campaign of ${VEHICLES} vehicles through the update service`, value: (VEHICLES / fleet.ms) * 1000, unit: "vehicles/s" });
  recordFigure({ name: "DynamoDB write items per vehicle vs a one-vehicle campaign", value: fleet.itemsPerVehicle / single.itemsPerVehicle, unit: "ratio" });
  recordFigure({ name: "DynamoDB write units per vehicle update", value: fleet.wcuPerVehicle, unit: "WCU" });
  console.log(
    `a waiting vehicle seen again: ${fleet.resighting.writes.toFixed(2)} write calls and ${fleet.resighting.reads.toFixed(2)} reads ` +
      `(campaign list included, once per delivery batch of the bench)`,
  );
} finally {
  await cloud.stop();
}
