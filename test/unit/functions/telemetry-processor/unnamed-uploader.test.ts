/**
 * Review 18 (R18-F1): a message whose uploader was not named counted as an uploader of its own with none running, every
 * time, so such messages won every free slot. A vehicle makes them at will: its IAM policy lets it put any key under
 * `telemetry/vehicle/<its VIN>/`, and a key outside the layout there (`junk-1.bin`) named no uploader though the scoped
 * segment does. Each is quarantined whole by a server-side copy of a large object, here one that does not end before
 * the batch reaches its start reserve. No wall clock decides when that is (under load, 800 ms of it once passed before
 * the gateway objects had their turn: 21 of 90 deferred): the batch reaches its start reserve when every gateway
 * object has started, or when the junk copies hold every slot, so nothing else could start until they end. Before the
 * fix the 10 junk objects held 10 of 10 slots and 87 of the 90 gateway objects were deferred. Now such a key is its
 * uploader's (uploaderOfKey), and what names no uploader at all is charged to one shared uploader (UNNAMED_UPLOADER):
 * either holds its share, and no gateway object is deferred. The junk objects are MAX_OBJECT_BYTES each, the largest
 * the quarantine still copies.
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { OBJECTS_IN_FLIGHT, processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { DEADLINE_RESERVE_MS } from "../../../../functions/telemetry-processor/deadline.js";
import { UNNAMED_UPLOADER, uploaderOfMessage } from "../../../../functions/telemetry-processor/fair-order.js";
import { MAX_OBJECT_BYTES } from "../../../../functions/telemetry-processor/processor.js";
import { gzipped, NOW_MS, telemetryRecord } from "../../telemetry/support/factories.js";
import { BUCKET, noCampaigns, quietDependencies } from "./support/quiet-batch.js";

const FLOODER = "1HGCM82633A004352";
const CARRIED = "1M8GDM9AXKP042788";
const GATEWAYS = ["gw-depot-1", "gw-depot-2", "gw-depot-3"];

/** A batch of 100: three gateways' 90 objects and 10 junk objects (every 10th) whose quarantine copies end only at the start reserve. */
async function batchOf(junkKey: (index: number) => string): Promise<{ gatewayDeferred: number; junkPeakWhileGatewaysWait: number }> {
  const objects = new Map<string, Buffer>();
  const records: SQSRecord[] = [];
  const gatewayIds = new Set<string>();
  const gatewayKeys = new Set<string>();
  let gatewayCount = 0;
  for (let index = 0; index < 100; index++) {
    const junk = index % 10 === 9;
    const key = junk ? junkKey(index) : fleetTelemetryKey(GATEWAYS[gatewayCount++ % 3]!, NOW_MS - 60_000, `g-${index}`);
    const body = gzipped(Array.from({ length: 10 }, (_, seq) => telemetryRecord({ vin: CARRIED, seq: index * 10 + seq })));
    objects.set(key, body);
    const size = junk ? MAX_OBJECT_BYTES : body.length;
    const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size, etag: `e${index}` } } };
    const record = { messageId: `m-${index}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;
    if (!junk) {
      gatewayIds.add(record.messageId);
      gatewayKeys.add(key);
    }
    records.push(record);
  }
  let junkRunning = 0;
  let junkPeakWhileGatewaysWait = 0;
  let gatewayStarted = 0;
  // The start reserve, reached on a condition instead of a time: all 90 gateway objects started, or the flood holds every slot.
  let pastStartReserve = false;
  let endCopies!: () => void;
  const copiesEnd = new Promise<void>((resolve) => (endCopies = resolve));
  const reachStartReserveWhenDue = () => {
    if (pastStartReserve || (gatewayStarted < 90 && junkRunning < OBJECTS_IN_FLIGHT)) return;
    pastStartReserve = true;
    endCopies();
  };
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string } }) {
      const name = command.constructor.name;
      if (name === "CopyObjectCommand") {
        junkRunning++;
        if (gatewayStarted < 90) junkPeakWhileGatewaysWait = Math.max(junkPeakWhileGatewaysWait, junkRunning);
        reachStartReserveWhenDue();
        await copiesEnd;
        junkRunning--;
        return {};
      }
      if (name !== "GetObjectCommand") return {};
      if (gatewayKeys.has(command.input.Key!)) gatewayStarted++;
      reachStartReserveWhenDue();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { Body: [objects.get(command.input.Key!)!] };
    },
  };
  const deps = quietDependencies(s3, new Set([CARRIED]));
  const context = { awsRequestId: "r18", getRemainingTimeInMillis: () => (pastStartReserve ? DEADLINE_RESERVE_MS - 1_000 : 60_000) } as unknown as Context;
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, context, deps, { campaigns: noCampaigns, fleetStateMaxVehicles: 1_000 });
  const gatewayDeferred = response.batchItemFailures.filter((failure) => gatewayIds.has(failure.itemIdentifier)).length;
  return { gatewayDeferred, junkPeakWhileGatewaysWait };
}

// Under the vehicle's own IAM prefix, outside the layout (no dt=/hour=/file name).
const outsideLayout = (index: number) => `telemetry/vehicle/${FLOODER}/junk-${index}.bin`;
const eventOf = (key: string) => JSON.stringify({ "detail-type": "Object Created", detail: { bucket: { name: BUCKET }, object: { key, size: 1, etag: "e" } } });

test("a key outside the layout under a vehicle's own prefix is that vehicle's; a key naming nobody is the shared unnamed uploader's", () => {
  assert.is(uploaderOfMessage(eventOf(outsideLayout(1))), `vehicle/${FLOODER}`);
  assert.is(uploaderOfMessage(eventOf("telemetry/junk-1.bin")), UNNAMED_UPLOADER);
});

test("R18-F1: one vehicle's 10 outside-layout keys (slow quarantine copies) hold their share of the slots; no gateway object deferred", async () => {
  const { gatewayDeferred, junkPeakWhileGatewaysWait } = await batchOf(outsideLayout);
  assert.ok(junkPeakWhileGatewaysWait < 10, `the flood held ${junkPeakWhileGatewaysWait} of 10 slots while gateway objects waited`);
  assert.is(gatewayDeferred, 0, `${gatewayDeferred} of 90 gateway objects deferred`);
});

test("R18-F1: 10 keys that name no uploader share one uploader's slots; no gateway object deferred", async () => {
  const { gatewayDeferred, junkPeakWhileGatewaysWait } = await batchOf((index) => `telemetry/vehicle/not-a-vin/junk-${index}.bin`);
  assert.ok(junkPeakWhileGatewaysWait < 10, `the unnamed flood held ${junkPeakWhileGatewaysWait} of 10 slots while gateway objects waited`);
  assert.is(gatewayDeferred, 0, `${gatewayDeferred} of 90 gateway objects deferred`);
});

test.run();
