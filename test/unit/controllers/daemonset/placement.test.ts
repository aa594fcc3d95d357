import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { daemonPodTolerations, nodeShouldRunDaemonPod, targetNodeName } from '../../../../src/controllers/daemonset/placement.js';
import { daemonPod } from '../../../../src/controllers/daemonset/pods.js';

const node = (name: string, labels: Record<string, string> = {}, taints: unknown[] = []): KObject => ({ metadata: { name, labels }, spec: { taints } });
const ds = (tspec: Record<string, unknown> = {}): KObject => ({
  metadata: { name: 'agent', namespace: 'ns', uid: 'ds-uid' },
  spec: { selector: { matchLabels: { app: 'a' } }, template: { metadata: { labels: { app: 'a' } }, spec: { containers: [{ name: 'a', image: 'busybox' }], ...tspec } } },
});

test('nodeSelector and required node affinity choose the nodes', () => {
  const d = ds({ nodeSelector: { disk: 'ssd' } });
  assert.deepEqual(nodeShouldRunDaemonPod(node('n1', { disk: 'ssd' }), d), { shouldRun: true, shouldContinueRunning: true });
  assert.deepEqual(nodeShouldRunDaemonPod(node('n2'), d), { shouldRun: false, shouldContinueRunning: false });
  const byName = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] } } } });
  assert.equal(nodeShouldRunDaemonPod(node('n1'), byName).shouldRun, false);
  assert.equal(nodeShouldRunDaemonPod(node('n2'), byName).shouldRun, true);
  assert.equal(nodeShouldRunDaemonPod(node('n1'), ds({ nodeName: 'n2' })).shouldRun, false);
});

test('taints: the daemon tolerations cover node problems; a NoSchedule taint keeps new pods off but lets existing ones stay', () => {
  const notReady = node('n1', {}, [{ key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]);
  assert.deepEqual(nodeShouldRunDaemonPod(notReady, ds()), { shouldRun: true, shouldContinueRunning: true });
  const dedicated = node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]);
  assert.deepEqual(nodeShouldRunDaemonPod(dedicated, ds()), { shouldRun: false, shouldContinueRunning: true });
  const evicting = node('n1', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]);
  assert.deepEqual(nodeShouldRunDaemonPod(evicting, ds()), { shouldRun: false, shouldContinueRunning: false });
  assert.deepEqual(nodeShouldRunDaemonPod(evicting, ds({ tolerations: [{ operator: 'Exists' }] })), { shouldRun: true, shouldContinueRunning: true });
  // network-unavailable is tolerated by host-network daemons only.
  assert.equal(daemonPodTolerations({ containers: [] }).some((t) => t.key === 'node.kubernetes.io/network-unavailable'), false);
  assert.equal(daemonPodTolerations({ containers: [], hostNetwork: true }).some((t) => t.key === 'node.kubernetes.io/network-unavailable'), true);
  // A toleration already given is not repeated.
  assert.equal(daemonPodTolerations({ containers: [], tolerations: [{ key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute' }] }).length, 6);
});

test('a daemon pod is pinned to its node by matchFields affinity, owned by its DaemonSet and labelled with its revision', () => {
  const d = ds({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'disk', operator: 'Exists' }] }] } } } });
  const p = daemonPod(d, 'n2', 'agent-x7k2q', 'abc123', '3');
  assert.equal(p.metadata.generateName, 'agent-');
  assert.deepEqual(p.metadata.labels, { app: 'a', 'pod-template-generation': '3', 'controller-revision-hash': 'abc123' });
  assert.deepEqual(p.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'DaemonSet', name: 'agent', uid: 'ds-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual((p.spec as any).affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution, { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] }] });
  assert.equal((p.spec as any).nodeName, undefined);
  assert.equal(targetNodeName(p), 'n2');
  assert.equal(targetNodeName({ ...p, spec: { ...(p.spec as object), nodeName: 'n9' } }), 'n9');
  // The template itself is left as it was.
  assert.equal((d.spec as any).template.spec.tolerations, undefined);
});
