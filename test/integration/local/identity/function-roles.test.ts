/**
 * A local function's own S3 and DynamoDB calls are held to its role, as IAM holds them on AWS: signed with the key the runtime
 * gives the function (`fleetota-fn-<function>`), the telemetry processor's calls outside its grants (firmware,
 * job documents, a listing of jobs/, a copy of a job document into quarantine/, telemetry writes) are refused 403
 * AccessDenied and leave nothing behind, while its granted calls (a telemetry read by version, a quarantine write and
 * copy, a listing under telemetry/) work. A read of a missing key answers 404 only where the role may list the key,
 * else 403 (S3's rule); the dashboard publisher's DeleteObjects deletes its parts, and one key outside refuses the whole.
 * DynamoDB: the processor's key is refused (AccessDeniedException, 400) items outside its partition-key prefixes, an
 * action, the table's own query and another table, and writes nothing; its marker write and read and its gsi1 query work;
 * the update manager's transaction with one part outside its prefixes writes nothing, one inside writes every part.
 * KMS: the update manager signs with the director key and reads its public key, but not a digest (the key policy's
 * conditions); the processor may not sign.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  CopyObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { CreateTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { GetPublicKeyCommand, KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { BatchWriteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, TransactWriteCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { FLEET_SNAPSHOT_KEY, FLEET_STATE_PARTS_PREFIX } from "../../../../telemetry/fleet-state.js";
import { LOCAL_PRINCIPAL_KEY } from "../../../../local/identity/local-principals.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";
import { clientsWith, refusal } from "./support/vehicles.js";

const VIN = "1HGCM82633A004352";

let world: TestCloud;
let bucket: string;
let processor: S3Client;
let publisher: S3Client;
let telemetryKey: string;
let telemetryVersion: string;
let provoked = 0;

async function refused(work: Promise<unknown>): Promise<{ name: string; status?: number }> {
  const result = await refusal(work);
  if (result.status === 403 || result.name === "AccessDeniedException") provoked++;
  return result;
}

/** The clients a local function's code gets: signed with its own key, as the runtime signs its calls. */
function clientsAs(world: TestCloud, shortName: string): { s3: S3Client; dynamo: DynamoDBClient } {
  const fn = world.cloud.description.functions.find((candidate) => candidate.functionName.endsWith(`-${shortName}`));
  assert.ok(fn, `no function ${shortName}`);
  const { s3, dynamo, sqs } = clientsWith(world, { accessKeyId: `${LOCAL_PRINCIPAL_KEY.functionPrefix}${fn.functionName}`, secretAccessKey: "local" });
  sqs.destroy();
  return { s3, dynamo };
}

const signedAs = (world: TestCloud, shortName: string): S3Client => clientsAs(world, shortName).s3;

async function exists(key: string): Promise<boolean> {
  return world.clients.s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );
}

test.before(async () => {
  try {
    world = await startTestCloud();
    bucket = world.outputs.data_bucket_name!;
    processor = signedAs(world, "telemetry-processor");
    publisher = signedAs(world, "dashboard-publisher");
    telemetryKey = vehicleTelemetryKey(VIN, Date.UTC(2026, 11, 3, 10), "batch-1");
    const put = await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: telemetryKey, Body: "{}\n" }));
    telemetryVersion = put.VersionId!;
    await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json`, Body: "{}" }));
  } catch (error) {
    console.error("setting up the local cloud failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  processor?.destroy();
  publisher?.destroy();
  await world?.stop();
});

test("the telemetry processor's calls outside its role are refused 403 AccessDenied and change nothing", async () => {
  const denied = { name: "AccessDenied", status: 403 };
  assert.equal(await refused(processor.send(new PutObjectCommand({ Bucket: bucket, Key: "firmware/images/evil.bin", Body: "x" }))), denied, "firmware/ write");
  assert.equal(await refused(processor.send(new GetObjectCommand({ Bucket: bucket, Key: `jobs/${VIN}.json` }))), denied, "job document read");
  assert.equal(await refused(processor.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: "jobs/" }))), denied, "listing jobs/");
  assert.equal(await refused(processor.send(new PutObjectCommand({ Bucket: bucket, Key: telemetryKey, Body: "forged" }))), denied, "telemetry/ is read-only to it");
  assert.equal(await refused(processor.send(new CopyObjectCommand({ Bucket: bucket, Key: "quarantine/copied-job.json", CopySource: `${bucket}/jobs/${VIN}.json` }))), denied, "a copy reads its source");
  assert.not.ok(await exists("firmware/images/evil.bin"));
  assert.not.ok(await exists("quarantine/copied-job.json"));
  const body = await world.clients.s3.send(new GetObjectCommand({ Bucket: bucket, Key: telemetryKey }));
  assert.is(await body.Body!.transformToString(), "{}\n", "the telemetry object is untouched");
});

test("its granted calls work: a telemetry read by version, a listing under telemetry/, a quarantine write and copy", async () => {
  const read = await processor.send(new GetObjectCommand({ Bucket: bucket, Key: telemetryKey, VersionId: telemetryVersion }));
  assert.is(await read.Body!.transformToString(), "{}\n");
  const listed = await processor.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `telemetry/vehicle/${VIN}/` }));
  assert.equal(listed.Contents?.map((object) => object.Key), [telemetryKey]);
  await processor.send(new PutObjectCommand({ Bucket: bucket, Key: "quarantine/reason.json", Body: "{}" }));
  await processor.send(new CopyObjectCommand({ Bucket: bucket, Key: "quarantine/copied.ndjson.gz", CopySource: `${bucket}/${telemetryKey}?versionId=${telemetryVersion}` }));
  assert.ok(await exists("quarantine/reason.json"));
  assert.ok(await exists("quarantine/copied.ndjson.gz"));
});

test("a missing key answers 404 where the role may list it, 403 AccessDenied where it may only read", async () => {
  const missingTelemetry = await refusal(processor.send(new GetObjectCommand({ Bucket: bucket, Key: `${telemetryKey}.gone` })));
  assert.equal(missingTelemetry, { name: "NoSuchKey", status: 404 }, "the processor may list telemetry/");
  const missingSnapshot = await refusal(publisher.send(new GetObjectCommand({ Bucket: bucket, Key: FLEET_SNAPSHOT_KEY })));
  assert.equal(missingSnapshot, { name: "NoSuchKey", status: 404 }, "the publisher may list the snapshot's key");
  assert.equal(await refused(publisher.send(new GetObjectCommand({ Bucket: bucket, Key: "fleet-state/other.json" }))), { name: "AccessDenied", status: 403 }, "fleet-state/* readable, not listable");
  assert.is((await refused(publisher.send(new HeadObjectCommand({ Bucket: bucket, Key: "fleet-state/other.json" })))).status, 403, "HEAD: 403, without a body");
});

test("DeleteObjects is judged key by key: the publisher deletes its parts; one key outside refuses the whole, nothing deleted", async () => {
  const parts = [`${FLEET_STATE_PARTS_PREFIX}a.json`, `${FLEET_STATE_PARTS_PREFIX}b.json`];
  for (const key of [...parts, "quarantine/keep.json"]) await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" }));
  const mixed = { Bucket: bucket, Delete: { Objects: [{ Key: parts[0]! }, { Key: "quarantine/keep.json" }], Quiet: true } };
  assert.equal(await refused(publisher.send(new DeleteObjectsCommand(mixed))), { name: "AccessDenied", status: 403 });
  assert.ok(await exists(parts[0]!), "nothing deleted");
  assert.ok(await exists("quarantine/keep.json"));
  await publisher.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: parts.map((Key) => ({ Key })), Quiet: true } }));
  assert.not.ok(await exists(parts[0]!));
  assert.not.ok(await exists(parts[1]!));
});

const denied = { name: "AccessDeniedException", status: 400 };

/** The item with this partition key (sort key `x`), read by the operator. */
async function item(table: string, pk: string): Promise<Record<string, unknown> | undefined> {
  return (await DynamoDBDocumentClient.from(world.clients.dynamodb).send(new GetCommand({ TableName: table, Key: { pk, sk: "x" }, ConsistentRead: true }))).Item;
}

test("DynamoDB: the processor's key is refused items outside its prefixes, UpdateItem, the table's own query and another table, nothing written", async () => {
  const table = world.outputs.state_table_name!;
  const { dynamo } = clientsAs(world, "telemetry-processor");
  const doc = DynamoDBDocumentClient.from(dynamo);
  await world.clients.dynamodb.send(
    new CreateTableCommand({ TableName: "not-the-stacks", BillingMode: "PAY_PER_REQUEST", AttributeDefinitions: [{ AttributeName: "pk", AttributeType: "S" }, { AttributeName: "sk", AttributeType: "S" }], KeySchema: [{ AttributeName: "pk", KeyType: "HASH" }, { AttributeName: "sk", KeyType: "RANGE" }] }),
  );
  try {
    assert.equal(await refused(doc.send(new PutCommand({ TableName: table, Item: { pk: "CAMPAIGN#forged", sk: "x" } }))), denied, "a campaign item");
    assert.equal(await refused(doc.send(new UpdateCommand({ TableName: table, Key: { pk: "OBJECT#lake/a#e", sk: "x" }, UpdateExpression: "SET n = :n", ExpressionAttributeValues: { ":n": 1 } }))), denied, "UpdateItem");
    assert.equal(await refused(doc.send(new QueryCommand({ TableName: table, KeyConditionExpression: "pk = :p", ExpressionAttributeValues: { ":p": "OBJECT#lake/a#e" } }))), denied, "the table itself");
    assert.equal(await refused(doc.send(new PutCommand({ TableName: "not-the-stacks", Item: { pk: "OBJECT#lake/a#e", sk: "x" } }))), denied, "another table");
    assert.is(await item(table, "CAMPAIGN#forged"), undefined);
    assert.is(await item(table, "OBJECT#lake/a#e"), undefined, "the refused update created nothing");
    assert.is(await item("not-the-stacks", "OBJECT#lake/a#e"), undefined);
  } finally {
    dynamo.destroy();
  }
});

test("DynamoDB: the processor's granted calls work: an object marker written once and read back, campaigns listed through gsi1", async () => {
  const table = world.outputs.state_table_name!;
  const { dynamo } = clientsAs(world, "telemetry-processor");
  const doc = DynamoDBDocumentClient.from(dynamo);
  try {
    await doc.send(new PutCommand({ TableName: table, Item: { pk: "OBJECT#lake/b#e", sk: "x", at: 1 }, ConditionExpression: "attribute_not_exists(pk)" }));
    const read = await doc.send(new GetCommand({ TableName: table, Key: { pk: "OBJECT#lake/b#e", sk: "x" }, ConsistentRead: true }));
    assert.is(read.Item?.at, 1);
    const listed = await doc.send(new QueryCommand({ TableName: table, IndexName: "gsi1", KeyConditionExpression: "gsi1pk = :p", ExpressionAttributeValues: { ":p": "nothing-here" } }));
    assert.equal(listed.Items, []);
  } finally {
    dynamo.destroy();
  }
});

test("DynamoDB: the update manager's transaction with one part outside its prefixes writes nothing; inside them every part is written", async () => {
  const table = world.outputs.state_table_name!;
  const { dynamo } = clientsAs(world, "update-manager");
  const doc = DynamoDBDocumentClient.from(dynamo);
  const put = (pk: string) => ({ Put: { TableName: table, Item: { pk, sk: "x" }, ConditionExpression: "attribute_not_exists(pk)" } });
  try {
    assert.equal(await refused(doc.send(new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#t1"), put("OBJECT#t1")] }))), denied);
    assert.is(await item(table, "CAMPAIGN#t1"), undefined, "no part written");
    assert.equal(await refused(doc.send(new BatchWriteCommand({ RequestItems: { [table]: [{ PutRequest: { Item: { pk: "CAMPAIGN#t2", sk: "x" } } }] } }))), denied, "BatchWriteItem is not granted");
    await doc.send(new TransactWriteCommand({ TransactItems: [put("CAMPAIGN#t1"), put("COMMAND#t1")] }));
    assert.ok(await item(table, "CAMPAIGN#t1"));
    assert.ok(await item(table, "COMMAND#t1"));
  } finally {
    dynamo.destroy();
  }
});

test("KMS: the update manager signs with the director key and reads its public key, not a digest; the processor may not sign", async () => {
  const directorKey = Object.entries(world.cloud.description.resources).find(([address]) => address.startsWith("aws_kms_key.director_key"))?.[1]?.arn as string;
  assert.ok(directorKey, "the director key is applied");
  const kmsAs = (shortName: string) => {
    const fn = world.cloud.description.functions.find((candidate) => candidate.functionName.endsWith(`-${shortName}`))!;
    return new KMSClient({ endpoint: world.cloud.clientConfig.endpoint, region: world.cloud.clientConfig.region, credentials: { accessKeyId: `${LOCAL_PRINCIPAL_KEY.functionPrefix}${fn.functionName}`, secretAccessKey: "local" }, maxAttempts: 1 });
  };
  const manager = kmsAs("update-manager");
  const processorKms = kmsAs("telemetry-processor");
  const sign = (extra: object = {}) => new SignCommand({ KeyId: directorKey, Message: new TextEncoder().encode("targets"), MessageType: "RAW", SigningAlgorithm: "ECDSA_SHA_256", ...extra });
  try {
    assert.ok((await manager.send(new GetPublicKeyCommand({ KeyId: directorKey }))).PublicKey?.length);
    assert.ok((await manager.send(sign())).Signature?.length);
    assert.equal(await refused(manager.send(sign({ MessageType: "DIGEST", Message: new Uint8Array(32) }))), { name: "AccessDeniedException", status: 400 }, "a digest");
    assert.equal(await refused(processorKms.send(sign())), { name: "AccessDeniedException", status: 400 }, "the processor");
  } finally {
    manager.destroy();
    processorKms.destroy();
  }
});

test("the front door refused exactly what this file provoked; the operator's calls were never judged", () => {
  assert.is(world.cloud.identity.frontDoor.refused, provoked);
});

test.run();
