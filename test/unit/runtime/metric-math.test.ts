import { test } from "uvu";
import * as assert from "uvu/assert";
import { MetricMathError } from "../../../local/runtime/errors.js";
import { evaluateMetricMath, parseMetricMath, referencedIds } from "../../../local/runtime/alarms/metric-math.js";

const evaluate = (expression: string, values: Record<string, number | undefined>): number | undefined =>
  evaluateMetricMath(parseMetricMath(expression), (id) => values[id]);

test("arithmetic follows precedence and parentheses", () => {
  assert.is(evaluate("100 * failed / (failed + succeeded)", { failed: 3, succeeded: 7 }), 30);
  assert.is(evaluate("a + b * c", { a: 1, b: 2, c: 3 }), 7);
  assert.is(evaluate("(a + b) * c", { a: 1, b: 2, c: 3 }), 9);
  assert.is(evaluate("a - -b", { a: 1, b: 2 }), 3);
  assert.is(evaluate("1.5e2 / m1", { m1: 3 }), 50);
});

test("a missing operand makes the period missing; FILL supplies a value", () => {
  assert.is(evaluate("a + b", { a: 1 }), undefined);
  assert.is(evaluate("a + FILL(b, 0)", { a: 1 }), 1);
  assert.is(evaluate("FILL(a / b, -1)", { a: 1, b: 0 }), -1);
});

test("division by zero has no value", () => {
  assert.is(evaluate("a / b", { a: 1, b: 0 }), undefined);
});

test("referenced ids are listed", () => {
  assert.equal(referencedIds(parseMetricMath("100 * e1 / FILL(m2, 0) - m3")).sort(), ["e1", "m2", "m3"]);
});

for (const [expression, why] of [
  ["IF(m1, 1, 0)", "function IF is not supported"],
  ["RATE(m1)", "function RATE is not supported"],
  ["m1 >= 2", 'unexpected character ">"'],
  ["(m1 + m2", 'expected ")"'],
  ["m1 m2", 'unexpected "m2"'],
  ["FILL(m1, m2)", "second argument must be a number"],
  ["", "unexpected end"],
] as const) {
  test(`"${expression}" is refused: ${why}`, () => {
    assert.throws(() => parseMetricMath(expression), (error: unknown) => error instanceof MetricMathError && error.message.includes(why));
  });
}

test.run();
