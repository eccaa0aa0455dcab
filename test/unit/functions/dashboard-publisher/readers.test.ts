import { test } from "uvu";
import * as assert from "uvu/assert";
import { gzipSync } from "node:zlib";
import { Readable } from "node:stream";
import { DASHBOARD_DOCUMENT, QUEUE_ROLE } from "../../../../contracts/dashboard-documents.js";
import { METRIC } from "../../../../contracts/metrics.js";
import { publishDashboard } from "../../../../functions/dashboard-publisher/publish.js";
import { fleetReader } from "../../../../functions/dashboard-publisher/readers.js";
import { decodeFleetSnapshot, FLEET_SNAPSHOT_KEY, FLEET_STATE_PARTS_PREFIX } from "../../../../telemetry/fleet-state.js";
import { computeCheckDigit } from "../../../../telemetry/vin.js";
import type { Log } from "../../../../lib/logger.js";
import { metricAlarm, metricResults, queueReading } from "./support/factories.js";
import { fleetStateBucket } from "../../support/fleet-state-bucket.js";
import type { CampaignSummary } from "../../../../campaigns/read-model.js";
import { emptyJobCounts } from "../../../../campaigns/model.js";
import { shapeCampaigns } from "../../../../functions/dashboard-publisher/campaign-view.js";
import { shapeFleet } from "../../../../functions/dashboard-publisher/fleet-view.js";
import { toCampaignSummaryInput, toFleetVehicleInput } from "../../../../functions/dashboard-publisher/readers.js";
import type { FleetVehicle } from "../../../../telemetry/aggregate.js";

const now = new Date("2026-11-26T18:00:00.000Z");

function fleetVehicle(overrides: Partial<FleetVehicle> = {}): FleetVehicle {
  return {
    vin: "1HGCM82633A004352",
    make: "Honda",
    model: "Accord",
    modelYear: 2003,
    hardwareId: "ecu-a",
    region: "us-east",
    lat: 42.33,
    lon: -83.05,
    speedKph: 0,
    stateOfCharge: 12,
    charging: false,
    connectivity: "weak",
    firmwareVersion: "2.3.0",
    parked: true,
    lastSeen: "2026-11-26T17:59:00.000Z",
    ...overrides,
  };
}

function campaign(overrides: Partial<CampaignSummary> = {}): CampaignSummary {
  return {
    campaignId: "c-20261126T173500-1a2b3c4d",
    name: "brakes",
    state: "RUNNING",
    targetVersion: "2.4.0",
    wave: { index: 2, total: 4 },
    eligible: 100,
    admitted: 50,
    counts: { ...emptyJobCounts(), SUCCEEDED: 30, IN_PROGRESS: 15, FAILED: 5 },
    withdrawalsOwed: 0,
    createdAt: "2026-11-26T17:35:00.000Z",
    updatedAt: "2026-11-26T17:55:00.000Z",
    ...overrides,
  };
}

test("a fleet-state vehicle keeps its position, charge, link and last-seen time", () => {
  const doc = shapeFleet({ vehicles: [toFleetVehicleInput(fleetVehicle())] }, now);

  assert.equal(doc.totals, { vehicles: 1, online: 1, offline: 0, weakSignal: 1, parked: 1, silent: 0 });
  assert.equal(doc.firmware, [{ label: "2.3.0", vehicles: 1 }]);
  assert.equal(doc.attention.map((entry) => entry.reason), ["low battery"]);
  assert.equal(doc.positions.cells.map(([lat, lon]) => [lat, lon]), [[42.33, -83.05]]);
});

test("a read-model campaign targets its eligible vehicles, its zero counts dropped", () => {
  const [view] = shapeCampaigns([toCampaignSummaryInput(campaign({ state: "PAUSED", stateReason: "FAILED 12% ≥ 10% of 50" }))], now).campaigns;

  assert.is(view?.targeted, 100);
  assert.equal(view?.wave, { current: 2, total: 4 });
  assert.is(view?.firmwareVersion, "2.4.0");
  assert.equal(view?.jobs.map((job) => job.state), ["IN_PROGRESS", "SUCCEEDED", "FAILED"]);
  assert.is(view?.percentComplete, 35);
  assert.is(view?.stateReason, "FAILED 12% ≥ 10% of 50");
});

function recordingLog() {
  const lines: Array<{ level: string; message: string; extra: unknown[] }> = [];
  const at = (level: string) => (message: string, ...extra: unknown[]) => void lines.push({ level, message, extra });
  return { lines, log: { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") } satisfies Log };
}

test("a fleet state over maxVehicles: the publisher keeps the vehicles' own entries, logs an error, counts the dropped ones, and publishes every document", async () => {
  // prepare: the snapshot holds 3 real vehicles (their own uploads) and a gateway's 12 invented VINs; the cap is 10
  const invented = Array.from({ length: 12 }, (_, index) => {
    const body = `1HGCM826_3${String(index).padStart(7, "0")}`;
    return fleetVehicle({ vin: body.replace("_", computeCheckDigit(body)), lastSeen: `2026-11-26T17:59:${String(10 + index)}.000Z`, source: "gateway" });
  });
  const real = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "5YJ3E1EA7KF317000"].map((vin) => fleetVehicle({ vin, lastSeen: "2026-11-20T08:00:00.000Z", source: "vehicle" }));
  const objects = new Map([[FLEET_SNAPSHOT_KEY, gzipSync(JSON.stringify({ generatedAt: "2026-11-26T17:59:30.000Z", vehicles: [...invented, ...real] }))]]);
  objects.set(`${FLEET_STATE_PARTS_PREFIX}20261126T175930000Z-a.json.gz`, gzipSync(JSON.stringify({ generatedAt: "2026-11-26T17:59:30.000Z", vehicles: invented.slice(10) })));
  const { lines, log } = recordingLog();
  const metricLines: string[] = [];
  const readFleet = fleetReader(fleetStateBucket(objects).s3, "lake", { log, namespace: "FleetOTA", policy: { maxVehicles: 10 }, now: () => now.getTime(), metricsOut: (line) => metricLines.push(line) });
  const written = new Map<string, string>();
  // act
  const report = await publishDashboard({
    sources: {
      fleet: readFleet,
      metrics: async () => metricResults(now, 30),
      campaigns: async () => [],
      alarms: async () => ({ metricAlarms: [metricAlarm({ StateValue: "OK" })], compositeAlarms: [] }),
      queues: async () => [queueReading(QUEUE_ROLE.Telemetry, 0)],
      campaignPages: async () => [],
      needsAHand: async () => ({ parked: { failures: [] }, deadLetters: [], alarmHistory: undefined }),
      expiry: async () => [],
      targetsCheck: async () => null,
    },
    writer: { write: async (name, body) => void written.set(name, body), read: async (name) => written.get(name) },
    now,
    log,
    options: { namespace: "FleetOTA" },
  });
  // assess
  assert.equal(report.failed, []);
  assert.equal([...written.keys()].sort(), Object.values(DASHBOARD_DOCUMENT).sort());
  assert.is(JSON.parse(written.get(DASHBOARD_DOCUMENT.Fleet)!).totals.vehicles, 10);
  const compacted = await decodeFleetSnapshot(Readable.from([objects.get(FLEET_SNAPSHOT_KEY)!]));
  assert.is(compacted.vehicles.length, 10, "the compacted snapshot stops growing");
  for (const vehicle of real) assert.ok(compacted.vehicles.some((kept) => kept.vin === vehicle.vin), `${vehicle.vin} (its own upload, a week old) is kept`);
  const error = lines.find((line) => line.level === "error");
  assert.match(error?.message ?? "", /fleet state full/);
  assert.equal(error?.extra[0], { dropped: 5, newRefused: 0, knownEvicted: 5, kept: 10, maxVehicles: 10, remedy: (error?.extra[0] as { remedy: string }).remedy });
  const emf = metricLines.map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.ok(emf.some((document) => document[METRIC.FleetStateEntriesDropped] === 5 && document.Reason === "over-cap"), metricLines.join("\n"));
});

test("R8-C: the publisher keeps the cars an honest gateway carries through another gateway's flood, run after run, and counts the refused VINs", async () => {
  // prepare: the snapshot holds 3 cars behind gateway A (parked 2 h) and one vehicle's own upload; gateway B floods new VINs; the cap is 8
  const vinAt = (index: number) => {
    const body = `5YJ3E1EA_3${String(index).padStart(7, "0")}`;
    return body.replace("_", computeCheckDigit(body));
  };
  const carried = [0, 1, 2].map((index) => fleetVehicle({ vin: vinAt(index), lastSeen: "2026-11-26T16:00:00.000Z", source: "gateway" }));
  const own = fleetVehicle({ lastSeen: "2026-11-06T18:00:00.000Z", source: "vehicle" });
  const objects = new Map([[FLEET_SNAPSHOT_KEY, gzipSync(JSON.stringify({ generatedAt: "2026-11-26T17:50:00.000Z", vehicles: [...carried, own] }))]]);
  const floodPart = (name: string, from: number) => {
    const vehicles = Array.from({ length: 5 }, (_, index) => fleetVehicle({ vin: vinAt(from + index), lastSeen: "2026-11-26T18:04:00.000Z", source: "gateway" }));
    objects.set(`${FLEET_STATE_PARTS_PREFIX}20261126T175930000Z-${name}.json.gz`, gzipSync(JSON.stringify({ generatedAt: "2026-11-26T17:59:30.000Z", vehicles })));
  };
  const { lines, log } = recordingLog();
  const readFleet = fleetReader(fleetStateBucket(objects).s3, "lake", { log, namespace: "FleetOTA", policy: { maxVehicles: 8 }, now: () => now.getTime(), metricsOut: () => {} });
  const snapshotVins = async () => (await decodeFleetSnapshot(Readable.from([objects.get(FLEET_SNAPSHOT_KEY)!]))).vehicles.map((vehicle) => vehicle.vin);
  // act: two runs, each over a flood of 10 new VINs
  floodPart("a", 100);
  floodPart("b", 105);
  const first = [...(await readFleet()).vehicles];
  const afterFirst = await snapshotVins();
  floodPart("c", 200);
  floodPart("d", 205);
  const second = [...(await readFleet()).vehicles];
  // assess
  assert.is(first.length, 8);
  const afterSecond = await snapshotVins();
  for (const vin of [...carried, own].map((vehicle) => vehicle.vin)) assert.ok(afterFirst.includes(vin) && afterSecond.includes(vin), `${vin} kept in both runs`);
  assert.equal(afterSecond, afterFirst, "the second flood found no room and evicted nobody");
  assert.is(second.length, 8);
  assert.equal([...objects.keys()], [FLEET_SNAPSHOT_KEY], "the parts are compacted away");
  const errors = lines.filter((line) => line.level === "error").map((line) => line.extra[0] as { dropped: number; newRefused: number; knownEvicted: number });
  assert.equal(errors.map(({ dropped, newRefused, knownEvicted }) => [dropped, newRefused, knownEvicted]), [[6, 6, 0], [10, 10, 0]], "the refused new VINs are counted each run, no known car evicted");
});

test.run();
