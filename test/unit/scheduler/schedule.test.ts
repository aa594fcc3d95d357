import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fitErrorMessage, reasonHistogram, schedulePod, truncateMessage } from '../../../src/scheduler/schedule.js';
import { node, nodeInfos, pod } from './fixtures.js';

test('FailedScheduling message: reasons counted, sorted as strings, then the preemption verdict', () => {
  const nodes = nodeInfos([node('n1', { cpu: '1' }), node('n2', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }] })]);
  const r = schedulePod(pod('p', { cpu: '2' }), nodes);
  assert.deepEqual(r, {
    message:
      '0/2 nodes are available: 1 Insufficient cpu, 1 node(s) had untolerated taint {node.kubernetes.io/unreachable: }. ' +
      'preemption: 0/2 nodes are available: 1 No preemption victims found for incoming pod, 1 Preemption is not helpful for scheduling.',
  });
});

test('only unresolvable reasons: preemption is not helpful anywhere', () => {
  const nodes = nodeInfos([node('a', { labels: { zone: 'x' } }), node('b'), node('c')]);
  const r = schedulePod(pod('p', { nodeSelector: { zone: 'y' } }), nodes);
  assert.deepEqual(r, {
    message: "0/3 nodes are available: 3 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling.",
  });
});

test('several reasons on one node each count; preemptionPolicy Never says so', () => {
  const nodes = nodeInfos([node('a', { cpu: '1', memory: '1Gi' }), node('b', { cpu: '1', memory: '8Gi' })]);
  const r = schedulePod(pod('p', { cpu: '2', memory: '2Gi', preemptionPolicy: 'Never' }), nodes);
  assert.deepEqual(r, { message: '0/2 nodes are available: 1 Insufficient memory, 2 Insufficient cpu. preemption: not eligible due to preemptionPolicy=Never.' });
});

test('no nodes at all', () => {
  assert.deepEqual(schedulePod(pod('p'), []), { message: 'no nodes available to schedule pods' });
});

test('histogram sorts like Go (byte order), so 10 comes before 2', () => {
  const s = (r: string, n: number) => Array.from({ length: n }, () => ({ code: 'Unschedulable' as const, reasons: [r] }));
  assert.equal(reasonHistogram([...s('b', 2), ...s('a', 10)]), '10 a, 2 b');
  assert.equal(fitErrorMessage(0, [], ''), '0/0 nodes are available:');
});

test('replicas of one controller spread before load is considered', () => {
  const existing = [pod('r1', { nodeName: 'n1', owner: 'rs', phase: 'Running' })];
  // n2 is busier, but n1 already holds a replica of the same ReplicaSet.
  const busy = [pod('big', { nodeName: 'n2', cpu: '1500m', phase: 'Running' })];
  const nodes = nodeInfos([node('n1'), node('n2')], [...existing, ...busy]);
  assert.deepEqual(schedulePod(pod('r2', { owner: 'rs' }), nodes), { node: 'n2' });
  // A pod of another owner goes to the least requested node.
  assert.deepEqual(schedulePod(pod('x', { owner: 'other' }), nodes), { node: 'n1' });
});

test('least requested: pods without requests still spread thanks to the scorer defaults', () => {
  const nodes = nodeInfos([node('n1'), node('n2')], [pod('a', { nodeName: 'n1', phase: 'Running' })]);
  assert.deepEqual(schedulePod(pod('b'), nodes), { node: 'n2' });
});

test('PreferNoSchedule steers away without forbidding; preferred affinity attracts', () => {
  const nodes = nodeInfos([node('n1', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] }), node('n2', { cpu: '1' })]);
  assert.deepEqual(schedulePod(pod('p'), nodes), { node: 'n2' });
  const only = nodeInfos([node('n1', { taints: [{ key: 'soft', effect: 'PreferNoSchedule' }] })]);
  assert.deepEqual(schedulePod(pod('p'), only), { node: 'n1' });
  const pref = { nodeAffinity: { preferredDuringSchedulingIgnoredDuringExecution: [{ weight: 1, preference: { matchExpressions: [{ key: 'disk', operator: 'In', values: ['ssd'] }] } }] } };
  const two = nodeInfos([node('n1'), node('n2', { labels: { disk: 'ssd' }, cpu: '1' })]);
  assert.deepEqual(schedulePod(pod('p', { affinity: pref }), two), { node: 'n2' });
});

test('long messages are truncated for events', () => {
  assert.equal(truncateMessage('short'), 'short');
  const long = truncateMessage('x'.repeat(2000));
  assert.equal(long.length, 1024);
  assert.ok(long.endsWith(' ...'));
});
