import { MetricMathError } from "../errors.js";

/**
 * The metric-math subset the local alarm evaluator computes (moto has no metric math):
 * numbers, query ids (`m1`, `errors`), `+ - * /`, unary minus, parentheses, comparisons
 * (`== != < <= > >=`, giving 1 or 0), logical `AND`/`&&` and `OR`/`||`, `IF(condition, a, b)` (and
 * `IF(condition, a)`, which has no value where the condition is false) and `FILL(expr, number)`.
 * Precedence, loosest first: OR, AND, comparisons, + -, * /, unary minus.
 * Series are evaluated period by period: a period where an operand has no value has no value (as AWS
 * aligns series by timestamp), a division by zero has no value, and `FILL` supplies a value for a
 * missing period. Anything else (other functions such as RATE, SEARCH, METRICS(), strings) is refused
 * with a MetricMathError naming it.
 */
export const ARITHMETIC_OPERATORS = ["+", "-", "*", "/"] as const;
export const COMPARISON_OPERATORS = ["==", "!=", "<", "<=", ">", ">="] as const;
export const SUPPORTED_FUNCTIONS = ["FILL", "IF"] as const;

type ArithmeticOperator = (typeof ARITHMETIC_OPERATORS)[number];
type ComparisonOperator = (typeof COMPARISON_OPERATORS)[number];

export type MathNode =
  | { kind: "number"; value: number }
  | { kind: "ref"; id: string }
  | { kind: "negate"; operand: MathNode }
  | { kind: "binary"; operator: ArithmeticOperator | ComparisonOperator | "AND" | "OR"; left: MathNode; right: MathNode }
  | { kind: "fill"; operand: MathNode; fallback: number }
  | { kind: "if"; condition: MathNode; whenTrue: MathNode; whenFalse?: MathNode };

type Token = { type: "number"; value: number } | { type: "name"; value: string } | { type: "symbol"; value: string };

const LOGICAL_SYMBOLS: Record<string, "AND" | "OR"> = { "&&": "AND", "||": "OR", AND: "AND", OR: "OR" };

function tokenize(expression: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\s*(?:(\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|([A-Za-z_][A-Za-z0-9_]*)|(==|!=|<=|>=|&&|\|\||[-+*/(),<>]))/y;
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
 * parseMetricMath("IF(finished >= 20, 100 * unsuccessful / finished, 0)");
 */
export function parseMetricMath(expression: string): MathNode {
  const tokens = tokenize(expression);
  let index = 0;
  const peek = (): Token | undefined => tokens[index];
  const fail = (reason: string): never => {
    throw new MetricMathError(expression, reason);
  };
  const isSymbol = (token: Token | undefined, symbol: string): boolean => token?.type === "symbol" && token.value === symbol;
  const expectSymbol = (symbol: string): void => {
    if (!isSymbol(tokens[index++], symbol)) fail(`expected "${symbol}"`);
  };

  /** One precedence level of left-associative binary operators; `operatorOf` recognises its operators. */
  function parseLevel(operatorOf: (token: Token) => Extract<MathNode, { kind: "binary" }>["operator"] | undefined, parseOperand: () => MathNode): MathNode {
    let node = parseOperand();
    for (let token = peek(), operator = token && operatorOf(token); operator; token = peek(), operator = token && operatorOf(token)) {
      index += 1;
      node = { kind: "binary", operator, left: node, right: parseOperand() };
    }
    return node;
  }
  const symbolIn =
    <T extends string>(symbols: readonly T[]) =>
    (token: Token): T | undefined =>
      token.type === "symbol" && (symbols as readonly string[]).includes(token.value) ? (token.value as T) : undefined;
  const logical = (wanted: "AND" | "OR") => (token: Token) =>
    LOGICAL_SYMBOLS[token.type === "name" ? token.value.toUpperCase() : token.value] === wanted ? wanted : undefined;

  const parseProduct = (): MathNode => parseLevel(symbolIn(["*", "/"] as const), parseUnary);
  const parseSum = (): MathNode => parseLevel(symbolIn(["+", "-"] as const), parseProduct);
  const parseComparison = (): MathNode => parseLevel(symbolIn(COMPARISON_OPERATORS), parseSum);
  const parseAnd = (): MathNode => parseLevel(logical("AND"), parseComparison);
  const parseOr = (): MathNode => parseLevel(logical("OR"), parseAnd);

  function parseUnary(): MathNode {
    if (isSymbol(peek(), "-")) {
      index += 1;
      return { kind: "negate", operand: parseUnary() };
    }
    return parsePrimary();
  }

  function parseFill(): MathNode {
    const operand = parseOr();
    expectSymbol(",");
    const negative = isSymbol(peek(), "-");
    if (negative) index += 1;
    const fallback = tokens[index++];
    if (fallback?.type !== "number") return fail("FILL's second argument must be a number");
    expectSymbol(")");
    return { kind: "fill", operand, fallback: negative ? -fallback.value : fallback.value };
  }

  function parseIf(): MathNode {
    const condition = parseOr();
    expectSymbol(",");
    const whenTrue = parseOr();
    let whenFalse: MathNode | undefined;
    if (isSymbol(peek(), ",")) {
      index += 1;
      whenFalse = parseOr();
    }
    expectSymbol(")");
    return { kind: "if", condition, whenTrue, whenFalse };
  }

  function parsePrimary(): MathNode {
    const token = tokens[index++];
    if (!token) return fail("unexpected end of expression");
    if (token.type === "number") return { kind: "number", value: token.value };
    if (token.type === "symbol") {
      if (token.value !== "(") return fail(`unexpected "${token.value}"`);
      const inner = parseOr();
      expectSymbol(")");
      return inner;
    }
    if (isSymbol(peek(), "(")) {
      index += 1;
      const name = token.value.toUpperCase();
      if (name === "FILL") return parseFill();
      if (name === "IF") return parseIf();
      return fail(`function ${token.value} is not supported locally (supported: ${SUPPORTED_FUNCTIONS.join(", ")})`);
    }
    return { kind: "ref", id: token.value };
  }

  const tree = parseOr();
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
    case "if":
      return [node.condition, node.whenTrue, ...(node.whenFalse ? [node.whenFalse] : [])].flatMap(referencedIds);
  }
}

function applyOperator(operator: Extract<MathNode, { kind: "binary" }>["operator"], left: number, right: number): number | undefined {
  switch (operator) {
    case "+":
      return left + right;
    case "-":
      return left - right;
    case "*":
      return left * right;
    case "/":
      return right === 0 ? undefined : left / right;
    case "==":
      return Number(left === right);
    case "!=":
      return Number(left !== right);
    case "<":
      return Number(left < right);
    case "<=":
      return Number(left <= right);
    case ">":
      return Number(left > right);
    case ">=":
      return Number(left >= right);
    case "AND":
      return Number(left !== 0 && right !== 0);
    case "OR":
      return Number(left !== 0 || right !== 0);
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
    case "if": {
      const condition = evaluateMetricMath(node.condition, valueOf);
      if (condition === undefined) return undefined;
      if (condition !== 0) return evaluateMetricMath(node.whenTrue, valueOf);
      return node.whenFalse ? evaluateMetricMath(node.whenFalse, valueOf) : undefined;
    }
    case "binary": {
      const left = evaluateMetricMath(node.left, valueOf);
      const right = evaluateMetricMath(node.right, valueOf);
      if (left === undefined || right === undefined) return undefined;
      return applyOperator(node.operator, left, right);
    }
  }
}
