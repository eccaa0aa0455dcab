/**
 * Readers for a resolved resource configuration (Terraform JSON: snake_case arguments, nested blocks as
 * an object or a list of objects).
 */
export type Config = Record<string, unknown>;

/** A nested block given as a list, a single object or nothing, always as a list. */
export function blocks(value: unknown): Config[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).filter((item): item is Config => item !== null && typeof item === "object");
}

/** The first (only) instance of a nested block, if any. */
export function block(value: unknown): Config | undefined {
  return blocks(value)[0];
}

export function optionalString(value: unknown): string | undefined {
  return value === undefined || value === null || value === "" ? undefined : String(value);
}

export function optionalNumber(value: unknown): number | undefined {
  return value === undefined || value === null || value === "" ? undefined : Number(value);
}

export function optionalBoolean(value: unknown): boolean | undefined {
  return value === undefined || value === null ? undefined : value === true || value === "true";
}

export function stringList(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map(String);
}

export function stringMap(value: unknown): Record<string, string> {
  if (value === undefined || value === null || typeof value !== "object") return {};
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, String(item)]));
}

/** Drops undefined entries, so SDK inputs only carry what the stack set. */
export function defined<T extends Record<string, unknown>>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, item]) => item !== undefined)) as T;
}

/** `tags` as the `[{ Key, Value }]` list most AWS APIs take. */
export function tagList(value: unknown): Array<{ Key: string; Value: string }> {
  return Object.entries(stringMap(value)).map(([Key, Value]) => ({ Key, Value }));
}
