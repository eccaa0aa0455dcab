/**
 * Review 25, R25-02: a vehicle's object of 10,000 identical short refused lines (`"aaaaaaaaaaa"`, a JSON string, not a
 * record) gzips to ~314 bytes, and its records file repeated the object's source (a key of up to 256 characters) on
 * every line, plain: 3.6-4.0 MB stored for 90 days, 11,000-12,600 times the upload. Now the file is gzip and names the
 * source once; every refused line is still in it with its line number, text and reasons.
 */
import type { Context, SQSEvent, SQSRecord } from "aws-lambda";
import { randomBytes } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import { decodeRejectedRecords, REJECTED_RECORDS } from "../../../../contracts/rejected-records.js";
import { processTelemetryBatch } from "../../../../functions/telemetry-processor/batch.js";
import { rejectedRecordsKey } from "../../../../functions/telemetry-processor/quarantine.js";
import { DEFAULT_READ_LIMITS, LINE_REFUSAL } from "../../../../telemetry/core.js";
import { NOW_MS } from "../../telemetry/support/factories.js";
import { BUCKET, noCampaigns, quietDependencies } from "./support/quiet-batch.js";

const VIN = "1HGCM82633A004352";
const ETAG = "0123456789abcdef0123456789abcdef";

/** Processes one object through the batch handler; returns what was put under quarantine/records/ (key, bytes, type). */
async function recordsFileOf(body: Buffer, name: string) {
  const key = vehicleTelemetryKey(VIN, NOW_MS - 60_000, name);
  const puts: Array<{ key: string; body: Uint8Array; contentType?: string }> = [];
  const s3 = {
    async send(command: { constructor: { name: string }; input: { Key?: string; Body?: Uint8Array; ContentType?: string } }) {
      const kind = command.constructor.name;
      if (kind === "GetObjectCommand") return { Body: [body] };
      if (kind === "PutObjectCommand") puts.push({ key: command.input.Key!, body: command.input.Body!, contentType: command.input.ContentType });
      return {};
    },
  };
  const event = { "detail-type": "Object Created", time: new Date(NOW_MS - 30_000).toISOString(), detail: { bucket: { name: BUCKET }, object: { key, size: body.length, etag: ETAG } } };
  const record = { messageId: "m-1", body: JSON.stringify(event), attributes: { ApproximateReceiveCount: "1" } } as unknown as SQSRecord;
  const context = { awsRequestId: "r25-02", getRemainingTimeInMillis: () => 55_000 } as unknown as Context;
  const response = await processTelemetryBatch({ Records: [record] } as SQSEvent, context, quietDependencies(s3), { campaigns: noCampaigns, fleetStateMaxVehicles: 1_000 });
  assert.is(response.batchItemFailures.length, 0);
  const records = puts.filter((put) => put.key.startsWith("quarantine/records/"));
  assert.is(records.length, 1, "the refused lines are kept, not the object quarantined whole");
  assert.is(records[0]!.key, rejectedRecordsKey({ bucket: BUCKET, key, etag: ETAG, size: body.length, createdAtMs: 0 }));
  return { sourceKey: key, ...records[0]! };
}

test("R25-02: the repro's 314-byte upload of 10,000 refused 13-character lines now stores a records file of tens of KB (was 3.6-4.0 MB), every line in it", async () => {
  const name = Array.from({ length: 8 }, () => "aaaaaaa").join("-"); // 64 characters, the longest object name
  const upload = gzipSync('"aaaaaaaaaaa"\n'.repeat(10_000), { level: 9 });
  const file = await recordsFileOf(upload, name);
  const stored = file.body.byteLength;
  const text = gunzipSync(file.body).toString("utf8");
  console.log(`R25-02: upload ${upload.length} B gzip -> quarantine/records ${stored} B stored (x${Math.round(stored / upload.length)}), ${Buffer.byteLength(text)} B before gzip`);
  assert.ok(upload.length < 400);
  assert.ok(stored < 64 * 1024, `${stored} bytes stored`);
  assert.ok(stored / upload.length < 200, "at most 200 times the upload (was over 10,000)");
  assert.is(file.contentType, REJECTED_RECORDS.ContentType);
  assert.ok(file.key.endsWith(REJECTED_RECORDS.Suffix));
  assert.is(text.split(file.sourceKey).length - 1, 1, "the object's key is written once, in the header");
  assert.is(text.split(ETAG).length - 1, 1, "and its ETag");

  const { source, lines } = decodeRejectedRecords(file.body);
  assert.equal(source, { bucket: BUCKET, key: file.sourceKey, etag: ETAG });
  assert.is(lines.length, 10_000, "every refused line");
  assert.equal(lines.map((line) => line.line), Array.from({ length: 10_000 }, (_, index) => index + 1), "with its line number");
  assert.ok(lines.every((line) => line.raw === '"aaaaaaaaaaa"' && line.reasons.length > 0 && line.refusal === lines[0]!.refusal), "its text and reasons");
  assert.ok(Buffer.byteLength(text) <= DEFAULT_READ_LIMITS.maxRejectedBytes);
});

test("R25-02: incompressible refused lines store about what was uploaded (no amplification to hide in the gzip)", async () => {
  // 2,000 lines of 300 random base64 characters: gzip cannot shrink the upload much, nor the records file.
  const lines = Array.from({ length: 2_000 }, () => `x${randomBytes(225).toString("base64")}`);
  const upload = gzipSync(`${lines.join("\n")}\n`);
  const file = await recordsFileOf(upload, "random");
  console.log(`R25-02: incompressible upload ${upload.length} B gzip -> quarantine/records ${file.body.byteLength} B stored (x${(file.body.byteLength / upload.length).toFixed(2)})`);
  const { lines: refused } = decodeRejectedRecords(file.body);
  assert.is(refused.length, 2_000);
  assert.ok(refused.every((line, index) => line.raw === lines[index] && line.refusal === LINE_REFUSAL.NotJson));
  assert.ok(file.body.byteLength < 1.2 * upload.length, `${file.body.byteLength} bytes stored for ${upload.length} uploaded`);
});

test.run();
