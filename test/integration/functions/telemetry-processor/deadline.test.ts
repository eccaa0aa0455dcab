/**
 * R15-T2 on the local cloud with the real bundle, the real SDK and the local runtime's own timeout and Lambda context:
 * one invocation handed more hostile objects (the dearest the limits accept: 16 MiB of records each carrying a 64 KiB
 * unknown key of one wide array, ~0.3 CPU-s each; nested arrays are refused unparsed since R16-T2) than
 * it can read before its timeout, with good objects among them. The deadline guard stops starting messages 10 s
 * before the timeout and abandons reads 5 s before it: the invocation returns (no timeout), every message it did not
 * complete is a batch item failure, and handing those back (as the queue would) completes every object: no good
 * object is lost.
 *
 * The processor runs in a runtime of its own here, with no mapping, invoked directly: the stack's mapping takes 10
 * messages a batch locally, too few to run into a timeout, and a direct invoke holds all of them in one invocation.
 * Its timeout is 40 s (the stack's is 60 s; resolveStackProps allows 20 s and more): the batch needs about 55-70 s
 * of CPU at one core, so before the guard it timed out.
 */
import { PutObjectCommand } from "@aws-sdk/client-s3";
import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import type { ObjectRef } from "../../../../contracts/telemetry-events.js";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { completionOf } from "../../../../functions/telemetry-processor/idempotency.js";
import { startRuntime, type LocalRuntime } from "../../../../local/runtime/index.js";
import { gzipped, telemetryRecord } from "../../../unit/telemetry/support/factories.js";
import { recordingLog, scratchDir, type Scratch } from "../../local/runtime/support/fixtures.js";
import { startTestCloud, type TestCloud } from "../../support/local-cloud.js";

const VIN = "1HGCM82633A004352";
const TIMEOUT_SECONDS = 40;
const HOSTILE = 200;
/** A good object every this many messages, so some wait behind hostile ones for their slot. */
const GOOD_EVERY = 8;
/** 255 valid records of 64 KiB (the line limit), each with an unknown key of one wide array: 16 MiB decoded, all accepted. */
const HOSTILE_BODY = gzipSync(
  Array.from({ length: 255 }, (_, seq) => `${JSON.stringify(telemetryRecord({ seq, ts: new Date(Date.now() - 30_000).toISOString() })).slice(0, -1)},"x":[0${",0".repeat(32_000)}]}\n`).join(""),
);

let world: TestCloud;
let runtime: LocalRuntime;
let scratch: Scratch;
let processorName: string;
let doc: DynamoDBDocumentClient;

test.before(async () => {
  try {
    world = await startTestCloud();
    doc = DynamoDBDocumentClient.from(world.clients.dynamodb);
    scratch = scratchDir();
    const processor = world.cloud.description.functions.find((fn) => fn.functionName.endsWith("telemetry-processor"))!;
    processorName = processor.functionName;
    runtime = await startRuntime(
      { ...world.cloud.description, functions: [{ ...processor, timeoutSeconds: TIMEOUT_SECONDS }], eventSourceMappings: [], schedules: [] },
      { clientConfig: world.cloud.clientConfig, log: recordingLog(), workDir: scratch.dir, runSchedules: false, alarmEvaluationIntervalMs: 0 },
    );
  } catch (error) {
    console.error("starting the local cloud failed:", error); // uvu does not report errors of hooks
    throw error;
  }
});

test.after(async () => {
  await runtime?.stop();
  await world?.stop();
  scratch?.remove();
});

interface Uploaded {
  object: ObjectRef;
  message: SQSRecord;
  good: boolean;
}

/** Puts the object and returns the SQS message its EventBridge "Object Created" event would be. */
async function upload(index: number, good: boolean): Promise<Uploaded> {
  const bucket = world.outputs.data_bucket_name!;
  const nowMs = Date.now();
  const key = vehicleTelemetryKey(VIN, nowMs, `deadline-${process.pid}-${index}`);
  const body = good ? gzipped([telemetryRecord({ seq: index, ts: new Date(nowMs - 30_000).toISOString() })]) : HOSTILE_BODY;
  const put = await world.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const etag = put.ETag!.replaceAll('"', "");
  const event = { version: "0", source: "aws.s3", "detail-type": "Object Created", time: new Date(nowMs).toISOString(), detail: { bucket: { name: bucket }, object: { key, size: body.length, etag } } };
  const message = { messageId: `m-${index}`, receiptHandle: `r-${index}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" }, eventSource: "aws:sqs" } as unknown as SQSRecord;
  return { object: { bucket, key, etag, size: body.length, createdAtMs: nowMs }, message, good };
}

const completed = async (uploaded: Uploaded): Promise<boolean> => (await completionOf({ doc, table: world.outputs.state_table_name! }, uploaded.object)) !== undefined;

test("a batch of hostile objects with good ones among them: no timeout, what was not started is returned, and returned again until every object is completed", async () => {
  // prepare
  const all: Uploaded[] = [];
  for (let index = 0; all.length < HOSTILE + Math.floor(HOSTILE / GOOD_EVERY); index++) all.push(await upload(index, index % GOOD_EVERY === GOOD_EVERY - 1));
  const good = all.filter((uploaded) => uploaded.good);
  // act: invoke with the batch, then with what it returned, as the queue would redeliver it
  let pending = all;
  const deferredBy: number[] = [];
  while (pending.length > 0 && deferredBy.length < 6) {
    const started = Date.now();
    const response = (await runtime.invoke(processorName, { Records: pending.map((uploaded) => uploaded.message) } satisfies SQSEvent)) as SQSBatchResponse;
    assert.ok(Date.now() - started < TIMEOUT_SECONDS * 1000, "the invocation returned before its timeout");
    const returned = new Set(response.batchItemFailures.map((failure) => failure.itemIdentifier));
    // assess each invocation: a message is completed or returned, never both, never neither
    for (const uploaded of pending) {
      const done = await completed(uploaded);
      assert.is(done, !returned.has(uploaded.message.messageId), `${uploaded.message.messageId} (${uploaded.good ? "good" : "hostile"}) completed xor returned`);
    }
    deferredBy.push(returned.size);
    pending = pending.filter((uploaded) => returned.has(uploaded.message.messageId));
  }
  // assess
  assert.is(runtime.counters().functions[processorName]!.timeouts, 0, "no invocation timed out");
  assert.ok(deferredBy[0]! > 0, `the first invocation ran short of time and returned messages (${deferredBy.join(", ")})`);
  assert.is(pending.length, 0, `every message completed after ${deferredBy.length} invocations (returned: ${deferredBy.join(", ")})`);
  for (const uploaded of good) assert.ok(await completed(uploaded), `good object ${uploaded.object.key} completed`);
});

test.run();
