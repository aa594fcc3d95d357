import type { FieldError, KObject } from '../types.js';
import { child, index, invalid } from './field.js';
import { arr, isObject } from './json.js';
import { isQualifiedName } from './names.js';

// Namespace rules. Updates through the main resource ignore spec and status changes upstream
// (the strategy copies them back from the stored object), so only create checks the finalizers.

export function validateNamespace(ns: KObject, old?: KObject): FieldError[] {
  if (old) return [];
  const spec = isObject(ns.spec) ? ns.spec : {};
  const errs: FieldError[] = [];
  arr(spec.finalizers).forEach((f: unknown, i: number) => {
    const s = String(f);
    const p = index(child('spec', 'finalizers'), i);
    for (const m of isQualifiedName(s)) errs.push(invalid(p, s, m));
    if (!s.includes('/') && s !== 'kubernetes' && isQualifiedName(s).length === 0) {
      errs.push(invalid(p, s, 'name is neither a standard finalizer name nor is it fully qualified'));
    }
  });
  return errs;
}
