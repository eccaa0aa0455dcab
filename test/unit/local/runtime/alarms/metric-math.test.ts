import { test } from "uvu";
import * as assert from "uvu/assert";
import { MetricMathError } from "../../../../../local/runtime/errors.js";
import { evaluateMetricMath, parseMetricMath, referencedIds } from "../../../../../local/runtime/alarms/metric-math.js";

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

test("comparisons give 1 or 0 and bind looser than arithmetic", () => {
  assert.is(evaluate("a + 1 > b", { a: 2, b: 2 }), 1);
  assert.is(evaluate("a >= b", { a: 1, b: 2 }), 0);
  assert.is(evaluate("a == b", { a: 2, b: 2 }), 1);
  assert.is(evaluate("a != b", { a: 2, b: 2 }), 0);
  assert.is(evaluate("a < b && b <= 3", { a: 1, b: 3 }), 1);
  assert.is(evaluate("a > b OR b > 5", { a: 1, b: 3 }), 0);
});

test("IF chooses per period; without a false branch the period has no value", () => {
  const stack = "IF(finished >= 20, 100 * unsuccessful / finished, 0)";
  assert.is(evaluate(stack, { finished: 40, unsuccessful: 10 }), 25);
  assert.is(evaluate(stack, { finished: 5, unsuccessful: 5 }), 0, "below the minimum count the rate is 0");
  assert.is(evaluate(stack, { unsuccessful: 5 }), undefined, "a missing condition has no value");
  assert.is(evaluate("IF(a > 1, a)", { a: 0 }), undefined);
  assert.is(evaluate("IF(a > 1, a)", { a: 4 }), 4);
});

test("referenced ids are listed", () => {
  assert.equal(referencedIds(parseMetricMath("100 * e1 / FILL(m2, 0) - m3")).sort(), ["e1", "m2", "m3"]);
  assert.equal(referencedIds(parseMetricMath("IF(c > 0, t, f)")).sort(), ["c", "f", "t"]);
});

for (const [expression, why] of [
  ["RATE(m1)", "function RATE is not supported"],
  ["m1 % 2", 'unexpected character "%"'],
  ["IF(m1)", 'expected ","'],
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
