import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { BEHAVIOR_ANNOTATION, convert, METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION } from '../../../../src/api/conversion/index.js';

const v2: KObject = {
  apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'web', namespace: 'default', annotations: { keep: 'me' } },
  spec: {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10,
    metrics: [
      { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } },
      { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } },
      { type: 'Pods', pods: { metric: { name: 'qps' }, target: { type: 'AverageValue', averageValue: '10' } } },
    ],
    behavior: { scaleDown: { stabilizationWindowSeconds: 60, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } },
  },
  status: {
    currentReplicas: 2, desiredReplicas: 3,
    currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 70, averageValue: '140m' } } }],
  },
};

test('HPA v2 → v1 keeps CPU in the v1 fields and the rest in annotations', () => {
  const v1 = convert(structuredClone(v2), 'v1');
  assert.equal(v1.apiVersion, 'autoscaling/v1');
  assert.deepEqual(v1.spec, { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 2, maxReplicas: 10, targetCPUUtilizationPercentage: 50 });
  assert.deepEqual(v1.status, { currentReplicas: 2, desiredReplicas: 3, currentCPUUtilizationPercentage: 70 });
  const ann = v1.metadata.annotations!;
  assert.equal(ann.keep, 'me');
  assert.deepEqual(JSON.parse(ann[METRIC_SPECS_ANNOTATION]), [
    { type: 'Resource', resource: { name: 'memory', targetAverageValue: '100Mi' } },
    { type: 'Pods', pods: { metricName: 'qps', targetAverageValue: '10' } },
  ]);
  assert.deepEqual(JSON.parse(ann[METRIC_STATUSES_ANNOTATION]), [{ type: 'Resource', resource: { name: 'cpu', currentAverageUtilization: 70, currentAverageValue: '140m' } }]);
  assert.deepEqual(JSON.parse(ann[BEHAVIOR_ANNOTATION]), {
    ScaleDown: { StabilizationWindowSeconds: 60, SelectPolicy: 'Max', Policies: [{ Type: 'Percent', Value: 100, PeriodSeconds: 15 }] },
  });
});

test('HPA v1 → v2 → v1 round trips, and v2 → v1 → v2 keeps every metric', () => {
  const v1 = convert(structuredClone(v2), 'v1');
  const back = convert(v1, 'v2');
  assert.deepEqual(back.metadata.annotations, { keep: 'me' });
  assert.deepEqual((back.spec as any).behavior, (v2.spec as any).behavior);
  // Upstream puts the annotation metrics first and the CPU target last.
  assert.deepEqual((back.spec as any).metrics, [(v2.spec as any).metrics[1], (v2.spec as any).metrics[2], (v2.spec as any).metrics[0]]);
  assert.deepEqual((back.status as any).currentMetrics, (v2.status as any).currentMetrics);
  assert.deepEqual(convert(back, 'v1'), v1);
});

test('HPA v1 without a CPU target converts to v2 without metrics (defaulting adds 80%)', () => {
  const v1: KObject = { apiVersion: 'autoscaling/v1', kind: 'HorizontalPodAutoscaler', metadata: { name: 'a' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 } };
  assert.deepEqual(convert(v1, 'v2'), { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'a' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'web' }, maxReplicas: 3 } });
});

test('HPA v2beta2 and Istio versions only rewrite apiVersion', () => {
  const beta = convert(structuredClone(v2), 'v2beta2');
  assert.deepEqual(beta, { ...v2, apiVersion: 'autoscaling/v2beta2' });
  assert.deepEqual(convert(beta, 'v2'), v2);
  const gw: KObject = { apiVersion: 'networking.istio.io/v1alpha3', kind: 'Gateway', metadata: { name: 'g' }, spec: { selector: { istio: 'ingressgateway' } } };
  const out = convert(gw, 'v1');
  assert.equal(out.apiVersion, 'networking.istio.io/v1');
  assert.deepEqual(out.spec, gw.spec);
  assert.notEqual(out.spec, gw.spec);
  assert.throws(() => convert(gw, 'v2'), /version v2 is not served/);
});
