import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import type { Resource } from '../../../../src/client/client.js';
import { syncNamespace, type NamespaceContentApi } from '../../../../src/controllers/namespace/deleter.js';
import { mergeConditions } from '../../../../src/controllers/namespace/conditions.js';
import { namespaceOfGonePod, namespacedResources } from '../../../../src/controllers/namespace/controller.js';

const pods: Resource = { group: '', version: 'v1', plural: 'pods' };
const deploys: Resource = { group: 'apps', version: 'v1', plural: 'deployments' };

class FakeContent implements NamespaceContentApi {
  objects = new Map<string, KObject[]>();
  statusWrites: KObject[] = [];
  finalized?: KObject;
  failDeletes = new Set<string>();
  async list(res: Resource) {
    return (this.objects.get(res.plural) ?? []).map((o) => structuredClone(o));
  }
  async delete(res: Resource, _ns: string, obj: KObject) {
    if (this.failDeletes.has(res.plural)) throw new Error('forbidden');
    const list = this.objects.get(res.plural) ?? [];
    const live = list.find((o) => o.metadata.name === obj.metadata.name)!;
    // Objects with finalizers only get a deletionTimestamp, as the apiserver does.
    if (live.metadata.finalizers?.length) live.metadata.deletionTimestamp = '2030-01-01T00:00:00Z';
    else this.objects.set(res.plural, list.filter((o) => o !== live));
  }
  async updateStatus(ns: KObject) {
    this.statusWrites.push(structuredClone(ns));
    return ns;
  }
  async finalize(ns: KObject) {
    this.finalized = structuredClone(ns);
    return ns;
  }
}

function terminating(): KObject {
  return {
    metadata: { name: 'team', deletionTimestamp: '2030-01-01T00:00:00Z' },
    spec: { finalizers: ['kubernetes', 'example.com/x'] },
    status: { phase: 'Terminating' },
  };
}

test('namespaced resources cover every namespaced kind and no cluster-scoped one', () => {
  const plurals = namespacedResources().map((r) => r.plural);
  assert.ok(plurals.includes('pods') && plurals.includes('deployments') && plurals.includes('virtualservices'));
  assert.ok(!plurals.includes('namespaces') && !plurals.includes('nodes'));
});

test('a live namespace is left alone', async () => {
  const api = new FakeContent();
  const r = await syncNamespace({ metadata: { name: 'x' }, spec: { finalizers: ['kubernetes'] } }, [pods], api);
  assert.deepEqual(r, {});
  assert.equal(api.statusWrites.length, 0);
});

test('deletes content, reports what remains with upstream messages, and waits', async () => {
  const api = new FakeContent();
  api.objects.set('pods', [{ metadata: { name: 'p1' } }, { metadata: { name: 'p2', finalizers: ['example.com/hold'] } }]);
  api.objects.set('deployments', [{ metadata: { name: 'd1' } }]);
  const r = await syncNamespace(terminating(), [pods, deploys], api, Date.parse('2030-01-01T00:00:00Z'));
  assert.equal(r.requeueAfter, 1000);
  assert.equal(api.finalized, undefined);
  assert.equal(api.objects.get('deployments')!.length, 0);
  const conds = (api.statusWrites.at(-1)!.status as { conditions: { type: string; status: string; reason: string; message: string }[] }).conditions;
  const byType = Object.fromEntries(conds.map((c) => [c.type, c]));
  assert.deepEqual(conds.map((c) => c.type), [
    'NamespaceDeletionDiscoveryFailure',
    'NamespaceDeletionGroupVersionParsingFailure',
    'NamespaceDeletionContentFailure',
    'NamespaceContentRemaining',
    'NamespaceFinalizersRemaining',
  ]);
  assert.deepEqual(
    [byType.NamespaceDeletionDiscoveryFailure.status, byType.NamespaceDeletionDiscoveryFailure.reason, byType.NamespaceDeletionDiscoveryFailure.message],
    ['False', 'ResourcesDiscovered', 'All resources successfully discovered'],
  );
  assert.equal(byType.NamespaceDeletionContentFailure.message, 'All content successfully deleted, may be waiting on finalization');
  assert.equal(byType.NamespaceContentRemaining.status, 'True');
  assert.equal(byType.NamespaceContentRemaining.reason, 'SomeResourcesRemain');
  assert.equal(byType.NamespaceContentRemaining.message, 'Some resources are remaining: pods. has 1 resource instances');
  assert.equal(byType.NamespaceFinalizersRemaining.reason, 'SomeFinalizerRemain');
  assert.equal(byType.NamespaceFinalizersRemaining.message, 'Some finalizers are remaining: example.com/hold in 1 resource instances');
});

test('once empty, the kubernetes finalizer is removed through finalize', async () => {
  const api = new FakeContent();
  api.objects.set('pods', [{ metadata: { name: 'p1' } }]);
  const r = await syncNamespace(terminating(), [pods, deploys], api);
  assert.equal(r.finalized, true);
  assert.deepEqual((api.finalized!.spec as { finalizers: string[] }).finalizers, ['example.com/x']);
  const conds = (api.statusWrites.at(-1)!.status as { conditions: { type: string; status: string }[] }).conditions;
  assert.ok(conds.every((c) => c.status === 'False'));
});

test('sets phase Terminating when the apiserver has not', async () => {
  const api = new FakeContent();
  const ns = terminating();
  ns.status = {};
  await syncNamespace(ns, [], api);
  assert.equal((api.statusWrites[0].status as { phase: string }).phase, 'Terminating');
});

test('delete failures are reported as ContentDeletionFailed and retried', async () => {
  const api = new FakeContent();
  api.objects.set('deployments', [{ metadata: { name: 'd1' } }]);
  api.failDeletes.add('deployments');
  await assert.rejects(syncNamespace(terminating(), [deploys], api), /deleting content of namespace team: deployments.apps: forbidden/);
  const conds = (api.statusWrites.at(-1)!.status as { conditions: { type: string; reason: string; message: string }[] }).conditions;
  const c = conds.find((x) => x.type === 'NamespaceDeletionContentFailure')!;
  assert.equal(c.reason, 'ContentDeletionFailed');
  assert.equal(c.message, 'Failed to delete all resource types, 1 remaining: deployments.apps: forbidden');
  assert.equal(api.finalized, undefined);
});

test('mergeConditions keeps the transition time unless the status flips', () => {
  const first = mergeConditions(undefined, [], 't1');
  assert.ok(first.changed);
  const again = mergeConditions(first.conditions, [], 't2');
  assert.equal(again.changed, false);
  const flip = mergeConditions(first.conditions, [{ type: 'NamespaceContentRemaining', status: 'True', reason: 'SomeResourcesRemain', message: 'm' }], 't3');
  assert.ok(flip.changed);
  const c = flip.conditions.find((x) => x.type === 'NamespaceContentRemaining')!;
  assert.equal(c.lastTransitionTime, 't3');
  assert.equal(flip.conditions.find((x) => x.type === 'NamespaceFinalizersRemaining')!.lastTransitionTime, 't1');
});

test('a pod gone from a terminating namespace brings that namespace back to the controller; other pod events do not', () => {
  const lister = (objects: KObject[]) => ({
    list: () => objects,
    get: (ns: string | undefined, name: string) => objects.find((o) => o.metadata.name === name && (ns === undefined || o.metadata.namespace === ns)),
  });
  const namespaces = lister([terminating(), { metadata: { name: 'live' } }]);
  const pod = (namespace: string): KObject => ({ metadata: { name: 'p', namespace, deletionTimestamp: '2030-01-01T00:00:00Z' } });
  const none = lister([]);
  assert.equal(namespaceOfGonePod(pod('team'), namespaces, none), 'team');
  assert.equal(namespaceOfGonePod(pod('team'), namespaces, lister([pod('team')])), undefined, 'still there: an update');
  assert.equal(namespaceOfGonePod(pod('live'), namespaces, none), undefined);
  assert.equal(namespaceOfGonePod(pod('gone'), namespaces, none), undefined);
});
