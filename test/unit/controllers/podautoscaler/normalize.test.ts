import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertDesiredReplicasWithRules, ScalingHistory, type Behavior } from '../../../../src/controllers/podautoscaler/normalize.js';

// Cases after upstream's horizontal_test.go normalization tests; times are ms from 0.

const args = (currentReplicas: number, desiredReplicas: number, minReplicas = 1, maxReplicas = 10) => ({ key: 'ns/h', currentReplicas, desiredReplicas, minReplicas, maxReplicas });

test('the older path: min/max clamping and the max(2 x current, 4) scale-up limit', () => {
  assert.deepEqual(convertDesiredReplicasWithRules(1, 10, 1, 20), { replicas: 4, reason: 'ScaleUpLimit', message: 'the desired replica count is increasing faster than the maximum scale rate' });
  assert.deepEqual(convertDesiredReplicasWithRules(3, 10, 1, 20).replicas, 6);
  assert.deepEqual(convertDesiredReplicasWithRules(5, 12, 1, 10), { replicas: 10, reason: 'TooManyReplicas', message: 'the desired replica count is more than the maximum replica count' });
  assert.deepEqual(convertDesiredReplicasWithRules(3, 1, 2, 10), { replicas: 2, reason: 'TooFewReplicas', message: 'the desired replica count is less than the minimum replica count' });
  assert.deepEqual(convertDesiredReplicasWithRules(3, 5, 2, 10), { replicas: 5, reason: 'DesiredWithinRange', message: 'the desired count is within the acceptable range' });
});

test('the older path keeps the highest recommendation of the downscale stabilization window', () => {
  const h = new ScalingHistory(300_000);
  h.recordInitial('ns/h', 5, 0);
  const first = h.normalize(args(5, 2), 15_000);
  assert.equal(first.replicas, 5);
  assert.equal(first.ableToScale.reason, 'ScaleDownStabilized');
  assert.equal(first.ableToScale.message, 'recent recommendations were higher than current one, applying the highest recent recommendation');
  assert.equal(first.scalingLimited.limited, false);
  // Five minutes after the initial recommendation only the low ones are left.
  const later = h.normalize(args(5, 2), 300_001);
  assert.equal(later.replicas, 2);
  assert.deepEqual(later.ableToScale, { reason: 'ReadyForNewScale', message: 'recommended size matches current size' });
  // A scale-up is never held back by the window.
  assert.equal(h.normalize(args(2, 8), 310_000).replicas, 4, 'limited to max(2 x 2, 4)');
});

const defaults = (b: Behavior): Behavior => ({
  scaleUp: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 100, periodSeconds: 15 }], ...b.scaleUp },
  scaleDown: { selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }], ...b.scaleDown },
});

test('behavior: scale-up policies, Max picks the larger change and Min the smaller', () => {
  const h = new ScalingHistory(300_000);
  const n = h.normalizeWithBehavior(args(4, 20, 1, 30), defaults({}), 0);
  assert.equal(n.replicas, 8);
  assert.equal(n.scalingLimited.reason, 'ScaleUpLimit');
  assert.equal(n.scalingLimited.limited, true);
  const min = defaults({ scaleUp: { selectPolicy: 'Min', policies: [{ type: 'Pods', value: 4, periodSeconds: 15 }, { type: 'Percent', value: 50, periodSeconds: 15 }] } });
  assert.equal(new ScalingHistory(300_000).normalizeWithBehavior(args(4, 20, 1, 30), min, 0).replicas, 6);
  const disabled = defaults({ scaleUp: { selectPolicy: 'Disabled' } });
  assert.equal(new ScalingHistory(300_000).normalizeWithBehavior(args(4, 20, 1, 30), disabled, 0).replicas, 4);
});

test('behavior: a Pods policy counts the changes made within its period', () => {
  const b = defaults({ scaleDown: { stabilizationWindowSeconds: 0, policies: [{ type: 'Pods', value: 1, periodSeconds: 60 }] } });
  const h = new ScalingHistory(300_000);
  const first = h.normalizeWithBehavior(args(5, 1), b, 0);
  assert.equal(first.replicas, 4);
  assert.equal(first.scalingLimited.reason, 'ScaleDownLimit');
  h.storeScaleEvent('ns/h', b, 5, 4, 0);
  assert.equal(h.normalizeWithBehavior(args(4, 1), b, 10_000).replicas, 4, 'one pod per minute already used');
  assert.equal(h.normalizeWithBehavior(args(4, 1), b, 61_000).replicas, 3);
});

test('behavior: an unset scale-down window is the controller flag; set windows stabilize both ways', () => {
  const h = new ScalingHistory(60_000);
  h.recordInitial('ns/h', 5, 0);
  assert.equal(h.normalizeWithBehavior(args(5, 2), defaults({}), 30_000).replicas, 5);
  assert.equal(h.normalizeWithBehavior(args(5, 2), defaults({}), 90_001).replicas, 2);

  const up = new ScalingHistory(300_000);
  up.recordInitial('ns/h', 3, 0);
  const n = up.normalizeWithBehavior(args(3, 6), defaults({ scaleUp: { stabilizationWindowSeconds: 60 } }), 10_000);
  assert.equal(n.replicas, 3);
  assert.deepEqual(n.ableToScale, { reason: 'ScaleUpStabilized', message: 'recent recommendations were lower than current one, applying the lowest recent recommendation' });
});

test('behavior: min and max still bound the result', () => {
  const h = new ScalingHistory(0);
  const n = h.normalizeWithBehavior(args(3, 1, 2, 10), defaults({ scaleDown: { stabilizationWindowSeconds: 0 } }), 0);
  assert.equal(n.replicas, 2);
  assert.equal(n.scalingLimited.reason, 'TooFewReplicas');
});
