import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { istioWebhookAnswer } from '../../../../src/api/validation/istio-webhook.js';

const obj = (kind: string, spec: unknown, name = 'x', annotations?: Record<string, string>): KObject => ({
  apiVersion: 'networking.istio.io/v1', kind, metadata: { name, namespace: 'default', ...(annotations ? { annotations } : {}) }, spec,
} as KObject);

function denied(kind: string, spec: unknown, name?: string): string | undefined {
  return istioWebhookAnswer(kind, obj(kind, spec, name))?.denied;
}

const gateway = (server: Record<string, unknown> = {}) => ({
  selector: { istio: 'ingressgateway' },
  servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*.example.com'], ...server }],
});

test('a valid Gateway passes; one error is printed plain, several as go-multierror lists them', () => {
  assert.equal(denied('Gateway', gateway()), undefined);
  assert.equal(denied('Gateway', { servers: [] }), 'configuration is invalid: gateway must have at least one server');
  assert.equal(
    denied('Gateway', gateway({ hosts: ['bad_host'], port: { number: 70000, name: 'http', protocol: 'FOO' } })),
    'configuration is invalid: 4 errors occurred:\n' +
      '\t* short names (non FQDN) are not allowed\n' +
      '\t* domain name "bad_host" invalid (label "bad_host" invalid)\n' +
      '\t* invalid protocol "FOO", supported protocols are HTTP, HTTP2, GRPC, GRPC-WEB, MONGO, REDIS, MYSQL, TCP\n' +
      '\t* port number 70000 must be in the range 1..65535\n\n',
  );
});

test('Gateway: TLS settings follow the port protocol, names are DNS labels, port names unique', () => {
  const https = { port: { number: 443, name: 'https', protocol: 'HTTPS' } };
  assert.equal(denied('Gateway', gateway(https)), 'configuration is invalid: server must have TLS settings for HTTPS/TLS protocols');
  assert.equal(denied('Gateway', gateway({ ...https, tls: { mode: 'SIMPLE', credentialName: 'cert' } })), undefined);
  assert.equal(
    denied('Gateway', gateway({ ...https, tls: { mode: 'SIMPLE' } })),
    'configuration is invalid: 2 errors occurred:\n\t* SIMPLE TLS requires a server certificate\n\t* SIMPLE TLS requires a private key\n\n',
  );
  assert.equal(denied('Gateway', gateway({ tls: { httpsRedirect: true } })), undefined);
  assert.equal(denied('Gateway', gateway({ tls: { mode: 'SIMPLE', credentialName: 'c' } })), 'configuration is invalid: server cannot have TLS settings for plain text HTTP ports');
  assert.equal(denied('Gateway', gateway(), 'my.gw'), 'configuration is invalid: invalid gateway name: "my.gw"');
  const two = gateway();
  two.servers.push({ ...two.servers[0]! });
  assert.equal(denied('Gateway', two), 'configuration is invalid: port names in servers must be unique: duplicate name http');
  assert.equal(denied('Gateway', gateway({ hosts: ['prod/*.example.com', '*/foo.com', 'bad ns/foo.com'] })), 'configuration is invalid: invalid namespace value "bad ns" in gateway');
});

const vs = (http: unknown[], extra: Record<string, unknown> = {}) => ({ hosts: ['reviews'], http, ...extra });
const route = (r: Record<string, unknown> = {}) => ({ route: [{ destination: { host: 'reviews', subset: 'v1' } }], ...r });

test('a valid VirtualService passes; routes need a destination, redirect or direct response', () => {
  assert.equal(denied('VirtualService', vs([route({ timeout: '10s', retries: { attempts: 3, perTryTimeout: '2s', retryOn: 'gateway-error,connect-failure,503' } })])), undefined);
  assert.equal(denied('VirtualService', vs([{ match: [{ uri: { prefix: '/' } }] }])), 'configuration is invalid: HTTP route, redirect or direct_response is required');
  assert.equal(denied('VirtualService', { hosts: ['reviews'] }), 'configuration is invalid: http, tcp or tls must be provided in virtual service');
  assert.equal(
    denied('VirtualService', vs([route({ redirect: { uri: '/x' } })])),
    'configuration is invalid: HTTP route cannot contain both route and redirect',
  );
});

test('VirtualService: hosts, gateways and the mesh wildcard', () => {
  assert.equal(denied('VirtualService', vs([route()], { hosts: ['*'] })), 'configuration is invalid: wildcard host * is not allowed for virtual services bound to the mesh gateway');
  assert.equal(denied('VirtualService', vs([route()], { hosts: ['*'], gateways: ['istio-system/gw'] })), undefined);
  assert.equal(denied('VirtualService', vs([route()], { hosts: ['a.example.com', '*.example.com'] })), 'configuration is invalid: duplicate hosts in virtual service: a.example.com & *.example.com');
  assert.equal(denied('VirtualService', vs([route()], { gateways: ['ns/bad_gw'] })), 'configuration is invalid: invalid value for gateway name: "bad_gw"');
});

test('VirtualService: weights, subsets, regexes, durations, retries and fault percentages', () => {
  const weights = route({ route: [{ destination: { host: 'a' }, weight: 0 }, { destination: { host: 'b' }, weight: 0 }] });
  assert.equal(denied('VirtualService', vs([weights])), 'configuration is invalid: total destination weight = 0');
  const negative = route({ route: [{ destination: { host: 'a' }, weight: -10 }, { destination: { host: 'b' }, weight: 110 }] });
  assert.equal(denied('VirtualService', vs([negative])), 'configuration is invalid: weight -10 < 0');
  assert.equal(denied('VirtualService', vs([route({ route: [{ destination: { host: 'a', subset: 'V_1' } }] })])), 'configuration is invalid: subset name is invalid: V_1');
  assert.equal(
    denied('VirtualService', vs([route({ match: [{ uri: { regex: '/api(' } }] })])),
    'configuration is invalid: "uri": error parsing regexp: missing closing ): `/api(`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)',
  );
  assert.equal(
    denied('VirtualService', vs([route({ match: [{ headers: { end: { regex: '(?!x)' } } }] })])),
    'configuration is invalid: "headers": error parsing regexp: invalid or unsupported Perl syntax: `(?!`; Istio uses RE2 style regex-based match (https://github.com/google/re2/wiki/Syntax)',
  );
  assert.equal(denied('VirtualService', vs([route({ timeout: '1.5ms' })])), 'configuration is invalid: only durations to ms precision are supported');
  assert.equal(denied('VirtualService', vs([route({ retries: { attempts: 3, retryOn: 'sometimes' } })])), 'configuration is invalid: "sometimes" is not a valid retryOn policy');
  assert.equal(denied('VirtualService', vs([route({ retries: { attempts: 0, perTryTimeout: '1s' } })])), 'configuration is invalid: http retry policy configured when attempts are set to 0 (disabled)');
  assert.equal(
    denied('VirtualService', vs([route({ fault: { abort: { percentage: { value: 150 }, httpStatus: 700 } } })])),
    'configuration is invalid: 2 errors occurred:\n\t* percentage 150 is neither 0.0, nor in range [0.0001, 100.0]\n\t* HTTP status 700 is not in range 200-599\n\n',
  );
  // A list made by multierror.Append stays a list even with one error.
  assert.equal(denied('VirtualService', vs([route({ fault: {} })])), 'configuration is invalid: 1 error occurred:\n\t* HTTP fault injection must have an abort and/or a delay\n\n');
  assert.equal(denied('VirtualService', vs([route({ mirror: { host: 'm' }, mirrorPercentage: { value: 101 } })])), 'configuration is invalid: mirror_percentage must have a max value of 100 (it has 101.000000)');
  assert.equal(denied('VirtualService', vs([route({ headers: { request: { set: { ':path': '/x' } } } })])), 'configuration is invalid: invalid header ":path": header cannot have ":" prefix');
  assert.equal(denied('VirtualService', vs([route({ headers: { response: { add: { 'x-host': '%HOSTNAME%', 'x-pct': '100%%', 'x-up': '%UPSTREAM_METADATA(["a", "b"])%' } } } })])), undefined);
  assert.equal(denied('VirtualService', vs([route({ headers: { response: { set: { 'x-bad': 'abc%123' } } } })])), "configuration is invalid: header value configuration: invalid header configuration. Un-terminated variable expression 'abc%123'");
});

test('VirtualService: unreachable rules and duplicate matches are warnings', () => {
  const answer = istioWebhookAnswer('VirtualService', obj('VirtualService', vs([
    route({ name: 'api', match: [{ uri: { prefix: '/api' } }] }),
    route(),
    route({ match: [{ name: 'again', uri: { prefix: '/api' } }, { uri: { exact: '/x' } }] }),
    route(),
  ])));
  assert.equal(answer?.denied, undefined);
  assert.deepEqual(answer?.warnings, [
    'virtualService rule #2 match "again" is not used (duplicate/overlapping match in rule "api")',
    'virtualService rule #3 not used (only the last rule can have no matches)',
  ]);
});

test('null fields are unset fields, as protobuf decodes them', () => {
  assert.equal(denied('VirtualService', vs([route({ timeout: null, retries: null, fault: null })])), undefined);
});

test('VirtualService: legacy gateway names are a warning, not a refusal', () => {
  const answer = istioWebhookAnswer('VirtualService', obj('VirtualService', vs([route()], { gateways: ['gw.istio-system'] })));
  assert.equal(answer?.denied, undefined);
  assert.deepEqual(answer?.warnings, ['using legacy gatewayName format "gw.istio-system"; prefer the <namespace>/<name> format: "istio-system/gw"']);
});

const dr = (extra: Record<string, unknown> = {}) => ({ host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }], ...extra });

test('DestinationRule: subsets, load balancer, connection pool and outlier detection', () => {
  assert.equal(denied('DestinationRule', dr({ trafficPolicy: { loadBalancer: { simple: 'ROUND_ROBIN' }, connectionPool: { tcp: { maxConnections: 1 } } } })), undefined);
  assert.equal(denied('DestinationRule', dr({ subsets: [{ name: 'v1' }, { name: 'v1' }] })), 'configuration is invalid: duplicate subset names: v1');
  assert.equal(denied('DestinationRule', dr({ subsets: [{ name: 'v1', labels: { 'bad key!': 'v' } }] })), 'configuration is invalid: 1 error occurred:\n\t* invalid tag key: "bad key!"\n\n');
  assert.equal(denied('DestinationRule', dr({ trafficPolicy: {} })), 'configuration is invalid: traffic policy must have at least one field');
  assert.equal(denied('DestinationRule', dr({ trafficPolicy: { connectionPool: {} } })), 'configuration is invalid: connection pool must have at least one field');
  assert.equal(
    denied('DestinationRule', dr({ trafficPolicy: { connectionPool: { http: { http1MaxPendingRequests: -1 } }, outlierDetection: { maxEjectionPercent: 150 } } })),
    'configuration is invalid: 2 errors occurred:\n\t* percentage 150 is not in range 0..100\n\t* http1 max pending requests must be non-negative\n\n',
  );
  assert.equal(denied('DestinationRule', dr({ trafficPolicy: { loadBalancer: { consistentHash: { httpCookie: {} } } } })), 'configuration is invalid: name required for HttpCookie');
  assert.equal(denied('DestinationRule', dr({ host: 'bad host' })), 'configuration is invalid: domain name "bad host" invalid (label "bad host" invalid)');
  assert.equal(denied('DestinationRule', dr({ exportTo: ['default', '.'] })), 'configuration is invalid: duplicate entries in exportTo: . and current namespace default');
});

const se = (extra: Record<string, unknown> = {}) => ({ hosts: ['api.example.com'], ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], resolution: 'DNS', location: 'MESH_EXTERNAL', ...extra });

test('ServiceEntry: hosts, ports, protocols and what each resolution allows', () => {
  assert.equal(denied('ServiceEntry', se()), undefined);
  assert.equal(denied('ServiceEntry', se({ hosts: [] })), 'configuration is invalid: service entry must have at least one host');
  assert.equal(denied('ServiceEntry', se({ ports: [{ number: 80, name: 'http', protocol: 'FOO' }] })), 'configuration is invalid: unsupported protocol: FOO');
  assert.equal(
    denied('ServiceEntry', se({ ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 80, name: 'http', protocol: 'HTTP' }] })),
    'configuration is invalid: 2 errors occurred:\n\t* service entry port name "http" already defined\n\t* service entry port 80 already defined\n\n',
  );
  assert.equal(denied('ServiceEntry', se({ resolution: 'NONE', endpoints: [{ address: '1.2.3.4' }] })), 'configuration is invalid: no endpoints should be provided for resolution type none');
  assert.equal(denied('ServiceEntry', se({ resolution: 'STATIC', endpoints: [{ address: 'api.example.com' }] })), 'configuration is invalid: endpoint address "api.example.com" is not a valid IP address');
  assert.equal(denied('ServiceEntry', se({ hosts: ['a.example.com', 'b.example.com'], ports: [{ number: 9000, name: 'tcp', protocol: 'TCP' }] })), 'configuration is invalid: multiple hosts provided with non-HTTP, non-TLS ports');
  assert.equal(denied('ServiceEntry', se({ addresses: ['10.0.0.0/8'] })), 'configuration is invalid: CIDR addresses are allowed only for NONE/STATIC resolution types');
  assert.equal(denied('ServiceEntry', se({ addresses: ['10.0.0.300'] })), 'configuration is invalid: 10.0.0.300 is not a valid IP');
  assert.equal(denied('ServiceEntry', se({ hosts: ['*.example.com'] })), 'configuration is invalid: hosts must be FQDN if no endpoints are provided for resolution mode DNS');
});

test('ServiceEntry: TCP ports without addresses are a warning where Istio allocates none', () => {
  const tcp = { ports: [{ number: 5432, name: 'pg', protocol: 'TCP' }] };
  assert.deepEqual(istioWebhookAnswer('ServiceEntry', obj('ServiceEntry', se({ ...tcp, resolution: 'NONE' })))?.warnings, [
    'addresses are required for ports serving TCP (or unset) protocol when IP Autoallocation is not enabled',
  ]);
  assert.deepEqual(istioWebhookAnswer('ServiceEntry', obj('ServiceEntry', se(tcp)))?.warnings, []);
});

test('annotations only Istio itself may set are refused for every kind', () => {
  const answer = istioWebhookAnswer('DestinationRule', obj('DestinationRule', dr(), 'x', { 'istio.io/dry-run': 'true' }));
  assert.equal(answer?.denied, 'configuration is invalid: default/x has unsupported annotation istio.io/dry-run, please remove the annotation');
  assert.equal(istioWebhookAnswer('Pod', obj('Pod', {})), undefined);
});
