import type { FieldError, KObject } from '../types.js';
import { child, invalid, key, required, tooLong } from './field.js';
import { validateImmutableData, MAX_CONFIG_SIZE } from './configmap.js';
import { isObject } from './json.js';
import { validateImmutable } from './meta.js';
import { isConfigMapKey } from './names.js';

// Secret rules: config keys, 1 MiB of data, and the keys each well-known type requires.

export function validateSecret(secret: KObject, old?: KObject): FieldError[] {
  const errs: FieldError[] = [];
  const data: Record<string, unknown> = isObject(secret.data) ? secret.data : {};
  let size = 0;
  for (const k of Object.keys(data).sort()) {
    for (const m of isConfigMapKey(k)) errs.push(invalid(key('data', k), k, m));
    size += Buffer.from(String(data[k] ?? ''), 'base64').length;
  }
  if (size > MAX_CONFIG_SIZE) errs.push(tooLong('data', MAX_CONFIG_SIZE));
  const has = (k: string) => Object.prototype.hasOwnProperty.call(data, k);
  const decoded = (k: string) => Buffer.from(String(data[k] ?? ''), 'base64');
  switch (secret.type) {
    case 'kubernetes.io/service-account-token':
      if (!secret.metadata?.annotations?.['kubernetes.io/service-account.name']) {
        errs.push(required(key(child('metadata', 'annotations'), 'kubernetes.io/service-account.name'), ''));
      }
      break;
    case 'kubernetes.io/dockercfg':
    case 'kubernetes.io/dockerconfigjson': {
      const k = secret.type === 'kubernetes.io/dockercfg' ? '.dockercfg' : '.dockerconfigjson';
      if (!has(k)) {
        errs.push(required(key('data', k), ''));
        break;
      }
      try {
        const v = JSON.parse(decoded(k).toString('utf8'));
        if (!isObject(v)) throw new Error('json: cannot unmarshal into Go value of type map[string]interface {}');
      } catch (e) {
        errs.push(invalid(key('data', k), '<secret contents redacted>', (e as Error).message));
      }
      break;
    }
    case 'kubernetes.io/basic-auth':
      if (!has('username') && !has('password')) {
        errs.push(required(key('data', 'username'), ''), required(key('data', 'password'), ''));
      }
      break;
    case 'kubernetes.io/ssh-auth':
      if (decoded('ssh-privatekey').length === 0) errs.push(required(key('data', 'ssh-privatekey'), ''));
      break;
    case 'kubernetes.io/tls':
      if (!has('tls.crt')) errs.push(required(key('data', 'tls.crt'), ''));
      if (!has('tls.key')) errs.push(required(key('data', 'tls.key'), ''));
      break;
  }
  if (old) {
    errs.push(...validateImmutable(secret.type ?? '', old.type ?? '', 'type'));
    errs.push(...validateImmutableData(secret, old, ['data']));
  }
  return errs;
}
