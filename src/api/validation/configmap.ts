import type { FieldError, KObject } from '../types.js';
import { child, forbidden, invalid, key, tooLong } from './field.js';
import { isObject, jsonEqual } from './json.js';
import { isConfigMapKey } from './names.js';

// ConfigMap rules: keys are config keys, data and binaryData do not overlap, 1 MiB in total.

export const MAX_CONFIG_SIZE = 1024 * 1024;

export function validateConfigMap(cm: KObject, old?: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data = isObject(cm.data) ? cm.data : {};
  const binary = isObject(cm.binaryData) ? cm.binaryData : {};
  let size = 0;
  for (const k of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    size += Buffer.byteLength(String(data[k] ?? ''));
  }
  for (const k of Object.keys(binary).sort()) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('binaryData', k), k, m));
    if (k in data) errs.push(invalid(key('binaryData', k), k, 'duplicate of key present in data'));
    size += Buffer.from(String(binary[k] ?? ''), 'base64').length;
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLong('', MAX_CONFIG_SIZE));
  if (old) errs.push(...validateImmutableData(cm, old, ['data', 'binaryData']));
  return errs;
}

/** The `immutable: true` rules shared by ConfigMaps and Secrets. */
export function validateImmutableData(obj: KObject, old: KObject, fields: string[]): FieldError[] {
  if (old.immutable !== true) return [];
  const errs: FieldError[] = [];
  if (obj.immutable !== true) errs.push(forbidden(child('immutable'), 'field is immutable when `immutable` is set'));
  for (const f of fields) {
    if (!jsonEqual(obj[f] ?? {}, old[f] ?? {})) errs.push(forbidden(f, 'field is immutable when `immutable` is set'));
  }
  return errs;
}
