/**
 * Fleet-gateway identity on the local cloud, tried as an attacker would: a registered gateway gets
 * credentials over mutual TLS and may do exactly what the synthesized gateway policy allows (put
 * telemetry under its own `telemetry/fleet/<gatewayId>/`), its records are processed and a status
 * report in its object is quarantined; a vehicle certificate gets no gateway credentials (nor a gateway
 * certificate vehicle ones), a gateway cannot write a vehicle's prefix or another gateway's, read jobs/,
 * list or touch the table, and a revoked gateway gets no credentials. A certificate given the other
 * kind's IoT policy by mistake gets that kind's credentials, which allow it nothing: the gateway role
 * requires the gateway thing type, the vehicle role the vehicle thing type (or an untyped thing, registered
 * before vehicles had a type).
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { AttachPolicyCommand, IoTClient } from "@aws-sdk/client-iot";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { DEFAULT_METRICS_NAMESPACE, METRIC } from "../../../../contracts/metrics.js";
import { REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { createKeyAndCsr } from "../../../../identity/certificates.js";
import { registerGateway, registerVehicle, revokeGateway } from "../../../../identity/provisioning.js";
import {
  fetchVehicleCredentials,
  type CredentialsRequestError,
  type GatewayIdentityMaterial,
  type VehicleCredentials,
  type VehicleIdentityMaterial,
} from "../../../../identity/vehicle-credentials.js";
import { gzipped, justNow, telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { bindLocalGatewayVehicles } from "../../../../local/identity/simulated-fleet.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { storedRejectedRecords } from "../../support/rejected-records.js";


const G = "gw-depot-7";
const H = "gw-depot-8";
const R = "gw-revoked";
const S = "gw-stray";
const VIN = "1HGCM82633A004352";
const OTHER_VIN = "1M8GDM9AXKP042788";
const STRAY_VIN = "WP0ZZZ99ZTS392124";
/** A published image's key (content-addressed, as `fleetota release` writes it). */
const IMAGE_SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

let world: TestCloud;
let iot: IoTClient;
let bucket: string;
const gateways = new Map<string, GatewayIdentityMaterial & { certificateArn: string }>();
const vehicles = new Map<string, VehicleIdentityMaterial & { certificateArn: string }>();

function provider(): { credentialsEndpoint: string; caCertificatePem: string } {
  const { endpoint, caCertificatePem } = world.cloud.description.credentialsProvider!;
  return { credentialsEndpoint: endpoint, caCertificatePem };
}

async function registerGatewayHere(gatewayId: string): Promise<void> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(gatewayId);
  const registered = await registerGateway(iot, world.outputs.gateway_iot_policy!, { gatewayId, thingTypeName: world.outputs.gateway_thing_type!, site: "test" }, { csrPem });
  gateways.set(gatewayId, {
    gatewayId,
    certificatePem: registered.certificatePem,
    certificateArn: registered.certificateArn,
    privateKeyPem,
    roleAlias: world.outputs.gateway_role_alias!,
    ...provider(),
  });
}

async function registerVehicleHere(vin: string): Promise<void> {
  const { privateKeyPem, csrPem } = await createKeyAndCsr(vin);
  const registered = await registerVehicle(iot, { iotPolicyName: world.outputs.vehicle_iot_policy!, thingTypeName: world.outputs.vehicle_thing_type! }, { vin, make: "Honda", model: "Accord", hardware: "tcu-2" }, { csrPem });
  vehicles.set(vin, { vin, certificatePem: registered.certificatePem, certificateArn: registered.certificateArn, privateKeyPem, roleAlias: world.outputs.vehicle_role_alias!, ...provider() });
}

function clientsWith(credentials: VehicleCredentials): { s3: S3Client; dynamo: DynamoDBClient } {
  const config = { endpoint: world.cloud.clientConfig.endpoint, region: world.cloud.clientConfig.region, credentials };
  return { s3: new S3Client({ ...config, forcePathStyle: true }), dynamo: new DynamoDBClient(config) };
}

async function refusal(work: Promise<unknown>): Promise<{ name: string; status?: number }> {
  try {
    await work;
  } catch (error) {
    return { name: (error as Error).name, status: (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode ?? (error as CredentialsRequestError).statusCode };
  }
  throw new Error("expected a refusal, the request succeeded");
}

const denied = { name: "AccessDenied", status: 403 };
const noCredentials = { name: "CredentialsRequestError", status: 403 };

async function keysUnder(prefix: string): Promise<string[]> {
  const listed = await world.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }));
  return (listed.Contents ?? []).map((object) => object.Key!);
}

async function metricSum(name: string): Promise<number> {
  const { Datapoints = [] } = await world.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({ Namespace: DEFAULT_METRICS_NAMESPACE, MetricName: name, StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 3_600_000), Period: 60, Statistics: ["Sum"] }),
  );
  return Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0);
}

test.before(async () => {
  world = await startTestCloud({ runtime: true, runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 } });
  iot = new IoTClient(world.cloud.clientConfig);
  bucket = world.outputs.data_bucket_name!;
  await Promise.all([registerGatewayHere(G), registerGatewayHere(H), registerGatewayHere(R), registerGatewayHere(S), registerVehicleHere(VIN), registerVehicleHere(STRAY_VIN)]);
  await bindLocalGatewayVehicles(world.cloud, G, [VIN, OTHER_VIN, STRAY_VIN]); // G carries these three
});

test.after(async () => {
  iot?.destroy();
  await world?.stop();
});

test("a registered gateway gets 15-minute credentials and uploads many vehicles' telemetry under its own prefix, which is processed", async () => {
  const credentials = await fetchVehicleCredentials(gateways.get(G)!);
  // Its lifetime as issued (taken after the pipeline below ran, it counted that work too: a cold start under load is seconds).
  const lifetime = credentials.expiration.getTime() - Date.now();
  const { s3 } = clientsWith(credentials);
  const key = fleetTelemetryKey(G, Date.now(), "run1-000001");

  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipped([telemetryRecord({ vin: VIN, ts: justNow() }), telemetryRecord({ vin: OTHER_VIN, ts: justNow() }), telemetryRecord({ vin: STRAY_VIN, ts: justNow() })]) }));
  await world.cloud.runtime!.waitForIdle(60_000);

  assert.ok(lifetime > 880_000 && lifetime <= 900_000, `lifetime ${lifetime} ms`);
  assert.equal(await keysUnder(key), [key]);
  assert.is(await metricSum(METRIC.DataPoints), 3);
});

test("a status report in a gateway's object is quarantined as report-from-gateway, with its telemetry; the other records count", async () => {
  const { s3 } = clientsWith(await fetchVehicleCredentials(gateways.get(G)!));
  const key = fleetTelemetryKey(G, Date.now(), "run1-000002");
  const report = { jobId: `c-1:${VIN}`, campaignId: "c-1", attempt: 1, sequence: 3, status: "SUCCEEDED", targetVersion: "2.4.0" } as const;
  const before = await metricSum(METRIC.DataPoints);

  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipped([{ ...telemetryRecord({ vin: VIN, ts: justNow() }), ota: report }, telemetryRecord({ vin: OTHER_VIN, ts: justNow() })]) }));
  await world.cloud.runtime!.waitForIdle(60_000);

  assert.is(await metricSum(METRIC.DataPoints), before + 1, "only the record without a report counts");
  const [quarantined] = await keysUnder(`quarantine/records/${key.slice("telemetry/".length)}`);
  assert.ok(quarantined, "the report's record is in quarantine");
  const { lines } = (await storedRejectedRecords(world.clients.s3, bucket, quarantined))!;
  assert.equal(lines.map((line) => line.reasons.map((reason) => reason.rule)), [["report-from-gateway"]]);
});

test("a vehicle certificate gets no gateway credentials, and a gateway certificate no vehicle credentials", async () => {
  const vehicle = vehicles.get(VIN)!;
  const gateway = gateways.get(G)!;

  assert.equal(await refusal(fetchVehicleCredentials({ ...vehicle, roleAlias: world.outputs.gateway_role_alias! })), noCredentials);
  assert.equal(await refusal(fetchVehicleCredentials({ ...gateway, roleAlias: world.outputs.vehicle_role_alias! })), noCredentials);
  assert.equal(await refusal(fetchVehicleCredentials({ ...gateway, gatewayId: H })), noCredentials, "G's certificate is not attached to H");
  assert.equal(await refusal(fetchVehicleCredentials({ ...gateway, gatewayId: VIN })), noCredentials, "nor to a vehicle's thing");
  assert.ok((await fetchVehicleCredentials(vehicle)).accessKeyId.startsWith("ASIA"), "the vehicle still gets its own");
});

test("a gateway session cannot write under a vehicle's prefix or another gateway's, read jobs/ or its own uploads, list, or touch the table", async () => {
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json`, Body: "{}" }));
  const { s3, dynamo } = clientsWith(await fetchVehicleCredentials(gateways.get(G)!));
  const forgedVehicle = vehicleTelemetryKey(VIN, Date.now(), "forged");
  const forgedGateway = fleetTelemetryKey(H, Date.now(), "forged");

  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: forgedVehicle, Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: forgedGateway, Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: fleetTelemetryKey(`${G}-2`, Date.now(), "forged"), Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json`, Body: "{}" }))), denied);
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json` }))), denied);
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: fleetTelemetryKey(G, Date.now(), "run1-000001") }))), denied);
  assert.equal(await refusal(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "jobs/" }))), denied);
  const table = await refusal(dynamo.send(new PutItemCommand({ TableName: world.outputs.state_table_name!, Item: { pk: { S: "x" }, sk: { S: "y" } } })));
  assert.equal(table, { name: "AccessDeniedException", status: 403 });
  assert.equal(await keysUnder(forgedVehicle), []);
  assert.equal(await keysUnder(forgedGateway), []);
});

test("a vehicle certificate given the gateway IoT policy by mistake gets gateway credentials that allow nothing (it is not of the gateway type)", async () => {
  const stray = vehicles.get(STRAY_VIN)!;
  await iot.send(new AttachPolicyCommand({ policyName: world.outputs.gateway_iot_policy!, target: stray.certificateArn }));

  const { s3 } = clientsWith(await fetchVehicleCredentials({ ...stray, roleAlias: world.outputs.gateway_role_alias! }));

  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `telemetry/fleet/${STRAY_VIN}/x.ndjson.gz`, Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: fleetTelemetryKey(G, Date.now(), "stray"), Body: "x" }))), denied);
  assert.equal(await keysUnder(`telemetry/fleet/${STRAY_VIN}/`), []);
});

test("a gateway certificate given the vehicle IoT policy by mistake gets vehicle credentials that allow nothing (it is of the gateway type)", async () => {
  const stray = gateways.get(S)!;
  for (const key of [`jobs/${S}.json`, `jobs/${VIN}.json`, REPOSITORY_LAYOUT.image(IMAGE_SHA)]) {
    // they exist: a refusal is the policy's, not a 404 (the image key is write-once: created if absent)
    await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}", ...(key.startsWith("firmware/") ? { IfNoneMatch: "*" } : {}) }));
  }
  await iot.send(new AttachPolicyCommand({ policyName: world.outputs.vehicle_iot_policy!, target: stray.certificateArn }));

  const credentials = await fetchVehicleCredentials({ ...stray, roleAlias: world.outputs.vehicle_role_alias! });
  const session = world.cloud.identity.sessions.find(credentials.accessKeyId);
  assert.equal([session?.thingName, session?.thingTypeName], [S, world.outputs.gateway_thing_type], "the session carries the gateway's thing type");
  const { s3 } = clientsWith(credentials);

  const ownVehiclePrefix = `telemetry/vehicle/${S}/dt=2026-12-02/hour=01/x.ndjson.gz`;
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: ownVehiclePrefix, Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: vehicleTelemetryKey(VIN, Date.now(), "stray"), Body: "x" }))), denied);
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${S}.json` }))), denied);
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json` }))), denied);
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.image(IMAGE_SHA) }))), denied, "not even the firmware");
  assert.equal(await keysUnder(`telemetry/vehicle/${S}/`), []);
  const vehicle = clientsWith(await fetchVehicleCredentials(vehicles.get(VIN)!)).s3;
  assert.is(await (await vehicle.send(new GetObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.image(IMAGE_SHA) }))).Body!.transformToString(), "{}", "a vehicle still reads the firmware");
});

test("a revoked gateway gets no new credentials; the others are unaffected", async () => {
  await fetchVehicleCredentials(gateways.get(R)!);

  const revoked = await revokeGateway(iot, R, world.outputs.gateway_thing_type!);

  assert.is(revoked.length, 1);
  assert.equal(await refusal(fetchVehicleCredentials(gateways.get(R)!)), noCredentials);
  assert.ok((await fetchVehicleCredentials(gateways.get(H)!)).accessKeyId.startsWith("ASIA"));
});

test.run();
