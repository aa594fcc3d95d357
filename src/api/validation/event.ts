import type { FieldError, KObject } from '../types.js';
import { child, invalid } from './field.js';
import { isObject } from './json.js';

// core/v1 Event rules: the event lives in the namespace of the object it is about.

export function validateEvent(ev: KObject): FieldError[] {
  const involved = isObject(ev.involvedObject) ? ev.involvedObject : {};
  const ns = ev.metadata?.namespace ?? '';
  const ins = typeof involved.namespace === 'string' ? involved.namespace : '';
  const mismatch = ins === '' ? ns !== '' && ns !== 'default' : ns !== ins;
  return mismatch ? [invalid(child('involvedObject', 'namespace'), ins, 'does not match event.namespace')] : [];
}
