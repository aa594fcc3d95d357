import type { FieldError, KObject } from '../types.js';
import { typeInvalid } from './field.js';
import { istioSchemaErrors } from './istio-schema.js';
import { isObject } from './json.js';

// Istio kinds are CustomResources: the apiserver enforces their structural schema (spec must
// be an object) and the CRDs' own rules (istio-schema.ts); Istio's semantic checks are the
// validation webhook's (istio-webhook.ts).

function jsonType(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

export function validateIstioObject(kind: string, obj: KObject): FieldError[] {
  if (obj.spec !== undefined && !isObject(obj.spec)) {
    const t = jsonType(obj.spec);
    return [typeInvalid('spec', t, `spec in body must be of type object: ${JSON.stringify(t)}`)];
  }
  return istioSchemaErrors(kind, obj);
}
