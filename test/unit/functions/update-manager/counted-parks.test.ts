/**
 * Review 21, R21-04: the update manager writes each counted parked record once a batch. One vehicle's refused status
 * reports (made up at will, 64 an upload) were each a read-modify-write of the vehicle's one record of the day, and
 * the report consumer's concurrent invocations queued on that key (6.4 S3 requests a report under contention). Now
 * an invocation gathers its batch's counted parks by record and writes each record with one read and one
 * conditional write; a record that cannot be written fails exactly the messages it carried.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { GetObjectCommand, PutObjectCommand, type S3Client } from "@aws-sdk/client-s3";
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from "aws-lambda";
import { memoryVehicleRegistry } from "../../../../campaigns/registry-check.js";
import { memoryCampaignStore } from "../../../../campaigns/store/memory.js";
import type { UpdateServiceDeps } from "../../../../campaigns/update-service.js";
import { UpdateTally } from "../../../../campaigns/update-tally.js";
import { METRIC } from "../../../../contracts/metrics.js";
import type { ParkedFailure } from "../../../../contracts/parked-failure.js";
import { processUpdateBatch } from "../../../../functions/update-manager/process.js";
import { silentLog } from "../../../../lib/logger.js";
import { ParkedTally } from "../../../../lib/parked-failures.js";
import { recordingS3 } from "../../lib/support/recording-s3.js";
import { REPORT_QUEUE_ARN, COMMAND_QUEUE_ARN } from "./support/queued-record.js";

const A = "1HGCM82633A004352";
const B = "1M8GDM9AXKP042788";
const context = { getRemainingTimeInMillis: () => 30_000 } as unknown as Context;

/** A report on a campaign the vehicle made up (refused unknown-job): its `n`th. */
const junk = (vin: string, n: number) =>
  JSON.stringify({ kind: "status-report", idempotencyKey: `made-up-${n}:${vin}#1#1`, vin, campaignId: `made-up-${n}`, jobId: `made-up-${n}:${vin}`, attempt: 1, sequence: 1, status: "FAILED", firmwareVersion: "2.4.0", reportedAt: "2026-12-01T18:59:00Z" });
const batchOf = (bodies: Array<[messageId: string, body: string]>): SQSEvent => ({ Records: bodies.map(([messageId, body]) => ({ messageId, body, eventSourceARN: REPORT_QUEUE_ARN }) as SQSRecord) });

/** The update manager over an empty store and the recording S3 (wrapped by `wrap`), counting S3 requests by key; EMF lines kept. */
function manager(wrap: (send: (command: unknown) => Promise<unknown>) => (command: unknown) => Promise<unknown> = (send) => send) {
  const { s3: inner, puts } = recordingS3();
  const requests = new Map<string, number>();
  const send = wrap(inner.send as (command: unknown) => Promise<unknown>);
  const s3 = {
    send: async (command: unknown) => {
      const key = command instanceof GetObjectCommand || command instanceof PutObjectCommand ? command.input.Key! : "other";
      requests.set(key, (requests.get(key) ?? 0) + 1);
      return send(command);
    },
  } as unknown as S3Client;
  const lines: Array<Record<string, unknown>> = [];
  const invoke = (event: SQSEvent): Promise<SQSBatchResponse> => {
    const deps = { store: memoryCampaignStore(), documents: undefined, tally: new UpdateTally(), registry: memoryVehicleRegistry(), log: silentLog, now: () => new Date("2026-12-01T19:00:00Z") };
    const parking = { s3, bucket: "data", tally: new ParkedTally() };
    return processUpdateBatch(event, context, deps as unknown as UpdateServiceDeps, parking, { namespace: "FleetOTA", commandQueueArn: COMMAND_QUEUE_ARN, write: (line) => lines.push(JSON.parse(line)), repeat: () => () => {} });
  };
  const parked = () => [...puts.entries()].filter(([key]) => key.startsWith("parked/")).map(([key, stored]) => ({ key, ...(JSON.parse(stored) as ParkedFailure) }));
  const parkedMessages = () => lines.reduce((sum, line) => sum + (typeof line[METRIC.MessagesParked] === "number" ? (line[METRIC.MessagesParked] as number) : 0), 0);
  const total = () => [...requests.values()].reduce((sum, count) => sum + count, 0);
  return { invoke, parked, requests, total, parkedMessages };
}

test("a batch of one vehicle's 64 junk reports: one read and one write of its record, which counts 64, keeping the first and the last (64 read-modify-writes before)", async () => {
  const um = manager();
  const bodies = Array.from({ length: 64 }, (_, index): [string, string] => [`m-${index}`, junk(A, index + 1)]);

  const response = await um.invoke(batchOf(bodies));

  assert.equal(response, { batchItemFailures: [] });
  const [record] = um.parked();
  assert.is(um.parked().length, 1);
  assert.equal([record!.reason, record!.count], ["unknown-job", 64]);
  assert.is(record!.message, junk(A, 1), "the first report as sent");
  assert.is(record!.lastMessage, junk(A, 64), "and the last");
  assert.is(um.requests.get(record!.key), 2, "a read (404: none yet) and a create");
  assert.is(um.parkedMessages(), 64, "Reliability/MessagesParked counts each report");

  // act: SQS redelivers the batch (the invocation's response was lost)
  const again = await um.invoke(batchOf(bodies));
  assert.equal(again, { batchItemFailures: [] });
  assert.is(um.parked()[0]!.count, 64, "a redelivered report is not counted twice");
  assert.is(um.requests.get(record!.key), 3, "the redelivery reads the record and writes nothing");
  assert.is(um.parkedMessages(), 64);
});

test("two vehicles' junk in one batch, interleaved: one record each, each written once", async () => {
  const um = manager();
  const bodies = Array.from({ length: 10 }, (_, index): [string, string] => [`m-${index}`, junk(index % 2 === 0 ? A : B, index + 1)]);

  assert.equal(await um.invoke(batchOf(bodies)), { batchItemFailures: [] });

  const records = um.parked();
  assert.equal(records.map((record) => [JSON.parse(record.message).vin, record.count]).sort(), [[B, 5], [A, 5]].sort());
  for (const record of records) assert.is(um.requests.get(record.key), 2, record.key);
  assert.is(um.total(), 4);
});

test("a record whose write fails fails exactly the messages it carried; their redelivery counts them, the others' counts nothing twice", async () => {
  let failing = true;
  let bKey: string | undefined;
  const um = manager((send) => async (command) => {
    if (failing && command instanceof PutObjectCommand && command.input.Body && String(command.input.Body).includes(B)) {
      bKey = command.input.Key;
      throw Object.assign(new Error("We encountered an internal error. Please try again."), { name: "InternalError", $metadata: { httpStatusCode: 500 } });
    }
    return send(command);
  });
  const malformed = JSON.stringify({ kind: "status-report", vin: 42 });
  const bodies: Array<[string, string]> = [["a-1", junk(A, 1)], ["b-1", junk(B, 1)], ["bad", malformed], ["a-2", junk(A, 2)], ["b-2", junk(B, 2)], ["b-3", junk(B, 3)]];

  const response = await um.invoke(batchOf(bodies));

  assert.equal(response.batchItemFailures.map(({ itemIdentifier }) => itemIdentifier).sort(), ["b-1", "b-2", "b-3"]);
  assert.equal(um.parked().map((record) => [record.reason, record.count ?? 1]).sort(), [["invalid-update-message", 1], ["unknown-job", 2]]);
  assert.ok(bKey && !um.parked().some((record) => record.key === bKey), "B's record is not written");
  assert.is(um.parkedMessages(), 3, "the unwritten messages are not counted");

  failing = false;
  assert.equal(await um.invoke(batchOf(bodies)), { batchItemFailures: [] }, "the whole batch again (SQS redelivers B's three; A's come back too, as after a lost response)");
  assert.equal(um.parked().map((record) => [record.reason, record.count ?? 1, JSON.parse(record.message).vin]).sort(), [["invalid-update-message", 1, 42], ["unknown-job", 2, A], ["unknown-job", 3, B]].sort());
  assert.is(um.parkedMessages(), 6, "each message counted once");
});

test("the R21-04 repro's shape through the invocation: 5 concurrent invocations x 4 batches of 10 of one vehicle's junk, all counted, none failed, at most one S3 request a report (3 or more before)", async () => {
  let state = 12_345;
  const um = manager((send) => async (command) => {
    state = (Math.imul(state, 1_664_525) + 1_013_904_223) >>> 0;
    for (let turn = 0; turn <= state % 4; turn++) await new Promise<void>((resolve) => setImmediate(resolve));
    return send(command);
  });
  let made = 0;
  const failed: string[] = [];
  await Promise.all(
    Array.from({ length: 5 }, async (_, invocation) => {
      for (let batch = 0; batch < 4; batch++) {
        const bodies = Array.from({ length: 10 }, (_, index): [string, string] => [`m-${invocation}-${batch}-${index}`, junk(A, ++made)]);
        failed.push(...(await um.invoke(batchOf(bodies))).batchItemFailures.map(({ itemIdentifier }) => itemIdentifier));
      }
    }),
  );

  assert.equal(failed, []);
  assert.equal(um.parked().map((record) => record.count), [200]);
  assert.ok(um.total() <= 200, `${um.total()} S3 requests for 200 junk reports (${(um.total() / 200).toFixed(2)} each)`);
});

test.run();
