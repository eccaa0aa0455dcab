/**
 * Review 17 (R17-F1, fairness): round-robin by uploader pulls a flooder's dear objects to the front of the batch when
 * the other uploaders are few and each has many objects (fleet gateways, the scale deployment). A batch of 100: three
 * gateways' 30 cheap objects each, interleaved, and one vehicle's 10 dear objects spread through it (every 10th). In
 * batch order the 10th dear object is the batch's last, so every gateway object starts before the slots fill with dear
 * reads; round-robin starts the flooder's 10 within the first 40 messages, the 10 slots fill with dear reads, and the
 * gateway objects behind them find the deadline near: deferred (a receive spent each; the README's d^5 to the DLQ).
 * No wall clock decides the outcome (under load, 800 ms of it once passed before the gateway objects had their turn):
 * a dear read yields its lines only once the batch is past its start reserve, which it reaches when every gateway
 * object has started, or when dear reads hold every slot, so nothing else could start until one ends.
 * With fairConcurrencyLimit (a free slot to the uploader with the fewest running) the flooder holds about half the slots while the
 * gateways wait, and no gateway object is deferred (round-robin alone: 60 of 90; one gateway: 80 of 90).
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { gunzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { OBJECTS_IN_FLIGHT, processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { DEADLINE_RESERVE_MS } from "../../../../functions/telemetry-processor/deadline.js";
import { gzipped, NOW_MS, telemetryRecord } from "../../telemetry/support/factories.js";
import { BUCKET, noCampaigns, quietDependencies } from "./support/quiet-batch.js";

const FLOODER = "1HGCM82633A004352";
const CARRIED = "1M8GDM9AXKP042788";
const GATEWAYS = ["gw-depot-1", "gw-depot-2", "gw-depot-3"];

test("review 17 (R17-F1): three gateways' 90 objects and one vehicle's 10 dear ones spread through the batch: no gateway object deferred", async () => {
  const objects = new Map<string, Buffer>();
  const dear = new Set<string>();
  const records: SQSRecord[] = [];
  const gatewayIds = new Set<string>();
  let gatewayCount = 0;
  for (let index = 0; index < 100; index++) {
    const flood = index % 10 === 9;
    const key = flood ? vehicleTelemetryKey(FLOODER, NOW_MS - 60_000, `f-${index}`) : fleetTelemetryKey(GATEWAYS[gatewayCount++ % 3]!, NOW_MS - 60_000, `g-${index}`);
    const vin = flood ? FLOODER : CARRIED;
    const body = gzipped(Array.from({ length: 10 }, (_, seq) => telemetryRecord({ vin, seq: index * 10 + seq })));
    objects.set(key, body);
    if (flood) dear.add(key);
    const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag: `e${index}` } } };
    const record = { messageId: `m-${index}`, body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;
    if (!flood) gatewayIds.add(record.messageId);
    records.push(record);
  }
  let dearRunning = 0;
  let gatewayStarted = 0;
  // The start reserve, reached on a condition instead of a time: all 90 gateway objects started, or dear reads hold every slot.
  let pastStartReserve = false;
  let endDearReads!: () => void;
  const dearReadsEnd = new Promise<void>((resolve) => (endDearReads = resolve));
  const reachStartReserveWhenDue = () => {
    if (pastStartReserve || (gatewayStarted < 90 && dearRunning < OBJECTS_IN_FLIGHT)) return;
    pastStartReserve = true;
    endDearReads();
  };
  async function* slowly(text: Buffer): AsyncGenerator<Uint8Array> {
    try {
      await dearReadsEnd;
      for (const line of text.toString("utf8").split(/(?<=\n)/)) yield Buffer.from(line);
    } finally {
      dearRunning--;
    }
  }
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string } }) {
      if (command.constructor.name !== "GetObjectCommand") return {};
      const key = command.input.Key!;
      if (dear.has(key)) dearRunning++;
      else gatewayStarted++;
      reachStartReserveWhenDue();
      await new Promise((resolve) => setTimeout(resolve, 1));
      return { Body: dear.has(key) ? slowly(gunzipSync(objects.get(key)!)) : [objects.get(key)!] };
    },
  };
  const deps = quietDependencies(s3, new Set([CARRIED]));
  const context = { awsRequestId: "r17", getRemainingTimeInMillis: () => (pastStartReserve ? DEADLINE_RESERVE_MS - 1_000 : 60_000) } as unknown as Context;
  const response = await processTelemetryBatch({ Records: records } as SQSEvent, context, deps, { campaigns: noCampaigns, fleetStateMaxVehicles: 1_000 });
  const returned = response.batchItemFailures.map((failure) => failure.itemIdentifier);
  const gatewayDeferred = returned.filter((id) => gatewayIds.has(id)).length;
  assert.is(gatewayDeferred, 0, `${gatewayDeferred} of 90 gateway objects deferred`);
});

test.run();
