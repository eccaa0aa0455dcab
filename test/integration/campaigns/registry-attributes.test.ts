/**
 * F2 on the local cloud (AWS IoT things in moto, the update service's registry check through the real SDK): make,
 * model and hardware are registered in their injective attribute form by `fleetota vehicles register`'s own code,
 * so a campaign selecting make Citroën admits the Citroën and not a Citroén claiming to be one; a thing registered
 * in the old lossy form (`Citro_n`) is refused for that campaign, naming the remedy, until `vehicles reencode`
 * writes the same fact in the injective form; reencode never changes which fact is registered.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { createKeyAndCsr } from "../../../identity/certificates.js";
import { AttributeMigrationError, listVehicles, reencodeVehicleAttributes, registerVehicle } from "../../../identity/provisioning.js";
import { parseCampaignDefinition } from "../../../campaigns/model.js";
import { ActiveCampaigns, handleUpdateMessage, type UpdateServiceDeps } from "../../../campaigns/update-service.js";
import { UpdateTally } from "../../../campaigns/update-tally.js";
import { s3JobDocumentChannel } from "../../../campaigns/document-channel.js";
import { silentLog } from "../../../lib/logger.js";
import { startLocalCloud, type LocalCloud } from "../../../local/cloud.js";
import type { UpdateMessage } from "../../../contracts/update-messages.js";
import { INJECTIVE_ATTRIBUTE_FORM } from "../../../contracts/vehicle-identity.js";
import { campaignWorld, candidate, command, registerVehicles, releaseFirmware, snapshot, vinNumber, type CampaignWorld } from "./support/world.js";

let cloud: LocalCloud;
let world: CampaignWorld;
let deps: UpdateServiceDeps;
let campaignId = "";
const [citroen, impostor, legacy] = [vinNumber(960), vinNumber(961), vinNumber(962)];
const logged: Array<Record<string, unknown>> = [];

async function register(vin: string, make: string): Promise<void> {
  const { csrPem } = await createKeyAndCsr(vin);
  await registerVehicle(world.iot, { iotPolicyName: String(cloud.description.outputs.vehicle_iot_policy), thingTypeName: world.vehicleThingType }, { vin, make, model: "ë-C4", hardware: "hu-3 (EU)", modelYear: 2022 }, { csrPem });
}

async function deliver(...messages: UpdateMessage[]): Promise<void> {
  const active = new ActiveCampaigns(deps.store);
  for (const message of messages) await handleUpdateMessage(deps, message, active);
}

/** The vehicle's telemetry says make Citroën (what it claims; the registry decides). */
const claimsCitroen = (vin: string) => candidate(snapshot(vin, { make: "Citroën", model: "ë-C4", hardware: "hu-3 (EU)", modelYear: 2022, observedAt: new Date(Date.now() + logged.length).toISOString() }));

test.before(async () => {
  cloud = await startLocalCloud({ runtime: false, stateFile: false });
  world = await campaignWorld(cloud);
  const log = { ...silentLog, warn: (message: string, detail?: Record<string, unknown>) => logged.push({ message, ...detail }) };
  const documents = s3JobDocumentChannel({ s3: world.s3, kms: world.kms, bucket: world.bucket, log: silentLog, refreshMs: 0 });
  deps = { store: world.store, documents, tally: new UpdateTally(), registry: world.registry, log: log as typeof silentLog, now: () => new Date() };
  await releaseFirmware(world, "2.4.0", ["hu-3 (EU)"]);
  const campaign = await world.store.campaigns.create(parseCampaignDefinition({ name: "Citroën only", targetVersion: "2.4.0", selector: { makes: ["Citroën"], hardware: ["hu-3 (EU)"] } }), { now: new Date().toISOString() });
  campaignId = campaign.campaignId;
  await deliver(command(campaignId, "start"));
});

test.after(async () => {
  await cloud?.stop();
});

test("registered with vehicles register's code, the Citroën is selectable by make: admitted; its thing holds the injective form, listed as its text", async () => {
  await register(citroen, "Citroën");
  await deliver(claimsCitroen(citroen));

  assert.ok(await world.store.jobs.get(campaignId, citroen), "admitted: a job exists");
  const pages = [];
  for await (const page of listVehicles(world.iot, world.vehicleThingType)) pages.push(...page);
  const listed = pages.find((vehicle) => vehicle.vin === citroen);
  assert.equal([listed?.make, listed?.model, listed?.hardware], ["Citroën", "ë-C4", "hu-3 (EU)"]);
  const described = await world.registry.describe(citroen);
  assert.equal([described?.make, described?.hardware, described?.attributeForm], ["Citro=C3=ABn", "hu-3_=28EU=29", INJECTIVE_ATTRIBUTE_FORM]);
});

test("a Citroén claiming make Citroën to get into the campaign is not admitted (description-mismatch, naming both values)", async () => {
  await register(impostor, "Citroén");
  await deliver(claimsCitroen(impostor));

  assert.is(await world.store.jobs.get(campaignId, impostor), undefined, "no job");
  assert.is(deps.tally.refusedCandidates.get("description-mismatch"), 1);
  const refusal = logged.find((entry) => entry.vin === impostor || JSON.stringify(entry).includes(impostor));
  assert.match(JSON.stringify(refusal?.mismatches ?? refusal), 'make \\"Citroën\\" is registered as \\"Citroén\\" (Citro=C3=A9n)');
});

test("a thing registered in the old lossy form (Citro_n) is refused where the campaign selects make, naming the remedy without the claim; reencode takes the papers' values only with --checked-papers, and then it is admitted", async () => {
  await registerVehicles(world, [{ vin: legacy, make: "Citro_n", model: "_-C4", hardware: "hu-3__EU_", modelYear: 2022 }]);
  await deliver(claimsCitroen(legacy));
  assert.is(await world.store.jobs.get(campaignId, legacy), undefined);
  const refusal = JSON.stringify(logged.at(-1));
  assert.match(refusal, `registered in the lossy form \\"Citro_n\\", which several values share`);
  assert.match(refusal, `check the vehicle's papers for its make, then register it again with the value from them (fleetota vehicles reencode ${legacy} --make <value from the papers> --checked-papers)`);
  assert.not.match(refusal, "--make \\\"Citroën\\\"", "the vehicle's claim is not offered as the value");

  const facts = { make: "Citroën", model: "ë-C4", hardware: "hu-3 (EU)" };
  const unchecked = await reencodeVehicleAttributes(world.iot, legacy, facts, world.vehicleThingType).catch((error: unknown) => error);
  assert.instance(unchecked, AttributeMigrationError);
  assert.match((unchecked as Error).message, "--checked-papers");
  assert.equal((await world.registry.describe(legacy))?.make, "Citro_n", "nothing written without the flag");

  const written = await reencodeVehicleAttributes(world.iot, legacy, facts, world.vehicleThingType, { checkedPapers: true });
  await deliver(claimsCitroen(legacy));

  assert.equal(written, { make: "Citro=C3=ABn", model: "=C3=AB-C4", hardware: "hu-3_=28EU=29", attributeForm: INJECTIVE_ATTRIBUTE_FORM });
  assert.ok(await world.store.jobs.get(campaignId, legacy), "admitted once re-encoded");
});

test("reencode never changes which fact is registered: the Citroén cannot be re-encoded as a Citroën", async () => {
  const refused = await reencodeVehicleAttributes(world.iot, impostor, { make: "Citroën" }, world.vehicleThingType, { checkedPapers: true }).catch((error: unknown) => error);
  assert.instance(refused, AttributeMigrationError);
  assert.match((refused as Error).message, `${impostor}: make is registered as "Citro=C3=A9n", not as "Citroën"; nothing changed`);
  assert.is((await world.registry.describe(impostor))?.make, "Citro=C3=A9n");
});

test.run();
