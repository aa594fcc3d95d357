import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../../../../src/api/types.js';
import type { MeshSnapshot } from '../../../../../src/addons/istio/config/gateway.js';
import { buildMeshConfig, portProtocol } from '../../../../../src/addons/istio/config/mesh.js';
import { connectionAllowed } from '../../../../../src/api/networkpolicy/verdict.js';

const svc = (ns: string, name: string, clusterIP: string, ports: { name?: string; port: number; protocol?: string; appProtocol?: string }[]): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: ns, name }, spec: { clusterIP, ports } }) as KObject;

const pod = (ns: string, name: string, ip: string, labels: Record<string, string>): KObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: ns, name, labels }, spec: {}, status: { podIP: ip } }) as KObject;

function slice(ns: string, service: string, portName: string, port: number, pods: { ip: string; pod: string }[]): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: ns, name: `${service}-x`, labels: { 'kubernetes.io/service-name': service } },
    addressType: 'IPv4',
    ports: [{ name: portName, port, protocol: 'TCP' }],
    endpoints: pods.map((p) => ({ addresses: [p.ip], conditions: { ready: true }, targetRef: { kind: 'Pod', namespace: ns, name: p.pod } })),
  } as KObject;
}

const istio = (kind: string, name: string, spec: unknown, at = '2024-01-01T00:00:00Z'): KObject =>
  ({ apiVersion: 'networking.istio.io/v1', kind, metadata: { namespace: 'default', name, creationTimestamp: at }, spec }) as KObject;

/** Scenario 004's canary objects, a TCP database, the ingress gateway's Service and an empty Service. */
function snapshot(): MeshSnapshot {
  return {
    gateways: [],
    virtualServices: [
      istio('VirtualService', 'greet', {
        hosts: ['greet'],
        http: [
          { match: [{ headers: { 'x-canary': { exact: 'yes' } } }], route: [{ destination: { host: 'greet', subset: 'v2' } }] },
          { route: [{ destination: { host: 'greet', subset: 'v1' }, weight: 90 }, { destination: { host: 'greet', subset: 'v2' }, weight: 10 }] },
        ],
      }),
      istio('VirtualService', 'greet-gateway-only', { hosts: ['greet'], gateways: ['my-gateway'], http: [{ route: [{ destination: { host: 'other' } }] }] }, '2023-01-01T00:00:00Z'),
    ],
    destinationRules: [istio('DestinationRule', 'greet', { host: 'greet', subsets: [{ name: 'v1', labels: { version: 'v1' } }, { name: 'v2', labels: { version: 'v2' } }] })],
    services: [
      svc('default', 'greet', '10.96.0.20', [{ name: 'http', port: 80 }]),
      svc('default', 'db', '10.96.0.21', [{ name: 'tcp-db', port: 5432 }, { port: 9000 }]),
      svc('default', 'empty', '10.96.0.22', [{ name: 'http', port: 80 }]),
      svc('default', 'headless', 'None', [{ name: 'http', port: 80 }]),
      svc('istio-system', 'istio-ingressgateway', '10.96.0.30', [{ name: 'status-port', port: 15021 }, { name: 'http2', port: 80 }]),
    ],
    endpointSlices: [
      slice('default', 'greet', 'http', 8080, [
        { ip: '10.244.1.10', pod: 'greet-v1-a' },
        { ip: '10.244.1.11', pod: 'greet-v1-b' },
        { ip: '10.244.2.10', pod: 'greet-v2-a' },
      ]),
      slice('default', 'db', 'tcp-db', 5432, [{ ip: '10.244.1.20', pod: 'db-0' }]),
    ],
    pods: [
      pod('default', 'greet-v1-a', '10.244.1.10', { app: 'greet', version: 'v1' }),
      pod('default', 'greet-v1-b', '10.244.1.11', { app: 'greet', version: 'v1' }),
      pod('default', 'greet-v2-a', '10.244.2.10', { app: 'greet', version: 'v2' }),
      pod('default', 'client', '10.244.1.5', { run: 'client' }),
    ],
    secrets: [],
  };
}

test("Istio's protocol selection for a Service port", () => {
  assert.equal(portProtocol({ name: 'http', port: 80 }), 'HTTP');
  assert.equal(portProtocol({ name: 'http-web', port: 80 }), 'HTTP');
  assert.equal(portProtocol({ name: 'web', port: 80, appProtocol: 'http' }), 'HTTP');
  assert.equal(portProtocol({ name: 'tcp-db', port: 5432 }), 'TCP');
  assert.equal(portProtocol({ name: 'grpc', port: 9090 }), 'TCP');
  assert.equal(portProtocol({ name: 'http', port: 53, protocol: 'UDP' }), 'TCP');
  assert.equal(portProtocol({ port: 9000 }), 'AUTO');
  assert.equal(portProtocol({ name: 'metrics', port: 9000 }), 'AUTO');
});

test('a listener per Service port number; each ClusterIP is a virtual host with the VirtualService bound to mesh', () => {
  const c = buildMeshConfig(snapshot());
  assert.deepEqual(c.listeners.map((l) => l.port), [80, 5432, 9000]);
  const l80 = c.listeners.find((l) => l.port === 80)!;
  assert.deepEqual(l80.virtualHosts.map((v) => v.domains), [['10.96.0.20'], ['10.96.0.22']]);
  // The gateway's `http2` port: HTTP/2 by its name, which the mesh proxy passes through.
  assert.deepEqual(l80.mesh?.tcp, { '10.96.0.30': 'outbound|80||istio-ingressgateway.istio-system.svc.cluster.local' });
  const greet = l80.virtualHosts[0]!;
  assert.equal(greet.routes.length, 2);
  assert.deepEqual(greet.routes[0]!.matches, [{ headers: { 'x-canary': { exact: 'yes' } } }]);
  const weighted = greet.routes[1]!.action;
  assert.equal(weighted.kind, 'route');
  assert.deepEqual(weighted.kind === 'route' && weighted.clusters, [
    { cluster: 'outbound|80|v1|greet.default.svc.cluster.local', weight: 90 },
    { cluster: 'outbound|80|v2|greet.default.svc.cluster.local', weight: 10 },
  ]);
  assert.deepEqual(c.clusters['outbound|80|v1|greet.default.svc.cluster.local']!.endpoints.map((e) => e.address), ['10.244.1.10', '10.244.1.11']);
  assert.deepEqual(c.clusters['outbound|80|v2|greet.default.svc.cluster.local']!.endpoints.map((e) => e.address), ['10.244.2.10']);
});

test('a Service no VirtualService routes gets its own cluster; an empty one a cluster without endpoints', () => {
  const c = buildMeshConfig(snapshot());
  const vh = c.listeners.find((l) => l.port === 80)!.virtualHosts.find((v) => v.domains[0] === '10.96.0.22')!;
  assert.equal(vh.routes.length, 1);
  const a = vh.routes[0]!.action;
  assert.deepEqual(a.kind === 'route' && a.clusters, [{ cluster: 'outbound|80||empty.default.svc.cluster.local', weight: 100 }]);
  assert.deepEqual(c.clusters['outbound|80||empty.default.svc.cluster.local']!.endpoints, []);
});

test('TCP ports are passed through, unnamed ones sniffed, the status port 15021 left to the proxy itself', () => {
  const c = buildMeshConfig(snapshot());
  const db = c.listeners.find((l) => l.port === 5432)!;
  assert.deepEqual(db.mesh, { tcp: { '10.96.0.21': 'outbound|5432||db.default.svc.cluster.local' }, sniff: {} });
  assert.deepEqual(db.virtualHosts, []);
  const auto = c.listeners.find((l) => l.port === 9000)!;
  assert.deepEqual(auto.mesh, { tcp: {}, sniff: { '10.96.0.21': 'outbound|9000||db.default.svc.cluster.local' } });
  assert.equal(c.listeners.some((l) => l.port === 15021), false);
});

test("a VirtualService's tcp routes go with the TCP and sniffed destinations of its host, by port and gateway; a lone destination takes everything", () => {
  const snap = snapshot();
  snap.virtualServices.push(
    istio('VirtualService', 'db', {
      hosts: ['db'],
      tcp: [
        { match: [{ port: 5432, sourceLabels: { run: 'client' } }, { port: 5432, sourceNamespace: 'ops', destinationSubnets: ['10.96.0.0/16'] }], route: [{ destination: { host: 'greet', port: { number: 80 } } }] },
        { match: [{ port: 5432, gateways: ['my-gateway'] }], route: [{ destination: { host: 'empty' } }] },
        { route: [{ destination: { host: 'db', port: { number: 5432 } }, weight: 80 }, { destination: { host: 'nowhere' }, weight: 20 }] },
      ],
    }),
  );
  const c = buildMeshConfig(snap);
  const db = c.listeners.find((l) => l.port === 5432)!;
  assert.deepEqual(db.mesh!.tcpRoutes, {
    '10.96.0.21': [
      { matches: [{ sourceLabels: { run: 'client' } }, { sourceNamespace: 'ops', destinationSubnets: ['10.96.0.0/16'] }], clusters: [{ cluster: 'outbound|80||greet.default.svc.cluster.local', weight: 100 }] },
      { matches: [], clusters: [{ cluster: 'outbound|5432||db.default.svc.cluster.local', weight: 80 }, { cluster: '', weight: 20 }] },
    ],
  });
  // The unnamed port 9000 is sniffed: only the route without port conditions is its.
  const auto = c.listeners.find((l) => l.port === 9000)!;
  assert.deepEqual(auto.mesh!.tcpRoutes!['10.96.0.21']!.map((r) => r.matches), [[]]);
  // An HTTP destination keeps its http routes only.
  assert.equal(c.listeners.find((l) => l.port === 80)!.mesh!.tcpRoutes, undefined);
});

test('workloads by pod IP for sourceLabels; the version follows every change', () => {
  const snap = snapshot();
  const c = buildMeshConfig(snap);
  assert.deepEqual(c.workloads?.['10.244.1.5'], { namespace: 'default', labels: { run: 'client' } });
  assert.equal(buildMeshConfig(snapshot()).version, c.version);
  snap.services.push(svc('default', 'new', '10.96.0.23', [{ name: 'http', port: 8080 }]));
  const next = buildMeshConfig(snap);
  assert.notEqual(next.version, c.version);
  assert.deepEqual(next.listeners.find((l) => l.port === 8080)?.virtualHosts.map((v) => v.domains), [['10.96.0.23']]);
});

test("the NetworkPolicies that isolate pods go with the configuration, for the node proxy to apply; the version follows them", () => {
  const snap = snapshot();
  // The cluster DNS, whose endpoints the DNS proxy holds a pod's forwarded queries to.
  snap.services.push({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'kube-system', name: 'kube-dns' }, spec: { clusterIP: '10.96.0.10', ports: [{ name: 'dns', port: 53, protocol: 'UDP' }, { name: 'dns-tcp', port: 53, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }] } } as KObject);
  snap.endpointSlices.push({
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace: 'kube-system', name: 'kube-dns-x', labels: { 'kubernetes.io/service-name': 'kube-dns' } },
    addressType: 'IPv4',
    ports: [{ name: 'dns', port: 5353, protocol: 'UDP' }, { name: 'dns-tcp', port: 5353, protocol: 'TCP' }, { name: 'metrics', port: 9153, protocol: 'TCP' }],
    endpoints: [{ addresses: ['10.244.0.3'], conditions: { ready: true } }, { addresses: ['10.244.0.4'], conditions: { ready: false } }],
  } as KObject);
  const plain = buildMeshConfig(snap);
  assert.equal(plain.policies, undefined);
  assert.equal(plain.dnsEndpoints, undefined, 'only with policies');
  snap.namespaces = [{ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default', labels: { 'kubernetes.io/metadata.name': 'default' } } } as KObject];
  snap.networkPolicies = [
    {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { namespace: 'default', name: 'greet-from-client' },
      spec: { podSelector: { matchLabels: { app: 'greet' } }, ingress: [{ from: [{ podSelector: { matchLabels: { run: 'client' } } }] }] },
    } as KObject,
  ];
  const c = buildMeshConfig(snap);
  assert.notEqual(c.version, plain.version);
  assert.deepEqual(c.dnsEndpoints, [
    { address: '10.244.0.3', port: 5353, protocol: 'udp' },
    { address: '10.244.0.3', port: 5353, protocol: 'tcp' },
  ]);
  assert.ok(c.policies);
  assert.deepEqual(Object.keys(c.policies.ingress).sort(), ['10.244.1.10', '10.244.1.11', '10.244.2.10']);
  assert.deepEqual(c.policies.egress, {});
  assert.ok(connectionAllowed(c.policies, '10.244.1.5', '10.244.1.10', 'tcp', 8080));
  assert.equal(connectionAllowed(c.policies, '10.244.1.20', '10.244.1.10', 'tcp', 8080), false);
});

test('one VirtualService per Service host: an exact name first, then the narrowest wildcard, the oldest of equals', () => {
  const snap = snapshot();
  // Each VirtualService's one route is named after it, to tell which one a host got.
  const direct = (name: string, vs: string) => ({ name: vs, route: [{ destination: { host: name } }] });
  snap.virtualServices = [
    istio('VirtualService', 'everything', { hosts: ['*'], http: [direct('empty', 'everything')] }, '2020-01-01T00:00:00Z'),
    istio('VirtualService', 'svc-domain', { hosts: ['*.svc.cluster.local'], http: [direct('empty', 'svc-domain')] }, '2020-01-02T00:00:00Z'),
    istio('VirtualService', 'default-ns', { hosts: ['*.default.svc.cluster.local'], http: [direct('empty', 'default-ns')] }, '2020-01-03T00:00:00Z'),
    istio('VirtualService', 'greet-new', { hosts: ['greet'], http: [direct('db', 'greet-new')] }, '2020-01-05T00:00:00Z'),
    istio('VirtualService', 'greet-old', { hosts: ['greet.default.svc.cluster.local'], http: [direct('greet', 'greet-old')] }, '2020-01-04T00:00:00Z'),
  ];
  const routeOf = (ip: string) =>
    buildMeshConfig(snap)
      .listeners.flatMap((l) => l.virtualHosts)
      .find((v) => v.domains[0] === ip)!.routes[0]!.name;
  assert.equal(routeOf('10.96.0.20'), 'greet-old');
  assert.equal(routeOf('10.96.0.22'), 'default-ns');
  // A Service in another namespace: only the wider wildcards cover it.
  snap.services.push(svc('istio-system', 'web', '10.96.0.31', [{ name: 'http', port: 8080 }]));
  assert.equal(routeOf('10.96.0.31'), 'svc-domain');
});

test("the mesh reads a DestinationRule's tls credential from the rule's namespace: the node proxy stands for every namespace's sidecars", () => {
  const snap = snapshot();
  snap.destinationRules = [istio('DestinationRule', 'greet', { host: 'greet', trafficPolicy: { tls: { mode: 'SIMPLE', credentialName: 'greet-ca', insecureSkipVerify: false } } })];
  snap.secrets = [
    { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'default', name: 'greet-ca' }, data: { cacert: Buffer.from('CA').toString('base64') } } as KObject,
    { apiVersion: 'v1', kind: 'Secret', metadata: { namespace: 'istio-system', name: 'greet-ca' }, data: { cacert: Buffer.from('OTHER').toString('base64') } } as KObject,
  ];
  assert.deepEqual(buildMeshConfig(snap).clusters['outbound|80||greet.default.svc.cluster.local']!.tls, { sni: 'greet.default.svc.cluster.local', ca: 'CA' });
});
