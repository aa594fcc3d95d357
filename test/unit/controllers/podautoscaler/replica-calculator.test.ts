import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { groupPods, plainMetricReplicas, resourceReplicas, type PodMetricsInfo } from '../../../../src/controllers/podautoscaler/replica-calculator.js';

// Cases after upstream's replica_calculator_test.go, with its testing periods (2 min cpu
// initialization, 10 s initial readiness delay) and tolerance 0.1.

const NOW = Date.parse('2025-01-01T12:00:00Z');
const OPTS = { tolerance: 0.1, cpuInitializationPeriodMs: 120_000, delayOfInitialReadinessStatusMs: 10_000 };
const iso = (ms: number) => new Date(ms).toISOString();

interface PodOpts {
  ready?: 'True' | 'False';
  phase?: string;
  startedAgoMs?: number;
  transitionAgoMs?: number;
  request?: string | null;
  deleting?: boolean;
}

function pod(name: string, o: PodOpts = {}): KObject {
  const started = NOW - (o.startedAgoMs ?? 600_000);
  const requests = o.request === null ? {} : { cpu: o.request ?? '1', memory: '1Gi' };
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'ns', ...(o.deleting ? { deletionTimestamp: iso(NOW) } : {}) },
    spec: { containers: [{ name: 'c', resources: { requests } }] },
    status: {
      phase: o.phase ?? 'Running',
      startTime: iso(started),
      conditions: [{ type: 'Ready', status: o.ready ?? 'True', lastTransitionTime: iso(NOW - (o.transitionAgoMs ?? 590_000)) }],
    },
  };
}

function samples(values: Record<string, number>, ageMs = 0): PodMetricsInfo {
  return new Map(Object.entries(values).map(([n, v]) => [n, { value: v, timestamp: NOW - ageMs, windowMs: 30_000 }]));
}

test('scale up: the ratio of used to requested cpu times the ready pods', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  const r = resourceReplicas(3, 30, 'cpu', '', pods, samples({ a: 300, b: 500, c: 700 }), OPTS, NOW);
  assert.deepEqual(r, { replicas: 5, utilization: 50, rawUtilization: 500 });
});

test('scale down rounds up', () => {
  const pods = ['a', 'b', 'c', 'd', 'e'].map((n) => pod(n));
  const r = resourceReplicas(5, 50, 'cpu', '', pods, samples({ a: 100, b: 300, c: 500, d: 250, e: 250 }), OPTS, NOW);
  assert.deepEqual(r, { replicas: 3, utilization: 28, rawUtilization: 280 });
});

test('within the tolerance nothing changes', () => {
  const pods = [pod('a'), pod('b'), pod('c')];
  assert.equal(resourceReplicas(3, 100, 'cpu', '', pods, samples({ a: 1050, b: 1050, c: 1050 }), OPTS, NOW).replicas, 3);
  assert.equal(resourceReplicas(3, 100, 'cpu', '', pods, samples({ a: 1150, b: 1150, c: 1150 }), OPTS, NOW).replicas, 4);
});

test('an unready pod counts as 0% on a scale-up, which damps it', () => {
  const pods = [pod('a', { ready: 'False', startedAgoMs: 60_000, transitionAgoMs: 60_000 }), pod('b'), pod('c')];
  const r = resourceReplicas(3, 30, 'cpu', '', pods, samples({ a: 300, b: 500, c: 700 }), OPTS, NOW);
  // 60% of the ready pods; with the unready one at 0: 40%, 1.33 x 3 pods.
  assert.deepEqual(r, { replicas: 4, utilization: 60, rawUtilization: 600 });
});

test('missing pods count as 0% on a scale-up and as their request on a scale-down', () => {
  const pods = ['a', 'b', 'c', 'd'].map((n) => pod(n));
  // 150% of the measured requests; with two pods at 0: 75%, 1.5 x 4.
  assert.deepEqual(resourceReplicas(4, 50, 'cpu', '', pods, samples({ a: 1500, b: 1500 }), OPTS, NOW), { replicas: 6, utilization: 150, rawUtilization: 1500 });
  // 10% measured; with two pods at 100%: 55% of an 80% target, 0.69 x 4.
  assert.deepEqual(resourceReplicas(4, 80, 'cpu', '', pods, samples({ a: 100, b: 100 }), OPTS, NOW), { replicas: 3, utilization: 10, rawUtilization: 100 });
  // Against a 50% target the assumed samples would flip the direction: no change.
  assert.equal(resourceReplicas(4, 50, 'cpu', '', pods, samples({ a: 100, b: 100 }), OPTS, NOW).replicas, 4);
});

test('a container without a cpu request: upstream error naming container and pod', () => {
  const pods = [pod('p-0', { request: null })];
  assert.throws(() => resourceReplicas(1, 50, 'cpu', '', pods, samples({ 'p-0': 100 }), OPTS, NOW), {
    message: 'missing request for cpu in container c of Pod p-0',
  });
});

test('no pods, and no samples from ready pods, are errors', () => {
  assert.throws(() => resourceReplicas(1, 50, 'cpu', '', [], samples({}), OPTS, NOW), { message: 'no pods returned by selector while calculating replica count' });
  assert.throws(() => resourceReplicas(1, 50, 'cpu', '', [pod('a', { phase: 'Pending' })], samples({ a: 5 }), OPTS, NOW), {
    message: 'did not receive metrics for targeted pods (pods might be unready)',
  });
});

test('groupPods: deleted and terminal pods are ignored, pending ones unready, unmeasured ones missing', () => {
  const pods = [pod('del', { deleting: true }), pod('done', { phase: 'Succeeded' }), pod('pend', { phase: 'Pending' }), pod('gone'), pod('ok')];
  const g = groupPods(pods, samples({ del: 1, done: 1, pend: 1, ok: 1 }), 'cpu', OPTS, NOW);
  assert.deepEqual([...g.ignoredPods], ['del', 'done']);
  assert.deepEqual([...g.unreadyPods], ['pend']);
  assert.deepEqual([...g.missingPods], ['gone']);
  assert.equal(g.readyPodCount, 1);
});

test('groupPods (cpu): within the initialization period a sample must cover a window after readiness', () => {
  const young = (transitionAgoMs: number) => pod('y', { startedAgoMs: 60_000, transitionAgoMs });
  // Ready 10 s ago, a 30 s window sampled now: the window still reaches before readiness.
  assert.equal(groupPods([young(10_000)], samples({ y: 1 }), 'cpu', OPTS, NOW).unreadyPods.size, 1);
  assert.equal(groupPods([young(40_000)], samples({ y: 1 }), 'cpu', OPTS, NOW).readyPodCount, 1);
  // Memory samples are never held back.
  assert.equal(groupPods([young(10_000)], samples({ y: 1 }), 'memory', OPTS, NOW).readyPodCount, 1);
});

test('groupPods (cpu): after the initialization period only a pod that never became ready is left out', () => {
  const neverReady = pod('n', { ready: 'False', startedAgoMs: 600_000, transitionAgoMs: 595_000 });
  const wasReady = pod('w', { ready: 'False', startedAgoMs: 600_000, transitionAgoMs: 60_000 });
  const g = groupPods([neverReady, wasReady], samples({ n: 1, w: 1 }), 'cpu', OPTS, NOW);
  assert.deepEqual([...g.unreadyPods], ['n']);
  assert.equal(g.readyPodCount, 1);
});

test('AverageValue: the plain average against the target', () => {
  const pods = [pod('a'), pod('b')];
  const mi = 1024 * 1024 * 1000;
  assert.deepEqual(plainMetricReplicas(2, 200 * mi, 'memory', pods, samples({ a: 300 * mi, b: 300 * mi }), OPTS, NOW), { replicas: 3, usage: 300 * mi });
  // A missing pod on a scale-down is assumed at the target: 100+200 over 2 is 0.75 of 200Mi.
  const three = [pod('a'), pod('b'), pod('c')];
  assert.deepEqual(plainMetricReplicas(3, 200 * mi, 'memory', three, samples({ a: 50 * mi, b: 50 * mi }), OPTS, NOW), { replicas: 2, usage: 50 * mi });
});
