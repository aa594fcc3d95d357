import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, OwnerReference } from '../../../../src/api/types.js';
import { TEMPLATE_GENERATION_ANNOTATION } from '../../../../src/api/strategy/daemonset.js';
import { Expectations } from '../../../../src/controllers/replicaset/expectations.js';
import { syncDaemonSet, type DaemonSetEffects } from '../../../../src/controllers/daemonset/daemonset.js';
import { revisionHash } from '../../../../src/controllers/daemonset/revision.js';
import { maxUnavailable, rollingUpdate } from '../../../../src/controllers/daemonset/rolling.js';
import { calculateStatus } from '../../../../src/controllers/daemonset/status.js';
import { planNodes, podsByNode } from '../../../../src/controllers/daemonset/sync.js';

const NOW = Date.parse('2030-01-01T00:10:00Z');
const node = (name: string, labels: Record<string, string> = {}): KObject => ({ metadata: { name, labels }, spec: {} });

function ds(image = 'busybox:1', extra: Record<string, unknown> = {}, generation = '1'): KObject {
  return {
    metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid', generation: 2, annotations: { [TEMPLATE_GENERATION_ANNOTATION]: generation } },
    spec: {
      selector: { matchLabels: { app: 'a' } },
      template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image }] } },
      updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } },
      ...extra,
    },
    status: {},
  };
}

let seq = 0;
function pod(nodeName: string, o: { hash?: string; ready?: boolean; phase?: string; deleting?: boolean; created?: string; bound?: boolean } = {}): KObject {
  const name = `agent-${seq++}`;
  return {
    metadata: {
      name, namespace: 'ns', uid: `uid-${name}`,
      labels: { app: 'a', ...(o.hash ? { 'controller-revision-hash': o.hash } : {}) },
      creationTimestamp: o.created ?? '2030-01-01T00:00:00Z',
      ...(o.deleting ? { deletionTimestamp: '2030-01-01T00:09:00Z' } : {}),
      ownerReferences: [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true }],
    },
    spec: o.bound === false
      ? { affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [nodeName] }] }] } } } }
      : { nodeName },
    status: { phase: o.phase ?? (o.ready ? 'Running' : 'Pending'), conditions: o.ready ? [{ type: 'Ready', status: 'True', lastTransitionTime: '2030-01-01T00:01:00Z' }] : [] },
  };
}

class FakeFx implements DaemonSetEffects {
  created: KObject[] = [];
  deleted: string[] = [];
  statuses: KObject[] = [];
  events: string[] = [];
  async createPod(_ns: string, p: KObject) { this.created.push(p); return p; }
  async deletePod(p: KObject) { this.deleted.push(p.metadata.name!); }
  async setPodOwnerRefs(p: KObject, refs: OwnerReference[]) { p.metadata.ownerReferences = refs; }
  async updateStatus(o: KObject) { this.statuses.push(o); return o; }
  event(_o: KObject, type: string, reason: string, message: string) { this.events.push(`${type} ${reason} ${message}`); }
}

test('one pod per eligible node: missing ones created, extras and misplaced ones deleted', () => {
  const d = ds('busybox:1', {});
  (d.spec as any).template.spec.nodeSelector = { role: 'worker' };
  const nodes = [node('n1', { role: 'worker' }), node('n2', { role: 'worker' }), node('n3')];
  const older = pod('n2', { ready: true, created: '2030-01-01T00:00:00Z' });
  const newer = pod('n2', { ready: true, created: '2030-01-01T00:05:00Z' });
  const misplaced = pod('n3');
  const failed = pod('n1', { phase: 'Failed' });
  const orphanPinned = pod('gone', { bound: false });
  const boundToGone = pod('gone2');
  const plan = planNodes(d, nodes, podsByNode([older, newer, misplaced, failed, orphanPinned, boundToGone]), 'h', NOW);
  // n1 has a pod (the failed one), which goes first; its successor comes once it is gone.
  assert.deepEqual(plan.create, []);
  assert.deepEqual(plan.remove.map((p) => p.metadata.name).sort(), [failed, newer, misplaced, orphanPinned].map((p) => p.metadata.name).sort());
  assert.deepEqual(plan.failed, [failed]);
  assert.deepEqual(planNodes(d, nodes, podsByNode([]), 'h', NOW).create, ['n1', 'n2']);
  // A pod on its way out still holds its node.
  assert.deepEqual(planNodes(d, nodes, podsByNode([pod('n1', { deleting: true })]), 'h', NOW).create, ['n2']);
});

test('rolling update: old available pods go at most maxUnavailable at a time; unavailable old pods go at once', () => {
  const d = ds('busybox:2');
  const hash = revisionHash(d);
  assert.equal(maxUnavailable(d, 4), 1);
  assert.equal(maxUnavailable(ds('x', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '30%' } } }), 4), 2);
  const byNode = podsByNode([pod('n1', { ready: true }), pod('n2', { ready: true }), pod('n3', { ready: false }), pod('n4', { hash, ready: true })]);
  assert.deepEqual(rollingUpdate(d, byNode, 4, () => true, hash, undefined, NOW).remove.map((p) => (p.spec as any).nodeName), ['n3', 'n1']);
  // A new pod not yet available uses up the budget.
  const waiting = podsByNode([pod('n1', { ready: true }), pod('n2', { hash, ready: false })]);
  assert.deepEqual(rollingUpdate(d, waiting, 2, () => true, hash, undefined, NOW), { create: [], remove: [] });
  // Pods of older controllers are current by their template generation.
  const byGeneration = podsByNode([{ ...pod('n1', { ready: true }), metadata: { ...pod('n1').metadata, labels: { app: 'a', 'pod-template-generation': '7' } } }]);
  assert.deepEqual(rollingUpdate(d, byGeneration, 1, () => true, hash, '7', NOW), { create: [], remove: [] });
});

test('rolling update with surge: a new pod beside the old on maxSurge nodes; the old goes once the new is available', () => {
  const d = ds('busybox:2', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
  const hash = revisionHash(d);
  const old = (n: string, ready = true) => pod(n, { ready, hash: 'old' });
  // One node surges at a time; an unavailable old pod is replaced at once.
  assert.deepEqual(rollingUpdate(d, podsByNode([old('n1'), old('n2'), old('n3', false)]), 3, () => true, hash, undefined, NOW), { create: ['n3', 'n1'], remove: [] });
  // A new pod not yet available holds the surge; an available one retires its old pod.
  const n1New = pod('n1', { hash, ready: false });
  assert.deepEqual(rollingUpdate(d, podsByNode([old('n1'), n1New, old('n2')]), 2, () => true, hash, undefined, NOW), { create: [], remove: [] });
  const n1Old = old('n1');
  const step = rollingUpdate(d, podsByNode([n1Old, pod('n1', { hash, ready: true }), old('n2')]), 2, () => true, hash, undefined, NOW);
  assert.deepEqual([step.create, step.remove.map((p) => p.metadata.name)], [['n2'], [n1Old.metadata.name]]);
  // manage keeps both pods of a surging node, and retires the old one once the new is available.
  const nodes = [node('n1')];
  assert.deepEqual(planNodes(d, nodes, podsByNode([old('n1'), pod('n1', { hash, ready: false })]), hash, NOW).remove, []);
  const retiring = old('n1');
  assert.deepEqual(planNodes(d, nodes, podsByNode([retiring, pod('n1', { hash, ready: true })]), hash, NOW).remove, [retiring]);
});

test('status counts nodes: desired, current, ready, available, updated, misscheduled', () => {
  const d = ds();
  (d.spec as any).template.spec.nodeSelector = { role: 'worker' };
  const hash = revisionHash(d);
  const nodes = [node('n1', { role: 'worker' }), node('n2', { role: 'worker' }), node('n3', { role: 'worker' }), node('n4')];
  const st = calculateStatus(d, nodes, podsByNode([pod('n1', { hash, ready: true }), pod('n2'), pod('n4', { ready: true })]), hash, undefined, NOW);
  assert.deepEqual(st, { currentNumberScheduled: 2, numberMisscheduled: 1, desiredNumberScheduled: 3, numberReady: 1, observedGeneration: 2, updatedNumberScheduled: 1, numberAvailable: 1, numberUnavailable: 2 });
});

test('a sync creates the missing pods with events, then reports status; a second sync with the pods seen changes nothing', async () => {
  const d = ds();
  const nodes = [node('n1'), node('n2')];
  const fx = new FakeFx();
  const exp = new Expectations();
  await syncDaemonSet(d, nodes, [], fx, exp, NOW);
  assert.equal(fx.created.length, 2);
  assert.deepEqual(fx.created.map((p) => (p.spec as any).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0]).sort(), ['n1', 'n2']);
  assert.deepEqual(fx.events.map((e) => e.replace(/agent-\w+$/, 'agent-*')), ['Normal SuccessfulCreate Created pod: agent-*', 'Normal SuccessfulCreate Created pod: agent-*']);
  assert.deepEqual(fx.statuses.at(-1)!.status, { currentNumberScheduled: 0, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 0, observedGeneration: 2, numberUnavailable: 2 });

  // The informer shows the creations; the pods run and turn ready.
  exp.creationObserved('ns/agent');
  exp.creationObserved('ns/agent');
  const running = fx.created.map((p) => ({ ...p, spec: { ...(p.spec as object), nodeName: (p.spec as any).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].values[0] }, status: pod('x', { ready: true }).status }));
  const settled = { ...d, status: fx.statuses.at(-1)!.status };
  const fx2 = new FakeFx();
  await syncDaemonSet(settled, nodes, running, fx2, exp, NOW);
  assert.deepEqual(fx2.created, []);
  assert.deepEqual(fx2.deleted, []);
  const st = fx2.statuses.at(-1)!.status;
  assert.deepEqual(st, { currentNumberScheduled: 2, numberMisscheduled: 0, desiredNumberScheduled: 2, numberReady: 2, observedGeneration: 2, updatedNumberScheduled: 2, numberAvailable: 2 });
  const fx3 = new FakeFx();
  await syncDaemonSet({ ...d, status: st }, nodes, running, fx3, exp, NOW);
  assert.deepEqual([fx3.created, fx3.deleted, fx3.statuses], [[], [], []]);

  // A new template: RollingUpdate replaces one node at a time; OnDelete waits for the user.
  const fx4 = new FakeFx();
  await syncDaemonSet({ ...ds('busybox:2', {}, '2'), status: st }, nodes, running, fx4, new Expectations(), NOW);
  assert.equal(fx4.deleted.length, 1);
  assert.match(fx4.events[0], /^Normal SuccessfulDelete Deleted pod: agent-/);
  const fx5 = new FakeFx();
  await syncDaemonSet({ ...ds('busybox:2', { updateStrategy: { type: 'OnDelete' } }, '2'), status: st }, nodes, running, fx5, new Expectations(), NOW);
  assert.deepEqual(fx5.deleted, []);
});

test('a failed daemon pod is reported and deleted', async () => {
  const failed = pod('n1', { phase: 'Failed' });
  const fx = new FakeFx();
  await syncDaemonSet(ds(), [node('n1')], [failed], fx, new Expectations(), NOW);
  assert.deepEqual(fx.deleted, [failed.metadata.name]);
  assert.deepEqual(fx.events, [
    `Warning FailedDaemonPod Found failed daemon pod ns/${failed.metadata.name} on node n1, will try to kill it`,
    `Normal SuccessfulDelete Deleted pod: ${failed.metadata.name}`,
  ]);
});

test('a DaemonSet being deleted is left alone; orphans matching its selector are adopted', async () => {
  const fx = new FakeFx();
  await syncDaemonSet({ ...ds(), metadata: { ...ds().metadata, deletionTimestamp: '2030-01-01T00:00:00Z' } }, [node('n1')], [], fx, new Expectations(), NOW);
  assert.deepEqual([fx.created, fx.statuses], [[], []]);
  const orphan = pod('n1', { ready: true });
  delete orphan.metadata.ownerReferences;
  const fx2 = new FakeFx();
  await syncDaemonSet(ds(), [node('n1')], [orphan], fx2, new Expectations(), NOW);
  assert.equal((orphan.metadata.ownerReferences as OwnerReference[] | undefined)?.[0]?.uid, 'ds-uid');
  assert.deepEqual(fx2.created, []);
});
