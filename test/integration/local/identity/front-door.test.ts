/**
 * The local front door fails closed, tried on the local cloud as an attacker would, with the real AWS SDK
 * (and plain HTTP where no SDK would go): an unsigned request, a made-up key, SigV2, a malformed presigned
 * URL, a vehicle's virtual-hosted request, a copy from another VIN's prefix, a versionId read (also smuggled in a
 * form body behind a NEL byte), an upload in an archive storage class or with the vehicle's own key (SSE-C): all refused,
 * and none of them reaches the emulator (the bucket policy refuses those uploads under telemetry/ to anyone, the operator too). The operator, the Lambdas, the pollers and the vehicles' allowed
 * requests (a presigned URL among them) still work, and nothing legitimate is refused.
 */
import { createHash } from "node:crypto";
import { request as httpRequest } from "node:http";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { ScanCommand } from "@aws-sdk/client-dynamodb";
import { IoTClient } from "@aws-sdk/client-iot";
import {
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteBucketPolicyCommand,
  GetBucketPolicyCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutBucketPolicyCommand,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { PARKED_SOURCE } from "../../../../contracts/parked-failure.js";
import { listParkedFailures } from "../../../../lib/parked-failures.js";
import { ALARM_SUFFIX, DEFAULT_METRICS_NAMESPACE, METRIC } from "../../../../contracts/metrics.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { fetchVehicleCredentials, type VehicleCredentials } from "../../../../identity/vehicle-credentials.js";
import { LOCAL_CREDENTIALS } from "../../../../local/identity/local-principals.js";
import { gzipped, justNow, telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { presignedTarget } from "../../../unit/local/identity/support/signed-requests.js";
import { evaluateAlarmAtItsData } from "../../support/alarm-at-data.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { clientsWith, refusal as refusalOf, registerTestVehicle } from "./support/vehicles.js";


const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";

let world: TestCloud;
let iot: IoTClient;
let bucket: string;
let endpoint: URL;
const credentials = new Map<string, VehicleCredentials>();
/** Every refusal this file provokes; at the end the front door must have refused exactly these. */
let provoked = 0;

async function refused(work: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const result = await refusalOf(work);
  provoked++;
  return result;
}

async function http(path: string, init: RequestInit = {}): Promise<{ status: number; body: string }> {
  const response = await fetch(new URL(path, endpoint), init);
  const body = await response.text();
  if (response.status >= 400) provoked++;
  return { status: response.status, body };
}

/** A hand-made request (bytes no SDK would send), e.g. obs-text in a header. */
function rawRequest(method: string, path: string, headers: Record<string, string>, body: string): Promise<{ status: number; body: string }> {
  return new Promise((resolveResponse, reject) => {
    const outgoing = httpRequest({ host: endpoint.hostname, port: endpoint.port, method, path, headers: { ...headers, "content-length": String(Buffer.byteLength(body)) } }, (response) => {
      const chunks: Buffer[] = [];
      response.on("data", (chunk: Buffer) => chunks.push(chunk));
      response.on("end", () => {
        if ((response.statusCode ?? 0) >= 400) provoked++;
        resolveResponse({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") });
      });
    });
    outgoing.on("error", reject);
    outgoing.end(body);
  });
}

async function exists(s3: S3Client, inBucket: string, key: string): Promise<boolean> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: inBucket, Prefix: key }));
  return (listed.Contents ?? []).some((object) => object.Key === key);
}

/** Sends every request of `client` with this Host header, as a virtual-hosted request would. */
function withHost<T extends S3Client>(client: T, host: string): T {
  client.middlewareStack.add(
    (next) => async (args) => {
      (args.request as { headers: Record<string, string> }).headers.host = host;
      return next(args);
    },
    { step: "finalizeRequest", name: "virtualHostedHost", priority: "low" },
  );
  return client;
}

test.before(async () => {
  try {
    world = await startTestCloud({ runtime: true, runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 } });
    iot = new IoTClient(world.cloud.clientConfig);
    bucket = world.outputs.data_bucket_name!;
    endpoint = new URL(world.cloud.clientConfig.endpoint);
    for (const vin of [A, B]) credentials.set(vin, await fetchVehicleCredentials(await registerTestVehicle(world, iot, vin)));
    await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${B}.json`, Body: `{"secret":"${B}"}` }));
  } catch (error) {
    console.error("setting up the local cloud failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  iot?.destroy();
  await world?.stop();
});

test("an unsigned request, even to the emulator's own API, is refused and reaches nothing", async () => {
  const read = await http(`/${bucket}/jobs/${B}.json`);
  const reset = await http("/moto-api/reset", { method: "POST" });
  const dump = await http("/moto-api/data.json");

  assert.is(read.status, 403);
  assert.match(read.body, /<Code>AccessDenied<\/Code>/);
  assert.not.match(read.body, /secret/);
  assert.is(reset.status, 403);
  assert.is(dump.status, 403);
  assert.ok(await world.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: `jobs/${B}.json` })), "the emulator was not reset");
});

test("a made-up key is refused in S3 and in the JSON protocols; so are look-alikes of the local keys", async () => {
  for (const accessKeyId of ["AKIAIOSFODNN7EXAMPLE", "fleetota-localx", "ASIAVEHICLE0000000000"]) {
    const { s3, dynamo } = clientsWith(world, { accessKeyId, secretAccessKey: "made-up" });
    assert.equal(await refused(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${B}.json` }))), { name: "InvalidAccessKeyId", status: 403 }, accessKeyId);
    assert.equal(await refused(dynamo.send(new ScanCommand({ TableName: world.outputs.state_table_name! }))), { name: "InvalidAccessKeyId", status: 403 }, accessKeyId);
  }
});

test("SigV2, even with the operator's key, is refused", async () => {
  const sigV2 = await http(`/${bucket}/jobs/${B}.json`, { headers: { authorization: `AWS ${LOCAL_CREDENTIALS.accessKeyId}:frJIUN8DYpKDtOLCwo//yllqDzg=`, date: new Date().toUTCString() } });
  const sigV2Query = await http(`/${bucket}/jobs/${B}.json?AWSAccessKeyId=${LOCAL_CREDENTIALS.accessKeyId}&Expires=4102444800&Signature=abc`);

  assert.equal([sigV2.status, sigV2Query.status], [400, 400]);
  assert.match(sigV2.body, /<Code>InvalidRequest<\/Code>/);
  assert.not.match(sigV2.body + sigV2Query.body, /secret/);
});

test("a vehicle's presigned URL (the SDK's signer) reads its own job; malformed, or for another VIN's job, it is refused", async () => {
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: `{"own":"${A}"}` }));
  const a = credentials.get(A)!;
  const own = await presignedTarget({ host: endpoint.host, path: `/${bucket}/jobs/${A}.json`, credentials: a });
  const other = await presignedTarget({ host: endpoint.host, path: `/${bucket}/jobs/${B}.json`, credentials: a });
  const fourParts = own.replace(/X-Amz-Credential=[^&]+/, `X-Amz-Credential=${a.accessKeyId}%2F${endpoint.hostname}%2Fs3%2Faws4_request`);
  const sixParts = own.replace(/X-Amz-Credential=([^&]+)/, "X-Amz-Credential=fleetota-local%2F$1");

  assert.equal(await http(own), { status: 200, body: `{"own":"${A}"}` });
  assert.is((await http(other)).status, 403);
  assert.is((await http(fourParts)).status, 400);
  assert.is((await http(sixParts)).status, 400);
});

test("a vehicle's virtual-hosted request is refused, though the emulator would have written into another bucket", async () => {
  const dashboard = world.outputs.dashboard_bucket_name!;
  const key = `telemetry/vehicle/${A}/dt=2026-12-01/hour=22/20261201T220000000Z-vhost.ndjson.gz`;
  const host = `${dashboard}.example.test:${endpoint.port}`;

  // The threat is real: the operator (forwarded unchecked) with that Host lands in the dashboard bucket.
  await withHost(clientsWith(world, LOCAL_CREDENTIALS).s3, host).send(new PutObjectCommand({ Bucket: bucket, Key: `${key}.operator`, Body: "x" }));
  assert.ok(await exists(world.clients.s3, dashboard, `${bucket}/${key}.operator`), "moto reads the bucket from the Host");

  const vehicle = withHost(clientsWith(world, credentials.get(A)!).s3, host);
  assert.equal(await refused(vehicle.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "x" }))), { name: "AccessDenied", status: 403 });
  assert.not.ok(await exists(world.clients.s3, dashboard, `${bucket}/${key}`));
  assert.not.ok(await exists(world.clients.s3, bucket, key));
});

test("a copy from another VIN's prefix or job into the vehicle's own prefix is refused; nothing is written", async () => {
  const fromB = vehicleTelemetryKey(B, Date.now(), "source");
  await clientsWith(world, credentials.get(B)!).s3.send(new PutObjectCommand({ Bucket: bucket, Key: fromB, Body: gzipped([telemetryRecord({ vin: B, ts: justNow() })]) }));
  const { s3 } = clientsWith(world, credentials.get(A)!);
  const target = vehicleTelemetryKey(A, Date.now(), "copied");

  assert.equal(await refused(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/${fromB}` }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refused(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/jobs/${B}.json` }))), { name: "AccessDenied", status: 403 });
  assert.equal(await refused(s3.send(new CopyObjectCommand({ Bucket: bucket, Key: target, CopySource: `${bucket}/firmware/../jobs/${B}.json` }))), { name: "AccessDenied", status: 403 });
  assert.not.ok(await exists(world.clients.s3, bucket, target));
});

test("a versionId read of the vehicle's own job is refused (no s3:GetObjectVersion); the current version reads", async () => {
  const first = await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: '{"attempt":1}' }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, Body: '{"attempt":2}' }));
  assert.ok(first.VersionId, "the data lake is versioned");
  const { s3 } = clientsWith(world, credentials.get(A)!);

  assert.equal(await refused(s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json`, VersionId: first.VersionId }))), { name: "AccessDenied", status: 403 });
  assert.is(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${A}.json` }))).Body!.transformToString(), '{"attempt":2}');

  // The version id smuggled in a form body moto would parse (a NEL byte hides the form type from a JavaScript \s).
  const a = credentials.get(A)!;
  const smuggled = await rawRequest("GET", `/${bucket}/jobs/${A}.json`, {
    authorization: `AWS4-HMAC-SHA256 Credential=${a.accessKeyId}/20261201/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=${"0".repeat(64)}`,
    "x-amz-security-token": a.sessionToken,
    "content-type": "\x85application/x-www-form-urlencoded",
  }, `versionId=${first.VersionId}`);
  assert.is(smuggled.status, 403);
  assert.not.match(smuggled.body, /attempt/);
});

test("a vehicle's own upload is processed by the Lambdas; no legitimate request was refused", async () => {
  const key = vehicleTelemetryKey(A, Date.now(), "own");
  await clientsWith(world, credentials.get(A)!).s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: gzipped([telemetryRecord({ vin: A, ts: justNow() }), telemetryRecord({ vin: A, ts: justNow() })]) }));
  await world.cloud.runtime!.waitForIdle(120_000);

  const { Datapoints = [] } = await world.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({ Namespace: DEFAULT_METRICS_NAMESPACE, MetricName: METRIC.DataPoints, StartTime: new Date(Date.now() - 3_600_000), EndTime: new Date(Date.now() + 3_600_000), Period: 60, Statistics: ["Sum"] }),
  );
  assert.is(Datapoints.reduce((sum, point) => sum + (point.Sum ?? 0), 0), 3, "B's upload and A's, processed by the processor (its own key) fed by the poller");
  const census = world.cloud.census.snapshot().requests;
  assert.ok(Object.keys(census).some((entry) => entry.startsWith("function:") && entry.includes("s3:GetObject")), "the processor read through the front door");
  assert.ok(Object.keys(census).some((entry) => entry.startsWith("esm sqs:")), "the poller went through the front door");
  assert.is(world.cloud.identity.frontDoor.refused, provoked, "every refusal is one this file provoked: none of the operator's, the Lambdas', the pollers' or an allowed vehicle request");
});

test("a vehicle's upload in an archive storage class or with its own key (SSE-C) is refused by its role; anyone's is refused by the bucket policy under telemetry/ (the operator's too: PUT, copy, multipart); one written anyway (an administrator lifted the bucket policy) is parked object-unreadable, never dead-lettered (review 18, R18-T1; review 21)", async () => {
  const { s3 } = clientsWith(world, credentials.get(A)!);
  const body = gzipped([telemetryRecord({ vin: A, ts: justNow() })]);
  const refusedBefore = world.cloud.identity.frontDoor.refused;
  const ownKey = Buffer.alloc(32, 7);
  const sseC = { SSECustomerAlgorithm: "AES256", SSECustomerKey: ownKey.toString("base64"), SSECustomerKeyMD5: createHash("md5").update(ownKey).digest("base64") };
  const unreadable = [["GLACIER", { StorageClass: "GLACIER" }], ["DEEP_ARCHIVE", { StorageClass: "DEEP_ARCHIVE" }], ["STANDARD_IA", { StorageClass: "STANDARD_IA" }], ["SSE-C", sseC]] as const;
  for (const [what, extra] of unreadable) {
    const key = vehicleTelemetryKey(A, Date.now(), `refused-${what.toLowerCase().replace(/[^a-z]/g, "")}`);
    assert.equal(await refused(s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }))), { name: "AccessDenied", status: 403 }, what);
    assert.not.ok(await exists(world.clients.s3, bucket, key), `${what}: nothing written`);
  }
  assert.is(world.cloud.identity.frontDoor.refused, refusedBefore + 4);

  // The bucket policy (moto, as serve.py evaluates it), whoever asks: the operator's own uploads, a copy, a multipart upload.
  const operator = world.clients.s3;
  for (const [what, extra] of unreadable) {
    const key = vehicleTelemetryKey(A, Date.now(), `operator-${what.toLowerCase().replace(/[^a-z]/g, "")}`);
    assert.equal(await refusalOf(operator.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ...extra }))), { name: "AccessDenied", status: 403 }, `the operator's ${what}`);
    assert.not.ok(await exists(operator, bucket, key), `the operator's ${what}: nothing written`);
  }
  const standard = vehicleTelemetryKey(A, Date.now(), "operator-standard");
  await operator.send(new PutObjectCommand({ Bucket: bucket, Key: standard, Body: body, StorageClass: "STANDARD" }));
  assert.ok(await exists(operator, bucket, standard), "STANDARD named is written");
  const copied = vehicleTelemetryKey(A, Date.now(), "operator-copy");
  const copy = new CopyObjectCommand({ Bucket: bucket, Key: copied, CopySource: `${bucket}/${standard}`, StorageClass: "GLACIER" });
  assert.equal(await refusalOf(operator.send(copy)), { name: "AccessDenied", status: 403 }, "a copy into GLACIER");
  const multipart = new CreateMultipartUploadCommand({ Bucket: bucket, Key: vehicleTelemetryKey(A, Date.now(), "operator-multipart"), StorageClass: "DEEP_ARCHIVE" });
  assert.equal(await refusalOf(operator.send(multipart)), { name: "AccessDenied", status: 403 }, "a multipart upload in DEEP_ARCHIVE");
  const elsewhere = "quarantine/objects/operator-archive.e1";
  await operator.send(new PutObjectCommand({ Bucket: bucket, Key: elsewhere, Body: body, StorageClass: "GLACIER" }));
  assert.ok(await exists(operator, bucket, elsewhere), "outside telemetry/ the bucket policy leaves the class to IAM");

  // Only without the bucket policy (an administrator's act, logged on AWS) can an archived object land under telemetry/.
  const alarmBefore = await evaluateAlarmAtItsData(world.cloud, ALARM_SUFFIX.ObjectUnreadable);
  const { Policy } = await operator.send(new GetBucketPolicyCommand({ Bucket: bucket }));
  await operator.send(new DeleteBucketPolicyCommand({ Bucket: bucket }));
  const archived = vehicleTelemetryKey(A, Date.now(), "archived");
  let put;
  try {
    put = await operator.send(new PutObjectCommand({ Bucket: bucket, Key: archived, Body: body, StorageClass: "GLACIER" }));
  } finally {
    await operator.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy }));
  }
  await world.cloud.runtime!.waitForIdle(120_000);
  const parked = (await listParkedFailures(operator, bucket, { source: PARKED_SOURCE.TelemetryProcessor })).filter((failure) => failure.detail.includes(archived));
  assert.equal(parked.map((failure) => failure.reason), ["object-unreadable"], `the processor read it, moto answered 403 InvalidObjectState (${put.ETag})`);
  assert.match(parked[0]!.detail, "archive storage class");
  // The operator hears of it at once: the stack's object-unreadable alarm, evaluated by the local cloud as CloudWatch would.
  const alarmAfter = await evaluateAlarmAtItsData(world.cloud, ALARM_SUFFIX.ObjectUnreadable);
  assert.not.equal(alarmBefore?.state, "ALARM", "no object-unreadable park before this one");
  assert.is(alarmAfter?.state, "ALARM", "the object-unreadable alarm fires on the first park");
  assert.equal(alarmAfter?.notified, [world.outputs.alarm_topic_arn], "and notifies the alarm topic");
  const { Attributes } = await world.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: world.outputs.telemetry_dlq_url, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }));
  assert.equal([Attributes?.ApproximateNumberOfMessages, Attributes?.ApproximateNumberOfMessagesNotVisible], ["0", "0"], "nothing dead-lettered");
});

test.run();
