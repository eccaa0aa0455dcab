import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetVehicleOf } from "../../../telemetry/aggregate.js";
import { mergeFleetDocuments } from "../../../telemetry/fleet-state.js";
import { enriched, NOW_MS } from "./support/factories.js";

const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * 60_000).toISOString();

function part(generatedMinutesAgo: number, vehicles: Array<{ vin: string; minutesAgo: number; soc: number }>) {
  return {
    generatedAt: at(generatedMinutesAgo),
    vehicles: vehicles.map(({ vin, minutesAgo, soc }) => fleetVehicleOf(enriched({ vin, ts: at(minutesAgo), battery: { stateOfCharge: soc } }))),
  };
}

test("merging keeps each vehicle's latest state, whatever order the parts come in", () => {
  const older = part(10, [{ vin: "1HGCM82633A004352", minutesAgo: 10, soc: 40 }, { vin: "1M8GDM9AXKP042788", minutesAgo: 9, soc: 70 }]);
  const newer = part(2, [{ vin: "1HGCM82633A004352", minutesAgo: 2, soc: 35 }]);
  const lateBuffered = part(1, [{ vin: "1M8GDM9AXKP042788", minutesAgo: 30, soc: 90 }]);
  for (const order of [[older, newer, lateBuffered], [lateBuffered, newer, older]]) {
    const merged = mergeFleetDocuments(order);
    assert.equal(merged.vehicles.map((vehicle) => [vehicle.vin, vehicle.stateOfCharge]), [["1HGCM82633A004352", 35], ["1M8GDM9AXKP042788", 70]]);
    assert.is(merged.generatedAt, at(1));
  }
});

test("an empty fleet has no generation time", () => {
  assert.equal(mergeFleetDocuments([]), { generatedAt: null, vehicles: [] });
});

test("a fleet vehicle carries the dashboard's fields from the record", () => {
  const vehicle = fleetVehicleOf(enriched({ position: { speedKph: 42 }, connectivity: { signalDbm: -110 } }));
  assert.equal([vehicle.parked, vehicle.connectivity, vehicle.firmwareVersion, vehicle.make], [false, "weak", "2.3.0", "Honda"]);
});

test.run();
