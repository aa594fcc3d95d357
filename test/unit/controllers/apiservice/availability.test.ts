import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableStatus, decide, discoveryResult, withCondition } from '../../../../src/controllers/apiservice/availability.js';
import { metricsAPIService, metricsServerService } from '../../../../src/controllers/addons/metrics-server.js';
import { availableCell } from '../../../../src/api/printers/apiservice.js';
import type { KObject } from '../../../../src/api/types.js';

const slice = (ready: boolean): KObject => ({
  apiVersion: 'discovery.k8s.io/v1',
  kind: 'EndpointSlice',
  metadata: { name: 's', namespace: 'kube-system', labels: { 'kubernetes.io/service-name': 'metrics-server' } },
  ports: [{ name: 'https', port: 10250 }],
  endpoints: [{ addresses: ['10.244.0.3'], conditions: { ready }, nodeName: 'n1' }],
});

test('an APIService is Available as kube-aggregator decides', () => {
  const a = metricsAPIService();
  assert.deepEqual(decide(a, undefined, []), {
    condition: { type: 'Available', status: 'False', reason: 'ServiceNotFound', message: 'service/metrics-server in "kube-system" is not present' },
  });
  assert.deepEqual(decide(a, metricsServerService(), [slice(false)]), {
    condition: { type: 'Available', status: 'False', reason: 'MissingEndpoints', message: 'endpoints for service/metrics-server in "kube-system" have no addresses with port name "https"' },
  });
  const d = decide(a, metricsServerService(), [slice(true)]);
  assert.deepEqual(d, { check: { ip: '10.244.0.3', port: 10250, node: 'n1' } });
  assert.equal(discoveryResult(a, { ip: '10.244.0.3', port: 10250 }, undefined).reason, 'Passed');
  assert.equal(
    discoveryResult(a, { ip: '10.244.0.3', port: 10250 }, 'connection refused').message,
    'failing or missing response from https://10.244.0.3:10250/apis/metrics.k8s.io/v1beta1: connection refused',
  );
  const local = { ...a, spec: { group: 'apps', version: 'v1' } };
  assert.deepEqual(decide(local, undefined, []), { condition: { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' } });
});

test('the condition changes only when it differs, keeping its transition time while the status holds', () => {
  const a = metricsAPIService();
  const missing = { type: 'Available' as const, status: 'False' as const, reason: 'MissingEndpoints', message: 'm' };
  const s1 = withCondition(a, missing, 't1');
  assert.ok(s1);
  const a1 = { ...a, status: s1 };
  assert.equal(availableStatus(a), undefined);
  assert.equal(availableStatus(a1), 'False');
  assert.equal(withCondition(a1, missing, 't2'), undefined);
  const failed = withCondition(a1, { ...missing, reason: 'FailedDiscoveryCheck' }, 't3') as { conditions: { lastTransitionTime: string }[] };
  assert.equal(failed.conditions[0].lastTransitionTime, 't1');
  assert.equal(availableCell(s1), 'False (MissingEndpoints)');
  assert.equal(availableCell({}), 'Unknown');
});
