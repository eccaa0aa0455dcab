import { test } from "uvu";
import * as assert from "uvu/assert";
import {
  computeCheckDigit,
  decodeModelYear,
  isValidVin,
  modelYearCode,
  requiresCheckDigit,
  vinViolations,
} from "../../../telemetry/vin.js";

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

test.run();
