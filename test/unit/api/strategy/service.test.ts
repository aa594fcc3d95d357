import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceStrategy } from '../../../../src/api/strategy/service.js';
import { Registry } from '../../../../src/api/registry.js';

test('a Service turned from NodePort to ClusterIP drops the node ports it kept unchanged', () => {
  const old = { metadata: { name: 's' }, spec: { type: 'NodePort', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Cluster' } };
  const next = { metadata: { name: 's' }, spec: { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30080 }], externalTrafficPolicy: 'Cluster' } };
  serviceStrategy.prepareForUpdate!(next, old);
  assert.deepEqual(next.spec, { type: 'ClusterIP', clusterIP: '10.96.0.5', ports: [{ port: 80 }] });
});

test('deleting a Service answers with the object, and kinds without a strategy get none', () => {
  const reg = new Registry();
  assert.equal(reg.kind('', 'Service')!.strategy, serviceStrategy);
  assert.equal(serviceStrategy.returnDeletedObject, true);
  assert.equal(reg.kind('', 'ConfigMap')!.strategy, undefined);
});
