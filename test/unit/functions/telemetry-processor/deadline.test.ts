/**
 * The telemetry processor's deadline guard (R15-T2, functions/telemetry-processor/deadline.ts): a message whose turn
 * comes with less than the reserve left in the invocation is not started but returned as a batch item failure,
 * counted as deferred; the messages already started finish and the invocation's metrics are still written. Before
 * the guard a batch of dear objects ran into the timeout: no partial response, no metrics, every message retried.
 * S3, DynamoDB and SQS are recording fakes (the processor's calls are counted, not under test); Lambda's context is
 * a fake whose remaining time falls below the reserve after k messages have asked.
 */
import type { S3Client } from "@aws-sdk/client-s3";
import type { SQSClient } from "@aws-sdk/client-sqs";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { gunzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { CampaignList } from "../../../../campaigns/store/index.js";
import { cachedCampaigns } from "../../../../functions/telemetry-processor/campaign-cache.js";
import { METRIC } from "../../../../contracts/metrics.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { OBJECTS_IN_FLIGHT, processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { DEADLINE_RESERVE_MS, DeadlineNearError, READ_DEADLINE_RESERVE_MS, startBeforeDeadline } from "../../../../functions/telemetry-processor/deadline.js";
import type { GatewayVehicles } from "../../../../functions/telemetry-processor/gateway-vehicles.js";
import type { ProcessorDependencies } from "../../../../functions/telemetry-processor/processor.js";
import type { Log } from "../../../../lib/logger.js";
import { gzipped, NOW_MS, telemetryRecord } from "../../telemetry/support/factories.js";

const BUCKET = "lake";
const VIN = "1HGCM82633A004352";
const RECORDS = 10;

/** A vehicle's object of RECORDS valid records, announced by message `m-<index>`. */
function objectMessage(index: number, objects: Map<string, Buffer>, vin = VIN): SQSRecord {
  const key = vehicleTelemetryKey(vin, NOW_MS - 60_000, `deadline-${index}`);
  const body = gzipped(Array.from({ length: RECORDS }, (_, seq) => telemetryRecord({ vin, seq: index * RECORDS + seq })));
  objects.set(key, body);
  const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag: `e${index}` } } };
  return { messageId: `m-${index}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;
}

/** The object's text a line at a time, 150 ms apart: a read that takes long (a dear object at a small share of a CPU). */
async function* slowly(text: Buffer): AsyncGenerator<Uint8Array> {
  for (const line of text.toString("utf8").split(/(?<=\n)/)) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    yield Buffer.from(line);
  }
}

/** The object's first line, then the rest only once `released` resolves: a read still going, however fast the machine. */
async function* heldUntil(released: Promise<void>, text: Buffer): AsyncGenerator<Uint8Array> {
  const [first, ...rest] = text.toString("utf8").split(/(?<=\n)/);
  yield Buffer.from(first!);
  await released;
  for (const line of rest) {
    await new Promise((resolve) => setTimeout(resolve, 1));
    yield Buffer.from(line);
  }
}

/**
 * The processor's dependencies over recording fakes: objects read, ledger completions, log lines, EMF metric lines.
 * The slow keys' bodies come from `slowBody` (default: a line every 150 ms); `completions(n)` resolves once n objects completed.
 */
function fakeCloud(objects: Map<string, Buffer>, slowKeys: ReadonlySet<string> = new Set(), slowBody: (text: Buffer) => AsyncGenerator<Uint8Array> = slowly) {
  const reads: string[] = [];
  const completed: string[] = [];
  const waiting: Array<{ count: number; resolve: () => void }> = [];
  const completions = (count: number) => new Promise<void>((resolve) => waiting.push({ count, resolve }));
  const metricLines: string[] = [];
  const logged: Array<{ level: string; message: string; extra: Record<string, unknown> }> = [];
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string } }) {
      if (command.constructor.name === "GetObjectCommand") {
        const key = command.input.Key!;
        reads.push(key);
        await new Promise((resolve) => setTimeout(resolve, 1)); // an object in flight for a while, as over the network
        return { Body: slowKeys.has(key) ? slowBody(gunzipSync(objects.get(key)!)) : [objects.get(key)!] };
      }
      return {}; // the fleet-state part
    },
  };
  const doc = {
    async send(command: { constructor: { name: string }; input: { Item?: { sk?: string; pk?: string } } }) {
      if (command.constructor.name === "PutCommand") {
        completed.push(String(command.input.Item?.pk));
        for (const waiter of waiting) if (completed.length >= waiter.count) waiter.resolve();
      }
      return {}; // GetCommand: no ledger entry yet
    },
  };
  const sqs = { async send() { return { Successful: [], Failed: [] }; } };
  const gatewayVehicles: GatewayVehicles = { vehiclesOf: async () => new Set(), newerThan: async () => undefined };
  const record = (level: string) => (message: string, extra: Record<string, unknown> = {}) => logged.push({ level, message, extra });
  const log: Log = { debug() {}, info: record("info"), warn: record("warn"), error: record("error") };
  const deps: ProcessorDependencies = {
    s3: s3 as unknown as S3Client,
    sqs: sqs as unknown as SQSClient,
    doc: doc as unknown as DynamoDBDocumentClient,
    dataBucket: BUCKET,
    stateTable: "state",
    updateQueueUrl: "http://queue/update",
    metricsNamespace: "FleetOTA",
    gatewayVehicles,
    log,
    metricsOut: (line) => metricLines.push(line),
    now: () => NOW_MS,
  };
  /** The value the invocation's EMF lines give a metric (undefined when not written). */
  const metric = (name: string): number | undefined => {
    for (const line of metricLines) {
      const value = (JSON.parse(line) as Record<string, unknown>)[name];
      if (typeof value === "number") return value;
    }
    return undefined;
  };
  return { deps, reads, completed, completions, logged, metricLines, metric };
}

const campaigns = cachedCampaigns({ campaigns: { list: async () => [] } as unknown as CampaignList });

/**
 * Lambda's context whose remaining time is plenty until `completed` objects have completed, then under the start
 * reserve but above the read reserve: no message starts any more, the reads in flight go on.
 */
function contextRunningOutAfter(completed: number, cloud: { completed: string[] }): Context {
  return {
    awsRequestId: "req-1",
    getRemainingTimeInMillis: () => (cloud.completed.length < completed ? 60_000 : DEADLINE_RESERVE_MS - 1_000),
  } as unknown as Context;
}

test("near the deadline the messages not yet started go back as batch item failures, unread; the started ones complete and the metrics are written", async () => {
  // prepare: 25 objects, 10 in flight; the remaining time falls under the start reserve once 3 objects completed
  const objects = new Map<string, Buffer>();
  const records = Array.from({ length: 25 }, (_, index) => objectMessage(index, objects));
  const cloud = fakeCloud(objects);
  // act
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, contextRunningOutAfter(3, cloud), cloud.deps, { campaigns, fleetStateMaxVehicles: 100 });
  // assess: the messages that had not started are returned, in the order they waited; every started one completed
  const started = cloud.reads.length;
  assert.ok(started > OBJECTS_IN_FLIGHT && started < records.length, `some messages started after waiting for a slot, not all (${started})`);
  const deferred = records.slice(started).map((record) => record.messageId);
  assert.equal(response.batchItemFailures.map((failure) => failure.itemIdentifier), deferred);
  const keys = [...objects.keys()];
  assert.equal(cloud.reads, keys.slice(0, started), "no deferred message's object was read");
  assert.is(cloud.completed.length, started, "every started object completed in the ledger");
  assert.is(cloud.metric(METRIC.MessagesDeferred), records.length - started, "Telemetry/MessagesDeferred");
  assert.is(cloud.metric(METRIC.DataPoints), started * RECORDS, "the started objects' records counted: publishInvocation ran");
  const done = cloud.logged.find((line) => line.message === "batch done");
  assert.is(done?.extra.deferred, records.length - started);
  assert.is(done?.extra.failures, records.length - started);
  const warned = cloud.logged.filter((line) => line.level === "warn");
  assert.is(warned.length, 1, "one warning for the deferrals, none per message");
  assert.match(warned[0]!.message, /neared its timeout/);
});

test("a batch that never nears the deadline starts every message and writes no deferral metric", async () => {
  const objects = new Map<string, Buffer>();
  const records = Array.from({ length: 15 }, (_, index) => objectMessage(index, objects));
  const cloud = fakeCloud(objects);
  const context = contextRunningOutAfter(Number.POSITIVE_INFINITY, cloud);
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, context, cloud.deps, { campaigns, fleetStateMaxVehicles: 100 });
  assert.equal(response.batchItemFailures, []);
  assert.is(cloud.completed.length, records.length);
  assert.is(cloud.metric(METRIC.MessagesDeferred), undefined, "a metric written only when some message was deferred");
  assert.is(cloud.logged.find((line) => line.message === "batch done")?.extra.deferred, 0);
});

test("a batch whose first message finds the deadline near defers every message and still writes the invocation's metrics", async () => {
  const objects = new Map<string, Buffer>();
  const records = Array.from({ length: 3 }, (_, index) => objectMessage(index, objects));
  const cloud = fakeCloud(objects);
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, contextRunningOutAfter(0, cloud), cloud.deps, { campaigns, fleetStateMaxVehicles: 100 });
  assert.is(response.batchItemFailures.length, 3);
  assert.equal(cloud.reads, []);
  assert.is(cloud.metric(METRIC.MessagesDeferred), 3);
});

test("a read still going at the read deadline is abandoned: its message goes back, counted, nothing of it recorded; the others complete", async () => {
  // prepare: four objects read at once, three slowly: their first line, then the rest only once the four completed. Lambda's
  // clock passes the read reserve when the four have completed: a condition, not real time (with 500 ms of it, a loaded
  // machine abandoned fast reads too)
  const objects = new Map<string, Buffer>();
  const records = Array.from({ length: 7 }, (_, index) => objectMessage(index, objects));
  const keys = [...objects.keys()];
  const slow = new Set([1, 3, 5].map((index) => keys[index]!));
  const fast = records.length - slow.size;
  let released: Promise<void> = Promise.resolve();
  const cloud = fakeCloud(objects, slow, (text) => heldUntil(released, text));
  released = cloud.completions(fast);
  const context = {
    awsRequestId: "req-2",
    getRemainingTimeInMillis: () => (cloud.completed.length < fast ? READ_DEADLINE_RESERVE_MS + 60_000 : READ_DEADLINE_RESERVE_MS - 1),
  } as unknown as Context;
  // act: every message starts (no start reserve here), the slow reads pass the read deadline
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, context, cloud.deps, { campaigns, fleetStateMaxVehicles: 100, reserveMs: 0 });
  // assess
  // in the order the reads were abandoned, which a loaded machine may change
  assert.equal(response.batchItemFailures.map((failure) => failure.itemIdentifier).sort(), ["m-1", "m-3", "m-5"]);
  assert.is(cloud.reads.length, records.length, "every message started");
  assert.is(cloud.completed.length, 4, "only the objects read in time completed");
  assert.is(cloud.metric(METRIC.MessagesDeferred), 3);
  assert.is(cloud.metric(METRIC.DataPoints), 4 * RECORDS, "nothing of an abandoned object counted");
  const done = cloud.logged.find((line) => line.message === "batch done");
  assert.is(done?.extra.abandoned, 3);
  assert.is(done?.extra.deferred, 3);
  assert.not.ok(cloud.logged.some((line) => line.message.startsWith("message failed")), "an abandoned read is no failure of its own");
});

test("one vehicle's flood of dear objects first in the batch: the other vehicles' objects start before its second and complete, the flood's tail is what goes back", async () => {
  // prepare: 20 dear (slow) objects of one vehicle, then 5 cheap ones of 5 other vehicles; the remaining time falls
  // under the start reserve once 6 objects completed (the dear ones take the invocation's time)
  const objects = new Map<string, Buffer>();
  const flood = Array.from({ length: 20 }, (_, index) => objectMessage(index, objects));
  const good = Array.from({ length: 5 }, (_, index) => objectMessage(20 + index, objects, `WP0ZZZ99ZTS39212${index}`));
  const keys = [...objects.keys()];
  const cloud = fakeCloud(objects, new Set(keys.slice(0, 20)));
  // act
  const response = await processTelemetryBatch({ Records: [...flood, ...good] } as SQSEvent, contextRunningOutAfter(6, cloud), cloud.deps, { campaigns, fleetStateMaxVehicles: 100 });
  // assess: every good object read and completed; what went back is the flood's, exactly the messages not completed
  const goodKeys = keys.slice(20);
  assert.ok(goodKeys.every((key) => cloud.reads.includes(key)), "every other vehicle's object was started");
  assert.ok(goodKeys.every((key) => cloud.completed.includes(`OBJECT#${BUCKET}/${key}`)), "and completed");
  assert.is(cloud.reads.indexOf(goodKeys.at(-1)!), 5, "all five before the flooder's second object");
  const returned = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  assert.ok(returned.length > 0, "the flood did not fit the invocation");
  assert.equal(returned.sort(), flood.slice(cloud.reads.length - good.length).map((record) => record.messageId).sort(), "the flooder's unstarted tail, nothing else");
  assert.is(cloud.completed.length + returned.length, flood.length + good.length, "each message completed or returned");
  assert.is(cloud.metric(METRIC.MessagesDeferred), returned.length);
});

test("startBeforeDeadline: refuses under the reserve, starts at it, and keeps no deadline for a context without one", () => {
  assert.throws(() => startBeforeDeadline({ getRemainingTimeInMillis: () => DEADLINE_RESERVE_MS - 1 }), (error: unknown) => error instanceof DeadlineNearError && error.remainingMs === DEADLINE_RESERVE_MS - 1);
  startBeforeDeadline({ getRemainingTimeInMillis: () => DEADLINE_RESERVE_MS });
  startBeforeDeadline({});
  startBeforeDeadline(undefined);
  assert.throws(() => startBeforeDeadline({ getRemainingTimeInMillis: () => 4_000 }, 5_000), /4000 ms left in the invocation, under the 5000 ms kept/);
});

test.run();
