import { test } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveTaints, filterNode, insufficientResources } from '../../../src/scheduler/filters.js';
import { matchesNodeSelectorAndAffinity, preferredAffinityScore } from '../../../src/api/nodeaffinity.js';
import { schedulingPod } from '../../../src/scheduler/schedule.js';
import { matchingTolerations, toleratesTaint } from '../../../src/api/taints.js';
import { node, nodeInfos, pod } from './fixtures.js';

const one = (n = node('n1'), pods = [] as ReturnType<typeof pod>[]) => nodeInfos([n], pods)[0];

test('toleration matching follows ToleratesTaint', () => {
  const taint = { key: 'k', value: 'v', effect: 'NoSchedule' as const };
  assert.ok(toleratesTaint({ key: 'k', value: 'v', effect: 'NoSchedule' }, taint));
  assert.ok(toleratesTaint({ key: 'k', operator: 'Exists' }, taint), 'empty effect matches every effect');
  assert.ok(toleratesTaint({ operator: 'Exists' }, taint), 'empty key with Exists matches everything');
  assert.ok(!toleratesTaint({ key: 'k', value: 'w' }, taint));
  assert.ok(!toleratesTaint({ key: 'k', operator: 'Exists', effect: 'NoExecute' }, taint));
  assert.ok(!toleratesTaint({ key: 'other', operator: 'Exists' }, taint));
  const m = matchingTolerations([taint, { key: 'x', effect: 'NoExecute' }], [{ key: 'k', operator: 'Exists' }]);
  assert.deepEqual(m, { all: false, used: [] });
});

test('unschedulable nodes are rejected unless the pod tolerates the unschedulable taint', () => {
  const n = one(node('n1', { unschedulable: true }));
  assert.deepEqual(filterNode(schedulingPod(pod('p')), n), { code: 'UnschedulableAndUnresolvable', reasons: ['node(s) were unschedulable'] });
  const tolerant = pod('p', { tolerations: [{ key: 'node.kubernetes.io/unschedulable', operator: 'Exists', effect: 'NoSchedule' }] });
  assert.equal(filterNode(schedulingPod(tolerant), n), undefined);
});

test('NoSchedule and NoExecute taints need a toleration, PreferNoSchedule does not', () => {
  const n = one(node('n1', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }, { key: 'dedicated', value: 'gpu', effect: 'NoSchedule' }] }));
  assert.deepEqual(filterNode(schedulingPod(pod('p')), n)?.reasons, ['node(s) had untolerated taint {dedicated: gpu}']);
  const ok = pod('p', { tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'gpu', effect: 'NoSchedule' }] });
  assert.equal(filterNode(schedulingPod(ok), n), undefined);
  const exec = one(node('n1', { taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] }));
  assert.deepEqual(filterNode(schedulingPod(pod('p')), exec)?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
});

test('a node that is not Ready counts as tainted even before the lifecycle controller taints it', () => {
  const unknown = one(node('n1', { ready: 'Unknown' }));
  assert.deepEqual(effectiveTaints(unknown), [{ key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]);
  assert.deepEqual(filterNode(schedulingPod(pod('p')), unknown)?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/unreachable: }']);
  const fresh = one(node('n1', { ready: null }));
  assert.deepEqual(filterNode(schedulingPod(pod('p')), fresh)?.reasons, ['node(s) had untolerated taint {node.kubernetes.io/not-ready: }']);
  // A DaemonSet-style pod tolerating not-ready may still go there.
  const ds = pod('p', { tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists' }] });
  assert.equal(filterNode(schedulingPod(ds), fresh), undefined);
  // Already tainted: not added twice.
  const tainted = one(node('n1', { ready: 'False', taints: [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }] }));
  assert.equal(effectiveTaints(tainted).length, 1);
});

test('nodeSelector and required node affinity', () => {
  const labels = { zone: 'a', gen: '5' };
  const term = (exprs: unknown[]) => ({ nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: exprs }] } } });
  const spec = (o: object) => schedulingPod(pod('p', o)).spec;
  assert.ok(matchesNodeSelectorAndAffinity(spec({ nodeSelector: { zone: 'a' } }), labels, 'n1'));
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ nodeSelector: { zone: 'b' } }), labels, 'n1'));
  assert.ok(matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'zone', operator: 'In', values: ['a', 'b'] }]) }), labels, 'n1'));
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'zone', operator: 'NotIn', values: ['a'] }]) }), labels, 'n1'));
  assert.ok(matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'ssd', operator: 'DoesNotExist' }]) }), labels, 'n1'));
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'ssd', operator: 'Exists' }]) }), labels, 'n1'));
  assert.ok(matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'gen', operator: 'Gt', values: ['4'] }]) }), labels, 'n1'));
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'gen', operator: 'Lt', values: ['4'] }]) }), labels, 'n1'));
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: term([{ key: 'zone', operator: 'Gt', values: ['1'] }]) }), labels, 'n1'), 'Gt on a non-integer label never matches');
  const byName = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }, { matchExpressions: [{ key: 'zone', operator: 'In', values: ['z'] }] }] } } };
  assert.ok(matchesNodeSelectorAndAffinity(spec({ affinity: byName }), labels, 'n2'), 'terms are ORed');
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: byName }), labels, 'n1'));
  const empty = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{}] } } };
  assert.ok(!matchesNodeSelectorAndAffinity(spec({ affinity: empty }), labels, 'n1'), 'an empty term matches nothing');
  const n = one(node('n1', { labels }));
  assert.deepEqual(filterNode(schedulingPod(pod('p', { nodeSelector: { zone: 'b' } })), n), {
    code: 'UnschedulableAndUnresolvable',
    reasons: ["node(s) didn't match Pod's node affinity/selector"],
  });
  const preferred = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [
    { weight: 10, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] } },
    { weight: 5, preference: { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] } },
  ] } };
  assert.equal(preferredAffinityScore(spec({ affinity: preferred }), labels, 'n1'), 10);
});

test('host ports clash on the same protocol and port when either side binds every address', () => {
  const busy = pod('old', { nodeName: 'n1', hostPort: 8080, phase: 'Running' });
  const n = one(node('n1'), [busy]);
  assert.deepEqual(filterNode(schedulingPod(pod('p', { hostPort: 8080 })), n), {
    code: 'Unschedulable',
    reasons: ["node(s) didn't have free ports for the requested pod ports"],
  });
  assert.equal(filterNode(schedulingPod(pod('p', { hostPort: 8081 })), n), undefined);
  const specific = one(node('n1'), [pod('old', { nodeName: 'n1', hostPort: 8080, hostIP: '10.0.0.1' })]);
  assert.equal(filterNode(schedulingPod(pod('p', { hostPort: 8080, hostIP: '10.0.0.2' })), specific), undefined);
  assert.ok(filterNode(schedulingPod(pod('p', { hostPort: 8080 })), specific), '0.0.0.0 clashes with any address');
});

test('resources: allocatable minus what the node\'s pods request, every shortfall reported', () => {
  const n = one(node('n1', { cpu: '1', memory: '1Gi', pods: '2', extra: { 'example.com/gpu': '1' } }), [
    pod('a', { nodeName: 'n1', cpu: '600m', memory: '512Mi', phase: 'Running' }),
  ]);
  const p = (o: object) => schedulingPod(pod('p', o)).info;
  assert.deepEqual(insufficientResources(p({ cpu: '400m', memory: '512Mi' }), n), [], 'exactly full fits');
  assert.deepEqual(insufficientResources(p({ cpu: '500m', memory: '600Mi' }), n), ['Insufficient cpu', 'Insufficient memory']);
  assert.deepEqual(insufficientResources(p({ extra: { 'example.com/gpu': '2' } }), n), ['Insufficient example.com/gpu']);
  assert.deepEqual(insufficientResources(p({ extra: { 'example.com/tpu': '1' } }), n), ['Insufficient example.com/tpu'], 'a resource the node lacks');
  const full = one(node('n1', { pods: '1' }), [pod('a', { nodeName: 'n1', phase: 'Running' })]);
  assert.deepEqual(insufficientResources(p({}), full), ['Too many pods'], 'even a pod requesting nothing needs a pod slot');
  assert.deepEqual(filterNode(schedulingPod(pod('p', { cpu: '2' })), n), { code: 'Unschedulable', reasons: ['Insufficient cpu'] });
});

test('the first rejecting filter decides, in upstream order', () => {
  const n = one(node('n1', { unschedulable: true, taints: [{ key: 't', effect: 'NoSchedule' }], cpu: '1' }));
  assert.deepEqual(filterNode(schedulingPod(pod('p', { cpu: '2', nodeSelector: { x: 'y' } })), n)?.reasons, ['node(s) were unschedulable']);
});
