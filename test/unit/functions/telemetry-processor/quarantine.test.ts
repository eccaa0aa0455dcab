import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import type { ObjectRef } from "../../../../contracts/telemetry-events.js";
import { gunzipSync, gzipSync } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { OUTSIDE_LAYOUT, QUARANTINE_PREFIX, quarantinedObjectKey, recordsFileLimits, rejectedRecordsKey, writeRejectedRecords } from "../../../../functions/telemetry-processor/quarantine.js";
import { DEFAULT_READ_LIMITS, readTelemetryObject, TooManyRejectedError, type ReadLimits } from "../../../../telemetry/core.js";
import { decodeRejectedRecords } from "../../../../contracts/rejected-records.js";

const AT_MS = Date.UTC(2026, 10, 26, 17, 35);
const objectAt = (key: string): ObjectRef => ({ bucket: "lake", key, etag: "e1", size: 10, createdAtMs: AT_MS });

test("quarantine keys mirror the source's uploader and partition and carry the etag", () => {
  const object = objectAt(vehicleTelemetryKey("1HGCM82633A004352", AT_MS, "1"));
  const path = "vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz";
  assert.is(rejectedRecordsKey(object), `quarantine/records/${path}.e1.ndjson.gz`);
  assert.is(quarantinedObjectKey(object), `quarantine/objects/${path}.e1`);
});

const outside: Array<[string, string]> = [
  ["the old flat layout", "telemetry/dt=2026-11-26/hour=17/a.ndjson.gz"],
  ["dot-dot segments that climb out of a download folder", "telemetry/../../../home/operator/.bashrc"],
  ["a key near S3's 1,024-byte limit", `telemetry/vehicle/${"A".repeat(1_000)}`],
  ["control characters", "telemetry/vehicle/\u001b[2J/x"],
];

for (const [name, key] of outside) {
  test(`a key outside the layout is quarantined under its hash: ${name}`, () => {
    const quarantined = quarantinedObjectKey(objectAt(key));
    assert.match(quarantined, new RegExp(`^${QUARANTINE_PREFIX.Objects}${OUTSIDE_LAYOUT}[0-9a-f]{40}\\.e1$`));
    assert.not.ok(quarantined.includes(".."));
  });
}

test("two different bad keys never share a quarantine key", () => {
  assert.is.not(quarantinedObjectKey(objectAt("telemetry/a")), quarantinedObjectKey(objectAt("telemetry/b")));
});

/** The body writeRejectedRecords puts in the records file, through an S3 client that keeps what it is sent. */
async function recordsFileBody(object: ObjectRef, rejected: Parameters<typeof writeRejectedRecords>[3]): Promise<Uint8Array> {
  let body: Uint8Array = new Uint8Array();
  const s3 = { send: async (command: { input: { Body: Uint8Array } }) => void (body = command.input.Body) } as unknown as S3Client;
  await writeRejectedRecords(s3, "lake", object, rejected);
  return body;
}

/** The records file's bytes before gzip: what the object's bound (maxRejectedBytes) is on. */
const recordsFileBytes = async (object: ObjectRef, rejected: Parameters<typeof writeRejectedRecords>[3]): Promise<number> => gunzipSync(await recordsFileBody(object, rejected)).byteLength;

test("review 23 (R23-01): an object's 4 MiB of refused lines is the records file's bytes before gzip: UTF-8, its header too", async () => {
  const object = objectAt(`telemetry/vehicle/1HGCM82633A004352/${"k".repeat(900)}`);
  const limits = recordsFileLimits(object, DEFAULT_READ_LIMITS);
  const cjk = (lines: number) => gzipSync(`${Array.from({ length: lines }, () => "\u4e00".repeat(300)).join("\n")}\n`);
  const invalidBytes = (lines: number) => gzipSync(Buffer.concat(Array.from({ length: lines }, () => Buffer.concat([Buffer.alloc(300, 0xff), Buffer.from("\n")]))));
  for (const [what, body] of [["300 CJK characters a line", cjk], ["300 invalid bytes a line (each U+FFFD, 3 bytes)", invalidBytes]] as const) {
    const kept = await readTelemetryObject([body(3_000)], Date.now(), limits);
    const written = await recordsFileBytes(object, kept.rejected);
    assert.ok(written > 3 * 1024 * 1024 && written <= DEFAULT_READ_LIMITS.maxRejectedBytes, `${what}: 3,000 lines kept (the key no longer on each), ${written} bytes written`);
    const outcome = await readTelemetryObject([body(10_000)], Date.now(), limits).then(() => "read", (error: unknown) => error);
    assert.instance(outcome, TooManyRejectedError, `${what}: 10,000 lines (12.5 MB of records file counted as 3 MB before) quarantined whole`);
  }
});

/** Hostile line texts: control characters (six bytes each in JSON), CJK (three in UTF-8), invalid UTF-8 (U+FFFD, three), quotes and backslashes. */
const HOSTILE: Array<[string, (index: number) => Buffer]> = [
  ["control characters", (index) => Buffer.from("\u0001\u001f\u007f".repeat(20 + index))],
  ["CJK", (index) => Buffer.from("\u4e00\u9fff".repeat(15 + index))],
  ["invalid UTF-8", (index) => Buffer.concat([Buffer.alloc(30 + index, 0xff), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80])])],
  ["quotes and backslashes", (index) => Buffer.from('"\\'.repeat(25 + index))],
];

test("review 25 (R25-02): the bound is exact on the records file before gzip, for hostile texts and a long key: kept, the file is within it; quarantined whole, the same lines would pass it", async () => {
  const object = objectAt(`telemetry/vehicle/1HGCM82633A004352/\u001b${"\u4e00".repeat(300)}`);
  for (const [what, lineOf] of HOSTILE) {
    const bodyOf = (lines: number) => gzipSync(Buffer.concat(Array.from({ length: lines }, (_, index) => Buffer.concat([lineOf(index), Buffer.from("\n")]))));
    const unbounded = await readTelemetryObject([bodyOf(40)], Date.now(), recordsFileLimits(object, { ...DEFAULT_READ_LIMITS, maxRejectedBytes: Number.MAX_SAFE_INTEGER }));
    assert.is(unbounded.rejected.length, 40);
    // Bounds that fall on, and one byte short of, the file of the first n lines.
    for (const lines of [1, 7, 40]) {
      const exact = await recordsFileBytes(object, unbounded.rejected.slice(0, lines));
      for (const [maxRejectedBytes, kept] of [[exact, true], [exact - 1, false]] as const) {
        const limits: ReadLimits = recordsFileLimits(object, { ...DEFAULT_READ_LIMITS, maxRejectedBytes });
        const outcome = await readTelemetryObject([bodyOf(lines)], Date.now(), limits).then((readout) => readout, (error: unknown) => error);
        if (kept) {
          assert.not.instance(outcome, Error, `${what}, ${lines} lines within ${maxRejectedBytes} bytes: kept`);
          assert.is(await recordsFileBytes(object, (outcome as typeof unbounded).rejected), exact);
        } else {
          assert.instance(outcome, TooManyRejectedError, `${what}, ${lines} lines of ${exact} bytes past ${maxRejectedBytes}: quarantined whole`);
        }
      }
    }
  }
});

test("review 25 (R25-02): the records file is gzip naming its object once, and gives back every refused line as it was read", async () => {
  const object = objectAt(`telemetry/vehicle/1HGCM82633A004352/${"k".repeat(200)}`);
  for (const [what, lineOf] of HOSTILE) {
    const body = gzipSync(Buffer.concat(Array.from({ length: 500 }, (_, index) => Buffer.concat([lineOf(index % 7), Buffer.from("\n")]))));
    const { rejected } = await readTelemetryObject([body], Date.now(), recordsFileLimits(object, DEFAULT_READ_LIMITS));
    const stored = await recordsFileBody(object, rejected);
    assert.equal([stored[0], stored[1]], [0x1f, 0x8b], `${what}: gzip`);
    assert.is(gunzipSync(stored).toString("utf8").split("k".repeat(200)).length - 1, 1, `${what}: the key once`);
    assert.equal(decodeRejectedRecords(stored), { source: { bucket: "lake", key: object.key, etag: "e1" }, lines: rejected }, `${what}: every line, its number, text and reasons`);
  }
});

test.run();
