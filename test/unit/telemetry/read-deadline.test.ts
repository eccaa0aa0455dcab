/**
 * ReadLimits.pastDeadline (telemetry/core.ts): a read still going past it is abandoned with a ReadDeadlineError, checked
 * once a parse-ahead run (not once a chunk: an object decoded in one chunk, a whole small gzip, stops too); before it
 * the readout is the same as without one.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_READ_LIMITS, readTelemetryObject, ReadDeadlineError } from "../../../telemetry/core.js";
import { gzipped, NOW_MS, telemetryRecord } from "./support/factories.js";

const object = gzipped(Array.from({ length: 300 }, (_, seq) => telemetryRecord({ seq })));

test("a read past its deadline is abandoned, even of an object decoded in one chunk", async () => {
  const error = await readTelemetryObject([object], NOW_MS, { ...DEFAULT_READ_LIMITS, pastDeadline: () => true }).catch((caught: unknown) => caught);
  assert.instance(error, ReadDeadlineError);
});

test("a read whose deadline passes between two chunks is abandoned in the second", async () => {
  const lines = Array.from({ length: 20 }, (_, seq) => `${JSON.stringify(telemetryRecord({ seq }))}\n`);
  let chunksRead = 0;
  async function* source(): AsyncGenerator<Uint8Array> {
    for (const line of lines) {
      chunksRead++;
      yield Buffer.from(line);
    }
  }
  // The deadline passes once the third chunk has arrived (a clock of chunks: the same on a loaded machine).
  const error = await readTelemetryObject(source(), NOW_MS, { ...DEFAULT_READ_LIMITS, pastDeadline: () => chunksRead >= 3 }).catch((caught: unknown) => caught);
  assert.instance(error, ReadDeadlineError);
  assert.is(chunksRead, 3, "stopped at the first run after the deadline passed");
});

test("a read within its deadline gives the readout it gives without one", async () => {
  let asked = 0;
  const within = await readTelemetryObject([object], NOW_MS, { ...DEFAULT_READ_LIMITS, pastDeadline: () => (asked++, false) });
  const without = await readTelemetryObject([object], NOW_MS);
  assert.equal(within, without);
  assert.is(asked, Math.ceil(300 / 64), "asked once a run of 64 lines");
  assert.is(within.accepted, 300);
});

test.run();
