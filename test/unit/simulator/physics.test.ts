import { test } from "uvu";
import * as assert from "uvu/assert";
import { validateRecord, type TelemetryRecord } from "../../../telemetry/schema.js";
import { REGIONS } from "../../../simulator/catalog.js";
import { createFleet } from "../../../simulator/fleet.js";
import { distanceKm } from "../../../simulator/geo.js";

const START_MS = Date.UTC(2026, 10, 20, 0, 0);
const STEP_MS = 60_000;
const STEPS = 3 * 24 * 60; // three days of one-minute records

/** Runs a fleet for three simulated days and keeps every record per vehicle. */
function longRun(vehicles: number): Map<string, TelemetryRecord[]> {
  const fleet = createFleet({ vehicles, seed: 99, startMs: START_MS });
  const history = new Map(fleet.vehicles.map((vehicle) => [vehicle.vin, [] as TelemetryRecord[]]));
  for (let step = 1; step <= STEPS; step++) {
    const nowMs = START_MS + step * STEP_MS;
    fleet.advance(nowMs);
    for (const vehicle of fleet.vehicles) history.get(vehicle.vin)!.push(vehicle.toRecord(nowMs));
  }
  return history;
}

const history = longRun(40);
const everyRecord = [...history.values()].flat();

test("every record of a three-day run passes the processor's validation", () => {
  const endMs = START_MS + STEPS * STEP_MS;
  const invalid = everyRecord.filter((record) => !validateRecord(record, endMs).valid);
  assert.is(invalid.length, 0, JSON.stringify(invalid[0]));
});

test("vehicles move continuously: no jump longer than the speed allows, and stay in their region", () => {
  for (const records of history.values()) {
    const region = REGIONS.find((candidate) => candidate.id === records[0]!.vehicle.region)!;
    for (let index = 1; index < records.length; index++) {
      const jumpKm = distanceKm(records[index - 1]!.position, records[index]!.position);
      assert.ok(jumpKm <= (160 * STEP_MS) / 3_600_000 + 0.01, `jump of ${jumpKm} km`);
      assert.ok(distanceKm(records[index]!.position, region) < region.radiusKm * 2, "left its region");
    }
  }
});

test("the odometer only grows, and by the distance driven", () => {
  for (const records of history.values()) {
    for (let index = 1; index < records.length; index++) {
      const grown = records[index]!.position.odometerKm - records[index - 1]!.position.odometerKm;
      assert.ok(grown >= -0.05, "odometer went back");
      assert.ok(grown <= (160 * STEP_MS) / 3_600_000 + 0.1);
    }
  }
});

test("vehicles both drive and park, and parked means zero speed", () => {
  const moving = everyRecord.filter((record) => record.position.speedKph > 0).length;
  assert.ok(moving > everyRecord.length * 0.03, `only ${moving} moving records`);
  assert.ok(moving < everyRecord.length * 0.6, `${moving} moving records: nobody parks`);
  assert.ok(everyRecord.every((record) => record.position.speedKph === 0 || record.position.speedKph >= 8));
});

test("the battery drains only while driving, charges only while parked, and stays in 0–100 %", () => {
  let charged = 0;
  for (const records of history.values()) {
    for (let index = 1; index < records.length; index++) {
      const before = records[index - 1]!;
      const after = records[index]!;
      const delta = after.battery.stateOfCharge - before.battery.stateOfCharge;
      if (after.battery.charging) {
        assert.is(after.position.speedKph, 0, "charging while driving");
        charged++;
      }
      if (delta > 0.05) assert.ok(after.battery.charging || before.battery.charging, "charge rose without charging");
    }
  }
  assert.ok(charged > 0, "nobody ever charged in three days");
  assert.ok(everyRecord.every((record) => record.battery.stateOfCharge >= 0 && record.battery.stateOfCharge <= 100));
});

test("voltage rises with state of charge for the same vehicle at rest", () => {
  for (const records of history.values()) {
    const resting = records.filter((record) => record.position.speedKph === 0 && !record.battery.charging);
    const low = resting.reduce((min, record) => (record.battery.stateOfCharge < min.battery.stateOfCharge ? record : min), resting[0]!);
    const high = resting.reduce((max, record) => (record.battery.stateOfCharge > max.battery.stateOfCharge ? record : max), resting[0]!);
    if (high.battery.stateOfCharge - low.battery.stateOfCharge > 5) assert.ok(high.battery.voltage > low.battery.voltage);
  }
});

test("connectivity: offline records say so consistently, and some vehicles do go offline", () => {
  const offline = everyRecord.filter((record) => !record.connectivity.online);
  assert.ok(offline.length > 0, "nobody ever went offline");
  assert.ok(offline.length < everyRecord.length * 0.3);
  assert.ok(offline.every((record) => record.connectivity.network === "none" && record.connectivity.signalDbm === -140));
});

test("sequence numbers are consecutive per vehicle", () => {
  for (const records of history.values()) assert.ok(records.every((record, index) => index === 0 || record.seq === records[index - 1]!.seq + 1));
});

test.run();
