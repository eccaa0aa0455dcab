/**
 * The dashboard publisher's fleet view for 100,000 vehicles, against the cost it cannot avoid: gunzip +
 * JSON.parse of the same fleet-state snapshot, measured side by side in this process. Reports the
 * ratio (shaping time / reading time) and the size of the resulting fleet.json.
 *
 *   npm run bench -- dashboard
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { shapeFleet } from "../functions/dashboard-publisher/fleet-view.js";
import { fleet } from "../test/unit/functions/dashboard-publisher/support/factories.js";
import { recordFigure } from "./results.js";

const VEHICLES = 100_000;
const ROUNDS = 5;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function measure(run: () => unknown): number {
  run(); // warm-up
  const times: number[] = [];
  for (let round = 0; round < ROUNDS; round += 1) {
    const started = performance.now();
    run();
    times.push(performance.now() - started);
  }
  return median(times);
}

const now = new Date();
const vehicles = fleet(now, { vehicles: VEHICLES, offlineShare: 0.1, silentShare: 0.05, seed: 42 });
const snapshot = gzipSync(JSON.stringify({ generatedAt: now.toISOString(), vehicles }));

const readMs = measure(() => JSON.parse(gunzipSync(snapshot).toString("utf8")));
const shapeMs = measure(() => shapeFleet({ vehicles }, now));
const document = JSON.stringify(shapeFleet({ vehicles }, now));

console.log(`fleet state: ${VEHICLES.toLocaleString("en-US")} vehicles, ${(snapshot.length / 1024 / 1024).toFixed(1)} MiB gzipped`);
console.log(`read snapshot (gunzip + JSON.parse): ${readMs.toFixed(1)} ms   [baseline]`);
console.log(`shapeFleet:                          ${shapeMs.toFixed(1)} ms   ratio ${(shapeMs / readMs).toFixed(2)} × baseline`);
console.log(`fleet.json: ${(Buffer.byteLength(document) / 1024).toFixed(1)} KiB`);
recordFigure({ name: "shaping 100,000 vehicles vs reading their snapshot", value: shapeMs / readMs, unit: "ratio" });
recordFigure({ name: "fleet.json at 100,000 vehicles", value: Buffer.byteLength(document) / 1024, unit: "KiB" });
