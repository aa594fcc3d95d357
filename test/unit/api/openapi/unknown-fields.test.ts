import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { groupVersionOf } from '../../../../src/api/types.js';
import {
  openapiDocument, openapiRoot, pruneUnknownFields, strictDecodingMessage, unknownFields, unknownFieldWarning, warningHeaderValue,
} from '../../../../src/api/openapi/index.js';
import { ensureGenerated } from './helpers.js';

ensureGenerated();

const deployment = () => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'web', labels: { 'app.kubernetes.io/name': 'web', anything: 'goes' }, annotations: { 'x/y': 'z' } },
  spec: {
    replicas: 2,
    selector: { matchLabels: { app: 'web' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: {
      metadata: { labels: { app: 'web' } },
      spec: {
        containers: [
          { name: 'a', image: 'nginx', ports: [{ containerPort: 80 }], resources: { limits: { cpu: '1', memory: 1024 } } },
          { name: 'b', image: 'nginx', env: [{ name: 'X', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }] },
        ],
      },
    },
  },
  status: { replicas: 2, conditions: [{ type: 'Available', status: 'True' }] },
});

test('a valid Deployment has no unknown fields; map keys and status are fine', () => {
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', deployment()), []);
});

test('unknown fields are reported with upstream paths, in document order', () => {
  const d = deployment() as any;
  d.spec.foo = 1;
  d.spec.template.spec.containers[1].imagee = 'typo';
  d.metadata.nam = 'x';
  d.spec.template.spec.containers[0].ports[0].bogus = true;
  d.spec.strategy.rollingUpdate.extra = {};
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', d), [
    'metadata.nam',
    'spec.strategy.rollingUpdate.extra',
    'spec.template.spec.containers[0].ports[0].bogus',
    'spec.template.spec.containers[1].imagee',
    'spec.foo',
  ]);
  assert.deepEqual(unknownFields('apps', 'v1', 'Deployment', { apiVersion: 'apps/v1', kind: 'Deployment', metadata: {}, extra: 1 }), ['extra']);
});

test('pruning removes exactly the unknown fields (fieldValidation Ignore/Warn)', () => {
  const d = deployment() as any;
  d.spec.foo = 1;
  d.spec.template.spec.containers[0].imagee = 'typo';
  assert.deepEqual(pruneUnknownFields('apps', 'v1', 'Deployment', d), ['spec.template.spec.containers[0].imagee', 'spec.foo']);
  assert.deepEqual(d, deployment());
});

test('free-form subtrees and scalars are not inspected', () => {
  const cm = { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c', managedFields: [{ fieldsV1: { 'f:data': {} } }] }, data: { 'any.key': 'v' } };
  assert.deepEqual(unknownFields('', 'v1', 'ConfigMap', cm), []);
  assert.deepEqual(unknownFields('', 'v1', 'ConfigMap', { ...cm, binaryData: { k: 'AA==' }, immutable: true, oops: 1 }), ['oops']);
  // a type mismatch is a decoding error, not an unknown field
  assert.deepEqual(unknownFields('', 'v1', 'Pod', { metadata: { name: { nested: 1 } }, spec: { containers: 'x' } }), []);
  assert.deepEqual(unknownFields('example.com', 'v1', 'Widget', { spec: { foo: 1 } }), []);
});

test('Istio kinds: spec is checked, status is preserved', () => {
  const vs = {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'vs' },
    spec: { hosts: ['a'], http: [{ route: [{ destination: { host: 'a', subset: 'v1' }, weight: 100, wieght: 1 }] }], bar: 1 },
    status: { anything: { goes: true } },
  };
  assert.deepEqual(unknownFields('networking.istio.io', 'v1', 'VirtualService', vs), ['spec.http[0].route[0].wieght', 'spec.bar']);
  assert.deepEqual(unknownFields('networking.istio.io', 'v1alpha3', 'VirtualService', { ...vs, spec: { hosts: ['a'] } }), []);
});

test('autoscaling v2beta2 objects are checked against their own schema', () => {
  const hpa = {
    apiVersion: 'autoscaling/v2beta2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' }, minReplicas: 1, maxReplicas: 3,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] },
  };
  assert.deepEqual(unknownFields('autoscaling', 'v2beta2', 'HorizontalPodAutoscaler', hpa), []);
  assert.deepEqual(unknownFields('autoscaling', 'v1', 'HorizontalPodAutoscaler', hpa), ['spec.metrics']);
});

test('messages match the apiserver', () => {
  assert.equal(strictDecodingMessage('Deployment', 'v1', ['spec.foo', 'spec.bar']),
    'Deployment in version "v1" cannot be handled as a Deployment: strict decoding error: unknown field "spec.foo", unknown field "spec.bar"');
  assert.equal(unknownFieldWarning('spec.foo'), 'unknown field "spec.foo"');
  assert.equal(warningHeaderValue(unknownFieldWarning('spec.foo')), '299 - "unknown field \\"spec.foo\\""');
});

test('root lists every document with the hash of the served bytes', async () => {
  const { createHash } = await import('node:crypto');
  const root = openapiRoot() as { paths: Record<string, { serverRelativeURL: string }> };
  assert.ok(root.paths['api/v1'] && root.paths['apis/apps/v1'] && root.paths['apis/networking.istio.io/v1alpha3']);
  for (const [gv, { serverRelativeURL }] of Object.entries(root.paths)) {
    const doc = openapiDocument(gv);
    assert.ok(doc, gv);
    assert.equal(serverRelativeURL, `/openapi/v3/${gv}?hash=${doc.hash}`);
    assert.equal(createHash('sha512').update(doc.body).digest('hex').toUpperCase(), doc.hash);
  }
  assert.equal(openapiDocument('apis/nope/v1'), undefined);
  assert.equal(openapiDocument('/apis/apps/v1'), openapiDocument('apis/apps/v1'));
});

const SCENARIOS = process.env.SKIFF_SCENARIOS ?? '/work/shared/scenarios';

test('every scenario manifest is free of unknown fields', (t) => {
  if (!existsSync(SCENARIOS)) return t.skip(`${SCENARIOS} not present`);
  let checked = 0;
  for (const dir of readdirSync(SCENARIOS, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const file of readdirSync(path.join(SCENARIOS, dir.name))) {
      if (!/\.ya?ml$/.test(file)) continue;
      for (const doc of parseAllDocuments(readFileSync(path.join(SCENARIOS, dir.name, file), 'utf8'))) {
        const obj = doc.toJS() as { apiVersion?: string; kind?: string } | null;
        if (!obj?.apiVersion || !obj.kind) continue;
        const { group, version } = groupVersionOf(obj.apiVersion);
        assert.deepEqual(unknownFields(group, version, obj.kind, obj), [], `${dir.name}/${file} ${obj.kind}`);
        checked++;
      }
    }
  }
  assert.ok(checked >= 30, `checked ${checked} objects`);
});
