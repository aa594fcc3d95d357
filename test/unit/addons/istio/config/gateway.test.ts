import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../../../../src/api/types.js';
import { buildGatewayConfig, type MeshSnapshot } from '../../../../../src/addons/istio/config/gateway.js';
import { DEFAULT_RETRY, translateRetry } from '../../../../../src/addons/istio/config/routes.js';
import { RouteTranslations } from '../../../../../src/addons/istio/config/translations.js';

const obj = (kind: string, namespace: string, name: string, rest: Record<string, unknown>, labels?: Record<string, string>): KObject =>
  ({ apiVersion: kind === 'Service' || kind === 'Pod' ? 'v1' : 'networking.istio.io/v1', kind, metadata: { namespace, name, ...(labels ? { labels } : {}) }, ...rest }) as KObject;

const created = (at: string, o: KObject): KObject => ({ ...o, metadata: { ...o.metadata, creationTimestamp: at } });

const proxy = { namespace: 'istio-system', labels: { app: 'istio-ingressgateway', istio: 'ingressgateway' } };

function slice(ns: string, svc: string, port: { name?: string; port: number }, pods: { ip: string; pod: string }[]): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `${svc}-x`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    ports: [{ name: port.name ?? '', port: port.port, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: ns, name: p.pod } })),
  } as KObject;
}

/** Scenario 004: my-gateway (example.com:80), my-service VS on /api, a ROUND_ROBIN rule, and the canary greet objects. */
function scenario(): MeshSnapshot {
  return {
    gateways: [obj('Gateway', 'default', 'my-gateway', { spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['example.com'] }] } })],
    virtualServices: [
      created('2024-01-01T00:00:00Z', obj('VirtualService', 'default', 'my-service', { spec: { hosts: ['example.com'], gateways: ['my-gateway'], http: [{ match: [{ uri: { prefix: '/api' } }], route: [{ destination: { host: 'my-service', port: { number: 80 } } }] }] } })),
      created('2024-01-02T00:00:00Z', obj('VirtualService', 'default', 'greet', {
        spec: {
          hosts: ['greet', 'example.com'],
          gateways: ['mesh', 'my-gateway'],
          http: [
            { match: [{ headers: { 'X-Canary': { exact: 'yes' } } }], route: [{ destination: { host: 'greet', subset: 'v2' } }] },
            {
              match: [{ uri: { prefix: '/greet' } }],
              rewrite: { uri: '/' },
              retries: { attempts: 3, perTryTimeout: '2s', retryOn: '5xx,connect-failure' },
              timeout: '5s',
              route: [
                { destination: { host: 'greet', subset: 'v1' }, weight: 90 },
                { destination: { host: 'greet', subset: 'v2' }, weight: 10 },
              ],
            },
          ],
        },
      })),
    ],
    destinationRules: [
      obj('DestinationRule', 'default', 'my-destination-rule', { spec: { host: 'my-service', trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' } } } }),
      obj('DestinationRule', 'default', 'greet', { spec: { host: 'greet', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] } }),
    ],
    services: [
      obj('Service', 'default', 'my-service', { spec: { selector: { app: 'my-app' }, ports: [{ port: 80, targetPort: 80 }] } }),
      obj('Service', 'default', 'greet', { spec: { selector: { app: 'greet' }, ports: [{ name: 'http', port: 80, targetPort: 8080 }] } }),
      obj('Service', 'istio-system', 'istio-ingressgateway', { spec: { selector: proxy.labels, ports: [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }] } }),
    ],
    endpointSlices: [
      slice('default', 'my-service', { port: 80 }, [{ ip: '10.244.1.5', pod: 'a' }, { ip: '10.244.2.5', pod: 'b' }]),
      slice('default', 'greet', { name: 'http', port: 8080 }, [{ ip: '10.244.1.7', pod: 'g1' }, { ip: '10.244.1.8', pod: 'g2' }]),
    ],
    pods: [obj('Pod', 'default', 'g1', {}, { app: 'greet', version: 'v1' }), obj('Pod', 'default', 'g2', {}, { app: 'greet', version: 'v2' })],
    secrets: [],
  };
}

test('a Gateway selecting the proxy gives a listener on the Service targetPort of its server port, with the bound VirtualServices merged per host', () => {
  const c = buildGatewayConfig(scenario(), proxy);
  assert.equal(c.listeners.length, 1);
  const l = c.listeners[0]!;
  assert.deepEqual([l.port, l.serverPort, l.protocol], [8080, 80, 'HTTP']);
  assert.deepEqual(l.virtualHosts.map((v) => v.domains), [['example.com']]);
  const routes = l.virtualHosts[0]!.routes;
  // my-service (older) first, then greet's two rules, in their order.
  assert.deepEqual(routes.map((r) => r.matches), [[{ uri: { prefix: '/api' } }], [{ headers: { 'x-canary': { exact: 'yes' } } }], [{ uri: { prefix: '/greet' } }]]);
  const api = routes[0]!.action;
  assert.equal(api.kind, 'route');
  if (api.kind !== 'route') return;
  assert.deepEqual(api.clusters, [{ cluster: 'outbound|80||my-service.default.svc.cluster.local', weight: 100 }]);
  assert.deepEqual(api.retry, DEFAULT_RETRY);
  assert.equal(c.clusters['outbound|80||my-service.default.svc.cluster.local']!.lb, 'ROUND_ROBIN');
  assert.deepEqual(c.clusters['outbound|80||my-service.default.svc.cluster.local']!.endpoints.map((e) => e.key), ['10.244.1.5:80', '10.244.2.5:80']);
});

test("route names as pilot gives them: the HTTPRoute's name ('' without one), each match block's name beside it", () => {
  const snap = scenario();
  const greet = snap.virtualServices[1]!;
  const spec = greet.spec as { http: { name?: string; match: { name?: string }[] }[] };
  spec.http[0]!.name = 'canary';
  spec.http[0]!.match[0]!.name = 'by-header';
  const routes = buildGatewayConfig(snap, proxy).listeners[0]!.virtualHosts[0]!.routes;
  assert.deepEqual(routes.map((r) => [r.name, r.matches.map((m) => m.name)]), [['', [undefined]], ['canary', ['by-header']], ['', [undefined]]]);
});

test('subsets select endpoints by their pods labels; weights, rewrite, timeout and retries are carried over', () => {
  const c = buildGatewayConfig(scenario(), proxy);
  assert.deepEqual(c.clusters['outbound|80|v1|greet.default.svc.cluster.local']!.endpoints.map((e) => e.key), ['10.244.1.7:8080']);
  assert.deepEqual(c.clusters['outbound|80|v2|greet.default.svc.cluster.local']!.endpoints.map((e) => e.key), ['10.244.1.8:8080']);
  assert.equal(c.clusters['outbound|80|v1|greet.default.svc.cluster.local']!.lb, 'LEAST_REQUEST');
  const greet = c.listeners[0]!.virtualHosts[0]!.routes[2]!.action;
  assert.equal(greet.kind, 'route');
  if (greet.kind !== 'route') return;
  assert.deepEqual(greet.clusters.map((w) => w.weight), [90, 10]);
  assert.deepEqual(greet.rewrite, { uri: '/' });
  assert.equal(greet.timeoutMs, 5000);
  assert.deepEqual(greet.retry, { attempts: 3, perTryTimeoutMs: 2000, retryOn: ['5xx', 'connect-failure'], statusCodes: [] });
});

test('a Gateway that selects other pods, or a VirtualService bound elsewhere, gives the proxy nothing', () => {
  const snap = scenario();
  assert.deepEqual(buildGatewayConfig(snap, { namespace: 'istio-system', labels: { istio: 'egressgateway' } }).listeners, []);
  snap.virtualServices = snap.virtualServices.map((v) => ({ ...v, spec: { ...(v as unknown as { spec: object }).spec, gateways: ['other/my-gateway'] } }) as KObject);
  assert.deepEqual(buildGatewayConfig(snap, proxy).listeners[0]!.virtualHosts, []);
});

test('server hosts: ns/ limits the VirtualServices, a wildcard server narrows to the VirtualService host, and * admits all', () => {
  const snap = scenario();
  const gw = snap.gateways[0] as unknown as { spec: { servers: { hosts: string[] }[] } };
  gw.spec.servers[0]!.hosts = ['prod/example.com'];
  assert.deepEqual(buildGatewayConfig(snap, proxy).listeners[0]!.virtualHosts, []);
  gw.spec.servers[0]!.hosts = ['./*.com'];
  assert.deepEqual(buildGatewayConfig(snap, proxy).listeners[0]!.virtualHosts.map((v) => v.domains[0]), ['example.com']);
  gw.spec.servers[0]!.hosts = ['*'];
  // greet's short host also binds: a gateway matches it as written.
  assert.deepEqual(buildGatewayConfig(snap, proxy).listeners[0]!.virtualHosts.map((v) => v.domains[0]).sort(), ['example.com', 'greet']);
});

test("a TCP server is a TCP listener with the tcp routes of the VirtualServices bound to it, by port; a port an HTTP server has stays HTTP", () => {
  const snap = scenario();
  snap.gateways.push(
    obj('Gateway', 'default', 'tcp-gateway', {
      spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 31400, name: 'tcp', protocol: 'TCP' }, hosts: ['*'] }, { port: { number: 80, name: 'tcp-80', protocol: 'TCP' }, hosts: ['*'] }] },
    }),
  );
  snap.virtualServices.push(
    created('2024-01-03T00:00:00Z', obj('VirtualService', 'default', 'greet-tcp', {
      spec: {
        hosts: ['*'],
        gateways: ['tcp-gateway'],
        tcp: [
          { match: [{ port: 31400 }], route: [{ destination: { host: 'greet', subset: 'v1' }, weight: 80 }, { destination: { host: 'greet', subset: 'v2' }, weight: 20 }] },
          { match: [{ port: 9999 }], route: [{ destination: { host: 'my-service' } }] },
        ],
      },
    })),
    created('2024-01-04T00:00:00Z', obj('VirtualService', 'default', 'elsewhere', { spec: { hosts: ['*'], gateways: ['my-gateway'], tcp: [{ route: [{ destination: { host: 'my-service' } }] }] } })),
  );
  const c = buildGatewayConfig(snap, proxy);
  assert.deepEqual(c.listeners.map((l) => [l.serverPort, l.protocol]), [[80, 'HTTP'], [31400, 'TCP']]);
  const tcp = c.listeners.find((l) => l.protocol === 'TCP')!;
  assert.equal(tcp.port, 31400, 'no Service port says otherwise: the server number');
  assert.deepEqual(tcp.tcp, [{ matches: [], clusters: [{ cluster: 'outbound|80|v1|greet.default.svc.cluster.local', weight: 80 }, { cluster: 'outbound|80|v2|greet.default.svc.cluster.local', weight: 20 }] }]);
  assert.ok(c.clusters['outbound|80|v2|greet.default.svc.cluster.local']);
});

test('a destination whose subset no DestinationRule defines names no cluster (503 at the proxy)', () => {
  const snap = scenario();
  snap.destinationRules = snap.destinationRules.filter((d) => d.metadata.name !== 'greet');
  const c = buildGatewayConfig(snap, proxy);
  const canary = c.listeners[0]!.virtualHosts[0]!.routes[1]!.action;
  assert.ok(canary.kind === 'route' && canary.clusters[0]!.cluster === '');
});

test('HTTPS SIMPLE servers carry their credential from the proxy namespace; the version changes with the configuration', () => {
  const snap = scenario();
  const before = buildGatewayConfig(snap, proxy).version;
  (snap.gateways[0] as unknown as { spec: { servers: unknown[] } }).spec.servers.push({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['example.com'], tls: { mode: 'SIMPLE', credentialName: 'cred' } });
  snap.secrets.push(obj('Secret', 'istio-system', 'cred', { data: { 'tls.crt': Buffer.from('CERT').toString('base64'), 'tls.key': Buffer.from('KEY').toString('base64') } }));
  const c = buildGatewayConfig(snap, proxy);
  assert.notEqual(c.version, before);
  const https = c.listeners.find((l) => l.serverPort === 443)!;
  assert.deepEqual([https.port, https.protocol, https.tls], [8443, 'HTTPS', [{ hosts: ['example.com'], credential: 'istio-system/cred' }]]);
  assert.deepEqual(c.secrets['istio-system/cred'], { cert: 'CERT', key: 'KEY' });
});

test("mutual TLS servers: the CA from the credential's own Secret or from its -cacert Secret (which wins), as istiod's SDS serves them, with their client certificate checks and protocol versions; no mode is Istio's PASSTHROUGH", () => {
  const b64 = (s: string) => Buffer.from(s).toString('base64');
  const server = (port: number, host: string, tls: Record<string, unknown>) => ({ port: { number: port, name: `https-${port}`, protocol: 'HTTPS' }, hosts: [host], tls });
  const snap = scenario();
  (snap.gateways[0] as unknown as { spec: { servers: unknown[] } }).spec.servers.push(
    server(443, 'mutual.example.com', { mode: 'MUTUAL', credentialName: 'generic', subjectAltNames: ['client.example.com'], verifyCertificateHash: ['AB:cd:01'], minProtocolVersion: 'TLSV1_3', maxProtocolVersion: 'TLS_AUTO' }),
    server(443, 'optional.example.com', { mode: 'OPTIONAL_MUTUAL', credentialName: 'split' }),
    server(443, 'simple.example.com', { mode: 'SIMPLE', credentialName: 'split' }),
    server(9443, 'passthrough.example.com', { credentialName: 'generic' }),
  );
  snap.secrets.push(
    // Istio's generic keys, which it reads before tls.crt/tls.key.
    obj('Secret', 'istio-system', 'generic', { data: { cert: b64('CERT'), key: b64('KEY'), cacert: b64('CA'), crl: b64('CRL'), 'tls.crt': b64('OTHER'), 'tls.key': b64('OTHER') } }),
    obj('Secret', 'istio-system', 'split', { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('CERT2'), 'tls.key': b64('KEY2'), 'ca.crt': b64('OWN-CA') } }),
    obj('Secret', 'istio-system', 'split-cacert', { data: { 'ca.crt': b64('CA2'), 'ca.crl': b64('CRL2') } }),
  );
  const c = buildGatewayConfig(snap, proxy);
  assert.deepEqual(c.listeners.map((l) => l.serverPort), [80, 443], 'no listener for the server without a mode: PASSTHROUGH, which has no TLS routes here');
  assert.deepEqual(c.listeners.find((l) => l.serverPort === 443)!.tls, [
    { hosts: ['mutual.example.com'], credential: 'istio-system/generic', clientCertificate: 'MUTUAL', subjectAltNames: ['client.example.com'], certificateHashes: ['abcd01'], minVersion: 'TLSv1.3' },
    { hosts: ['optional.example.com'], credential: 'istio-system/split', clientCertificate: 'OPTIONAL_MUTUAL' },
    { hosts: ['simple.example.com'], credential: 'istio-system/split' },
  ]);
  assert.deepEqual(c.secrets, {
    'istio-system/generic': { cert: 'CERT', key: 'KEY', ca: 'CA', crl: 'CRL' },
    'istio-system/split': { cert: 'CERT2', key: 'KEY2', ca: 'CA2', crl: 'CRL2' },
  });
});

test("PASSTHROUGH servers take the bound VirtualServices' tls routes by port and gateway, a repeated SNI host skipped; on a port with SIMPLE servers they join its listener", () => {
  const snap = scenario();
  const servers = (snap.gateways[0] as unknown as { spec: { servers: unknown[] } }).spec.servers;
  servers.push(
    { port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['nginx.example.com', '*.pass.example.com'], tls: { mode: 'PASSTHROUGH' } },
    { port: { number: 443, name: 'https-simple', protocol: 'HTTPS' }, hosts: ['simple.example.com'], tls: { mode: 'SIMPLE', credentialName: 'cred' } },
    { port: { number: 8443, name: 'tls', protocol: 'TLS' }, hosts: ['*'], tls: { mode: 'PASSTHROUGH' } },
  );
  snap.services.push(obj('Service', 'default', 'my-nginx', { spec: { ports: [{ port: 443, targetPort: 443 }] } }));
  snap.virtualServices.push(
    created('2024-01-03T00:00:00Z', obj('VirtualService', 'default', 'nginx', {
      spec: {
        hosts: ['nginx.example.com', 'a.pass.example.com'],
        gateways: ['my-gateway'],
        tls: [
          { match: [{ port: 443, sniHosts: ['nginx.example.com'] }, { port: 8443, sniHosts: ['other.example.com'] }], route: [{ destination: { host: 'my-nginx', port: { number: 443 } } }] },
          // nginx.example.com again: on 443 pilot skips the duplicate.
          { match: [{ sniHosts: ['nginx.example.com', 'a.pass.example.com'] }], route: [{ destination: { host: 'my-nginx' } }] },
          { match: [{ sniHosts: ['a.pass.example.com'], gateways: ['other-gateway'] }], route: [{ destination: { host: 'my-nginx' } }] },
        ],
      },
    })),
  );
  const c = buildGatewayConfig(snap, proxy);
  const nginx = 'outbound|443||my-nginx.default.svc.cluster.local';
  const https = c.listeners.find((l) => l.serverPort === 443)!;
  assert.equal(https.protocol, 'HTTPS');
  assert.deepEqual(https.tls, [{ hosts: ['simple.example.com'], credential: 'istio-system/cred' }]);
  assert.deepEqual(https.passthrough, [{ sniHosts: ['nginx.example.com'], clusters: [{ cluster: nginx, weight: 100 }] }]);
  const tlsOnly = c.listeners.find((l) => l.serverPort === 8443)!;
  // On 8443 the second block's match, which names no port, is no one's duplicate.
  assert.deepEqual(
    [tlsOnly.protocol, tlsOnly.virtualHosts, tlsOnly.passthrough],
    ['HTTPS', [], [{ sniHosts: ['other.example.com'], clusters: [{ cluster: nginx, weight: 100 }] }, { sniHosts: ['nginx.example.com', 'a.pass.example.com'], clusters: [{ cluster: nginx, weight: 100 }] }]],
  );
  assert.ok(c.clusters[nginx], 'the cluster the routes name');
});

test('retries: none set means Istio default; attempts 0 turns them off; numeric retryOn entries become status codes', () => {
  assert.deepEqual(translateRetry(undefined), DEFAULT_RETRY);
  assert.deepEqual(translateRetry({ attempts: 0 }), { attempts: 0, retryOn: [], statusCodes: [] });
  assert.deepEqual(translateRetry({ attempts: 4, retryOn: 'gateway-error,409' }), { attempts: 4, retryOn: ['gateway-error', 'retriable-status-codes'], statusCodes: [409] });
});

test("a DestinationRule's policies reach each cluster (a subset's over the top level's, port-level ones at their port); mirror and corsPolicy reach the route", () => {
  const snap = scenario();
  snap.destinationRules = snap.destinationRules.map((d) =>
    d.metadata.name !== 'greet'
      ? d
      : ({
          ...d,
          spec: {
            host: 'greet',
            trafficPolicy: { connectionPool: { tcp: { maxConnections: 1 } }, outlierDetection: { consecutive5xxErrors: 2 } },
            subsets: [
              { name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } } },
              { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { portLevelSettings: [{ port: { number: 80 }, loadBalancer: { simple: 'RANDOM' } }] } },
            ],
          },
        } as KObject),
  );
  const vs = snap.virtualServices[1] as unknown as { spec: { http: Record<string, unknown>[] } };
  Object.assign(vs.spec.http[0]!, { mirror: { host: 'my-service' }, mirrorPercentage: { value: 50 }, corsPolicy: { allowOrigins: [{ exact: 'https://a.test' }] } });
  const c = buildGatewayConfig(snap, proxy);
  const v1 = c.clusters['outbound|80|v1|greet.default.svc.cluster.local']!;
  assert.deepEqual(v1.hash, { policy: { header: 'x-user' }, minimumRingSize: 1024 });
  assert.deepEqual(v1.pool, { maxConnections: 1 });
  assert.equal(v1.outlier?.consecutive5xx, 2);
  // v2's port-level settings replace everything at port 80: no pool, no outlier detection.
  const v2 = c.clusters['outbound|80|v2|greet.default.svc.cluster.local']!;
  assert.deepEqual([v2.lb, v2.pool, v2.outlier], ['RANDOM', undefined, undefined]);
  const canary = c.listeners[0]!.virtualHosts[0]!.routes[1]!;
  assert.ok(canary.action.kind === 'route');
  if (canary.action.kind !== 'route') return;
  assert.deepEqual(canary.action.mirrors, [{ cluster: 'outbound|80||my-service.default.svc.cluster.local', percent: 50 }]);
  assert.deepEqual(canary.cors, { allowOrigins: [{ exact: 'https://a.test' }], forwardUnmatchedPreflights: true });
});

test('a build keeps the clusters whose Service, DestinationRule, slices (and, for a subset, pods) did not change, and makes the others again', () => {
  const translations = new RouteTranslations();
  const snap = scenario();
  const first = buildGatewayConfig(snap, proxy, translations);
  const names = ['outbound|80||my-service.default.svc.cluster.local', 'outbound|80|v1|greet.default.svc.cluster.local'] as const;
  const edited = { ...snap, virtualServices: snap.virtualServices.map((v) => ({ ...v }) as KObject) };
  const second = buildGatewayConfig(edited, proxy, translations);
  for (const n of names) assert.equal(second.clusters[n], first.clusters[n], `${n} is the very same cluster`);
  assert.equal(second.version, first.version);

  const moved = { ...edited, endpointSlices: [slice('default', 'my-service', { port: 80 }, [{ ip: '10.244.1.6', pod: 'a' }]), edited.endpointSlices[1]!] };
  const third = buildGatewayConfig(moved, proxy, translations);
  assert.deepEqual(third.clusters[names[0]]!.endpoints.map((e) => e.key), ['10.244.1.6:80']);
  assert.equal(third.clusters[names[1]], first.clusters[names[1]], "greet's slice is the same object");
  assert.notEqual(third.version, second.version);

  const relabelled = { ...moved, pods: [obj('Pod', 'default', 'g1', {}, { app: 'greet', version: 'v2' }), moved.pods[1]!] };
  const fourth = buildGatewayConfig(relabelled, proxy, translations);
  assert.deepEqual(fourth.clusters[names[1]]!.endpoints, [], 'no pod is v1 any more');
  assert.equal(fourth.clusters[names[0]], third.clusters[names[0]], 'no subset: the pods do not matter');

  const rule = { ...relabelled, destinationRules: [obj('DestinationRule', 'default', 'my-destination-rule', { spec: { host: 'my-service', trafficPolicy: { loadBalancer: { simple: 'RANDOM' } } } }), relabelled.destinationRules[1]!] };
  assert.equal(buildGatewayConfig(rule, proxy, translations).clusters[names[0]]!.lb, 'RANDOM');
});

test("a DestinationRule's client tls: SIMPLE and MUTUAL by port and subset, the credential read from the proxy's namespace; a missing one, or a sidecar's file, fails the cluster's connections", () => {
  const secret = (namespace: string, name: string, data: Record<string, string>): KObject =>
    ({ apiVersion: 'v1', kind: 'Secret', metadata: { namespace, name }, data: Object.fromEntries(Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')])) }) as KObject;
  const snap = scenario();
  snap.destinationRules = [
    obj('DestinationRule', 'default', 'my-destination-rule', {
      spec: {
        host: 'my-service',
        trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'origin-ca' }, portLevelSettings: [{ port: { number: 80 }, tls: { mode: 'SIMPLE', credentialName: 'origin-ca', sni: 'origin.example', subjectAltNames: ['san.example'] } }] },
      },
    }),
    obj('DestinationRule', 'default', 'greet', {
      spec: {
        host: 'greet',
        trafficPolicy: { tls: { mode: 'MUTUAL', credentialName: 'client' } },
        subsets: [
          { name: 'v1', labels: { version: 'v1' } },
          { name: 'v2', labels: { version: 'v2' }, trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } },
        ],
      },
    }),
  ];
  snap.secrets = [
    secret('istio-system', 'origin-ca', { 'ca.crt': 'CA' }),
    secret('istio-system', 'client', { 'tls.crt': 'CERT', 'tls.key': 'KEY', 'ca.crt': 'CA2' }),
    secret('default', 'origin-ca', { 'ca.crt': 'NOT THE GATEWAY\'S' }),
  ];
  // One translation cache across the builds, as istiod keeps it: a changed Secret list or rule must still reach the cluster.
  const translations = new RouteTranslations();
  const tlsOf = (cluster: string) => buildGatewayConfig(snap, proxy, translations).clusters[cluster]!.tls;
  assert.deepEqual(tlsOf('outbound|80||my-service.default.svc.cluster.local'), { sni: 'origin.example', subjectAltNames: ['san.example'], ca: 'CA' });
  assert.deepEqual(tlsOf('outbound|80|v1|greet.default.svc.cluster.local'), { sni: 'greet.default.svc.cluster.local', ca: 'CA2', cert: 'CERT', key: 'KEY' });
  assert.equal(tlsOf('outbound|80|v2|greet.default.svc.cluster.local'), undefined, 'ISTIO_MUTUAL: the mesh has no mutual TLS between proxies');

  snap.secrets = snap.secrets.filter((s) => s.metadata.name !== 'client');
  assert.equal(tlsOf('outbound|80|v1|greet.default.svc.cluster.local')?.missing, 'secret istio-system/client');
  snap.destinationRules = [obj('DestinationRule', 'default', 'my-destination-rule', { spec: { host: 'my-service', trafficPolicy: { tls: { mode: 'SIMPLE', caCertificates: '/etc/certs/ca.pem' } } } }), snap.destinationRules[1]!];
  assert.equal(tlsOf('outbound|80||my-service.default.svc.cluster.local')?.missing, 'file /etc/certs/ca.pem');
});
