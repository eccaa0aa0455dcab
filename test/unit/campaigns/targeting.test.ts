import { test } from "uvu";
import * as assert from "uvu/assert";
import { checkPreconditions, insideDailyWindow } from "../../../campaigns/preconditions.js";
import { matchesCampaign } from "../../../campaigns/targeting.js";
import type { VehicleSnapshot } from "../../../contracts/update-messages.js";
import { T0, definition, vehicle } from "./support/factories.js";

const selective = definition({
  selector: { makes: ["Honda"], models: ["Accord"], modelYears: { from: 2019, to: 2022 }, regions: ["us-west"], currentVersionRange: ">=2.0.0" },
});

const matchTable: Array<[string, Partial<VehicleSnapshot>, boolean]> = [
  ["matching vehicle", {}, true],
  ["other make", { make: "Ford" }, false],
  ["other model", { model: "Civic" }, false],
  ["model year before range", { modelYear: 2018 }, false],
  ["model year at range end", { modelYear: 2022 }, true],
  ["other region", { region: "eu-central" }, false],
  ["version below range", { firmwareVersion: "1.9.9" }, false],
  ["already on target", { firmwareVersion: "2.4.0" }, false],
  ["newer than target", { firmwareVersion: "2.5.0" }, false],
  ["version not semver", { firmwareVersion: "banana" }, false],
];
for (const [name, overrides, expected] of matchTable) {
  test(`selector: ${name} → ${expected ? "matches" : "does not match"}`, () => {
    assert.is(matchesCampaign(selective, vehicle(overrides)), expected);
  });
}

const preconditionTable: Array<[string, Partial<VehicleSnapshot>, string[]]> = [
  ["parked, charged, good link", {}, []],
  ["driving", { parked: false }, ["not parked"]],
  ["low charge", { stateOfCharge: 12 }, ["state of charge 12% below 30%"]],
  ["weak link", { connectivity: "weak" }, ["connectivity weak"]],
  ["all three", { parked: false, stateOfCharge: 5, connectivity: "offline" }, ["not parked", "state of charge 5% below 30%", "connectivity offline"]],
];
for (const [name, overrides, reasons] of preconditionTable) {
  test(`preconditions: ${name}`, () => {
    const verdict = checkPreconditions(definition(), vehicle(overrides), T0);
    assert.equal(verdict.met ? [] : verdict.reasons, reasons);
  });
}

test("outside the maintenance window the vehicle waits", () => {
  const windowed = definition({ maintenanceWindow: { startUtc: "01:00", endUtc: "05:00" } });
  const verdict = checkPreconditions(windowed, vehicle(), T0);
  assert.equal(verdict.met ? [] : verdict.reasons, ["outside maintenance window 01:00–05:00 UTC"]);
  assert.ok(checkPreconditions(windowed, vehicle(), new Date("2026-11-26T02:00:00Z")).met);
});

const windowTable: Array<[string, string, string, boolean]> = [
  ["22:00", "04:00", "23:30", true],
  ["22:00", "04:00", "03:59", true],
  ["22:00", "04:00", "04:00", false],
  ["22:00", "04:00", "12:00", false],
  ["09:00", "17:00", "09:00", true],
  ["09:00", "17:00", "17:00", false],
];
for (const [start, end, time, expected] of windowTable) {
  test(`window ${start}–${end} at ${time} → ${expected}`, () => {
    assert.is(insideDailyWindow(start, end, new Date(`2026-11-26T${time}:00Z`)), expected);
  });
}

test.run();
