import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../../../src/api/types.js';
import { planZtunnels } from '../../../../src/controllers/addons/ztunnel.js';

const node = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Node', metadata: { name } }) as KObject;
const pod = (name: string, nodeName: string, deleting = false): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: 'istio-system', name, ...(deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) }, spec: { nodeName } }) as KObject;

test('a node without a ztunnel gets one; a covered node gets none', () => {
  assert.deepEqual(planZtunnels([node('b'), node('a')], []), { create: ['a', 'b'], remove: [] });
  assert.deepEqual(planZtunnels([node('a'), node('b')], [pod('ztunnel-a', 'a')]), { create: ['b'], remove: [] });
});

test('a pod whose node is gone is removed, once', () => {
  assert.deepEqual(planZtunnels([node('a')], [pod('ztunnel-a', 'a'), pod('ztunnel-gone', 'gone')]), { create: [], remove: ['ztunnel-gone'] });
  assert.deepEqual(planZtunnels([node('a')], [pod('ztunnel-a', 'a'), pod('ztunnel-gone', 'gone', true)]), { create: [], remove: [] });
});

test('a ztunnel on its way out still covers its node: its successor waits for the name', () => {
  assert.deepEqual(planZtunnels([node('a')], [pod('ztunnel-a', 'a', true)]), { create: [], remove: [] });
});
