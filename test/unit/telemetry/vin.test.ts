import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  computeCheckDigit,
  decodeModelYear,
  isValidVin,
  modelYearCode,
  requiresCheckDigit,
  VIN_PATTERN,
  VIN_RULE,
  vinViolations,
} from "../../../telemetry/vin.js";
import { SeededRandom } from "../../../simulator/random.js";

test("known North American VINs are valid and their check digits recomputed", () => {
  for (const vin of ["1M8GDM9AXKP042788", "1HGCM82633A004352"]) {
    assert.ok(isValidVin(vin), vin);
    assert.is(computeCheckDigit(vin), vin[8]);
  }
});

test("a real European VIN without a check digit is valid (not enforced in Europe)", () => {
  const vin = "WP0ZZZ99ZTS392124";
  assert.is.not(computeCheckDigit(vin), vin[8]);
  assert.is(requiresCheckDigit(vin), false);
  assert.equal(vinViolations(vin), []);
});

test("a wrong check digit in a North American VIN is named with the expected digit", () => {
  const violations = vinViolations("1HGCM82643A004352");
  assert.equal(violations.map((violation) => violation.rule), ["check-digit"]);
  assert.match(violations[0]!.message, /expected 3/);
});

test("a Chinese VIN needs the check digit too", () => {
  const vin = "LGXCE4CB5N0000001";
  const corrected = `${vin.slice(0, 8)}${computeCheckDigit(vin)}${vin.slice(9)}`;
  assert.ok(isValidVin(corrected));
  const wrong = `${vin.slice(0, 8)}${computeCheckDigit(vin) === "1" ? "2" : "1"}${vin.slice(9)}`;
  assert.equal(vinViolations(wrong).map((violation) => violation.rule), ["check-digit"]);
});

test("the 7F–7Z block of newer US manufacturers needs the check digit, Oceania's 7A–7E does not", () => {
  assert.is(requiresCheckDigit("7SAYGDEE5PF000001"), true);
  assert.is(requiresCheckDigit("7FCTGAAL0NN000001"), true);
  assert.is(requiresCheckDigit("7AT0000000N000001"), false);
});

test("length and alphabet are checked everywhere", () => {
  assert.equal(vinViolations("1HGCM82633A00435").map((violation) => violation.rule), ["length"]);
  assert.equal(vinViolations("WP0ZZZ99ZTS39212O").map((violation) => violation.rule), ["alphabet"]);
  assert.equal(vinViolations("1HGCM82633A00435I").map((violation) => violation.rule), ["alphabet"]);
  assert.equal(vinViolations("1hgcm82633a004352").map((violation) => violation.rule), ["alphabet"]);
});

test("model-year codes cycle every 30 years and decode by position 7", () => {
  assert.is(modelYearCode(2019), "K");
  assert.is(modelYearCode(1989), "K");
  assert.is(modelYearCode(2001), "1");
  assert.is(decodeModelYear("1M8GDM9AXKP042788"), 2019 - 30); // position 7 is a digit: the 1980–2009 cycle
  assert.is(decodeModelYear("5YJ3E1EA7KF317000"), 2019);
  assert.is(decodeModelYear("1HGCM82633A004352"), 2003);
});

/** The rules as first written (regular expression, then the keyed check-digit arithmetic): the reference. */
function referenceRules(vin: string): string[] {
  if (vin.length !== 17) return [VIN_RULE.Length];
  if (!VIN_PATTERN.test(vin)) return [VIN_RULE.Alphabet];
  if (!requiresCheckDigit(vin)) return [];
  const rules: string[] = [];
  if (vin[8] !== computeCheckDigit(vin)) rules.push(VIN_RULE.CheckDigit);
  if (!"ABCDEFGHJKLMNPRSTVWXY123456789".includes(vin[9]!)) rules.push(VIN_RULE.ModelYearCode);
  return rules;
}

test("the one-pass check (table of character codes) gives the reference's verdict on valid and hostile VINs", () => {
  const random = new SeededRandom(7);
  const allowed = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ";
  // Hostile characters: I O Q, lower case, NUL and controls, Latin-1, a lookalike (Cyrillic А), an astral emoji half.
  const hostile = ["I", "O", "Q", "a", "z", "\u0000", "\u001f", " ", "-", "\u00c4", "\u0410", "\ud83d", "\u0131", "\uff21"];
  const vins = ["1HGCM82633A004352", "1M8GDM9AXKP042788", "WP0ZZZ99ZTS392124", "7FCTGAAL0NN000001", "LGXCE4CB5N0000001", "1HGCM82633A00435", "1HGCM82633A0043521", "🚗HGCM82633A00435"];
  for (let index = 0; index < 20_000; index++) {
    let vin = "";
    for (let position = 0; position < 17; position++) vin += allowed[Math.floor(random.next() * allowed.length)];
    if (index % 3 === 0) vin = `${"1245L7"[index % 6]}${vin.slice(1, 8)}${computeCheckDigit(vin)}${vin.slice(9)}`;
    if (index % 5 === 0) {
      const position = Math.floor(random.next() * 17);
      vin = `${vin.slice(0, position)}${hostile[index % hostile.length]}${vin.slice(position + 1)}`;
    }
    vins.push(vin);
  }
  let valid = 0;
  for (const vin of vins) {
    const rules = vinViolations(vin).map((violation) => violation.rule);
    assert.equal(rules, referenceRules(vin), vin);
    if (rules.length === 0) valid++;
  }
  assert.ok(valid > 1_000 && valid < vins.length - 1_000, `both verdicts are exercised (${valid} valid of ${vins.length})`);
});

test("a valid VIN's empty list of violations cannot be changed by a caller", () => {
  const violations = vinViolations("1HGCM82633A004352") as unknown[];
  assert.throws(() => violations.push({ rule: "x" }));
  assert.equal(vinViolations("1HGCM82633A004352"), []);
});

test.run();
