// Objects arrive as decoded JSON of any shape; these guards let validators and defaulters walk
// them without trusting the declared types.

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function arr(v: unknown): unknown[] {
  return Array.isArray(v) ? v : [];
}

export function obj(v: unknown): JsonObject {
  return isObject(v) ? v : {};
}

/** Whether v is one of the given strings (a value of any other type never is). */
export function isOneOf(v: unknown, values: readonly string[]): v is string {
  return typeof v === 'string' && values.includes(v);
}

export function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/** Deep equality of JSON values, object key order ignored. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]));
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}
