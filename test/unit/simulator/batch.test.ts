import { gunzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readTelemetryObject } from "../../../telemetry/core.js";
import { CorruptObjectError } from "../../../telemetry/decode.js";
import { parseTelemetryKey, UPLOADER_KIND } from "../../../contracts/telemetry-keys.js";
import { batchObjectKey, generateBatch, type BatchContext } from "../../../simulator/batch.js";
import type { FaultOptions } from "../../../simulator/faults.js";
import { createFleet } from "../../../simulator/fleet.js";
import { SeededRandom } from "../../../simulator/random.js";
import { countObject, type SimulationSummary } from "../../../simulator/simulation.js";

const START_MS = Date.UTC(2026, 10, 26, 16, 0);
const STEP_MS = 60_000;

function batchContext(options: { vehicles: number; seed?: number; batchSize?: number; faults?: FaultOptions }): BatchContext {
  return {
    fleet: createFleet({ vehicles: options.vehicles, seed: options.seed ?? 5, startMs: START_MS, clockSkewRate: options.faults?.clockSkewRate }),
    buffers: new Map(),
    random: new SeededRandom(options.seed ?? 5),
    runId: "test",
    objectSequence: { next: 0 },
    batchSize: options.batchSize ?? 100,
    faults: options.faults,
  };
}

function emptySummary(): SimulationSummary {
  return {
    vehicles: 0, batches: 0, objects: 0, uploads: 0, duplicateUploads: 0, corruptObjects: 0, records: 0, valid: 0, malformed: 0,
    malformedByKind: {}, clockSkewed: 0, recordsInCorruptObjects: 0, otaReports: 0, stillBuffered: 0, droppedFromBuffers: 0,
  };
}

test("object keys are partitioned by UTC date and hour, sortable and unique; a vehicle's own object names its VIN", () => {
  const key = batchObjectKey(Date.UTC(2026, 10, 26, 7, 5, 9, 12), "run1", 42);
  assert.is(key, "telemetry/fleet/gw-simulator/dt=2026-11-26/hour=07/20261126T070509012Z-run1-000042.ndjson.gz");
  const own = batchObjectKey(Date.UTC(2026, 10, 26, 7, 5, 9, 12), "run1", 43, "1HGCM82633A004352");
  assert.is(own, "telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=07/20261126T070509012Z-run1-000043.ndjson.gz");
  assert.is(parseTelemetryKey(own).kind === UPLOADER_KIND.Vehicle && parseTelemetryKey(own).name, "run1-000043");
  const gateways = batchObjectKey(Date.UTC(2026, 10, 26, 7, 5, 9, 12), "run1", 44, undefined, "gw-sim-1");
  assert.is(gateways, "telemetry/fleet/gw-sim-1/dt=2026-11-26/hour=07/20261126T070509012Z-run1-000044.ndjson.gz");
  assert.throws(() => batchObjectKey(START_MS, "r", 0, undefined, "1HGCM82633A004352"), /gateway id/);
  const keys = [batchObjectKey(START_MS, "r", 2), batchObjectKey(START_MS + 1, "r", 1), batchObjectKey(START_MS + 3_600_000, "r", 0)];
  assert.equal([...keys].sort(), keys);
});

test("objects hold at most batchSize records, each one line of gzip NDJSON", () => {
  const context = batchContext({ vehicles: 250, batchSize: 100 });
  const batch = generateBatch(context, START_MS + STEP_MS);
  assert.ok(batch.objects.every((object) => object.records <= 100));
  for (const object of batch.objects) {
    const lines = gunzipSync(object.body).toString("utf8").trimEnd().split("\n");
    assert.is(lines.length, object.records);
    assert.ok(object.key.startsWith("telemetry/fleet/gw-simulator/dt=2026-11-26/hour=16/"));
  }
});

test("the same seed produces the same bytes", () => {
  const first = generateBatch(batchContext({ vehicles: 50, seed: 8 }), START_MS + STEP_MS);
  const second = generateBatch(batchContext({ vehicles: 50, seed: 8 }), START_MS + STEP_MS);
  assert.equal(first.objects.map((object) => object.body.toString("base64")), second.objects.map((object) => object.body.toString("base64")));
});

test("records produced = uploaded + still buffered: offline vehicles flush later, oldest first", () => {
  const context = batchContext({ vehicles: 300 });
  let uploaded = 0;
  let flushedLate = 0;
  const intervals = 240;
  for (let step = 1; step <= intervals; step++) {
    const atMs = START_MS + step * STEP_MS;
    const batch = generateBatch(context, atMs);
    for (const object of batch.objects) {
      uploaded += object.records;
      for (const line of gunzipSync(object.body).toString("utf8").trimEnd().split("\n")) {
        if (Date.parse((JSON.parse(line) as { ts: string }).ts) < atMs) flushedLate++;
      }
    }
  }
  const buffered = [...context.buffers.values()].reduce((total, lines) => total + lines.length, 0);
  assert.is(uploaded + buffered, 300 * intervals);
  assert.ok(flushedLate > 0, "no offline vehicle ever came back with buffered records");
});

test("a vehicle with an OTA report uploads its lines in its own object; fleet objects carry no report", () => {
  const context = batchContext({ vehicles: 60, batchSize: 25 });
  const reporting = context.fleet.vehicles.slice(0, 7).map((vehicle) => vehicle.vin);
  context.otaReports = new Map(reporting.map((vin, index) => [vin, { jobId: `c-1:${vin}`, campaignId: "c-1", attempt: 1, sequence: index + 1, status: "DOWNLOADING" as const, targetVersion: "2.4.1" }]));
  const batch = generateBatch(context, START_MS + STEP_MS);
  const own = new Map<string, string[]>();
  let fleetRecords = 0;
  for (const object of batch.objects) {
    const key = parseTelemetryKey(object.key);
    const records = gunzipSync(object.body).toString("utf8").trimEnd().split("\n").map((line) => JSON.parse(line) as { vin: string; ota?: unknown });
    if (key.kind === UPLOADER_KIND.Vehicle) own.set(key.vin, records.map((record) => record.vin));
    else {
      fleetRecords += records.length;
      assert.ok(records.every((record) => record.ota === undefined), "a fleet object carries a status report");
      assert.is(object.otaReports, 0);
    }
  }
  const online = reporting.filter((vin) => context.fleet.vehicles.find((vehicle) => vehicle.vin === vin)!.online);
  assert.equal([...own.keys()].sort(), online.sort());
  assert.ok([...own].every(([vin, vins]) => vins.every((recordVin) => recordVin === vin)), "a vehicle object holds another VIN's record");
  assert.ok(fleetRecords > 0);
});

test("injected faults are counted exactly as the processor core rejects them", async () => {
  const nowMs = START_MS + 30 * STEP_MS;
  const context = batchContext({ vehicles: 400, faults: { malformedRate: 0.1, corruptRate: 0.1, duplicateRate: 0.2, clockSkewRate: 0.05 } });
  const summary = emptySummary();
  let accepted = 0;
  let rejected = 0;
  let corrupt = 0;
  for (let step = 1; step <= 30; step++) {
    for (const object of generateBatch(context, START_MS + step * STEP_MS).objects) {
      countObject(summary, object);
      try {
        const readout = await readTelemetryObject([object.body], nowMs);
        accepted += readout.accepted;
        rejected += readout.rejected.length;
      } catch (error) {
        assert.instance(error, CorruptObjectError);
        corrupt++;
      }
    }
  }
  assert.ok(summary.malformed > 0 && summary.corruptObjects > 0 && summary.clockSkewed > 0 && summary.duplicateUploads > 0);
  assert.is(Object.keys(summary.malformedByKind).length, 6, "every malformed kind was injected");
  assert.is(accepted, summary.valid);
  assert.is(rejected, summary.malformed + summary.clockSkewed);
  assert.is(corrupt, summary.corruptObjects);
  assert.is(summary.records, summary.valid + summary.malformed + summary.clockSkewed + summary.recordsInCorruptObjects);
});

test.run();
