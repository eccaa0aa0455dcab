import { test } from "uvu";
import * as assert from "uvu/assert";
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

test.run();
