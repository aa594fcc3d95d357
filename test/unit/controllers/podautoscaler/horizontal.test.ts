import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchesRequirements } from '../../../../src/api/selectors.js';
import type { KObject } from '../../../../src/api/types.js';
import { ApiError } from '../../../../src/client/client.js';
import { reconcileAutoscaler, type AutoscalerDeps } from '../../../../src/controllers/podautoscaler/horizontal.js';
import type { MetricsClient } from '../../../../src/controllers/podautoscaler/metrics.js';
import { ScalingHistory } from '../../../../src/controllers/podautoscaler/normalize.js';
import type { Scale, ScaleClient } from '../../../../src/controllers/podautoscaler/scale.js';
import type { PodMetricsInfo } from '../../../../src/controllers/podautoscaler/replica-calculator.js';

// reconcileAutoscaler against fakes of the scale subresource, the metrics API and the pod
// lister, after upstream's horizontal_test.go.

const NOW = Date.parse('2025-01-01T12:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const NO_METRICS_API = 'unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)';

function hpa(spec: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: 'h', namespace: 'ns', uid: 'u1', generation: 1 },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' },
      minReplicas: 1,
      maxReplicas: 10,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
      ...spec,
    },
  };
}

function pod(name: string, cpu: string | null = '1'): KObject {
  return {
    metadata: { name, namespace: 'ns', labels: { app: 'web' } },
    spec: { containers: [{ name: 'c', resources: { requests: cpu === null ? {} : { cpu } } }] },
    status: { phase: 'Running', startTime: iso(NOW - 3_600_000), conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: iso(NOW - 3_500_000) }] },
  };
}

interface Fake {
  deps: AutoscalerDeps;
  events: string[];
  scaled: number[];
  statuses: Record<string, unknown>[];
  metricCalls: number;
}

function fake(o: { replicas: number; pods: KObject[]; samples?: Record<string, number> | Error; scaleError?: Error }): Fake {
  const f: Fake = { deps: undefined as unknown as AutoscalerDeps, events: [], scaled: [], statuses: [], metricCalls: 0 };
  const scaleObj = (replicas: number): Scale => ({
    resource: { group: 'apps', version: 'v1', plural: 'deployments', kind: 'Deployment' },
    object: { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web', namespace: 'ns' }, spec: { replicas }, status: { replicas, selector: 'app=web' } },
    specReplicas: replicas,
    statusReplicas: replicas,
    selector: 'app=web',
  });
  const scales: ScaleClient = {
    async get() {
      if (o.scaleError) throw o.scaleError;
      return scaleObj(o.replicas);
    },
    async update(_ns, _s, replicas) {
      f.scaled.push(replicas);
    },
  };
  const metrics: MetricsClient = {
    async getResourceMetric() {
      f.metricCalls++;
      if (o.samples instanceof Error) throw o.samples;
      const m: PodMetricsInfo = new Map(Object.entries(o.samples ?? {}).map(([n, v]) => [n, { value: v, timestamp: NOW, windowMs: 30_000 }]));
      return { metrics: m, timestamp: NOW };
    },
  };
  f.deps = {
    scales,
    metrics,
    pods: (_ns, sel) => o.pods.filter((p) => matchesRequirements(sel, p.metadata.labels as Record<string, string>)),
    otherHPAsSelecting: () => [],
    trackSelector: () => {},
    recorder: { event: (_obj, type, reason, message) => f.events.push(`${type} ${reason} ${message}`) },
    history: new ScalingHistory(300_000),
    calculator: { tolerance: 0.1, cpuInitializationPeriodMs: 300_000, delayOfInitialReadinessStatusMs: 30_000 },
    updateStatus: async (obj) => {
      f.statuses.push(obj.status as Record<string, unknown>);
    },
    now: () => NOW,
  };
  return f;
}

const cond = (status: Record<string, unknown>, type: string) => (status.conditions as { type: string; status: string; reason: string; message: string }[]).find((c) => c.type === type);

test('without a metrics API: ScalingActive False FailedGetResourceMetric, the two warnings, <unknown> status, no scaling', async () => {
  const f = fake({ replicas: 2, pods: [pod('a'), pod('b')], samples: new Error(NO_METRICS_API) });
  await assert.rejects(reconcileAutoscaler(hpa(), 'ns/h', f.deps), /failed to compute desired number of replicas based on listed metrics for Deployment\/ns\/web/);
  assert.deepEqual(f.scaled, []);
  assert.deepEqual(f.events, [
    `Warning FailedGetResourceMetric failed to get cpu utilization: unable to get metrics for resource cpu: ${NO_METRICS_API}`,
    `Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: unable to get metrics for resource cpu: ${NO_METRICS_API}`,
  ]);
  const s = f.statuses.at(-1)!;
  assert.equal(s.currentReplicas, 2);
  assert.equal(s.desiredReplicas, 0);
  assert.deepEqual(s.currentMetrics, [{ type: '' }]);
  assert.equal(s.observedGeneration, 1);
  assert.deepEqual(cond(s, 'AbleToScale'), { ...cond(s, 'AbleToScale'), status: 'True', reason: 'SucceededGetScale', message: "the HPA controller was able to get the target's current scale" });
  const active = cond(s, 'ScalingActive')!;
  assert.equal(active.status, 'False');
  assert.equal(active.reason, 'FailedGetResourceMetric');
  assert.equal(active.message, `the HPA was unable to compute the replica count: failed to get cpu utilization: unable to get metrics for resource cpu: ${NO_METRICS_API}`);
});

test('above target: SuccessfulRescale with upstream text, status with utilization and average', async () => {
  const f = fake({ replicas: 3, pods: [pod('a'), pod('b'), pod('c')], samples: { a: 900, b: 900, c: 900 } });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, [6]);
  assert.deepEqual(f.events, ['Normal SuccessfulRescale New size: 6; reason: cpu resource utilization (percentage of request) above target']);
  const s = f.statuses.at(-1)!;
  assert.equal(s.currentReplicas, 3);
  assert.equal(s.desiredReplicas, 6);
  assert.equal(s.lastScaleTime, '2025-01-01T12:00:00Z');
  assert.deepEqual(s.currentMetrics, [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 90, averageValue: '900m' } } }]);
  assert.equal(cond(s, 'AbleToScale')!.reason, 'SucceededRescale');
  assert.equal(cond(s, 'AbleToScale')!.message, 'the HPA controller was able to update the target scale to 6');
  assert.equal(cond(s, 'ScalingActive')!.message, 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)');
  assert.equal(cond(s, 'ScalingLimited')!.reason, 'DesiredWithinRange');
  assert.equal(cond(s, 'ScalingLimited')!.status, 'False');
});

test('below target without behavior: held by the 300 s window (ScaleDownStabilized)', async () => {
  const f = fake({ replicas: 4, pods: ['a', 'b', 'c', 'd'].map((n) => pod(n)), samples: { a: 100, b: 100, c: 100, d: 100 } });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, []);
  const s = f.statuses.at(-1)!;
  assert.equal(s.desiredReplicas, 4);
  assert.equal(cond(s, 'AbleToScale')!.reason, 'ScaleDownStabilized');
});

test('below target with a zero scale-down window: All metrics below target', async () => {
  const f = fake({ replicas: 4, pods: ['a', 'b', 'c', 'd'].map((n) => pod(n)), samples: { a: 100, b: 100, c: 100, d: 100 } });
  await reconcileAutoscaler(hpa({ behavior: { scaleDown: { stabilizationWindowSeconds: 0, selectPolicy: 'Max', policies: [{ type: 'Percent', value: 100, periodSeconds: 15 }] } } }), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, [1]);
  assert.deepEqual(f.events, ['Normal SuccessfulRescale New size: 1; reason: All metrics below target']);
});

test('min clamping: a target below minReplicas is scaled up without reading metrics', async () => {
  const f = fake({ replicas: 1, pods: [pod('a')], samples: new Error(NO_METRICS_API) });
  await reconcileAutoscaler(hpa({ minReplicas: 3 }), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, [3]);
  assert.equal(f.metricCalls, 0);
  assert.deepEqual(f.events, ['Normal SuccessfulRescale New size: 3; reason: Current number of replicas below Spec.MinReplicas']);
  const s = f.statuses.at(-1)!;
  assert.equal(s.desiredReplicas, 3);
  assert.equal(s.currentMetrics, undefined);
});

test('max clamping: a target above maxReplicas is scaled down to it', async () => {
  const f = fake({ replicas: 12, pods: [pod('a')] });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, [10]);
  assert.deepEqual(f.events, ['Normal SuccessfulRescale New size: 10; reason: Current number of replicas above Spec.MaxReplicas']);
});

test('high usage is capped by maxReplicas: ScalingLimited True TooManyReplicas', async () => {
  const f = fake({ replicas: 8, pods: Array.from({ length: 8 }, (_, i) => pod(`p${i}`)), samples: Object.fromEntries(Array.from({ length: 8 }, (_, i) => [`p${i}`, 1000])) });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, [10]);
  const s = f.statuses.at(-1)!;
  assert.deepEqual([cond(s, 'ScalingLimited')!.status, cond(s, 'ScalingLimited')!.reason], ['True', 'TooManyReplicas']);
});

test('a Deployment without cpu requests: the upstream warning and no scaling', async () => {
  const f = fake({ replicas: 2, pods: [pod('web-1', null), pod('web-2', null)], samples: { 'web-1': 500, 'web-2': 500 } });
  await assert.rejects(reconcileAutoscaler(hpa(), 'ns/h', f.deps));
  assert.deepEqual(f.scaled, []);
  assert.equal(f.events[0], 'Warning FailedGetResourceMetric failed to get cpu utilization: missing request for cpu in container c of Pod web-1');
  assert.equal(cond(f.statuses.at(-1)!, 'ScalingActive')!.reason, 'FailedGetResourceMetric');
});

test('a missing target: FailedGetScale event and AbleToScale False', async () => {
  const notFound = new ApiError(404, { kind: 'Status', code: 404, reason: 'NotFound', message: 'deployments.apps "web" not found' }, 'getting');
  const f = fake({ replicas: 0, pods: [], scaleError: notFound });
  await assert.rejects(reconcileAutoscaler(hpa(), 'ns/h', f.deps), /failed to query scale subresource for Deployment\/ns\/web/);
  assert.deepEqual(f.events, ['Warning FailedGetScale deployments.apps "web" not found']);
  const c = cond(f.statuses.at(-1)!, 'AbleToScale')!;
  assert.deepEqual([c.status, c.reason, c.message], ['False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: deployments.apps "web" not found`]);
});

test('a target scaled to zero disables autoscaling', async () => {
  const f = fake({ replicas: 0, pods: [] });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.deepEqual(f.scaled, []);
  const c = cond(f.statuses.at(-1)!, 'ScalingActive')!;
  assert.deepEqual([c.status, c.reason, c.message], ['False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero']);
});

test('an unchanged status is not written again', async () => {
  const f = fake({ replicas: 2, pods: [pod('a'), pod('b')], samples: { a: 500, b: 500 } });
  await reconcileAutoscaler(hpa(), 'ns/h', f.deps);
  assert.equal(f.statuses.length, 1);
  const again = { ...hpa(), status: f.statuses[0] };
  await reconcileAutoscaler(again, 'ns/h', f.deps);
  assert.equal(f.statuses.length, 1);
});
