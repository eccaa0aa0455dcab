import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeModelYear, isValidVin, requiresCheckDigit } from "../../../telemetry/vin.js";
import { MARKET, VEHICLE_MODELS } from "../../../simulator/catalog.js";
import { createFleet } from "../../../simulator/fleet.js";
import { SeededRandom } from "../../../simulator/random.js";
import { generateVin, SerialOutOfRangeError } from "../../../simulator/vin-generator.js";

test("every model's VINs are valid, carry its WMI and decode to the model year where the law says", () => {
  const random = new SeededRandom(7);
  for (const model of VEHICLE_MODELS) {
    for (let serial = 0; serial < 200; serial++) {
      const year = random.integer(model.firstModelYear, 2026);
      const vin = generateVin(random, model, year, serial);
      assert.ok(isValidVin(vin), `${model.make} ${vin}`);
      assert.is(vin.slice(0, 3), model.wmi);
      assert.is(requiresCheckDigit(vin), model.market !== MARKET.Europe);
      if (model.market === MARKET.NorthAmerica) assert.is(decodeModelYear(vin), year, vin);
    }
  }
});

test("European VINs use the ZZZ filler", () => {
  const porsche = VEHICLE_MODELS.find((model) => model.make === "Porsche")!;
  assert.match(generateVin(new SeededRandom(1), porsche, 2024, 5), /^WP0ZZZ/);
});

test("a fleet's VINs are unique and the same seed gives the same fleet", () => {
  const first = createFleet({ vehicles: 2000, seed: 11, startMs: Date.UTC(2026, 10, 26) });
  const again = createFleet({ vehicles: 2000, seed: 11, startMs: Date.UTC(2026, 10, 26) });
  const vins = first.vehicles.map((vehicle) => vehicle.vin);
  assert.is(new Set(vins).size, vins.length);
  assert.equal(again.vehicles.map((vehicle) => vehicle.vin), vins);
  const other = createFleet({ vehicles: 20, seed: 12, startMs: Date.UTC(2026, 10, 26) });
  assert.not.equal(other.vehicles.map((vehicle) => vehicle.vin), vins.slice(0, 20));
});

test("a serial outside six digits is refused", () => {
  assert.throws(() => generateVin(new SeededRandom(1), VEHICLE_MODELS[0]!, 2024, 1_000_000), (error: unknown) => error instanceof SerialOutOfRangeError);
});

test.run();
