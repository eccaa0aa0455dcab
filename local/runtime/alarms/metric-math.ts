import { MetricMathError } from "../errors.js";

/**
 * The metric-math subset the local alarm evaluator computes (moto has no metric math):
 * numbers, query ids (`m1`, `errors`), `+ - * /`, unary minus, parentheses and `FILL(expr, number)`.
 * Series are evaluated period by period: a period where an operand has no value has no value (as AWS
 * aligns series by timestamp), a division by zero has no value, and `FILL` supplies a value for a
 * missing period. Anything else (other functions, comparisons, IF, SEARCH, METRICS(), strings) is
 * refused with a MetricMathError naming it.
 */
export type MathNode =
  | { kind: "number"; value: number }
  | { kind: "ref"; id: string }
  | { kind: "negate"; operand: MathNode }
  | { kind: "binary"; operator: "+" | "-" | "*" | "/"; left: MathNode; right: MathNode }
  | { kind: "fill"; operand: MathNode; fallback: number };

type Token = { type: "number"; value: number } | { type: "name"; value: string } | { type: "symbol"; value: string };

export const SUPPORTED_FUNCTIONS = ["FILL"] as const;

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|([-+*/(),]))/y;
  let position = 0;
  while (position < expression.length) {
    if (/^\s*$/.test(expression.slice(position))) break;
    pattern.lastIndex = position;
    const match = pattern.exec(expression);
    if (!match) throw new MetricMathError(expression, `unexpected character "${expression.slice(position).trim()[0]}" at ${position}`);
    if (match[1] !== undefined) tokens.push({ type: "number", value: Number(match[1]) });
    else if (match[2] !== undefined) tokens.push({ type: "name", value: match[2] });
    else tokens.push({ type: "symbol", value: match[3]! });
    position = pattern.lastIndex;
  }
  return tokens;
}

/**
 * Parses a metric-math expression of the supported subset.
 *
 * @example
 * parseMetricMath("100 * failed / FILL(attempted, 0)");
 */
export function parseMetricMath(expression: string): MathNode {
  const tokens = tokenize(expression);
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const fail = (reason: string): never => {
    throw new MetricMathError(expression, reason);
  };
  const expectSymbol = (symbol: string): void => {
    const token = tokens[index++];
    if (token?.type !== "symbol" || token.value !== symbol) fail(`expected "${symbol}"`);
  };

  /** One precedence level of left-associative binary operators. */
  function parseLevel(operators: ReadonlyArray<"+" | "-" | "*" | "/">, parseOperand: () => MathNode): MathNode {
    let node = parseOperand();
    for (let token = peek(); token?.type === "symbol" && operators.includes(token.value as "+"); token = peek()) {
      index += 1;
      node = { kind: "binary", operator: token.value as "+" | "-" | "*" | "/", left: node, right: parseOperand() };
    }
    return node;
  }

  const parseProduct = (): MathNode => parseLevel(["*", "/"], parseUnary);
  const parseSum = (): MathNode => parseLevel(["+", "-"], parseProduct);

  function parseUnary(): MathNode {
    const token = peek();
    if (token?.type === "symbol" && token.value === "-") {
      index += 1;
      return { kind: "negate", operand: parseUnary() };
    }
    return parsePrimary();
  }

  function parseFill(): MathNode {
    expectSymbol("(");
    const operand = parseSum();
    expectSymbol(",");
    const negative = peek()?.type === "symbol" && peek()?.value === "-";
    if (negative) index += 1;
    const fallback = tokens[index++];
    if (fallback?.type !== "number") return fail("FILL's second argument must be a number");
    expectSymbol(")");
    return { kind: "fill", operand, fallback: negative ? -fallback.value : fallback.value };
  }

  function parsePrimary(): MathNode {
    const token = tokens[index++];
    if (!token) return fail("unexpected end of expression");
    if (token.type === "number") return { kind: "number", value: token.value };
    if (token.type === "symbol") {
      if (token.value !== "(") return fail(`unexpected "${token.value}"`);
      const inner = parseSum();
      expectSymbol(")");
      return inner;
    }
    const next = peek();
    if (next?.type === "symbol" && next.value === "(") {
      if (token.value.toUpperCase() === "FILL") return parseFill();
      return fail(`function ${token.value} is not supported locally (supported: ${SUPPORTED_FUNCTIONS.join(", ")})`);
    }
    return { kind: "ref", id: token.value };
  }

  const tree = parseSum();
  if (index < tokens.length) fail(`unexpected "${String(tokens[index]!.value)}" after the expression`);
  return tree;
}

/** The query ids an expression reads. */
export function referencedIds(node: MathNode): string[] {
  switch (node.kind) {
    case "number":
      return [];
    case "ref":
      return [node.id];
    case "negate":
    case "fill":
      return referencedIds(node.operand);
    case "binary":
      return [...referencedIds(node.left), ...referencedIds(node.right)];
  }
}

/**
 * Evaluates an expression for one period; `valueOf` gives each referenced id's value (undefined = no
 * data in that period).
 *
 * @example
 * evaluateMetricMath(parseMetricMath("100 * a / b"), (id) => ({ a: 3, b: 12 })[id]); // 25
 */
export function evaluateMetricMath(node: MathNode, valueOf: (id: string) => number | undefined): number | undefined {
  switch (node.kind) {
    case "number":
      return node.value;
    case "ref":
      return valueOf(node.id);
    case "negate": {
      const value = evaluateMetricMath(node.operand, valueOf);
      return value === undefined ? undefined : -value;
    }
    case "fill":
      return evaluateMetricMath(node.operand, valueOf) ?? node.fallback;
    case "binary": {
      const left = evaluateMetricMath(node.left, valueOf);
      const right = evaluateMetricMath(node.right, valueOf);
      if (left === undefined || right === undefined) return undefined;
      if (node.operator === "+") return left + right;
      if (node.operator === "-") return left - right;
      if (node.operator === "*") return left * right;
      return right === 0 ? undefined : left / right;
    }
  }
}
