import { test } from 'node:test';
import assert from 'node:assert/strict';
import { namespaceStrategy } from '../../../../src/api/strategy/namespace.js';
import { Registry } from '../../../../src/api/registry.js';
import { ApiError } from '../../../../src/api/errors.js';

const def = new Registry().kind('', 'Namespace')!;
const ns = (name: string, finalizers?: string[]) => ({ metadata: { name }, spec: finalizers ? { finalizers } : undefined, status: { phase: 'Active' } });

test('the registry attaches the namespace strategy to its kind', () => {
  assert.equal(def.strategy, namespaceStrategy);
});

test('system namespaces cannot be deleted', () => {
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
    assert.throws(() => namespaceStrategy.checkDelete!(def, ns(name)), (e: unknown) => e instanceof ApiError && e.code === 403 && e.message === `namespaces "${name}" is forbidden: this namespace may not be deleted`);
  }
  assert.doesNotThrow(() => namespaceStrategy.checkDelete!(def, ns('shop')));
});

test('deletion waits for spec.finalizers and marks the namespace Terminating', () => {
  assert.equal(namespaceStrategy.pendingFinalization!(ns('shop', ['kubernetes'])), true);
  assert.equal(namespaceStrategy.pendingFinalization!(ns('shop', [])), false);
  const n = ns('shop', ['kubernetes']);
  namespaceStrategy.beginDelete!(n);
  assert.deepEqual(n.status, { phase: 'Terminating' });
});

test('finalize takes spec.finalizers from the request and nothing else', () => {
  const old = { metadata: { name: 'shop', labels: { a: 'b' } }, spec: { finalizers: ['kubernetes'] }, status: { phase: 'Terminating' } };
  const sent = { metadata: { name: 'shop' }, spec: { finalizers: [] }, status: { phase: 'Active' } };
  assert.deepEqual(namespaceStrategy.subresources!.finalize.update!(sent, old), { ...old, spec: { finalizers: [] } });
});
