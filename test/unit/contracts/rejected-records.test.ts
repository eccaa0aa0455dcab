import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { decodeRejectedRecords, encodeRejectedRecords, rejectedRecordsHeader, rejectedRecordsText, RejectedRecordsFileError, REJECTED_RECORDS } from "../../../contracts/rejected-records.js";
import type { RejectedLine } from "../../../telemetry/core.js";

const source = { bucket: "lake", key: "telemetry/vehicle/1HGCM82633A004352/dt=2026-11-26/hour=17/x.ndjson.gz", etag: "e1" };
const lines: RejectedLine[] = [
  { line: 2, raw: "{not json", refusal: "not-json", reasons: [{ field: "(line)", rule: "not-json", message: "Unexpected token" }] },
  { line: 9, raw: "\u0001\u4e00\ufffd\"\\", refusal: "not-json", reasons: [{ field: "(line)", rule: "not-json", message: "Unexpected token" }] },
];

test("a records file is gzip: one header naming the object, then each refused line's JSON and a newline, nothing else", async () => {
  const body = await encodeRejectedRecords(source, lines);
  assert.equal([body[0], body[1]], [0x1f, 0x8b]);
  const text = rejectedRecordsText(source, lines);
  assert.is(text, `${rejectedRecordsHeader(source)}${JSON.stringify(lines[0])}\n${JSON.stringify(lines[1])}\n`);
  assert.equal(JSON.parse(rejectedRecordsHeader(source)), { format: REJECTED_RECORDS.Format, source });
  assert.equal(decodeRejectedRecords(body), { source, lines });
  const none = await encodeRejectedRecords(source, []);
  assert.is(none.byteLength, 0, "no lines: an empty file, as before (an empty records file means nothing refused)");
  assert.equal(decodeRejectedRecords(none), { lines: [] });
});

test("files written before review 25 are still read: plain NDJSON, the source on each line; empty", () => {
  const old = lines.map((line) => `${JSON.stringify({ source, ...line })}\n`).join("");
  assert.equal(decodeRejectedRecords(Buffer.from(old)), { source, lines });
  assert.equal(decodeRejectedRecords(new Uint8Array()), { lines: [] });
});

test("anything else is refused with what is wrong, never read as lines", () => {
  const refused: Array<[string, Uint8Array, RegExp]> = [
    ["gzip without the header", gzipSync(lines.map((line) => `${JSON.stringify({ source, ...line })}\n`).join("")), /not a header/],
    ["a cut gzip", gzipSync(rejectedRecordsText(source, lines)).subarray(0, 20), /not gzip/],
    ["a gzip bomb", gzipSync(Buffer.alloc(REJECTED_RECORDS.MaxDecodedBytes + 1, 0x20)), /not gzip within/],
    ["a line that is not JSON", gzipSync(`${rejectedRecordsHeader(source)}{"line":1\n`), /line 2 is not JSON/],
    ["a line without its refusal", gzipSync(`${rejectedRecordsHeader(source)}{"line":1,"raw":"x","reasons":[]}\n`), /line 2 is not \{ line, raw, refusal, reasons \}/],
    ["a header without its source", gzipSync(`${JSON.stringify({ format: REJECTED_RECORDS.Format })}\n`), /line 1 has no source/],
  ];
  for (const [what, body, message] of refused) {
    assert.throws(() => decodeRejectedRecords(body), (error: Error) => error instanceof RejectedRecordsFileError && message.test(error.message), what);
  }
});

test("review 27 (R27-02): a file of more lines than the processor writes is refused before they are parsed; the most it writes is read", async () => {
  const most = Array.from({ length: REJECTED_RECORDS.MaxLines - 1 }, (_, index) => ({ ...lines[0]!, line: index + 1 }));
  assert.is(decodeRejectedRecords(await encodeRejectedRecords(source, most)).lines.length, most.length);
  const flood = gzipSync(`${rejectedRecordsHeader(source)}${"{}\n".repeat(5_000_000)}`);
  assert.ok(flood.byteLength < 20_000, `${flood.byteLength} bytes of gzip`);
  assert.throws(() => decodeRejectedRecords(flood), (error: Error) => error instanceof RejectedRecordsFileError && /more than 10001 lines/.test(error.message));
  assert.throws(() => decodeRejectedRecords(Buffer.from("{}\n".repeat(REJECTED_RECORDS.MaxLines + 1))), /more than 10001 lines/, "the old plain layout too");
});

test.run();
