import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import type { EventHandler, InformerLike } from '../../../../src/client/informer.js';
import { Proxier, type ProxySyncer } from '../../../../src/node/proxy/proxier.js';
import type { EndpointSliceJSON, ServiceJSON } from '../../../../src/node/proxy/rules.js';

// The proxy loop with fake informers and a recording syncer: nothing is written before both
// caches are full, every change leads to a sync with the complete lists, and stop leaves the
// table alone.

class FakeInformer implements InformerLike {
  items = new Map<string, KObject>();
  handlers: EventHandler[] = [];
  started = false;
  stopped = false;
  private synced = false;
  private waiters: (() => void)[] = [];
  addHandler(h: EventHandler): void {
    this.handlers.push(h);
  }
  start(): void {
    this.started = true;
  }
  async stop(): Promise<void> {
    this.stopped = true;
  }
  waitForSync(): Promise<void> {
    return this.synced ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
  markSynced(): void {
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }
  list(): KObject[] {
    return [...this.items.values()];
  }
  get(ns: string | undefined, name: string): KObject | undefined {
    return this.items.get(`${ns}/${name}`);
  }
  put(obj: KObject): void {
    const key = `${obj.metadata.namespace}/${obj.metadata.name}`;
    const old = this.items.get(key);
    this.items.set(key, obj);
    for (const h of this.handlers) old ? h.update?.(old, obj) : h.add?.(obj);
  }
  remove(ns: string, name: string): void {
    const old = this.items.get(`${ns}/${name}`);
    this.items.delete(`${ns}/${name}`);
    if (old) for (const h of this.handlers) h.delete?.(old);
  }
}

class Recorder implements ProxySyncer {
  calls: { services: string[]; slices: string[] }[] = [];
  waiters: (() => void)[] = [];
  failNext = 0;
  async sync(services: ServiceJSON[], slices: EndpointSliceJSON[]): Promise<boolean> {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('nft -f - exited with 1');
    }
    this.calls.push({ services: services.map((s) => s.metadata.name).sort(), slices: slices.map((s) => s.metadata.name).sort() });
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
  next(): Promise<void> {
    return new Promise((r) => this.waiters.push(r));
  }
}

const svc = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name, resourceVersion: '1' }, spec: { clusterIP: '10.96.0.9', ports: [{ port: 80 }] } });
const slice = (name: string, service: string): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { namespace: 'default', name, labels: { 'kubernetes.io/service-name': service } },
});

function setup() {
  const services = new FakeInformer();
  const slices = new FakeInformer();
  const proxy = new Recorder();
  const logs: string[] = [];
  const proxier = new Proxier({
    node: { nodeName: 'n1', nodeIPs: ['172.18.0.2'], clusterCIDR: '10.244.0.0/16' },
    informers: { services, slices },
    proxy,
    minBackoffMs: 1,
    log: (_l, m, f) => logs.push(`${m} ${JSON.stringify(f)}`),
  });
  return { services, slices, proxy, proxier, logs };
}

test('the first sync waits for both caches, then every change syncs the full lists', async () => {
  const { services, slices, proxy, proxier } = setup();
  proxier.start();
  assert.ok(services.started && slices.started);
  services.put(svc('web'));
  services.markSynced();
  await new Promise((r) => setImmediate(r));
  assert.equal(proxy.calls.length, 0, 'no table is written from a half-listed picture');
  slices.put(slice('web-abc', 'web'));
  let next = proxy.next();
  slices.markSynced();
  await next;
  assert.deepEqual(proxy.calls[0], { services: ['web'], slices: ['web-abc'] });

  next = proxy.next();
  slices.put(slice('web-def', 'web'));
  await next;
  await proxier.settled();
  assert.deepEqual(proxy.calls.at(-1), { services: ['web'], slices: ['web-abc', 'web-def'] });

  next = proxy.next();
  services.remove('default', 'web');
  await next;
  await proxier.settled();
  assert.deepEqual(proxy.calls.at(-1), { services: [], slices: ['web-abc', 'web-def'] });
  assert.equal(proxier.writes, proxy.calls.length);

  await proxier.stop();
  assert.ok(services.stopped && slices.stopped);
  const before = proxy.calls.length;
  slices.put(slice('web-ghi', 'web'));
  await new Promise((r) => setImmediate(r));
  assert.equal(proxy.calls.length, before, 'a stopped loop writes nothing (and removes nothing)');
});

test('a burst of events while a sync runs costs one more sync, which sees the last state', async () => {
  const { services, slices, proxy, proxier } = setup();
  proxier.start();
  services.markSynced();
  let next = proxy.next();
  slices.markSynced();
  await next;
  const before = proxy.calls.length;
  for (let i = 0; i < 20; i++) services.put(svc(`s${i}`));
  await proxier.settled();
  assert.ok(proxy.calls.length - before <= 2, `${proxy.calls.length - before} syncs for a burst of 20`);
  assert.equal(proxy.calls.at(-1)!.services.length, 20);
  await proxier.stop();
});

test('a failed sync is logged and retried', async () => {
  const { services, slices, proxy, proxier, logs } = setup();
  proxy.failNext = 2;
  const done = proxy.next();
  proxier.start();
  services.markSynced();
  slices.markSynced();
  await done;
  assert.equal(logs.length, 2);
  assert.match(logs[0], /^syncing service proxy rules .*"node":"n1".*nft -f - exited with 1/);
  assert.equal(proxy.calls.length, 1);
  await proxier.stop();
});

class ChangeRecorder extends Recorder {
  changes: Record<string, { svc?: string; slices: string[] }>[] = [];
  async syncChanged(
    changes: Map<string, { svc?: ServiceJSON; slices: EndpointSliceJSON[] }>,
    all: () => { services: ServiceJSON[]; slices: EndpointSliceJSON[] },
  ): Promise<boolean> {
    if (this.changes.length === 0 && this.calls.length === 0) {
      const { services, slices } = all();
      return this.sync(services, slices);
    }
    const rec: Record<string, { svc?: string; slices: string[] }> = {};
    for (const [k, c] of changes) rec[k] = { svc: c.svc?.metadata.name, slices: c.slices.map((s) => s.metadata.name).sort() };
    this.changes.push(rec);
    for (const w of this.waiters.splice(0)) w();
    return true;
  }
}

test('after the first full sync, each run gets only the changed Services with their slices', async () => {
  const services = new FakeInformer();
  const slices = new FakeInformer();
  const proxy = new ChangeRecorder();
  const proxier = new Proxier({ node: { nodeName: 'n1', nodeIPs: ['172.18.0.2'] }, informers: { services, slices }, proxy, minBackoffMs: 1 });
  proxier.start();
  services.put(svc('web'));
  services.put(svc('db'));
  slices.put(slice('web-abc', 'web'));
  slices.put(slice('db-abc', 'db'));
  let next = proxy.next();
  services.markSynced();
  slices.markSynced();
  await next;
  assert.deepEqual(proxy.calls[0], { services: ['db', 'web'], slices: ['db-abc', 'web-abc'] });

  next = proxy.next();
  slices.put(slice('web-def', 'web'));
  await next;
  await proxier.settled();
  assert.deepEqual(proxy.changes.at(-1), { 'default/web': { svc: 'web', slices: ['web-abc', 'web-def'] } });

  // A slice moving to another Service changes both; a deleted Service is passed without object.
  next = proxy.next();
  slices.put(slice('web-def', 'db'));
  await next;
  await proxier.settled();
  assert.deepEqual(proxy.changes.at(-1), { 'default/web': { svc: 'web', slices: ['web-abc'] }, 'default/db': { svc: 'db', slices: ['db-abc', 'web-def'] } });
  next = proxy.next();
  services.remove('default', 'db');
  await next;
  await proxier.settled();
  assert.deepEqual(proxy.changes.at(-1), { 'default/db': { svc: undefined, slices: ['db-abc', 'web-def'] } });
  await proxier.stop();
});
