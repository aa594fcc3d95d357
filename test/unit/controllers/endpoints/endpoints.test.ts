import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { ANNOTATION_OVER_CAPACITY, LABEL_MANAGED_BY, planEndpoints } from '../../../../src/controllers/endpoints/sync.js';
import { desiredSubsets, truncate, type EndpointSubset } from '../../../../src/controllers/endpoints/subsets.js';

function svc(spec: Record<string, unknown> = {}, labels?: Record<string, string>): KObject {
  return {
    metadata: { name: 'manage', namespace: 'ns', uid: 'svc-uid', labels },
    spec: { clusterIP: '10.96.1.20', ipFamilies: ['IPv4'], selector: { app: 'manage' }, ports: [{ name: 'http', port: 8088, targetPort: 'http', protocol: 'TCP' }], ...spec },
  };
}

let seq = 0;
function pod(o: { ip?: string; ready?: boolean; deleting?: boolean; port?: number; node?: string } = {}): KObject {
  const name = `manage-${seq++}`;
  const ip = o.ip ?? `10.244.0.${seq + 1}`;
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'manage' }, ...(o.deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'node-1', containers: [{ name: 'c', ports: [{ name: 'http', containerPort: o.port ?? 8088 }] }] },
    status: { phase: 'Running', podIP: ip, podIPs: [{ ip }], conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  };
}

const ref = (p: KObject) => ({ kind: 'Pod', namespace: 'ns', name: p.metadata.name, uid: p.metadata.uid });

test('ready and not-ready pods sharing ports share one subset; named ports resolve per pod', () => {
  const a = pod({ ip: '10.244.0.10' });
  const b = pod({ ip: '10.244.0.9', ready: false });
  const c = pod({ ip: '10.244.0.11', port: 9000 });
  const subsets = desiredSubsets(svc(), [a, b, c]);
  assert.deepEqual(subsets, [
    {
      addresses: [{ ip: '10.244.0.10', nodeName: 'node-1', targetRef: ref(a) }],
      notReadyAddresses: [{ ip: '10.244.0.9', nodeName: 'node-1', targetRef: ref(b) }],
      ports: [{ name: 'http', port: 8088, protocol: 'TCP' }],
    },
    { addresses: [{ ip: '10.244.0.11', nodeName: 'node-1', targetRef: ref(c) }], ports: [{ name: 'http', port: 9000, protocol: 'TCP' }] },
  ]);
});

test('addresses sort numerically and unnamed ports carry no name', () => {
  const service = svc({ ports: [{ port: 8080, targetPort: 8080, protocol: 'TCP' }] });
  const subsets = desiredSubsets(service, [pod({ ip: '10.244.0.10' }), pod({ ip: '10.244.0.9' })]);
  assert.deepEqual(subsets[0].addresses?.map((a) => a.ip), ['10.244.0.9', '10.244.0.10']);
  assert.deepEqual(subsets[0].ports, [{ port: 8080, protocol: 'TCP' }]);
});

test('terminating pods leave the Endpoints unless publishNotReadyAddresses, which also makes every address ready', () => {
  const live = pod({ ready: false });
  const dying = pod({ deleting: true });
  assert.deepEqual(desiredSubsets(svc(), [live, dying]).flatMap((s) => [...(s.addresses ?? []), ...(s.notReadyAddresses ?? [])]).map((a) => a.targetRef?.name), [live.metadata.name]);
  const published = desiredSubsets(svc({ publishNotReadyAddresses: true }), [live, dying]);
  assert.equal(published.length, 1);
  assert.equal(published[0].addresses?.length, 2);
  assert.equal(published[0].notReadyAddresses, undefined);
});

test('create with the Service labels and the managed-by label; nothing to do when equal; update on a readiness change', () => {
  const pods = [pod(), pod()];
  const first = planEndpoints(svc({}, { app: 'manage' }), pods, undefined);
  assert.equal(first.action, 'create');
  assert.deepEqual(first.endpoints.metadata.labels, { app: 'manage', [LABEL_MANAGED_BY]: 'endpoint-controller' });
  assert.equal(first.endpoints.metadata.name, 'manage');
  const stored: KObject = { ...structuredClone(first.endpoints), metadata: { ...first.endpoints.metadata, resourceVersion: '7', uid: 'e1' } };
  assert.equal(planEndpoints(svc({}, { app: 'manage' }), [...pods].reverse(), stored).action, 'none');
  (pods[0].status as { conditions: unknown[] }).conditions = [{ type: 'Ready', status: 'False' }];
  const next = planEndpoints(svc({}, { app: 'manage' }), pods, stored);
  assert.equal(next.action, 'update');
  if (next.action !== 'update') return;
  assert.equal(next.endpoints.metadata.resourceVersion, '7');
  const [s] = next.endpoints.subsets as EndpointSubset[];
  assert.deepEqual(s.notReadyAddresses?.map((a) => a.targetRef?.name), [pods[0].metadata.name]);
});

test('a headless Service is labelled as such; with no ports its addresses go port-less', () => {
  const plan = planEndpoints(svc({ clusterIP: 'None', ports: [] }), [pod()], undefined);
  assert.equal(plan.action, 'create');
  assert.equal(plan.endpoints.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.deepEqual((plan.endpoints.subsets as EndpointSubset[])[0].ports, undefined);
  // A ClusterIP Service without ports lists nobody.
  const noPorts = planEndpoints(svc({ ports: [] }), [pod()], undefined);
  assert.ok(noPorts.action === 'create' && noPorts.endpoints.subsets === undefined);
});

test('beyond 1000 addresses the Endpoints are truncated, not-ready ones first, and annotated', () => {
  const pods = Array.from({ length: 1005 }, (_, i) => pod({ ip: `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}`, ready: i >= 990 ? false : true }));
  const plan = planEndpoints(svc(), pods, undefined);
  assert.equal(plan.action, 'create');
  const subsets = plan.endpoints.subsets as EndpointSubset[];
  assert.equal(subsets[0].addresses?.length, 990);
  assert.equal(subsets[0].notReadyAddresses?.length, 10);
  assert.equal(plan.endpoints.metadata.annotations?.[ANNOTATION_OVER_CAPACITY], 'truncated');
  const stored: KObject = { ...plan.endpoints, metadata: { ...plan.endpoints.metadata, resourceVersion: '1' } };
  assert.equal(planEndpoints(svc(), pods, stored).action, 'none');
  // Too many ready addresses: each subset keeps its share and no not-ready ones remain.
  const many: EndpointSubset[] = [
    { addresses: Array.from({ length: 900 }, (_, i) => ({ ip: `10.2.0.${i}` })), notReadyAddresses: [{ ip: '10.3.0.1' }] },
    { addresses: Array.from({ length: 300 }, (_, i) => ({ ip: `10.2.1.${i}` })) },
  ];
  const t = truncate(many);
  assert.equal(t.truncated, true);
  assert.deepEqual(t.subsets.map((s) => [s.addresses?.length, s.notReadyAddresses]), [[750, undefined], [250, undefined]]);
});
