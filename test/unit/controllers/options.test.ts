import { test } from 'node:test';
import assert from 'node:assert/strict';
import { controllerManagerFlag, parseControllerManagerFlags } from '../../../src/controllers/options.js';
import { DEFAULT_HPA_OPTIONS } from '../../../src/controllers/podautoscaler/options.js';

test('a --kube-controller-manager-arg is the flag it names, as k3s reads it', () => {
  assert.equal(controllerManagerFlag('horizontal-pod-autoscaler-sync-period=5s'), '--horizontal-pod-autoscaler-sync-period=5s');
  assert.equal(controllerManagerFlag('--horizontal-pod-autoscaler-sync-period=5s'), '--horizontal-pod-autoscaler-sync-period=5s');
  assert.equal(controllerManagerFlag('-v=2'), '--v=2');
  assert.equal(controllerManagerFlag('profiling'), '--profiling=true');
  // Only the first `=` separates name from value.
  assert.equal(controllerManagerFlag('a=b=c'), '--a=b=c');
});

test('the controller manager\'s flags set the HPA controller\'s options; the last of a flag wins', () => {
  assert.deepEqual(parseControllerManagerFlags([]), { horizontalPodAutoscaler: DEFAULT_HPA_OPTIONS });
  const { horizontalPodAutoscaler: o } = parseControllerManagerFlags([
    '--horizontal-pod-autoscaler-sync-period=5s',
    '--horizontal-pod-autoscaler-downscale-stabilization=1m',
    '--horizontal-pod-autoscaler-tolerance=0.2',
    '--horizontal-pod-autoscaler-sync-period=2s',
  ]);
  assert.deepEqual(o, { ...DEFAULT_HPA_OPTIONS, syncPeriodMs: 2000, downscaleStabilizationMs: 60_000, tolerance: 0.2 });
});

test('a flag the controller manager does not implement, or a bad value, is refused by name', () => {
  assert.throws(() => parseControllerManagerFlags(['--terminated-pod-gc-threshold=10']), {
    message:
      "unknown flag: --terminated-pod-gc-threshold (skiff's controller manager takes --horizontal-pod-autoscaler-sync-period, --horizontal-pod-autoscaler-downscale-stabilization, --horizontal-pod-autoscaler-cpu-initialization-period, --horizontal-pod-autoscaler-initial-readiness-delay, --horizontal-pod-autoscaler-tolerance)",
  });
  assert.throws(() => parseControllerManagerFlags(['--horizontal-pod-autoscaler-tolerance=true']), /invalid argument "true" for "--horizontal-pod-autoscaler-tolerance" flag/);
});
