import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyDelta, configDelta, isDelta, type ProxyConfigDelta } from '../../../../../src/addons/istio/config/delta.js';
import { buildGatewayConfig, type MeshSnapshot } from '../../../../../src/addons/istio/config/gateway.js';
import { RouteTranslations } from '../../../../../src/addons/istio/config/translations.js';
import type { Cluster, ProxyConfig, VirtualHost } from '../../../../../src/addons/istio/config/types.js';
import { serialize } from '../../../../../src/addons/istio/config/version.js';
import type { KObject } from '../../../../../src/api/types.js';

const meta = (name: string, i: number) => ({ name, namespace: 'default', uid: name, creationTimestamp: new Date(1_700_000_000_000 + i * 1000).toISOString() });
const vs = (i: number, header: string): KObject =>
  ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: meta(`vs-${i}`, i),
    spec: { hosts: [`app-${i}.test`], gateways: ['gw'], http: [{ headers: { response: { set: { 'x-v': header } } }, route: [{ destination: { host: i % 2 ? 'web' : 'api' } }] }] },
  }) as KObject;
const service = (name: string): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: meta(name, 0), spec: { selector: { app: name }, ports: [{ port: 80 }] } }) as KObject;
const base: Omit<MeshSnapshot, 'virtualServices'> = {
  gateways: [{ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: meta('gw', 0), spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } } as KObject],
  destinationRules: [],
  services: [service('web'), service('api')],
  endpointSlices: [],
  pods: [],
  secrets: [],
  serviceEntries: [],
};
const GATEWAY = { namespace: 'istio-system', labels: { istio: 'ingressgateway' } };
/** What the proxy holds: the document as it crossed the stream. */
const received = <T>(x: T): T => JSON.parse(typeof x === 'object' && x && 'listeners' in x ? serialize(x as unknown as ProxyConfig) : JSON.stringify(x)) as T;

test("one VirtualService's change among many is one virtual host, and merged into what the proxy holds it is the new configuration", () => {
  const translations = new RouteTranslations();
  const many = Array.from({ length: 50 }, (_, i) => vs(i, 'a'));
  const from = buildGatewayConfig({ ...base, virtualServices: many }, GATEWAY, translations);
  const edited = [...many];
  edited[7] = vs(7, 'b');
  const to = buildGatewayConfig({ ...base, virtualServices: edited }, GATEWAY, translations);
  const delta = configDelta(from, to)!;
  assert.ok(delta && isDelta(delta));
  assert.deepEqual(delta.virtualHosts.map((v) => v.key), ['app-7.test']);
  assert.deepEqual(delta.clusters, {});
  assert.deepEqual(applyDelta(received(from), received(delta)), received(to));

  const added = buildGatewayConfig({ ...base, virtualServices: [...edited, vs(50, 'a')] }, GATEWAY, translations);
  const growth = configDelta(to, added)!;
  assert.deepEqual(growth.virtualHosts.map((v) => v.key), ['app-50.test'], 'a new host');
  assert.deepEqual(applyDelta(received(to), received(growth)), received(added));

  const fewer = buildGatewayConfig({ ...base, virtualServices: edited.filter((_, i) => i % 2 === 1) }, GATEWAY, translations);
  const shrink = configDelta(added, fewer)!;
  assert.ok(shrink.virtualHosts.every((v) => v.virtualHost === null));
  assert.deepEqual(Object.keys(shrink.clusters), ['outbound|80||api.default.svc.cluster.local'], 'no route names api any more');
  assert.equal(shrink.clusters['outbound|80||api.default.svc.cluster.local'], null);
  assert.deepEqual(applyDelta(received(added), received(shrink)), received(fewer));
});

const cfg = (version: string, vhs: VirtualHost[], clusters: Record<string, Cluster> = {}, port = 8080): ProxyConfig => ({
  version,
  listeners: [{ port, serverPort: 80, protocol: 'HTTP', virtualHosts: vhs }],
  clusters,
  secrets: {},
});
const host = (domain: string, body: string): VirtualHost => ({ domains: [domain], routes: [{ name: domain, matches: [], action: { kind: 'direct', status: 200, body } }] });

test("a change to a listener, a credential, the workloads, the NetworkPolicies or the cluster DNS's endpoints is sent whole; so is a listener with two hosts of one key", () => {
  const a = cfg('1', [host('a.test', 'x')]);
  assert.equal(configDelta(a, cfg('2', [host('a.test', 'x')], {}, 8081)), undefined);
  assert.equal(configDelta(a, { ...cfg('2', [host('a.test', 'x')]), secrets: { 'ns/tls': { cert: 'c', key: 'k' } } }), undefined);
  assert.equal(configDelta(a, { ...cfg('2', [host('a.test', 'x')]), workloads: { '10.0.0.1': { namespace: 'ns', labels: {} } } }), undefined);
  assert.equal(configDelta(a, { ...cfg('2', [host('a.test', 'x')]), policies: { rules: [[]], ingress: { '10.0.0.1': [0] }, egress: {}, nodes: {} } }), undefined);
  assert.equal(configDelta(a, { ...cfg('2', [host('a.test', 'x')]), dnsEndpoints: [{ address: '10.0.0.3', port: 53, protocol: 'udp' }] }), undefined);
  assert.equal(configDelta(a, cfg('2', [host('a.test', 'x'), host('a.test', 'y')])), undefined);
  assert.deepEqual(configDelta(a, cfg('2', [host('a.test', 'x')])), { version: '2', base: '1', virtualHosts: [], clusters: {} }, 'equal content, new objects: nothing to send');
});

test('a change is merged only into the version it was made from, and only into listeners the proxy has', () => {
  const a = cfg('1', [host('a.test', 'x')]);
  const delta: ProxyConfigDelta = { version: '3', base: '2', virtualHosts: [], clusters: {} };
  assert.throws(() => applyDelta(a, delta), /delta for version 2 does not apply to version 1/);
  assert.throws(() => applyDelta(a, { version: '2', base: '1', virtualHosts: [{ port: 9090, key: 'b.test', virtualHost: host('b.test', 'y') }], clusters: {} }), /changes listener 9090, which version 1 does not have/);
});
