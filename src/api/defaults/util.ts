// Small helpers for filling fields in decoded JSON in place.

import { isObject, type Json } from '../validation/json.js';

export { isObject, type Json };

/** Sets o[k] to v when it is absent, null or the empty string, as Go's zero-value checks do. */
export function setDefault(o: Json, k: string, v: unknown): void {
  if (o[k] === undefined || o[k] === null || o[k] === '') o[k] = v;
}

/** The object at o[k], created when absent. */
export function ensureObject(o: Json, k: string): Json {
  if (!isObject(o[k])) o[k] = {};
  return o[k];
}

export function each(v: unknown, fn: (x: Json) => void): void {
  if (Array.isArray(v)) for (const x of v) if (isObject(x)) fn(x);
}
