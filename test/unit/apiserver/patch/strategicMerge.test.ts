import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError } from '../../../../src/apiserver/patch/index.js';
import { deployment, DEPLOY } from './fixtures.js';

const smp = (live: object, patch: unknown, kind = DEPLOY) => applyPatch('strategic', live, patch, kind) as any;
const names = (list: { name: string }[]) => list.map((c) => c.name);

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PatchError, `expected a PatchError, got ${e}`);
    return e;
  }
  assert.fail('expected the patch to fail');
}

test('client-side apply update body: merges the container by name and keeps defaults', () => {
  const live = deployment();
  live.spec.template.spec.containers.pop();
  const out = smp(live, {
    metadata: { annotations: { 'kubectl.kubernetes.io/last-applied-configuration': '{"x":1}\n' } },
    spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'nginx' }], containers: [{ image: 'nginx:1.26', name: 'nginx' }] } } },
  });
  const [c] = out.spec.template.spec.containers;
  assert.equal(c.image, 'nginx:1.26');
  assert.equal(c.imagePullPolicy, 'IfNotPresent');
  assert.deepEqual(c.ports, [{ containerPort: 80, protocol: 'TCP' }]);
  assert.equal(out.metadata.annotations['deployment.kubernetes.io/revision'], '1');
  assert.equal(out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'], '{"x":1}\n');
  assert.ok(!JSON.stringify(out).includes('$setElementOrder'));
});

test('kubectl set image touches one container and keeps the order', () => {
  const out = smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'nginx:1.27', name: 'nginx' }] } } } });
  assert.deepEqual(names(out.spec.template.spec.containers), ['nginx', 'sidecar']);
  assert.equal(out.spec.template.spec.containers[0].image, 'nginx:1.27');
  assert.deepEqual(out.spec.template.spec.containers[1].args, ['sleep', '3600']);
});

test('kubectl rollout restart adds the restartedAt annotation to the template', () => {
  const out = smp(deployment(), { spec: { template: { metadata: { annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } } } } });
  assert.deepEqual(out.spec.template.metadata, { labels: { app: 'web' }, annotations: { 'kubectl.kubernetes.io/restartedAt': '2025-01-01T00:00:00Z' } });
});

test('kubectl rollout pause, cordon and null deletes', () => {
  assert.equal(smp(deployment(), { spec: { paused: true } }).spec.paused, true);
  assert.equal(smp(deployment(), { spec: { replicas: null } }).spec.replicas, undefined);
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n' }, spec: { taints: [{ key: 'a', effect: 'NoSchedule' }] } };
  const out = smp(node, { spec: { unschedulable: true, taints: [{ key: 'b', effect: 'NoExecute' }] } }, { group: '', kind: 'Node' });
  assert.equal(out.spec.unschedulable, true);
  assert.deepEqual(out.spec.taints, [{ key: 'b', effect: 'NoExecute' }]);
});

test('$setElementOrder puts patch items in order and keeps server-only items where they were', () => {
  const live = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } } } };
  const out = smp(live, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'c' }, { name: 'a' }], containers: [{ name: 'c', image: 'new' }] } } } });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'b' }, { name: 'c', image: 'new' }, { name: 'a' }]);
});

test('$setElementOrder alone reorders the live list', () => {
  const live = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }] } } } };
  const out = smp(live, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'b' }, { name: 'a' }] } } } });
  assert.deepEqual(names(out.spec.template.spec.containers), ['b', 'a']);
});

test('new items are placed after the patch item that precedes them', () => {
  const live = { spec: { template: { spec: { containers: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } } } };
  const out = smp(live, { spec: { template: { spec: { containers: [{ name: 'a', image: 'x' }, { name: 'd' }] } } } });
  assert.deepEqual(names(out.spec.template.spec.containers), ['a', 'd', 'b', 'c']);
});

test('$patch: delete and $patch: replace on list items', () => {
  const del = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'sidecar', $patch: 'delete' }] } } } });
  assert.deepEqual(names(del.spec.template.spec.containers), ['nginx']);
  const rep = smp(deployment(), { spec: { template: { spec: { containers: [{ name: 'x', image: 'y' }, { $patch: 'replace' }] } } } });
  assert.deepEqual(rep.spec.template.spec.containers, [{ name: 'x', image: 'y' }]);
});

test('$patch: replace and delete on maps', () => {
  assert.deepEqual(smp(deployment(), { metadata: { labels: { $patch: 'replace', tier: 'x' } } }).metadata.labels, { tier: 'x' });
  assert.deepEqual(smp(deployment(), { metadata: { labels: { $patch: 'delete' } } }).metadata.labels, {});
  const e = failure(() => smp(deployment(), { metadata: { labels: { $patch: 'frob' } } }));
  assert.equal(e.code, 500);
  assert.equal(e.message, 'unknown patch type: frob in map: map[]');
});

test('$retainKeys on the Deployment strategy (apply switching to Recreate)', () => {
  const out = smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: null } } });
  assert.deepEqual(out.spec.strategy, { type: 'Recreate' });
  const e = failure(() => smp(deployment(), { spec: { strategy: { $retainKeys: ['type'], type: 'Recreate', rollingUpdate: { maxSurge: 1 } } } }));
  assert.equal(e.code, 422);
  assert.equal(e.causes?.[0].message, "patch content doesn't match retainKeys list");
});

test('$retainKeys on a volume item switches its source', () => {
  const live = { spec: { volumes: [{ name: 'v', hostPath: { path: '/x' } }, { name: 'w', emptyDir: {} }] } };
  const out = smp(live, { spec: { volumes: [{ name: 'v', $retainKeys: ['emptyDir', 'name'], emptyDir: {} }] } }, { group: '', kind: 'Pod' });
  assert.deepEqual(out.spec.volumes, [{ name: 'v', emptyDir: {} }, { name: 'w', emptyDir: {} }]);
});

test('finalizers merge as a set; $deleteFromPrimitiveList removes', () => {
  const live = { metadata: { name: 'x', finalizers: ['a', 'b'] } };
  assert.deepEqual(smp(live, { metadata: { finalizers: ['c', 'a'] } }).metadata.finalizers, ['c', 'a', 'b']);
  assert.deepEqual(smp(live, { metadata: { '$deleteFromPrimitiveList/finalizers': ['a'] } }).metadata.finalizers, ['b']);
  assert.deepEqual(smp(live, { metadata: { '$setElementOrder/finalizers': ['b', 'a'] } }).metadata.finalizers, ['b', 'a']);
});

test('tolerations, args, command and envFrom are replaced whole', () => {
  const out = smp(deployment(), { spec: { template: { spec: { tolerations: [{ key: 'b', operator: 'Exists' }], containers: [{ name: 'sidecar', args: ['true'] }] } } } });
  assert.deepEqual(out.spec.template.spec.tolerations, [{ key: 'b', operator: 'Exists' }]);
  assert.deepEqual(out.spec.template.spec.containers[1].args, ['true']);
});

test('env merges by name, container ports by containerPort, volumeMounts by mountPath', () => {
  const out = smp(deployment(), {
    spec: { template: { spec: { containers: [{ name: 'nginx', env: [{ name: 'B', value: '2' }, { name: 'A', value: 'x' }], ports: [{ containerPort: 443 }], volumeMounts: [{ mountPath: '/d', name: 'v' }] }] } } },
  });
  const c = out.spec.template.spec.containers[0];
  assert.deepEqual(c.env, [{ name: 'B', value: '2' }, { name: 'A', value: 'x' }]);
  // Without $setElementOrder upstream puts new items before server-only ones.
  assert.deepEqual(c.ports, [{ containerPort: 443 }, { containerPort: 80, protocol: 'TCP' }]);
  assert.deepEqual(c.volumeMounts, [{ mountPath: '/d', name: 'v' }]);
});

test('Service ports merge by port', () => {
  const svc = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80, targetPort: 8080, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }] } };
  const out = smp(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, { group: '', kind: 'Service' });
  assert.deepEqual(out.spec.ports, [{ port: 80, targetPort: 9090, protocol: 'TCP' }, { port: 443, protocol: 'TCP' }]);
});

test('ownerReferences merge by uid, status conditions by type', () => {
  const pod = { metadata: { ownerReferences: [{ uid: '1', name: 'a' }] }, status: { conditions: [{ type: 'Ready', status: 'False' }, { type: 'Initialized', status: 'True' }] } };
  const out = smp(pod, { metadata: { ownerReferences: [{ uid: '2', name: 'b' }] }, status: { conditions: [{ type: 'Ready', status: 'True' }] } }, { group: '', kind: 'Pod' });
  assert.deepEqual(out.metadata.ownerReferences.map((o: { uid: string }) => o.uid), ['2', '1']);
  assert.deepEqual(out.status.conditions, [{ type: 'Ready', status: 'True' }, { type: 'Initialized', status: 'True' }]);
});

test('fields without a patch strategy keep merge semantics for maps and replace lists', () => {
  const out = smp({ spec: { x: { a: 1 }, y: [1, 2] } }, { spec: { x: { b: 2 }, y: [3] } }, { group: '', kind: 'ConfigMap' });
  assert.deepEqual(out.spec, { x: { a: 1, b: 2 }, y: [3] });
});

test('directives inside newly added values are not stored', () => {
  const out = smp({ spec: {} }, { spec: { template: { spec: { '$setElementOrder/containers': [{ name: 'a' }], containers: [{ name: 'a', env: [{ name: 'X', $patch: 'delete' }] }] } } } });
  assert.deepEqual(out.spec.template.spec.containers, [{ name: 'a', env: [] }]);
});

test('a list item without its merge key fails as upstream (500, no reason)', () => {
  const e = failure(() => smp(deployment(), { spec: { template: { spec: { containers: [{ image: 'x' }] } } } }));
  assert.equal(e.code, 500);
  assert.equal(e.reason, '');
  assert.equal(e.message, 'map: map[image:x] does not contain declared merge key: name');
});

test('a patch that is not an object is a 400', () => {
  const e = failure(() => smp(deployment(), [1]));
  assert.equal(e.code, 400);
});

test('strategic merge on a custom resource (Istio) is refused with 415', () => {
  const vs = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r' }, spec: {} };
  const e = failure(() => smp(vs, { spec: { hosts: ['a'] } }, { group: 'networking.istio.io', kind: 'VirtualService' }));
  assert.equal(e.code, 415);
  assert.equal(e.reason, 'UnsupportedMediaType');
  assert.equal(e.message, 'the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml');
});
