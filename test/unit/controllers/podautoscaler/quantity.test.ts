import { test } from 'node:test';
import assert from 'node:assert/strict';
import { binaryMilliQuantity, decimalMilliQuantity, milliValue } from '../../../../src/controllers/podautoscaler/quantity.js';
import { parseHPAFlags, DEFAULT_HPA_OPTIONS } from '../../../../src/controllers/podautoscaler/options.js';

test('MilliValue of the quantities metrics-server and pod specs write, rounded up', () => {
  assert.equal(milliValue('200m'), 200);
  assert.equal(milliValue('0.2'), 200);
  assert.equal(milliValue('12345678n'), 13);
  assert.equal(milliValue('1234Ki'), 1234 * 1024 * 1000);
  assert.equal(milliValue('1e3'), 1_000_000);
  assert.equal(milliValue('2'), 2000);
  assert.equal(milliValue(1), 1000);
  assert.equal(milliValue('1.5Gi'), 1.5 * 2 ** 30 * 1000);
  assert.equal(milliValue('abc'), undefined);
  assert.equal(milliValue(undefined), undefined);
});

test('canonical text of the quantities the status carries', () => {
  assert.equal(decimalMilliQuantity(108), '108m');
  assert.equal(decimalMilliQuantity(1000), '1');
  assert.equal(decimalMilliQuantity(1500), '1500m');
  assert.equal(decimalMilliQuantity(2_000_000), '2k');
  assert.equal(decimalMilliQuantity(0), '0');
  assert.equal(binaryMilliQuantity(250 * 1024 * 1024 * 1000), '250Mi');
  assert.equal(binaryMilliQuantity(19431424 * 1000), '18976Ki');
  assert.equal(binaryMilliQuantity(1536 * 1000), '1536');
  assert.equal(binaryMilliQuantity(1500), '1500m');
});

test('the controller manager flags with upstream names and defaults', () => {
  assert.deepEqual(parseHPAFlags([]), DEFAULT_HPA_OPTIONS);
  assert.deepEqual(DEFAULT_HPA_OPTIONS, { syncPeriodMs: 15_000, tolerance: 0.1, downscaleStabilizationMs: 300_000, cpuInitializationPeriodMs: 300_000, initialReadinessDelayMs: 30_000 });
  const o = parseHPAFlags(['--horizontal-pod-autoscaler-sync-period=5s', '--horizontal-pod-autoscaler-tolerance', '0.2', '--horizontal-pod-autoscaler-downscale-stabilization=1m', '--node-monitor-grace-period=4s']);
  assert.equal(o.syncPeriodMs, 5000);
  assert.equal(o.tolerance, 0.2);
  assert.equal(o.downscaleStabilizationMs, 60_000);
  assert.throws(() => parseHPAFlags(['--horizontal-pod-autoscaler-sync-period=soon']), /invalid argument "soon" for "--horizontal-pod-autoscaler-sync-period" flag/);
});
