import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readTelemetryObject } from "../../../telemetry/core.js";
import { CorruptObjectError, decodeLines } from "../../../telemetry/decode.js";
import { corruptGzip } from "../../../simulator/faults.js";
import { SeededRandom } from "../../../simulator/random.js";
import { chunked, gzipped, ndjson, NOW_MS, telemetryRecord } from "./support/factories.js";

async function linesOf(source: AsyncIterable<Uint8Array>, limits?: Parameters<typeof decodeLines>[1]): Promise<string[]> {
  const lines: string[] = [];
  for await (const line of decodeLines(source, limits)) lines.push(line.tooLong ? "TOO-LONG" : line.text);
  return lines;
}

async function corruptionOf(source: AsyncIterable<Uint8Array>): Promise<string | undefined> {
  try {
    await readTelemetryObject(source, NOW_MS);
    return undefined;
  } catch (error) {
    assert.instance(error, CorruptObjectError);
    return (error as CorruptObjectError).corruption;
  }
}

test("gzip and plain objects decode to the same lines, whatever the chunking", async () => {
  const lines = ["{\"a\":1}", "{\"b\":\"ünïcödé\"}", "{\"c\":3}"];
  assert.equal(await linesOf(chunked(gzipped(lines), 5)), lines);
  assert.equal(await linesOf(chunked(ndjson(lines), 3)), lines);
  assert.equal(await linesOf(chunked(`${lines.join("\r\n")}`, 4)), lines, "CRLF and no final newline");
});

test("a too-long line is flagged once and the next line still decodes", async () => {
  const long = `{"x":"${"y".repeat(300)}"}`;
  const lines = await linesOf(chunked(ndjson([long, "{\"ok\":1}"]), 16), { maxDecodedBytes: 10_000, maxLineBytes: 100 });
  assert.equal(lines, ["TOO-LONG", "{\"ok\":1}"]);
});

test("a truncated, bit-flipped gzip stream is a corrupt object", async () => {
  const body = corruptGzip(gzipped(Array.from({ length: 50 }, (_, seq) => telemetryRecord({ seq }))), new SeededRandom(3));
  assert.is(await corruptionOf(chunked(body, 64)), "bad-gzip");
});

test("binary data and a gzip bomb are corrupt objects", async () => {
  assert.is(await corruptionOf(chunked(Buffer.from([0x7b, 0x00, 0x01, 0x0a]))), "binary");
  const bomb = gzipSync(Buffer.alloc(2_000_000, 0x20));
  try {
    for await (const _ of decodeLines(chunked(bomb, 1024), { maxDecodedBytes: 1_000_000, maxLineBytes: 100 })) void _;
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is((error as CorruptObjectError).corruption, "too-large");
  }
});

test("a failing source is passed through as itself, not called corruption", async () => {
  async function* failing(): AsyncGenerator<Uint8Array> {
    yield gzipped([telemetryRecord()]).subarray(0, 12);
    throw new Error("socket hang up");
  }
  try {
    await readTelemetryObject(failing(), NOW_MS);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.not.instance(error, CorruptObjectError);
    assert.is((error as Error).message, "socket hang up");
  }
});

test("readTelemetryObject accepts valid lines, rejects the rest with line numbers, skips blank lines", async () => {
  const lines = [telemetryRecord({ seq: 1 }), "", "{not json", telemetryRecord({ seq: 2, battery: { stateOfCharge: 101 } }), telemetryRecord({ seq: 3 })];
  const readout = await readTelemetryObject(chunked(gzipped(lines), 40), NOW_MS);
  assert.equal(readout.accepted.map((enriched) => enriched.record.seq), [1, 3]);
  assert.equal(readout.rejected.map((rejected) => [rejected.line, rejected.reasons[0]!.field, rejected.reasons[0]!.rule]), [
    [3, "(line)", "json"],
    [4, "battery.stateOfCharge", "maximum"],
  ]);
  assert.is(readout.rejected[0]!.raw, "{not json");
  assert.is((readout.rejected[1]!.record as { seq: number }).seq, 2);
});

test("an empty object has no records", async () => {
  const readout = await readTelemetryObject(chunked(Buffer.alloc(0)), NOW_MS);
  assert.equal([readout.accepted.length, readout.rejected.length], [0, 0]);
});

test.run();
