/**
 * R16-T2: a line may open at most MAX_LINE_CONTAINERS arrays and objects. A valid record with an unknown key of nested
 * arrays was accepted, and 16 MiB of such lines cost ~2 CPU-s an object; such a line is now refused without being
 * parsed. Brackets inside strings are text, not containers.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { DEFAULT_READ_LIMITS, LINE_REFUSAL, MAX_LINE_CONTAINERS, readTelemetryObject, TooManyRejectedError } from "../../../telemetry/core.js";
import { gzipped, NOW_MS, telemetryRecord } from "./support/factories.js";

/** A valid record with an unknown key `x` holding `value` (JSON text). */
const recordWith = (value: string, seq = 1): string => `${JSON.stringify(telemetryRecord({ seq })).slice(0, -1)},"x":${value}}`;
const nested = (depth: number): string => "[".repeat(depth) + "]".repeat(depth);
/** A record has 7 containers of its own (itself, vehicle, position, battery, connectivity, firmware, ecus). */
const OWN_CONTAINERS = 7;

async function verdictOf(line: string) {
  const readout = await readTelemetryObject([gzipped([line])], NOW_MS);
  return readout.accepted === 1 ? "accepted" : readout.rejected[0]!.refusal;
}

test("a record opening exactly the most containers a line may is accepted; one more is refused too-complex", async () => {
  const atLimit = recordWith(nested(MAX_LINE_CONTAINERS - OWN_CONTAINERS) + " ".repeat(1_024));
  const overLimit = recordWith(nested(MAX_LINE_CONTAINERS - OWN_CONTAINERS + 1) + " ".repeat(1_024));

  assert.is(await verdictOf(atLimit), "accepted");
  assert.is(await verdictOf(overLimit), LINE_REFUSAL.TooComplex);
});

test("a too-complex line is refused before JSON.parse: the same line cut short (not JSON) is still too-complex, not not-json", async () => {
  const cut = recordWith(nested(5_000)).slice(0, -3);

  assert.is(await verdictOf(cut), LINE_REFUSAL.TooComplex);
  assert.is(await verdictOf(recordWith(nested(10)).slice(0, -3)), LINE_REFUSAL.NotJson, "a short line is parsed as before");
});

test("brackets inside strings, escaped quotes included, are text: a record with 60 KiB of them in an unknown string is accepted", async () => {
  const brackets = `"${'[{\\"'.repeat(5_000)}${"[".repeat(40_000)}"`;
  const flatObjects = recordWith(`[${Array.from({ length: MAX_LINE_CONTAINERS - OWN_CONTAINERS - 1 }, () => '{"k":"[[[{{{"}').join(",")}]`);

  assert.is(await verdictOf(recordWith(brackets)), "accepted");
  assert.is(await verdictOf(flatObjects), "accepted", "containers counted outside strings only");
});

test("an object of 255 such records (R16-T2's, ~16 MiB) is refused line by line and quarantined whole once its refused text passes 4 MiB", async () => {
  const lines = Array.from({ length: 255 }, (_, seq) => recordWith(nested(32_000), seq));

  const outcome = await readTelemetryObject([gzipped(lines)], NOW_MS).then(
    () => "read",
    (error: unknown) => error,
  );

  assert.instance(outcome, TooManyRejectedError);
  // Each refused line counts as quarantine/records/ will write it: as JSON, with its reasons.
  const [one] = (await readTelemetryObject([gzipped(lines.slice(0, 1))], NOW_MS)).rejected;
  const perLine = Buffer.byteLength(JSON.stringify(one));
  assert.equal((outcome as TooManyRejectedError).refusals, { [LINE_REFUSAL.TooComplex]: Math.floor(DEFAULT_READ_LIMITS.maxRejectedBytes / perLine) + 1 });
});

test.run();
