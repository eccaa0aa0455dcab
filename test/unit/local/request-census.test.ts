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
import { classifyRequest, RequestCensus, type RequestKind } from "../../../local/request-census.js";

async function captured(send: (config: object) => Promise<unknown>): Promise<RequestKind> {
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
    credentials: { accessKeyId: "AKIDEXAMPLE", secretAccessKey: "secret" },
    maxAttempts: 1,
    forcePathStyle: true,
  };
  await send(config).catch(() => undefined);
  server.close();
  assert.ok(seen, "the client sent a request");
  return classifyRequest(seen.method ?? "", seen.url ?? "", seen.headers);
}

const cases: Array<[string, (config: object) => Promise<unknown>, RequestKind]> = [
  ["S3 PutObject", (c) => new S3Client(c).send(new PutObjectCommand({ Bucket: "b", Key: "telemetry/x.gz", Body: "x" })), { service: "s3", operation: "PutObject" }],
  ["S3 GetObject", (c) => new S3Client(c).send(new GetObjectCommand({ Bucket: "b", Key: "jobs/V.json" })), { service: "s3", operation: "GetObject" }],
  ["S3 ListObjectsV2", (c) => new S3Client(c).send(new ListObjectsV2Command({ Bucket: "b", Prefix: "jobs/" })), { service: "s3", operation: "ListObjects" }],
  ["DynamoDB PutItem", (c) => new DynamoDBClient(c).send(new PutItemCommand({ TableName: "t", Item: {} })), { service: "dynamodb", operation: "PutItem" }],
  ["SQS SendMessageBatch", (c) => new SQSClient(c).send(new SendMessageBatchCommand({ QueueUrl: "http://q/1/q", Entries: [{ Id: "1", MessageBody: "x" }] })), { service: "sqs", operation: "SendMessageBatch" }],
  ["CloudWatch PutMetricData", (c) => new CloudWatchClient(c).send(new PutMetricDataCommand({ Namespace: "N", MetricData: [] })), { service: "monitoring", operation: "PutMetricData" }],
  ["KMS Sign", (c) => new KMSClient(c).send(new SignCommand({ KeyId: "k", Message: new Uint8Array([1]), SigningAlgorithm: "ECDSA_SHA_256" })), { service: "kms", operation: "Sign" }],
  ["IoT DescribeThing", (c) => new IoTClient(c).send(new DescribeThingCommand({ thingName: "V" })), { service: "iot", operation: "GET /things" }],
];

for (const [name, send, expected] of cases) {
  test(`classifies ${name}`, async () => {
    assert.equal(await captured(send), expected);
  });
}

test("the census counts by service and operation and resets", () => {
  const census = new RequestCensus();
  census.record({ service: "s3", operation: "PutObject" });
  census.record({ service: "s3", operation: "PutObject" });
  census.record({ service: "sqs", operation: "ReceiveMessage" });
  assert.equal(census.snapshot(), { "s3:PutObject": 2, "sqs:ReceiveMessage": 1 });
  census.reset();
  assert.equal(census.snapshot(), {});
});

test("an unsigned request is still counted, under 'unsigned'", () => {
  assert.equal(classifyRequest("GET", "/moto-api/", {}).service, "unsigned");
});

test.run();
