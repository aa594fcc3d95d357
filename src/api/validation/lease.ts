import type { FieldError, KObject } from '../types.js';
import { child, invalid } from './field.js';
import { isObject } from './json.js';
import { validateNonnegative } from './meta.js';

// Lease (coordination.k8s.io/v1) rules.

export function validateLease(lease: KObject): FieldError[] {
  const spec = isObject(lease.spec) ? lease.spec : {};
  const errs: FieldError[] = [];
  if (typeof spec.leaseDurationSeconds === 'number' && spec.leaseDurationSeconds <= 0) {
    errs.push(invalid(child('spec', 'leaseDurationSeconds'), spec.leaseDurationSeconds, 'must be greater than 0'));
  }
  errs.push(...validateNonnegative(spec.leaseTransitions, child('spec', 'leaseTransitions')));
  return errs;
}
