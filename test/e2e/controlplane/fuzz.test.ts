import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness.js';
import { accessFrom, raw, type Access } from '../kubeconfig.js';

let c: Cluster;
let a: Access;
before(async () => {
  c = await startCluster('fuzz');
  a = accessFrom(join(c.dir, 'kubeconfig'));
});
after(async () => {
  await c?.down();
});

// A small deterministic generator, so a failure can be replayed from its seed.
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const PATHS = [
  '/api/v1/namespaces/default/configmaps',
  '/api/v1/namespaces/default/configmaps/fuzz',
  '/api/v1/namespaces/default/pods',
  '/api/v1/namespaces',
  '/api/v1/namespaces/default',
  '/apis/apps/v1/namespaces/default/deployments',
  '/apis/apps/v1/namespaces/default/deployments/fuzz',
  '/apis/apps/v1/namespaces/default/deployments/fuzz/scale',
  '/apis/networking.k8s.io/v1/namespaces/default/ingresses',
  '/apis/autoscaling/v1/namespaces/default/horizontalpodautoscalers',
  '/apis/networking.istio.io/v1alpha3/namespaces/default/virtualservices',
  '/api/v1/namespaces/no-such-ns/services',
  '/apis/nope/v1/things',
  '/api/v1/namespaces/default/configmaps?labelSelector=a%20in%20(',
  '/api/v1/namespaces/default/configmaps?fieldSelector=spec.bogus%3Dx',
  '/api/v1/namespaces/default/configmaps?continue=%%%',
  '/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=abc',
];
const TYPES = [
  'application/json',
  'application/yaml',
  'application/vnd.kubernetes.protobuf',
  'application/merge-patch+json',
  'application/json-patch+json',
  'application/strategic-merge-patch+json',
  'application/apply-patch+yaml',
  'text/plain',
];
const BODIES: ((r: () => number) => string | Buffer)[] = [
  () => '{',
  () => '',
  () => 'null',
  () => '[]',
  () => '"str"',
  () => '{"kind":"Pod","apiVersion":"v1","metadata":"x"}',
  () => '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"UPPER_case!"}}',
  () => '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"' + 'a'.repeat(300) + '"}}',
  () => '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fuzz"},"spec":{"replicas":-3}}',
  () => '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"fuzz"},"spec":{"selector":"x","template":5}}',
  () => '[{"op":"explode","path":"/x"}]',
  () => '[{"op":"replace","path":"/no/such/path","value":1}]',
  () => '{"spec":{"replicas":"many"}}',
  () => '{"metadata":{"labels":{"a b":"c"}}}',
  () => ':\n  - [unclosed',
  () => Buffer.from([0x6b, 0x38, 0x73, 0x00, 0x0a, 0xff, 0xff, 0xff]),
  () => Buffer.from('k8s\0garbage'),
  (r) => Buffer.from(Array.from({ length: 64 }, () => Math.floor(r() * 256))),
  (r) => JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `fz-${Math.floor(r() * 1e9)}` }, data: { k: 'v'.repeat(Math.floor(r() * 100)) } }),
  () => '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s"},"data":{"k":"not base64!!"}}',
];
const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

test('1,200 malformed requests each get a Status, and the server still answers correctly', async () => {
  const r = rng(20261124);
  let n = 0;
  const pending: Promise<void>[] = [];
  for (let i = 0; i < 1200; i++) {
    const method = METHODS[Math.floor(r() * METHODS.length)];
    const path = PATHS[Math.floor(r() * PATHS.length)];
    const type = TYPES[Math.floor(r() * TYPES.length)];
    const body = method === 'GET' ? undefined : BODIES[Math.floor(r() * BODIES.length)](r);
    const p = path.includes('watch=true') ? path : path;
    pending.push(
      raw(a, method, p, { body, headers: { 'content-type': type } }).then((res) => {
        n++;
        assert.ok(res.status < 500, `${method} ${p} (${type}) answered ${res.status}: ${res.body.slice(0, 300)}`);
        if (res.status >= 400) {
          const s = JSON.parse(res.body);
          assert.equal(s.kind, 'Status', `${method} ${p}: ${res.body.slice(0, 200)}`);
          assert.equal(s.code, res.status);
          assert.equal(typeof s.reason, 'string');
          assert.equal(typeof s.message, 'string');
        }
      }),
    );
    if (pending.length >= 16) await Promise.all(pending.splice(0));
  }
  await Promise.all(pending);
  assert.equal(n, 1200);
  const huge = await raw(a, 'POST', '/api/v1/namespaces/default/configmaps', { body: Buffer.alloc(4 * 1024 * 1024, 0x20), headers: { 'content-type': 'application/json' } });
  assert.equal(huge.status, 413);
  assert.equal(JSON.parse(huge.body).reason, 'RequestEntityTooLarge');
  const unauth = await raw(a, 'GET', '/api/v1/namespaces', { token: null });
  assert.equal(unauth.status, 401);
  const ns = await c.kubectl(['get', 'ns', 'default', '-o', 'jsonpath={.status.phase}']);
  assert.equal(ns.stdout, 'Active');
  const cm = await c.kubectl(['create', 'configmap', 'after-fuzz', '--from-literal=a=b']);
  assert.equal(cm.code, 0, cm.stderr);
});
