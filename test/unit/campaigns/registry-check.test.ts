/**
 * The registry rule (campaigns/registry-check.ts): a vehicle's claimed static facts against its registered
 * ones, as an attacker would try them: each fact claimed otherwise, facts left unregistered, the attribute
 * form of a value, the model year; and one registry read per VIN per invocation, a failed read not kept.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { factsAsDescribed, readOncePerInvocation, registryMismatches, type RegisteredVehicleFacts, type VehicleRegistry } from "../../../campaigns/registry-check.js";
import { matchesCampaign } from "../../../campaigns/targeting.js";
import { definition, vehicle } from "./support/factories.js";

const honda = vehicle();
const registeredHonda: RegisteredVehicleFacts = { vin: honda.vin, make: "Honda", model: "Accord", hardware: "hu-3" };
const anyCampaign = definition();
const byYears = definition({ selector: { modelYears: { from: 2020, to: 2022 } } });

test("an honest vehicle passes: its claims equal its registration", () => {
  assert.equal(registryMismatches(honda, registeredHonda, anyCampaign), []);
  assert.equal(registryMismatches(honda, factsAsDescribed(honda), byYears), []);
});

test("a claim that differs from the registration in any static fact is refused, whatever the campaign selects", () => {
  const lies: Array<[string, Partial<typeof honda>, RegExp]> = [
    ["make", { make: "Tesla" }, /make "Tesla" is registered as "Honda"/],
    ["model", { model: "Civic" }, /model "Civic" is registered as "Accord"/],
    ["hardware", { hardware: "hu-4" }, /hardware "hu-4" is registered as "hu-3"/],
    ["case", { make: "honda" }, /make "honda"/],
    ["padding", { model: "Accord " }, /model "Accord "/],
  ];
  for (const [what, claim, expected] of lies) {
    const liar = vehicle(claim);
    // Each lie would match a campaign that selects the claimed value.
    assert.ok(matchesCampaign(definition({ selector: { makes: [liar.make], models: [liar.model], hardware: [liar.hardware] } }), liar), what);
    const mismatches = registryMismatches(liar, registeredHonda, anyCampaign);
    assert.is(mismatches.length, 1, what);
    assert.match(mismatches[0]!, expected, what);
  }
});

test("a fact the registration lacks is a mismatch (fail closed), not a free choice", () => {
  const bare: RegisteredVehicleFacts = { vin: honda.vin };
  assert.equal(registryMismatches(honda, bare, anyCampaign), ["make is not registered", "model is not registered", "hardware is not registered"]);
  assert.equal(registryMismatches(honda, { ...registeredHonda, hardware: undefined }, anyCampaign), ["hardware is not registered"]);
});

test("a value is compared in its attribute form: 'Model 3' is registered as 'Model_3'", () => {
  const tesla = vehicle({ make: "Tesla", model: "Model 3" });
  const registered = { vin: tesla.vin, make: "Tesla", model: "Model_3", hardware: "hu-3" };
  assert.equal(registryMismatches(tesla, registered, anyCampaign), []);
  assert.equal(registryMismatches(vehicle({ make: "Tesla", model: "Model Y" }), registered, anyCampaign), ['model "Model Y" is registered as "Model_3"']);
});

test("model year: must equal a registered one; must be registered when the campaign selects model years", () => {
  const registered2021 = { ...registeredHonda, modelYear: 2021 };
  assert.equal(registryMismatches(honda, registered2021, byYears), []);
  assert.equal(registryMismatches(vehicle({ modelYear: 2020 }), registered2021, anyCampaign), ["model year 2020 is registered as 2021"]);
  assert.equal(registryMismatches(honda, registeredHonda, byYears), ["model year is not registered, and the campaign selects model years"]);
  assert.equal(registryMismatches(honda, registeredHonda, anyCampaign), [], "a campaign that does not select years needs none");
});

test("dynamic facts stay the vehicle's own: region, firmware, battery, parking are not compared", () => {
  const moving = vehicle({ region: "eu-central", firmwareVersion: "1.0.0", stateOfCharge: 3, parked: false, connectivity: "weak" });
  assert.equal(registryMismatches(moving, registeredHonda, anyCampaign), []);
});

test("one registry read per VIN per invocation; a failed read is not kept, so the redelivery reads again", async () => {
  let reads = 0;
  let failNext = true;
  const registry: VehicleRegistry = {
    async describe(vin) {
      reads++;
      if (failNext) {
        failNext = false;
        throw new Error("ThrottlingException");
      }
      return { vin, make: "Honda" };
    },
  };
  const cached = readOncePerInvocation(registry);
  const failed = await cached.describe(honda.vin).then(() => "read", (error: Error) => error.message);
  assert.is(failed, "ThrottlingException");
  assert.equal(await cached.describe(honda.vin), { vin: honda.vin, make: "Honda" });
  assert.equal(await cached.describe(honda.vin), { vin: honda.vin, make: "Honda" });
  assert.is(reads, 2);
  assert.is(cached.reads, 2);
});

test.run();
