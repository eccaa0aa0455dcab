/**
 * Review 18 (R18-F2): an object quarantined whole was copied server-side (quarantine.ts CopyObject) whatever its size,
 * outside the read deadline: a too-large object (over MAX_OBJECT_BYTES) or any key outside the layout, and a vehicle
 * may PUT 5 GB under its own prefix. A copy that outlasts the invocation makes Lambda kill it whole: no partial batch
 * response, every message back, no metrics. Here the invocation has 600 ms left (start reserve 100 ms, read reserve
 * 300 ms) and a copy takes 1,500 ms: the batch returned ~900 ms after Lambda's clock reached 0. Now an object over
 * MAX_OBJECT_BYTES is not copied: its reason alone is written (`copied: false`, naming the object where it stays), the
 * message completes as quarantined, and the batch returns before the deadline. A read as slow is abandoned in time
 * (control), and an object at the bound is still copied. Review 21: that copy is started only before the read deadline
 * (with 250 ms left and a read reserve of 300 ms a 1.5 s copy made the batch return ~1.25 s late); past it the message
 * goes back to the queue.
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { MAX_OBJECT_BYTES } from "../../../../functions/telemetry-processor/processor.js";
import { quarantinedObjectKey, type ObjectQuarantineReason } from "../../../../functions/telemetry-processor/quarantine.js";
import { gzipped, NOW_MS, telemetryRecord } from "../../telemetry/support/factories.js";
import { BUCKET, noCampaigns, quietDependencies } from "./support/quiet-batch.js";

const VIN = "1HGCM82633A004352";
const SLOW_MS = 1_500;
const FIVE_GB = 5 * 1024 ** 3;

interface Outcome {
  remainingAtReturn: number;
  returned: string[];
  copies: number;
  reasons: Map<string, ObjectQuarantineReason>;
}

/** `leftMs` in the invocation at the start. */
async function oneMessage(key: string, size: number, slow: "copy" | "read", { leftMs = 600 }: { leftMs?: number } = {}): Promise<Outcome> {
  const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size, etag: "e1" } } };
  const records = [{ messageId: "m-1", body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord];
  async function* slowly(): AsyncGenerator<Uint8Array> {
    for (let seq = 0; seq < 15; seq++) {
      await new Promise((resolve) => setTimeout(resolve, SLOW_MS / 15));
      yield Buffer.from(`${JSON.stringify(telemetryRecord({ vin: VIN, seq }))}\n`);
    }
  }
  let copies = 0;
  const reasons = new Map<string, ObjectQuarantineReason>();
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string; Body?: string } }) {
      const name = command.constructor.name;
      if (name === "CopyObjectCommand") {
        copies++;
        if (slow === "copy") await new Promise((resolve) => setTimeout(resolve, SLOW_MS));
      }
      if (name === "PutObjectCommand" && command.input.Key!.endsWith(".reason.json")) reasons.set(command.input.Key!, JSON.parse(command.input.Body!));
      if (name === "GetObjectCommand") return { Body: slow === "read" ? slowly() : [gzipped([telemetryRecord({ vin: VIN })])] };
      return {};
    },
  };
  const deps = quietDependencies(s3);
  const endMs = Date.now() + leftMs;
  const context = { awsRequestId: "r18-f2", getRemainingTimeInMillis: () => endMs - Date.now() } as unknown as Context;
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, context, deps, {
    campaigns: noCampaigns,
    fleetStateMaxVehicles: 10,
    reserveMs: 100,
    readReserveMs: 300,
  });
  return { remainingAtReturn: endMs - Date.now(), returned: response.batchItemFailures.map((failure) => failure.itemIdentifier), copies, reasons };
}

const inLayout = vehicleTelemetryKey(VIN, NOW_MS - 60_000, "x-1");
const outsideLayout = `telemetry/vehicle/${VIN}/junk-1.bin`;
const reasonKey = (key: string, size: number) => `${quarantinedObjectKey({ bucket: BUCKET, key, etag: "e1", size, createdAtMs: 0 })}.reason.json`;

for (const [name, key, corruption] of [
  ["a too-large object in the layout", inLayout, "too-large"],
  ["an object outside the layout under the vehicle's own prefix", outsideLayout, "key-segments"],
] as const) {
  test(`R18-F2: ${name}, 5 GB, is not copied: its reason names it where it stays, and the batch returns before the deadline`, async () => {
    const { remainingAtReturn, returned, copies, reasons } = await oneMessage(key, FIVE_GB, "copy");
    assert.is(copies, 0, "no copy of an object over MAX_OBJECT_BYTES");
    assert.ok(remainingAtReturn > 0, `returned with ${remainingAtReturn} ms left`);
    assert.equal(returned, [], "quarantined and completed, not retried");
    const reason = reasons.get(reasonKey(key, FIVE_GB));
    assert.equal(reason && { source: reason.source, corruption: reason.corruption, copied: reason.copied }, { source: { bucket: BUCKET, key, etag: "e1", size: FIVE_GB }, corruption, copied: false });
  });
}

test("an object outside the layout at the bound is still copied, and its reason says so", async () => {
  const { copies, reasons } = await oneMessage(outsideLayout, MAX_OBJECT_BYTES, "read");
  assert.is(copies, 1);
  assert.is(reasons.get(reasonKey(outsideLayout, MAX_OBJECT_BYTES))?.copied, true);
});

// Review 21 (R18-F2 leftovers): a copy of up to MAX_OBJECT_BYTES is left to the read reserve, so it is started only
// before the read deadline; past it the message goes back to the queue, as a read past its deadline does. (An object
// that is read passes the read's own deadline checks first: one read past the deadline is abandoned before its copy.)
test("an object outside the layout at the bound (never read), its copy due with 250 ms left (read reserve 300 ms): not started, no reason written, the message returned before the deadline", async () => {
  const { remainingAtReturn, returned, copies, reasons } = await oneMessage(outsideLayout, MAX_OBJECT_BYTES, "copy", { leftMs: 250 });
  assert.is(copies, 0, "no copy started past the read deadline");
  assert.equal(returned, ["m-1"], "deferred: back to the queue for a later invocation");
  assert.is(reasons.size, 0, "nothing quarantined yet");
  assert.ok(remainingAtReturn > 0, `returned with ${remainingAtReturn} ms left`);
});

test("control: the same copy due with 350 ms left is started (the read reserve is what it is left to)", async () => {
  const { copies, returned, reasons } = await oneMessage(outsideLayout, MAX_OBJECT_BYTES, "copy", { leftMs: 350 });
  assert.is(copies, 1);
  assert.equal(returned, []);
  assert.is(reasons.get(reasonKey(outsideLayout, MAX_OBJECT_BYTES))?.copied, true);
});

test("control: a read as slow is abandoned before the deadline and its message returned", async () => {
  const { remainingAtReturn, returned } = await oneMessage(inLayout, 1_000, "read");
  assert.ok(remainingAtReturn > 0, `returned with ${remainingAtReturn} ms left`);
  assert.equal(returned, ["m-1"]);
});

test.run();
