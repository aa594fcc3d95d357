import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { OutlierPolicy } from '../../../../../src/addons/istio/config/types.js';
import type { Endpoint } from '../../../../../src/addons/proxy/endpoints.js';
import { OutlierDetector } from '../../../../../src/addons/istio/gateway/outlier.js';

const eps: Endpoint[] = [1, 2, 3, 4].map((i) => ({ address: `10.0.0.${i}`, port: 80, key: `h${i}` }));
const policy = (p: Partial<OutlierPolicy> = {}): OutlierPolicy => ({
  consecutive5xx: 3,
  consecutiveGatewayErrors: 0,
  intervalMs: 1000,
  baseEjectionMs: 10_000,
  maxEjectionPercent: 100,
  minHealthPercent: 0,
  ...p,
});

test('consecutive 5xx eject a host; a success in between starts the count again', () => {
  const od = new OutlierDetector(policy(), 0);
  assert.equal(od.record('h1', 500, 4, 0), false);
  assert.equal(od.record('h1', 500, 4, 0), false);
  assert.equal(od.record('h1', 200, 4, 0), false);
  assert.equal(od.record('h1', 500, 4, 0), false);
  assert.equal(od.record('h1', 503, 4, 0), false);
  assert.equal(od.record('h1', undefined, 4, 0), true, 'a connect failure counts as a 5xx');
  assert.deepEqual(od.healthy(eps, 1).map((e) => e.key), ['h2', 'h3', 'h4']);
});

test('gateway errors count 502/503/504 and local failures only, and are off unless configured', () => {
  const od = new OutlierDetector(policy({ consecutive5xx: 0, consecutiveGatewayErrors: 2 }), 0);
  assert.equal(od.record('h1', 500, 4, 0), false);
  assert.equal(od.record('h1', 502, 4, 0), false);
  assert.equal(od.record('h1', 500, 4, 0), false, 'a 500 breaks the run of gateway errors');
  assert.equal(od.record('h1', 504, 4, 0), false);
  assert.equal(od.record('h1', undefined, 4, 0), true);
  const off = new OutlierDetector(policy({ consecutive5xx: 0 }), 0);
  for (let i = 0; i < 10; i++) assert.equal(off.record('h1', 503, 4, 0), false);
});

test('the ejection lasts base × times ejected, until the next interval tick; an interval spent healthy takes one off', () => {
  const od = new OutlierDetector(policy({ consecutive5xx: 1 }), 0);
  assert.equal(od.record('h1', 500, 4, 0), true);
  assert.equal(od.isEjected('h1', 9_999), true);
  assert.equal(od.isEjected('h1', 10_000), false);
  assert.equal(od.record('h1', 500, 4, 10_000), true);
  assert.equal(od.isEjected('h1', 29_999), true, 'second ejection: 20 s');
  assert.equal(od.isEjected('h1', 30_000), false);
  // Back for 1.5 intervals: the count drops from 2 to 1, so the next one is 2 × base again,
  // from 31.5 s to 51.5 s, and the host is let back in on the tick at 52 s.
  assert.equal(od.record('h1', 500, 4, 31_500), true);
  assert.equal(od.isEjected('h1', 51_500), true);
  assert.equal(od.isEjected('h1', 51_999), true);
  assert.equal(od.isEjected('h1', 52_000), false);
});

test('maxEjectionPercent caps the hosts out, one host always allowed', () => {
  const od = new OutlierDetector(policy({ consecutive5xx: 1, maxEjectionPercent: 10 }), 0);
  assert.equal(od.record('h1', 500, 4, 0), true);
  assert.equal(od.record('h2', 500, 4, 0), false);
  const half = new OutlierDetector(policy({ consecutive5xx: 1, maxEjectionPercent: 50 }), 0);
  assert.equal(half.record('h1', 500, 4, 0), true);
  assert.equal(half.record('h2', 500, 4, 0), true);
  assert.equal(half.record('h3', 500, 4, 0), false);
});

test('all out: no host (no healthy upstream) unless below minHealthPercent, where all take traffic', () => {
  const od = new OutlierDetector(policy({ consecutive5xx: 1 }), 0);
  for (const e of eps) od.record(e.key, 500, 4, 0);
  assert.deepEqual(od.healthy(eps, 1), []);
  const panic = new OutlierDetector(policy({ consecutive5xx: 1, minHealthPercent: 50 }), 0);
  panic.record('h1', 500, 4, 0);
  assert.equal(panic.healthy(eps, 1).length, 3);
  panic.record('h2', 500, 4, 0);
  panic.record('h3', 500, 4, 0);
  assert.equal(panic.healthy(eps, 1).length, 4, 'one of four in: under 50%, panic');
});
