/**
 * Simulator throughput for a 100,000-vehicle fleet: records generated per second including
 * serialization and gzip, against a baseline measured in the same run: gzip alone of the same NDJSON
 * bytes. "gzip share" near 1 means generation cost is dominated by compression.
 *
 *   npm run bench -- telemetry-simulator
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { generateBatch, type BatchContext } from "../simulator/batch.js";
import { createFleet } from "../simulator/fleet.js";
import { SeededRandom } from "../simulator/random.js";
import { recordFigure } from "./results.js";

const VEHICLES = 100_000;
const INTERVALS = 4;
const INTERVAL_MS = 60_000;
const BATCH_SIZE = 1_000;

function main(): void {
  const startMs = Date.now() - (INTERVALS + 1) * INTERVAL_MS;
  const created = performance.now();
  const fleet = createFleet({ vehicles: VEHICLES, seed: 42, startMs });
  const creationMs = performance.now() - created;
  const context: BatchContext = { fleet, buffers: new Map(), random: new SeededRandom(7), runId: "bench", objectSequence: { next: 0 }, batchSize: BATCH_SIZE };
  const generationMs: number[] = [];
  const gzipOnlyMs: number[] = [];
  let records = 0;
  let gzippedBytes = 0;
  for (let interval = 1; interval <= INTERVALS; interval++) {
    const started = performance.now();
    const batch = generateBatch(context, startMs + interval * INTERVAL_MS);
    generationMs.push(performance.now() - started);
    const texts = batch.objects.map((object) => gunzipSync(object.body));
    const gzipStarted = performance.now();
    for (const text of texts) gzipSync(text);
    gzipOnlyMs.push(performance.now() - gzipStarted);
    records += batch.objects.reduce((total, object) => total + object.records, 0);
    gzippedBytes += batch.objects.reduce((total, object) => total + object.body.length, 0);
  }
  const totalMs = generationMs.reduce((a, b) => a + b, 0);
  const gzipMs = gzipOnlyMs.reduce((a, b) => a + b, 0);
  console.log(`fleet of ${VEHICLES.toLocaleString("en-US")} vehicles created in ${Math.round(creationMs)} ms`);
  console.log(`${records.toLocaleString("en-US")} records in ${INTERVALS} intervals, ${(gzippedBytes / records).toFixed(0)} gzip bytes/record`);
  console.log(`simulator (step + serialize + gzip)  ${Math.round(records / (totalMs / 1000)).toLocaleString("en-US").padStart(10)} records/s  (${Math.round(totalMs / INTERVALS)} ms per 100k-vehicle interval)`);
  console.log(`baseline: gzip alone, same bytes     ${Math.round(records / (gzipMs / 1000)).toLocaleString("en-US").padStart(10)} records/s`);
  console.log(`gzip share of generation time: ${(gzipMs / totalMs).toFixed(2)}`);
  recordFigure({ name: "simulator, 100,000 vehicles (step + serialize + gzip)", value: records / (totalMs / 1000), unit: "records/s" });
  recordFigure({ name: "simulator vs gzip alone of the same bytes", value: gzipMs / totalMs, unit: "ratio" });
}

main();
