import { spawnSync } from "node:child_process";
import { resolve } from "node:path";
import v8 from "node:v8";
import vm from "node:vm";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readTelemetryObject } from "../../../telemetry/core.js";
import { NOW_MS, telemetryRecord } from "./support/factories.js";

v8.setFlagsFromString("--expose-gc");
const gc = vm.runInNewContext("gc") as () => void;

/**
 * About 64 KiB of text (the line limit) that parses to 32,600 nested arrays, about 2 MB of heap: refused (not an object).
 * 64 of them, with their reasons, stay within the object's 4 MiB of refused text.
 */
const NESTED_LINE = "[".repeat(32_600) + "]".repeat(32_600);

/**
 * Review 15 (R15-T1): lines are parsed a run ahead of their checks, and a blank line writes no slot of the run; with k
 * blank lines before each such line, every slot of the run got one, and the reader held 64 of them (122 MB) at once.
 */
function slotFillingText(): string {
  let text = "";
  for (let slot = 0; slot < 64; slot++) text += "\n".repeat(slot) + NESTED_LINE + "\n";
  return text;
}

test("a hostile object cannot make the reader hold more parsed lines than one run's (blank lines placing a 2 MB line in every slot)", async () => {
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let heldMb = Number.NaN;
  async function* source(): AsyncGenerator<Uint8Array> {
    yield Buffer.from(slotFillingText()); // one batch of lines, as a whole gzip object (about 4 KB compressed) is
    gc();
    heldMb = (process.memoryUsage().heapUsed - baseline) / 1e6;
    yield Buffer.from("\n");
  }
  const readout = await readTelemetryObject(source(), NOW_MS);
  assert.is(readout.rejected.length, 64, "every nested line refused, the object itself read");
  // Line at a time the reader holds the refused lines' text (about 6 MB here); one run adds a few MB at most.
  assert.ok(heldMb < 30, `the reader held ${heldMb.toFixed(1)} MB between two batches`);
});

/**
 * A valid record of one vehicle with an `ota` block and an unknown key holding a line's worth (64 KiB) of text: no
 * containers, members or array elements, so within the parse budget. (A wide array of numbers, which parses to about
 * 4 times its text, was the bulk here until the budget counted array elements.)
 */
function acceptedBulkyLine(seq: number): string {
  const record = { ...telemetryRecord({ seq }), ota: { jobId: "job-1", campaignId: "c-1", attempt: 1, sequence: seq, status: "DOWNLOADING", targetVersion: "2.4.0" } };
  const head = `${JSON.stringify(record).slice(0, -1)},"x":"`;
  return `${head}${`${seq % 10}`.repeat(64 * 1024 - head.length - 2)}"}`;
}

test("review 16 (R16-T1): accepted ota records are kept without unknown keys (an object of such records held all of them: 255 lines of nested arrays passed 512 MB)", async () => {
  const lines = Array.from({ length: 255 }, (_, seq) => acceptedBulkyLine(seq));
  gc();
  const baseline = process.memoryUsage().heapUsed;
  let heldMb = Number.NaN;
  async function* source(): AsyncGenerator<Uint8Array> {
    for (let from = 0; from < lines.length; from += 64) yield Buffer.from(lines.slice(from, from + 64).join("\n") + "\n");
    gc();
    heldMb = (process.memoryUsage().heapUsed - baseline) / 1e6;
    yield Buffer.from("\n");
  }
  const readout = await readTelemetryObject(source(), NOW_MS);
  assert.ok(lines.every((line) => line.length <= 64 * 1024));
  assert.is(readout.accepted, 255, "unknown keys do not refuse a record");
  assert.is(readout.otaRecords.length, 255);
  assert.not.ok("x" in readout.otaRecords[0]!.record, "the kept record names no unknown key");
  // Each record's "x" parses to a 64 KB string: kept whole, the 255 records would hold ~16.7 MB more (~21 MB measured).
  assert.ok(heldMb < 10, `the reader held ${heldMb.toFixed(1)} MB between two batches`);
});

/** A valid record of ~60 KiB: an unknown key of text with a "€" in it, so the chunk it is decoded in takes two bytes a character. */
function bulkyRecordLine(seq: number): string {
  const head = `${JSON.stringify(telemetryRecord({ seq })).slice(0, -1)},"x":"\u20ac`;
  return `${head}${"a".repeat(60 * 1024 - head.length - 2)}"}`;
}

test("review 25 (R25-01): a refused line keeps its own text, not the decoded chunk it was cut from (1,024 short refused lines held 48 MB an object)", async () => {
  // Each chunk: a short refused line, three valid records of ~60 KiB and a too-long line (67 KB of "€", kept as its 200-character cut).
  const chunks = Array.from({ length: 48 }, (_, index) =>
    Buffer.from(`"refused-line-${String(index).padStart(5, "0")}"\n${[0, 1, 2].map((n) => bulkyRecordLine(index * 3 + n)).join("\n")}\n${"\u20ac".repeat(22 * 1024)}\n`),
  );
  gc();
  const baseline = process.memoryUsage().heapUsed;
  const readout = await readTelemetryObject(chunks, NOW_MS);
  gc();
  const heldMb = (process.memoryUsage().heapUsed - baseline) / 1e6;
  assert.is(readout.accepted, 48 * 3);
  assert.equal(
    readout.rejected.map((line) => line.refusal),
    chunks.flatMap(() => ["schema", "line-too-long"]),
  );
  assert.is(readout.rejected[0]!.raw, '"refused-line-00000"', "the text itself is kept");
  assert.is(readout.rejected[1]!.raw, "\u20ac".repeat(200), "a too-long line's cut is kept");
  // Held as slices, the 96 refused lines kept their 48 chunks' text alive: ~25 MB (12 MiB decoded, two bytes a character).
  assert.ok(heldMb < 4, `the readout held ${heldMb.toFixed(1)} MB`);
});

/** Lambda's heap at the processor's 512 MB, as its runtime starts Node. */
const LAMBDA_HEAP_FLAGS = ["--max-semi-space-size=4", "--max-old-space-size=504"];

test("review 21 (R21-01): a 16 KB gzip object of newlines is refused too-many-lines within Lambda's heap (it ran the reader out of heap)", () => {
  const core = resolve(import.meta.dirname, "../../../telemetry/core.ts");
  const script = `
    import { gzipSync } from "node:zlib";
    import { DEFAULT_READ_LIMITS, readTelemetryObject } from ${JSON.stringify(core)};
    const body = gzipSync(Buffer.alloc(DEFAULT_READ_LIMITS.maxDecodedBytes - 1, 0x0a));
    try {
      await readTelemetryObject([body], Date.now());
      console.log("read " + body.length);
    } catch (error) {
      console.log("refused " + body.length + " " + error.corruption + " heap " + Math.round(process.memoryUsage().heapUsed / 1e6));
    }`;
  const run = spawnSync(process.execPath, [...LAMBDA_HEAP_FLAGS, "--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8", timeout: 120_000 });
  assert.is(run.status, 0, run.stderr.slice(-500));
  const [, compressed, corruption, heapMb] = /refused (\d+) (\S+) heap (\d+)/.exec(run.stdout) ?? [];
  assert.ok(Number(compressed) < 17_000, `${compressed} bytes of gzip`);
  assert.is(corruption, "too-many-lines");
  assert.ok(Number(heapMb) < 200, `${heapMb} MB of heap in use after the refusal`);
});

test.run();
