import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTime } from '../../../../../src/addons/istio/gateway/access-log.js';

test('%START_TIME% is written as Date#toISOString writes it, within a second and across seconds', () => {
  const base = Date.UTC(2026, 11, 31, 23, 59, 58);
  for (const ms of [base, base + 1, base + 9, base + 10, base + 99, base + 100, base + 999, base + 1000, base + 1001, base + 2000, base - 1, 0]) {
    assert.equal(startTime(ms), new Date(ms).toISOString(), `at ${ms}`);
  }
});
