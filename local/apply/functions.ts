/**
 * Terraform's built-in functions that cdktf's `Fn.*` may emit into the stack, implemented with Terraform's
 * semantics (e.g. `jsonencode` sorts object keys). A function outside this table is an error naming it.
 */
import { createHash } from "node:crypto";

export class UnsupportedFunctionError extends Error {
  override readonly name = "UnsupportedFunctionError";
  constructor(readonly functionName: string) {
    super(`the local applier does not implement the Terraform function ${functionName}()`);
  }
}

export class FunctionArgumentError extends Error {
  override readonly name = "FunctionArgumentError";
  constructor(functionName: string, detail: string) {
    super(`${functionName}(): ${detail}`);
  }
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((key) => [key, sortKeys((value as Record<string, unknown>)[key])]),
    );
  }
  return value;
}

function list(name: string, value: unknown): unknown[] {
  if (!Array.isArray(value)) throw new FunctionArgumentError(name, `expected a list, got ${JSON.stringify(value)}`);
  return value;
}

function map(name: string, value: unknown): Record<string, unknown> {
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new FunctionArgumentError(name, `expected a map, got ${JSON.stringify(value)}`);
  }
  return value as Record<string, unknown>;
}

function text(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function format(spec: string, args: unknown[]): string {
  let next = 0;
  return spec.replace(/%(%|[#+\- 0]*\d*(?:\.\d+)?[sdvqft])/g, (whole, verb: string) => {
    if (verb === "%") return "%";
    const value = args[next++];
    const kind = verb.at(-1);
    if (kind === "d") return String(Math.trunc(Number(value)));
    if (kind === "q") return JSON.stringify(text(value));
    return text(value);
  });
}

const FUNCTIONS: Record<string, (...args: unknown[]) => unknown> = {
  jsonencode: (value) => JSON.stringify(sortKeys(value)),
  jsondecode: (value) => JSON.parse(String(value)),
  tostring: (value) => (value === null ? null : text(value)),
  tonumber: (value) => (value === null ? null : Number(value)),
  tobool: (value) => value === true || value === "true",
  tolist: (value) => list("tolist", value),
  toset: (value) => [...new Set(list("toset", value).map((item) => JSON.stringify(item)))].map((item) => JSON.parse(item)),
  tomap: (value) => map("tomap", value),
  join: (separator, ...lists) => lists.flatMap((item) => list("join", item)).map(text).join(String(separator)),
  split: (separator, value) => String(value).split(String(separator)),
  concat: (...lists) => lists.flatMap((item) => list("concat", item)),
  flatten: (value) => list("flatten", value).flat(Infinity),
  distinct: (value) => FUNCTIONS.toset!(value),
  merge: (...maps) => Object.assign({}, ...maps.filter((item) => item !== null).map((item) => map("merge", item))),
  keys: (value) => Object.keys(map("keys", value)).sort(),
  values: (value) => {
    const entries = map("values", value);
    return Object.keys(entries)
      .sort()
      .map((key) => entries[key]);
  },
  lookup: (value, key, fallback) => {
    const entries = map("lookup", value);
    const found = entries[String(key)];
    if (found !== undefined) return found;
    if (fallback === undefined) throw new FunctionArgumentError("lookup", `no key "${String(key)}" and no default`);
    return fallback;
  },
  element: (value, index) => {
    const items = list("element", value);
    if (items.length === 0) throw new FunctionArgumentError("element", "empty list");
    return items[Number(index) % items.length];
  },
  length: (value) => (typeof value === "string" ? [...value].length : Array.isArray(value) ? value.length : Object.keys(map("length", value)).length),
  contains: (value, item) => list("contains", value).some((entry) => JSON.stringify(entry) === JSON.stringify(item)),
  coalesce: (...values) => values.find((value) => value !== null && value !== "") ?? null,
  lower: (value) => String(value).toLowerCase(),
  upper: (value) => String(value).toUpperCase(),
  trimspace: (value) => String(value).trim(),
  trimprefix: (value, prefix) => (String(value).startsWith(String(prefix)) ? String(value).slice(String(prefix).length) : value),
  trimsuffix: (value, suffix) => (String(value).endsWith(String(suffix)) ? String(value).slice(0, -String(suffix).length) : value),
  substr: (value, offset, length) => {
    const chars = [...String(value)];
    const start = Number(offset) < 0 ? chars.length + Number(offset) : Number(offset);
    return chars.slice(start, Number(length) < 0 ? undefined : start + Number(length)).join("");
  },
  replace: (value, search, replacement) => {
    const pattern = String(search);
    const regex = /^\/(.*)\/$/s.exec(pattern);
    return regex
      ? String(value).replace(new RegExp(regex[1]!, "g"), String(replacement).replace(/\$\{(\d+)\}/g, "$$$1"))
      : String(value).split(pattern).join(String(replacement));
  },
  format: (spec, ...args) => format(String(spec), args),
  min: (...numbers) => Math.min(...numbers.map(Number)),
  max: (...numbers) => Math.max(...numbers.map(Number)),
  abs: (value) => Math.abs(Number(value)),
  ceil: (value) => Math.ceil(Number(value)),
  floor: (value) => Math.floor(Number(value)),
  base64encode: (value) => Buffer.from(String(value)).toString("base64"),
  base64decode: (value) => Buffer.from(String(value), "base64").toString(),
  md5: (value) => createHash("md5").update(String(value)).digest("hex"),
  sha256: (value) => createHash("sha256").update(String(value)).digest("hex"),
};

/**
 * Calls a Terraform built-in function by name.
 *
 * @example
 * callFunction("jsonencode", [{ b: 1, a: "x" }]); // '{"a":"x","b":1}'
 */
export function callFunction(name: string, args: unknown[]): unknown {
  const implementation = FUNCTIONS[name];
  if (!implementation) throw new UnsupportedFunctionError(name);
  return implementation(...args);
}
