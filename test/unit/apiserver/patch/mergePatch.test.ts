import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError } from '../../../../src/apiserver/patch/index.js';
import { deployment, DEPLOY } from './fixtures.js';

test('kubectl label/annotate: members merge, null deletes', () => {
  const out = applyPatch('merge', deployment(), { metadata: { labels: { tier: 'web', app: null }, annotations: { note: 'x' } } }, DEPLOY) as any;
  assert.deepEqual(out.metadata.labels, { tier: 'web' });
  assert.equal(out.metadata.annotations.note, 'x');
  assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '1');
});

test('kubectl scale body on the scale subresource', () => {
  const scale = { kind: 'Scale', apiVersion: 'autoscaling/v1', metadata: { name: 'web' }, spec: { replicas: 2 }, status: { replicas: 2 } };
  assert.deepEqual((applyPatch('merge', scale, { spec: { replicas: 5 } }, { group: 'autoscaling', kind: 'Scale' }) as any).spec, { replicas: 5 });
});

test('lists are replaced whole and nulls inside new values are pruned', () => {
  const out = applyPatch('merge', deployment(), { spec: { template: { spec: { containers: [{ name: 'only', image: 'x' }] } } }, extra: { a: null, b: { c: null, d: 1 } } }, DEPLOY) as any;
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'only', image: 'x' }]);
  assert.deepEqual(out.extra, { b: { d: 1 } });
});

test('merge patch works on custom resources too', () => {
  const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' }, spec: { hosts: ['a'] } };
  assert.deepEqual((applyPatch('merge', vs, { spec: { hosts: ['b'] } }, { group: 'networking.istio.io', kind: 'VirtualService' }) as any).spec.hosts, ['b']);
});

test('a patch that is not an object is refused with 400', () => {
  assert.throws(() => applyPatch('merge', deployment(), null, DEPLOY), (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'Invalid JSON Patch');
});
