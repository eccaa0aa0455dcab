import { randomBytes } from "node:crypto";
import { gzipSync } from "node:zlib";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InvocationAggregate } from "../../../telemetry/aggregate.js";
import { DEFAULT_READ_LIMITS, FULLY_EXPLAINED_LINES, LINE_REFUSAL, readTelemetryObject, TooManyRejectedError } from "../../../telemetry/core.js";
import { CorruptObjectError, DEFAULT_DECODE_LIMITS, decodeLineBatches, decodeLines, gunzipOutputBytes, MAX_BATCH_LINES, WHOLE_OBJECT_GZIP_BYTES } from "../../../telemetry/decode.js";
import { corruptGzip } from "../../../simulator/faults.js";
import { SeededRandom } from "../../../simulator/random.js";
import { validateRecord } from "../../../telemetry/schema.js";
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

test("a gzip object is recognised however few bytes the first chunks bring (one byte, or none)", async () => {
  const lines = ["{\"a\":1}", "{\"b\":2}"];
  assert.equal(await linesOf(chunked(gzipped(lines), 1)), lines, "one byte a chunk");
  async function* emptyFirst(): AsyncGenerator<Uint8Array> {
    yield new Uint8Array(0);
    yield* chunked(gzipped(lines), 1);
  }
  assert.equal(await linesOf(emptyFirst()), lines, "an empty chunk, then one byte a chunk");
  assert.equal(await linesOf(chunked(Buffer.from("{\"c\":3}\n"), 1)), ["{\"c\":3}"], "plain text one byte a chunk");
  assert.equal(await linesOf(chunked(Buffer.from("x"), 1)), ["x"], "a one-byte object");
});

test("a too-long line is flagged once and the next line still decodes", async () => {
  const long = `{"x":"${"y".repeat(300)}"}`;
  const lines = await linesOf(chunked(ndjson([long, "{\"ok\":1}"]), 16), { maxDecodedBytes: 10_000, maxLineBytes: 100 });
  assert.equal(lines, ["TOO-LONG", "{\"ok\":1}"]);
});

test("a line exactly at the length limit, ended by CRLF, is the same line whatever the chunking (a chunk may end between its \\r and \\n)", async () => {
  const limits = { maxDecodedBytes: 10_000, maxLineBytes: 100 };
  const atLimit = `{"x":"${"y".repeat(limits.maxLineBytes - 8)}"}`;
  assert.is(atLimit.length, limits.maxLineBytes);
  const body = Buffer.from(`${atLimit}\r\n{"ok":1}\r\n`);
  for (let chunkBytes = 1; chunkBytes <= body.length; chunkBytes++) {
    assert.equal(await linesOf(chunked(body, chunkBytes), limits), [atLimit, "{\"ok\":1}"], `chunks of ${chunkBytes}`);
  }
  const overLimit = `${atLimit.slice(0, -2)}y"}`;
  for (const chunkBytes of [1, overLimit.length + 1, 1_000]) {
    assert.equal(await linesOf(chunked(`${overLimit}\r\n{"ok":1}\r\n`, chunkBytes), limits), ["TOO-LONG", "{\"ok\":1}"], `one over, chunks of ${chunkBytes}`);
  }
});

test("the line limit counts UTF-8 bytes, not characters, whatever the chunking (a multi-byte character may be split across chunks)", async () => {
  const limits = { maxDecodedBytes: 10_000, maxLineBytes: 100 };
  const line = (text: string) => `{"x":"${text}"}`;
  const atLimit = line("€".repeat(30) + "y".repeat(2)); // 8 + 90 + 2 bytes, 40 characters
  assert.is(Buffer.byteLength(atLimit), limits.maxLineBytes);
  const overLimit = line("€".repeat(30) + "y".repeat(3)); // 101 bytes, 41 characters: under the limit in characters
  const twoByteOver = line("é".repeat(47)); // 8 + 94 = 102 bytes
  const fourByteAt = line("😀".repeat(23)); // 8 + 92 = 100 bytes, 46 UTF-16 units
  const body = Buffer.from(`${atLimit}\r\n${overLimit}\n${twoByteOver}\n${fourByteAt}\n{"ok":1}\n`);
  for (let chunkBytes = 1; chunkBytes <= body.length; chunkBytes += chunkBytes < 12 ? 1 : 7) {
    assert.equal(await linesOf(chunked(body, chunkBytes), limits), [atLimit, "TOO-LONG", "TOO-LONG", fourByteAt, "{\"ok\":1}"], `chunks of ${chunkBytes}`);
  }
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

/** Lines of random text: gzip cannot shrink them much, so the object passes the whole-object size. */
function incompressibleLines(bytes: number): string[] {
  return Array.from({ length: Math.ceil(bytes / 1_210) }, () => JSON.stringify({ r: randomBytes(900).toString("base64") }));
}

test("an object over the whole-object size streams: same lines, same limits, same corruption", async () => {
  const lines = incompressibleLines(WHOLE_OBJECT_GZIP_BYTES * 1.6);
  const body = gzipped(lines);
  assert.ok(body.length > WHOLE_OBJECT_GZIP_BYTES, `compressed ${body.length} bytes`);

  assert.equal(await linesOf(chunked(body, 64 * 1024)), lines);
  assert.is(await corruptionOf(chunked(body.subarray(0, body.length - 5000), 64 * 1024)), "bad-gzip");
  const bomb = gzipSync(Buffer.concat([Buffer.from(`${lines.join("\n")}\n`), Buffer.alloc(20_000_000, 0x20)]));
  assert.ok(bomb.length > WHOLE_OBJECT_GZIP_BYTES);
  try {
    for await (const _ of decodeLines(chunked(bomb, 64 * 1024), { maxDecodedBytes: 4_000_000, maxLineBytes: 2_000 })) void _;
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is((error as CorruptObjectError).corruption, "too-large");
  }
});

test("a small gzip object is decoded at once and capped at the decoded limit, however it is chunked", async () => {
  const bomb = gzipSync(Buffer.alloc(50_000_000, 0x20));
  assert.ok(bomb.length < WHOLE_OBJECT_GZIP_BYTES);
  for (const chunkBytes of [16, 4096, bomb.length]) {
    try {
      for await (const _ of decodeLines(chunked(bomb, chunkBytes), { maxDecodedBytes: 1_000_000, maxLineBytes: 100 })) void _;
      assert.unreachable("should have thrown");
    } catch (error) {
      assert.is((error as CorruptObjectError).corruption, "too-large");
    }
  }
  const batches: number[] = [];
  for await (const batch of decodeLineBatches(chunked(gzipped(["{\"a\":1}", "{\"b\":2}", "{\"c\":3}"]), 7))) batches.push(batch.length);
  assert.equal(batches, [3], "one batch of lines for a whole object");
});

/** `body` with its gzip trailer's decoded size (ISIZE, the last four bytes) replaced by `claimed`. */
function withClaimedSize(body: Buffer, claimed: number): Buffer {
  const forged = Buffer.from(body);
  forged.writeUInt32LE(claimed, forged.length - 4);
  return forged;
}

test("a small gzip object's output buffer is its trailer's size, never past the decoded limit or what deflate could make of its bytes", () => {
  const lines = Array.from({ length: 60 }, (_, seq) => JSON.stringify(telemetryRecord({ seq })));
  const body = gzipped(lines);
  assert.ok(ndjson(lines).length > 16 * 1024 && ndjson(lines).length < body.length * 64, `${ndjson(lines).length} bytes from ${body.length}`);
  assert.is(gunzipOutputBytes(body, DEFAULT_DECODE_LIMITS), ndjson(lines).length + 1, "the true size, and a byte for the stream's end");
  assert.is(gunzipOutputBytes(withClaimedSize(body, 0xffff_ffff), DEFAULT_DECODE_LIMITS), body.length * 64, "a 4 GiB claim on a small object");
  const large = Buffer.alloc(WHOLE_OBJECT_GZIP_BYTES);
  assert.is(gunzipOutputBytes(withClaimedSize(large, 0xffff_ffff), DEFAULT_DECODE_LIMITS), DEFAULT_DECODE_LIMITS.maxDecodedBytes + 1, "a 4 GiB claim on a 1 MiB object");
  assert.is(gunzipOutputBytes(Buffer.from([0x1f, 0x8b, 0x08]), DEFAULT_DECODE_LIMITS), 16 * 1024, "too short for a trailer: zlib's default");
  assert.is(gunzipOutputBytes(gzipped(["{}"]), DEFAULT_DECODE_LIMITS), 16 * 1024, "a small true claim: zlib's default, never smaller");
});

test("a gzip object whose trailer understates its size (two members) decodes whole; one whose trailer lies is a corrupt object", async () => {
  const [first, second] = [["{\"a\":1}", "{\"b\":2}"], ["{\"c\":3}"]];
  const twoMembers = Buffer.concat([gzipped(first), gzipped(Array.from({ length: 2_000 }, () => second[0]!))]);
  assert.equal(await linesOf(chunked(twoMembers, twoMembers.length)), [...first, ...Array.from({ length: 2_000 }, () => second[0]!)]);
  const body = gzipped(Array.from({ length: 50 }, (_, seq) => JSON.stringify(telemetryRecord({ seq }))));
  const size = body.readUInt32LE(body.length - 4);
  for (const claimed of [0, size - 1, size + 1, 0xffff_ffff]) {
    assert.is(await corruptionOf(chunked(withClaimedSize(body, claimed), body.length)), "bad-gzip", `trailer claims ${claimed} of ${size} bytes`);
  }
  assert.is(await corruptionOf(chunked(body, body.length)), undefined, "the true trailer");
});

test("review 20 (R20-D1): an empty gzip member appended to an object (its trailer claims 0 bytes) leaves the output buffer at zlib's default 16 KiB, not 64-byte pieces; the object decodes whole", async () => {
  const lines = Array.from({ length: 2_000 }, (_, seq) => JSON.stringify(telemetryRecord({ seq })));
  const withEmptyMember = Buffer.concat([gzipped(lines), gzipSync(Buffer.alloc(0))]);
  assert.is(withEmptyMember.readUInt32LE(withEmptyMember.length - 4), 0, "the last member's trailer claims nothing");
  assert.is(gunzipOutputBytes(withEmptyMember, DEFAULT_DECODE_LIMITS), 16 * 1024);
  assert.equal(await linesOf(chunked(withEmptyMember, withEmptyMember.length)), lines);
});

test("review 19 (R19-D1): zero bytes after a gzip member hide a forged trailer from zlib; the object decodes, and its output buffer starts at 64 times its size, not the 16 MiB claimed", async () => {
  const lines = [JSON.stringify(telemetryRecord())];
  const padded = withClaimedSize(Buffer.concat([gzipped(lines), Buffer.alloc(16 * 1024)]), 16 * 1024 * 1024);
  assert.equal(await linesOf(chunked(padded, padded.length)), lines, "zlib ignores the padding and its last four bytes");
  assert.is(gunzipOutputBytes(padded, DEFAULT_DECODE_LIMITS), padded.length * 64);
});

test("review 21: a streamed object's backpressure waits leave no listener behind (one a wait made Node warn of a listener leak)", async () => {
  const hex = randomBytes(2 * 1024 * 1024).toString("hex");
  const body = gzipSync(hex.replace(/(.{100})/g, "$1\n"));
  assert.ok(body.length > WHOLE_OBJECT_GZIP_BYTES, "large enough to stream");
  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on("warning", onWarning);
  try {
    let lines = 0;
    for await (const batch of decodeLineBatches(chunked(body, 4 * 1024), { ...DEFAULT_DECODE_LIMITS, maxDecodedBytes: 8 * 1024 * 1024 })) lines += batch.length;
    assert.is(lines, Math.ceil(hex.length / 100));
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", onWarning);
  }
  assert.equal(warnings, []);
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

test("one vehicle's object: each line gets the verdict it gets alone, the VIN of the previous accepted record or not", async () => {
  const lines = [
    telemetryRecord({ seq: 1 }),
    telemetryRecord({ seq: 2, vin: "1HGCM82643A004352" }), // wrong check digit right after a valid record
    telemetryRecord({ seq: 3 }),
    telemetryRecord({ seq: 4, ts: new Date(NOW_MS + 3_600_000).toISOString() }),
    telemetryRecord({ seq: 5, vin: "1HGCM82633A00435" }),
    telemetryRecord({ seq: 6, vin: "WP0ZZZ99ZTS392124" }),
    telemetryRecord({ seq: 7, vin: "WP0ZZZ99ZTS39212O" }),
    telemetryRecord({ seq: 8 }),
  ];
  const readout = await readTelemetryObject(chunked(gzipped(lines), 64), NOW_MS);
  const alone = lines.map((line, index) => {
    const result = validateRecord(JSON.parse(JSON.stringify(line)), NOW_MS);
    return result.valid ? [index + 1, "accepted"] : [index + 1, result.reasons.map((reason) => reason.rule).join(",")];
  });
  const rejected = new Map(readout.rejected.map((line) => [line.line, line.reasons.map((reason) => reason.rule).join(",")]));
  assert.equal(lines.map((_, index) => [index + 1, rejected.get(index + 1) ?? "accepted"]), alone);
  assert.equal(alone.map(([, verdict]) => verdict), ["accepted", "check-digit", "accepted", "future", "length", "accepted", "alphabet", "accepted"]);
  assert.is(readout.latest.find((entry) => entry.vehicle.vin === "1HGCM82633A004352")?.tsMs, Date.parse(lines[7]!.ts), "enrich gets the timestamp validation parsed");
});

test("lines are parsed a run ahead of their checks: in a long object every line still gets the verdict it gets alone, at run edges too", async () => {
  const random = new SeededRandom(7);
  const bulky = (seq: number) => ({ ...telemetryRecord({ seq }), note: "n".repeat(20_000) }); // three end a run early (by text)
  const lines: unknown[] = [];
  for (let seq = 1; seq <= 400; seq++) {
    const pick = random.next();
    if (seq % 64 === 0 || seq % 64 === 1 || seq % 64 === 63) lines.push(pick < 0.5 ? "{not json" : telemetryRecord({ seq, battery: { stateOfCharge: 101 } }));
    else if (pick < 0.05) lines.push("");
    else if (pick < 0.08) lines.push(`{"x":"${"y".repeat(70_000)}"}`);
    else if (pick < 0.15) lines.push(bulky(seq));
    else if (pick < 0.2) lines.push("{not json");
    else lines.push(telemetryRecord({ seq }));
  }
  const verdictAlone = async (line: unknown): Promise<string> => {
    const alone = await readTelemetryObject([Buffer.from(ndjson([line]))], NOW_MS);
    return alone.accepted === 1 ? "accepted" : (alone.rejected[0]?.refusal ?? "skipped");
  };
  const expected = await Promise.all(lines.map(verdictAlone));
  assert.ok(expected.includes("line-too-long") && expected.includes("not-json") && expected.includes("schema") && expected.includes("skipped"));
  for (const [name, source] of [["gzip, whole", [gzipped(lines)]], ["plain, chunks of 1,000 bytes", chunked(ndjson(lines), 1_000)]] as const) {
    const readout = await readTelemetryObject(source, NOW_MS);
    const refused = new Map(readout.rejected.map((line) => [line.line, line.refusal]));
    const got = lines.map((line, index) => refused.get(index + 1) ?? (line === "" ? "skipped" : "accepted"));
    assert.equal(got, expected, name);
    assert.is(readout.accepted, expected.filter((verdict) => verdict === "accepted").length, name);
  }
});

test("readTelemetryObject accepts valid lines, rejects the rest with line numbers, skips blank lines", async () => {
  const lines = [telemetryRecord({ seq: 1 }), "", "{not json", telemetryRecord({ seq: 2, battery: { stateOfCharge: 101 } }), telemetryRecord({ seq: 3 })];
  const readout = await readTelemetryObject(chunked(gzipped(lines), 40), NOW_MS);
  assert.is(readout.accepted, 2);
  assert.equal(readout.latest.map((entry) => entry.seq), [3], "one vehicle: its latest record");
  assert.equal(readout.rejected.map((rejected) => [rejected.line, rejected.refusal, rejected.reasons[0]!.field, rejected.reasons[0]!.rule]), [
    [3, "not-json", "(line)", "json"],
    [4, "schema", "battery.stateOfCharge", "maximum"],
  ]);
  assert.is(readout.rejected[0]!.raw, "{not json");
  assert.is(readout.rejected[1]!.raw, JSON.stringify(lines[3]), "a rejected record is kept as the text it came as");
  assert.equal(readout.refusals, { "not-json": 1, schema: 1 });
});

test("the latest list keeps each run of one VIN as its newest record; the aggregate keeps each VIN's newest, as a per-VIN map did", async () => {
  const EURO = "WP0ZZZ99ZTS392124";
  const at = (minutesAgo: number) => new Date(NOW_MS - minutesAgo * 60_000).toISOString();
  const lines = [
    telemetryRecord({ seq: 2, ts: at(2) }),
    telemetryRecord({ seq: 3, ts: at(1) }),
    telemetryRecord({ seq: 1, ts: at(3) }), // buffered offline, arrives last in its run: not the newest
    "{not json", // a refused line does not end the run
    telemetryRecord({ seq: 4, ts: at(1) }), // same time as seq 3: the higher sequence wins
    telemetryRecord({ seq: 9, vin: EURO, ts: at(5) }),
    telemetryRecord({ seq: 5, ts: at(4) }), // the first VIN again, older than its first run
    " \t\u00a0", // whitespace only: blank, skipped
  ];
  const readout = await readTelemetryObject([gzipped(lines)], NOW_MS);
  assert.is(readout.accepted, 6);
  assert.equal(readout.rejected.map((line) => line.line), [4]);
  assert.equal(readout.latest.map((entry) => [entry.vehicle.vin, entry.seq]), [["1HGCM82633A004352", 4], [EURO, 9], ["1HGCM82633A004352", 5]]);
  const aggregate = new InvocationAggregate();
  aggregate.addObject(readout, 0);
  assert.equal(aggregate.fleetVehicles().map((vehicle) => [vehicle.vin, vehicle.lastSeen]), [["1HGCM82633A004352", at(1)], [EURO, at(5)]]);
  assert.is(aggregate.dataPoints, 6);
});

test("an empty object has no records", async () => {
  const readout = await readTelemetryObject(chunked(Buffer.alloc(0)), NOW_MS);
  assert.equal([readout.accepted, readout.rejected.length], [0, 0]);
});

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth);

test("a line of arrays nested 5,000 deep is one rejected line; the rest of the object is read and the rejection serialises", async () => {
  const lines = [telemetryRecord({ seq: 1 }), nested(5_000), telemetryRecord({ seq: 2 })];
  const readout = await readTelemetryObject(chunked(gzipped(lines), 512), NOW_MS);
  assert.is(readout.accepted, 2);
  assert.is(readout.rejected.length, 1);
  assert.is(readout.rejected[0]!.raw, nested(5_000));
  assert.throws(() => JSON.stringify(JSON.parse(nested(5_000))), /call stack/, "the parsed value itself cannot be serialised on this stack");
  assert.is(JSON.parse(JSON.stringify(readout.rejected[0])).raw.length, 10_000);
});

test("a valid record with an extra field nested 5,000 deep is refused too-complex (R16-T2); nested 100 deep it is accepted and what leaves the object never carries it", async () => {
  const withExtra = (depth: number, seq: number) =>
    JSON.stringify({ ...JSON.parse(JSON.stringify(telemetryRecord({ seq }))), extra: "PLACEHOLDER" }).replace('"PLACEHOLDER"', nested(depth));
  const readout = await readTelemetryObject(chunked(ndjson([withExtra(5_000, 4), withExtra(100, 5)]), 4096), NOW_MS);
  assert.is(readout.accepted, 1);
  assert.equal(readout.rejected.map((line) => [line.line, line.refusal]), [[1, LINE_REFUSAL.TooComplex]]);
  assert.not.match(JSON.stringify(readout.latest), "extra");
});

test("each line refusal has its reason: bad VIN check digit, far-future timestamp, wrong type, control characters, __proto__ keys", async () => {
  const future = new Date(NOW_MS + 365 * 86_400_000).toISOString();
  const lines = [
    telemetryRecord({ vin: "1HGCM82633A004353" }),
    telemetryRecord({ ts: future }),
    { ...telemetryRecord(), seq: "7" },
    telemetryRecord({ vehicle: { make: "Evil\u001b[2J\u0007" } }),
    '{"__proto__":{"polluted":true},"schemaVersion":1}',
    telemetryRecord({ battery: { stateOfCharge: -5 } }),
  ];
  const readout = await readTelemetryObject(chunked(ndjson(lines), 64), NOW_MS);
  assert.is(readout.accepted, 0);
  assert.equal(
    readout.rejected.map((line) => [line.refusal, line.reasons[0]!.field]),
    [["bad-vin", "vin"], ["out-of-clock-window", "ts"], ["schema", "seq"], ["schema", "vehicle.make"], ["schema", "vin"], ["schema", "battery.stateOfCharge"]],
  );
  assert.equal(({} as Record<string, unknown>).polluted, undefined, "no prototype was polluted");
});

test("more lines than the limit, or too much rejected text, make the object corrupt instead of filling memory", async () => {
  const limits = { maxDecodedBytes: 10_000_000, maxLineBytes: 64 * 1024, maxLines: 3, maxRejectedBytes: 50 };
  const many = Array.from({ length: 4 }, (_, seq) => telemetryRecord({ seq }));
  try {
    await readTelemetryObject(chunked(gzipped(many), 256), NOW_MS, limits);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is((error as CorruptObjectError).corruption, "too-many-lines");
  }
  try {
    await readTelemetryObject(chunked(ndjson(["x".repeat(30), "y".repeat(30)]), 256), NOW_MS, limits);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is((error as CorruptObjectError).corruption, "too-many-rejected");
  }
});

test("review 21 (R21-01): a small gzip object of a million newlines decodes in batches of at most MAX_BATCH_LINES, the same lines as one at a time", async () => {
  const newlines = gzipSync(Buffer.alloc(1024 * 1024, 0x0a));
  assert.ok(newlines.length < 1100, `${newlines.length} bytes compressed`);
  let largest = 0;
  let lines = 0;
  for await (const batch of decodeLineBatches([newlines])) {
    largest = Math.max(largest, batch.length);
    lines += batch.length;
  }
  assert.is(lines, 1024 * 1024, "every line still comes");
  assert.is(largest, MAX_BATCH_LINES);
  const records = Array.from({ length: 2 * MAX_BATCH_LINES + 5 }, (_, seq) => (seq % 3 === 0 ? "" : JSON.stringify(telemetryRecord({ seq }))));
  assert.equal(await linesOf(chunked(gzipped(records), 1 << 20)), records, "batch edges lose and repeat no line");
});

test("review 21 (R21-01): blank lines count toward the object's line limit: 16 MiB of newlines (16 KB of gzip) is too-many-lines, not read to the end", async () => {
  const newlines = gzipSync(Buffer.alloc(DEFAULT_READ_LIMITS.maxDecodedBytes - 1, 0x0a));
  assert.ok(newlines.length < 17_000, `${newlines.length} bytes compressed`);
  assert.is(await corruptionOf(chunked(newlines, 64 * 1024)), "too-many-lines");
  assert.is(await corruptionOf(chunked(Buffer.alloc(DEFAULT_READ_LIMITS.maxLines + 1, 0x0a), 64 * 1024)), "too-many-lines", "plain text too");
  const atLimit = Array.from({ length: DEFAULT_READ_LIMITS.maxLines }, (_, seq) => (seq % 2 === 0 ? "" : JSON.stringify(telemetryRecord({ seq }))));
  const readout = await readTelemetryObject(chunked(gzipped(atLimit), 64 * 1024), NOW_MS);
  assert.is(readout.accepted, DEFAULT_READ_LIMITS.maxLines / 2, "an object of exactly the limit, half of it blank, is read whole");
});

test("review 21 (R21-03): an object's first refused lines keep every reason (up to the cap), later ones the first: 1,500 records of 256 bad ECUs kept 384,000 reasons (1,000 here: 1,500 now pass the 4 MiB of refused text)", async () => {
  const clean = telemetryRecord();
  const ecus = Object.fromEntries(Array.from({ length: 256 }, (_, index) => [`e${index.toString(36)}`, 1]));
  const lines = Array.from({ length: 1_000 }, (_, seq) => JSON.stringify({ ...clean, seq, firmware: { version: "1.0.0", ecus } }));
  const body = gzipped(lines);
  assert.ok(body.length < 40_000, `${body.length} bytes of gzip`);
  const readout = await readTelemetryObject([body], NOW_MS);
  assert.is(readout.rejected.length, 1_000, "every line refused, the object read");
  assert.equal(readout.rejected.map((line) => line.reasons.length), [...Array(FULLY_EXPLAINED_LINES).fill(8), ...Array(1_000 - FULLY_EXPLAINED_LINES).fill(1)]);
  assert.equal(readout.rejected.at(-1)!.reasons, readout.rejected[0]!.reasons.slice(0, 1), "a later line's one reason is the first of the full list");
  assert.equal(readout.refusals, { schema: 1_000 });
});

test("review 22 (R22-01): refused text counts as quarantine/records/ writes it: 64 lines of 64 KiB of U+0001 (a 4 KB gzip object, a 25 MB records body) pass the 4 MiB", async () => {
  const controls = Array.from({ length: 64 }, () => "\u0001".repeat(64 * 1024));
  const body = gzipped(controls);
  assert.ok(body.length < 8_000, `${body.length} bytes of gzip`);
  const outcome = await readTelemetryObject([body], NOW_MS).then(() => "read", (error: unknown) => error);
  assert.instance(outcome, TooManyRejectedError, "quarantined whole");
  const perLine = JSON.stringify(controls[0]).length; // six characters a control
  assert.equal((outcome as TooManyRejectedError).refusals, { [LINE_REFUSAL.NotJson]: Math.ceil(DEFAULT_READ_LIMITS.maxRejectedBytes / perLine) });
  const kept = await readTelemetryObject([gzipped(controls.slice(0, 8))], NOW_MS);
  const written = kept.rejected.reduce((sum, line) => sum + JSON.stringify(line.raw).length + JSON.stringify(line.reasons).length, 0);
  assert.ok(written <= DEFAULT_READ_LIMITS.maxRejectedBytes, `an object kept line by line writes ${written} characters of refused lines`);
});

test("a small gzip of repeated valid records is refused by the default limits, not decoded whole", async () => {
  const line = JSON.stringify(telemetryRecord()) + "\n";
  const decoded = Buffer.from(line.repeat(Math.ceil((40 * 1024 * 1024) / line.length)));
  const bomb = gzipSync(decoded, { level: 9 });
  assert.ok(bomb.length < 512 * 1024, `the bomb is ${bomb.length} bytes`);
  assert.ok(["too-large", "too-many-lines"].includes((await corruptionOf(chunked(bomb, 64 * 1024)))!));
});

test("a reader stopped by a limit does not hang on a source that is still flowing (a streamed gzip bomb), and closes the source", async () => {
  const member = gzipSync(Buffer.from(`${JSON.stringify(telemetryRecord())}\n`.repeat(20_000)), { level: 9 });
  let closed = false;
  async function* slowStream(): AsyncGenerator<Uint8Array> {
    try {
      for (let index = 0; index < 400; index++) {
        await new Promise((resolve) => setImmediate(resolve));
        yield member;
      }
    } finally {
      closed = true;
    }
  }
  const limits = { maxDecodedBytes: 4 * 1024 * 1024, maxLineBytes: 64 * 1024, maxLines: 1_000_000, maxRejectedBytes: 1024 };
  try {
    await readTelemetryObject(slowStream(), NOW_MS, limits);
    assert.unreachable("should have thrown");
  } catch (error) {
    assert.is((error as CorruptObjectError).corruption, "too-large");
  }
  assert.ok(closed, "the source was closed");
});

test.run();
