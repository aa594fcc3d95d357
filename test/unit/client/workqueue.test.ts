import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExponentialBackoff, WorkQueue } from '../../../src/client/workqueue.js';

test('backoff doubles from 5 ms per item and caps at 1000 s', () => {
  const b = new ExponentialBackoff();
  assert.deepEqual([b.when('a'), b.when('a'), b.when('a'), b.when('b')], [5, 10, 20, 5]);
  for (let i = 0; i < 40; i++) b.when('a');
  assert.equal(b.when('a'), 1_000_000);
  b.forget('a');
  assert.equal(b.when('a'), 5);
});

test('a key waiting in the queue is stored once', async () => {
  const q = new WorkQueue();
  q.add('a');
  q.add('b');
  q.add('a');
  assert.equal(q.length, 2);
  assert.equal(await q.get(), 'a');
  assert.equal(await q.get(), 'b');
});

test('a key being processed is not handed out again until done, then comes back once', async () => {
  const q = new WorkQueue();
  q.add('a');
  const k = await q.get();
  assert.equal(k, 'a');
  q.add('a');
  q.add('a');
  assert.equal(q.length, 0, 'not queued while processing');
  let second: string | undefined;
  const waiting = q.get().then((v) => (second = v));
  await Promise.resolve();
  assert.equal(second, undefined);
  q.done('a');
  await waiting;
  assert.equal(second, 'a');
  q.done('a');
  assert.equal(q.length, 0);
});

test('addAfter keeps the earliest pending time and shutDown releases waiters', async () => {
  const q = new WorkQueue();
  q.addAfter('x', 60_000);
  q.addAfter('x', 1);
  assert.equal(await q.get(), 'x');
  q.done('x');
  const pending = q.get();
  q.shutDown();
  assert.equal(await pending, undefined);
});

test('addAfter beyond what a Node timer holds (24.8 days) waits the whole delay instead of firing at once', async (t) => {
  t.mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 0 });
  const q = new WorkQueue();
  const year = 365 * 24 * 3_600_000;
  q.addAfter('yearly', year);
  t.mock.timers.tick(2 ** 31);
  assert.equal(q.length, 0);
  t.mock.timers.tick(year - 2 ** 31 - 1);
  assert.equal(q.length, 0);
  t.mock.timers.tick(1);
  assert.equal(q.length, 1);
  q.shutDown();
});
