import { test } from "uvu";
import * as assert from "uvu/assert";
import { readTelemetryObject } from "../../../telemetry/core.js";
import { decodeLines } from "../../../telemetry/decode.js";
import { validateRecord } from "../../../telemetry/schema.js";
import { SeededRandom } from "../../../simulator/random.js";
import { chunked, gzipped, NOW_MS, telemetryRecord } from "./support/factories.js";

/**
 * The control-free shortcut (telemetry/decode.ts DecodedLine.controlFree): when no byte of the object so
 * far is a backslash, DEL or 0xC2, the validator skips its control-character scans. These tests feed
 * objects built to break that reasoning and require every line's verdict and reasons to be the ones the
 * full validator (no shortcut) gives the line alone.
 */

async function controlFreeFlags(source: AsyncIterable<Uint8Array>): Promise<boolean[]> {
  const flags: boolean[] = [];
  for await (const line of decodeLines(source)) flags.push(line.controlFree);
  return flags;
}

const clean = JSON.stringify(telemetryRecord());

test("a line is control-free only when nothing up to it in the object has a backslash, DEL or 0xC2, whatever the chunking", async () => {
  for (const chunkBytes of [1, 3, 7, 64, 100_000]) {
    assert.equal(await controlFreeFlags(chunked(`${clean}\n${clean}\n`, chunkBytes)), [true, true], `clean, chunks of ${chunkBytes}`);
    for (const dirty of ["\\u0041", "\u007f", "\u00a0", "\u0085"]) {
      const text = `${clean}\n${clean.replace("Honda", `Hon${dirty}da`)}\n${clean}\n`;
      const flags = await controlFreeFlags(chunked(text, chunkBytes));
      assert.equal(flags.slice(1), [false, false], `${JSON.stringify(dirty)} in line 2, chunks of ${chunkBytes}: that line and every later one`);
      if (chunkBytes === 100_000) assert.equal(flags[0], false, "one chunk: the whole object is judged at once");
    }
  }
  assert.equal(await controlFreeFlags(chunked(gzipped([clean, clean.replace("Honda", "Hon\\nda")]), 5)), [false, false], "a gzip object is decoded whole");
});

/** A record whose string fields (and one ECU name) carry `text`, in the raw JSON as given. */
function recordLine(text: string, where: "make" | "trim" | "ecu"): string {
  const record = JSON.stringify(telemetryRecord());
  if (where === "ecu") return record.replace('"bms":', `"bms${text}":`);
  const field = where === "make" ? '"make":"Honda"' : '"trim":"EX"';
  return record.replace(field, field.slice(0, -1) + text + '"');
}

const HOSTILE_FRAGMENTS = [
  "", "x", "\\u0000", "\\u001f", "\\u001F", "\\u007f", "\\u0080", "\\u0085", "\\u009f", "\\u00a0", "\\u0041", "\\n", "\\t", "\\\\", "\\/", "\\\"",
  "\u007f", "\u0080", "\u0085", "\u009f", "\u00a0", "\u00bf", "\u00c0", "é", "\u2028", "🚗", "\ud83d",
];

/** Raw bytes that are not text a JSON encoder writes: overlong forms of C1 controls and stray bytes. */
const HOSTILE_BYTES = [Buffer.from([0xe0, 0x82, 0x85]), Buffer.from([0xc1, 0x85]), Buffer.from([0x85]), Buffer.from([0xc2]), Buffer.from([0xf0, 0x80, 0x82, 0x85]), Buffer.from([0x7f])];

function verdictsAlone(lines: string[]): string[] {
  return lines.map((line) => {
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return "not-json";
    }
    const result = validateRecord(value, NOW_MS);
    return result.valid ? "accepted" : result.reasons.map((reason) => `${reason.field}:${reason.rule}`).join(",");
  });
}

async function verdictsInObject(body: Buffer, chunkBytes: number, lineCount: number): Promise<string[]> {
  const readout = await readTelemetryObject(chunked(body, chunkBytes), NOW_MS);
  const byLine = new Map(readout.rejected.map((line) => [line.line, line.refusal === "not-json" ? "not-json" : line.reasons.map((reason) => `${reason.field}:${reason.rule}`).join(",")]));
  return Array.from({ length: lineCount }, (_, index) => byLine.get(index + 1) ?? "accepted");
}

test("hostile fragments in names and ECU keys: each line's verdict in an object is its verdict alone, clean lines before and after", async () => {
  for (const fragment of HOSTILE_FRAGMENTS) {
    for (const where of ["make", "trim", "ecu"] as const) {
      const lines = [clean, recordLine(fragment, where), clean];
      const expected = verdictsAlone(lines);
      for (const body of [Buffer.from(`${lines.join("\n")}\n`), gzipped(lines)]) {
        for (const chunkBytes of [1, 13, 100_000]) assert.equal(await verdictsInObject(body, chunkBytes, lines.length), expected, `${JSON.stringify(fragment)} in ${where}, chunks of ${chunkBytes}`);
      }
    }
  }
});

test("raw bytes that are not valid UTF-8 (overlong C1 controls, stray continuation and lead bytes) never pass as control-free text", async () => {
  for (const bytes of HOSTILE_BYTES) {
    const [before, after] = recordLine("\u0000MARK", "make").split("\u0000MARK") as [string, string];
    const hostile = Buffer.concat([Buffer.from(before), bytes, Buffer.from(after)]);
    const body = Buffer.concat([Buffer.from(`${clean}\n`), hostile, Buffer.from(`\n${clean}\n`)]);
    const expected = verdictsAlone(body.toString("utf8").split("\n").filter((line) => line !== ""));
    assert.is(expected.length, 3);
    for (const chunkBytes of [1, 5, 100_000]) assert.equal(await verdictsInObject(body, chunkBytes, 3), expected, `${bytes.toString("hex")}, chunks of ${chunkBytes}`);
  }
});

test("random mixes of clean and hostile lines: the same verdicts and reasons as the full validator line by line", async () => {
  const random = new SeededRandom(31);
  let rejected = 0;
  for (let round = 0; round < 60; round++) {
    const lines = Array.from({ length: random.integer(1, 12) }, () =>
      random.chance(0.5) ? clean : recordLine(random.pick(HOSTILE_FRAGMENTS) + random.pick(HOSTILE_FRAGMENTS), random.pick(["make", "trim", "ecu"] as const)),
    );
    const expected = verdictsAlone(lines);
    rejected += expected.filter((verdict) => verdict !== "accepted").length;
    assert.equal(await verdictsInObject(gzipped(lines), random.integer(1, 64), lines.length), expected, lines.join("\n"));
  }
  assert.ok(rejected > 20, `hostile lines were refused (${rejected})`);
});

test.run();
