import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../src/api/types.js';
import type { EventHandler, InformerLike } from '../../../src/client/informer.js';
import { runController } from '../../../src/client/loop.js';

class FakeInformer implements InformerLike {
  handlers: EventHandler[] = [];
  objects: KObject[] = [];
  private syncedResolve!: () => void;
  private synced = new Promise<void>((r) => (this.syncedResolve = r));
  started = false;
  addHandler(h: EventHandler) {
    this.handlers.push(h);
  }
  start() {
    this.started = true;
  }
  async stop() {}
  waitForSync() {
    return this.synced;
  }
  sync() {
    for (const o of this.objects) for (const h of this.handlers) h.add?.(o);
    this.syncedResolve();
  }
  list() {
    return this.objects;
  }
  get() {
    return undefined;
  }
  emitUpdate(o: KObject, n: KObject) {
    for (const h of this.handlers) h.update?.(o, n);
  }
}

function obj(name: string, owner?: string): KObject {
  return { metadata: { name, namespace: 'ns', labels: owner ? { owner } : {} } };
}

test('informer events become keys; workers start after sync; errors retry with backoff', async () => {
  const inf = new FakeInformer();
  inf.objects = [obj('a'), obj('b')];
  const seen: string[] = [];
  const logs: Record<string, unknown>[] = [];
  let failuresLeft = 2;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const ctl = runController({
    name: 'demo',
    informers: [inf],
    keyOf: (o) => `ns/${o.metadata.labels?.owner ?? o.metadata.name}`,
    log: (level, msg, fields) => logs.push({ level, msg, ...fields }),
    async reconcile(key) {
      seen.push(key);
      if (key === 'ns/b' && failuresLeft-- > 0) throw new Error('boom');
      if (key === 'ns/b') finish();
    },
  });
  assert.ok(inf.started);
  await Promise.resolve();
  assert.deepEqual(seen, [], 'no reconcile before the informers have synced');
  inf.sync();
  await ctl.ready;
  await finished;
  assert.deepEqual(seen, ['ns/a', 'ns/b', 'ns/b', 'ns/b']);
  assert.equal(logs.length, 2);
  assert.deepEqual(logs[0], { level: 'error', msg: 'controller: reconcile failed', controller: 'demo', key: 'ns/b', attempt: 1, error: 'boom' });
  assert.equal(logs[1]!.attempt, 2);
  await ctl.stop();
});

test('an update enqueues the keys of both the old and the new object', async () => {
  const inf = new FakeInformer();
  const seen = new Set<string>();
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const ctl = runController({
    name: 'owners',
    informers: [inf],
    keyOf: (o) => (o.metadata.labels?.owner ? `ns/${o.metadata.labels.owner}` : null),
    async reconcile(key) {
      seen.add(key);
      if (seen.has('ns/x') && seen.has('ns/y')) finish();
    },
  });
  inf.sync();
  await ctl.ready;
  inf.emitUpdate(obj('p', 'x'), obj('p', 'y'));
  await finished;
  assert.deepEqual([...seen].sort(), ['ns/x', 'ns/y']);
  await ctl.stop();
});

test('requeueAfter brings a key back and one key is never reconciled concurrently', async () => {
  const inf = new FakeInformer();
  inf.objects = [obj('a')];
  let running = 0;
  let maxRunning = 0;
  let runs = 0;
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const ctl = runController({
    name: 'requeue',
    informers: [inf],
    workers: 4,
    keyOf: (o) => `ns/${o.metadata.name}`,
    async reconcile() {
      running++;
      maxRunning = Math.max(maxRunning, running);
      // Events for the same key arriving mid-reconcile must wait for this one.
      for (let i = 0; i < 3; i++) inf.emitUpdate(obj('a'), obj('a'));
      await new Promise((r) => setImmediate(r));
      running--;
      runs++;
      if (runs === 3) finish();
      return runs < 3 ? { requeueAfter: 1 } : undefined;
    },
  });
  inf.sync();
  await finished;
  assert.equal(maxRunning, 1);
  await ctl.stop();
});

test('requeue comes back through the backoff, so a reconcile that never waits does not hold the event loop', async () => {
  const inf = new FakeInformer();
  inf.objects = [obj('a')];
  let runs = 0;
  let immediateRan = false;
  let runsBeforeImmediate = 0;
  const retries: number[] = [];
  let finish!: () => void;
  const finished = new Promise<void>((r) => (finish = r));
  const ctl = runController({
    name: 'requeue-rate-limited',
    informers: [inf],
    keyOf: (o) => `ns/${o.metadata.name}`,
    async reconcile() {
      runs++;
      retries.push(ctl.queue.numRequeues('ns/a'));
      if (runs === 1) setImmediate(() => ((immediateRan = true), (runsBeforeImmediate = runs)));
      if (runs === 4) finish();
      return runs < 4 ? { requeue: true } : undefined;
    },
  });
  inf.sync();
  await finished;
  assert.ok(immediateRan);
  assert.equal(runsBeforeImmediate, 1);
  // Each requeue counts one more failure, so the delay grows as client-go's AddRateLimited's.
  assert.deepEqual(retries, [0, 1, 2, 3]);
  await ctl.stop();
});
