/**
 * Vehicle and gateway thing types on the local cloud, tried as an attacker would. AWS IoT holds at most 3
 * attributes on an untyped thing (50 on a typed one) and a vehicle has 4, so vehicles are things of the vehicle
 * thing type; the emulator refuses what AWS refuses (an untyped thing with 4 attributes), so registering untyped
 * would fail here as it does on AWS. Vehicles and gateways are told apart by the exact name of their type: a
 * gateway's thing, or a thing of any other type, named like a vehicle is no vehicle (registry check, listing,
 * revoke, reencode, retype, credentials), and a vehicle's thing, typed or untyped, is no gateway. An untyped
 * vehicle registered before the type still counts as a vehicle until `retype` gives it the type, keeping its
 * certificate and its credentials.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  CreateThingCommand,
  CreateThingTypeCommand,
  DescribeCertificateCommand,
  DescribeThingCommand,
  IoTClient,
  UpdateThingCommand,
} from "@aws-sdk/client-iot";
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import {
  isGateway,
  listGateways,
  listVehicles,
  reencodeVehicleAttributes,
  registerGateway,
  registerVehicle,
  retypeVehicle,
  revokeGateway,
  revokeVehicle,
  VehicleNotFoundError,
  GatewayNotFoundError,
  type ListedVehicle,
} from "../../../../identity/provisioning.js";
import { fetchVehicleCredentials, type VehicleIdentityMaterial } from "../../../../identity/vehicle-credentials.js";
import { iotVehicleRegistry } from "../../../../functions/update-manager/vehicle-registry.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { clientsWith, refusal } from "./support/vehicles.js";

const TYPED = "1HGCM82633A004352";
const LEGACY = "1M8GDM9AXKP042788";
/** A thing of the gateway type named like a vehicle (an operator's slip, or someone passing a gateway off as a vehicle). */
const GATEWAY_NAMED_LIKE_A_VIN = "WP0ZZZ99ZTS392124";
/** A thing of another type (another stack's vehicle type) named like a vehicle, with a vehicle's attributes. */
const OTHER_TYPE_VIN = "5YJ3E1EA2KF317000";
const GATEWAY = "gw-depot-7";
const FACTS = { make: "Honda", model: "Accord", hardware: "tcu-2" } as const;

let world: TestCloud;
let iot: IoTClient;
let vehicleType: string;
let gatewayType: string;
const certificates = new Map<string, string>();
/** What `certifiedThing` gave each thing's device, so a test can ask for credentials again. */
const materials = new Map<string, VehicleIdentityMaterial>();

/** A thing made with raw IoT calls (as a script, a console click or an older FleetOTA would), its own certificate carrying the vehicle IoT policy. */
async function certifiedThing(thingName: string, thingTypeName: string | undefined, attributes: Record<string, string>): Promise<VehicleIdentityMaterial> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(thingName);
  await iot.send(new CreateThingCommand({ thingName, ...(thingTypeName ? { thingTypeName } : {}), attributePayload: { attributes } }));
  const certificate = await iot.send(new CreateCertificateFromCsrCommand({ certificateSigningRequest: csrPem, setAsActive: true }));
  await iot.send(new AttachPolicyCommand({ policyName: world.outputs.vehicle_iot_policy!, target: certificate.certificateArn! }));
  await iot.send(new AttachThingPrincipalCommand({ thingName, principal: certificate.certificateArn! }));
  certificates.set(thingName, certificate.certificateId!);
  const provider = world.cloud.description.credentialsProvider!;
  const material = { vin: thingName, certificatePem: certificate.certificatePem!, privateKeyPem, credentialsEndpoint: provider.endpoint, roleAlias: world.outputs.vehicle_role_alias!, caCertificatePem: provider.caCertificatePem };
  materials.set(thingName, material);
  return material;
}

async function iotError(work: Promise<unknown>): Promise<{ name: string; status?: number; message: string }> {
  try {
    await work;
  } catch (error) {
    return { name: (error as Error).name, status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode, message: (error as Error).message };
  }
  throw new Error("expected a refusal, the request succeeded");
}

async function described(thingName: string) {
  return iot.send(new DescribeThingCommand({ thingName }));
}

async function certificateStatus(thingName: string): Promise<string | undefined> {
  return (await iot.send(new DescribeCertificateCommand({ certificateId: certificates.get(thingName)! }))).certificateDescription?.status;
}

async function allVehicles(): Promise<ListedVehicle[]> {
  const listed: ListedVehicle[] = [];
  for await (const page of listVehicles(iot, vehicleType)) listed.push(...page);
  return listed;
}

const ownTelemetry = (vin: string) => new PutObjectCommand({ Bucket: world.outputs.data_bucket_name!, Key: vehicleTelemetryKey(vin, Date.now(), "types"), Body: "x" });

test.before(async () => {
  world = await startTestCloud();
  iot = new IoTClient(world.cloud.clientConfig);
  vehicleType = world.outputs.vehicle_thing_type!;
  gatewayType = world.outputs.gateway_thing_type!;
  await iot.send(new CreateThingTypeCommand({ thingTypeName: "fleetota-prod-vehicle" }));
  const { csrPem } = await createKeyAndCsr(GATEWAY);
  const gateway = await registerGateway(iot, world.outputs.gateway_iot_policy!, { gatewayId: GATEWAY, thingTypeName: gatewayType }, { csrPem });
  certificates.set(GATEWAY, gateway.certificateId);
});

test.after(async () => {
  iot?.destroy();
  await world?.stop();
});

test("the stack's vehicle thing type exists in the local cloud, apart from the gateway type", () => {
  assert.is(vehicleType, "fleetota-dev-vehicle");
  assert.is.not(vehicleType, gatewayType);
});

test("the emulator refuses an untyped thing with 4 attributes as AWS does (InvalidRequestException, 400) and creates nothing; 3 untyped, or 4 typed, are fine", async () => {
  const four = { ...FACTS, modelYear: "2021" };
  const refused = await iotError(iot.send(new CreateThingCommand({ thingName: "1FTFW1ET5DFC10312", attributePayload: { attributes: four } })));

  assert.equal([refused.name, refused.status], ["InvalidRequestException", 400]);
  assert.match(refused.message, "at most 3 attributes");
  assert.is((await iotError(described("1FTFW1ET5DFC10312"))).name, "ResourceNotFoundException");
  await iot.send(new CreateThingCommand({ thingName: "1FTFW1ET5DFC10313", attributePayload: { attributes: FACTS } }));
  await iot.send(new CreateThingCommand({ thingName: "1FTFW1ET5DFC10314", thingTypeName: vehicleType, attributePayload: { attributes: four } }));
  const fiftyOne = Object.fromEntries(Array.from({ length: 51 }, (_, index) => [`a${index}`, "x"]));
  assert.is((await iotError(iot.send(new CreateThingCommand({ thingName: "1FTFW1ET5DFC10315", thingTypeName: vehicleType, attributePayload: { attributes: fiftyOne } })))).name, "InvalidRequestException");
});

test("UpdateThing that would leave an untyped thing with 4 attributes is refused and changes nothing, adding one, or removing the type of a typed thing; with the type in the same call it is fine", async () => {
  const untyped = "1FTFW1ET5DFC10313"; // 3 attributes, untyped (above)
  const typed = "1FTFW1ET5DFC10314"; // 4 attributes, the vehicle type (above)

  const added = await iotError(iot.send(new UpdateThingCommand({ thingName: untyped, attributePayload: { attributes: { modelYear: "2021" }, merge: true } })));
  const removed = await iotError(iot.send(new UpdateThingCommand({ thingName: typed, removeThingType: true })));

  assert.equal([added.name, removed.name], ["InvalidRequestException", "InvalidRequestException"]);
  assert.equal(Object.keys((await described(untyped)).attributes ?? {}).sort(), ["hardware", "make", "model"]);
  assert.is((await described(typed)).thingTypeName, vehicleType);
  await iot.send(new UpdateThingCommand({ thingName: untyped, thingTypeName: vehicleType, attributePayload: { attributes: { modelYear: "2021" }, merge: true } }));
  assert.equal([(await described(untyped)).thingTypeName, (await described(untyped)).attributes?.modelYear], [vehicleType, "2021"]);
});

test("vehicles register's code makes a thing of the vehicle type with all 4 attributes and the form marker (untyped, AWS and now the emulator refuse it)", async () => {
  const { csrPem } = await createKeyAndCsr(TYPED);
  const registered = await registerVehicle(iot, { iotPolicyName: world.outputs.vehicle_iot_policy!, thingTypeName: vehicleType }, { vin: TYPED, ...FACTS, modelYear: 2021 }, { csrPem });
  certificates.set(TYPED, registered.certificateId);
  const thing = await described(TYPED);

  assert.is(thing.thingTypeName, vehicleType);
  assert.equal(thing.attributes, { make: "Honda", model: "Accord", hardware: "tcu-2", modelYear: "2021", attributeForm: "q1" });
  assert.equal(await iotVehicleRegistry(iot, vehicleType).describe(TYPED), { vin: TYPED, ...FACTS, modelYear: 2021, attributeForm: "q1" });
  const listed = (await allVehicles()).find((vehicle) => vehicle.vin === TYPED);
  assert.equal(listed, { vin: TYPED, ...FACTS, modelYear: 2021 });
  const refused = await iotError(registerVehicle(iot, { iotPolicyName: world.outputs.vehicle_iot_policy!, thingTypeName: "" }, { vin: "1FTFW1ET9DFC10312", ...FACTS, modelYear: 2021 }));
  assert.is(refused.name, "InvalidRequestException", "registered untyped, as before, the emulator refuses it as AWS does");
});

test("a gateway's thing, or one of the gateway type named like a VIN, is no vehicle: not in the registry or the list, not revoked, re-encoded or retyped as one", async () => {
  await certifiedThing(GATEWAY_NAMED_LIKE_A_VIN, gatewayType, FACTS);
  const registry = iotVehicleRegistry(iot, vehicleType);

  for (const name of [GATEWAY, GATEWAY_NAMED_LIKE_A_VIN]) {
    assert.is(await registry.describe(name), undefined, name);
    assert.instance(await revokeVehicle(iot, name, vehicleType).catch((error: unknown) => error), VehicleNotFoundError, name);
    assert.instance(await reencodeVehicleAttributes(iot, name, { make: "Honda" }, vehicleType).catch((error: unknown) => error), VehicleNotFoundError, name);
    assert.instance(await retypeVehicle(iot, name, vehicleType).catch((error: unknown) => error), VehicleNotFoundError, name);
    assert.is((await described(name)).thingTypeName, gatewayType, `${name} keeps its type`);
    assert.is(await certificateStatus(name), "ACTIVE", `${name}'s certificate is left alone`);
  }
  const vins = (await allVehicles()).map((vehicle) => vehicle.vin);
  assert.not.ok(vins.includes(GATEWAY) || vins.includes(GATEWAY_NAMED_LIKE_A_VIN), vins.join(", "));
  // With vehicle credentials (its certificate carries the vehicle IoT policy), it may not write the VIN's telemetry.
  const credentials = await fetchVehicleCredentials(materials.get(GATEWAY_NAMED_LIKE_A_VIN)!);
  assert.equal(await refusal(clientsWith(world, credentials).s3.send(ownTelemetry(GATEWAY_NAMED_LIKE_A_VIN))), { name: "AccessDenied", status: 403 });
});

test("a thing of another type (another stack's vehicle type) named like a VIN with a vehicle's attributes is neither a vehicle nor a gateway, and its vehicle credentials allow nothing", async () => {
  const material = await certifiedThing(OTHER_TYPE_VIN, "fleetota-prod-vehicle", FACTS);

  assert.is(await iotVehicleRegistry(iot, vehicleType).describe(OTHER_TYPE_VIN), undefined);
  assert.not.ok((await allVehicles()).some((vehicle) => vehicle.vin === OTHER_TYPE_VIN));
  assert.not.ok(await isGateway(iot, OTHER_TYPE_VIN, gatewayType));
  const credentials = await fetchVehicleCredentials(material);
  assert.equal(await refusal(clientsWith(world, credentials).s3.send(ownTelemetry(OTHER_TYPE_VIN))), { name: "AccessDenied", status: 403 });
});

test("a vehicle's thing, typed or untyped, is no gateway: not listed, bound or revoked as one", async () => {
  await certifiedThing(LEGACY, undefined, FACTS);
  for (const name of [TYPED, LEGACY]) {
    assert.not.ok(await isGateway(iot, name, gatewayType), name);
    assert.instance(await revokeGateway(iot, name, gatewayType).catch((error: unknown) => error), GatewayNotFoundError, name);
    assert.is(await certificateStatus(name), "ACTIVE", `${name}'s certificate is left alone`);
  }
  const gateways: string[] = [];
  for await (const page of listGateways(iot, gatewayType)) gateways.push(...page.map((gateway) => gateway.gatewayId));
  assert.equal(gateways.sort(), [GATEWAY_NAMED_LIKE_A_VIN, GATEWAY].sort(), "the things of the gateway type, no vehicle");
});

test("an untyped vehicle registered before the type still counts (registry, list marked untyped, credentials); retype gives it the type, keeping its attributes, certificate and credentials", async () => {
  const material = materials.get(LEGACY)!;
  assert.equal(await iotVehicleRegistry(iot, vehicleType).describe(LEGACY), { vin: LEGACY, ...FACTS });
  assert.equal((await allVehicles()).find((vehicle) => vehicle.vin === LEGACY), { vin: LEGACY, ...FACTS, untyped: true });
  await clientsWith(world, await fetchVehicleCredentials(material)).s3.send(ownTelemetry(LEGACY));

  assert.is(await retypeVehicle(iot, LEGACY, vehicleType), true);

  const thing = await described(LEGACY);
  assert.equal([thing.thingTypeName, thing.attributes], [vehicleType, FACTS]);
  assert.is(await retypeVehicle(iot, LEGACY, vehicleType), false, "already of the type");
  assert.equal((await allVehicles()).find((vehicle) => vehicle.vin === LEGACY), { vin: LEGACY, ...FACTS });
  const credentials = await fetchVehicleCredentials(material);
  assert.is(world.cloud.identity.sessions.find(credentials.accessKeyId)?.thingTypeName, vehicleType, "the session carries the vehicle type");
  await clientsWith(world, credentials).s3.send(ownTelemetry(LEGACY));
  assert.is(await certificateStatus(LEGACY), "ACTIVE");
  assert.equal(await revokeVehicle(iot, LEGACY, vehicleType), [certificates.get(LEGACY)!], "and it is revoked as a vehicle");
});

test.run();
