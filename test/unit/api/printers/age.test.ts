import { test } from 'node:test';
import assert from 'node:assert/strict';
import { humanDuration, translateTimestampSince } from '../../../../src/api/printers/age.js';
import { DAY, HOUR, MINUTE, NOW, SECOND, ago } from './helpers.js';

// Cases from upstream TestTranslateTimestampSince (pkg/printers/internalversion/printers_test.go).
test('translateTimestampSince matches upstream examples', () => {
  assert.equal(translateTimestampSince(ago(-2.1 * SECOND), NOW), '<invalid>');
  assert.equal(translateTimestampSince(ago(-1.9 * SECOND), NOW), '0s');
  assert.equal(translateTimestampSince(ago(0), NOW), '0s');
  assert.equal(translateTimestampSince(undefined, NOW), '<unknown>');
  assert.equal(translateTimestampSince(null, NOW), '<unknown>');
  assert.equal(translateTimestampSince('0001-01-01T00:00:00Z', NOW), '<unknown>');
  assert.equal(translateTimestampSince(ago(30 * SECOND), NOW), '30s');
  assert.equal(translateTimestampSince(ago(5 * MINUTE), NOW), '5m');
  assert.equal(translateTimestampSince(ago(100 * MINUTE), NOW), '100m');
  assert.equal(translateTimestampSince(ago(2 * DAY), NOW), '2d');
  assert.equal(translateTimestampSince(ago(90 * DAY), NOW), '90d');
  assert.equal(translateTimestampSince(ago(10 * 365 * DAY), NOW), '10y');
});

test('humanDuration keeps two or three significant figures', () => {
  assert.equal(humanDuration(45 * SECOND), '45s');
  assert.equal(humanDuration(119 * SECOND), '119s');
  assert.equal(humanDuration(5 * MINUTE + 10 * SECOND), '5m10s');
  assert.equal(humanDuration(10 * MINUTE + 10 * SECOND), '10m');
  assert.equal(humanDuration(3 * HOUR), '3h');
  assert.equal(humanDuration(3 * HOUR + 25 * MINUTE), '3h25m');
  assert.equal(humanDuration(9 * HOUR + 25 * MINUTE), '9h');
  assert.equal(humanDuration(2 * DAY), '2d');
  assert.equal(humanDuration(7 * DAY + HOUR), '7d1h');
  assert.equal(humanDuration(8 * DAY + HOUR), '8d');
  assert.equal(humanDuration(3 * 365 * DAY + 5 * DAY), '3y5d');
});
