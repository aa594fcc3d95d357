import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { MAX_BACKOFF_MS, nextBackoffRecord, remainingBackoff } from '../../../../src/controllers/job/backoff.js';
import { formatIndexes, parseIndexes } from '../../../../src/controllers/job/indexes.js';

const finished = (at: number): KObject => ({ metadata: {}, status: { containerStatuses: [{ state: { terminated: { finishedAt: new Date(at).toISOString() } } }] } });

test('backoff: failures since the last success count; 10 s doubling, capped at 6 minutes', () => {
  const one = nextBackoffRecord({ failuresAfterLastSuccess: 0 }, [], [finished(1000)], 0);
  assert.deepEqual(one, { failuresAfterLastSuccess: 1, lastFailureTime: 1000 });
  assert.equal(remainingBackoff(one, 1000), 10_000);
  const three = nextBackoffRecord(one, [], [finished(3000), finished(2000)], 0);
  assert.deepEqual(three, { failuresAfterLastSuccess: 3, lastFailureTime: 3000 });
  assert.equal(remainingBackoff(three, 3000 + 5000), 35_000);
  assert.equal(remainingBackoff({ failuresAfterLastSuccess: 30, lastFailureTime: 0 }, 0), MAX_BACKOFF_MS);
  // A success resets the count to the failures after it.
  assert.deepEqual(nextBackoffRecord(three, [finished(5000)], [finished(4000), finished(6000)], 0), { failuresAfterLastSuccess: 1, lastFailureTime: 6000 });
  assert.deepEqual(nextBackoffRecord(three, [finished(5000)], [], 0), { failuresAfterLastSuccess: 0 });
  assert.equal(remainingBackoff({ failuresAfterLastSuccess: 0 }, 0), 0);
});

test('completed indexes: ascending, runs of three or more as a range, two as a pair', () => {
  assert.equal(formatIndexes(new Set([4, 0, 1, 2, 7, 8])), '0-2,4,7,8');
  assert.equal(formatIndexes(new Set()), '');
  assert.deepEqual([...parseIndexes('0-2,4,7,8,bad,20', 10)].sort((a, b) => a - b), [0, 1, 2, 4, 7, 8]);
});
