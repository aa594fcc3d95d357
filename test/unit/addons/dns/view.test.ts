import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import type { ObjectList, Resource, WatchEvent } from '../../../../src/client/client.js';
import type { ListWatcher } from '../../../../src/client/informer.js';
import { answer } from '../../../../src/addons/dns/records.js';
import { startClusterView } from '../../../../src/addons/dns/view.js';
import { ns, service, slice } from './fixtures.js';

/** An API server that can be taken down: lists and watches then fail like a refused connection. */
class FakeApi implements ListWatcher {
  up = true;
  private store = new Map<string, KObject[]>();
  private watchers: { plural: string; onEvent: (ev: WatchEvent) => void; fail: (e: Error) => void }[] = [];
  private failedLists = new Map<string, () => void>();

  constructor(objects: Record<string, KObject[]>) {
    for (const [plural, items] of Object.entries(objects)) this.store.set(plural, items);
  }

  async list(res: Resource): Promise<ObjectList> {
    if (!this.up) {
      this.failedLists.get(res.plural)?.();
      throw new Error(`listing ${res.plural}: connect ECONNREFUSED`);
    }
    return { metadata: { resourceVersion: '1' }, items: structuredClone(this.store.get(res.plural) ?? []) };
  }

  watch(res: Resource, _ns: string | undefined, _opts: unknown, onEvent: (ev: WatchEvent) => void, signal?: AbortSignal): Promise<void> {
    if (!this.up) return Promise.reject(new Error(`watching ${res.plural}: connect ECONNREFUSED`));
    return new Promise((resolve, reject) => {
      const w = { plural: res.plural, onEvent, fail: reject };
      this.watchers.push(w);
      signal?.addEventListener('abort', () => resolve());
    });
  }

  emit(plural: string, ev: WatchEvent): void {
    for (const w of this.watchers) if (w.plural === plural) w.onEvent(ev);
  }

  /** Resolves once a list of this resource has failed, i.e. the informer tried and kept its cache. */
  listFailed(plural: string): Promise<void> {
    return new Promise((r) => this.failedLists.set(plural, r));
  }

  down(): void {
    this.up = false;
    for (const w of this.watchers.splice(0)) w.fail(new Error('connection reset by peer'));
  }
}

test('the view follows the informers and keeps answering while the API server is down', async () => {
  const api = new FakeApi({
    namespaces: [ns('default')],
    services: [service('default', 'web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] })],
    endpointslices: [],
    pods: [],
  });
  const view = startClusterView(api, () => {});
  try {
    await view.waitForSync();
    const ask = (name: string) => answer({ name, type: 'A' }, view.current()).answers.map((a) => (a as { data?: unknown }).data);
    assert.deepEqual(ask('web.default.svc.cluster.local'), ['10.96.0.20']);
    assert.equal(view.current(), view.current(), 'an unchanged view is the same snapshot');

    const before = view.current();
    api.emit('services', { type: 'ADDED', object: service('default', 'db', { clusterIP: 'None', ports: [{ name: 'sql', port: 5432, protocol: 'TCP' }] }) });
    api.emit('endpointslices', {
      type: 'ADDED',
      object: slice('default', 'db', [{ ip: '10.244.0.8', hostname: 'db-0', ready: true }], [{ name: 'sql', port: 5432, protocol: 'TCP' }]),
    });
    assert.notEqual(view.current(), before);
    assert.deepEqual(ask('db-0.db.default.svc.cluster.local'), ['10.244.0.8']);

    const failed = api.listFailed('services');
    api.down();
    await failed;
    assert.deepEqual(ask('web.default.svc.cluster.local'), ['10.96.0.20']);
    assert.deepEqual(ask('db.default.svc.cluster.local'), ['10.244.0.8']);
  } finally {
    await view.stop();
  }
});
