/**
 * The telemetry pipeline on the local cloud, end to end with the real bundle: the simulator, as a fleet
 * gateway with its own identity (registered, its own credentials), uploads gzip NDJSON batches (with
 * malformed records, skewed clocks, corrupt objects and duplicate uploads) to the data lake; S3 → EventBridge → SQS → telemetry-processor runs; then counts, metrics,
 * quarantine, fleet state and queues are checked against what the simulator says it produced.
 */
import { gunzipSync, gzipSync } from "node:zlib";
import { GetMetricStatisticsCommand } from "@aws-sdk/client-cloudwatch";
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { GetQueueAttributesCommand } from "@aws-sdk/client-sqs";
import { DeleteCommand, DynamoDBDocumentClient, GetCommand } from "@aws-sdk/lib-dynamodb";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { METRIC } from "../../../../contracts/metrics.js";
import { readFleetSnapshot } from "../../../../telemetry/fleet-state.js";
import { MAX_OBJECT_BYTES } from "../../../../functions/telemetry-processor/processor.js";
import { QUARANTINE_PREFIX, quarantinedObjectKey, rejectedRecordsKey, type ObjectQuarantineReason } from "../../../../functions/telemetry-processor/quarantine.js";
import { fleetTelemetryKey, KEY_VIOLATION, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { listParkedFailures } from "../../../../lib/parked-failures.js";
import { validateRecord } from "../../../../telemetry/schema.js";
import { startSimulation, type RunningSimulation, type SimulationSummary } from "../../../../simulator/simulation.js";
import type { GatewayIdentity } from "../../../../simulator/gateway-identity.js";
import { bindLocalGatewayVehicles, provisionLocalGateway } from "../../../../local/identity/simulated-fleet.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { storedRejectedRecords } from "../../support/rejected-records.js";

const IDLE_TIMEOUT_MS = 240_000;
/** The gateway named by the objects the tests write by hand (with the emulator's administrator credentials). */
const MANUAL_GATEWAY = "gw-manual";

let world: TestCloud;
let simulation: RunningSimulation;
let summary: SimulationSummary;
let gateway: GatewayIdentity;
const startedAt = new Date();

async function metricTotals(name: string): Promise<{ sum: number; samples: number }> {
  const response = await world.clients.cloudwatch.send(
    new GetMetricStatisticsCommand({
      Namespace: world.outputs.metrics_namespace,
      MetricName: name,
      StartTime: new Date(startedAt.getTime() - 3_600_000),
      EndTime: new Date(Date.now() + 3_600_000),
      Period: 3 * 3600,
      Statistics: ["Sum", "SampleCount"],
    }),
  );
  return (response.Datapoints ?? []).reduce(
    (totals, point) => ({ sum: totals.sum + (point.Sum ?? 0), samples: totals.samples + (point.SampleCount ?? 0) }),
    { sum: 0, samples: 0 },
  );
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

async function listKeys(prefix: string): Promise<string[]> {
  const response = await world.clients.s3.send(new ListObjectsV2Command({ Bucket: world.outputs.data_bucket_name, Prefix: prefix }));
  return (response.Contents ?? []).map((object) => object.Key!);
}

async function readText(key: string): Promise<string> {
  const response = await world.clients.s3.send(new GetObjectCommand({ Bucket: world.outputs.data_bucket_name, Key: key }));
  return response.Body!.transformToString();
}

const rejectedRecordsOf = (key: string) => storedRejectedRecords(world.clients.s3, world.outputs.data_bucket_name, key);

async function queueDepth(queueUrl: string): Promise<number> {
  const response = await world.clients.sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"] }),
  );
  return Number(response.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(response.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
}

test.before(async () => {
  try {
    await runSimulation();
  } catch (error) {
    console.error("setting up the simulated run failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

async function runSimulation(): Promise<void> {
  world = await startTestCloud({
    runtime: true,
    runtimeOptions: { runSchedules: false, alarmEvaluationIntervalMs: 0, pollWaitSeconds: 1 },
    ...(process.env.FLEETOTA_TEST_LOG ? { log: console } : {}),
  });
  gateway = await provisionLocalGateway(world.cloud);
  simulation = startSimulation({
    vehicles: 60,
    intervalMs: 60_000,
    batches: 4,
    seed: 2026,
    batchSize: 15,
    bucket: world.outputs.data_bucket_name,
    s3: gateway.s3,
    gatewayId: gateway.gatewayId,
    // The fleet is carried by the run's gateway; once its objects are processed, by gw-manual, whose objects the tests below write by hand.
    prepare: async (fleet) => void (await bindLocalGatewayVehicles(world.cloud, gateway.gatewayId, fleet.vehicles.map((vehicle) => vehicle.vin))),
    faults: { malformedRate: 0.05, clockSkewRate: 0.1, corruptRate: 0.2, duplicateRate: 0.2 },
  });
  summary = await simulation.done;
  await world.cloud.runtime!.waitForIdle(IDLE_TIMEOUT_MS);
  await bindLocalGatewayVehicles(world.cloud, MANUAL_GATEWAY, simulation.fleet.vehicles.map((vehicle) => vehicle.vin), { move: true });
}

test.after(async () => {
  gateway?.destroy();
  await world?.stop();
});

test("the simulator uploaded as its own fleet gateway: every object under its prefix, with its own credentials", async () => {
  const objects = await listKeys("telemetry/");
  assert.ok(objects.length > 0);
  assert.ok(objects.every((key) => key.startsWith(`telemetry/fleet/${gateway.gatewayId}/`)), "no object under another prefix");
  assert.ok(gateway.stats.fetches >= 1, "the gateway fetched credentials of its own");
  assert.is(world.cloud.identity.frontDoor.refused, 0, "the front door refused none of its requests");
});

test("the simulated run injected every fault kind it was asked for", () => {
  assert.ok(summary.valid > 0, "no valid records");
  assert.ok(summary.malformed > 0, "no malformed records");
  assert.ok(summary.clockSkewed > 0, "no skewed clocks");
  assert.ok(summary.corruptObjects > 0, "no corrupt object");
  assert.ok(summary.duplicateUploads > 0, "no duplicate upload");
});

test("produced = processed + quarantined, as CloudWatch counts it", async () => {
  const dataPoints = await metricTotals(METRIC.DataPoints);
  const rejected = await metricTotals(METRIC.RecordsRejected);
  const quarantinedObjects = await metricTotals(METRIC.ObjectsQuarantined);
  assert.is(dataPoints.sum, summary.valid);
  assert.is(rejected.sum, summary.malformed + summary.clockSkewed);
  assert.is(quarantinedObjects.sum, summary.corruptObjects);
  assert.is(dataPoints.sum + rejected.sum + summary.recordsInCorruptObjects, summary.records);
});

test("duplicate uploads are counted as duplicates, not processed twice", async () => {
  const duplicates = await metricTotals(METRIC.DuplicateObjects);
  assert.is(duplicates.sum, summary.duplicateUploads);
  const latency = await metricTotals(METRIC.ProcessingLatency);
  assert.is(latency.samples, summary.objects, "one latency sample per distinct object");
});

test("every rejected record sits in quarantine/records with its reasons", async () => {
  const keys = await listKeys(QUARANTINE_PREFIX.Records);
  const files = await Promise.all(keys.map(rejectedRecordsOf));
  assert.is(files.flatMap((file) => file!.lines).length, summary.malformed + summary.clockSkewed);
  for (const file of files) {
    assert.ok(file!.source!.key.startsWith("telemetry/"), "each file names its object once");
    assert.ok(file!.lines.every((line) => line.reasons.length > 0 && line.reasons.every((reason) => reason.field && reason.rule)));
  }
});

test("a corrupt object is quarantined whole with its reason, and no message is stuck", async () => {
  const keys = await listKeys(QUARANTINE_PREFIX.Objects);
  const reasons = keys.filter((key) => key.endsWith(".reason.json"));
  assert.is(reasons.length, summary.corruptObjects);
  assert.is(keys.length, 2 * summary.corruptObjects, "a copy of the object beside each reason");
  const reason = JSON.parse(await readText(reasons[0]!)) as { corruption: string; message: string; source: { key: string } };
  assert.is(reason.corruption, "bad-gzip");
  assert.match(reason.message, /gzip/);
  assert.is(await queueDepth(world.outputs.telemetry_queue_url), 0);
  assert.is(await queueDepth(world.outputs.telemetry_dlq_url), 0);
});

test("the fleet snapshot holds the latest state of the vehicles that reported", async () => {
  const snapshot = await readFleetSnapshot(world.clients.s3, world.outputs.data_bucket_name, { now: Date.now() });
  const fleet = new Map(simulation.fleet.vehicles.map((vehicle) => [vehicle.vin, vehicle]));
  assert.ok(snapshot.vehicles.length > 0 && snapshot.vehicles.length <= fleet.size);
  assert.ok(snapshot.generatedAt !== null && snapshot.generatedAt >= startedAt.toISOString());
  for (const vehicle of snapshot.vehicles) {
    const simulated = fleet.get(vehicle.vin);
    assert.ok(simulated, `${vehicle.vin} is not in the simulated fleet`);
    assert.is(vehicle.make, simulated!.make);
    assert.is(vehicle.firmwareVersion, simulated!.firmwareVersion);
  }
});

test("uploading a processed object again changes no count but the duplicates", async () => {
  const before = { dataPoints: await metricTotals(METRIC.DataPoints), duplicates: await metricTotals(METRIC.DuplicateObjects) };
  const [key] = await listKeys("telemetry/");
  const bucket = world.outputs.data_bucket_name;
  const original = await world.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key! }));
  await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key!, Body: await original.Body!.transformToByteArray() }));
  await world.cloud.runtime!.waitForIdle(IDLE_TIMEOUT_MS);
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum);
  assert.is((await metricTotals(METRIC.DuplicateObjects)).sum, before.duplicates.sum + 1);
});

function objectCreated(key: string, etag: string, size = 100): string {
  const detail = { bucket: { name: world.outputs.data_bucket_name }, object: { key, etag, size } };
  return JSON.stringify({ "detail-type": "Object Created", source: "aws.s3", time: new Date().toISOString(), detail });
}

function sqsRecord(messageId: string, body: string) {
  return {
    messageId, receiptHandle: messageId, body, attributes: {}, messageAttributes: {}, md5OfBody: "",
    eventSource: "aws:sqs", eventSourceARN: "arn:aws:sqs:eu-central-1:123456789012:telemetry", awsRegion: "eu-central-1",
  };
}

async function invokeProcessor(records: Array<ReturnType<typeof sqsRecord>>): Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }> {
  return (await world.cloud.runtime!.invoke(world.outputs.telemetry_processor_function_name, { Records: records })) as {
    batchItemFailures: Array<{ itemIdentifier: string }>;
  };
}

/** The lines of the first readable simulated gateway object (corrupt ones are skipped). */
async function sampleLines(): Promise<string[]> {
  const bucket = world.outputs.data_bucket_name;
  for (const key of await listKeys("telemetry/fleet/")) {
    const object = await world.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    try {
      return gunzipSync(await object.Body!.transformToByteArray()).toString("utf8").trimEnd().split("\n");
    } catch {
      continue;
    }
  }
  throw new Error("no readable simulated object");
}

/** Uploads `text` (plain NDJSON) under `key` and waits for the pipeline to handle it; returns its etag. */
async function putAndSettle(key: string, body: string | Uint8Array): Promise<string> {
  const put = await world.clients.s3.send(new PutObjectCommand({ Bucket: world.outputs.data_bucket_name, Key: key, Body: body }));
  await world.cloud.runtime!.waitForIdle(IDLE_TIMEOUT_MS);
  return put.ETag!.replaceAll('"', "");
}

const validLines = (lines: readonly string[]): string[] => lines.filter((line) => validateRecord(safeJson(line), Date.now()).valid);

async function objectMarker(key: string, etag: string): Promise<Record<string, unknown> | undefined> {
  const doc = DynamoDBDocumentClient.from(world.clients.dynamodb);
  const response = await doc.send(
    new GetCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${world.outputs.data_bucket_name}/${key}`, sk: etag.replaceAll('"', "") } }),
  );
  return response.Item;
}

test("a plain NDJSON object of a gateway is read; an event for an object that is gone is parked, not retried", async () => {
  const lines = await sampleLines();
  const before = await metricTotals(METRIC.DataPoints);
  const key = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "plain");
  const etag = await putAndSettle(key, `${lines.join("\n")}\n`);
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.sum + validLines(lines).length);
  assert.is((await objectMarker(key, etag))?.status, "COMPLETED");

  const gone = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "not-there");
  const missing = objectCreated(gone, "0123");
  const response = await invokeProcessor([sqsRecord("missing", missing)]);
  assert.equal(response.batchItemFailures, [], "a missing object is permanent: no retry, no DLQ");
  assert.equal((await objectMarker(gone, "0123"))?.outcome, { parked: "object-missing" });
  const parked = (await listParkedFailures(world.clients.s3, world.outputs.data_bucket_name)).filter((failure) => failure.message === missing);
  assert.equal(parked.map((failure) => [failure.source, failure.reason]), [["telemetry-processor", "object-missing"]]);
});

test("the same object twice in one batch is processed once and counted once as a duplicate", async () => {
  const lines = await sampleLines();
  const key = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "twice");
  const etag = await putAndSettle(key, `${lines.join("\n")}\n`);
  // Its ledger marker removed, the object is as if never processed: the batch below is its first delivery.
  // (An event naming another etag is no longer a new identity for the same bytes: the read is bound to it.)
  const ledgerKey = { pk: `OBJECT#${world.outputs.data_bucket_name}/${key}`, sk: etag };
  await DynamoDBDocumentClient.from(world.clients.dynamodb).send(new DeleteCommand({ TableName: world.outputs.state_table_name, Key: ledgerKey }));
  const before = { dataPoints: await metricTotals(METRIC.DataPoints), duplicates: await metricTotals(METRIC.DuplicateObjects) };
  const body = objectCreated(key, etag);
  const response = await invokeProcessor([sqsRecord("first", body), sqsRecord("second", body)]);
  assert.equal(response.batchItemFailures, []);
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum + validLines(lines).length);
  assert.is((await metricTotals(METRIC.DuplicateObjects)).sum, before.duplicates.sum + 1);
});

test("an event that names no version, for a key overwritten since: parked as object-replaced and counted, the newer body not read for it", async () => {
  const lines = await sampleLines();
  const key = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "overwritten");
  const firstEtag = await putAndSettle(key, `${lines.join("\n")}\n`);
  await putAndSettle(key, `${lines.slice(0, 3).join("\n")}\n`);
  // The first version's marker removed, its event (as an unversioned bucket sends it) comes again.
  const doc = DynamoDBDocumentClient.from(world.clients.dynamodb);
  await doc.send(new DeleteCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${world.outputs.data_bucket_name}/${key}`, sk: firstEtag } }));
  const before = { dataPoints: await metricTotals(METRIC.DataPoints), parked: await metricTotals(METRIC.MessagesParked) };
  const event = objectCreated(key, firstEtag);
  const response = await invokeProcessor([sqsRecord("replaced", event)]);
  assert.equal(response.batchItemFailures, [], "permanent: no retry, no DLQ");
  assert.equal((await objectMarker(key, firstEtag))?.outcome, { parked: "object-replaced" });
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum, "the key's newer body is not counted for this event");
  assert.is((await metricTotals(METRIC.MessagesParked)).sum, before.parked.sum + 1);
  const parked = (await listParkedFailures(world.clients.s3, world.outputs.data_bucket_name)).filter((failure) => failure.message === event);
  assert.equal(parked.map((failure) => failure.reason), ["object-replaced"]);
});

// ── objects bound to their uploader ─────────────────────────────────────────────────────────────────

const ALIEN_KEYS: Array<[string, (atMs: number) => string, string]> = [
  ["the old flat layout (no uploader)", (atMs) => fleetTelemetryKey("gw-x", atMs, "old").replace("fleet/gw-x/", ""), KEY_VIOLATION.Segments],
  ["a North American VIN with a wrong check digit", (atMs) => vehicleTelemetryKey("1HGCM82633A004352", atMs, "bad").replace("1HGCM82633A004352", "1HGCM82643A004352"), KEY_VIOLATION.Vin],
  ["an unknown uploader kind", (atMs) => vehicleTelemetryKey("1HGCM82633A004352", atMs, "kind").replace("/vehicle/", "/vehicles/"), KEY_VIOLATION.UploaderKind],
];

for (const [name, keyAt, violation] of ALIEN_KEYS) {
  test(`a key outside the layout is quarantined whole with its reason, nothing in it counted: ${name}`, async () => {
    const lines = await sampleLines();
    const before = { dataPoints: await metricTotals(METRIC.DataPoints), quarantined: await metricTotals(METRIC.ObjectsQuarantined) };
    const key = keyAt(Date.now());
    const etag = await putAndSettle(key, `${lines.join("\n")}\n`);
    assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum, "no record of it counted");
    assert.is((await metricTotals(METRIC.ObjectsQuarantined)).sum, before.quarantined.sum + 1);
    assert.equal((await objectMarker(key, etag))?.outcome, { quarantined: violation });
    const reasons = await Promise.all(
      (await listKeys(QUARANTINE_PREFIX.Objects)).filter((quarantined) => quarantined.endsWith(".reason.json")).map(async (quarantined) => JSON.parse(await readText(quarantined))),
    );
    const reason = reasons.find((entry: { source: { key: string } }) => entry.source.key === key) as { corruption: string; message: string } | undefined;
    assert.is(reason?.corruption, violation);
    assert.ok((reason?.message.length ?? 0) > 0);
    assert.is(await queueDepth(world.outputs.telemetry_dlq_url), 0);
  });
}

test("vehicle A's object carrying other vehicles' records: A's count, the others are quarantined with the reason", async () => {
  const lines = validLines(await sampleLines());
  const vinOf = (line: string) => (JSON.parse(line) as { vin: string }).vin;
  const a = vinOf(lines[0]!);
  const own = lines.filter((line) => vinOf(line) === a);
  const others = lines.filter((line) => vinOf(line) !== a);
  assert.ok(others.length > 0, "the sample holds several vehicles");
  const before = { dataPoints: await metricTotals(METRIC.DataPoints), rejected: await metricTotals(METRIC.RecordsRejected) };
  const key = vehicleTelemetryKey(a, Date.now(), "mixed");
  const etag = await putAndSettle(key, `${[...own, ...others].join("\n")}\n`);
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum + own.length);
  assert.is((await metricTotals(METRIC.RecordsRejected)).sum, before.rejected.sum + others.length, "produced = processed + quarantined");
  const entries = (await rejectedRecordsOf(rejectedRecordsKey({ bucket: world.outputs.data_bucket_name, key, etag, size: 0, createdAtMs: 0 })))!.lines;
  assert.is(entries.length, others.length);
  assert.ok(entries.every((entry) => entry.refusal === "other-vehicle" && entry.reasons[0]!.message.includes(a)));
  assert.equal(entries.map((entry) => vinOf(entry.raw)).sort(), others.map(vinOf).sort());
});


test("review 25 (R25-02): a ~314-byte gzip upload of 10,000 refused short lines stores a gzip records file of tens of KB (was 3.6-4.0 MB), the object named once, every line in it", async () => {
  const { vin } = JSON.parse(validLines(await sampleLines())[0]!) as { vin: string };
  const key = vehicleTelemetryKey(vin, Date.now(), Array.from({ length: 8 }, () => "aaaaaaa").join("-"));
  const upload = gzipSync('"aaaaaaaaaaa"\n'.repeat(10_000), { level: 9 });
  const etag = await putAndSettle(key, upload);
  const records = rejectedRecordsKey({ bucket: world.outputs.data_bucket_name, key, etag, size: 0, createdAtMs: 0 });
  assert.ok(records.endsWith(".ndjson.gz"), records);
  const file = (await rejectedRecordsOf(records))!;
  console.log(`R25-02 on the local cloud: upload ${upload.length} B -> ${records.slice(0, 19)}… ${file.storedBytes} B stored`);
  assert.ok(file.storedBytes < 64 * 1024, `${file.storedBytes} bytes stored for a ${upload.length}-byte upload`);
  assert.is(file.contentType, "application/gzip");
  assert.equal(file.source, { bucket: world.outputs.data_bucket_name, key, etag });
  assert.is(file.lines.length, 10_000);
  assert.ok(file.lines.every((line, index) => line.line === index + 1 && line.raw === '"aaaaaaaaaaa"' && line.reasons.length > 0), "each line with its number, text and reasons");
});

test("a raw-looking key beside the layout key it decodes to: each event reads only its own object", async () => {
  const lines = validLines(await sampleLines());
  const a = (JSON.parse(lines[0]!) as { vin: string }).vin;
  const own = lines.filter((line) => (JSON.parse(line) as { vin: string }).vin === a);
  const decoded = vehicleTelemetryKey(a, Date.now(), "decoded");
  const rawLooking = decoded.replaceAll("=", "%3D"); // outside the layout, but decodes to `decoded`
  const before = { dataPoints: await metricTotals(METRIC.DataPoints), quarantined: await metricTotals(METRIC.ObjectsQuarantined) };

  const decodedEtag = await putAndSettle(decoded, `${own.join("\n")}\n`);
  const rawEtag = await putAndSettle(rawLooking, `${[...own, ...own, ...own].join("\n")}\n`);

  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum + own.length, "only the layout object's records count; the raw-looking one's are not read as it");
  assert.is((await objectMarker(decoded, decodedEtag))?.status, "COMPLETED");
  assert.equal((await objectMarker(rawLooking, rawEtag))?.outcome, { quarantined: KEY_VIOLATION.Characters });
  assert.is((await metricTotals(METRIC.ObjectsQuarantined)).sum, before.quarantined.sum + 1);
  const reasons = await Promise.all(
    (await listKeys(QUARANTINE_PREFIX.Objects)).filter((quarantined) => quarantined.endsWith(".reason.json")).map(async (quarantined) => JSON.parse(await readText(quarantined))),
  );
  assert.ok(reasons.some((entry: { source: { key: string } }) => entry.source.key === rawLooking), "the raw-looking object itself is in quarantine");

  // An event naming the layout key URL-encoded (S3 notification style) still reads the layout key.
  const encodedEvent = objectCreated(encodeURIComponent(decoded).replaceAll("%2F", "/"), decodedEtag);
  const response = await invokeProcessor([sqsRecord("encoded", encodedEvent)]);
  assert.equal(response.batchItemFailures, []);
  assert.is((await metricTotals(METRIC.DataPoints)).sum, before.dataPoints.sum + 2 * own.length);
});

for (const [name, keyAt, corruption] of [
  ["in the layout (too-large)", (atMs: number) => fleetTelemetryKey(MANUAL_GATEWAY, atMs, "too-large"), "too-large"],
  ["outside the layout", () => `telemetry/fleet/${MANUAL_GATEWAY}/junk-1.bin`, KEY_VIOLATION.Segments],
] as const) {
  test(`R18-F2: an object over MAX_OBJECT_BYTES ${name} is not copied: its reason alone names it where it stays, counted quarantined`, async () => {
    const bucket = world.outputs.data_bucket_name;
    const key = keyAt(Date.now());
    const etag = await putAndSettle(key, `${(await sampleLines()).join("\n")}\n`);
    // Handled once at its true size; its marker and any quarantine removed, the event comes again saying 5 GB.
    const object = { bucket, key, etag, size: 5 * 1024 ** 3, createdAtMs: 0 };
    await DynamoDBDocumentClient.from(world.clients.dynamodb).send(new DeleteCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${bucket}/${key}`, sk: etag } }));
    const earlier = await listKeys(quarantinedObjectKey(object));
    if (earlier.length > 0) await world.clients.s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: earlier.map((Key) => ({ Key })) } }));
    const before = await metricTotals(METRIC.ObjectsQuarantined);

    const response = await invokeProcessor([sqsRecord("five-gb", objectCreated(key, etag, object.size))]);

    assert.equal(response.batchItemFailures, []);
    assert.equal((await objectMarker(key, etag))?.outcome, { quarantined: corruption });
    assert.is((await metricTotals(METRIC.ObjectsQuarantined)).sum, before.sum + 1);
    assert.equal(await listKeys(quarantinedObjectKey(object)), [`${quarantinedObjectKey(object)}.reason.json`], "the reason alone, no copy");
    const reason = JSON.parse(await readText(`${quarantinedObjectKey(object)}.reason.json`)) as ObjectQuarantineReason;
    assert.equal([reason.source.key, reason.source.etag, reason.corruption, reason.copied], [key, etag, corruption, false]);
    const source = await world.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    assert.is(source.ETag?.replaceAll('"', ""), etag, "the object stays where it is");
  });
}

test("review 21: an event saying 5 GB for an object gone (never there) or overwritten since is parked object-missing / object-replaced, and no reason is written for it", async () => {
  const bucket = world.outputs.data_bucket_name;
  const lines = await sampleLines();
  const overwritten = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "five-gb-overwritten");
  const firstEtag = await putAndSettle(overwritten, `${lines.join("\n")}\n`);
  await putAndSettle(overwritten, `${lines.slice(0, 3).join("\n")}\n`);
  const gone = fleetTelemetryKey(MANUAL_GATEWAY, Date.now(), "five-gb-gone");
  const size = 5 * 1024 ** 3;
  const cases = [
    { key: gone, etag: "0123", reason: "object-missing" },
    { key: overwritten, etag: firstEtag, reason: "object-replaced" },
  ];
  for (const { key, etag, reason } of cases) {
    await DynamoDBDocumentClient.from(world.clients.dynamodb).send(new DeleteCommand({ TableName: world.outputs.state_table_name, Key: { pk: `OBJECT#${bucket}/${key}`, sk: etag } }));
    const object = { bucket, key, etag, size, createdAtMs: 0 };
    const event = objectCreated(key, etag, size);

    const response = await invokeProcessor([sqsRecord(`five-gb-${reason}`, event)]);

    assert.equal(response.batchItemFailures, [], `${reason}: permanent, no retry`);
    assert.equal((await objectMarker(key, etag))?.outcome, { parked: reason });
    assert.equal(await listKeys(quarantinedObjectKey(object)), [], `${reason}: no reason written for an object that is not there`);
    const parked = (await listParkedFailures(world.clients.s3, bucket)).filter((failure) => failure.message === event);
    assert.equal(parked.map((failure) => failure.reason), [reason]);
  }
});

test.run();
