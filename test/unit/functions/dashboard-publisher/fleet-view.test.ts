import { test } from "uvu";
import * as assert from "uvu/assert";
import { BATTERY_BANDS, OTHER_LABEL, shapeFleet, topCounts, UNKNOWN_BATTERY_LABEL } from "../../../../functions/dashboard-publisher/fleet-view.js";
import { fleet, vehicle, vin } from "./support/factories.js";

const now = new Date("2026-11-26T18:00:00.000Z");
const minutesAgo = (minutes: number) => new Date(now.getTime() - minutes * 60_000).toISOString();

test("counts online, offline, silent and weak-signal vehicles", () => {
  // prepare
  const vehicles = [
    vehicle({ vin: vin(1), connectivity: "good", lastSeenAt: minutesAgo(1) }),
    vehicle({ vin: vin(2), connectivity: "weak", lastSeenAt: minutesAgo(2) }),
    vehicle({ vin: vin(3), connectivity: "offline", lastSeenAt: minutesAgo(1) }),
    vehicle({ vin: vin(4), connectivity: "good", lastSeenAt: minutesAgo(45) }),
  ];
  // act
  const doc = shapeFleet({ vehicles }, now, { onlineWindowMs: 10 * 60_000 });
  // assess
  assert.equal(doc.totals.vehicles, 4);
  assert.equal(doc.totals.online, 2);
  assert.equal(doc.totals.offline, 2);
  assert.equal(doc.totals.silent, 1);
  assert.equal(doc.totals.weakSignal, 1);
  assert.equal(doc.totals.online + doc.totals.offline, doc.totals.vehicles);
});

test("puts every vehicle in exactly one battery band, unknown when it never reported", () => {
  const charges = [0, 19.9, 20, 55, 79.99, 80, 100, null];
  const vehicles = charges.map((stateOfCharge, index) => vehicle({ vin: vin(index), stateOfCharge }, now));

  const doc = shapeFleet({ vehicles }, now);

  const byLabel = Object.fromEntries(doc.battery.map((band) => [band.label, band.vehicles]));
  assert.equal(byLabel[BATTERY_BANDS[0].label], 2);
  assert.equal(byLabel[BATTERY_BANDS[1].label], 1);
  assert.equal(byLabel[BATTERY_BANDS[2].label], 1);
  assert.equal(byLabel[BATTERY_BANDS[3].label], 1);
  assert.equal(byLabel[BATTERY_BANDS[4].label], 2);
  assert.equal(byLabel[UNKNOWN_BATTERY_LABEL], 1);
  assert.equal(doc.battery.reduce((sum, band) => sum + band.vehicles, 0), charges.length);
});

test("lists the most common firmware versions first and folds the tail into 'other'", () => {
  const counts = new Map([["1.0.0", 5], ["2.0.0", 9], ["3.0.0", 1], ["4.0.0", 2]]);

  const top = topCounts(counts, 2);

  assert.equal(top, [
    { label: "2.0.0", vehicles: 9 },
    { label: "1.0.0", vehicles: 5 },
    { label: OTHER_LABEL, vehicles: 3 },
  ]);
});

test("bins positions into a bounded grid that conserves the vehicle count", () => {
  const vehicles = fleet(now, { vehicles: 3000, seed: 11 });

  const doc = shapeFleet({ vehicles }, now, { gridRows: 10, gridCols: 20 });

  const { cells, bounds } = doc.positions;
  assert.ok(cells.length > 0 && cells.length <= 200);
  assert.equal(cells.reduce((sum, cell) => sum + cell[2], 0), 3000);
  assert.equal(cells.reduce((sum, cell) => sum + cell[3], 0), doc.totals.online);
  for (const [lat, lon] of cells) {
    assert.ok(bounds && lat >= bounds.minLat && lat <= bounds.maxLat && lon >= bounds.minLon && lon <= bounds.maxLon);
  }
});

test("ignores impossible coordinates and reports an empty grid without positions", () => {
  const vehicles = [vehicle({ latitude: 123, longitude: 10 }, now), vehicle({ vin: vin(2), latitude: null, longitude: null }, now)];

  const doc = shapeFleet({ vehicles }, now);

  assert.equal(doc.positions.cells, []);
  assert.is(doc.positions.bounds, null);
});

test("keeps the attention list bounded, longest-silent first", () => {
  const vehicles = [
    vehicle({ vin: vin(1), lastSeenAt: minutesAgo(30) }),
    vehicle({ vin: vin(2), lastSeenAt: minutesAgo(300) }),
    vehicle({ vin: vin(3), stateOfCharge: 4, lastSeenAt: minutesAgo(1) }),
    vehicle({ vin: vin(4), stateOfCharge: 90, lastSeenAt: minutesAgo(1) }),
  ];

  const doc = shapeFleet({ vehicles }, now, { maxAttention: 2 });

  assert.equal(doc.attention.map((entry) => entry.vin), [vin(2), vin(1)]);
  assert.equal(doc.attention[0]?.reason, "not heard from");
});

test("stays small for 100,000 vehicles", () => {
  const vehicles = fleet(now, { vehicles: 100_000, seed: 5 });

  const doc = shapeFleet({ vehicles, writtenAt: minutesAgo(1) }, now);

  assert.equal(doc.totals.vehicles, 100_000);
  const bytes = Buffer.byteLength(JSON.stringify(doc));
  assert.ok(bytes < 64 * 1024, `fleet.json is ${bytes} bytes`);
});

test.run();
