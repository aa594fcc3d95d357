import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { timeLeft } from '../../../../src/controllers/ttlafterfinished/controller.js';

const NOW = Date.parse('2030-01-01T00:10:00Z');
const job = (ttl: number | undefined, conditions: object[], deleting = false): KObject => ({
  metadata: { name: 'j', ...(deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
  spec: ttl === undefined ? {} : { ttlSecondsAfterFinished: ttl },
  status: { conditions },
});

test('a finished Job with a TTL is due that many seconds after its Complete or Failed condition', () => {
  const complete = [{ type: 'Complete', status: 'True', lastTransitionTime: '2030-01-01T00:09:50Z' }];
  assert.equal(timeLeft(job(30, complete), NOW), 20_000);
  assert.equal(timeLeft(job(5, complete), NOW), 0);
  assert.equal(timeLeft(job(0, [{ type: 'Failed', status: 'True', lastTransitionTime: '2030-01-01T00:10:00Z' }]), NOW), 0);
});

test('no TTL, not finished, or already being deleted: never due', () => {
  assert.equal(timeLeft(job(undefined, [{ type: 'Complete', status: 'True', lastTransitionTime: '2030-01-01T00:00:00Z' }]), NOW), undefined);
  assert.equal(timeLeft(job(10, [{ type: 'SuccessCriteriaMet', status: 'True', lastTransitionTime: '2030-01-01T00:00:00Z' }]), NOW), undefined);
  assert.equal(timeLeft(job(10, [{ type: 'Complete', status: 'True', lastTransitionTime: '2030-01-01T00:00:00Z' }], true), NOW), undefined);
});
