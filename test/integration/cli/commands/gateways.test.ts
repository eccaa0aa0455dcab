/**
 * `fleetota gateways` against the local cloud: registering from a CSR or with a key pair AWS IoT makes,
 * bundles written owner-only, ids that are not gateway ids (a VIN among them) refused, listing (apart
 * from the vehicles), binding and unbinding the VINs a gateway may carry (one gateway a VIN, never a registered
 * vehicle: R9-G1), and revoking (no new credentials; a vehicle cannot be revoked as a gateway).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { resolveTarget } from "../../../../cli/target.js";
import { encodeGatewayVehicles, gatewayVehiclesKey } from "../../../../contracts/gateway-vehicles.js";
import { readGatewayBundle } from "../../../../identity/bundle.js";
import { GatewayVehiclesConflictError } from "../../../../identity/gateway-vehicles.js";
import { bindSimulatedFleet, SimulatorGatewayError } from "../../../../simulator/cli.js";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import { fetchVehicleCredentials } from "../../../../identity/vehicle-credentials.js";
import { assertOwnerOnly, credentialsRefusal, gatewayIdentityOf, identityWorkspaceForSuite, mode } from "../support/identity-workspace.js";

const { workspace, fleetota, cloud } = identityWorkspaceForSuite(test, "gateways");
const bundles = join(workspace, "gateways");
const G = "gw-depot-7";
const K = "gw-keypair";
const VIN = "1HGCM82633A004352";
/** VINs no vehicle is registered with (VIN is, from the list test on). */
const FREE = "JH4KA7561PC008269";
const FREE_TOO = "1GNEK13ZX3R298984";

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

  const bound = await fleetota("gateways", "bind", G, FREE, "--file", join(workspace, "carried.csv"));
  assert.is(bound.code, 0, bound.err);
  assert.equal(bound.json, { gatewayId: G, bound: 3, unbound: 0, vehicles: 3 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, [FREE, OTHER, EUROPEAN].sort());

  const badVin = await fleetota("gateways", "bind", G, "1HGCM82633A004353", FREE);
  assert.is(badVin.code, 1);
  assert.match(badVin.err, "not bound (nothing written)");
  for (const id of [VIN, "gw-unknown"]) {
    const notGateway = await fleetota("gateways", "bind", id, FREE);
    assert.is(notGateway.code, 1, id);
    assert.match(notGateway.err, "is not a registered fleet gateway");
  }
  const none = await fleetota("gateways", "vehicles", K);
  assert.equal(none.json.vins, [], "a gateway nobody bound carries nothing");

  const unbound = await fleetota("gateways", "unbind", G, OTHER);
  assert.equal(unbound.json, { gatewayId: G, bound: 0, unbound: 1, vehicles: 2 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, [FREE, EUROPEAN].sort());
  const all = await fleetota("gateways", "unbind", G, "--all");
  assert.equal(all.json, { gatewayId: G, bound: 0, unbound: 2, vehicles: 0 });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, []);
});

test("R9-G1: one speaker a VIN. A registered vehicle or a VIN another gateway carries is refused, the holder named, nothing bound; --move hands it over; registering a bound VIN is refused", async () => {
  const registered = await fleetota("gateways", "bind", G, FREE, VIN);
  assert.is(registered.code, 1);
  assert.match(registered.err, `${VIN} is a registered vehicle`);
  assert.not.match(registered.err, "Honda", "the holder is named, not the vehicle's data");
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, [], "nothing bound, FREE neither");

  assert.is((await fleetota("gateways", "bind", G, FREE)).code, 0);
  const taken = await fleetota("gateways", "bind", K, FREE_TOO, FREE.toLowerCase());
  assert.is(taken.code, 1);
  assert.match(taken.err, `${FREE} is bound to ${G} (unbind it there first, or bind with --move)`);
  const left = (await fleetota("gateways", "vehicles", K)).json;
  assert.equal([left.vins, left.pending], [[], undefined], "no VIN and no claim left");

  const moved = await fleetota("gateways", "bind", K, FREE, "--move");
  assert.is(moved.code, 0, moved.err);
  assert.equal(moved.json, { gatewayId: K, bound: 1, unbound: 0, vehicles: 1, moved: { [G]: 1 } });
  assert.equal((await fleetota("gateways", "vehicles", G)).json.vins, []);
  assert.equal((await fleetota("gateways", "vehicles", K)).json.vins, [FREE]);

  const out = join(workspace, "vehicles");
  const carried = await fleetota("vehicles", "register", FREE, "--make", "Acura", "--model", "Legend", "--hardware", "tcu-1", "--out", out);
  assert.is(carried.code, 1);
  assert.match(JSON.stringify(carried.json.refused), `${FREE} is bound to fleet gateway ${K}`);
  assert.equal((await fleetota("vehicles", "list")).json.vehicles.map((row: { vin: string }) => row.vin), [VIN], "no thing left for it");
  assert.not.ok(readdirSync(out).includes(FREE), "no bundle");

  assert.is((await fleetota("gateways", "unbind", K, FREE)).code, 0);
  const free = await fleetota("vehicles", "register", FREE, "--make", "Acura", "--model", "Legend", "--hardware", "tcu-1", "--out", out);
  assert.is(free.code, 0, free.err);
  assert.is(free.json.registered, 1);
});

test("R9-G2: the simulator binds its fleet only to a registered gateway, with the same checks as gateways bind", async () => {
  const target = resolveTarget({ cwd: workspace, local: true });

  const unknown = await bindSimulatedFleet(target, "gw-unknown", [FREE_TOO]).catch((error: unknown) => error);
  const vehicle = await bindSimulatedFleet(target, G, [FREE_TOO, VIN]).catch((error: unknown) => error);

  assert.instance(unknown, SimulatorGatewayError);
  assert.match((unknown as Error).message, "gw-unknown is not a registered fleet gateway");
  assert.equal((await fleetota("gateways", "vehicles", "gw-unknown")).json.vins, []);
  assert.instance(vehicle, GatewayVehiclesConflictError);
  assert.match((vehicle as Error).message, `${VIN} is a registered vehicle`);
  assert.equal((await bindSimulatedFleet(target, G, [FREE_TOO])).bound, 1);
  assert.equal((await bindSimulatedFleet(target, K, [FREE_TOO], { move: true })).moved, { [G]: 1 });
  assert.is((await fleetota("gateways", "unbind", K, FREE_TOO)).code, 0);
});

test("check lists the VINs more than one speaks for in documents written before the rule (two gateways, a gateway and a registered vehicle) and claims left pending; unbinding settles them", async () => {
  const admin = new S3Client({ ...cloud().clientConfig, forcePathStyle: true });
  const bucket = String(cloud().description.outputs.data_bucket_name);
  const EUROPEAN = "WP0ZZZ99ZTS392124";
  const legacy = (gatewayId: string, vins: string[], pending?: string[]) =>
    admin.send(new PutObjectCommand({ Bucket: bucket, Key: gatewayVehiclesKey(gatewayId), Body: encodeGatewayVehicles({ gatewayId, vins, pending, updatedAt: new Date().toISOString() }) }));
  await legacy(G, [FREE_TOO, VIN]);
  await legacy(K, [FREE_TOO], [EUROPEAN]);

  const found = await fleetota("gateways", "check");

  assert.is(found.code, 0, found.err);
  assert.equal(found.json.shared, [
    { vin: FREE_TOO, gateways: [G, K], pending: [], registeredVehicle: false },
    { vin: VIN, gateways: [G], pending: [], registeredVehicle: true },
    { vin: EUROPEAN, gateways: [], pending: [K], registeredVehicle: false },
  ]);
  for (const gatewayId of [G, K]) assert.is((await fleetota("gateways", "unbind", gatewayId, "--all")).code, 0);
  assert.equal((await fleetota("gateways", "check")).json.shared, []);
  admin.destroy();
});

test("revoke: the gateway gets no new credentials and carries no vehicle; a vehicle or an unknown id is not a gateway", async () => {
  const identity = gatewayIdentityOf(join(bundles, K));
  assert.is(await credentialsRefusal(identity), undefined, "it gets credentials before");
  assert.is((await fleetota("gateways", "bind", K, FREE_TOO)).code, 0);

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
