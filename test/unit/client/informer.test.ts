import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../src/api/types.js';
import { ApiError, type ListOptions, type ObjectList, type Resource, type WatchEvent, type WatchOptions } from '../../../src/client/client.js';
import { Informer, SharedInformers, stripManagedFields, type ListWatcher } from '../../../src/client/informer.js';

const pods: Resource = { group: '', version: 'v1', plural: 'pods', kind: 'Pod' };

function pod(name: string, rv: string): KObject {
  return { metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

/** Scripted list/watch: each list returns the next snapshot; each watch runs the next script. */
class FakeApi implements ListWatcher {
  lists: ObjectList[] = [];
  listOpts: (ListOptions | undefined)[] = [];
  watches: ((emit: (e: WatchEvent) => void, opts: WatchOptions) => Promise<void>)[] = [];
  watchOpts: WatchOptions[] = [];
  listCalls = 0;
  private idle?: () => void;
  idleReached = new Promise<void>((r) => (this.idle = r));

  async list(_res: Resource, _ns?: string, opts?: ListOptions): Promise<ObjectList> {
    this.listOpts.push(opts);
    const l = this.lists[this.listCalls++];
    if (!l) throw new Error('no more lists scripted');
    return structuredClone(l);
  }

  async watch(_res: Resource, _ns: string | undefined, opts: WatchOptions, onEvent: (e: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    this.watchOpts.push(opts);
    const script = this.watches.shift();
    if (script) return script(onEvent, opts);
    this.idle?.();
    await new Promise<void>((r) => signal?.addEventListener('abort', () => r()));
  }
}

test('lists, watches from the list version, and reports add/update/delete', async () => {
  const api = new FakeApi();
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [pod('a', '5')] });
  api.watches.push(async (emit) => {
    emit({ type: 'ADDED', object: pod('b', '11') });
    emit({ type: 'MODIFIED', object: pod('a', '12') });
    emit({ type: 'BOOKMARK', object: { metadata: { resourceVersion: '13' } } });
    emit({ type: 'DELETED', object: pod('b', '14') });
  });
  const inf = new Informer(api, pods);
  const log: string[] = [];
  inf.addHandler({
    add: (o) => log.push(`add ${o.metadata.name}@${o.metadata.resourceVersion}`),
    update: (o, n) => log.push(`update ${o.metadata.name}@${o.metadata.resourceVersion}->${n.metadata.resourceVersion}`),
    delete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  inf.start();
  await inf.waitForSync();
  await api.idleReached;
  assert.deepEqual(log, ['add a@5', 'add b@11', 'update a@5->12', 'delete b']);
  assert.equal(api.watchOpts[0].resourceVersion, '10');
  assert.equal(api.watchOpts[0].allowWatchBookmarks, true);
  // A clean end re-watches from the last version seen, without listing again.
  assert.equal(api.watchOpts[1].resourceVersion, '14');
  assert.equal(api.listCalls, 1);
  assert.deepEqual(inf.list().map((o) => o.metadata.name), ['a']);
  assert.equal(inf.get('ns', 'a')?.kind, 'Pod');
  assert.equal(inf.get('ns', 'a')?.apiVersion, 'v1');
  await inf.stop();
});

test('a 410 relists and reports objects that vanished in the gap as deleted', async () => {
  const api = new FakeApi();
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [pod('a', '5'), pod('b', '6')] });
  api.lists.push({ metadata: { resourceVersion: '30' }, items: [pod('a', '25'), pod('c', '26')] });
  api.watches.push(async (emit) => {
    emit({ type: 'ERROR', object: { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' } as unknown as KObject });
  });
  const inf = new Informer(api, pods, { log: () => {} });
  const log: string[] = [];
  inf.addHandler({
    add: (o) => log.push(`add ${o.metadata.name}`),
    update: (_o, n) => log.push(`update ${n.metadata.name}`),
    delete: (o) => log.push(`delete ${o.metadata.name}`),
  });
  inf.start();
  await api.idleReached;
  assert.deepEqual(log, ['add a', 'add b', 'update a', 'add c', 'delete b']);
  assert.equal(api.listCalls, 2);
  assert.equal(api.watchOpts[1].resourceVersion, '30');
  await inf.stop();
});

test('a watch that fails with HTTP 410 relists too', async () => {
  const api = new FakeApi();
  api.lists.push({ metadata: { resourceVersion: '1' }, items: [] });
  api.lists.push({ metadata: { resourceVersion: '2' }, items: [pod('z', '2')] });
  api.watches.push(async () => {
    throw new ApiError(410, { reason: 'Expired', code: 410 }, 'watching pods');
  });
  const inf = new Informer(api, pods, { log: () => {} });
  inf.start();
  await api.idleReached;
  assert.deepEqual(inf.list().map((o) => o.metadata.name), ['z']);
  await inf.stop();
});

test('a typed informer\'s lister filters by namespace and label selector and gets by name', async () => {
  const { PODS } = await import('../../../src/client/resources.js');
  const pod = (ns: string, name: string, labels: Record<string, string>, nodeName?: string) => ({ metadata: { namespace: ns, name, labels, resourceVersion: '1' }, spec: { nodeName, containers: [] } });
  const api = {
    list: async () => ({ metadata: { resourceVersion: '1' }, items: [pod('a', 'web-1', { app: 'web' }, 'n1'), pod('a', 'db-1', { app: 'db' }), pod('b', 'web-2', { app: 'web' })] }),
    watch: (_r: unknown, _ns: unknown, _o: unknown, _cb: unknown, signal: AbortSignal) => new Promise<void>((r) => signal.addEventListener('abort', () => r())),
  };
  const inf = new Informer(api as never, PODS, { log: () => {} });
  inf.start();
  await inf.waitForSync();
  const names = (ps: { metadata: { name?: string } }[]) => ps.map((p) => p.metadata.name).sort();
  assert.deepEqual(names(inf.list()), ['db-1', 'web-1', 'web-2']);
  assert.deepEqual(names(inf.list('a')), ['db-1', 'web-1']);
  assert.deepEqual(names(inf.list(undefined, { matchLabels: { app: 'web' } })), ['web-1', 'web-2']);
  assert.deepEqual(names(inf.list('a', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] })), ['db-1']);
  // Typed as a Pod: spec fields need no cast.
  assert.equal(inf.get('a', 'web-1')?.spec?.nodeName, 'n1');
  assert.equal(inf.get('a', 'web-1')?.kind, 'Pod');
  assert.equal(inf.get('b', 'web-1'), undefined);
  await inf.stop();
});

test('a metadata-only informer asks for metadata and keeps what its transform returns, for listed and watched objects', async () => {
  const api = new FakeApi();
  const big = (name: string, rv: string): KObject => ({ kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name, namespace: 'ns', resourceVersion: rv, annotations: { huge: 'x'.repeat(100) }, managedFields: [{}] } });
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [big('a', '5')] });
  api.watches.push(async (emit) => emit({ type: 'ADDED', object: big('b', '11') }));
  const inf = new Informer(api, pods, {
    metadataOnly: true,
    transform: (o) => ({ kind: o.kind, apiVersion: o.apiVersion, metadata: { name: o.metadata.name, namespace: o.metadata.namespace, resourceVersion: o.metadata.resourceVersion } }),
  });
  inf.start();
  await inf.waitForSync();
  await api.idleReached;
  assert.equal(api.listOpts[0]?.metadataOnly, true);
  assert.equal(api.watchOpts[0].metadataOnly, true);
  assert.deepEqual(inf.get('ns', 'a'), { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: { name: 'a', namespace: 'ns', resourceVersion: '5' } });
  assert.deepEqual(inf.get('ns', 'b')?.metadata, { name: 'b', namespace: 'ns', resourceVersion: '11' });
  await inf.stop();
});

test('shared informers with stripManagedFields keep listed and watched objects without managedFields, the rest intact', async () => {
  const api = new FakeApi();
  const managed = (name: string, rv: string): KObject => ({ metadata: { ...pod(name, rv).metadata, labels: { app: name }, managedFields: [{ manager: 'kubectl', fieldsV1: { 'f:spec': {} } }] }, spec: { x: 1 } });
  api.lists.push({ metadata: { resourceVersion: '10' }, items: [managed('a', '5')] });
  api.watches.push(async (emit) => emit({ type: 'ADDED', object: managed('b', '11') }));
  const shared = new SharedInformers(api, undefined, stripManagedFields);
  const inf = shared.informer(pods);
  shared.start();
  await inf.waitForSync();
  await api.idleReached;
  for (const name of ['a', 'b']) {
    const o = inf.get('ns', name)!;
    assert.equal('managedFields' in o.metadata, false);
    assert.deepEqual(o.metadata.labels, { app: name });
    assert.deepEqual(o.spec, { x: 1 });
  }
  await shared.stop();
});
