import { test } from "uvu";
import * as assert from "uvu/assert";
import { FLEET_SOURCE, fleetVehicleOf, type FleetSource } from "../../../telemetry/aggregate.js";
import { FleetSnapshotOrderError, FleetStateMerger, mergeFleetDocuments, type FleetSnapshot } from "../../../telemetry/fleet-state.js";
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
    vehicles: vehicles.map(({ vin, minutesAgo, soc, source = FLEET_SOURCE.Vehicle }) => fleetVehicleOf(enriched({ vin, ts: at(minutesAgo), battery: { stateOfCharge: soc } }).record, source)),
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
  assert.equal(mergeFleetDocuments([], now), { generatedAt: null, vehicles: [], dropped: { expired: 0, overCap: 0 }, knownEvicted: 0 });
});

test("a fleet vehicle carries the dashboard's fields from the record, and its source", () => {
  const vehicle = fleetVehicleOf(enriched({ position: { speedKph: 42 }, connectivity: { signalDbm: -110 } }).record, FLEET_SOURCE.Vehicle);
  assert.equal([vehicle.parked, vehicle.connectivity, vehicle.firmwareVersion, vehicle.make, vehicle.source], [false, "weak", "2.3.0", "Honda", "vehicle"]);
  assert.is(fleetVehicleOf(enriched().record, FLEET_SOURCE.Gateway).source, "gateway");
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
  const legacy: FleetSnapshot = { generatedAt: at(90), vehicles: [{ ...fleetVehicleOf(enriched({ vin: OWN, ts: at(90), battery: { stateOfCharge: 7 } }).record, FLEET_SOURCE.Vehicle), source: undefined }] };
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
    merger.add({ generatedAt: at(1), vehicles: inventedVins(900, index * 900).map((vin) => ({ ...fleetVehicleOf(enriched({ vin, ts: at(1) }).record, FLEET_SOURCE.Gateway) })) });
    largest = Math.max(largest, (merger as unknown as { byVin: Map<string, unknown> }).byVin.size);
  }
  const merged = merger.result();
  assert.ok(largest < 1.25 * maxVehicles, `held ${largest}`);
  assert.is(merged.vehicles.length, maxVehicles);
  assert.ok(merged.vehicles.some((vehicle) => vehicle.vin === OWN));
  assert.is(merged.dropped.overCap, 20 * 900 + 1 - maxVehicles);
});

/** A gateway's entries for `vins`, all seen `minutesAgo` (negative: its clock runs ahead). */
function gatewayPart(vins: string[], minutesAgo: number, soc = 1): FleetSnapshot {
  return part(Math.max(minutesAgo, 0), vins.map((vin) => ({ vin, minutesAgo, soc, source: FLEET_SOURCE.Gateway })));
}

/** A small deterministic generator (mulberry32), so a shuffled order can be replayed. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffled<T>(items: T[], next: () => number): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = Math.floor(next() * (index + 1));
    [copy[index], copy[other]] = [copy[other]!, copy[index]!];
  }
  return copy;
}

const vinsOf = (merged: FleetSnapshot) => merged.vehicles.map((vehicle) => vehicle.vin);
const heldBy = (merger: FleetStateMerger) => (merger as unknown as { byVin: Map<string, unknown> }).byVin.size;

test("R8-C: over the cap, cars an honest gateway carries stay and a flood of new VINs from another gateway fills only the free room, counted; in any order, and again next run", () => {
  // prepare: the compacted snapshot holds 3 cars behind depot gateway A (parked for 2 h) and a vehicle's own entry 20 days old
  const carried = inventedVins(3, 500);
  const snapshot = part(60, [
    ...carried.map((vin) => ({ vin, minutesAgo: 120, soc: 80, source: FLEET_SOURCE.Gateway })),
    { vin: OWN, minutesAgo: 20 * DAY_MINUTES, soc: 60 },
  ]);
  const flood = inventedVins(10, 900); // gateway B invents VINs and stamps them now
  const [first, second] = [gatewayPart(flood.slice(0, 5), 0), gatewayPart(flood.slice(5), 0)];
  // act
  const runs = [[first, second], [second, first]].map((parts) => mergeFleetDocuments(parts, { ...now, maxVehicles: 8, snapshot }));
  // assess
  const merged = runs[0]!;
  assert.equal(runs[1], merged, "the order of the parts changes nothing");
  for (const vin of [...carried, OWN]) assert.ok(vinsOf(merged).includes(vin), `${vin} kept`);
  assert.equal(vinsOf(merged).filter((vin) => flood.includes(vin)), [...flood].sort().slice(0, 4), "4 new VINs fill the free room (same age: the smaller VINs)");
  assert.equal([merged.dropped, merged.knownEvicted], [{ expired: 0, overCap: 6 }, 0], "6 new VINs refused, no known car evicted");

  // the next run: the snapshot is that result, the flood goes on with other VINs stamped 5 minutes ahead
  const next = mergeFleetDocuments([gatewayPart(inventedVins(10, 2_000), -5)], { ...now, maxVehicles: 8, snapshot: merged });
  assert.equal(vinsOf(next), vinsOf(merged), "no room: every new VIN refused, nobody evicted");
  assert.equal([next.dropped, next.knownEvicted], [{ expired: 0, overCap: 10 }, 0]);
});

test("R8-C: floods over several runs never evict incumbents, the map stays under a quarter over the cap, and each run's result is the same in any part order", () => {
  const maxVehicles = 60;
  const next = random(8);
  const carried = inventedVins(30, 5_000); // real cars behind an honest gateway
  const owners = [OWN, OTHER];
  let snapshot: FleetSnapshot = part(60, [
    ...carried.map((vin, index) => ({ vin, minutesAgo: 60 * (index + 1), soc: index, source: FLEET_SOURCE.Gateway })),
    ...owners.map((vin, index) => ({ vin, minutesAgo: 3 * DAY_MINUTES + index, soc: 50 })),
  ]);
  let invented = 0;
  for (let run = 0; run < 4; run++) {
    // a run's parts: the flood (new VINs, some named twice at other times), and the honest gateway reporting a few cars again
    const flood = Array.from({ length: 8 }, (_, index) => gatewayPart(inventedVins(25, 10_000 + run * 1_000 + index * 20), Math.floor(next() * 10) - 5));
    const parts = [...flood, gatewayPart(carried.slice(run * 5, run * 5 + 5), 1, 90 + run), gatewayPart(carried.slice(0, 3), 30, 7)];
    const floodVins = new Set(flood.flatMap(vinsOf));
    const results = [0, 1, 2].map(() => {
      const merger = new FleetStateMerger({ ...now, maxVehicles });
      merger.addSnapshot(snapshot);
      let largest = 0;
      for (const document of shuffled(parts, next)) {
        merger.add(document);
        largest = Math.max(largest, heldBy(merger));
      }
      assert.ok(largest < 1.25 * maxVehicles, `held ${largest}`);
      return merger.result();
    });
    // the kept state is the same; the count is of entries dropped, so a VIN cut while merging and named again counts again
    const kept = results.map(({ generatedAt, vehicles }) => ({ generatedAt, vehicles }));
    assert.equal(kept[1], kept[0], `run ${run}: another order, the same state`);
    assert.equal(kept[2], kept[0], `run ${run}: a third order, the same state`);
    const merged = results[0]!;
    for (const vin of [...carried, ...owners]) assert.ok(vinsOf(merged).includes(vin), `run ${run}: ${vin} kept`);
    for (const result of results) assert.is(result.knownEvicted, 0, `run ${run}: no known car evicted`);
    const reported = merged.vehicles.filter((vehicle) => carried.slice(run * 5, run * 5 + 5).includes(vehicle.vin));
    assert.ok(reported.every((vehicle) => vehicle.stateOfCharge === 90 + run), `run ${run}: the honest gateway's newest word shows`);
    invented = merged.vehicles.length - carried.length - owners.length;
    assert.is(merged.vehicles.length, maxVehicles);
    const refused = floodVins.size - (run === 0 ? maxVehicles - 32 : 0);
    for (const result of results) assert.ok(result.dropped.overCap >= refused && result.dropped.expired === 0, `run ${run}: every refused new VIN counted (${refused})`);
    snapshot = merged;
  }
  assert.is(invented, maxVehicles - 32, "the first flood took the free room and keeps it, no more");
});

test("R8-C: retention still drops an incumbent silent too long, and its room goes to the newest newcomer", () => {
  const [silent, parked, driving] = inventedVins(3, 700);
  const snapshot = part(60, [
    { vin: silent!, minutesAgo: 31 * DAY_MINUTES, soc: 1, source: FLEET_SOURCE.Gateway },
    { vin: parked!, minutesAgo: 2 * DAY_MINUTES, soc: 2, source: FLEET_SOURCE.Gateway },
    { vin: driving!, minutesAgo: 5, soc: 3, source: FLEET_SOURCE.Gateway },
  ]);
  const flood = inventedVins(4, 800);
  const merged = mergeFleetDocuments([gatewayPart(flood.slice(0, 2), 2), gatewayPart(flood.slice(2), 1)], { ...now, maxVehicles: 3, retentionMs: 30 * DAY_MINUTES * 60_000, snapshot });
  assert.equal(vinsOf(merged), [parked!, driving!, flood[2]!].sort());
  assert.equal(merged.dropped, { expired: 1, overCap: 3 });
  // named again after the retention, a VIN is a newcomer: it competes for the free room like any other
  const back = mergeFleetDocuments([gatewayPart([silent!], 3), gatewayPart(flood.slice(0, 1), 1)], { ...now, maxVehicles: 3, retentionMs: 30 * DAY_MINUTES * 60_000, snapshot });
  assert.equal(vinsOf(back), [parked!, driving!, flood[0]!].sort());
});

test("R8-C: a vehicle's own upload still comes first: a new one takes the place of the longest-silent gateway incumbent", () => {
  const known = inventedVins(3, 300);
  const snapshot = part(60, known.map((vin, index) => ({ vin, minutesAgo: 10 * (index + 1), soc: index, source: FLEET_SOURCE.Gateway })));
  for (const order of [[part(1, [{ vin: OWN, minutesAgo: 2 * DAY_MINUTES, soc: 50 }]), gatewayPart(inventedVins(5, 400), -5)]]) {
    for (const parts of [order, [...order].reverse()]) {
      const merged = mergeFleetDocuments(parts, { ...now, maxVehicles: 3, snapshot });
      assert.equal(vinsOf(merged), [OWN, known[0]!, known[1]!].sort());
      assert.equal([merged.dropped, merged.knownEvicted], [{ expired: 0, overCap: 6 }, 1], "5 new gateway VINs refused, 1 known car gave way");
    }
  }
});

test("a snapshot over a lowered cap keeps the own entries, then the newest; the snapshot comes first or is refused", () => {
  const [a, b, c] = inventedVins(3, 100);
  const snapshot = part(60, [
    { vin: a!, minutesAgo: 30, soc: 1, source: FLEET_SOURCE.Gateway },
    { vin: b!, minutesAgo: 20, soc: 2, source: FLEET_SOURCE.Gateway },
    { vin: c!, minutesAgo: 10, soc: 3, source: FLEET_SOURCE.Gateway },
    { vin: OWN, minutesAgo: 5 * DAY_MINUTES, soc: 4 },
  ]);
  const merged = mergeFleetDocuments([gatewayPart([a!], 1)], { ...now, maxVehicles: 2, snapshot });
  assert.equal(vinsOf(merged), [OWN, c!].sort(), "a VIN cut from the snapshot comes back only as a newcomer");
  assert.equal([merged.dropped, merged.knownEvicted], [{ expired: 0, overCap: 3 }, 2]);
  const merger = new FleetStateMerger(now);
  merger.add(gatewayPart([a!], 1));
  assert.throws(() => merger.addSnapshot(snapshot), (error: unknown) => error instanceof FleetSnapshotOrderError);
});

test.run();
