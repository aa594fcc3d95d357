import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KINDS } from '../../../../src/api/kinds.js';
import type { ResourceDef } from '../../../../src/api/types.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validateObjectMeta } from '../../../../src/api/validation/meta.js';

const def = (kind: string): ResourceDef => KINDS.find((d) => d.kind === kind)!;
const msgs = (kind: string, metadata: Record<string, unknown>, oldMeta?: Record<string, unknown>) =>
  validateObjectMeta(def(kind), { metadata }, oldMeta ? { metadata: oldMeta } : undefined).map(formatFieldError);

test('names follow each kind\'s rule', () => {
  assert.deepEqual(msgs('ConfigMap', { name: 'a.b-c', namespace: 'default' }), []);
  assert.deepEqual(msgs('ConfigMap', { name: 'Bad_Name', namespace: 'default' }), [
    'metadata.name: Invalid value: "Bad_Name": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, \'-\' or \'.\', and must start and end with an alphanumeric character (e.g. \'example.com\', regex used for validation is \'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\')',
  ]);
  assert.deepEqual(msgs('Namespace', { name: 'a.b' }), ['metadata.name: Invalid value: "a.b": must not contain dots']);
  assert.match(msgs('Service', { name: '1abc', namespace: 'default' })[0], /^metadata.name: Invalid value: "1abc": a DNS-1035 label must consist of/);
  assert.deepEqual(msgs('Pod', { namespace: 'default' }), ['metadata.name: Required value: name or generateName is required']);
  assert.deepEqual(msgs('Pod', { generateName: 'web-', namespace: 'default' }), []);
  assert.deepEqual(msgs('Pod', { name: 'p' }), ['metadata.namespace: Required value']);
  assert.deepEqual(msgs('Node', { name: 'n', namespace: 'x' }), ['metadata.namespace: Forbidden: not allowed on this type']);
});

test('labels and annotations are qualified names with valid values', () => {
  const out = msgs('Pod', { name: 'p', namespace: 'd', labels: { 'a/b/c': 'x', ok: 'bad value' }, annotations: { 'Example.com/Key': 'v' } });
  assert.equal(out.length, 2);
  assert.match(out[0], /^metadata.labels: Invalid value: "a\/b\/c": a qualified name must consist of/);
  assert.match(out[1], /^metadata.labels: Invalid value: "bad value": a valid label must be an empty string/);
  const big = msgs('Pod', { name: 'p', namespace: 'd', annotations: { a: 'x'.repeat(256 * 1024) } });
  assert.deepEqual(big, ['metadata.annotations: Too long: must have at most 262144 bytes']);
});

test('updates keep identity fields', () => {
  const old = { name: 'p', namespace: 'd', uid: 'u1', creationTimestamp: '2024-05-01T10:00:00Z' };
  assert.deepEqual(msgs('Pod', { ...old }, old), []);
  assert.deepEqual(msgs('Pod', { ...old, uid: 'u2', creationTimestamp: '2024-05-02T10:00:00Z' }, old), [
    'metadata.uid: Invalid value: "u2": field is immutable',
    'metadata.creationTimestamp: Invalid value: 2024-05-02 10:00:00 +0000 UTC: field is immutable',
  ]);
  assert.deepEqual(msgs('Pod', { ...old, finalizers: ['example.com/x'] }, { ...old, deletionTimestamp: '2024-05-01T11:00:00Z' }).slice(0, 1), [
    'metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/x"}',
  ]);
});
