/**
 * `fleetota gateways` against the local cloud: registering from a CSR or with a key pair AWS IoT makes,
 * bundles written owner-only, ids that are not gateway ids (a VIN among them) refused, listing (apart
 * from the vehicles), binding and unbinding the VINs a gateway may carry, and revoking (no new credentials;
 * a vehicle cannot be revoked as a gateway).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { readGatewayBundle } from "../../../../identity/bundle.js";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import { fetchVehicleCredentials } from "../../../../identity/vehicle-credentials.js";
import { assertOwnerOnly, credentialsRefusal, gatewayIdentityOf, identityWorkspaceForSuite, mode } from "../support/identity-workspace.js";

const { workspace, fleetota, cloud } = identityWorkspaceForSuite(test, "gateways");
const bundles = join(workspace, "gateways");
const G = "gw-depot-7";
const K = "gw-keypair";
const VIN = "1HGCM82633A004352";

test("register from the gateway's CSR: an owner-only bundle for the gateway alias, and it uploads under its own prefix only", async () => {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(G);
  writeFileSync(join(workspace, "g.csr"), csrPem);

  const { code, json, err } = await fleetota("gateways", "register", G, "--csr", join(workspace, "g.csr"), "--site", "depot-hamburg", "--out", bundles);

  assert.is(code, 0, err);
  assert.is(json.gatewayId, G);
  assert.is(json.privateKeyWritten, false);
  const folder = join(bundles, G);
  assertOwnerOnly(bundles, folder);
  assert.equal(readdirSync(folder).sort(), ["bundle.json", "certificate.pem", "credentials-provider-ca.pem"]);
  const bundle = readGatewayBundle(folder, { privateKeyPem });
  assert.is(bundle.roleAlias, String(cloud().description.outputs.gateway_role_alias));
  assert.is(bundle.telemetryPrefix, `telemetry/fleet/${G}/`);
  assert.not.ok("jobDocumentKey" in bundle, "a gateway reads no job document");

  const s3 = new S3Client({ endpoint: bundle.s3Endpoint, region: bundle.region, forcePathStyle: true, credentials: await fetchVehicleCredentials(gatewayIdentityOf(folder, privateKeyPem)) });
  await s3.send(new PutObjectCommand({ Bucket: bundle.bucket, Key: fleetTelemetryKey(G, Date.now(), "cli-0"), Body: "x" }));
  const forged = await s3.send(new PutObjectCommand({ Bucket: bundle.bucket, Key: vehicleTelemetryKey(VIN, Date.now(), "cli-0"), Body: "x" })).catch((error: Error) => error.name);
  assert.is(forged, "AccessDenied");
  s3.destroy();
});

test("register without a CSR: AWS IoT makes the key pair, which lands 0600 in the bundle and works", async () => {
  const { code, json } = await fleetota("gateways", "register", K, "--out", bundles);

  assert.is(code, 0);
  assert.is(json.privateKeyWritten, true);
  assert.is(mode(join(bundles, K, "private-key.pem")), "600");
  assert.ok((await fetchVehicleCredentials(gatewayIdentityOf(join(bundles, K)))).accessKeyId.startsWith("ASIA"));
});

test("ids that are not gateway ids are refused before anything is created: a VIN, upper case, no gw-; a registered id is refused too", async () => {
  for (const id of [VIN, VIN.toLowerCase(), "GW-DEPOT", "depot-7", "gw-", "gw-a/b"]) {
    const { code, err } = await fleetota("gateways", "register", id, "--out", bundles);
    assert.is(code, 1, id);
    assert.match(err, "is not gw- then lowercase letters and digits");
  }
  const again = await fleetota("gateways", "register", G, "--out", bundles);
  assert.is(again.code, 1);
  assert.match(again.err, "already registered");
  assert.equal(readdirSync(bundles).sort(), [G, K]);
});

test("list shows the gateways with their site, and vehicles list does not show them", async () => {
  const vehicle = await fleetota("vehicles", "register", VIN, "--make", "Honda", "--model", "Accord", "--hardware", "tcu-2", "--out", join(workspace, "vehicles"));
  assert.is(vehicle.code, 0, vehicle.err);

  const gateways = await fleetota("gateways", "list");
  const listedVehicles = await fleetota("vehicles", "list");

  assert.equal(gateways.json.gateways, [{ gatewayId: G, site: "depot-hamburg" }, { gatewayId: K }]);
  assert.equal(listedVehicles.json.vehicles.map((row: { vin: string }) => row.vin), [VIN]);
});

test("bind, vehicles, unbind: the VINs a gateway may carry, in one document the processor reads; bad VINs and ids that are not registered gateways refused, nothing written", async () => {
  const OTHER = "1M8GDM9AXKP042788";
  const EUROPEAN = "WP0ZZZ99ZTS392124";
  writeFileSync(join(workspace, "carried.csv"), `vin,make\n${OTHER},Honda\n\n# a comment\n${EUROPEAN.toLowerCase()},Porsche\n`);

  const bound = await fleetota("gateways", "bind", G, VIN, "--file", join(workspace, "carried.csv"));
  assert.is(bound.code, 0, bound.err);
  assert.equal(bound.json, { gatewayId: G, bound: 3, unbound: 0, vehicles: 3 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, [VIN, OTHER, EUROPEAN].sort());

  const badVin = await fleetota("gateways", "bind", G, "1HGCM82633A004353", VIN);
  assert.is(badVin.code, 1);
  assert.match(badVin.err, "not bound (nothing written)");
  for (const id of [VIN, "gw-unknown"]) {
    const notGateway = await fleetota("gateways", "bind", id, VIN);
    assert.is(notGateway.code, 1, id);
    assert.match(notGateway.err, "is not a registered fleet gateway");
  }
  const none = await fleetota("gateways", "vehicles", K);
  assert.equal(none.json.vins, [], "a gateway nobody bound carries nothing");

  const unbound = await fleetota("gateways", "unbind", G, OTHER);
  assert.equal(unbound.json, { gatewayId: G, bound: 0, unbound: 1, vehicles: 2 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, [VIN, EUROPEAN].sort());
  const all = await fleetota("gateways", "unbind", G, "--all");
  assert.equal(all.json, { gatewayId: G, bound: 0, unbound: 2, vehicles: 0 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, []);
});

test("revoke: the gateway gets no new credentials and carries no vehicle; a vehicle or an unknown id is not a gateway", async () => {
  const identity = gatewayIdentityOf(join(bundles, K));
  assert.is(await credentialsRefusal(identity), undefined, "it gets credentials before");
  assert.is((await fleetota("gateways", "bind", K, VIN)).code, 0);

  const revoked = await fleetota("gateways", "revoke", K);
  const vehicle = await fleetota("gateways", "revoke", VIN);
  const unknown = await fleetota("gateways", "revoke", "gw-unknown");

  assert.is(revoked.code, 0);
  assert.is(revoked.json.deactivated.length, 1);
  assert.is(revoked.json.unbound, 1);
  assert.equal((await fleetota("gateways", "vehicles", K)).json.vins, [], "an id registered again later inherits no VIN");
  assert.is(await credentialsRefusal(identity), 403);
  for (const result of [vehicle, unknown]) {
    assert.is(result.code, 1);
    assert.match(result.err, "is not a registered fleet gateway");
  }
});

test.run();
