import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyPatch, PatchError, recordUpdate, serverSideApply } from '../../../../src/apiserver/patch/index.js';
import { deployment, DEPLOY, DEPLOY_V1 } from './fixtures.js';

const RFC3339 = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

function manifest(replicas = 3, extra: Record<string, unknown> = {}): Record<string, any> {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web' },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'nginx', image: 'nginx:1.25', ports: [{ containerPort: 80 }], ...extra }] } },
    },
  };
}

function failure(fn: () => unknown): PatchError {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof PatchError, `expected a PatchError, got ${e}`);
    return e;
  }
  assert.fail('expected the apply to fail');
}

const entry = (obj: any, manager: string) => obj.metadata.managedFields.find((e: { manager: string }) => e.manager === manager);

test('apply creates the object and records an Apply entry with FieldsV1', () => {
  const out = serverSideApply(undefined, manifest(), 'kubectl', false, DEPLOY_V1) as any;
  assert.equal(out.spec.replicas, 3);
  assert.equal(out.metadata.managedFields.length, 1);
  const e = out.metadata.managedFields[0];
  assert.deepEqual(Object.keys(e), ['manager', 'operation', 'apiVersion', 'time', 'fieldsType', 'fieldsV1']);
  assert.equal(e.manager, 'kubectl');
  assert.equal(e.operation, 'Apply');
  assert.equal(e.apiVersion, 'apps/v1');
  assert.match(e.time, RFC3339);
  assert.equal(e.fieldsType, 'FieldsV1');
  assert.deepEqual(e.fieldsV1, {
    'f:spec': {
      'f:replicas': {},
      'f:selector': {},
      'f:template': {
        'f:metadata': { 'f:labels': { 'f:app': {} } },
        'f:spec': {
          'f:containers': {
            'k:{"name":"nginx"}': {
              '.': {},
              'f:image': {},
              'f:name': {},
              'f:ports': { 'k:{"containerPort":80,"protocol":"TCP"}': { '.': {}, 'f:containerPort': {} } },
            },
          },
        },
      },
    },
  });
});

test('a create records an Update entry diffed against the zero object', () => {
  const obj = deployment();
  recordUpdate(undefined, obj, 'kubectl-create', 'apps/v1');
  const [e] = obj.metadata.managedFields;
  assert.equal(e.operation, 'Update');
  assert.equal(e.manager, 'kubectl-create');
  assert.deepEqual(e.fieldsV1['f:metadata'], {
    'f:annotations': { '.': {}, 'f:deployment.kubernetes.io/revision': {} },
    'f:labels': { '.': {}, 'f:app': {} },
  });
  const spec = e.fieldsV1['f:spec'];
  assert.deepEqual(spec['f:strategy'], { 'f:rollingUpdate': { '.': {}, 'f:maxSurge': {}, 'f:maxUnavailable': {} }, 'f:type': {} });
  assert.deepEqual(Object.keys(spec['f:template']['f:spec']['f:containers']), ['k:{"name":"nginx"}', 'k:{"name":"sidecar"}']);
  assert.deepEqual(spec['f:template']['f:spec']['f:containers']['k:{"name":"nginx"}']['f:env'], { '.': {}, 'k:{"name":"A"}': { '.': {}, 'f:name': {}, 'f:value': {} } });
  assert.equal(e.fieldsV1['f:status'], undefined, 'status belongs to the status subresource');
});

function clientSideApplied(): any {
  const obj = deployment();
  obj.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'] = JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', spec: { replicas: 2 } });
  recordUpdate(undefined, obj, 'kubectl-client-side-apply', 'apps/v1');
  return obj;
}

test('changing a field another manager owns is a conflict with upstream wording', () => {
  const e = failure(() => serverSideApply(clientSideApplied(), manifest(5), 'other', false, DEPLOY_V1));
  assert.equal(e.code, 409);
  assert.equal(e.reason, 'Conflict');
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas');
  assert.deepEqual(e.causes, [{ type: 'FieldManagerConflict', message: 'conflict with "kubectl-client-side-apply" using apps/v1', field: '.spec.replicas' }]);
});

test('several conflicts are listed per manager', () => {
  const e = failure(() => serverSideApply(clientSideApplied(), manifest(5, { image: 'nginx:1.26' }), 'other', false, DEPLOY_V1));
  assert.equal(
    e.message,
    'Apply failed with 2 conflicts: conflicts with "kubectl-client-side-apply" using apps/v1:\n- .spec.replicas\n- .spec.template.spec.containers[name="nginx"].image',
  );
});

test('force takes the field over; equal values are shared without conflict', () => {
  const forced = serverSideApply(clientSideApplied(), manifest(5), 'other', true, DEPLOY_V1) as any;
  assert.equal(forced.spec.replicas, 5);
  assert.equal(entry(forced, 'kubectl-client-side-apply').fieldsV1['f:spec']['f:replicas'], undefined);
  assert.deepEqual(entry(forced, 'other').fieldsV1['f:spec']['f:replicas'], {});

  const shared = serverSideApply(clientSideApplied(), manifest(2), 'other', false, DEPLOY_V1) as any;
  assert.deepEqual(entry(shared, 'kubectl-client-side-apply').fieldsV1['f:spec']['f:replicas'], {});
  assert.deepEqual(entry(shared, 'other').fieldsV1['f:spec']['f:replicas'], {});
});

test('fields dropped from the configuration are removed unless someone else owns them', () => {
  const first = serverSideApply(undefined, manifest(3, { env: [{ name: 'A', value: '1' }, { name: 'B', value: '2' }] }), 'kubectl', false, DEPLOY_V1) as any;
  // Another manager sets a field of its own on the same container.
  const updated = structuredClone(first);
  updated.spec.template.spec.containers[0].imagePullPolicy = 'Always';
  recordUpdate(first, updated, 'kubectl-edit', 'apps/v1');
  const second = serverSideApply(updated, manifest(3, { env: [{ name: 'A', value: '1' }] }), 'kubectl', false, DEPLOY_V1) as any;
  const c = second.spec.template.spec.containers[0];
  assert.deepEqual(c.env, [{ name: 'A', value: '1' }]);
  assert.equal(c.imagePullPolicy, 'Always');
  // Dropping the replicas field removes it (defaulting would put it back).
  const cfg = manifest(3, { env: [{ name: 'A', value: '1' }] });
  delete cfg.spec.replicas;
  const third = serverSideApply(second, cfg, 'kubectl', false, DEPLOY_V1) as any;
  assert.equal(third.spec.replicas, undefined);
  assert.equal(entry(third, 'kubectl').fieldsV1['f:spec']['f:replicas'], undefined);
});

test('live-only list items keep their place, applied items take the configuration order', () => {
  const live = serverSideApply(undefined, manifest(), 'a', false, DEPLOY_V1) as any;
  live.spec.template.spec.containers.push({ name: 'injected', image: 'proxy' });
  const cfg = manifest();
  cfg.spec.template.spec.containers.unshift({ name: 'first', image: 'x' });
  const out = serverSideApply(live, cfg, 'a', false, DEPLOY_V1) as any;
  assert.deepEqual(out.spec.template.spec.containers.map((c: { name: string }) => c.name), ['first', 'nginx', 'injected']);
});

test('an object without managedFields is owned by before-first-apply', () => {
  const live = deployment();
  const e = failure(() => serverSideApply(live, manifest(7), 'kubectl', false, DEPLOY_V1));
  assert.equal(e.message, 'Apply failed with 1 conflict: conflict with "before-first-apply" using apps/v1: .spec.replicas');
});

test('kubectl may override fields unchanged since the last client-side apply, and the annotation follows', () => {
  const out = serverSideApply(clientSideApplied(), manifest(5), 'kubectl', false, DEPLOY_V1) as any;
  assert.equal(out.spec.replicas, 5);
  const lastApplied = out.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration'];
  assert.ok(lastApplied.endsWith('\n'));
  assert.equal(JSON.parse(lastApplied).spec.replicas, 5);
  // A field that drifted from last-applied still conflicts.
  const drifted = clientSideApplied();
  drifted.spec.template.spec.containers[0].image = 'nginx:drift';
  recordUpdate(clientSideApplied(), drifted, 'kubectl-set', 'apps/v1');
  const e = failure(() => serverSideApply(drifted, manifest(5, { image: 'nginx:1.30' }), 'kubectl', false, DEPLOY_V1));
  assert.match(e.message, /conflict with "kubectl-set" using apps\/v1: \.spec\.template\.spec\.containers\[name="nginx"\]\.image/);
});

test('the client-side to server-side upgrade: managedFields written by JSON patch are kept', () => {
  const live = clientSideApplied();
  const csa = entry(live, 'kubectl-client-side-apply');
  const upgraded = [{ ...csa, manager: 'kubectl', operation: 'Apply' }];
  const patched = applyPatch('json', live, [
    { op: 'replace', path: '/metadata/managedFields', value: upgraded },
    { op: 'replace', path: '/metadata/resourceVersion', value: '5' },
  ], DEPLOY) as any;
  recordUpdate(live, patched, 'kubectl', 'apps/v1');
  assert.deepEqual(patched.metadata.managedFields, upgraded);
  // The next server-side apply by kubectl owns everything and prunes what it dropped.
  const cfg = manifest(2);
  cfg.spec.template.spec.containers[0].env = [{ name: 'A', value: '1' }];
  const out = serverSideApply(patched, cfg, 'kubectl', false, DEPLOY_V1) as any;
  assert.deepEqual(out.spec.template.spec.containers.map((c: { name: string }) => c.name), ['nginx']);
  assert.equal(out.metadata.managedFields.length, 1);
});

test('updates steal changed fields from appliers and only record what changed', () => {
  const applied = serverSideApply(undefined, manifest(3), 'kubectl', false, DEPLOY_V1) as any;
  const scaled = structuredClone(applied);
  scaled.spec.replicas = 4;
  recordUpdate(applied, scaled, 'kubectl', 'apps/v1', 'scale');
  const upd = scaled.metadata.managedFields.find((e: { operation: string }) => e.operation === 'Update');
  assert.deepEqual(upd, { manager: 'kubectl', operation: 'Update', apiVersion: 'apps/v1', time: upd.time, fieldsType: 'FieldsV1', fieldsV1: { 'f:spec': { 'f:replicas': {} } }, subresource: 'scale' });
  assert.equal(entry(scaled, 'kubectl').operation, 'Apply', 'Apply entries sort before Update entries');
  assert.equal(scaled.metadata.managedFields[0].fieldsV1['f:spec']['f:replicas'], undefined);
});

test('status writes are recorded on the status subresource only', () => {
  const live = deployment();
  recordUpdate(undefined, live, 'kubectl-create', 'apps/v1');
  const next = structuredClone(live);
  next.status = { replicas: 2, readyReplicas: 2 };
  recordUpdate(live, next, 'skiff-controller', 'apps/v1', 'status');
  assert.deepEqual(entry(next, 'skiff-controller').fieldsV1, { 'f:status': { 'f:readyReplicas': {} } });
  const mainWrite = structuredClone(live);
  mainWrite.status = { replicas: 9 };
  recordUpdate(live, mainWrite, 'someone', 'apps/v1');
  assert.equal(entry(mainWrite, 'someone'), undefined);
});

test('a no-op apply keeps the entry time', () => {
  const first = serverSideApply(undefined, manifest(), 'kubectl', false, DEPLOY_V1) as any;
  first.metadata.managedFields[0].time = '2020-01-01T00:00:00Z';
  const again = serverSideApply(first, manifest(), 'kubectl', false, DEPLOY_V1) as any;
  assert.equal(again.metadata.managedFields[0].time, '2020-01-01T00:00:00Z');
});

test('bad apply bodies answer as upstream', () => {
  const wrongVersion = { ...manifest(), apiVersion: 'apps/v1beta1' };
  assert.equal(failure(() => serverSideApply(undefined, wrongVersion, 'kubectl', false, DEPLOY_V1)).message, 'Incorrect version specified in apply patch. Specified patch version: apps/v1beta1, expected: apps/v1');
  const withFields = manifest();
  withFields.metadata.managedFields = [];
  assert.equal(failure(() => serverSideApply(undefined, withFields, 'kubectl', false, DEPLOY_V1)).message, 'metadata.managedFields must be nil');
  const noName = manifest();
  delete noName.spec.template.spec.containers[0].name;
  const e = failure(() => serverSideApply(undefined, noName, 'kubectl', false, DEPLOY_V1));
  assert.equal(e.code, 500);
  assert.equal(e.message, 'failed to create typed patch object (apps/v1, Kind=Deployment): .spec.template.spec.containers: element 0: associative list with keys has an element that omits key field "name" (and doesn\'t have default value)');
});

test('apply to a custom resource merges by field and owns lists atomically', () => {
  const kind = { group: 'networking.istio.io', kind: 'VirtualService', apiVersion: 'networking.istio.io/v1' };
  const cfg = { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', finalizers: ['x'] }, spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a' } }] }] } };
  const out = serverSideApply(undefined, cfg, 'kubectl', false, kind) as any;
  assert.deepEqual(out.metadata.managedFields[0].fieldsV1, { 'f:metadata': { 'f:finalizers': { 'v:"x"': {} } }, 'f:spec': { 'f:hosts': {}, 'f:http': {} } });
});
