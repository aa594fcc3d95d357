// Small helpers for filling fields in decoded JSON in place. Defaulting runs before validation,
// so a field may still hold a value of the wrong shape: each helper narrows what it touches.

import { isObject, isOneOf, obj, type JsonObject } from '../validation/json.js';

export { isObject, isOneOf, obj, type JsonObject };

/** Sets o[k] to v when it is absent, null or the empty string, as Go's zero-value checks do. */
export function setDefault(o: JsonObject, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
}

/** The object at o[k], created when absent. */
export function ensureObject(o: JsonObject, k: string): JsonObject {
  const v = o[k];
  if (isObject(v)) return v;
  const created: JsonObject = {};
  o[k] = created;
  return created;
}

/** fn for each object in v when v is an array; other elements are left alone. */
export function each(v: unknown, fn: (x: JsonObject) => void): void {
  if (Array.isArray(v)) for (const x of v) if (isObject(x)) fn(x);
}
