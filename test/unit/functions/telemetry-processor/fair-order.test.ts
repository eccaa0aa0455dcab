/**
 * The order a telemetry batch's messages are started in (functions/telemetry-processor/fair-order.ts): round-robin by
 * the uploader the object key names, so one uploader's flood of dear objects leaves its own objects unread near the
 * deadline, not everyone's. Pure functions: no I/O.
 */
import type { SQSRecord } from "aws-lambda";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { fleetTelemetryKey, vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { roundRobinByUploader, UNNAMED_UPLOADER, uploaderOfMessage } from "../../../../functions/telemetry-processor/fair-order.js";
import { NOW_MS } from "../../telemetry/support/factories.js";

const FLOODER = "1HGCM82633A004352";
const OTHER = "1M8GDM9AXKP042788";
const GATEWAY = "gw-depot-7";

/** An SQS message announcing `key` as EventBridge delivers it (etag `e<id>`, or `etag` for a duplicate of an object). */
function message(id: string, key: string, etag = `e${id}`): SQSRecord {
  const body = JSON.stringify({ "detail-type": "Object Created", time: new Date(NOW_MS).toISOString(), detail: { bucket: { name: "lake" }, object: { key, size: 10, etag } } });
  return { messageId: id, body } as unknown as SQSRecord;
}
const vehicle = (vin: string, id: string): SQSRecord => message(id, vehicleTelemetryKey(vin, NOW_MS, `o-${id}`));
const gateway = (id: string): SQSRecord => message(id, fleetTelemetryKey(GATEWAY, NOW_MS, `o-${id}`));
const ids = (records: readonly SQSRecord[]): string[] => records.map((record) => record.messageId);
const ordered = (records: readonly SQSRecord[]): string[] => ids(roundRobinByUploader(records, (record) => uploaderOfMessage(record.body)));

test("round-robin: every uploader's first object, then every uploader's second, …; within an uploader batch order", () => {
  const order = roundRobinByUploader(["a1", "a2", "b1", "a3", "c1", "b2", "a4"], (item) => item[0]);
  assert.equal(order, ["a1", "b1", "c1", "a2", "b2", "a3", "a4"]);
});

test("one uploader's 20 objects first in the batch: the 5 others' objects start before its second", () => {
  const flood = Array.from({ length: 20 }, (_, index) => vehicle(FLOODER, `f${index}`));
  const others = [vehicle(OTHER, "v0"), gateway("g0"), vehicle(OTHER, "v1"), gateway("g1"), vehicle("WP0ZZZ99ZTS392120", "w0")];
  const order = ordered([...flood, ...others]);
  assert.equal(order.slice(0, 4), ["f0", "v0", "g0", "w0"], "first round: each uploader's first object");
  assert.equal(order.slice(4, 7), ["f1", "v1", "g1"], "second round");
  assert.equal(order.slice(7), ids(flood.slice(2)), "then the flooder's own, in batch order");
});

test("a vehicle and a gateway are told apart; the same uploader's objects share a round whatever the key's encoding", () => {
  const plain = vehicleTelemetryKey(FLOODER, NOW_MS, "o-1");
  const encoded = vehicleTelemetryKey(FLOODER, NOW_MS, "o-2").replace("dt=", "dt%3D").replace("hour=", "hour%3D");
  assert.is(uploaderOfMessage(message("p", plain).body), `vehicle/${FLOODER}`);
  assert.is(uploaderOfMessage(message("e", encoded).body), `vehicle/${FLOODER}`, "S3 notification style key: the same uploader");
  assert.is(uploaderOfMessage(gateway("g").body), `fleet/${GATEWAY}`);
  assert.equal(ordered([message("p", plain), message("e", encoded), vehicle(OTHER, "o")]), ["p", "o", "e"]);
});

test("a key outside the layout under an uploader's own prefix is that uploader's; what names none is one shared uploader, never one of its own (R18-F1)", () => {
  const outside = message("x", `telemetry/vehicle/${FLOODER}/not-the-layout.gz`);
  const notAVin = message("n", "telemetry/vehicle/not-a-vin/x.gz");
  const elsewhere = message("o", "uploads/x.gz");
  const tags = { messageId: "t", body: JSON.stringify({ "detail-type": "Object Tags Added", detail: {} }) } as unknown as SQSRecord;
  const garbage = { messageId: "j", body: "not json" } as unknown as SQSRecord;
  assert.is(uploaderOfMessage(outside.body), `vehicle/${FLOODER}`);
  for (const record of [notAVin, elsewhere, tags, garbage]) assert.is(uploaderOfMessage(record.body), UNNAMED_UPLOADER, record.messageId);
  const batch = [vehicle(FLOODER, "f0"), vehicle(FLOODER, "f1"), outside, vehicle(FLOODER, "f2"), tags, garbage, vehicle(OTHER, "v0")];
  assert.equal(ordered(batch), ["f0", "t", "v0", "f1", "j", "x", "f2"], "the outside-layout key takes the flooder's third turn; the unnamed ones share turns");
});

test("duplicates: two messages of one object (and one message twice) are both kept, in batch order; the result is a permutation of the batch", () => {
  const key = vehicleTelemetryKey(FLOODER, NOW_MS, "o-dup");
  const first = message("d1", key, "same");
  const second = message("d2", key, "same");
  const batch = [first, vehicle(FLOODER, "f1"), second, first, vehicle(OTHER, "v0")];
  const order = roundRobinByUploader(batch, (record) => uploaderOfMessage(record.body));
  assert.equal(ids(order), ["d1", "v0", "f1", "d2", "d1"]);
  assert.is(order.length, batch.length);
  for (const record of batch) assert.is(order.filter((item) => item === record).length, batch.filter((item) => item === record).length);
});

test("a batch of one uploader, or of all different uploaders, keeps batch order", () => {
  const one = Array.from({ length: 12 }, (_, index) => vehicle(FLOODER, `f${index}`));
  assert.equal(ordered(one), ids(one));
  const many = [vehicle(FLOODER, "a"), vehicle(OTHER, "b"), gateway("c")];
  assert.equal(ordered(many), ids(many));
  assert.equal(roundRobinByUploader([], () => "x"), []);
});

test.run();
