import type { FieldError, KObject } from '../types.js';
import { typeInvalid } from './field.js';
import { isObject } from './json.js';

// Istio kinds are CustomResources: the apiserver only enforces the structural schema, whose
// top-level rule that matters here is that spec is an object.

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateIstioObject(obj: KObject): FieldError[] {
  if (obj.spec === undefined || isObject(obj.spec)) return [];
  const t = jsonType(obj.spec);
  return [typeInvalid('spec', t, `spec in body must be of type object: ${JSON.stringify(t)}`)];
}
