import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, OwnerReference } from '../../../../src/api/types.js';
import { decide, ownerStateOf, type OwnerState } from '../../../../src/controllers/garbagecollector/decide.js';
import { OwnerGraph } from '../../../../src/controllers/garbagecollector/graph.js';
import { resourceOfOwner } from '../../../../src/controllers/garbagecollector/controller.js';

function ref(uid: string, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: `rs-${uid}`, uid, ...extra };
}

function obj(uid: string, meta: Partial<KObject['metadata']> = {}): KObject {
  return { metadata: { name: `o-${uid}`, namespace: 'ns', uid, ...meta } };
}

const states = (m: Record<string, OwnerState>) => new Map(Object.entries(m));

test('an object without owners is never collected', () => {
  assert.deepEqual(decide(obj('a'), new Map(), []), []);
});

test('a dependent whose only owner is gone is deleted in the background', () => {
  assert.deepEqual(decide(obj('p', { ownerReferences: [ref('rs')] }), states({ rs: 'dangling' }), []), [
    { type: 'delete', policy: 'Background' },
  ]);
});

test('one solid owner keeps the dependent; references to absent owners are dropped', () => {
  const p = obj('p', { ownerReferences: [ref('a'), ref('b')] });
  assert.deepEqual(decide(p, states({ a: 'solid', b: 'solid' }), []), []);
  assert.deepEqual(decide(p, states({ a: 'solid', b: 'dangling' }), []), [{ type: 'removeOwnerRefs', uids: ['b'] }]);
});

test('a dependent of a foreground-deleted owner is deleted, itself in the foreground if it has dependents', () => {
  const rs = obj('rs', { ownerReferences: [ref('d', { kind: 'Deployment', blockOwnerDeletion: true })] });
  assert.deepEqual(decide(rs, states({ d: 'waiting' }), [obj('p')]), [{ type: 'delete', policy: 'Foreground' }]);
  assert.deepEqual(decide(rs, states({ d: 'waiting' }), []), [{ type: 'delete', policy: 'Background' }]);
});

test('a foreground-deleted owner waits for blocking dependents, then loses its finalizer', () => {
  const owner = obj('d', { deletionTimestamp: 'now', finalizers: ['foregroundDeletion'] });
  const blocking = obj('rs1', { ownerReferences: [ref('d', { blockOwnerDeletion: true })] });
  const nonBlocking = obj('rs2', { ownerReferences: [ref('d')] });
  assert.deepEqual(decide(owner, new Map(), [blocking, nonBlocking]), [{ type: 'enqueue', uids: ['rs1', 'rs2'] }]);
  const beingDeleted = { ...blocking, metadata: { ...blocking.metadata, deletionTimestamp: 'now' } };
  assert.deepEqual(decide(owner, new Map(), [beingDeleted]), [], 'still blocked while the dependent is going');
  assert.deepEqual(decide(owner, new Map(), [nonBlocking]), [{ type: 'removeFinalizer', finalizer: 'foregroundDeletion' }]);
});

test('an owner with the orphan finalizer frees its dependents, then loses the finalizer', () => {
  const owner = obj('d', { deletionTimestamp: 'now', finalizers: ['orphan'] });
  const dep = obj('rs', { ownerReferences: [ref('d')] });
  assert.deepEqual(decide(owner, new Map(), [dep]), [
    { type: 'orphanDependents', dependents: [dep] },
    { type: 'removeFinalizer', finalizer: 'orphan' },
  ]);
  assert.deepEqual(decide(owner, new Map(), []), [{ type: 'removeFinalizer', finalizer: 'orphan' }]);
});

test('an object being deleted in the background is left to the apiserver', () => {
  assert.deepEqual(decide(obj('x', { deletionTimestamp: 'now', ownerReferences: [ref('gone')] }), states({ gone: 'dangling' }), []), []);
});

test('owner state: uid mismatch is dangling, foreground deletion is waiting', () => {
  assert.equal(ownerStateOf(undefined, 'u'), 'dangling');
  assert.equal(ownerStateOf(obj('other'), 'u'), 'dangling');
  assert.equal(ownerStateOf(obj('u'), 'u'), 'solid');
  assert.equal(ownerStateOf(obj('u', { deletionTimestamp: 'now', finalizers: ['orphan'] }), 'u'), 'solid');
  assert.equal(ownerStateOf(obj('u', { deletionTimestamp: 'now', finalizers: ['foregroundDeletion'] }), 'u'), 'waiting');
});

test('the graph indexes dependents by owner uid and survives owner removal', () => {
  const g = new OwnerGraph();
  const res = { group: 'apps', version: 'v1', plural: 'replicasets' };
  g.upsert(obj('d'), res);
  g.upsert(obj('rs', { ownerReferences: [ref('d')] }), res);
  assert.deepEqual(g.dependents('d').map((n) => n.obj.metadata.uid), ['rs']);
  g.remove(obj('d'));
  assert.deepEqual(g.dependents('d').map((n) => n.obj.metadata.uid), ['rs']);
  g.upsert(obj('rs', { ownerReferences: [] }), res);
  assert.deepEqual(g.dependents('d'), []);
});

test('owner references resolve to served resources only', () => {
  assert.deepEqual(resourceOfOwner(ref('x')), { group: 'apps', version: 'v1', plural: 'replicasets', kind: 'ReplicaSet', namespaced: true });
  assert.deepEqual(resourceOfOwner({ apiVersion: 'batch/v1', kind: 'Job', name: 'j', uid: 'u' }), { group: 'batch', version: 'v1', plural: 'jobs', kind: 'Job', namespaced: true });
  assert.equal(resourceOfOwner({ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 's', uid: 'u' }), undefined);
});
