import { test } from "uvu";
import * as assert from "uvu/assert";
import { parseChoice, parseDuration, parseIntegerOption, parseList } from "../../../cli/arguments.js";
import { UsageError } from "../../../cli/errors.js";

function usageErrorOf(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    assert.instance(error, UsageError);
    return error as UsageError;
  }
  throw new Error("expected a UsageError");
}

test("parseIntegerOption accepts whole numbers within bounds", () => {
  assert.is(parseIntegerOption("--max-per-second", "50", { min: 1, max: 500 }), 50);
  assert.is(parseIntegerOption("--anti-rollback", " 0 ", { min: 0 }), 0);
});

const badIntegers: Array<[string, RegExp]> = [
  ["0", /at least 1/],
  ["501", /at most 500/],
  ["2.5", /whole number/],
  ["fast", /whole number/],
  ["", /whole number/],
];
for (const [raw, message] of badIntegers) {
  test(`parseIntegerOption refuses "${raw}" naming the option`, () => {
    const error = usageErrorOf(() => parseIntegerOption("--max-per-second", raw, { min: 1, max: 500 }));
    assert.match(error.message, "--max-per-second");
    assert.match(error.message, message);
  });
}

const durations: Array<[string, number]> = [
  ["30d", 30 * 86_400],
  ["12h", 12 * 3600],
  ["90m", 90 * 60],
  ["45s", 45],
  ["2w", 2 * 604_800],
];
for (const [raw, seconds] of durations) {
  test(`parseDuration reads ${raw}`, () => {
    assert.is(parseDuration("--expires", raw), seconds);
  });
}

for (const raw of ["30", "0d", "-1d", "1y", "d30"]) {
  test(`parseDuration refuses "${raw}"`, () => {
    assert.match(usageErrorOf(() => parseDuration("--expires", raw)).message, "--expires");
  });
}

test("parseChoice matches case-insensitively and lists the choices when it cannot", () => {
  assert.is(parseChoice("--state", "failed", ["QUEUED", "FAILED"] as const), "FAILED");
  const error = usageErrorOf(() => parseChoice("--state", "broken", ["QUEUED", "FAILED"] as const));
  assert.match(error.message, "QUEUED, FAILED");
});

test("parseList splits commas, trims, drops duplicates and empties", () => {
  assert.equal(parseList("--hardware", ["hu-3, hu-4", "hu-4", ""]), ["hu-3", "hu-4"]);
});

test("parseList refuses an empty list", () => {
  assert.match(usageErrorOf(() => parseList("--hardware", [" , "])).message, "--hardware");
});

test.run();
