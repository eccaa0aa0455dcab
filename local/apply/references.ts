/**
 * The interpolations cdktf writes into this stack's cdk.tf.json: `${type.name.attribute}`, a reference to
 * an attribute of another resource (or `${data.type.name.attribute}`, of a data source), either the whole
 * string (the value keeps its type) or inside text (rendered as a string), plus the escapes `$${` and
 * `%%{`. Nothing else of Terraform's language is resolved: a function call (`${jsonencode(…)}`, what
 * cdktf's `Fn.*` writes), an operator, a conditional, a splat, an index, a `var.`/`local.` reference or a
 * template directive is refused
 * with an error that names it, so a stack change that needs more fails loudly instead of applying wrong.
 * Parsing is pure; resolving reads the attributes of applied resources through a lookup.
 */

export class UnsupportedExpressionError extends Error {
  override readonly name = "UnsupportedExpressionError";
  constructor(
    readonly expression: string,
    /** What the expression is, e.g. `function call jsonencode()`, `conditional`, `input variable (var.)`. */
    readonly construct: string,
    /** Where it was found, e.g. `aws_sqs_queue.telemetry_queue`, once known. */
    readonly where?: string,
  ) {
    super(
      `the local cloud resolves only \${type.name.attribute} references, and "${expression.length > 120 ? `${expression.slice(0, 120)}…` : expression}"` +
        `${where ? ` (in ${where})` : ""} is a ${construct}; write the value so cdktf renders plain references ` +
        `(JSON.stringify of tokens, not Fn.*), or extend local/apply/references.ts`,
    );
  }

  /** The same refusal, saying where the expression was found. */
  at(where: string): UnsupportedExpressionError {
    return new UnsupportedExpressionError(this.expression, this.construct, where);
  }
}

export class UnresolvedReferenceError extends Error {
  override readonly name = "UnresolvedReferenceError";
  constructor(readonly reference: string, detail: string) {
    super(`reference \${${reference}} ${detail}`);
  }
}

export interface Reference {
  /** `aws_sqs_queue.telemetry_queue` or `data.aws_caller_identity.account` */
  address: string;
  attribute: string;
}

export type Template = Array<string | Reference>;

/** The attributes of an applied resource by address, or undefined when there is no such resource. */
export type Lookup = (address: string) => Record<string, unknown> | undefined;

const TYPE = /^[a-z][a-z0-9_]*$/;
const NAME = /^[A-Za-z_][A-Za-z0-9_-]*$/;
const ATTRIBUTE = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** Roots Terraform gives a meaning of their own; `var.x.y` looks like a reference but is not one. */
const SPECIAL_ROOTS: Record<string, string> = {
  var: "input variable (var.)",
  local: "local value (local.)",
  data: "data source reference that is not data.type.name.attribute",
  module: "module output (module.)",
  path: "path value (path.)",
  terraform: "terraform value (terraform.)",
  count: "count.index",
  each: "for_each value (each.)",
  self: "self reference",
};

/** Names what an interpolation that is not a plain reference is. */
function construct(inner: string): string {
  const text = inner.trim();
  const call = /^([A-Za-z_][A-Za-z0-9_]*)\s*\(/.exec(text);
  if (call) return `function call ${call[1]}()`;
  if (/^for\s/.test(text) || /^\[\s*for\s/.test(text) || /^\{\s*for\s/.test(text)) return "for expression";
  const root = /^([A-Za-z_][A-Za-z0-9_]*)\./.exec(text)?.[1];
  if (root && SPECIAL_ROOTS[root] && /^[\w.-]+$/.test(text)) return SPECIAL_ROOTS[root];
  if (/\[\s*\*\s*\]|\.\*/.test(text)) return "splat";
  if (/\?[^:]*:/.test(text)) return "conditional";
  if (/==|!=|<=|>=|&&|\|\||[<>+*/%!]|\s-\s/.test(text)) return "operator expression";
  if (/\[/.test(text)) return "index";
  if (/^"/.test(text) || /^-?[0-9]/.test(text) || /^(true|false|null)$/.test(text)) return "literal";
  if (/^[\w-]+(\.[\w-]+)+$/.test(text)) return `reference that is not type.name.attribute (${text})`;
  return "expression Terraform would evaluate";
}

/** `type.name.attribute` or `data.type.name.attribute`, else undefined. */
function asReference(inner: string): Reference | undefined {
  const steps = inner.trim().split(".");
  const [type, name, attribute] = steps[0] === "data" ? steps.slice(1) : steps;
  const expected = steps[0] === "data" ? 4 : 3;
  if (steps.length !== expected || !type || !name || !attribute) return undefined;
  if (!TYPE.test(type) || !NAME.test(name) || !ATTRIBUTE.test(attribute) || (expected === 3 && SPECIAL_ROOTS[type])) return undefined;
  return { address: `${expected === 4 ? "data." : ""}${type}.${name}`, attribute };
}

/** Where the `${` opened at `start` closes: braces are counted, quoted strings skipped. */
function closingBrace(text: string, start: number): number {
  let depth = 0;
  let quoted = false;
  for (let index = start + 2; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === "\\") index++;
      else if (char === '"') quoted = false;
    } else if (char === '"') quoted = true;
    else if (char === "{") depth++;
    else if (char === "}") {
      if (depth === 0) return index;
      depth--;
    }
  }
  return -1;
}

/**
 * Splits a string of cdk.tf.json into literal text and references; refuses anything else by name.
 *
 * @example
 * parseTemplate("arn:${aws_sqs_queue.q.arn}/x"); // ["arn:", { address: "aws_sqs_queue.q", attribute: "arn" }, "/x"]
 * parseTemplate("${jsonencode({})}"); // throws UnsupportedExpressionError (function call jsonencode())
 */
export function parseTemplate(text: string): Template {
  const parts: Template = [];
  let literal = "";
  let index = 0;
  while (index < text.length) {
    if ((text.startsWith("$${", index) || text.startsWith("%%{", index))) {
      literal += `${text[index]}{`;
      index += 3;
    } else if (text.startsWith("%{", index)) {
      const end = closingBrace(text, index);
      throw new UnsupportedExpressionError(text.slice(index, end < 0 ? undefined : end + 1), "template directive (%{…})");
    } else if (text.startsWith("${", index)) {
      const end = closingBrace(text, index);
      if (end < 0) throw new UnsupportedExpressionError(text.slice(index), "unterminated interpolation");
      const inner = text.slice(index + 2, end);
      const reference = asReference(inner);
      if (!reference) throw new UnsupportedExpressionError(`\${${inner}}`, construct(inner));
      if (literal) parts.push(literal);
      literal = "";
      parts.push(reference);
      index = end + 1;
    } else {
      literal += text[index];
      index++;
    }
  }
  if (literal || parts.length === 0) parts.push(literal);
  return parts;
}

function valueOf(reference: Reference, lookup: Lookup): unknown {
  const attributes = lookup(reference.address);
  const where = `${reference.address}.${reference.attribute}`;
  if (!attributes) throw new UnresolvedReferenceError(where, `names ${reference.address}, which the stack does not define (or has not applied yet)`);
  const value = attributes[reference.attribute];
  if (value === undefined) throw new UnresolvedReferenceError(where, `has no value: ${reference.address} has no attribute "${reference.attribute}" locally`);
  return value;
}

function interpolated(value: unknown, reference: Reference): string {
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  throw new UnresolvedReferenceError(`${reference.address}.${reference.attribute}`, `is ${value === null ? "null" : "not a string, number or bool"} inside text`);
}

/**
 * Resolves every string in a JSON value (a resource's configuration, an output), recursively; cdktf's
 * `//` metadata is dropped.
 *
 * @example
 * resolveValue({ queue_url: "${aws_sqs_queue.q.url}" }, (address) => applied.get(address)); // { queue_url: "http://…/q" }
 */
export function resolveValue(value: unknown, lookup: Lookup): unknown {
  if (typeof value === "string") {
    if (!value.includes("{")) return value;
    const parts = parseTemplate(value);
    if (parts.length === 1 && typeof parts[0] !== "string") return valueOf(parts[0]!, lookup);
    return parts.map((part) => (typeof part === "string" ? part : interpolated(valueOf(part, lookup), part))).join("");
  }
  if (Array.isArray(value)) return value.map((item) => resolveValue(item, lookup));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => key !== "//")
        .map(([key, item]) => [key, resolveValue(item, lookup)]),
    );
  }
  return value;
}

/**
 * Every reference any string inside a JSON value makes (refusing what is not one, by name).
 *
 * @example
 * referencesIn({ arn: "${aws_sqs_queue.q.arn}" }); // [{ address: "aws_sqs_queue.q", attribute: "arn" }]
 */
export function referencesIn(value: unknown): Reference[] {
  if (typeof value === "string") return value.includes("{") ? parseTemplate(value).filter((part): part is Reference => typeof part !== "string") : [];
  if (Array.isArray(value)) return value.flatMap(referencesIn);
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => (key === "//" ? [] : referencesIn(item)));
  }
  return [];
}
