import { computeCheckDigit, requiresCheckDigit } from "../telemetry/vin.js";
import type { TelemetryRecord } from "../telemetry/schema.js";
import type { SeededRandom } from "./random.js";

/** The kinds of malformed record the simulator can inject; each breaks one rule the processor checks. */
export const MALFORMED_KIND = {
  NotJson: "not-json",
  BadVin: "bad-vin",
  OutOfRange: "out-of-range",
  MissingField: "missing-field",
  WrongType: "wrong-type",
  FutureTimestamp: "future-timestamp",
} as const;
export type MalformedKind = (typeof MALFORMED_KIND)[keyof typeof MALFORMED_KIND];
export const MALFORMED_KINDS = Object.values(MALFORMED_KIND);

/** Fault injection switches; all off by default. Rates are probabilities in [0, 1]. */
export interface FaultOptions {
  /** Share of records replaced by a malformed variant (kinds rotate at random). */
  malformedRate?: number;
  /** Share of batch objects uploaded twice under the same key (same bytes, so the same etag). */
  duplicateRate?: number;
  /** Share of batch objects whose gzip stream is corrupted (truncated and bit-flipped). */
  corruptRate?: number;
  /** Share of vehicles whose clock runs ahead by `clockSkewMs` (default one day). */
  clockSkewRate?: number;
  clockSkewMs?: number;
}

const DAY_MS = 86_400_000;

function withBadVin(vin: string): string {
  if (requiresCheckDigit(vin)) {
    const expected = computeCheckDigit(vin);
    const wrong = expected === "7" ? "3" : "7";
    return `${vin.slice(0, 8)}${wrong}${vin.slice(9)}`;
  }
  return `${vin.slice(0, 11)}O${vin.slice(12)}`; // the letter O is never allowed
}

/**
 * Serializes `record` broken in the way `kind` names.
 *
 * @example
 * malformedLine(record, "out-of-range"); // {"…","battery":{"stateOfCharge":137.5,…}}
 */
export function malformedLine(record: TelemetryRecord, kind: MalformedKind): string {
  switch (kind) {
    case MALFORMED_KIND.NotJson: {
      const line = JSON.stringify(record);
      return line.slice(0, Math.floor(line.length / 2));
    }
    case MALFORMED_KIND.BadVin:
      return JSON.stringify({ ...record, vin: withBadVin(record.vin) });
    case MALFORMED_KIND.OutOfRange:
      return JSON.stringify({ ...record, battery: { ...record.battery, stateOfCharge: 137.5 } });
    case MALFORMED_KIND.MissingField: {
      const { position: _omitted, ...rest } = record;
      return JSON.stringify(rest);
    }
    case MALFORMED_KIND.WrongType:
      return JSON.stringify({ ...record, position: { ...record.position, speedKph: String(record.position.speedKph) } });
    case MALFORMED_KIND.FutureTimestamp:
      return JSON.stringify({ ...record, ts: new Date(Date.parse(record.ts) + 2 * DAY_MS).toISOString() });
  }
}

/**
 * Ruins a gzip body so no decoder accepts it: cut off its tail (and its CRC) and flip bytes inside.
 *
 * @example
 * import { gzipSync } from "node:zlib";
 * corruptGzip(gzipSync("{}\n"), random); // gunzipSync throws on it
 */
export function corruptGzip(body: Buffer, random: SeededRandom): Buffer {
  const kept = Buffer.from(body.subarray(0, Math.max(12, Math.floor(body.length * 0.6))));
  for (let flip = 0; flip < 4; flip++) {
    const index = random.integer(10, kept.length - 1);
    kept[index] = kept[index]! ^ 0xa5;
  }
  return kept;
}

export function pickMalformedKind(random: SeededRandom): MalformedKind {
  return random.pick(MALFORMED_KINDS);
}
