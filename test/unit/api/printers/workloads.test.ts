import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hpaPrinter } from '../../../../src/api/printers/hpa.js';
import { deploymentPrinter, replicaSetPrinter } from '../../../../src/api/printers/workloads.js';
import { NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintDeployment, TestPrintReplicaSet and TestPrintHPA.

const template = {
  spec: {
    containers: [
      { name: 'fake-container1', image: 'fake-image1' },
      { name: 'fake-container2', image: 'fake-image2' },
    ],
  },
};

test('deployments: ready/desired, up-to-date, available; wide containers, images, selector', () => {
  const d = obj(
    { name: 'test1', creationTimestamp: ago(-1.9 * SECOND) },
    {
      spec: { replicas: 5, template, selector: { matchLabels: { foo: 'bar' } } },
      status: { replicas: 10, updatedReplicas: 2, availableReplicas: 1, unavailableReplicas: 4 },
    },
  );
  assert.deepEqual(deploymentPrinter.cells(d, NOW), ['test1', '0/5', 2, 1, '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  const empty = obj({ name: 'd' }, { spec: { replicas: 1, template: { spec: { containers: [] } }, selector: {} } });
  assert.deepEqual(deploymentPrinter.cells(empty, NOW).slice(5), ['', '', '']);
});

test('replicasets: desired, current, ready; wide selector', () => {
  const rs = obj(
    { name: 'test1', creationTimestamp: ago(-1.9 * SECOND) },
    { spec: { replicas: 5, template, selector: { matchLabels: { foo: 'bar' } } }, status: { replicas: 5, readyReplicas: 2 } },
  );
  assert.deepEqual(replicaSetPrinter.cells(rs, NOW), ['test1', 5, 5, 2, '0s', 'fake-container1,fake-container2', 'fake-image1,fake-image2', 'foo=bar']);
  const bare = obj({ name: 'replicaset2', creationTimestamp: ago(0) }, { spec: { replicas: 4, template: {} }, status: { replicas: 3, readyReplicas: 1 } });
  assert.deepEqual(replicaSetPrinter.cells(bare, NOW), ['replicaset2', 4, 3, 1, '0s', '', '', '<none>']);
});

function hpa(spec: Record<string, unknown>, status: Record<string, unknown> = {}): unknown[] {
  return hpaPrinter.cells(
    obj({ name: 'some-hpa' }, { spec: { scaleTargetRef: { name: 'some-rc', kind: 'ReplicationController' }, maxReplicas: 10, ...spec }, status: { currentReplicas: 4, desiredReplicas: 5, ...status } }),
    NOW,
  );
}

function targets(metrics: unknown[], currentMetrics?: unknown[]): unknown {
  return hpa({ minReplicas: 2, metrics }, currentMetrics ? { currentMetrics } : {})[2];
}

const selector = { matchLabels: { label: 'value' } };

test('hpa: reference, min/max pods, replicas', () => {
  assert.deepEqual(hpa({}), ['some-hpa', 'ReplicationController/some-rc', '<none>', '<unset>', 10, 4, '<unknown>']);
  assert.deepEqual(hpa({ minReplicas: 2, scaleTargetRef: { kind: 'Deployment', name: 'web', apiVersion: 'apps/v1' } }).slice(1, 4), ['Deployment/web', '<none>', '2']);
});

test('hpa targets for each metric source type', () => {
  const extAvg = { type: 'External', external: { metric: { name: 'some-external-metric', selector }, target: { type: 'AverageValue', averageValue: '100m' } } };
  assert.equal(targets([extAvg]), '<unknown>/100m (avg)');
  assert.equal(
    targets([extAvg], [{ type: 'External', external: { metric: { name: 'some-external-metric', selector }, current: { averageValue: '50m' } } }]),
    '50m/100m (avg)',
  );
  const extVal = { type: 'External', external: { metric: { name: 'some-service-metric', selector }, target: { type: 'Value', value: '100m' } } };
  assert.equal(targets([extVal]), '<unknown>/100m');
  assert.equal(targets([extVal], [{ type: 'External', external: { metric: { name: 'some-external-metric' }, current: { value: '50m' } } }]), '50m/100m');

  const pods = { type: 'Pods', pods: { metric: { name: 'some-pods-metric' }, target: { type: 'AverageValue', averageValue: '100m' } } };
  assert.equal(targets([pods]), '<unknown>/100m');
  assert.equal(targets([pods], [{ type: 'Pods', pods: { metric: { name: 'some-pods-metric' }, current: { averageValue: '50m' } } }]), '50m/100m');

  const object = {
    type: 'Object',
    object: { describedObject: { name: 'some-service', kind: 'Service' }, metric: { name: 'some-service-metric' }, target: { type: 'Value', value: '100m' } },
  };
  assert.equal(targets([object]), '<unknown>/100m');
  assert.equal(
    targets([object], [{ type: 'Object', object: { describedObject: { name: 'some-service', kind: 'Service' }, metric: { name: 'some-service-metric' }, current: { value: '50m' } } }]),
    '50m/100m',
  );

  const cpuVal = { type: 'Resource', resource: { name: 'cpu', target: { type: 'AverageValue', averageValue: '100m' } } };
  assert.equal(targets([cpuVal]), 'cpu: <unknown>/100m');
  assert.equal(targets([cpuVal], [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: '50m' } } }]), 'cpu: 50m/100m');
  const cpuUtil = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } };
  assert.equal(targets([cpuUtil]), 'cpu: <unknown>/80%');
  assert.equal(targets([cpuUtil], [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '40m' } } }]), 'cpu: 50%/80%');

  const ctrUtil = { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'application', target: { type: 'Utilization', averageUtilization: 80 } } };
  assert.equal(targets([ctrUtil]), 'cpu: <unknown>/80%');
  assert.equal(
    targets([ctrUtil], [{ type: 'ContainerResource', containerResource: { name: 'cpu', container: 'application', current: { averageUtilization: 50, averageValue: '40m' } } }]),
    'cpu: 50%/80%',
  );
  const ctrVal = { type: 'ContainerResource', containerResource: { name: 'cpu', container: 'application', target: { type: 'AverageValue', averageValue: '100m' } } };
  assert.equal(targets([ctrVal]), 'cpu: <unknown>/100m');
});

test('hpa targets of cpu and memory, as kubectl 1.32 prints several metrics', () => {
  const cpu = { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } };
  const memory = { type: 'Resource', resource: { name: 'memory', target: { type: 'AverageValue', averageValue: '100Mi' } } };
  const memoryUtil = { type: 'Resource', resource: { name: 'memory', target: { type: 'Utilization', averageUtilization: 80 } } };
  const cpuStatus = { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 12, averageValue: '24m' } } };
  const memoryStatus = { type: 'Resource', resource: { name: 'memory', current: { averageValue: '52428800' } } };
  assert.equal(targets([cpu, memory]), 'cpu: <unknown>/50%, memory: <unknown>/100Mi');
  assert.equal(targets([cpu, memory], [cpuStatus, memoryStatus]), 'cpu: 12%/50%, memory: 52428800/100Mi');
  // A metric that failed keeps an empty status at its position: that one is <unknown>, the other measured.
  assert.equal(targets([cpu, memory], [{ type: '' }, memoryStatus]), 'cpu: <unknown>/50%, memory: 52428800/100Mi');
  assert.equal(targets([cpu, memory, memoryUtil], [cpuStatus, memoryStatus, { type: '' }]), 'cpu: 12%/50%, memory: 52428800/100Mi + 1 more...');
  assert.equal(targets([cpu, memory, memoryUtil, cpu, memory]), 'cpu: <unknown>/50%, memory: <unknown>/100Mi + 3 more...');
});

test('hpa targets list at most two metrics', () => {
  assert.equal(
    targets(
      [
        { type: 'Pods', pods: { metric: { name: 'some-pods-metric' }, target: { type: 'AverageValue', averageValue: '100m' } } },
        { type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } },
        { type: 'Pods', pods: { metric: { name: 'other-pods-metric' }, target: { type: 'AverageValue', averageValue: '400m' } } },
      ],
      [
        { type: 'Pods', pods: { metric: { name: 'some-pods-metric' }, current: { averageValue: '50m' } } },
        { type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: 50, averageValue: '40m' } } },
      ],
    ),
    '50m/100m, cpu: 50%/80% + 1 more...',
  );
});
