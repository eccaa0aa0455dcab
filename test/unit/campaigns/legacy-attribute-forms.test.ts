/**
 * review10 R10-F1 / R10-F2, the attacks tried again (they passed before the fix): things registered before the
 * injective form hold the lossy form (`legacyAttributeValue`), which many values share.
 * - F1: the refusal named the vehicle's own claim as the value to reencode with, and `reencode` took any value whose
 *   lossy form the thing holds, so a Citroén registered as `Citro_n` became a registered Citroën. Now the refusal
 *   names no value, and reencode takes a value that differs from its lossy form only with `--checked-papers`.
 * - F2: a lossy `hu_3` also read as the injective form of `hu 3`, so a vehicle claiming `hu 3` matched exactly. Now a
 *   thing without the `attributeForm` marker (registration and reencode write it) has every value holding `_`/`=`
 *   read as lossy.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { IoTClient } from "@aws-sdk/client-iot";
import { parseCampaignDefinition } from "../../../campaigns/model.js";
import { registryMismatches, type RegisteredVehicleFacts } from "../../../campaigns/registry-check.js";
import { INJECTIVE_ATTRIBUTE_FORM, legacyAttributeValue, thingAttributeValue } from "../../../contracts/vehicle-identity.js";
import { AttributeMigrationError, reencodeVehicleAttributes } from "../../../identity/provisioning.js";
import { iotVehicleRegistry } from "../../../functions/update-manager/vehicle-registry.js";

const vin = "VF7NXHMZ6PY500017";
const thingType = "fleetota-dev-vehicle";
const snapshot = (overrides: Record<string, unknown>) => ({
  vin, make: "Citroën", model: "C4", modelYear: 2021, region: "eu-west", hardware: "hu-3", firmwareVersion: "2.3.0",
  parked: true, stateOfCharge: 80, connectivity: "good" as const, observedAt: "2026-12-02T12:00:00Z", ...overrides,
});
const citroenOnly = parseCampaignDefinition({ name: "citroen-only", targetVersion: "2.4.0", selector: { makes: ["Citroën"] } });

/** An IoT client holding one thing: DescribeThing answers it, UpdateThing (merge) changes it. */
function oneThing(attributes: Record<string, string>, thingTypeName?: string) {
  const thing = { attributes: { ...attributes }, thingTypeName };
  const updates: unknown[] = [];
  const iot = {
    send: async (command: { constructor: { name: string }; input: any }) => {
      if (command.constructor.name === "DescribeThingCommand") return { thingName: vin, thingTypeName: thing.thingTypeName, attributes: { ...thing.attributes } };
      if (command.constructor.name === "UpdateThingCommand") {
        updates.push(command.input);
        thing.thingTypeName = command.input.thingTypeName;
        Object.assign(thing.attributes, command.input.attributePayload.attributes);
        return {};
      }
      throw new Error(`unexpected ${command.constructor.name}`);
    },
  } as unknown as IoTClient;
  return { iot, thing, updates };
}

const refusal = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as Error);

test("R10-F1: the refusal of a Citroén registered before F2 and claiming Citroën names no value to reencode with", () => {
  const registered = { vin, make: legacyAttributeValue("Citroén"), model: "C4", hardware: "hu-3", modelYear: 2021 }; // make "Citro_n"
  const [mismatch, ...rest] = registryMismatches(snapshot({ make: "Citroën" }), registered, citroenOnly);
  assert.equal(rest, []);
  assert.not.match(mismatch ?? "", '--make "Citroën"', "the claim is not offered as the value");
  assert.match(mismatch ?? "", "which several values share");
  assert.match(mismatch ?? "", "check the vehicle's papers for its make");
  assert.match(mismatch ?? "", `fleetota vehicles reencode ${vin} --make <value from the papers> --checked-papers`);
});

test("R10-F1: reencode refuses a value that its lossy form shares with others unless --checked-papers, and writes nothing", async () => {
  const { iot, thing, updates } = oneThing({ make: "Citro_n", model: "C4", hardware: "hu-3", modelYear: "2021" }, thingType);
  const error = await refusal(reencodeVehicleAttributes(iot, vin, { make: "Citroën" }, thingType));
  assert.instance(error, AttributeMigrationError);
  assert.match(error!.message, `${vin}: make is registered in the lossy form "Citro_n", which "Citroën" shares with other values; nothing changed`);
  assert.match(error!.message, "--checked-papers");
  assert.equal(updates, []);
  assert.is(thing.attributes.make, "Citro_n");
  // So the lying vehicle is still refused.
  assert.is(registryMismatches(snapshot({ make: "Citroën" }), { vin, make: thing.attributes.make, model: "C4", hardware: "hu-3", modelYear: 2021 }, citroenOnly).length, 1);
});

test("R10-F1: with --checked-papers (the operator read the papers) reencode writes the injective form and the marker", async () => {
  const { iot, thing } = oneThing({ make: "Citro_n", model: "C4", hardware: "hu-3" });
  const written = await reencodeVehicleAttributes(iot, vin, { make: "Citroén" }, thingType, { checkedPapers: true });
  assert.equal(written, { make: "Citro=C3=A9n", attributeForm: INJECTIVE_ATTRIBUTE_FORM });
  assert.is(thing.thingTypeName, thingType, "an untyped vehicle gets the type in the same write");
  const registered = await iotVehicleRegistry(iot, thingType).describe(vin);
  assert.is(registered?.attributeForm, INJECTIVE_ATTRIBUTE_FORM, "the registry carries the marker through");
  assert.match(registryMismatches(snapshot({ make: "Citroën" }), registered!, citroenOnly)[0] ?? "", 'make "Citroën" is registered as "Citroén" (Citro=C3=A9n)');
});

test("reencode: even a legacy value equal to its own lossy form needs the flag (hu_3 may be hu 3); one whose facts are not all given is refused (the marker covers them all)", async () => {
  const { iot, thing } = oneThing({ make: "Honda", model: "Model_3", hardware: "hu_3" }, thingType);
  const partial = await refusal(reencodeVehicleAttributes(iot, vin, { hardware: "hu_3" }, thingType, { checkedPapers: true }));
  assert.instance(partial, AttributeMigrationError);
  assert.match(partial!.message, 'give --model (registered as "Model_3") too');
  const ambiguous = await refusal(reencodeVehicleAttributes(iot, vin, { hardware: "hu_3", model: "Model 3" }, thingType));
  assert.match(ambiguous!.message, "--checked-papers", "Model 3 shares Model_3 with Model_3 itself");
  const unflagged = await refusal(reencodeVehicleAttributes(iot, vin, { hardware: "hu_3", model: "Model_3" }, thingType));
  assert.match(unflagged!.message, 'model is registered in the lossy form "Model_3", which "Model_3" shares with other values', "Model_3 may be Model 3");
  const hardwareOnly = oneThing({ make: "Honda", model: "C4", hardware: "hu_3" }, thingType);
  const unflaggedHardware = await refusal(reencodeVehicleAttributes(hardwareOnly.iot, vin, { hardware: "hu_3" }, thingType));
  assert.match(unflaggedHardware!.message, 'hardware is registered in the lossy form "hu_3", which "hu_3" shares with other values', "hu_3 may be hu 3");
  assert.equal(hardwareOnly.updates, [], "nothing written");
  assert.is(thing.attributes.hardware, "hu_3", "nothing written");
  const written = await reencodeVehicleAttributes(iot, vin, { hardware: "hu_3", model: "Model_3" }, thingType, { checkedPapers: true });
  assert.equal(written, { model: "Model=5F3", hardware: "hu=5F3", attributeForm: INJECTIVE_ATTRIBUTE_FORM });
  assert.is(thing.attributes.make, "Honda");
});

test("reencode on a marked thing: the value must be the one registered (no lossy reading), the flag changes nothing", async () => {
  const { iot } = oneThing({ make: "Citro=C3=A9n", model: "C4", hardware: "hu_3", attributeForm: INJECTIVE_ATTRIBUTE_FORM }, thingType);
  const error = await refusal(reencodeVehicleAttributes(iot, vin, { make: "Citroën", hardware: "hu_3" }, thingType, { checkedPapers: true }));
  assert.match(error!.message, 'make is registered as "Citro=C3=A9n", not as "Citroën"; nothing changed');
  const same = await reencodeVehicleAttributes(iot, vin, { make: "Citroén" }, thingType);
  assert.equal(same, { make: "Citro=C3=A9n", attributeForm: INJECTIVE_ATTRIBUTE_FORM });
});

test("R10-F2: an unmarked thing's hu_3 is lossy, never hu 3's exact form: a vehicle claiming hu 3 is refused where a campaign selects hardware", () => {
  const registered: RegisteredVehicleFacts = { vin, make: "Citro=C3=ABn", model: "C4", hardware: legacyAttributeValue("hu_3"), modelYear: 2021 };
  const selectingHu3 = parseCampaignDefinition({ name: "hu 3 only", targetVersion: "2.4.0", selector: { hardware: ["hu 3"] } });
  const [mismatch, ...rest] = registryMismatches(snapshot({ hardware: "hu 3" }), registered, selectingHu3);
  assert.equal(rest, []);
  assert.match(mismatch ?? "", 'hardware "hu 3" is registered in the lossy form "hu_3"');
  // The honest hu_3 is refused the same way where selected, and both pass where hardware is not selected.
  const selectingHu_3 = parseCampaignDefinition({ name: "hu_3 only", targetVersion: "2.4.0", selector: { hardware: ["hu_3"] } });
  assert.match(registryMismatches(snapshot({ hardware: "hu_3" }), registered, selectingHu_3)[0] ?? "", /lossy form/);
  const anyHardware = parseCampaignDefinition({ name: "any", targetVersion: "2.4.0" });
  assert.equal(registryMismatches(snapshot({ hardware: "hu_3" }), registered, anyHardware), []);
  // A value that is neither form of the claim is still a plain mismatch.
  assert.match(registryMismatches(snapshot({ hardware: "hu-4" }), registered, anyHardware)[0] ?? "", 'hardware "hu-4" is registered as "hu_3"');
});

test("R10-F2: a marked thing matches exactly where the campaign selects the fact (hu 3 registered is hu 3; hu_3 claiming it is refused)", () => {
  const registered: RegisteredVehicleFacts = { vin, make: thingAttributeValue("Citroën"), model: "C4", hardware: thingAttributeValue("hu 3"), modelYear: 2021, attributeForm: INJECTIVE_ATTRIBUTE_FORM };
  const selectingHu3 = parseCampaignDefinition({ name: "hu 3 only", targetVersion: "2.4.0", selector: { makes: ["Citroën"], hardware: ["hu 3"] } });
  assert.equal(registryMismatches(snapshot({ hardware: "hu 3" }), registered, selectingHu3), []);
  assert.match(registryMismatches(snapshot({ hardware: "hu_3" }), registered, selectingHu3)[0] ?? "", 'hardware "hu_3" is registered as "hu 3" (hu_3)');
});

test.run();
