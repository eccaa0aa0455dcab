/**
 * The telemetry processor's ledger (functions/telemetry-processor/idempotency.ts) as the processor uses it:
 * one object delivered once, again, twice at once, read through a connection that breaks, with the ledger's
 * answer lost on the way back (the SDK retries the put, as on AWS), and over a marker the lease ledger left.
 * DynamoDB is the real SDK client (its own retries, its own error parsing) over an in-memory table answered
 * by its request handler; S3 and SQS are recording fakes (the processor's calls to them are not under test here).
 */
import { Readable } from "node:stream";
import type { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { S3ServiceException, type S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { OBJECT_PK_PREFIX } from "../../../../functions/telemetry-processor/idempotency.js";
import { lazyOnce, processTelemetryMessage, type InvocationScope, type ProcessorDependencies } from "../../../../functions/telemetry-processor/processor.js";
import { ParkedTally } from "../../../../lib/parked-failures.js";
import { InvocationAggregate } from "../../../../telemetry/aggregate.js";
import { gzipped, telemetryRecord } from "../../telemetry/support/factories.js";

const BUCKET = "lake";
const TABLE = "state";
const VIN = "1HGCM82633A004352";
const RECORDS = 12;

type AttributeMap = Record<string, Record<string, unknown>>;

/** An in-memory state table behind the real DynamoDB client: GetItem, PutItem (conditions on the item's existence), Query (empty). */
function memoryTable() {
  const items = new Map<string, AttributeMap>();
  const calls: string[] = [];
  /** Puts that are written, then answered with a 500 (the answer lost after the write, as AWS may). */
  const lost = { puts: 0 };
  const keyOf = (key: AttributeMap) => `${String(key.pk?.S)}\u0000${String(key.sk?.S)}`;
  const answer = (statusCode: number, body: unknown) => ({
    response: { statusCode, headers: { "content-type": "application/x-amz-json-1.0" }, body: Readable.from([Buffer.from(JSON.stringify(body))]) },
  });
  const handler = {
    metadata: { handlerProtocol: "http/1.1" },
    async handle(request: { headers: Record<string, string>; body?: string }) {
      const operation = (request.headers["x-amz-target"] ?? "").split(".")[1] ?? "";
      calls.push(operation);
      const input = JSON.parse(String(request.body ?? "{}")) as Record<string, unknown>;
      if (operation === "GetItem") {
        const item = items.get(keyOf(input.Key as AttributeMap));
        return answer(200, item ? { Item: item } : {});
      }
      if (operation === "PutItem") {
        const item = input.Item as AttributeMap;
        const existing = items.get(keyOf(item));
        const condition = String(input.ConditionExpression ?? "");
        // Two conditions are modelled (the item absent; or absent or not in a given status); any other is refused, so a test never passes on a misread.
        const statusTest = /^attribute_not_exists\(pk\) OR (#\w+) <> (:\w+)$/.exec(condition);
        if (condition !== "" && condition !== "attribute_not_exists(pk)" && !statusTest) return answer(400, { __type: "com.amazon.coral.validate#ValidationException", message: `unmodelled condition ${condition}` });
        const names = (input.ExpressionAttributeNames ?? {}) as Record<string, string>;
        const values = (input.ExpressionAttributeValues ?? {}) as AttributeMap;
        const holds = !existing || (statusTest !== null && existing[names[statusTest[1]!]!]?.S !== values[statusTest[2]!]?.S);
        if (condition !== "" && !holds) {
          const old = input.ReturnValuesOnConditionCheckFailure === "ALL_OLD" ? { Item: existing } : {};
          return answer(400, { __type: "com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException", message: "The conditional request failed", ...old });
        }
        items.set(keyOf(item), item);
        if (lost.puts > 0) {
          lost.puts--;
          return answer(500, { __type: "com.amazonaws.dynamodb.v20120810#InternalServerError", message: "Internal server error" });
        }
        return answer(200, {});
      }
      if (operation === "Query") return answer(200, { Items: [], Count: 0, ScannedCount: 0 });
      return answer(400, { __type: "com.amazon.coral.validate#ValidationException", message: `unmodelled operation ${operation}` });
    },
    updateHttpClientConfig() {},
    httpHandlerConfigs: () => ({}),
    destroy() {},
  };
  const client = new DynamoDBClient({ region: "us-east-1", credentials: { accessKeyId: "AKIAUNIT", secretAccessKey: "unit" }, requestHandler: handler });
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { doc, items, calls, lost };
}

/** S3 with objects in memory; `hold` keeps every GetObject waiting until it is released (two deliveries reading at once). */
function memoryBucket() {
  const objects = new Map<string, Buffer>();
  const writes: string[] = [];
  let release: () => void = () => {};
  let held: Promise<void> | undefined;
  const reads = { count: 0 };
  const client = {
    async send(command: { constructor: { name: string }; input: Record<string, unknown> }) {
      const key = String(command.input.Key);
      switch (command.constructor.name) {
        case "GetObjectCommand": {
          reads.count++;
          if (held) await held;
          const body = objects.get(key);
          if (!body) throw new S3ServiceException({ name: "NoSuchKey", $fault: "client", $metadata: { httpStatusCode: 404 }, message: "no such key" });
          return { Body: Readable.from([body]) };
        }
        case "PutObjectCommand":
        case "CopyObjectCommand":
          writes.push(key);
          return {};
        default:
          throw new Error(`unmodelled S3 call ${command.constructor.name}`);
      }
    },
  };
  return {
    s3: client as unknown as S3Client,
    objects,
    writes,
    reads,
    hold() {
      held = new Promise((resolve) => (release = resolve));
    },
    release() {
      held = undefined;
      release();
    },
  };
}

function recordingSqs() {
  const sent: string[] = [];
  const client = {
    async send(command: { input: { Entries: Array<{ Id: string; MessageBody: string }> } }) {
      sent.push(...command.input.Entries.map((entry) => entry.MessageBody));
      return { Successful: command.input.Entries.map((entry) => ({ Id: entry.Id, MessageId: entry.Id, MD5OfMessageBody: "" })), Failed: [] };
    },
  };
  return { sqs: client as unknown as SQSClient, sent };
}

function world() {
  const table = memoryTable();
  const bucket = memoryBucket();
  const queue = recordingSqs();
  const dependencies: ProcessorDependencies = {
    s3: bucket.s3,
    sqs: queue.sqs,
    cloudWatch: {} as CloudWatchClient,
    doc: table.doc,
    dataBucket: BUCKET,
    stateTable: TABLE,
    updateQueueUrl: "https://sqs.us-east-1.amazonaws.com/000000000000/updates",
    metricsNamespace: "FleetOTA",
    log: { debug() {}, info() {}, warn() {}, error() {} },
  };
  return { table, bucket, queue, dependencies };
}

/** One invocation's scope, as the handler makes it. */
function invocation(dependencies: ProcessorDependencies): InvocationScope {
  return {
    aggregate: new InvocationAggregate(),
    inFlight: new Map(),
    activeCampaigns: lazyOnce(async () => []),
    parking: { s3: dependencies.s3, bucket: BUCKET, tally: new ParkedTally() },
  };
}

/** A vehicle's object of RECORDS valid records, stored; returns the queue message announcing it and its ledger key. */
function upload(bucket: ReturnType<typeof memoryBucket>, name: string) {
  const now = Date.now();
  const key = vehicleTelemetryKey(VIN, now, name);
  const body = gzipped(Array.from({ length: RECORDS }, (_, seq) => telemetryRecord({ vin: VIN, ts: new Date(now - 60_000 + seq * 1_000).toISOString(), seq })));
  bucket.objects.set(key, body);
  const etag = `etag-${name}`;
  const message = JSON.stringify({
    "detail-type": "Object Created",
    source: "aws.s3",
    time: new Date(now).toISOString(),
    detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag } },
  });
  return { message, ledgerKey: `${OBJECT_PK_PREFIX}${BUCKET}/${key}\u0000${etag}` };
}

test("an object delivered once is processed and recorded; delivered again it is a duplicate that adds nothing", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "once");
  const first = invocation(dependencies);
  assert.is(await processTelemetryMessage(object.message, dependencies, first), "processed");
  assert.is(first.aggregate.dataPoints, RECORDS);
  assert.is(table.items.get(object.ledgerKey)?.status?.S, "COMPLETED", "recorded processed");
  assert.equal(table.calls, ["GetItem", "PutItem"], "one ledger read and one write an object");
  const again = invocation(dependencies);
  assert.is(await processTelemetryMessage(object.message, dependencies, again), "duplicate");
  assert.is(again.aggregate.dataPoints, 0, "its records are not counted twice");
  assert.is(again.aggregate.duplicateObjects, 1);
  assert.is(bucket.reads.count, 1, "a recorded object is not read again");
  assert.equal(table.calls, ["GetItem", "PutItem", "GetItem"], "nor written again");
});

test("the same object in two invocations at once: both read it, its records count once, the other counts a duplicate", async () => {
  const { bucket, dependencies } = world();
  const object = upload(bucket, "concurrent");
  bucket.hold();
  const [one, two] = [invocation(dependencies), invocation(dependencies)];
  const outcomes = [processTelemetryMessage(object.message, dependencies, one), processTelemetryMessage(object.message, dependencies, two)];
  while (bucket.reads.count < 2) await new Promise((resolve) => setImmediate(resolve));
  bucket.release();
  assert.equal((await Promise.all(outcomes)).sort(), ["duplicate", "processed"]);
  assert.is(one.aggregate.dataPoints + two.aggregate.dataPoints, RECORDS, "its records are counted once");
  assert.is(one.aggregate.duplicateObjects + two.aggregate.duplicateObjects, 1);
  assert.is(one.aggregate.fleetVehicles().length + two.aggregate.fleetVehicles().length, 1, "one fleet-state entry for the vehicle");
});

test("a read that fails mid-body is transient: the message is retried, nothing is quarantined or recorded", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "reset");
  const s3 = bucket.s3 as unknown as { send: (command: { constructor: { name: string } }) => Promise<unknown> };
  const send = s3.send.bind(s3);
  s3.send = async (command) => {
    if (command.constructor.name !== "GetObjectCommand") return send(command);
    const body = (async function* () {
      yield Buffer.from([0x1f, 0x8b, 0x08, 0x00]);
      throw Object.assign(new Error("aborted"), { code: "ECONNRESET" });
    })();
    return { Body: body };
  };
  const failure = await processTelemetryMessage(object.message, dependencies, invocation(dependencies)).then(
    (outcome) => new Error(`not retried: ${outcome}`),
    (error: unknown) => error as Error,
  );
  assert.is(failure.message, "aborted", "the source's error fails the message (it is retried)");
  assert.equal(bucket.writes, [], "nothing quarantined");
  assert.is(table.items.get(object.ledgerKey), undefined, "not recorded: the redelivery does the work");
});

test("the ledger's answer lost after its write (a 500, the SDK retries the put): the object is still counted, once", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "lost-answer");
  table.lost.puts = 1;
  const scope = invocation(dependencies);
  const outcome = await processTelemetryMessage(object.message, dependencies, scope);
  assert.is(table.calls.filter((call) => call === "PutItem").length >= 2, true, "the SDK retried the put");
  assert.is(table.items.get(object.ledgerKey)?.status?.S, "COMPLETED", "recorded processed");
  assert.is(outcome, "processed", "the delivery whose put was written counts the object, not a duplicate");
  assert.is(scope.aggregate.dataPoints, RECORDS, "its records are counted (DataPoints, fleet state)");
  assert.is(scope.aggregate.duplicateObjects, 0);
});

test("a marker left IN_PROGRESS by the previous ledger (a lease whose holder died) does not make the object a duplicate", async () => {
  const { table, bucket, dependencies } = world();
  const object = upload(bucket, "old-lease");
  const [pk, sk] = object.ledgerKey.split("\u0000");
  table.items.set(object.ledgerKey, { pk: { S: pk }, sk: { S: sk }, status: { S: "IN_PROGRESS" }, leaseUntil: { N: String(Date.now() - 60_000) } });
  const scope = invocation(dependencies);
  const outcome = await processTelemetryMessage(object.message, dependencies, scope);
  assert.is(outcome, "processed", "the object was never processed: its redelivery must do it");
  assert.is(scope.aggregate.dataPoints, RECORDS);
});

test.run();
