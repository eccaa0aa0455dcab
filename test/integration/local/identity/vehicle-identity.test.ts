/**
 * Vehicle identity on the local cloud, tried as an attacker would: registered vehicles get credentials
 * over mutual TLS and may do exactly what the synthesized vehicle policy allows, as on AWS; everything
 * else is refused (unregistered, self-signed, revoked or borrowed certificates; requests outside the
 * policy; forged session tokens; keys that try to climb out of the vehicle's prefix).
 */
import { request as httpRequest } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { PutItemCommand } from "@aws-sdk/client-dynamodb";
import { IoTClient } from "@aws-sdk/client-iot";
import {
  AbortMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutObjectCommand,
  UploadPartCopyCommand,
} from "@aws-sdk/client-s3";
import { SendMessageCommand } from "@aws-sdk/client-sqs";
import { createSelfSigned } from "../../../../identity/certificates.js";
import { revokeVehicle } from "../../../../identity/provisioning.js";
import { fetchVehicleCredentials, type VehicleIdentityMaterial, type VehicleCredentials } from "../../../../identity/vehicle-credentials.js";
import { DEFAULT_METRICS_NAMESPACE, METRIC } from "../../../../contracts/metrics.js";
import { REPOSITORY_LAYOUT } from "../../../../uptane/metadata.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { gzipped, justNow, telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { clientsWith as clientsFor, refusal, registerTestVehicle } from "./support/vehicles.js";


const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const C = "WP0ZZZ99ZTS392124";
/** A published image's key (content-addressed, as `fleetota release` writes it). */
const IMAGE_SHA = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
/** Another published image, the one a copy names. */
const COPIED_IMAGE_SHA = "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae";

let world: TestCloud;
let iot: IoTClient;
let bucket: string;
const identities = new Map<string, VehicleIdentityMaterial>();

async function register(vin: string): Promise<VehicleIdentityMaterial> {
  const identity = await registerTestVehicle(world, iot, vin);
  identities.set(vin, identity);
  return identity;
}

const clientsWith = (credentials: VehicleCredentials) => clientsFor(world, credentials);

async function exists(key: string): Promise<boolean> {
  const listed = await world.clients.s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: key }));
  return (listed.Contents ?? []).some((object) => object.Key === key);
}

test.before(async () => {
  world = await startTestCloud({ runtime: true, runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 } });
  iot = new IoTClient(world.cloud.clientConfig);
  bucket = world.outputs.data_bucket_name!;
  await Promise.all([register(A), register(B), register(C)]);
});

test.after(async () => {
  iot?.destroy();
  await world?.stop();
});

test("a registered vehicle gets 15-minute credentials and uploads telemetry that is processed", async () => {
  const credentials = await fetchVehicleCredentials(identities.get(A)!);
  // Its lifetime as issued (taken after the pipeline below ran, it counted that work too: a cold start under load is seconds).
  const lifetime = credentials.expiration.getTime() - Date.now();
  const { s3 } = clientsWith(credentials);
  const key = `telemetry/vehicle/${A}/dt=2026-12-01/hour=18/20261201T180000000Z-0.ndjson.gz`;

  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipped([telemetryRecord({ vin: A, ts: justNow() }), telemetryRecord({ vin: A, ts: justNow() })]) }));
  await world.cloud.runtime!.waitForIdle(60_000);

  assert.ok(lifetime > 880_000 && lifetime <= 900_000, `lifetime ${lifetime} ms`);
  assert.ok(await exists(key));
  const { Datapoints = [] } = await world.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({ Namespace: DEFAULT_METRICS_NAMESPACE, MetricName: METRIC.DataPoints, StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 3_600_000), Period: 60, Statistics: ["Sum"] }),
  );
  assert.is(Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0), 2);
});

test("vehicle A reads its own job document and the published firmware, but not B's job, a staged release, or a listing of jobs/", async () => {
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: "{}" }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${B}.json`, Body: "{}" }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.image(IMAGE_SHA), Body: "image", IfNoneMatch: "*" })); // write-once key
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedImage(IMAGE_SHA), Body: "staged image" }));
  const { s3 } = clientsWith(await fetchVehicleCredentials(identities.get(A)!));

  const own = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json` }));
  const firmware = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.image(IMAGE_SHA) }));

  assert.is(await own.Body!.transformToString(), "{}");
  assert.is(await firmware.Body!.transformToString(), "image");
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: REPOSITORY_LAYOUT.stagedImage(IMAGE_SHA) }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refusal(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${B}.json` }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refusal(s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "jobs/" }))), { name: "AccessDenied", status: 403 });
});

test("vehicle A cannot write under B's prefix, its job document or the firmware, nor touch the table or a queue", async () => {
  const { s3, dynamo, sqs } = clientsWith(await fetchVehicleCredentials(identities.get(A)!));
  const forged = `telemetry/vehicle/${B}/dt=2026-12-01/hour=18/forged.ndjson.gz`;

  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: forged, Body: "x" }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: "{}" }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: "firmware/tcu-2/9.9.9/image.bin", Body: "evil" }))), { name: "AccessDenied", status: 403 });
  const table = await refusal(dynamo.send(new PutItemCommand({ TableName: world.outputs.state_table_name!, Item: { pk: { S: "x" }, sk: { S: "y" } } })));
  assert.equal(table, { name: "AccessDeniedException", status: 403 });
  const queue = await refusal(sqs.send(new SendMessageCommand({ QueueUrl: world.outputs.update_queue_url!, MessageBody: "{}" })));
  assert.equal(queue, { name: "AccessDenied", status: 403 });
  assert.not.ok(await exists(forged));
});

test("vehicle A cannot server-side copy a published image (or its own job) into its own prefix, by CopyObject or UploadPartCopy; nothing is written, and its own upload of the same key is (review 21, R21-02)", async () => {
  const image = REPOSITORY_LAYOUT.image(COPIED_IMAGE_SHA);
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: image, Body: Buffer.alloc(64 * 1024, 7), IfNoneMatch: "*" }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: "{}" }));
  const { s3 } = clientsWith(await fetchVehicleCredentials(identities.get(A)!));
  const inLayout = vehicleTelemetryKey(A, Date.now(), "copied");
  const outside = `telemetry/vehicle/${A}/junk-1.bin`;
  assert.is((await s3.send(new GetObjectCommand({ Bucket: bucket, Key: image }))).ContentLength, 64 * 1024, "A may read the image: the copy's source half is allowed");

  for (const key of [inLayout, outside]) {
    for (const source of [`${bucket}/${image}`, `/${bucket}/${image}`, `${bucket}/jobs/${A}.json`]) {
      assert.equal(await refusal(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: key, CopySource: source }))), { name: "AccessDenied", status: 403 }, `${key} from ${source}`);
    }
    // A multipart upload the operator opened on A's key: A's UploadPartCopy of the image into it is refused too.
    const { UploadId } = await world.clients.s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
    assert.equal(await refusal(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: key, UploadId, PartNumber: 1, CopySource: `${bucket}/${image}` }))), { name: "AccessDenied", status: 403 }, `${key}: UploadPartCopy`);
    assert.equal((await world.clients.s3.send(new ListPartsCommand({ Bucket: bucket, Key: key, UploadId }))).Parts ?? [], [], `${key}: no part copied`);
    await world.clients.s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId }));
    assert.not.ok(await exists(key), `${key}: nothing written`);
  }

  const body = gzipped([telemetryRecord({ vin: A, ts: justNow() })]);
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: inLayout, Body: body }));
  assert.is((await world.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: inLayout }))).ContentLength, body.length, "its own bytes are written");
});

test("nobody copies onto telemetry/, the operator included: its CopyObject and UploadPartCopy there are refused by the bucket policy, its copy into quarantine/ is not (review 21, R21-02)", async () => {
  const staged = REPOSITORY_LAYOUT.stagedImage(COPIED_IMAGE_SHA);
  const source = `${bucket}/${staged}`;
  const target = vehicleTelemetryKey(A, Date.now(), "operator-copy");
  const { s3 } = world.clients;
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: staged, Body: Buffer.alloc(64 * 1024, 9) }));

  assert.equal(await refusal(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: source }))), { name: "AccessDenied", status: 403 }, "CopyObject");
  const { UploadId } = await s3.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: target }));
  assert.equal(await refusal(s3.send(new UploadPartCopyCommand({ Bucket: bucket, Key: target, UploadId, PartNumber: 1, CopySource: source }))), { name: "AccessDenied", status: 403 }, "UploadPartCopy");
  assert.equal((await s3.send(new ListPartsCommand({ Bucket: bucket, Key: target, UploadId }))).Parts ?? [], [], "no part copied");
  await s3.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: target, UploadId }));
  assert.not.ok(await exists(target));

  const quarantined = `quarantine/objects/operator-copy-${Date.now()}`;
  await s3.send(new CopyObjectCommand({ Bucket: bucket, Key: quarantined, CopySource: source }));
  assert.is((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: quarantined }))).ContentLength, 64 * 1024, "a copy elsewhere is IAM's to allow");
});

test("a key that climbs out of the vehicle's prefix with dot segments is refused and lands nowhere", async () => {
  const credentials = await fetchVehicleCredentials(identities.get(A)!);
  const { s3 } = clientsWith(credentials);
  const endpoint = new URL(world.cloud.clientConfig.endpoint);
  /** A hand-made request (the SDK would encode `%`): the front door reads only the credential scope and the token. */
  const raw = (path: string) =>
    new Promise<number>((resolveStatus, reject) => {
      const outgoing = httpRequest(
        { host: endpoint.hostname, port: endpoint.port, method: "PUT", path, headers: {
          authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20261201/eu-central-1/s3/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
          "x-amz-security-token": credentials.sessionToken, "content-length": "1" } },
        (response) => (response.resume(), resolveStatus(response.statusCode ?? 0)),
      );
      outgoing.on("error", reject);
      outgoing.end("x");
    });

  assert.is((await refusal(s3.send(new PutObjectCommand({ Bucket: bucket, Key: `telemetry/vehicle/${A}/../${B}/climb.ndjson.gz`, Body: "x" })))).status, 403);
  assert.is(await raw(`/${bucket}/telemetry/vehicle/${A}/%2e%2e/${B}/climb.ndjson.gz`), 403);
  assert.is(await raw(`/${bucket}/telemetry/vehicle/${A}/%2E%2E/${B}/climb.ndjson.gz`), 403);
  assert.is(await raw(`/${bucket}/telemetry/vehicle/${A}/.%2e/${B}/climb.ndjson.gz`), 403);
  assert.not.ok(await exists(`telemetry/vehicle/${B}/climb.ndjson.gz`));
});

test("a forged session token or an unknown vehicle key is refused", async () => {
  const credentials = await fetchVehicleCredentials(identities.get(A)!);
  const wrongToken = clientsWith({ ...credentials, sessionToken: `${credentials.sessionToken.slice(0, -4)}AAAA` });
  const unknownKey = clientsWith({ ...credentials, accessKeyId: "ASIAVEHICLE0000000000" });
  const key = `telemetry/vehicle/${A}/dt=2026-12-01/hour=18/token.ndjson.gz`;

  assert.equal(await refusal(wrongToken.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }))), { name: "InvalidToken", status: 403 });
  assert.equal(await refusal(unknownKey.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }))), { name: "InvalidAccessKeyId", status: 403 });
  assert.not.ok(await exists(key));
});

test("an unregistered self-signed certificate, a certificate borrowed for another thing, or none at all get no credentials", async () => {
  const a = identities.get(A)!;
  const selfSigned = await createSelfSigned(A);

  assert.equal(await refusal(fetchVehicleCredentials({ ...a, ...selfSigned })), { name: "CredentialsRequestError", status: 403 });
  assert.equal(await refusal(fetchVehicleCredentials({ ...a, vin: B })), { name: "CredentialsRequestError", status: 403 });
  assert.equal(await refusal(fetchVehicleCredentials({ ...a, roleAlias: "someone-elses-role" })), { name: "CredentialsRequestError", status: 404 });
  const noCertificate = await fetch(`${a.credentialsEndpoint}/role-aliases/${a.roleAlias}/credentials`, { headers: { "x-amzn-iot-thingname": A } }).catch((error: Error) => error);
  assert.ok(noCertificate instanceof Error, "the server's certificate is not trusted by default, and no client certificate is presented");
});

test("a revoked vehicle gets no new credentials; the others are unaffected", async () => {
  await fetchVehicleCredentials(identities.get(C)!);

  const revoked = await revokeVehicle(iot, C, world.outputs.vehicle_thing_type!);

  assert.is(revoked.length, 1);
  assert.equal(await refusal(fetchVehicleCredentials(identities.get(C)!)), { name: "CredentialsRequestError", status: 403 });
  assert.ok((await fetchVehicleCredentials(identities.get(B)!)).accessKeyId.startsWith("ASIA"));
});

test.run();
