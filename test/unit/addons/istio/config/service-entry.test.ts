import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Socket } from 'node:net';
import type { KObject } from '../../../../../src/api/types.js';
import { buildGatewayConfig, type MeshSnapshot } from '../../../../../src/addons/istio/config/gateway.js';
import { buildMeshConfig } from '../../../../../src/addons/istio/config/mesh.js';
import { entryEndpoints, entryServices, exportedTo } from '../../../../../src/addons/istio/config/service-entry.js';
import { withOriginalDst } from '../../../../../src/addons/istio/gateway/original-dst.js';

const istio = (kind: string, namespace: string, name: string, spec: unknown, at = '2024-01-01T00:00:00Z'): KObject =>
  ({ apiVersion: 'networking.istio.io/v1', kind, metadata: { namespace, name, creationTimestamp: at }, spec }) as KObject;

const readyPod = (ns: string, name: string, ip: string, labels: Record<string, string>): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, spec: {}, status: { podIP: ip, phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }) as KObject;

const HTTP = { number: 8080, name: 'http', protocol: 'HTTP' };

/** An external host at two static endpoints (v1 on the port's own number, v2 on a named port), the Istio egress task's shape. */
const external = (extra: Record<string, unknown> = {}) =>
  istio('ServiceEntry', 'default', 'external', {
    hosts: ['external.test'],
    addresses: ['192.0.2.2'],
    location: 'MESH_EXTERNAL',
    resolution: 'STATIC',
    ports: [HTTP],
    endpoints: [
      { address: '192.0.2.2', labels: { version: 'v1' } },
      { address: '192.0.2.3', ports: { http: 9090 }, labels: { version: 'v2' } },
    ],
    ...extra,
  });

const gatewayProxy = { namespace: 'istio-system', labels: { istio: 'ingressgateway' } };

function snapshot(entries: KObject[]): MeshSnapshot {
  return {
    gateways: [istio('Gateway', 'default', 'gw', { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] })],
    virtualServices: [
      istio('VirtualService', 'default', 'external', {
        hosts: ['external.test'],
        gateways: ['gw', 'mesh'],
        http: [
          { match: [{ headers: { 'x-version': { exact: 'v2' } } }], route: [{ destination: { host: 'external.test', subset: 'v2' } }] },
          { timeout: '3s', retries: { attempts: 4, retryOn: 'gateway-error' }, route: [{ destination: { host: 'external.test', port: { number: 8080 } } }] },
        ],
      }),
    ],
    destinationRules: [istio('DestinationRule', 'default', 'external', { host: 'external.test', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } }, subsets: [{ name: 'v2', labels: { version: 'v2' } }] })],
    services: [],
    endpointSlices: [],
    pods: [],
    secrets: [],
    serviceEntries: entries,
  };
}

test("endpoints: an endpoint's port is its ports[<port name>], else the port's targetPort, else its number", () => {
  const svc = entryServices([external()]).get('external.test')!;
  assert.deepEqual(entryEndpoints(svc, HTTP, []).map((e) => e.key), ['192.0.2.2:8080', '192.0.2.3:9090']);
  assert.deepEqual(entryEndpoints(svc, { ...HTTP, targetPort: 8000 }, []).map((e) => e.key), ['192.0.2.2:8000', '192.0.2.3:9090']);
  assert.deepEqual(entryEndpoints(svc, HTTP, [], { version: 'v2' }).map((e) => e.key), ['192.0.2.3:9090']);
});

test('endpoints: weights repeat an endpoint in proportion, reduced by their common divisor', () => {
  const svc = entryServices([external({ endpoints: [{ address: '192.0.2.2', weight: 20 }, { address: '192.0.2.3', weight: 60 }] })]).get('external.test')!;
  assert.deepEqual(entryEndpoints(svc, HTTP, []).map((e) => e.address), ['192.0.2.2', '192.0.2.3', '192.0.2.3', '192.0.2.3']);
});

test('resolution DNS without endpoints resolves the host itself; NONE has no endpoints; a workloadSelector picks ready pods of its namespace', () => {
  const dns = entryServices([istio('ServiceEntry', 'default', 'dns', { hosts: ['api.example.test'], resolution: 'DNS', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] })]).get('api.example.test')!;
  assert.deepEqual(entryEndpoints(dns, { number: 443, name: 'tls', protocol: 'TLS' }, []), [{ address: 'api.example.test', port: 443, key: 'api.example.test:443' }]);
  const none = entryServices([external({ resolution: 'NONE', endpoints: undefined })]).get('external.test')!;
  assert.deepEqual(entryEndpoints(none, HTTP, []), []);
  const selected = entryServices([istio('ServiceEntry', 'default', 'vm', { hosts: ['vm.test'], resolution: 'STATIC', ports: [{ ...HTTP, targetPort: 80 }], workloadSelector: { labels: { app: 'vm' } } })]).get('vm.test')!;
  const pods = [readyPod('default', 'a', '10.244.1.5', { app: 'vm' }), readyPod('other', 'b', '10.244.1.6', { app: 'vm' }), readyPod('default', 'c', '10.244.1.7', { app: 'web' })];
  assert.deepEqual(entryEndpoints(selected, { ...HTTP, targetPort: 80 }, pods).map((e) => e.key), ['10.244.1.5:80']);
});

test("exportTo: empty and * everywhere, . the entry's namespace, names those namespaces; the oldest entry keeps a host", () => {
  assert.equal(exportedTo(undefined, 'default', 'istio-system'), true);
  assert.equal(exportedTo(['.'], 'default', 'istio-system'), false);
  assert.equal(exportedTo(['.'], 'default', 'default'), true);
  assert.equal(exportedTo(['istio-system'], 'default', 'istio-system'), true);
  const newer = istio('ServiceEntry', 'default', 'newer', { hosts: ['external.test'], resolution: 'DNS', ports: [HTTP] }, '2025-01-01T00:00:00Z');
  assert.equal(entryServices([newer, external()]).get('external.test')!.name, 'external');
  assert.equal(entryServices([external({ exportTo: ['.'] })], 'istio-system').size, 0);
});

test('through the gateway: a VirtualService on a ServiceEntry host routes to its endpoints, with the DestinationRule on that host', () => {
  const c = buildGatewayConfig(snapshot([external()]), gatewayProxy);
  const routes = c.listeners[0]!.virtualHosts.find((v) => v.domains[0] === 'external.test')!.routes;
  const [canary, main] = routes.map((r) => r.action);
  assert.ok(canary?.kind === 'route' && main?.kind === 'route');
  assert.equal(canary.clusters[0]!.cluster, 'outbound|8080|v2|external.test');
  assert.equal(main.clusters[0]!.cluster, 'outbound|8080||external.test');
  assert.equal(main.timeoutMs, 3000);
  assert.equal(main.retry.attempts, 4);
  assert.deepEqual(c.clusters['outbound|8080||external.test'], { endpoints: c.clusters['outbound|8080||external.test']!.endpoints, lb: 'ROUND_ROBIN' });
  assert.deepEqual(c.clusters['outbound|8080||external.test']!.endpoints.map((e) => e.key), ['192.0.2.2:8080', '192.0.2.3:9090']);
  assert.deepEqual(c.clusters['outbound|8080|v2|external.test']!.endpoints.map((e) => e.key), ['192.0.2.3:9090']);
});

test('an entry exported only to its own namespace is not a destination for the gateway in istio-system (503, no cluster)', () => {
  const c = buildGatewayConfig(snapshot([external({ exportTo: ['.'] })]), gatewayProxy);
  const main = c.listeners[0]!.virtualHosts.find((v) => v.domains[0] === 'external.test')!.routes[1]!.action;
  assert.ok(main.kind === 'route' && main.clusters[0]!.cluster === '');
  assert.equal(c.clusters['outbound|8080||external.test'], undefined);
});

test("in the mesh: the entry's VIP is a virtual host on its port with the VirtualService's routes; a TCP port is passed through; NONE is the original destination", () => {
  const tls = istio('ServiceEntry', 'default', 'tls', { hosts: ['secure.test'], addresses: ['192.0.2.4', '198.51.100.0/24'], resolution: 'NONE', ports: [{ number: 443, name: 'tls', protocol: 'TLS' }] });
  const c = buildMeshConfig(snapshot([external(), tls]));
  const l = c.listeners.find((x) => x.port === 8080)!;
  assert.deepEqual(l.virtualHosts.map((v) => v.domains), [['192.0.2.2']]);
  const main = l.virtualHosts[0]!.routes[1]!.action;
  assert.ok(main.kind === 'route' && main.timeoutMs === 3000 && main.clusters[0]!.cluster === 'outbound|8080||external.test');
  const t = c.listeners.find((x) => x.port === 443)!;
  // A CIDR address is not captured, so it gets no listener entry.
  assert.deepEqual(t.mesh!.tcp, { '192.0.2.4': 'outbound|443||secure.test' });
  assert.deepEqual(c.clusters['outbound|443||secure.test'], { endpoints: [], lb: 'LEAST_REQUEST', originalDst: true });
});

test("an original-destination cluster dials the connection's own destination in the mesh, and nothing at a gateway", () => {
  const cluster = { endpoints: [], lb: 'LEAST_REQUEST' as const, originalDst: true as const };
  const socket = { localAddress: '::ffff:192.0.2.4', localPort: 443 } as Socket;
  assert.deepEqual(withOriginalDst(cluster, socket, true).endpoints, [{ address: '192.0.2.4', port: 443, key: '192.0.2.4:443' }]);
  assert.deepEqual(withOriginalDst(cluster, socket, false).endpoints, []);
  const plain = { endpoints: [{ address: '10.0.0.1', port: 80, key: '10.0.0.1:80' }], lb: 'ROUND_ROBIN' as const };
  assert.equal(withOriginalDst(plain, socket, true), plain);
});

test("in the mesh, an entry's exportTo is kept per VIP: callers of other namespaces pass through to the original destination", () => {
  const c = buildMeshConfig(snapshot([external({ exportTo: ['.', 'prod'] })]));
  const l = c.listeners.find((x) => x.port === 8080)!;
  assert.deepEqual(l.mesh!.exportTo, { '192.0.2.2': ['default', 'prod'] });
  assert.deepEqual(c.clusters.PassthroughCluster, { endpoints: [], lb: 'PASSTHROUGH', originalDst: true });
  const everywhere = buildMeshConfig(snapshot([external({ exportTo: ['*'] })]));
  assert.equal(everywhere.listeners.find((x) => x.port === 8080)!.mesh!.exportTo, undefined);
  assert.equal(everywhere.clusters.PassthroughCluster, undefined);
});

test("in the mesh, an entry without addresses is at those istiod allocated its hosts; the ztunnels' DNS table holds every entry host with addresses, exportTo kept", () => {
  const auto = {
    ...istio('ServiceEntry', 'default', 'auto', { hosts: ['auto.test', 'Other.test', '*.wild.test'], resolution: 'DNS', ports: [HTTP], exportTo: ['.'] }),
    status: { addresses: [{ host: 'auto.test', value: '240.240.0.1' }, { host: 'auto.test', value: '2001:2::1' }, { host: 'Other.test', value: '240.240.0.2' }] },
  } as KObject;
  const c = buildMeshConfig(snapshot([external(), auto]));
  const l = c.listeners.find((x) => x.port === 8080)!;
  assert.deepEqual(l.virtualHosts.map((v) => v.domains[0]).sort(), ['192.0.2.2', '240.240.0.1', '240.240.0.2']);
  assert.deepEqual(l.mesh!.exportTo, { '240.240.0.1': ['default'], '240.240.0.2': ['default'] });
  assert.deepEqual(c.dns, {
    'external.test': { addresses: ['192.0.2.2'] },
    'auto.test': { addresses: ['240.240.0.1'], exportTo: ['default'] },
    'other.test': { addresses: ['240.240.0.2'], exportTo: ['default'] },
  });
  // Opted out, the entry has no addresses: no listener, no name.
  const out = buildMeshConfig(snapshot([{ ...auto, metadata: { ...auto.metadata, labels: { 'networking.istio.io/enable-autoallocate-ip': 'false' } } } as KObject]));
  assert.deepEqual(out.listeners, []);
  assert.deepEqual(out.dns, {});
});
