import { test } from "uvu";
import * as assert from "uvu/assert";
import { z } from "zod";
import { telemetryRecordSchema } from "../../../telemetry/schema.js";
import { canonicalTimestampMs, isPrintable, isSemanticVersion } from "../../../telemetry/text-checks.js";
import { SeededRandom } from "../../../simulator/random.js";

// The patterns exactly as ajv evaluates them: from the JSON Schema zod derives, compiled with ajv's `u` flag.
const jsonSchema = z.toJSONSchema(telemetryRecordSchema, { target: "draft-07", io: "input" }) as {
  properties: Record<string, { pattern?: string; properties?: Record<string, { pattern?: string }> }>;
};
const PRINTABLE = new RegExp(jsonSchema.properties.vehicle!.properties!.make!.pattern!, "u");
const VERSION = new RegExp(jsonSchema.properties.firmware!.properties!.version!.pattern!, "u");
const TIMESTAMP = new RegExp(jsonSchema.properties.ts!.pattern!, "u");

const random = new SeededRandom(13);
const stringOf = (alphabet: readonly string[], length: number): string => Array.from({ length }, () => random.pick(alphabet)).join("");
const codeUnits = (...codes: number[]): string[] => codes.map((code) => String.fromCharCode(code));

test("the patterns under test are the schema's own", () => {
  assert.ok(PRINTABLE.test("Model 3") && !PRINTABLE.test("a\u0085b"));
  assert.ok(VERSION.test("2.4.1-rc.1") && !VERSION.test("v2.4.1"));
  assert.ok(TIMESTAMP.test("2024-02-29T00:00:00.000Z") && !TIMESTAMP.test("2026-02-29T00:00:00.000Z"));
});

test("isPrintable gives the pattern's answer on controls, their neighbours and lone or paired surrogates", () => {
  const alphabet = [
    ...codeUnits(0x00, 0x01, 0x09, 0x0a, 0x0d, 0x1f, 0x20, 0x21, 0x41, 0x7e, 0x7f, 0x80, 0x85, 0x9f, 0xa0, 0xff, 0x2028, 0xfeff, 0xfffd, 0xffff),
    "\ud83d", "\ude97", "🚗", "é", "x",
  ];
  let refused = 0;
  for (let index = 0; index < 20_000; index++) {
    const text = stringOf(alphabet, random.integer(0, 8));
    assert.is(isPrintable(text), PRINTABLE.test(text), JSON.stringify(text));
    refused += Number(!PRINTABLE.test(text));
  }
  for (let code = 0; code <= 0xffff; code++) {
    const text = `a${String.fromCharCode(code)}b`;
    assert.is(isPrintable(text), PRINTABLE.test(text), `U+${code.toString(16)}`);
  }
  assert.ok(refused > 1000 && refused < 19_000, `both answers exercised (${refused} refused)`);
});

test("isSemanticVersion gives the pattern's answer on near-versions and hostile text", () => {
  const alphabet = ["0", "1", "9", "12", ".", ".", "-", "+", "a", "Z", "z", "_", " ", "\n", "v", "٣", "１", "🚗", "\u0000"];
  let accepted = 0;
  const check = (text: string) => {
    assert.is(isSemanticVersion(text), VERSION.test(text), JSON.stringify(text));
    accepted += Number(VERSION.test(text));
  };
  for (let index = 0; index < 30_000; index++) check(stringOf(alphabet, random.integer(0, 10)));
  const valid = ["0.0.0", "2.4.1", "10.20.30", "2.4.1-rc.1", "2.4.1+build.7", "1.2.3--", "1.2.3-.", "1.2.3+-a.B.9"];
  for (const version of valid) {
    check(version);
    for (let position = 0; position <= version.length; position++) {
      for (const insert of [".", "-", "+", "a", "\n", "", "٣"]) check(version.slice(0, position) + insert + version.slice(position + 1));
    }
  }
  assert.ok(accepted > 100, `valid versions exercised (${accepted})`);
});

const pad = (value: number, width: number): string => String(value).padStart(width, "0");
/** What the slow path answers: the pattern, then Date.parse. */
const reference = (text: string): number => (TIMESTAMP.test(text) ? Date.parse(text) : Number.NaN);

function checkTimestamp(text: string): void {
  const fast = canonicalTimestampMs(text);
  if (!Number.isNaN(fast)) {
    assert.ok(TIMESTAMP.test(text), `decided ${text} valid, the pattern refuses it`);
    assert.is(fast, Date.parse(text), text);
  }
  // Every string of the shape toISOString writes is decided here, yes or no, exactly as the slow path.
  if (/^.{4}-.{2}-.{2}T.{2}:.{2}:.{2}\..{3}Z$/su.test(text)) assert.is(Object.is(fast, reference(text)), true, `${text}: ${fast} vs ${reference(text)}`);
}

test("canonicalTimestampMs: every day number of every month (00-99) in leap, century and ordinary years, as the pattern and Date.parse", () => {
  const years = [0, 1, 4, 96, 100, 400, 1000, 1600, 1700, 1899, 1900, 1904, 1970, 1999, 2000, 2004, 2023, 2024, 2025, 2026, 2100, 2400, 2800, 9996, 9999];
  let valid = 0;
  for (const year of years) {
    for (let month = 0; month <= 99; month++) {
      for (let day = 0; day <= 99; day++) {
        const text = `${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}T${pad(random.integer(0, 23), 2)}:${pad(random.integer(0, 59), 2)}:${pad(random.integer(0, 59), 2)}.${pad(random.integer(0, 999), 3)}Z`;
        checkTimestamp(text);
        valid += Number(!Number.isNaN(canonicalTimestampMs(text)));
      }
    }
  }
  assert.is(valid, years.length * 365 + years.filter((year) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0)).length);
});

test("canonicalTimestampMs: random times, every field out of range, and the ISO shape mutated one character at a time", () => {
  for (let index = 0; index < 20_000; index++) {
    const text = `${pad(random.integer(0, 9999), 4)}-${pad(random.integer(0, 13), 2)}-${pad(random.integer(0, 32), 2)}T${pad(random.integer(0, 25), 2)}:${pad(random.integer(0, 61), 2)}:${pad(random.integer(0, 61), 2)}.${pad(random.integer(0, 999), 3)}Z`;
    checkTimestamp(text);
  }
  const alphabet = ["0", "5", "9", "-", "+", "T", "t", ":", ".", "Z", "z", " ", "\n", "٣", "１", "a", "🚗"];
  const bases = ["2026-11-26T17:35:00.000Z", "2024-02-29T23:59:59.999Z", "2000-01-01T00:00:00.000Z", "1900-02-28T12:00:00.500Z"];
  for (const base of bases) {
    checkTimestamp(base);
    assert.is(canonicalTimestampMs(base), Date.parse(base), `${base} takes the fast path`);
    for (let position = 0; position < base.length; position++) {
      for (const character of alphabet) {
        checkTimestamp(base.slice(0, position) + character + base.slice(position + 1));
        checkTimestamp(base.slice(0, position) + character + base.slice(position));
        checkTimestamp(base.slice(0, position) + base.slice(position + 1));
      }
    }
  }
  // Other shapes the pattern accepts are left to the pattern and Date.parse (NaN here), never decided wrong.
  for (const other of ["2026-11-26T17:35:00Z", "2026-11-26T17:35:00.5Z", "2026-11-26T17:35:00.123456Z", "2026-11-26T17:35:00.000+01:00", "2026-11-26T17:35:00.000-00:00"]) {
    assert.ok(TIMESTAMP.test(other), other);
    assert.ok(Number.isNaN(canonicalTimestampMs(other)), other);
  }
});

test.run();
