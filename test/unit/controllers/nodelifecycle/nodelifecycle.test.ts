import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Lease } from '../../../../src/client/resources.js';
import type { ApiClient } from '../../../../src/client/client.js';
import { EventRecorder } from '../../../../src/client/events.js';
import { SharedInformers } from '../../../../src/client/informer.js';
import { startNodeLifecycleController } from '../../../../src/controllers/nodelifecycle/controller.js';
import { evictionTime, planEvictions } from '../../../../src/controllers/nodelifecycle/eviction.js';
import { nodeHealth, observeProbe } from '../../../../src/controllers/nodelifecycle/health.js';
import { planNode } from '../../../../src/controllers/nodelifecycle/plan.js';
import { desiredTaints, reconcileTaints, taintsPatch } from '../../../../src/controllers/nodelifecycle/taints.js';
import { FakeApi, until } from '../../scheduler/fakeapi.js';
import { node, pod } from '../../scheduler/fixtures.js';

const T0 = Date.parse('2024-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
const lease = (name: string, renew: number): Lease => ({
  apiVersion: 'coordination.k8s.io/v1',
  kind: 'Lease',
  metadata: { name, namespace: 'kube-node-lease' },
  spec: { holderIdentity: name, leaseDurationSeconds: 40, renewTime: new Date(renew).toISOString().replace('Z', '000Z') },
});
const UNREACHABLE = 'node.kubernetes.io/unreachable';
const NOT_READY = 'node.kubernetes.io/not-ready';
const tolerate = (key: string, seconds?: number) => ({ key, operator: 'Exists', effect: 'NoExecute', ...(seconds !== undefined ? { tolerationSeconds: seconds } : {}) });

test('a node is stale only after the grace period without a Lease renewal or heartbeat', () => {
  const n = node('n1');
  const base = { node: n, gracePeriodMs: 40_000, probeTime: 0 };
  const fresh = nodeHealth({ ...base, lease: lease('n1', T0 - 30_000), now: T0 });
  assert.equal(fresh.stale, false);
  assert.equal(fresh.ready, 'True');
  assert.equal(fresh.staleInMs, 10_001);
  assert.deepEqual(fresh.conditionUpdates, []);
  const exactly = nodeHealth({ ...base, lease: lease('n1', T0 - 40_000), now: T0 });
  assert.equal(exactly.stale, false, 'stale strictly after the grace period');
  const stale = nodeHealth({ ...base, lease: lease('n1', T0 - 41_000), now: T0 });
  assert.equal(stale.stale, true);
  assert.equal(stale.ready, 'Unknown');
  const ready = stale.conditionUpdates.find((c) => c.type === 'Ready');
  assert.deepEqual(ready, {
    type: 'Ready',
    status: 'Unknown',
    reason: 'NodeStatusUnknown',
    message: 'Kubelet stopped posting node status.',
    lastHeartbeatTime: '2024-01-01T00:00:00Z',
    lastTransitionTime: iso(T0),
  });
  const never = stale.conditionUpdates.find((c) => c.type === 'MemoryPressure');
  assert.equal(never?.reason, 'NodeStatusNeverUpdated');
  assert.equal(never?.message, 'Kubelet never posted node status.');
  assert.deepEqual(stale.conditionUpdates.map((c) => c.type), ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure']);
});

test('a controller that just started gives every node a full grace period', () => {
  const h = nodeHealth({ node: node('n1'), lease: lease('n1', T0 - 600_000), now: T0, gracePeriodMs: 40_000, probeTime: T0 - 5_000 });
  assert.equal(h.stale, false);
  assert.equal(h.staleInMs, 35_001);
});

test('staleness counts from when a renewal was seen, so a late one still buys a full grace period', () => {
  const n = node('n1');
  const first = observeProbe(undefined, n, lease('n1', T0 - 3_000), T0);
  assert.equal(first.at, T0, 'first sight counts');
  assert.equal(observeProbe(first, n, lease('n1', T0 - 3_000), T0 + 5_000), first, 'the same renewal again is no news');
  // Written 3 s before it reached us: the grace period runs from T0 + 6 s, not from T0 + 3 s.
  const late = observeProbe(first, n, lease('n1', T0 + 3_000), T0 + 6_000);
  assert.equal(late.at, T0 + 6_000);
  const h = nodeHealth({ node: n, lease: lease('n1', T0 + 3_000), now: T0 + 9_500, gracePeriodMs: 4_000, probeTime: late.at });
  assert.equal(h.stale, false);
  assert.equal(h.staleInMs, 501);
  assert.equal(nodeHealth({ node: n, lease: lease('n1', T0 + 3_000), now: T0 + 10_001, gracePeriodMs: 4_000, probeTime: late.at }).stale, true);
  // A status heartbeat posted by the kubelet counts; this controller's own Unknown does not.
  const beat = node('n1');
  (beat.status as { conditions: { lastHeartbeatTime: string }[] }).conditions[0].lastHeartbeatTime = iso(T0 + 7_000);
  assert.equal(observeProbe(late, beat, lease('n1', T0 + 3_000), T0 + 7_500).at, T0 + 7_500);
  const unknown = node('n1', { ready: 'Unknown' });
  (unknown.status as { conditions: { lastHeartbeatTime: string }[] }).conditions[0].lastHeartbeatTime = iso(T0 + 60_000);
  assert.equal(observeProbe(late, unknown, lease('n1', T0 + 3_000), T0 + 8_000), late);
});

test('a fresh Lease after an outage counts as recovering: no readiness taints while the kubelet catches up', () => {
  const n = node('n1', { ready: 'Unknown', taints: [{ key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0 - 60_000) }, { key: UNREACHABLE, effect: 'NoSchedule' }] });
  const plan = planNode({ node: n, lease: lease('n1', T0 - 1000), now: T0, gracePeriodMs: 40_000, probeTime: 0, pods: () => [], taintSeen: () => T0 });
  assert.deepEqual(plan.conditionUpdates, []);
  assert.deepEqual(plan.taints, []);
});

test('managed taints follow conditions; other taints are kept; NoExecute taints get timeAdded', () => {
  const conds = [
    { type: 'Ready', status: 'False' },
    { type: 'MemoryPressure', status: 'True' },
    { type: 'DiskPressure', status: 'False' },
  ];
  assert.deepEqual(desiredTaints(conds, 'False', true), [
    { key: NOT_READY, effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/memory-pressure', effect: 'NoSchedule' },
    { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' },
    { key: NOT_READY, effect: 'NoExecute' },
  ]);
  assert.deepEqual(desiredTaints([{ type: 'Ready', status: 'True' }], 'True', false), []);
  const current = [
    { key: 'dedicated', value: 'x', effect: 'NoSchedule' as const },
    { key: NOT_READY, effect: 'NoExecute' as const, timeAdded: '2024-01-01T00:00:00Z' },
  ];
  const next = reconcileTaints(current, [{ key: UNREACHABLE, effect: 'NoSchedule' }, { key: UNREACHABLE, effect: 'NoExecute' }], T0);
  assert.deepEqual(next, [
    { key: 'dedicated', value: 'x', effect: 'NoSchedule' },
    { key: UNREACHABLE, effect: 'NoSchedule' },
    { key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0) },
  ]);
  assert.equal(reconcileTaints(next!, [{ key: UNREACHABLE, effect: 'NoSchedule' }, { key: UNREACHABLE, effect: 'NoExecute' }], T0 + 5000), undefined, 'idempotent, timeAdded kept');
  assert.deepEqual(reconcileTaints([{ key: UNREACHABLE, effect: 'PreferNoSchedule' }], [], T0), undefined, 'a PreferNoSchedule taint of that key is not ours');
});

test('taint patches only apply to the taints we read', () => {
  const n = node('n1', { taints: [{ key: 'a', effect: 'NoSchedule' }] });
  assert.deepEqual(taintsPatch(n, []), [{ op: 'test', path: '/spec/taints', value: [{ key: 'a', effect: 'NoSchedule' }] }, { op: 'remove', path: '/spec/taints' }]);
  assert.deepEqual(taintsPatch(node('n2'), [{ key: 'b', effect: 'NoExecute' }]), [
    { op: 'test', path: '/metadata/uid', value: 'uid-n2' },
    { op: 'add', path: '/spec/taints', value: [{ key: 'b', effect: 'NoExecute' }] },
  ]);
});

test('eviction timing: untolerated now, tolerationSeconds after timeAdded, forever without seconds', () => {
  const taints = [{ key: UNREACHABLE, effect: 'NoExecute' as const, timeAdded: iso(T0) }];
  const since = () => T0;
  assert.equal(evictionTime(pod('p'), taints, since), 'now');
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate(UNREACHABLE, 300)] }), taints, since), T0 + 300_000);
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate(UNREACHABLE)] }), taints, since), undefined);
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate(UNREACHABLE, -5)] }), taints, since), T0, 'negative means at once');
  assert.equal(evictionTime(pod('p'), [{ key: 'x', effect: 'NoSchedule' }], since), undefined);
  // Two taints: each needs a toleration; the earliest deadline wins.
  const two = [...taints, { key: NOT_READY, effect: 'NoExecute' as const, timeAdded: iso(T0 + 10_000) }];
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate(UNREACHABLE, 300)] }), two, since), 'now');
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate(UNREACHABLE, 300), tolerate(NOT_READY, 5)] }), two, since), T0 + 15_000);
  // A taint without timeAdded counts from when it was first seen.
  assert.equal(evictionTime(pod('p', { tolerations: [tolerate('manual', 10)] }), [{ key: 'manual', effect: 'NoExecute' }], () => T0 + 1000), T0 + 11_000);

  const pods = [
    pod('a'),
    pod('b', { tolerations: [tolerate(UNREACHABLE, 300)] }),
    pod('c', { tolerations: [tolerate(UNREACHABLE, 60)] }),
    pod('d', { deleting: true }),
  ];
  const early = planEvictions(pods, taints, T0 + 1000, since);
  assert.deepEqual(early.evict.map((p) => p.metadata.name), ['a']);
  assert.equal(early.nextInMs, 59_000);
  const later = planEvictions(pods, taints, T0 + 60_000, since);
  assert.deepEqual(later.evict.map((p) => p.metadata.name), ['a', 'c']);
  assert.equal(later.nextInMs, 240_000);
});

test('the whole plan for a node whose kubelet went silent', () => {
  const n = node('n1');
  const pods = [
    pod('ready', { nodeName: 'n1', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], tolerations: [tolerate(UNREACHABLE, 300)] }),
    pod('picky', { nodeName: 'n1', phase: 'Running', tolerations: [{ key: 'other', operator: 'Exists' }] }),
  ];
  const plan = planNode({ node: n, lease: lease('n1', T0 - 50_000), now: T0, gracePeriodMs: 40_000, probeTime: 0, pods: () => pods, taintSeen: () => T0 });
  assert.ok(plan.becameUnknown);
  assert.deepEqual(plan.taints, [
    { key: UNREACHABLE, effect: 'NoSchedule' },
    { key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(T0) },
  ]);
  assert.deepEqual(plan.markNotReady.map((p) => p.metadata.name), ['ready']);
  assert.deepEqual(plan.evict.map((p) => p.metadata.name), ['picky']);
  assert.equal(plan.requeueAfterMs, 300_000);
  // The kubelet itself reporting NotReady gives the not-ready taints.
  const notReady = planNode({ node: node('n1', { ready: 'False' }), lease: lease('n1', T0), now: T0, gracePeriodMs: 40_000, probeTime: 0, pods: () => [], taintSeen: () => T0 });
  assert.deepEqual(notReady.taints?.map((t) => `${t.key}:${t.effect}`), [`${NOT_READY}:NoSchedule`, `${NOT_READY}:NoExecute`]);
  assert.equal(notReady.becameUnknown, false);
  // A healthy node needs nothing and never asks for its pods.
  const healthy = planNode({ node: n, lease: lease('n1', T0), now: T0, gracePeriodMs: 40_000, probeTime: 0, pods: () => assert.fail('pods not needed'), taintSeen: () => T0 });
  assert.deepEqual([healthy.conditionUpdates, healthy.taints, healthy.evict], [[], undefined, []]);
});

test('controller loop: silent node → Unknown, taints, pods not ready and evicted; renewal → taints removed', async () => {
  const api = new FakeApi();
  let now = T0;
  api.put('nodes', node('n1'));
  api.put('leases', lease('n1', T0));
  api.put('pods', pod('stays', { nodeName: 'n1', phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }], tolerations: [tolerate(UNREACHABLE, 300)] }));
  api.put('pods', pod('goes', { nodeName: 'n1', phase: 'Running', tolerations: [{ key: 'x', operator: 'Exists' }] }));
  const client = api as unknown as ApiClient;
  const informers = new SharedInformers(client, () => {});
  const recorders = { node: new EventRecorder(client, 'node-controller'), eviction: new EventRecorder(client, 'taint-eviction-controller') };
  let clockReads = 0;
  const clock = () => {
    clockReads++;
    return now;
  };
  const ctl = startNodeLifecycleController(client, informers, recorders, { gracePeriodMs: 40_000, now: clock, log: () => {} });
  informers.start();
  await ctl.ready;
  await until(() => clockReads > 0 && ctl.queue.length === 0, 'first pass');
  assert.equal(api.calls.length, 0, 'a healthy node needs no writes');

  now = T0 + 41_000;
  api.put('leases', lease('n1', T0), 'MODIFIED'); // any event makes it look again; the real loop also requeues itself
  await until(() => api.get('pods', 'default', 'goes') === undefined, 'untolerating pod evicted');
  const n = api.get('nodes', undefined, 'n1')!;
  const ready = (n.status as { conditions: { type: string; status: string; reason?: string }[] }).conditions.find((c) => c.type === 'Ready');
  assert.equal(ready?.status, 'Unknown');
  assert.equal(ready?.reason, 'NodeStatusUnknown');
  assert.deepEqual((n.spec as { taints: unknown[] }).taints, [
    { key: UNREACHABLE, effect: 'NoSchedule' },
    { key: UNREACHABLE, effect: 'NoExecute', timeAdded: iso(now) },
  ]);
  const stays = api.get('pods', 'default', 'stays')!;
  assert.equal((stays.status as { conditions: { type: string; status: string }[] }).conditions.find((c) => c.type === 'Ready')?.status, 'False');
  await recorders.eviction.flush();
  await recorders.node.flush();
  const reasons = api.events.map((e) => `${e.reason}:${(e.involvedObject as { name: string }).name}:${e.message}`).sort();
  assert.deepEqual(reasons, [
    'NodeNotReady:n1:Node n1 status is now: NodeNotReady',
    'NodeNotReady:stays:Node is not ready',
    'TaintManagerEviction:goes:Marking for deletion Pod default/goes',
  ]);
  const deleted = api.calls.find((c) => c.method === 'DELETE');
  assert.deepEqual(deleted?.body, { preconditions: { uid: 'uid-goes' } });

  now += 1000;
  api.put('leases', lease('n1', now), 'MODIFIED');
  await until(() => !(api.get('nodes', undefined, 'n1')!.spec as { taints?: unknown[] }).taints, 'taints removed after renewal');
  assert.ok(api.get('pods', 'default', 'stays'), 'the tolerating pod was never evicted');
  await ctl.stop();
  await informers.stop();
});
