/**
 * The subset of Terraform's expression language that cdktf emits into string values of cdk.tf.json:
 * templates (`"${aws_sqs_queue.x.arn}"`, `"arn:…:${var.y}/z"`), and inside `${…}` literals, tuples,
 * objects (`{"k" = v}` / `{k: v}`), traversals (`a.b[0].c`, `a.b.*.c`), function calls
 * (`jsonencode({...})`), unary/binary operators and the conditional `c ? a : b`.
 * Parsing is pure; evaluation gets the values of the roots (resources, data, var, local) from a scope.
 */
import { callFunction } from "./functions.js";

export class ExpressionSyntaxError extends Error {
  override readonly name = "ExpressionSyntaxError";
  constructor(readonly source: string, readonly position: number, detail: string) {
    super(`${detail} at offset ${position} in ${JSON.stringify(source.length > 200 ? `${source.slice(0, 200)}…` : source)}`);
  }
}

export class UnresolvedReferenceError extends Error {
  override readonly name = "UnresolvedReferenceError";
  constructor(readonly reference: string, detail = "has no value") {
    super(`reference ${reference} ${detail}`);
  }
}

export type TraversalStep = { kind: "attr"; name: string } | { kind: "index"; key: Expression } | { kind: "splat" };

export type Expression =
  | { kind: "literal"; value: unknown }
  | { kind: "template"; parts: Array<string | Expression> }
  | { kind: "traversal"; root: string; steps: TraversalStep[] }
  | { kind: "call"; name: string; args: Expression[]; expandLast: boolean }
  | { kind: "tuple"; items: Expression[] }
  | { kind: "object"; entries: Array<{ key: Expression; value: Expression }> }
  | { kind: "unary"; operator: "-" | "!"; operand: Expression }
  | { kind: "binary"; operator: string; left: Expression; right: Expression }
  | { kind: "conditional"; condition: Expression; then: Expression; otherwise: Expression }
  | { kind: "postfix"; target: Expression; steps: TraversalStep[] };

/** Looks up a root name (`aws_sqs_queue`, `data`, `var`, `local`) and returns its value or undefined. */
export type Scope = (root: string) => unknown;

const BINARY_PRECEDENCE: Record<string, number> = {
  "||": 1,
  "&&": 2,
  "==": 3,
  "!=": 3,
  "<": 4,
  "<=": 4,
  ">": 4,
  ">=": 4,
  "+": 5,
  "-": 5,
  "*": 6,
  "/": 6,
  "%": 6,
};
const OPERATORS = Object.keys(BINARY_PRECEDENCE).sort((a, b) => b.length - a.length);
const ESCAPES: Record<string, string> = { n: "\n", r: "\r", t: "\t", '"': '"', "\\": "\\" };

class Parser {
  position = 0;
  constructor(readonly source: string) {}

  fail(detail: string): never {
    throw new ExpressionSyntaxError(this.source, this.position, detail);
  }

  peek(offset = 0): string {
    return this.source[this.position + offset] ?? "";
  }

  skipSpace(): void {
    while (/\s/.test(this.peek())) this.position++;
  }

  consume(text: string): boolean {
    this.skipSpace();
    if (this.source.startsWith(text, this.position)) {
      this.position += text.length;
      return true;
    }
    return false;
  }

  expect(text: string): void {
    if (!this.consume(text)) this.fail(`expected "${text}"`);
  }

  /** A template: literal text with `${…}` interpolations, up to `terminator` (end of input or `"`). */
  template(terminator: "" | '"'): Expression {
    const parts: Array<string | Expression> = [];
    let literal = "";
    for (;;) {
      const char = this.peek();
      if (terminator === "" ? this.position >= this.source.length : char === terminator) break;
      if (char === "") this.fail("unterminated string");
      if (char === "$" && this.peek(1) === "$" && this.peek(2) === "{") {
        literal += "${";
        this.position += 3;
      } else if (char === "%" && this.peek(1) === "%" && this.peek(2) === "{") {
        literal += "%{";
        this.position += 3;
      } else if (char === "%" && this.peek(1) === "{") {
        this.fail("template directives (%{…}) are not supported");
      } else if (char === "$" && this.peek(1) === "{") {
        if (literal) parts.push(literal);
        literal = "";
        this.position += 2;
        parts.push(this.expression());
        this.expect("}");
      } else if (char === "\\" && terminator === '"') {
        literal += this.escape();
      } else {
        literal += char;
        this.position++;
      }
    }
    if (literal) parts.push(literal);
    if (parts.length === 1 && typeof parts[0] !== "string") return parts[0]!;
    return { kind: "template", parts };
  }

  escape(): string {
    const next = this.peek(1);
    if (next in ESCAPES) {
      this.position += 2;
      return ESCAPES[next]!;
    }
    if (next === "u") {
      const hex = this.source.slice(this.position + 2, this.position + 6);
      if (!/^[0-9a-fA-F]{4}$/.test(hex)) this.fail("bad \\u escape");
      this.position += 6;
      return String.fromCharCode(parseInt(hex, 16));
    }
    return this.fail(`unknown escape \\${next}`);
  }

  expression(): Expression {
    const condition = this.binary(0);
    if (this.consume("?")) {
      const then = this.expression();
      this.expect(":");
      const otherwise = this.expression();
      return { kind: "conditional", condition, then, otherwise };
    }
    return condition;
  }

  binary(minPrecedence: number): Expression {
    let left = this.unary();
    for (;;) {
      this.skipSpace();
      const operator = OPERATORS.find((op) => this.source.startsWith(op, this.position));
      if (!operator || BINARY_PRECEDENCE[operator]! <= minPrecedence) return left;
      this.position += operator.length;
      const right = this.binary(BINARY_PRECEDENCE[operator]!);
      left = { kind: "binary", operator, left, right };
    }
  }

  unary(): Expression {
    if (this.consume("-")) return { kind: "unary", operator: "-", operand: this.unary() };
    if (this.consume("!")) return { kind: "unary", operator: "!", operand: this.unary() };
    const primary = this.primary();
    const steps = this.steps();
    if (steps.length === 0) return primary;
    if (primary.kind === "traversal") return { ...primary, steps: [...primary.steps, ...steps] };
    return { kind: "postfix", target: primary, steps };
  }

  steps(): TraversalStep[] {
    const steps: TraversalStep[] = [];
    for (;;) {
      if (this.peek() === "." && this.peek(1) === "*") {
        this.position += 2;
        steps.push({ kind: "splat" });
      } else if (this.peek() === "." && /[A-Za-z_]/.test(this.peek(1))) {
        this.position++;
        steps.push({ kind: "attr", name: this.identifier() });
      } else if (this.peek() === "." && /[0-9]/.test(this.peek(1))) {
        this.position++;
        steps.push({ kind: "index", key: { kind: "literal", value: Number(this.number()) } });
      } else if (this.peek() === "[") {
        this.position++;
        if (this.consume("*")) steps.push({ kind: "splat" });
        else steps.push({ kind: "index", key: this.expression() });
        this.expect("]");
      } else {
        return steps;
      }
    }
  }

  identifier(): string {
    const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(this.source.slice(this.position));
    if (!match) return this.fail("expected a name");
    this.position += match[0].length;
    return match[0];
  }

  number(): string {
    const match = /^[0-9]+(\.[0-9]+)?([eE][+-]?[0-9]+)?/.exec(this.source.slice(this.position));
    if (!match) return this.fail("expected a number");
    this.position += match[0].length;
    return match[0];
  }

  primary(): Expression {
    this.skipSpace();
    const char = this.peek();
    if (char === '"') {
      this.position++;
      const value = this.template('"');
      this.position++;
      return value.kind === "template" && value.parts.every((part) => typeof part === "string")
        ? { kind: "literal", value: value.parts.join("") }
        : value;
    }
    if (/[0-9]/.test(char)) return { kind: "literal", value: Number(this.number()) };
    if (char === "(") {
      this.position++;
      const inner = this.expression();
      this.expect(")");
      return inner;
    }
    if (char === "[") {
      this.position++;
      const items: Expression[] = [];
      while (!this.consume("]")) {
        items.push(this.expression());
        if (!this.consume(",")) {
          this.expect("]");
          break;
        }
      }
      return { kind: "tuple", items };
    }
    if (char === "{") {
      this.position++;
      const entries: Array<{ key: Expression; value: Expression }> = [];
      while (!this.consume("}")) {
        const key = this.objectKey();
        if (!this.consume("=")) this.expect(":");
        entries.push({ key, value: this.expression() });
        if (!this.consume(",")) {
          this.consume("\n");
          if (this.consume("}")) break;
        }
      }
      return { kind: "object", entries };
    }
    if (/[A-Za-z_]/.test(char)) {
      const name = this.identifier();
      if (name === "true" || name === "false") return { kind: "literal", value: name === "true" };
      if (name === "null") return { kind: "literal", value: null };
      if (this.consume("(")) {
        const args: Expression[] = [];
        let expandLast = false;
        while (!this.consume(")")) {
          args.push(this.expression());
          if (this.consume("...")) expandLast = true;
          if (!this.consume(",")) {
            this.expect(")");
            break;
          }
        }
        return { kind: "call", name, args, expandLast };
      }
      return { kind: "traversal", root: name, steps: [] };
    }
    return this.fail(char ? `unexpected "${char}"` : "unexpected end of expression");
  }

  objectKey(): Expression {
    this.skipSpace();
    if (/[A-Za-z_]/.test(this.peek())) {
      const start = this.position;
      const name = this.identifier();
      this.skipSpace();
      if (this.peek() === "=" || this.peek() === ":") return { kind: "literal", value: name };
      this.position = start;
    }
    return this.expression();
  }
}

/**
 * Parses a JSON string value of cdk.tf.json as a Terraform template.
 *
 * @example
 * parseTemplate("arn:${aws_sqs_queue.q.arn}"); // { kind: "template", parts: ["arn:", { kind: "traversal", … }] }
 */
export function parseTemplate(source: string): Expression {
  if (!source.includes("${")) return { kind: "literal", value: source.replaceAll("$${", "${").replaceAll("%%{", "%{") };
  const parser = new Parser(source);
  const parsed = parser.template("");
  return parsed.kind === "template" && parsed.parts.length === 0 ? { kind: "literal", value: "" } : parsed;
}

/** Renders a value the way Terraform interpolates it into a string. */
export function interpolate(value: unknown, where: string): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (value === null || value === undefined) throw new UnresolvedReferenceError(where, "is null inside a string");
  throw new UnresolvedReferenceError(where, "is not a string, number or bool; it cannot be interpolated");
}

function describe(expression: Expression): string {
  if (expression.kind !== "traversal") return expression.kind;
  return [expression.root, ...expression.steps.map((step) => (step.kind === "attr" ? step.name : step.kind === "splat" ? "*" : "[…]"))].join(".");
}

function applySteps(value: unknown, steps: TraversalStep[], scope: Scope, where: string): unknown {
  let current = value;
  for (const [index, step] of steps.entries()) {
    if (step.kind === "splat") {
      const items = Array.isArray(current) ? current : current === null || current === undefined ? [] : [current];
      return items.map((item) => applySteps(item, steps.slice(index + 1), scope, where));
    }
    const key = step.kind === "attr" ? step.name : evaluate(step.key, scope);
    if (current === null || typeof current !== "object") throw new UnresolvedReferenceError(where);
    const next = (current as Record<string, unknown>)[String(key)];
    if (next === undefined) throw new UnresolvedReferenceError(where);
    current = next;
  }
  return current;
}

function truthy(value: unknown, where: string): boolean {
  if (typeof value === "boolean") return value;
  if (value === "true" || value === "false") return value === "true";
  throw new UnresolvedReferenceError(where, "is not a bool");
}

function evaluateBinary(operator: string, left: unknown, right: unknown): unknown {
  switch (operator) {
    case "==":
      return JSON.stringify(left) === JSON.stringify(right);
    case "!=":
      return JSON.stringify(left) !== JSON.stringify(right);
    case "&&":
      return truthy(left, "&&") && truthy(right, "&&");
    case "||":
      return truthy(left, "||") || truthy(right, "||");
  }
  const [a, b] = [Number(left), Number(right)];
  const results: Record<string, unknown> = { "+": a + b, "-": a - b, "*": a * b, "/": a / b, "%": a % b, "<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b };
  return results[operator];
}

/**
 * Evaluates a parsed expression against a scope.
 *
 * @example
 * evaluate(parseTemplate("${aws_sqs_queue.q.arn}"), (root) => ({ aws_sqs_queue: { q: { arn: "arn:aws:sqs:…" } } })[root]);
 */
export function evaluate(expression: Expression, scope: Scope): unknown {
  switch (expression.kind) {
    case "literal":
      return expression.value;
    case "template":
      return expression.parts.map((part) => (typeof part === "string" ? part : interpolate(evaluate(part, scope), describe(part)))).join("");
    case "traversal": {
      const where = describe(expression);
      const root = scope(expression.root);
      if (root === undefined) throw new UnresolvedReferenceError(where, `names "${expression.root}", which the stack does not define`);
      return applySteps(root, expression.steps, scope, where);
    }
    case "postfix":
      return applySteps(evaluate(expression.target, scope), expression.steps, scope, "expression");
    case "call": {
      const args = expression.args.map((arg) => evaluate(arg, scope));
      if (expression.expandLast) {
        const last = args.pop();
        args.push(...(Array.isArray(last) ? last : []));
      }
      return callFunction(expression.name, args);
    }
    case "tuple":
      return expression.items.map((item) => evaluate(item, scope));
    case "object":
      return Object.fromEntries(expression.entries.map(({ key, value }) => [String(evaluate(key, scope)), evaluate(value, scope)]));
    case "unary": {
      const operand = evaluate(expression.operand, scope);
      return expression.operator === "-" ? -Number(operand) : !truthy(operand, "!");
    }
    case "binary":
      return evaluateBinary(expression.operator, evaluate(expression.left, scope), evaluate(expression.right, scope));
    case "conditional":
      return truthy(evaluate(expression.condition, scope), "condition")
        ? evaluate(expression.then, scope)
        : evaluate(expression.otherwise, scope);
  }
}

/** Every traversal (reference) an expression contains, e.g. to order resources by their dependencies. */
export function traversals(expression: Expression): Array<{ root: string; path: string[] }> {
  const found: Array<{ root: string; path: string[] }> = [];
  const visitSteps = (steps: TraversalStep[]): void => {
    for (const step of steps) if (step.kind === "index") visit(step.key);
  };
  const visit = (node: Expression): void => {
    switch (node.kind) {
      case "traversal": {
        const path: string[] = [];
        for (const step of node.steps) {
          if (step.kind !== "attr") break;
          path.push(step.name);
        }
        found.push({ root: node.root, path });
        visitSteps(node.steps);
        return;
      }
      case "template":
        node.parts.forEach((part) => typeof part !== "string" && visit(part));
        return;
      case "postfix":
        visit(node.target);
        visitSteps(node.steps);
        return;
      case "call":
        node.args.forEach(visit);
        return;
      case "tuple":
        node.items.forEach(visit);
        return;
      case "object":
        node.entries.forEach(({ key, value }) => (visit(key), visit(value)));
        return;
      case "unary":
        visit(node.operand);
        return;
      case "binary":
        visit(node.left);
        visit(node.right);
        return;
      case "conditional":
        visit(node.condition);
        visit(node.then);
        visit(node.otherwise);
        return;
      case "literal":
        return;
    }
  };
  visit(expression);
  return found;
}

/**
 * Resolves every string in a JSON value (a resource's configuration) as a template, recursively.
 *
 * @example
 * resolveValue({ queue_url: "${aws_sqs_queue.q.url}" }, scope); // { queue_url: "http://…/x-q" }
 */
export function resolveValue(value: unknown, scope: Scope): unknown {
  if (typeof value === "string") return evaluate(parseTemplate(value), scope);
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, scope));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "//")
        .map(([key, item]) => [key, resolveValue(item, scope)]),
    );
  }
  return value;
}

/** Every reference any string inside a JSON value makes. */
export function referencesIn(value: unknown): Array<{ root: string; path: string[] }> {
  if (typeof value === "string") return value.includes("${") ? traversals(parseTemplate(value)) : [];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => (key === "//" ? [] : referencesIn(item)));
  }
  return [];
}
