import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Registry } from '../../../src/api/registry.js';
import { matches, parseFilter } from '../../../src/apiserver/filter.js';

// Job's selectable field status.successful (JobToSelectableFields).

const jobs = new Registry().kind('batch', 'Job')!;

test('jobs select on status.successful, the succeeded count with 0 when unset', () => {
  const done = { metadata: { name: 'a' }, status: { succeeded: 1 } };
  const fresh = { metadata: { name: 'b' }, status: {} };
  const one = parseFilter(jobs, null, 'status.successful=1');
  assert.deepEqual([matches(one, done), matches(one, fresh)], [true, false]);
  const none = parseFilter(jobs, null, 'status.successful=0');
  assert.deepEqual([matches(none, done), matches(none, fresh)], [false, true]);
  assert.throws(() => parseFilter(jobs, null, 'status.failed=1'), /field label not supported: status.failed/);
});
