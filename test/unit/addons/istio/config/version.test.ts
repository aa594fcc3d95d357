import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serialize, versioned } from '../../../../../src/addons/istio/config/version.js';
import type { ProxyConfig } from '../../../../../src/addons/istio/config/types.js';

const body = (port: number): Omit<ProxyConfig, 'version'> => ({
  listeners: [{ port, serverPort: 80, protocol: 'HTTP', virtualHosts: [{ domains: ['a.test'], routes: [] }] }],
  clusters: { 'outbound|80||a.default.svc.cluster.local': { endpoints: [], lb: 'LEAST_REQUEST' } },
  secrets: {},
});

test('the version follows the content, and the line sent is the configuration as JSON', () => {
  const a = versioned(body(8080));
  assert.match(a.version, /^[0-9a-f]{16}$/);
  assert.equal(versioned(body(8080)).version, a.version);
  assert.notEqual(versioned(body(8081)).version, a.version);
  assert.deepEqual(JSON.parse(serialize(a)), a);
});

test('a configuration built elsewhere is serialized as it is', () => {
  const c: ProxyConfig = { version: 'v1', listeners: [], clusters: {}, secrets: {} };
  assert.equal(serialize(c), JSON.stringify(c));
});

test('a route shared by builds keeps its text, and the document still says what each build holds', () => {
  const route = { name: 'default/a', matches: [], action: { kind: 'direct' as const, status: 200, body: 'a' } };
  const build = (domains: string[], requireTls?: boolean) =>
    versioned({ listeners: [{ port: 8080, serverPort: 80, protocol: 'HTTP', virtualHosts: domains.map((d) => ({ domains: [d], routes: [route], ...(requireTls ? { requireTls } : {}) })) }], clusters: {}, secrets: {} });
  const one = build(['a.test']);
  const two = build(['a.test', 'b.test'], true);
  assert.deepEqual(JSON.parse(serialize(one)), one);
  assert.deepEqual(JSON.parse(serialize(two)), two);
  assert.notEqual(one.version, two.version);
});

test('the line sent says the whole configuration, whichever parts it shares with earlier builds', () => {
  const cluster = { endpoints: [{ address: '10.0.0.1', port: 80, key: '10.0.0.1:80' }], lb: 'ROUND_ROBIN' as const };
  const vh = { domains: ['a.test'], routes: [] };
  const build = (clusters: ProxyConfig['clusters'], workloads?: ProxyConfig['workloads']) =>
    versioned({ listeners: [{ port: 15001, serverPort: 80, protocol: 'HTTP', virtualHosts: [vh], mesh: { tcp: {}, sniff: {} } }], clusters, secrets: {}, ...(workloads ? { workloads } : {}) });
  const a = build({ 'outbound|80||a': cluster });
  const b = build({ 'outbound|80||a': cluster }, { '10.0.0.9': { namespace: 'x', labels: {} } });
  const c = build({ 'outbound|80||a': { ...cluster, lb: 'RANDOM' } });
  for (const x of [a, b, c]) assert.deepEqual(JSON.parse(serialize(x)), x);
  assert.equal(new Set([a.version, b.version, c.version]).size, 3, 'workloads and a cluster are part of the version');
  assert.equal(build({ 'outbound|80||a': { ...cluster } }).version, a.version, 'equal content, equal version');
});
