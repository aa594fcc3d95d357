import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goArch, memTotalKi, newNode, nodeStatus, osImageFrom } from '../../../../src/node/kubelet/node-status.js';
import { leaseFor, leaseTiming, microTime } from '../../../../src/node/kubelet/node-lease.js';
import { nodeMonitorGracePeriodFromEnv, parseAgentArgs } from '../../../../src/node/main.js';

const machine = { cpus: 4, memoryKi: 8_000_000, ephemeralStorageKi: 1_000_000, kernelVersion: '6.1.0', osImage: 'Debian GNU/Linux 12 (bookworm)', architecture: 'amd64' };
const id = { name: 'skiff-node-1', internalIP: '172.18.0.2', podCIDR: '10.244.0.0/24', runtimeVersion: 'skiff://0.1.0' };

test('machine facts parse as upstream reports them', () => {
  assert.equal(memTotalKi('MemTotal:       16318540 kB\nMemFree: 1 kB\n'), 16318540);
  assert.equal(osImageFrom('NAME="Debian"\nPRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n'), 'Debian GNU/Linux 12 (bookworm)');
  assert.equal(goArch('x64'), 'amd64');
  assert.equal(goArch('arm64'), 'arm64');
});

test('a new Node: labels, pod CIDR, capacity, allocatable, addresses, conditions, nodeInfo', () => {
  const n = newNode(id, machine, '2025-01-01T00:00:00Z') as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(n.metadata.labels['kubernetes.io/hostname'], 'skiff-node-1');
  assert.equal(n.metadata.labels['kubernetes.io/os'], 'linux');
  assert.equal(n.metadata.labels['kubernetes.io/arch'], 'amd64');
  assert.equal(Object.keys(n.metadata.labels).some((k) => k.startsWith('node-role')), false);
  assert.deepEqual(n.spec, { podCIDR: '10.244.0.0/24', podCIDRs: ['10.244.0.0/24'] });
  assert.equal(n.status.capacity.cpu, '4');
  assert.equal(n.status.capacity.memory, '8000000Ki');
  assert.equal(n.status.capacity.pods, '110');
  assert.equal(n.status.allocatable.memory, `${8_000_000 - 102_400}Ki`);
  assert.deepEqual(n.status.addresses, [{ type: 'InternalIP', address: '172.18.0.2' }, { type: 'Hostname', address: 'skiff-node-1' }]);
  const ready = n.status.conditions.find((c: { type: string }) => c.type === 'Ready');
  assert.deepEqual([ready.status, ready.reason, ready.message], ['True', 'KubeletReady', 'kubelet is posting ready status']);
  assert.deepEqual(n.status.conditions.map((c: { type: string; reason: string }) => `${c.type}:${c.reason}`), [
    'MemoryPressure:KubeletHasSufficientMemory', 'DiskPressure:KubeletHasNoDiskPressure', 'PIDPressure:KubeletHasSufficientPID', 'Ready:KubeletReady',
  ]);
  assert.equal(n.status.nodeInfo.kubeletVersion, 'v1.32.0');
  assert.equal(n.status.nodeInfo.containerRuntimeVersion, 'skiff://0.1.0');
  assert.equal(n.status.nodeInfo.operatingSystem, 'linux');
  // Heartbeats move lastHeartbeatTime but keep lastTransitionTime.
  const later = nodeStatus(id, machine, n.status, '2025-01-01T00:00:10Z') as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(later.conditions[3].lastHeartbeatTime, '2025-01-01T00:00:10Z');
  assert.equal(later.conditions[3].lastTransitionTime, '2025-01-01T00:00:00Z');
});

test('lease: holder, 40 s duration, MicroTime renewTime, owned by the Node', () => {
  const l = leaseFor('skiff-node-1', { metadata: { name: 'skiff-node-1', uid: 'nu' } }, Date.parse('2025-01-01T00:00:00.123Z')) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.deepEqual(l.spec, { holderIdentity: 'skiff-node-1', leaseDurationSeconds: 40, renewTime: '2025-01-01T00:00:00.123000Z' });
  assert.equal(l.metadata.namespace, 'kube-node-lease');
  assert.deepEqual(l.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Node', name: 'skiff-node-1', uid: 'nu' }]);
  assert.equal(microTime(0), '1970-01-01T00:00:00.000000Z');
});

test('lease timing: 40 s renewed every 10 s, shortened to fit a shorter node monitor grace period', () => {
  assert.deepEqual(leaseTiming(), { durationSeconds: 40, renewIntervalMs: 10_000 });
  assert.deepEqual(leaseTiming(50), { durationSeconds: 40, renewIntervalMs: 10_000 });
  assert.deepEqual(leaseTiming(4), { durationSeconds: 4, renewIntervalMs: 1_000 });
  assert.deepEqual(leaseTiming(2.5), { durationSeconds: 2, renewIntervalMs: 500 });
  assert.deepEqual(leaseTiming(0.5), { durationSeconds: 1, renewIntervalMs: 250 });
  assert.equal((leaseFor('n', undefined, 0, undefined, 4).spec as { leaseDurationSeconds: number }).leaseDurationSeconds, 4);
  assert.equal(nodeMonitorGracePeriodFromEnv({ SKIFF_NODE_MONITOR_GRACE_PERIOD: '4' }), 4);
  assert.equal(nodeMonitorGracePeriodFromEnv({}), undefined);
  assert.equal(nodeMonitorGracePeriodFromEnv({ SKIFF_NODE_MONITOR_GRACE_PERIOD: 'soon' }), undefined);
});

test('agent arguments', () => {
  assert.deepEqual(parseAgentArgs(['--cluster', 'c', '--home', '/h', '--node', 'c-node-1', '--index', '0']), { cluster: 'c', home: '/h', node: 'c-node-1', index: 0 });
  assert.deepEqual(parseAgentArgs(['--cluster=c', '--home=/h', '--node=n', '--index=2']).index, 2);
  assert.throws(() => parseAgentArgs(['--cluster', 'c']), /missing --home/);
});
