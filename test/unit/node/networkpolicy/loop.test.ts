import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import type { EventHandler, InformerLike } from '../../../../src/client/informer.js';
import { startNetworkPolicy, type PolicySyncer } from '../../../../src/node/networkpolicy/loop.js';
import { namespace, pod, policy } from './fixtures.js';

class FakeInformer implements InformerLike {
  items: KObject[] = [];
  handlers: EventHandler[] = [];
  started = false;
  stopped = false;
  private synced = false;
  private waiters: (() => void)[] = [];
  addHandler(h: EventHandler) {
    this.handlers.push(h);
  }
  start() {
    this.started = true;
  }
  async stop() {
    this.stopped = true;
  }
  waitForSync() {
    return this.synced ? Promise.resolve() : new Promise<void>((r) => this.waiters.push(r));
  }
  sync(items: KObject[]) {
    this.items = items;
    this.synced = true;
    for (const w of this.waiters.splice(0)) w();
  }
  add(obj: KObject) {
    this.items.push(obj);
    for (const h of this.handlers) h.add?.(obj);
  }
  list() {
    return this.items;
  }
  get() {
    return undefined;
  }
}

class RecordingTable implements PolicySyncer {
  calls: { policies: number; pods: number; namespaces: number }[] = [];
  fail = 0;
  gate?: Promise<void>;
  async sync(input: { policies: KObject[]; pods: KObject[]; namespaces: KObject[] }) {
    await this.gate;
    this.calls.push({ policies: input.policies.length, pods: input.pods.length, namespaces: input.namespaces.length });
    if (this.fail-- > 0) throw new Error('nft said no');
    return true;
  }
}

function setup() {
  const inf = { policies: new FakeInformer(), pods: new FakeInformer(), namespaces: new FakeInformer() };
  const table = new RecordingTable();
  const logs: string[] = [];
  const loop = startNetworkPolicy({ nodeName: 'n1', informers: inf, table, bridgeNetfilter: false, minBackoffMs: 1, log: (level, msg) => logs.push(`${level} ${msg}`) });
  return { inf, table, loop, logs };
}

test('the first sync waits for all three caches, then sees everything', async () => {
  const { inf, table, loop } = setup();
  assert.ok(inf.policies.started && inf.pods.started && inf.namespaces.started);
  inf.policies.sync([policy('a', 'p', { podSelector: {} })]);
  inf.pods.sync([pod('a', 'x', {}, '10.244.0.2')]);
  inf.pods.add(pod('a', 'y', {}, '10.244.0.3')); // before the last cache fills: no sync yet
  await new Promise((r) => setImmediate(r));
  assert.equal(table.calls.length, 0);
  inf.namespaces.sync([namespace('a')]);
  await loop.settled();
  assert.deepEqual(table.calls, [{ policies: 1, pods: 2, namespaces: 1 }]);
  await loop.stop();
  assert.ok(inf.policies.stopped && inf.pods.stopped && inf.namespaces.stopped);
});

test('a burst of events during a sync costs one more sync, which sees the last state', async () => {
  const { inf, table, loop } = setup();
  for (const i of [inf.policies, inf.pods, inf.namespaces]) i.sync([]);
  await loop.settled();
  assert.equal(table.calls.length, 1);
  let release!: () => void;
  table.gate = new Promise((r) => (release = r));
  inf.pods.add(pod('a', 'p0', {}, '10.244.0.2'));
  await new Promise((r) => setImmediate(r));
  for (let i = 1; i < 20; i++) inf.pods.add(pod('a', `p${i}`, {}, `10.244.0.${i + 2}`));
  release();
  table.gate = undefined;
  await loop.settled();
  assert.equal(table.calls.length, 3);
  assert.equal(table.calls[2].pods, 20);
  await loop.stop();
});

test('a failed sync is logged and retried', async () => {
  const { inf, table, loop, logs } = setup();
  table.fail = 1;
  for (const i of [inf.policies, inf.pods, inf.namespaces]) i.sync([]);
  await loop.settled();
  // The retry runs after a backoff timer; wait for it by polling the recorder.
  while (table.calls.length < 2) await new Promise((r) => setTimeout(r, 1));
  await loop.settled();
  assert.equal(table.calls.length, 2);
  assert.ok(logs.some((l) => l.startsWith('error syncing network policy rules')), logs.join('\n'));
  await loop.stop();
});
