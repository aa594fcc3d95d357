import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import {
  CONTROLLER_NAME,
  LABEL_MANAGED_BY,
  LABEL_SERVICE_NAME,
  isEmptyPlan,
  planEndpointSlices,
  type Endpoint,
  type SlicePlan,
} from '../../../../src/controllers/endpointslice/reconcile.js';
import { findPort } from '../../../../src/controllers/endpointslice/service.js';
import { SliceTracker } from '../../../../src/controllers/endpointslice/tracker.js';
import { serviceKeyOfSlice, servicesForPod } from '../../../../src/controllers/endpointslice/controller.js';

function svc(spec: Record<string, unknown> = {}, labels?: Record<string, string>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'www', namespace: 'ns', uid: 'svc-uid', labels },
    spec: { clusterIP: '10.96.0.10', ipFamilies: ['IPv4'], selector: { app: 'www' }, ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }], ...spec },
  };
}

let seq = 0;
function pod(o: { ip?: string; ready?: boolean; deleting?: boolean; phase?: string; ports?: { name: string; containerPort: number }[]; name?: string } = {}): KObject {
  const name = o.name ?? `www-${seq++}`;
  return {
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, labels: { app: 'www' }, ...(o.deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: 'node-1', containers: [{ name: 'c', ports: o.ports ?? [] }] },
    status: {
      phase: o.phase ?? 'Running',
      ...(o.ip === '' ? {} : { podIP: o.ip ?? `10.244.0.${seq}`, podIPs: [{ ip: o.ip ?? `10.244.0.${seq}` }] }),
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }],
    },
  };
}

/** Applies a plan as the apiserver would, naming created slices. */
let sliceSeq = 0;
function apply(existing: KObject[], plan: SlicePlan): KObject[] {
  const gone = new Set(plan.delete.map((s) => s.metadata.name));
  const byName = new Map(existing.filter((s) => !gone.has(s.metadata.name)).map((s) => [s.metadata.name, s]));
  for (const u of plan.update) byName.set(u.metadata.name, structuredClone(u));
  for (const c of plan.create) {
    const name = `${c.metadata.generateName}s${sliceSeq++}`;
    byName.set(name, { ...structuredClone(c), metadata: { ...structuredClone(c.metadata), name, uid: `uid-${name}` } });
  }
  return [...byName.values()];
}

const eps = (s: KObject) => (s.endpoints ?? []) as Endpoint[];
const allEndpoints = (slices: KObject[]) => slices.flatMap(eps);

test('a slice per Service: generateName, reserved labels, controller owner reference, IPv4, ports resolved from targetPort', () => {
  const p = pod({ ip: '10.244.0.5' });
  const plan = planEndpointSlices(svc({}, { team: 'web' }), [p], []);
  assert.equal(plan.create.length, 1);
  const s = plan.create[0];
  assert.equal(s.metadata.generateName, 'www-');
  assert.equal(s.metadata.name, undefined);
  assert.deepEqual(s.metadata.labels, { team: 'web', [LABEL_SERVICE_NAME]: 'www', [LABEL_MANAGED_BY]: CONTROLLER_NAME });
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'www', uid: 'svc-uid', controller: true, blockOwnerDeletion: true }]);
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.deepEqual(eps(s), [
    {
      addresses: ['10.244.0.5'],
      conditions: { ready: true, serving: true, terminating: false },
      nodeName: 'node-1',
      targetRef: { kind: 'Pod', namespace: 'ns', name: p.metadata.name, uid: p.metadata.uid },
    },
  ]);
});

test('named targetPorts resolve per pod, so pods serving different numbers land in different slices', () => {
  const service = svc({ ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }] });
  const a = pod({ ports: [{ name: 'http', containerPort: 8080 }] });
  const b = pod({ ports: [{ name: 'http', containerPort: 9090 }] });
  const c = pod({ ports: [{ name: 'http', containerPort: 8080 }] });
  const none = pod({ ports: [{ name: 'metrics', containerPort: 9100 }] });
  const plan = planEndpointSlices(service, [a, b, c, none], []);
  const byPort = new Map(plan.create.map((s) => [JSON.stringify(s.ports), eps(s).map((e) => e.targetRef?.name).sort()]));
  assert.deepEqual(byPort.get(JSON.stringify([{ name: 'http', port: 8080, protocol: 'TCP' }])), [a.metadata.name, c.metadata.name].sort());
  assert.deepEqual(byPort.get(JSON.stringify([{ name: 'http', port: 9090, protocol: 'TCP' }])), [b.metadata.name]);
  // A pod without the named port still is an endpoint, with no ports (as upstream).
  assert.deepEqual(byPort.get('[]'), [none.metadata.name]);
  assert.equal(findPort(b, { port: 80, targetPort: 'http', protocol: 'UDP' }), undefined);
  assert.equal(findPort(b, { port: 80 }), 80);
});

test('readiness: not-ready pods are listed not ready; terminating ones are not ready, serving as their Ready condition says', () => {
  const notReady = pod({ ready: false });
  const terminatingReady = pod({ deleting: true });
  const terminatingUnready = pod({ deleting: true, ready: false });
  const [s] = planEndpointSlices(svc(), [notReady, terminatingReady, terminatingUnready], []).create;
  const cond = (p: KObject) => eps(s).find((e) => e.targetRef?.name === p.metadata.name)?.conditions;
  assert.deepEqual(cond(notReady), { ready: false, serving: false, terminating: false });
  assert.deepEqual(cond(terminatingReady), { ready: false, serving: true, terminating: true });
  assert.deepEqual(cond(terminatingUnready), { ready: false, serving: false, terminating: true });
});

test('publishNotReadyAddresses makes every endpoint ready, terminating ones included', () => {
  const [s] = planEndpointSlices(svc({ publishNotReadyAddresses: true }), [pod({ ready: false }), pod({ deleting: true, ready: false })], []).create;
  assert.deepEqual(eps(s).map((e) => e.conditions.ready), [true, true]);
  assert.deepEqual(eps(s).map((e) => e.conditions.terminating).sort(), [false, true]);
});

test('pods without an IP, finished pods and pods the Service does not select are left out; no pods leaves one empty placeholder', () => {
  const plan = planEndpointSlices(svc(), [pod({ ip: '' }), pod({ phase: 'Succeeded' }), pod({ phase: 'Failed' })], []);
  assert.equal(plan.create.length, 1);
  assert.deepEqual(plan.create[0].endpoints, []);
  assert.deepEqual(plan.create[0].ports, []);
  // The placeholder, once there, is kept as is.
  const existing = apply([], plan);
  assert.ok(isEmptyPlan(planEndpointSlices(svc(), [], existing)));
  // Controller-side filter: a pod of another app does not concern the Service.
  const other = pod();
  other.metadata.labels = { app: 'db' };
  assert.deepEqual(servicesForPod(other, [svc()]), []);
  assert.deepEqual(servicesForPod(pod(), [svc(), svc({ type: 'ExternalName', selector: undefined })]), ['ns/www']);
});

test('at most 100 endpoints per slice: 250 pods make three slices, and nothing changes when asked again', () => {
  const pods = Array.from({ length: 250 }, (_, i) => pod({ ip: `10.244.${Math.floor(i / 200)}.${(i % 200) + 1}` }));
  const plan = planEndpointSlices(svc(), pods, []);
  assert.deepEqual(plan.create.map((s) => eps(s).length).sort(), [100, 100, 50]);
  const existing = apply([], plan);
  assert.ok(isEmptyPlan(planEndpointSlices(svc(), pods, existing)));
  // Order of pods and of cached slices does not matter either.
  assert.ok(isEmptyPlan(planEndpointSlices(svc(), [...pods].reverse(), [...existing].reverse())));
  assert.equal(new Set(allEndpoints(existing).map((e) => e.addresses[0])).size, 250);
});

test('a readiness change updates only the slice holding that pod, in place', () => {
  const pods = Array.from({ length: 150 }, () => pod());
  let slices = apply([], planEndpointSlices(svc(), pods, []));
  const victim = pods[120];
  (victim.status as { conditions: unknown[] }).conditions = [{ type: 'Ready', status: 'False' }];
  const plan = planEndpointSlices(svc(), pods, slices);
  assert.equal(plan.create.length + plan.delete.length, 0);
  assert.equal(plan.update.length, 1);
  const holder = slices.find((s) => eps(s).some((e) => e.targetRef?.name === victim.metadata.name));
  assert.equal(plan.update[0].metadata.name, holder?.metadata.name);
  slices = apply(slices, plan);
  assert.equal(allEndpoints(slices).find((e) => e.targetRef?.name === victim.metadata.name)?.conditions.ready, false);
  assert.ok(isEmptyPlan(planEndpointSlices(svc(), pods, slices)));
});

test('scaling up fills existing slices before creating; scaling to zero keeps one slice as placeholder', () => {
  const three = Array.from({ length: 3 }, () => pod());
  let slices = apply([], planEndpointSlices(svc(), three, []));
  const five = [...three, pod(), pod()];
  const up = planEndpointSlices(svc(), five, slices);
  assert.equal(up.create.length, 0);
  assert.equal(up.update.length, 1);
  slices = apply(slices, up);
  assert.equal(slices.length, 1);
  assert.equal(eps(slices[0]).length, 5);
  const down = planEndpointSlices(svc(), [], slices);
  // The emptied slice is recycled into the placeholder rather than deleted and recreated.
  assert.equal(down.delete.length, 0);
  assert.equal(down.update.length, 1);
  slices = apply(slices, down);
  assert.equal(slices.length, 1);
  assert.deepEqual(slices[0].endpoints, []);
});

test('a changed Service label, or a slice of an older Service of the same name, is corrected', () => {
  const pods = [pod()];
  const slices = apply([], planEndpointSlices(svc(), pods, []));
  const relabel = planEndpointSlices(svc({}, { tier: 'fe' }), pods, slices);
  assert.equal(relabel.update.length, 1);
  assert.equal(relabel.update[0].metadata.labels?.tier, 'fe');
  const newer = svc();
  newer.metadata.uid = 'svc-uid-2';
  const plan = planEndpointSlices(newer, pods, slices);
  assert.equal(plan.create.length, 1);
  assert.equal(plan.delete.length, 1);
  assert.equal(plan.create[0].metadata.ownerReferences?.[0].uid, 'svc-uid-2');
});

test('a headless Service gets the headless label and, without ports, port-less endpoints', () => {
  const [s] = planEndpointSlices(svc({ clusterIP: 'None', ports: undefined }), [pod()], []).create;
  assert.equal(s.metadata.labels?.['service.kubernetes.io/headless'], '');
  assert.deepEqual(s.ports, []);
  assert.equal(eps(s).length, 1);
});

test('slices of other controllers are not ours; the tracker holds back a Service until its own writes are seen', () => {
  assert.equal(serviceKeyOfSlice({ metadata: { namespace: 'ns', name: 'x', labels: { [LABEL_SERVICE_NAME]: 'www', [LABEL_MANAGED_BY]: 'someone-else' } } }), undefined);
  const t = new SliceTracker();
  const written: KObject = { metadata: { name: 'www-abc', uid: 'u1', resourceVersion: '42' } };
  t.written('ns/www', written);
  assert.equal(t.stale('ns/www', []), true);
  assert.equal(t.stale('ns/www', [{ metadata: { uid: 'u1', resourceVersion: '41' } }]), true);
  assert.equal(t.stale('ns/www', [{ metadata: { uid: 'u1', resourceVersion: '42' } }]), false);
  t.observed('ns/www', { metadata: { uid: 'u1', resourceVersion: '43' } }, false);
  assert.equal(t.stale('ns/www', []), false);
  t.deleted('ns/www', written);
  assert.equal(t.stale('ns/www', [written]), true);
  t.observed('ns/www', written, true);
  assert.equal(t.stale('ns/www', []), false);
});
