import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../src/client/client.js';
import { DeferredDiscoveryRESTMapper } from '../../../src/client/restmapper.js';

// The HPA's REST mapping: discovery is asked once per group version, again after a miss or
// once the reset period has passed, and never kept when it failed.

function fakeDiscovery(docs: Record<string, { name: string; kind: string; namespaced?: boolean }[] | Error>) {
  const asked: string[] = [];
  const client = {
    async request<T>(_method: string, path: string): Promise<T> {
      asked.push(path);
      const doc = docs[path];
      if (doc instanceof Error) throw doc;
      if (!doc) throw new ApiError(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 404, reason: 'NotFound', message: 'the server could not find the requested resource' });
      return { kind: 'APIResourceList', resources: doc } as T;
    },
  };
  return { client, asked, docs };
}

const APPS = [
  { name: 'deployments', kind: 'Deployment', namespaced: true },
  { name: 'deployments/scale', kind: 'Scale', namespaced: true },
  { name: 'replicasets', kind: 'ReplicaSet', namespaced: true },
];

test('a group version is discovered once and then mapped from the cache', async () => {
  const d = fakeDiscovery({ '/apis/apps/v1': APPS });
  const m = new DeferredDiscoveryRESTMapper(d.client);
  assert.deepEqual(await m.resourceFor('apps/v1', 'Deployment'), { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment', namespaced: true });
  assert.equal((await m.resourceFor('apps/v1', 'ReplicaSet')).plural, 'replicasets');
  assert.equal((await m.resourceFor('apps/v1', 'Deployment')).plural, 'deployments');
  assert.deepEqual(d.asked, ['/apis/apps/v1']);
});

test('a kind the cache does not know resets it and is looked up once more', async () => {
  const d = fakeDiscovery({ '/apis/example.com/v1': [] });
  const m = new DeferredDiscoveryRESTMapper(d.client);
  await assert.rejects(m.resourceFor('example.com/v1', 'Widget'), { message: 'no matches for kind "Widget" in group "example.com"' });
  // The document was fetched for that lookup: a fresh miss is not asked again.
  assert.deepEqual(d.asked, ['/apis/example.com/v1']);
  // The CRD is installed: the cached document misses, so the cache is reset and asked again.
  d.docs['/apis/example.com/v1'] = [{ name: 'widgets', kind: 'Widget', namespaced: true }];
  assert.equal((await m.resourceFor('example.com/v1', 'Widget')).plural, 'widgets');
  assert.deepEqual(d.asked, ['/apis/example.com/v1', '/apis/example.com/v1']);
});

test('a group version the server does not serve is no match; a failed request is not cached', async () => {
  const d = fakeDiscovery({ '/api/v1': new Error('connection refused') });
  const m = new DeferredDiscoveryRESTMapper(d.client);
  await assert.rejects(m.resourceFor('nothing.io/v1', 'Thing'), { message: 'no matches for kind "Thing" in group "nothing.io"' });
  await assert.rejects(m.resourceFor('v1', 'ReplicationController'), /connection refused/);
  d.docs['/api/v1'] = [{ name: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true }];
  assert.deepEqual(await m.resourceFor('v1', 'ReplicationController'), { group: '', version: 'v1', plural: 'replicationcontrollers', kind: 'ReplicationController', namespaced: true });
});

test('the cache is dropped once the reset period has passed', async () => {
  let now = 0;
  const d = fakeDiscovery({ '/apis/apps/v1': APPS });
  const m = new DeferredDiscoveryRESTMapper(d.client, 30_000, () => now);
  await m.resourceFor('apps/v1', 'Deployment');
  now = 29_999;
  await m.resourceFor('apps/v1', 'Deployment');
  assert.equal(d.asked.length, 1);
  now = 30_000;
  await m.resourceFor('apps/v1', 'Deployment');
  assert.equal(d.asked.length, 2);
});
