/**
 * The front door's census names each request as AWS bills it. The requests are made by the real SDK
 * clients (so their protocols are the real ones) against a loopback server that only records them.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient, PutItemCommand } from "@aws-sdk/client-dynamodb";
import { IoTClient, DescribeThingCommand } from "@aws-sdk/client-iot";
import { KMSClient, SignCommand } from "@aws-sdk/client-kms";
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import { GATEWAY_ACCESS_KEY_PREFIX, VehicleSessions } from "../../../local/identity/sessions.js";
import { classifyRequest, dynamoDbCapacityUnits, LOCAL_PRINCIPAL_KEY, RequestCensus, type RequestKind } from "../../../local/request-census.js";

async function captured(send: (config: object) => Promise<unknown>, accessKeyId = "ASIAVEHICLESESSION"): Promise<RequestKind> {
  let seen: IncomingMessage | undefined;
  const server = createServer((request, response) => {
    seen ??= request;
    request.resume();
    response.writeHead(400, { "content-type": "application/json" }).end("{}");
  });
  await new Promise<void>((listening) => server.listen(0, "127.0.0.1", listening));
  const config = {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    region: "us-east-1",
    credentials: { accessKeyId, secretAccessKey: "secret" },
    maxAttempts: 1,
    forcePathStyle: true,
  };
  await send(config).catch(() => undefined);
  server.close();
  assert.ok(seen, "the client sent a request");
  return classifyRequest(seen.method ?? "", seen.url ?? "", seen.headers);
}

const cases: Array<[string, (config: object) => Promise<unknown>, RequestKind]> = [
  ["S3 PutObject", (c) => new S3Client(c).send(new PutObjectCommand({ Bucket: "b", Key: "telemetry/x.gz", Body: "x" })), { principal: "vehicle", service: "s3", operation: "PutObject" }],
  ["S3 GetObject", (c) => new S3Client(c).send(new GetObjectCommand({ Bucket: "b", Key: "jobs/V.json" })), { principal: "vehicle", service: "s3", operation: "GetObject" }],
  ["S3 ListObjectsV2", (c) => new S3Client(c).send(new ListObjectsV2Command({ Bucket: "b", Prefix: "jobs/" })), { principal: "vehicle", service: "s3", operation: "ListObjects" }],
  ["DynamoDB PutItem", (c) => new DynamoDBClient(c).send(new PutItemCommand({ TableName: "t", Item: {} })), { principal: "vehicle", service: "dynamodb", operation: "PutItem" }],
  ["SQS SendMessageBatch", (c) => new SQSClient(c).send(new SendMessageBatchCommand({ QueueUrl: "http://q/1/q", Entries: [{ Id: "1", MessageBody: "x" }] })), { principal: "vehicle", service: "sqs", operation: "SendMessageBatch" }],
  ["CloudWatch PutMetricData", (c) => new CloudWatchClient(c).send(new PutMetricDataCommand({ Namespace: "N", MetricData: [] })), { principal: "vehicle", service: "monitoring", operation: "PutMetricData" }],
  ["KMS Sign", (c) => new KMSClient(c).send(new SignCommand({ KeyId: "k", Message: new Uint8Array([1]), SigningAlgorithm: "ECDSA_SHA_256" })), { principal: "vehicle", service: "kms", operation: "Sign" }],
  ["IoT DescribeThing", (c) => new IoTClient(c).send(new DescribeThingCommand({ thingName: "V" })), { principal: "vehicle", service: "iot", operation: "GET /things" }],
];

for (const [name, send, expected] of cases) {
  test(`classifies ${name}`, async () => {
    assert.equal(await captured(send), expected);
  });
}

test("the principal is told by the access key: each function, the mappings, the emulation, the operator, vehicles", async () => {
  const put = (c: object) => new DynamoDBClient(c).send(new PutItemCommand({ TableName: "t", Item: {} }));
  assert.is((await captured(put, "fleetota-fn-fleetota-dev-update-manager")).principal, "function:fleetota-dev-update-manager");
  assert.is((await captured(put, LOCAL_PRINCIPAL_KEY.eventSourceMapping)).principal, "esm");
  assert.is((await captured(put, LOCAL_PRINCIPAL_KEY.emulation)).principal, "emulation");
  assert.is((await captured(put, LOCAL_PRINCIPAL_KEY.operator)).principal, "operator");
  assert.is((await captured(put, "ASIA0000SESSION")).principal, "vehicle");
});

test("sessions the credentials provider issues are counted as the vehicle's or the gateway's, by the thing they were issued for", async () => {
  const sessions = new VehicleSessions();
  const base = { roleArn: "arn:aws:iam::123456789012:role/r", policy: { Version: "2012-10-17", Statement: [] }, durationSeconds: 900 } as const;
  const vehicle = sessions.issue({ ...base, thingName: "1HGCM82633A004352", thingTypeName: "fleetota-dev-vehicle" });
  const untypedVehicle = sessions.issue({ ...base, thingName: "1HGCM82633A004353" });
  const gateway = sessions.issue({ ...base, thingName: "gw-depot-7", thingTypeName: "fleetota-dev-gateway" });
  const put = (c: object) => new S3Client(c).send(new PutObjectCommand({ Bucket: "b", Key: "telemetry/x.gz", Body: "x" }));
  // Vehicles are typed things too: a vehicle of the vehicle type is no gateway (was: any typed thing counted as one).
  assert.is((await captured(put, vehicle.accessKeyId)).principal, "vehicle");
  assert.is((await captured(put, untypedVehicle.accessKeyId)).principal, "vehicle");
  assert.is((await captured(put, gateway.accessKeyId)).principal, "gateway");
  // A key that only looks like a gateway's in the middle, or a vehicle key, is not a gateway.
  assert.is((await captured(put, `ASIAVEHICLE${GATEWAY_ACCESS_KEY_PREFIX}`)).principal, "vehicle");
  assert.is(classifyRequest("PUT", "/b/k", {}).principal, "unsigned");
});

test("the census counts by service and operation and resets", () => {
  const census = new RequestCensus();
  census.record({ principal: "vehicle", service: "s3", operation: "PutObject" });
  census.record({ principal: "vehicle", service: "s3", operation: "PutObject" });
  census.record({ principal: "esm", service: "sqs", operation: "ReceiveMessage" });
  census.recordUnits("esm", { write: 2, read: 0.5, metrics: 0 });
  census.recordUnits("esm", { write: 1, read: 0, metrics: 4 });
  assert.equal(census.snapshot(), {
    requests: { "esm sqs:ReceiveMessage": 1, "vehicle s3:PutObject": 2 },
    units: { esm: { write: 3, read: 0.5, metrics: 4 } },
  });
  census.reset();
  assert.equal(census.snapshot(), { requests: {}, units: {} });
});

test("an unsigned request is still counted, under 'unsigned'", () => {
  assert.equal(classifyRequest("GET", "/moto-api/", {}), { principal: "unsigned", service: "unsigned", operation: "GET /moto-api" });
});

const capacityCases: Array<[string, Parameters<typeof dynamoDbCapacityUnits>[1], { write: number; read: number }]> = [
  ["PutItem", {}, { write: 1, read: 0 }],
  ["TransactWriteItems", { TransactItems: [{}, {}, {}] }, { write: 6, read: 0 }],
  ["BatchWriteItem", { RequestItems: { t: [{}, {}], u: [{}] } }, { write: 3, read: 0 }],
  ["GetItem", { ConsistentRead: true }, { write: 0, read: 1 }],
  ["GetItem", {}, { write: 0, read: 0.5 }],
  ["BatchGetItem", { RequestItems: { t: { Keys: [{}, {}, {}, {}] } } }, { write: 0, read: 2 }],
  ["DescribeTable", {}, { write: 0, read: 0 }],
];
for (const [operation, body, expected] of capacityCases) {
  test(`capacity units of ${operation} ${JSON.stringify(body)}`, () => {
    assert.equal(dynamoDbCapacityUnits(operation, body), expected);
  });
}

test.run();
