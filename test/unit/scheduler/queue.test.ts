import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulingBackoff } from '../../../src/scheduler/queue.js';

test('a failed pod is parked until a cluster change, then retried after its backoff', () => {
  let now = 0;
  const b = new SchedulingBackoff({ now: () => now });
  const a1 = b.beginAttempt();
  assert.equal(b.failed('ns/p', a1), 300_000, 'parked: retried after 5 minutes at the latest');
  assert.ok(b.isParked('ns/p'));
  now = 400;
  assert.deepEqual(b.moveAll(), [['ns/p', 600]], 'first backoff is 1 s from the failed attempt');
  assert.ok(!b.isParked('ns/p'));
  assert.deepEqual(b.moveAll(), [], 'moved pods are no longer parked');
});

test('backoff doubles per attempt up to 10 s', () => {
  let now = 0;
  const b = new SchedulingBackoff({ now: () => now });
  const seen: number[] = [];
  for (let i = 0; i < 6; i++) {
    b.failed('k', b.beginAttempt());
    seen.push(b.backoffMs('k'));
  }
  assert.deepEqual(seen, [1000, 2000, 4000, 8000, 10_000, 10_000]);
  now = 50_000;
  assert.deepEqual(b.moveAll(), [['k', 0]], 'backoff already over');
  b.forget('k');
  assert.equal(b.backoffMs('k'), 0);
});

test('a change during the attempt is not lost: the pod goes to backoff instead of parking', () => {
  const now = 0;
  const b = new SchedulingBackoff({ now: () => now });
  const attempt = b.beginAttempt();
  b.moveAll(); // a node was added while the pod was being evaluated
  assert.equal(b.failed('k', attempt), 1000);
  assert.ok(!b.isParked('k'));
});
