/**
 * The registry rule (campaigns/registry-check.ts): a vehicle's claimed static facts against its registered
 * ones, as an attacker would try them: each fact claimed otherwise, facts left unregistered, the attribute
 * form of a value, the model year; and one registry read per VIN per invocation, a failed read not kept.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { factsAsDescribed, readOncePerInvocation, registryMismatches, type RegisteredVehicleFacts, type VehicleRegistry } from "../../../campaigns/registry-check.js";
import type { CampaignDefinition } from "../../../campaigns/model.js";
import { matchesCampaign } from "../../../campaigns/targeting.js";
import { INJECTIVE_ATTRIBUTE_FORM, thingAttributeValue } from "../../../contracts/vehicle-identity.js";
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
  const registered = { vin: tesla.vin, make: "Tesla", model: "Model_3", hardware: "hu-3", attributeForm: INJECTIVE_ATTRIBUTE_FORM };
  assert.equal(registryMismatches(tesla, registered, anyCampaign), []);
  assert.equal(registryMismatches(vehicle({ make: "Tesla", model: "Model Y" }), registered, anyCampaign), ['model "Model Y" is registered as "Model 3" (Model_3)']);
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

function selecting(fact: "make" | "model" | "hardware", value: string): CampaignDefinition {
  return definition({ selector: { [fact === "make" ? "makes" : fact === "model" ? "models" : "hardware"]: [value] } });
}

// review6 F2: values the lossy form held alike. Registered in the injective form, each is told apart: a vehicle
// registered as the first value that claims the second, to match a campaign selecting the second, is refused;
// the honest vehicle of each value is admitted by a campaign selecting it.
const ONCE_COLLIDING: Array<[string, "make" | "model" | "hardware", string, string]> = [
  ["brackets", "hardware", "hu-3 <EU>", "hu-3 (EU)"],
  ["accents", "make", "Citroën", "Citroén"],
  ["a plus", "hardware", "tcu+2", "tcu&2"],
  ["spaces and _ mixed", "model", "Model 3_X", "Model_3 X"],
  ["a space and _", "model", "Model 3", "Model_3"],
  ["= that looks like an escape", "hardware", "hu_3", "hu=5F3"],
];

for (const [what, fact, truth, claim] of ONCE_COLLIDING) {
  test(`F2: values the lossy form held alike are told apart (${what}: ${JSON.stringify(truth)} vs ${JSON.stringify(claim)})`, () => {
    const registered = { ...registeredHonda, [fact]: thingAttributeValue(truth), attributeForm: INJECTIVE_ATTRIBUTE_FORM };
    const liar = vehicle({ [fact]: claim });
    const campaign = selecting(fact, claim);
    assert.ok(matchesCampaign(campaign, liar), "the claim matches the campaign's selector");
    assert.is.not(thingAttributeValue(truth), thingAttributeValue(claim));
    const mismatches = registryMismatches(liar, registered, campaign);
    assert.is(mismatches.length, 1, mismatches.join("; "));
    // A marked thing's value is read exactly: named as the other value (even where the claim's old lossy form is the truth's new form).
    assert.match(mismatches[0]!, `${fact} ${JSON.stringify(claim)} is registered as ${JSON.stringify(truth)}`);
    const honest = vehicle({ [fact]: truth });
    assert.equal(registryMismatches(honest, registered, selecting(fact, truth)), [], "the true value is selectable");
  });
}

test("the reviewer's collide.mts: Citroën / hu-3 <EU> claiming Citroén / hu-3 (EU) is refused on both facts", () => {
  const registered = { vin: honda.vin, make: thingAttributeValue("Citroën"), model: "C4", hardware: thingAttributeValue("hu-3 <EU>"), modelYear: 2021 };
  const claimed = vehicle({ make: "Citroén", model: "C4", hardware: "hu-3 (EU)" });
  const campaign = definition({ selector: { makes: ["Citroén"], hardware: ["hu-3 (EU)"] } });
  assert.equal(registryMismatches(claimed, registered, campaign).map((each) => each.split(" ")[0]), ["make", "hardware"]);
});

test("plain values have the same form as before (no vehicle needs registering again), and pass; a value with a space (_) on an unmarked thing is lossy where selected", () => {
  const tesla = vehicle({ make: "Tesla", model: "Model 3", hardware: "TM3-HW3" });
  const registered = { vin: tesla.vin, make: "Tesla", model: "Model_3", hardware: "TM3-HW3" };
  assert.equal(registryMismatches(tesla, registered, definition({ selector: { makes: ["Tesla"], hardware: ["TM3-HW3"] } })), []);
  assert.match(registryMismatches(tesla, registered, selecting("model", "Model 3"))[0] ?? "", 'model "Model 3" is registered in the lossy form "Model_3"');
  const ford = vehicle({ make: "Ford", model: "F-150 Lightning", hardware: "F150L-SYNC4" });
  assert.equal(registryMismatches(ford, factsAsDescribed(ford), definition({ selector: { models: ["F-150 Lightning"], hardware: ["F150L-SYNC4"] } })), []);
});

test("a thing registered in the old lossy form still passes where the campaign does not select that fact (registered fleets keep working); where it does, refused, naming the remedy", () => {
  const citroen = vehicle({ make: "Citroën", model: "ë-C4", hardware: "hu_3" });
  const registered = { vin: citroen.vin, make: "Citro_n", model: "_-C4", hardware: "hu_3" };
  assert.equal(registryMismatches(citroen, registered, definition({ selector: { regions: ["eu-west"] } })), []);
  assert.equal(registryMismatches(citroen, registered, anyCampaign), []);
  const [make] = registryMismatches(citroen, registered, selecting("make", "Citroën"));
  assert.match(make ?? "", `make "Citroën" is registered in the lossy form "Citro_n", which several values share, and the campaign selects make: check the vehicle's papers for its make, then register it again with the value from them (fleetota vehicles reencode ${citroen.vin} --make <value from the papers> --checked-papers)`);
  assert.not.match(make ?? "", '--make "Citroën"', "the vehicle's claim is never offered as the value");
  assert.is(registryMismatches(citroen, registered, selecting("hardware", "hu_3")).length, 1, "hu_3 too: its lossy form is also hu 3's new one");
  // Once re-encoded (what `fleetota vehicles reencode` writes), selectable.
  assert.equal(registryMismatches(citroen, factsAsDescribed(citroen), selecting("make", "Citroën")), []);
});

test.run();
