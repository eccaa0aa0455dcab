import { test } from "uvu";
import * as assert from "uvu/assert";
import { vehicleTelemetryKey } from "../../../../contracts/telemetry-keys.js";
import type { ObjectRef } from "../../../../contracts/telemetry-events.js";
import { gzipSync } from "node:zlib";
import type { S3Client } from "@aws-sdk/client-s3";
import { OUTSIDE_LAYOUT, QUARANTINE_PREFIX, quarantinedObjectKey, rejectedLineOverhead, rejectedRecordsKey, writeRejectedRecords } from "../../../../functions/telemetry-processor/quarantine.js";
import { DEFAULT_READ_LIMITS, readTelemetryObject, TooManyRejectedError } from "../../../../telemetry/core.js";

const AT_MS = Date.UTC(2026, 10, 26, 17, 35);
const objectAt = (key: string): ObjectRef => ({ bucket: "lake", key, etag: "e1", size: 10, createdAtMs: AT_MS });

test("quarantine keys mirror the source's uploader and partition and carry the etag", () => {
  const object = objectAt(vehicleTelemetryKey("1HGCM82633A004352", AT_MS, "1"));
  const path = "vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/20261126T173500000Z-1.ndjson.gz";
  assert.is(rejectedRecordsKey(object), `quarantine/records/${path}.e1.ndjson`);
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

/** The bytes writeRejectedRecords puts in the records file, through an S3 client that keeps the body it is sent. */
async function recordsFileBytes(object: ObjectRef, rejected: Parameters<typeof writeRejectedRecords>[3]): Promise<number> {
  let bytes = Number.NaN;
  const s3 = { send: async (command: { input: { Body?: string } }) => void (bytes = Buffer.byteLength(command.input.Body ?? "")) } as unknown as S3Client;
  await writeRejectedRecords(s3, "lake", object, rejected);
  return bytes;
}

test("review 23 (R23-01): an object's 4 MiB of refused lines is the records file's bytes: UTF-8, each line's source too", async () => {
  const object = objectAt(`telemetry/vehicle/1HGCM82633A004352/${"k".repeat(900)}`);
  const limits = { ...DEFAULT_READ_LIMITS, rejectedLineOverhead: rejectedLineOverhead(object) };
  const cjk = (lines: number) => gzipSync(`${Array.from({ length: lines }, () => "\u4e00".repeat(300)).join("\n")}\n`);
  const invalidBytes = (lines: number) => gzipSync(Buffer.concat(Array.from({ length: lines }, () => Buffer.concat([Buffer.alloc(300, 0xff), Buffer.from("\n")]))));
  for (const [what, body] of [["300 CJK characters a line", cjk], ["300 invalid bytes a line (each U+FFFD, 3 bytes)", invalidBytes]] as const) {
    const kept = await readTelemetryObject([body(1_500)], Date.now(), limits);
    const written = await recordsFileBytes(object, kept.rejected);
    assert.ok(written > 2 * 1024 * 1024 && written <= DEFAULT_READ_LIMITS.maxRejectedBytes, `${what}: 1,500 lines kept, ${written} bytes written`);
    const outcome = await readTelemetryObject([body(10_000)], Date.now(), limits).then(() => "read", (error: unknown) => error);
    assert.instance(outcome, TooManyRejectedError, `${what}: 10,000 lines (12.5 MB of records file counted as 3 MB before) quarantined whole`);
  }
});

test.run();
