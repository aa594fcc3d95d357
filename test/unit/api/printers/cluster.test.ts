import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventPrinter } from '../../../../src/api/printers/event.js';
import { namespacePrinter } from '../../../../src/api/printers/namespace.js';
import { nodePrinter } from '../../../../src/api/printers/node.js';
import { leasePrinter } from '../../../../src/api/printers/lease.js';
import { configMapPrinter, secretPrinter, serviceAccountPrinter } from '../../../../src/api/printers/config.js';
import { DAY, MINUTE, NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintNodeStatus, TestPrintNodeRole, TestPrintNode*IP,
// TestPrintNodeOSImage, TestPrintEvent, TestPrintNamespace, TestPrintSecret,
// TestPrintServiceAccount, TestPrintConfigMap and TestPrintLease.

function node(name: string, rest: Record<string, unknown>, labels?: Record<string, string>): unknown[] {
  return nodePrinter.cells(obj({ name, labels }, rest), NOW);
}

test('node status: Ready, NotReady, Unknown, SchedulingDisabled', () => {
  const ready = { conditions: [{ type: 'Ready', status: 'True' }] };
  const notReady = { conditions: [{ type: 'Ready', status: 'False' }] };
  assert.deepEqual(node('foo1', { status: ready }).slice(0, 5), ['foo1', 'Ready', '<none>', '<unknown>', '']);
  assert.equal(node('foo2', { spec: { unschedulable: true }, status: ready })[1], 'Ready,SchedulingDisabled');
  assert.equal(node('foo3', { status: { conditions: [ready.conditions[0], ready.conditions[0]] } })[1], 'Ready');
  assert.equal(node('foo4', { status: notReady })[1], 'NotReady');
  assert.equal(node('foo5', { spec: { unschedulable: true }, status: notReady })[1], 'NotReady,SchedulingDisabled');
  assert.equal(node('foo6', { status: { conditions: [{ type: 'InvalidValue', status: 'True' }] } })[1], 'Unknown');
  assert.equal(node('foo7', { status: { conditions: [{}] } })[1], 'Unknown');
  assert.equal(node('foo9', { spec: { unschedulable: true }, status: { conditions: [{}] } })[1], 'Unknown,SchedulingDisabled');
});

test('node roles from labels, sorted', () => {
  assert.equal(node('foo9', {})[2], '<none>');
  assert.equal(
    node('foo10', {}, {
      'node-role.kubernetes.io/master': '',
      'node-role.kubernetes.io/control-plane': '',
      'node-role.kubernetes.io/proxy': '',
      'kubernetes.io/role': 'node',
    })[2],
    'control-plane,master,node,proxy',
  );
  assert.equal(node('foo11', {}, { 'kubernetes.io/role': 'node' })[2], 'node');
});

test('node wide columns: addresses and node info', () => {
  assert.deepEqual(node('foo1', { status: { nodeInfo: { osImage: 'fake-os-image' }, addresses: [{ type: 'ExternalIP', address: '1.1.1.1' }] } }), [
    'foo1',
    'Unknown',
    '<none>',
    '<unknown>',
    '',
    '<none>',
    '1.1.1.1',
    'fake-os-image',
    '<unknown>',
    '<unknown>',
  ]);
  assert.deepEqual(
    node('foo3', {
      status: {
        addresses: [
          { type: 'InternalIP', address: '2.2.2.2' },
          { type: 'ExternalIP', address: '3.3.3.3' },
          { type: 'InternalIP', address: '4.4.4.4' },
        ],
        nodeInfo: { kubeletVersion: 'v1.32.0', kernelVersion: '6.8.0', containerRuntimeVersion: 'foo://1.2.3' },
      },
    }).slice(4),
    ['v1.32.0', '2.2.2.2', '3.3.3.3', '<unknown>', '6.8.0', 'foo://1.2.3'],
  );
});

test('events: last seen, object, source, first seen, count', () => {
  const ev = (e: Record<string, unknown>, name = 'event') => eventPrinter.cells(obj({ name }, e), NOW);
  const base = {
    source: { component: 'kubelet', host: 'Node1' },
    involvedObject: { kind: 'Deployment', name: 'Deployment Name', fieldPath: 'spec.containers{foo}' },
    reason: 'Event Reason',
    message: 'Message Data',
    type: 'Warning',
  };
  assert.deepEqual(
    ev({ ...base, source: { component: 'kubelet' }, involvedObject: { kind: 'Pod', name: 'Pod Name', fieldPath: 'spec.containers{foo}' }, firstTimestamp: ago(3 * DAY), lastTimestamp: ago(2 * DAY), count: 6, type: 'Normal' }, 'event1').filter(
      (_c, i) => eventPrinter.columns[i].priority === 0,
    ),
    ['2d', 'Normal', 'Event Reason', 'pod/Pod Name', 'Message Data'],
  );
  assert.deepEqual(ev({ ...base, firstTimestamp: ago(3 * DAY), lastTimestamp: ago(2 * DAY), count: 6 }, 'event2'), [
    '2d',
    'Warning',
    'Event Reason',
    'deployment/Deployment Name',
    'spec.containers{foo}',
    'kubelet, Node1',
    'Message Data',
    '3d',
    6,
    'event2',
  ]);
  // without firstTimestamp: eventTime
  assert.deepEqual(ev({ ...base, eventTime: ago(3 * DAY), lastTimestamp: ago(3 * DAY), count: 1 }).slice(7, 9), ['3d', 1]);
  // without lastTimestamp: first seen
  assert.deepEqual([0, 7, 8].map((i) => ev({ ...base, eventTime: ago(3 * DAY), firstTimestamp: ago(3 * DAY), count: 1 })[i]), ['3d', '3d', 1]);
  // series: last observed time and series count
  assert.deepEqual([0, 7, 8].map((i) => ev({ ...base, eventTime: ago(3 * DAY), series: { count: 2, lastObservedTime: ago(2 * DAY) } })[i]), ['2d', '3d', 2]);
  // singleton event of the new API
  assert.deepEqual([0, 7, 8].map((i) => ev({ ...base, eventTime: ago(3 * DAY) })[i]), ['3d', '3d', 1]);
  // reporting controller/instance stand in for an empty source
  assert.equal(ev({ ...base, source: {}, reportingComponent: 'kubelet', reportingInstance: 'test' })[5], 'kubelet, test');
  assert.equal(ev({ ...base, source: { component: 'scheduler' } })[5], 'scheduler');
});

test('event columns: wide Subobject, Source, First Seen, Count, Name', () => {
  assert.deepEqual(
    eventPrinter.columns.map((c) => `${c.name}:${c.priority}`),
    ['Last Seen:0', 'Type:0', 'Reason:0', 'Object:0', 'Subobject:1', 'Source:1', 'Message:0', 'First Seen:1', 'Count:1', 'Name:1'],
  );
});

test('namespaces, secrets, service accounts, config maps, leases', () => {
  const soon = ago(-1.9 * SECOND);
  assert.deepEqual(namespacePrinter.cells(obj({ name: 'namespace1', creationTimestamp: soon }, { status: { phase: 'FooStatus' } }), NOW), ['namespace1', 'FooStatus', '0s']);
  assert.deepEqual(namespacePrinter.cells(obj({ name: 'namespace2' }), NOW), ['namespace2', '', '<unknown>']);
  assert.deepEqual(
    secretPrinter.cells(obj({ name: 'secret1', creationTimestamp: soon }, { type: 'kubernetes.io/service-account-token', data: { token: 'c2VjcmV0' } }), NOW),
    ['secret1', 'kubernetes.io/service-account-token', 1, '0s'],
  );
  assert.deepEqual(secretPrinter.cells(obj({ name: 'secret1', creationTimestamp: soon }, { type: 'Opaque' }), NOW), ['secret1', 'Opaque', 0, '0s']);
  assert.deepEqual(serviceAccountPrinter.cells(obj({ name: 'sa1', creationTimestamp: soon }, { secrets: [] }), NOW), ['sa1', 0, '0s']);
  assert.deepEqual(serviceAccountPrinter.cells(obj({ name: 'sa1', creationTimestamp: soon }, { secrets: [{ name: 'Secret1' }, { name: 'Secret2' }] }), NOW), ['sa1', 2, '0s']);
  assert.deepEqual(configMapPrinter.cells(obj({ name: 'configmap1', creationTimestamp: soon }), NOW), ['configmap1', 0, '0s']);
  assert.deepEqual(configMapPrinter.cells(obj({ name: 'configmap3', creationTimestamp: soon }, { data: { foo: 'bar' }, binaryData: { bin: 'YmluYXJ5' } }), NOW), [
    'configmap3',
    2,
    '0s',
  ]);
  assert.deepEqual(leasePrinter.cells(obj({ name: 'lease2', creationTimestamp: ago(5 * MINUTE) }, { spec: { holderIdentity: 'holder2' } }), NOW), ['lease2', 'holder2', '5m']);
  assert.deepEqual(leasePrinter.cells(obj({ name: 'lease3', creationTimestamp: ago(5 * MINUTE) }, { spec: {} }), NOW), ['lease3', '', '5m']);
});
