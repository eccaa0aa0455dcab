/**
 * `fleetota vehicles` against the local cloud: registering from a CSR (the key never leaves the vehicle)
 * or with a key pair AWS IoT makes, bundles written owner-only, a CSV with bad lines (refused by line,
 * the rest registered), listing, re-encoding a registered fact, giving vehicles registered before the vehicle
 * thing type the type (retype), and revoking (no new credentials).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CreateThingCommand, CreateThingTypeCommand, DescribeThingCommand, IoTClient } from "@aws-sdk/client-iot";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { readVehicleBundle } from "../../../../identity/bundle.js";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import { fetchVehicleCredentials } from "../../../../identity/vehicle-credentials.js";
import { assertOwnerOnly, credentialsRefusal, identityWorkspaceForSuite, mode, vehicleIdentityOf } from "../support/identity-workspace.js";

const { workspace, fleetota, cloud } = identityWorkspaceForSuite(test, "vehicles");
const bundles = join(workspace, "bundles");
const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const C = "WP0ZZZ99ZTS392124";

test("register from the vehicle's CSR: an owner-only bundle without a private key, and the vehicle can upload with it", async () => {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(A);
  writeFileSync(join(workspace, "a.csr"), csrPem);

  const { code, json } = await fleetota("vehicles", "register", A, "--make", "Honda", "--model", "Accord", "--hardware", "tcu-2", "--csr", join(workspace, "a.csr"), "--out", bundles);

  assert.is(code, 0);
  assert.is(json.registered, 1);
  assert.is(json.privateKeysWritten, 0);
  const folder = join(bundles, A);
  assertOwnerOnly(bundles, folder);
  assert.equal(readdirSync(folder).sort(), ["bundle.json", "certificate.pem", "credentials-provider-ca.pem"]);
  const bundle = readVehicleBundle(folder, { privateKeyPem });
  assert.is(bundle.roleAlias, String(cloud().description.outputs.vehicle_role_alias));
  assert.is(bundle.telemetryPrefix, `telemetry/vehicle/${A}/`);
  assert.is(bundle.credentialsEndpoint, cloud().description.credentialsProvider!.endpoint);

  const credentials = await fetchVehicleCredentials(vehicleIdentityOf(folder, privateKeyPem));
  const s3 = new S3Client({ endpoint: bundle.s3Endpoint, region: bundle.region, forcePathStyle: true, credentials });
  await s3.send(new PutObjectCommand({ Bucket: bundle.bucket, Key: vehicleTelemetryKey(A, Date.now(), "cli-0"), Body: "x" }));
  s3.destroy();
});

test("register without a CSR: AWS IoT makes the key pair, which lands 0600 in the bundle and works", async () => {
  const { code, json } = await fleetota("vehicles", "register", B, "--make", "BMW", "--model", "M8", "--hardware", "tcu-3", "--out", bundles);

  assert.is(code, 0);
  assert.is(json.privateKeysWritten, 1);
  assert.is(mode(join(bundles, B, "private-key.pem")), "600");
  assert.ok((await fetchVehicleCredentials(vehicleIdentityOf(join(bundles, B)))).accessKeyId.startsWith("ASIA"));
});

test("a CSV registers its good lines and refuses the others by line, losing none; a second run leaves registered vehicles as they are", async () => {
  const { csrPem } = await createKeyAndCsr(C);
  mkdirSync(join(workspace, "csrs"), { recursive: true });
  writeFileSync(join(workspace, "csrs", `${C}.csr`), csrPem);
  writeFileSync(join(workspace, "csrs", "junk.csr"), "not a csr");
  const csv = [
    "vin,make,model,hardware,csr",
    `${C},Porsche,911,tcu-2,csrs/${C}.csr`,
    "1HGCM82633A004353,Honda,Accord,tcu-2,", // check digit wrong
    `${A},Honda,Accord,tcu-2,`, // registered by the first test
    "1FTFW1ET9DFC10312,Ford,,tcu-2,", // no model
    "2T1BURHEXJC043821,Toyota,Corolla,tcu-2,csrs/junk.csr",
    `${C},Porsche,911,tcu-2,`, // duplicate line
    "too,few",
  ].join("\n");
  writeFileSync(join(workspace, "fleet.csv"), `${csv}\n`);

  const first = await fleetota("vehicles", "register", "--csv", join(workspace, "fleet.csv"), "--out", bundles, "--max-per-second", "50");
  const second = await fleetota("vehicles", "register", "--csv", join(workspace, "fleet.csv"), "--out", bundles);

  assert.is(first.code, 0, first.err);
  assert.is(first.json.registered, 1);
  assert.is(first.json.alreadyRegistered, 1);
  assert.equal(first.json.refused.map((refusal: { line: number }) => refusal.line), [3, 5, 6, 7, 8]);
  assert.match(first.json.refused[0].reason, "position 9");
  assert.match(first.json.refused[1].reason, "model is missing");
  assert.match(first.json.refused[2].reason, "not a PEM certificate signing request");
  assert.match(first.json.refused[3].reason, "duplicate of line 2");
  assert.ok(existsSync(join(bundles, C, "certificate.pem")));
  assert.is(second.json.registered, 0);
  assert.is(second.json.alreadyRegistered, 2);
});

test("list shows the registered vehicles with their attributes", async () => {
  const { json } = await fleetota("vehicles", "list");

  assert.equal(
    json.vehicles.map((vehicle: { vin: string; make: string; hardware: string }) => [vehicle.vin, vehicle.make, vehicle.hardware]),
    [[A, "Honda", "tcu-2"], [B, "BMW", "tcu-3"], [C, "Porsche", "tcu-2"]].sort((x, y) => x[0]!.localeCompare(y[0]!)),
  );
});

test("reencode writes a registered fact in the injective attribute form, and refuses to change which fact is registered", async () => {
  const same = await fleetota("vehicles", "reencode", A, "--make", "Honda");
  const other = await fleetota("vehicles", "reencode", A, "--make", "Toyota");
  const unknown = await fleetota("vehicles", "reencode", "2T1BURHEXJC043821", "--make", "Toyota");

  assert.is(same.code, 0, same.err);
  assert.equal(same.json, { vin: A, attributes: { make: "Honda", attributeForm: "q1" } });
  assert.is.not(other.code, 0);
  assert.match(other.err, `make is registered as "Honda", not as "Toyota"; nothing changed`);
  assert.is.not(unknown.code, 0);
  assert.match(unknown.err, "is not a registered vehicle");
});

test("reencode of a thing in the lossy form: a value its lossy form shares with others only with --checked-papers (review10 R10-F1)", async () => {
  const iot = new IoTClient(cloud().clientConfig);
  try {
    const legacy = "VF7NXHMZ6PY500017";
    await iot.send(new CreateThingCommand({ thingName: legacy, attributePayload: { attributes: { make: "Citro_n", model: "C4", hardware: "hu_3" } } }));

    const unchecked = await fleetota("vehicles", "reencode", legacy, "--make", "Citroën", "--hardware", "hu_3");
    const untouched = (await iot.send(new DescribeThingCommand({ thingName: legacy }))).attributes;
    const checked = await fleetota("vehicles", "reencode", legacy, "--make", "Citroën", "--hardware", "hu_3", "--checked-papers");
    const thing = await iot.send(new DescribeThingCommand({ thingName: legacy }));

    assert.is.not(unchecked.code, 0);
    assert.match(unchecked.err, `make is registered in the lossy form "Citro_n", which "Citroën" shares with other values; nothing changed`);
    assert.match(unchecked.err, "--checked-papers");
    assert.equal(untouched, { make: "Citro_n", model: "C4", hardware: "hu_3" });
    assert.is(checked.code, 0, checked.err);
    assert.equal(checked.json, { vin: legacy, attributes: { make: "Citro=C3=ABn", hardware: "hu=5F3", attributeForm: "q1" } });
    assert.equal([thing.thingTypeName, thing.attributes], ["fleetota-dev-vehicle", { make: "Citro=C3=ABn", model: "C4", hardware: "hu=5F3", attributeForm: "q1" }]);
  } finally {
    iot.destroy();
  }
});

test("retype gives every untyped vehicle (registered before the thing type) the vehicle type; list marks them until then; other things are left alone", async () => {
  const iot = new IoTClient(cloud().clientConfig);
  const [legacy, foreign] = ["JH4KA7563NC000123", "3VWFE21C84M000456"];
  try {
    await iot.send(new CreateThingCommand({ thingName: legacy, attributePayload: { attributes: { make: "Toyota", model: "Corolla", hardware: "tcu-1" } } }));
    await iot.send(new CreateThingTypeCommand({ thingTypeName: "another-app-vehicle" }));
    await iot.send(new CreateThingCommand({ thingName: foreign, thingTypeName: "another-app-vehicle", attributePayload: { attributes: { make: "Tesla" } } }));

    const before = await fleetota("vehicles", "list");
    const retyped = await fleetota("vehicles", "retype");
    const named = await fleetota("vehicles", "retype", legacy, foreign);
    const after = await fleetota("vehicles", "list");

    assert.equal(before.json.vehicles.filter((vehicle: { untyped?: boolean }) => vehicle.untyped).map((vehicle: { vin: string }) => vehicle.vin), [legacy]);
    assert.not.ok(before.json.vehicles.some((vehicle: { vin: string }) => vehicle.vin === foreign), "a thing of another type is no vehicle");
    assert.is(retyped.code, 0, retyped.err);
    assert.equal(retyped.json, { thingTypeName: "fleetota-dev-vehicle", retyped: [legacy], alreadyTyped: [], notVehicles: [] });
    assert.equal([named.code, named.json.alreadyTyped, named.json.notVehicles], [0, [legacy], [foreign]]);
    assert.is((await iot.send(new DescribeThingCommand({ thingName: legacy }))).thingTypeName, "fleetota-dev-vehicle");
    assert.is((await iot.send(new DescribeThingCommand({ thingName: foreign }))).thingTypeName, "another-app-vehicle", "left as it is");
    assert.not.ok(after.json.vehicles.some((vehicle: { untyped?: boolean }) => vehicle.untyped));
  } finally {
    iot.destroy();
  }
});

test("revoke: the vehicle gets no new credentials; an unknown VIN is a clear error", async () => {
  const identity = vehicleIdentityOf(join(bundles, B));
  assert.is(await credentialsRefusal(identity), undefined, "it gets credentials before");

  const revoked = await fleetota("vehicles", "revoke", B);
  const unknown = await fleetota("vehicles", "revoke", "5YJ3E1EA2KF317000");

  assert.is(revoked.code, 0);
  assert.is(revoked.json.deactivated.length, 1);
  assert.is(await credentialsRefusal(identity), 403);
  assert.is(unknown.code, 1);
  assert.match(unknown.err, "is not a registered vehicle");
});

test.run();
