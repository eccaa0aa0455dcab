import { test } from "uvu";
import * as assert from "uvu/assert";
import { FLEET_SOURCE, fleetVehicleOf, type FleetSource } from "../../../telemetry/aggregate.js";
import { FleetStateMerger, mergeFleetDocuments, type FleetSnapshot } from "../../../telemetry/fleet-state.js";
import { computeCheckDigit } from "../../../telemetry/vin.js";
import { enriched, NOW_MS } from "./support/factories.js";

const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * 60_000).toISOString();
const DAY_MINUTES = 24 * 60;
const now = { now: NOW_MS };
const OWN = "1HGCM82633A004352";
const OTHER = "1M8GDM9AXKP042788";

function part(generatedMinutesAgo: number, vehicles: Array<{ vin: string; minutesAgo: number; soc: number; source?: FleetSource }>): FleetSnapshot {
  return {
    generatedAt: at(generatedMinutesAgo),
    vehicles: vehicles.map(({ vin, minutesAgo, soc, source }) => fleetVehicleOf(enriched({ vin, ts: at(minutesAgo), battery: { stateOfCharge: soc } }), source)),
  };
}

/** `count` check-digit-valid VINs no car has, as a gateway can name them. */
function inventedVins(count: number, from = 0): string[] {
  return Array.from({ length: count }, (_, index) => {
    const body = `1HGCM826_3${String(from + index).padStart(7, "0")}`;
    return body.replace("_", computeCheckDigit(body));
  });
}

const socOf = (merged: FleetSnapshot) => merged.vehicles.map((vehicle) => [vehicle.vin, vehicle.stateOfCharge]);

test("merging keeps each vehicle's latest state, whatever order the parts come in", () => {
  const older = part(10, [{ vin: OWN, minutesAgo: 10, soc: 40 }, { vin: OTHER, minutesAgo: 9, soc: 70 }]);
  const newer = part(2, [{ vin: OWN, minutesAgo: 2, soc: 35 }]);
  const lateBuffered = part(1, [{ vin: OTHER, minutesAgo: 30, soc: 90 }]);
  for (const order of [[older, newer, lateBuffered], [lateBuffered, newer, older]]) {
    const merged = mergeFleetDocuments(order, now);
    assert.equal(socOf(merged), [[OWN, 35], [OTHER, 70]]);
    assert.is(merged.generatedAt, at(1));
  }
});

test("an empty fleet has no generation time and drops nothing", () => {
  assert.equal(mergeFleetDocuments([], now), { generatedAt: null, vehicles: [], dropped: { expired: 0, overCap: 0 } });
});

test("a fleet vehicle carries the dashboard's fields from the record, and its source", () => {
  const vehicle = fleetVehicleOf(enriched({ position: { speedKph: 42 }, connectivity: { signalDbm: -110 } }));
  assert.equal([vehicle.parked, vehicle.connectivity, vehicle.firmwareVersion, vehicle.make, vehicle.source], [false, "weak", "2.3.0", "Honda", "vehicle"]);
  assert.is(fleetVehicleOf(enriched(), FLEET_SOURCE.Gateway).source, "gateway");
});

test("entries not seen within the retention are dropped and counted; a newer entry of the same VIN keeps it", () => {
  const snapshot = part(60, [
    { vin: OWN, minutesAgo: 31 * DAY_MINUTES, soc: 10 },
    { vin: OTHER, minutesAgo: 29 * DAY_MINUTES, soc: 20 },
    { vin: inventedVins(1)[0]!, minutesAgo: 40 * DAY_MINUTES, soc: 30, source: FLEET_SOURCE.Gateway },
  ]);

  const merged = mergeFleetDocuments([snapshot], { ...now, retentionMs: 30 * DAY_MINUTES * 60_000 });
  assert.equal(socOf(merged), [[OTHER, 20]]);
  assert.equal(merged.dropped, { expired: 2, overCap: 0 });

  const back = mergeFleetDocuments([snapshot, part(1, [{ vin: OWN, minutesAgo: 1, soc: 55 }])], { ...now, retentionMs: 30 * DAY_MINUTES * 60_000 });
  assert.equal(socOf(back), [[OWN, 55], [OTHER, 20]]);
});

test("a vehicle's own entry outranks a gateway's for its VIN within the window, in any order; past it the gateway's newer entry shows", () => {
  const own = part(120, [{ vin: OWN, minutesAgo: 120, soc: 80 }]);
  const forgedSoon = part(1, [{ vin: OWN, minutesAgo: 61, soc: 3, source: FLEET_SOURCE.Gateway }]);
  const forgedFuture = part(1, [{ vin: OWN, minutesAgo: -5, soc: 4, source: FLEET_SOURCE.Gateway }]);
  for (const order of [[own, forgedSoon], [forgedSoon, own]]) assert.equal(socOf(mergeFleetDocuments(order, now)), [[OWN, 80]]);
  assert.equal(socOf(mergeFleetDocuments([own, forgedFuture], now)), [[OWN, 4]], "the car has been silent for two hours: the gateway's word shows");
  const recent = part(10, [{ vin: OWN, minutesAgo: 10, soc: 81 }]);
  for (const order of [[recent, forgedFuture], [forgedFuture, recent]]) assert.equal(socOf(mergeFleetDocuments(order, now)), [[OWN, 81]], "5 minutes of clock skew do not help");
  const legacy: FleetSnapshot = { generatedAt: at(90), vehicles: [{ ...fleetVehicleOf(enriched({ vin: OWN, ts: at(90), battery: { stateOfCharge: 7 } })), source: undefined }] };
  assert.equal(socOf(mergeFleetDocuments([legacy, own], now)), [[OWN, 80]], "an entry written before sources were kept ranks as a gateway's");
});

test("past maxVehicles the vehicles' own entries are kept first, then the newest; the rest are counted, in any order", () => {
  const real = part(60, [{ vin: OWN, minutesAgo: 3 * DAY_MINUTES, soc: 50 }, { vin: OTHER, minutesAgo: 60, soc: 60 }]);
  const [a, b, c] = inventedVins(3);
  const flood = part(1, [
    { vin: a!, minutesAgo: 3, soc: 1, source: FLEET_SOURCE.Gateway },
    { vin: b!, minutesAgo: 1, soc: 2, source: FLEET_SOURCE.Gateway },
    { vin: c!, minutesAgo: 2, soc: 3, source: FLEET_SOURCE.Gateway },
  ]);
  for (const order of [[real, flood], [flood, real]]) {
    const merged = mergeFleetDocuments(order, { ...now, maxVehicles: 3 });
    assert.equal(merged.vehicles.map((vehicle) => vehicle.vin).sort(), [OWN, OTHER, b!].sort());
    assert.equal(merged.dropped, { expired: 0, overCap: 2 });
  }
});

test("a flood of invented VINs across many parts never holds more than a quarter over maxVehicles and ends at maxVehicles, the real cars kept", () => {
  const maxVehicles = 1_000;
  const merger = new FleetStateMerger({ ...now, maxVehicles });
  merger.add(part(60, [{ vin: OWN, minutesAgo: 2 * DAY_MINUTES, soc: 50 }]));
  let largest = 0;
  for (let index = 0; index < 20; index++) {
    merger.add({ generatedAt: at(1), vehicles: inventedVins(900, index * 900).map((vin) => ({ ...fleetVehicleOf(enriched({ vin, ts: at(1) }), FLEET_SOURCE.Gateway) })) });
    largest = Math.max(largest, (merger as unknown as { byVin: Map<string, unknown> }).byVin.size);
  }
  const merged = merger.result();
  assert.ok(largest < 1.25 * maxVehicles, `held ${largest}`);
  assert.is(merged.vehicles.length, maxVehicles);
  assert.ok(merged.vehicles.some((vehicle) => vehicle.vin === OWN));
  assert.is(merged.dropped.overCap, 20 * 900 + 1 - maxVehicles);
});

test.run();
