// Scenario 004 through the Istio ingress gateway the cluster installs by itself: Gateway →
// VirtualService → DestinationRule → Service → pods, on a 2-node cluster with the real kubectl
// (checks 1, 2, 3 and the gateway half of 5), Envoy's local replies and HTTP/1.0 refusal, and
// Istio's TCP traffic shifting, Secure Gateways and Ingress Gateway without TLS Termination tasks.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { SCENARIOS, startCluster, waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';
import { curl, get, untilReply } from '../ingress/ingress.js';
import { GATEWAY, ISTIO_NAMESPACE, pinGateway } from './gateway-address.js';

const NS = ISTIO_NAMESPACE;
const GW = GATEWAY;
const DIR = join(SCENARIOS, '004-istio-gateway-hpa');

let c: Cluster;
let lb = '';

/** Istio's httpbin sample (samples/httpbin/httpbin.yaml), its ServiceAccount left out. */
const HTTPBIN = `apiVersion: v1
kind: Service
metadata:
  name: httpbin
  labels: {app: httpbin, service: httpbin}
spec:
  ports:
  - {name: http, port: 8000, targetPort: 8080}
  selector: {app: httpbin}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin
spec:
  replicas: 1
  selector:
    matchLabels: {app: httpbin, version: v1}
  template:
    metadata:
      labels: {app: httpbin, version: v1}
    spec:
      containers:
      - image: docker.io/mccutchen/go-httpbin:v2.15.0
        imagePullPolicy: IfNotPresent
        name: httpbin
        ports:
        - containerPort: 8080
`;

/** go-httpbin serving HTTPS on 8443 with the Secret httpbin-server-certs, behind Service my-httpbin:443. */
const HTTPS_HTTPBIN = `apiVersion: v1
kind: Service
metadata:
  name: my-httpbin
spec:
  ports:
  - {name: https, port: 443, targetPort: 8443}
  selector: {run: my-httpbin}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: my-httpbin
spec:
  selector:
    matchLabels: {run: my-httpbin}
  replicas: 1
  template:
    metadata:
      labels: {run: my-httpbin}
    spec:
      containers:
      - name: httpbin
        image: docker.io/mccutchen/go-httpbin:v2.15.0
        args: [/bin/go-httpbin, -port, "8443", -https-cert-file, /etc/httpbin-tls/tls.crt, -https-key-file, /etc/httpbin-tls/tls.key]
        ports:
        - containerPort: 8443
        volumeMounts:
        - {name: certs, mountPath: /etc/httpbin-tls, readOnly: true}
      volumes:
      - name: certs
        secret: {secretName: httpbin-server-certs}
`;

/** The tasks' Gateway: one HTTPS server for httpbin.example.com, with the TLS settings given. */
function httpsGateway(tls: Record<string, string>): string {
  const settings = Object.entries(tls).map(([k, v]) => `      ${k}: ${v}\n`).join('');
  return `apiVersion: networking.istio.io/v1
kind: Gateway
metadata:
  name: mygateway
spec:
  selector:
    istio: ingressgateway
  servers:
  - port: {number: 443, name: https, protocol: HTTPS}
    tls:
${settings}    hosts:
    - httpbin.example.com
---
`;
}

/** The Ingress Gateway without TLS Termination task's Gateway and VirtualService (a tls route by SNI). */
const PASSTHROUGH_GATEWAY = `${httpsGateway({ mode: 'PASSTHROUGH' })}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - httpbin.example.com
  gateways:
  - mygateway
  tls:
  - match:
    - port: 443
      sniHosts:
      - httpbin.example.com
    route:
    - destination:
        host: my-httpbin
        port:
          number: 443
`;

/** The Secure Gateways task's Gateway and VirtualService, in the TLS mode given. */
function secureGateway(mode: 'SIMPLE' | 'MUTUAL'): string {
  return `${httpsGateway({ mode, credentialName: 'httpbin-credential' })}apiVersion: networking.istio.io/v1
kind: VirtualService
metadata:
  name: httpbin
spec:
  hosts:
  - "httpbin.example.com"
  gateways:
  - mygateway
  http:
  - match:
    - uri: {prefix: /status}
    - uri: {prefix: /delay}
    route:
    - destination:
        port: {number: 8000}
        host: httpbin
`;
}

/** The app of app.yaml without its HPA (another issue's half of the scenario). */
const APP = readFileSync(join(DIR, 'app.yaml'), 'utf8').split(/^---$/m).filter((d) => !/kind: HorizontalPodAutoscaler/.test(d)).join('---\n');

before(async () => {
  c = await startCluster('istio-gw', { nodes: 2 });
  lb = await pinGateway(c);
  await c.ok(['rollout', 'status', '-n', NS, 'deployment/istiod', '--timeout=120s']);
});
after(async () => {
  await c?.down();
});

test('the add-on: istiod and the ingress gateway Ready, the gateway Service a LoadBalancer on 15021, 80 and 443', async () => {
  const svc = (await c.ok(['get', 'svc', '-n', NS, GW, '--no-headers'])).trim().split(/\s+/);
  assert.equal(svc[1], 'LoadBalancer');
  assert.equal(svc[3], lb);
  assert.match(svc[4]!, /^15021:3\d{4}\/TCP,80:3\d{4}\/TCP,443:3\d{4}\/TCP$/);
  assert.equal(await jsonpath(c, ['get', 'pods', '-n', NS, '-l', 'istio=ingressgateway'], '{.items[*].status.conditions[?(@.type=="Ready")].status}'), 'True');
  assert.equal(await jsonpath(c, ['get', 'pods', '-n', NS, '-l', 'app=istiod'], '{.items[*].status.conditions[?(@.type=="Ready")].status}'), 'True');
});

test('checks 1–3: the gateway routes example.com/api to my-service, 404 elsewhere, round robin over the pods', async () => {
  await c.ok(['apply', '-f', '-'], APP);
  await c.ok(['apply', '-f', join(DIR, 'istio.yaml')]);
  const listed = await c.ok(['get', 'gateway,virtualservice,destinationrule', '-o', 'name']);
  for (const o of ['gateway.networking.istio.io/my-gateway', 'virtualservice.networking.istio.io/my-service', 'destinationrule.networking.istio.io/my-destination-rule']) assert.match(listed, new RegExp(`^${o}$`, 'm'));
  await c.ok(['rollout', 'status', 'deployment/my-app-deployment', '--timeout=120s']);
  await waitFor('3 endpoints behind my-service', async () => (await jsonpath(c, ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=my-service'], '{.items[*].endpoints[*].addresses[0]}')).split(' ').filter(Boolean).length === 3, 60_000);
  const ok = await untilReply('example.com/api through the gateway', () => get(lb, 'example.com', '/api'), (r) => r.status === 200 && r.out.includes('OK!'), 60_000);
  assert.equal(ok.headers.server, 'istio-envoy');
  assert.match(ok.headers['x-envoy-upstream-service-time'] ?? '', /^\d+$/);
  for (const [host, path] of [['example.com', '/'], ['example.com', '/other'], ['other.test', '/api']] as const) {
    const r = await get(lb, host, path);
    assert.equal(r.status, 404, `${host}${path}`);
    assert.equal(r.out, '');
    assert.equal(r.headers.server, 'istio-envoy');
  }
  // ROUND_ROBIN: 30 sequential requests, 10 to each pod, as the access log shows.
  const ips = (await jsonpath(c, ['get', 'pods', '-l', 'app=my-app'], '{.items[*].status.podIP}')).split(' ');
  const marker = `rr-${Date.now()}`;
  for (let i = 0; i < 30; i++) assert.equal((await get(lb, 'example.com', '/api', ['-H', `x-request-id: ${marker}-${i}`])).status, 200);
  let counts = new Map<string, number>();
  await waitFor('30 access log lines', async () => {
    const log = await c.ok(['logs', '-n', NS, `deploy/${GW}`]);
    counts = new Map();
    for (const line of log.split('\n').filter((l) => l.includes(`"${marker}-`))) {
      assert.match(line, /^\[\S+Z\] "GET \/api HTTP\/1\.1" 200 - via_upstream - "-" \d+ \d+ \d+ \d+ "/);
      const upstream = /"(\d+\.\d+\.\d+\.\d+):80" outbound\|80\|\|my-service\.default\.svc\.cluster\.local /.exec(line)?.[1] ?? '?';
      counts.set(upstream, (counts.get(upstream) ?? 0) + 1);
    }
    return [...counts.values()].reduce((a, b) => a + b, 0) === 30;
  });
  assert.deepEqual([...counts.keys()].sort(), [...ips].sort());
  assert.deepEqual([...counts.values()], [10, 10, 10]);
});

test('check 5 through the gateway: 90/10 by subset, x-canary always v2, /greet rewritten', async () => {
  await c.ok(['apply', '-f', join(DIR, 'canary.yaml')]);
  await c.ok(['rollout', 'status', 'deployment/greet-v1', '--timeout=120s']);
  await c.ok(['rollout', 'status', 'deployment/greet-v2', '--timeout=120s']);
  await untilReply('greet through the gateway', () => get(lb, 'example.com', '/greet'), (r) => r.status === 200, 60_000);
  await untilReply('both v1 pods', async () => get(lb, 'example.com', '/greet', ['-H', 'x-canary: yes']), (r) => r.out.trim() === 'v2', 30_000);
  for (let i = 0; i < 20; i++) assert.equal((await get(lb, 'example.com', '/greet', ['-H', 'x-canary: yes'])).out.trim(), 'v2');
  let v1 = 0;
  const n = 1000;
  for (let i = 0; i < n; i++) {
    const r = await get(lb, 'example.com', '/greet');
    assert.equal(r.status, 200);
    if (r.out.trim() === 'v1') v1++;
  }
  // Within ±3 points of 90%, as the check asks (over three binomial σ at n = 1000).
  assert.ok(Math.abs(v1 / n - 0.9) <= 0.03, `v1 share ${v1 / n}`);
});

// Istio's "TCP Traffic Shifting" task, with its own manifests (samples/tcp-echo): tcp-echo v1 and
// v2 in a meshed namespace, a TCP server on 31400 (a port the user adds to the gateway Service:
// Istio's demo profile has it, the default profile does not), all connections to v1, then 80/20.
const TCP_NS = 'istio-io-tcp-traffic-shifting';
/** A tcp-echo Deployment of samples/tcp-echo/tcp-echo-services.yaml, answering with its prefix. */
const tcpEchoDeployment = (version: string, prefix: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: tcp-echo-${version}, labels: { app: tcp-echo, version: ${version} } }
spec:
  replicas: 1
  selector: { matchLabels: { app: tcp-echo, version: ${version} } }
  template:
    metadata: { labels: { app: tcp-echo, version: ${version} } }
    spec:
      containers:
      - { name: tcp-echo, image: docker.io/istio/tcp-echo-server:1.2, imagePullPolicy: IfNotPresent, args: ["9000,9001,9002", "${prefix}"], ports: [{ containerPort: 9000 }, { containerPort: 9001 }] }
`;
const TCP_ECHO = `
apiVersion: v1
kind: Service
metadata: { name: tcp-echo, labels: { app: tcp-echo } }
spec:
  ports: [{ name: tcp, port: 9000 }, { name: tcp-other, port: 9001 }]
  selector: { app: tcp-echo }
---${tcpEchoDeployment('v1', 'one')}---${tcpEchoDeployment('v2', 'two')}`;
/** The task's VirtualService on the gateway's port 31400, to tcp-echo's subsets by weight (v1 alone: all of it). */
const tcpEchoRoute = (weights: Record<string, number>) => `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: tcp-echo }
spec:
  hosts: ['*']
  gateways: [tcp-echo-gateway]
  tcp:
  - match: [{ port: 31400 }]
    route:
${Object.entries(weights).map(([subset, weight]) => `    - { destination: { host: tcp-echo, port: { number: 9000 }, subset: ${subset} }, weight: ${weight} }`).join('\n')}
`;
// tcp-echo-all-v1.yaml: the TCP server, the subsets by version, everything to v1.
const TCP_ECHO_ALL_V1 = `
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: { name: tcp-echo-gateway }
spec:
  selector: { istio: ingressgateway }
  servers: [{ port: { number: 31400, name: tcp, protocol: TCP }, hosts: ['*'] }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: tcp-echo-destination }
spec:
  host: tcp-echo
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---${tcpEchoRoute({ v1: 100 })}`;
const TCP_ECHO_20_V2 = tcpEchoRoute({ v1: 80, v2: 20 });

/** What one connection to the gateway's TCP server gets back for a line, sent and then half-closed as `(date; sleep 1) | nc` does. */
function echo(line: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect({ host: lb, port: 31400 });
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.on('close', () => resolve(got));
    s.on('error', reject);
    s.end(`${line}\n`);
  });
}

test("Istio's TCP traffic shifting: the gateway's TCP server sends connections to tcp-echo by the tcp route's weights, bytes unchanged", async () => {
  await c.ok(['create', 'namespace', TCP_NS]);
  await c.ok(['label', 'namespace', TCP_NS, 'istio-injection=enabled']);
  await c.ok(['patch', 'svc', '-n', NS, GW, '--type=json', '-p', JSON.stringify([{ op: 'add', path: '/spec/ports/-', value: { name: 'tcp', port: 31400, targetPort: 31400, protocol: 'TCP' } }])]);
  try {
    await c.ok(['apply', '-n', TCP_NS, '-f', '-'], TCP_ECHO);
    await c.ok(['rollout', 'status', '-n', TCP_NS, 'deployment/tcp-echo-v1', '--timeout=120s']);
    await c.ok(['rollout', 'status', '-n', TCP_NS, 'deployment/tcp-echo-v2', '--timeout=120s']);
    await c.ok(['apply', '-n', TCP_NS, '-f', '-'], TCP_ECHO_ALL_V1);
    const line = 'Mon Nov 12 23:24:57 UTC 2018';
    await waitFor('tcp-echo v1 through the TCP server', async () => (await echo(line).catch(() => '')) === `one ${line}\n`, 60_000);
    for (let i = 0; i < 10; i++) assert.equal(await echo(`${line} ${i}`), `one ${line} ${i}\n`);
    // The TCP proxy's access log line per connection: no request, status 0, the bytes each way, v1's endpoint and cluster.
    const tcpLine = new RegExp(`\\] "- - -" 0 - - - "-" ${line.length + 3} ${line.length + 7} \\d+ - "-" "-" "-" "-" "[\\d.]+:9000" outbound\\|9000\\|v1\\|tcp-echo\\.${TCP_NS}\\.svc\\.cluster\\.local `);
    await waitFor('the TCP connections in the gateway\'s access log', async () => tcpLine.test(await c.ok(['logs', '-n', NS, `deployment/${GW}`, '--tail=20'])), 30_000);

    await c.ok(['apply', '-n', TCP_NS, '-f', '-'], TCP_ECHO_20_V2);
    // Each connection answers one or two, and both come: 100 connections without a two at 20% is a chance of 2·10⁻¹⁰.
    const seen = new Set<string>();
    for (let i = 0; i < 100 && seen.size < 2; i++) {
      const got = await echo(line);
      assert.match(got, new RegExp(`^(one|two) ${line}\n$`));
      seen.add(got.split(' ')[0]!);
    }
    assert.deepEqual([...seen].sort(), ['one', 'two']);
  } finally {
    await c.ok(['delete', 'namespace', TCP_NS]);
    await c.ok(['patch', 'svc', '-n', NS, GW, '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/ports/3' }])]);
  }
});

test("HTTP/1.0 is answered 426 Upgrade Required, as by Istio's Envoy, until istiod runs with PILOT_HTTP10=1", async () => {
  const refused = await get(lb, 'example.com', '/api', ['--http1.0']);
  assert.deepEqual([refused.status, refused.out, refused.headers.server, refused.headers.connection], [426, '', 'istio-envoy', 'close']);
  await c.ok(['set', 'env', '-n', NS, 'deployment/istiod', 'PILOT_HTTP10=1']);
  try {
    await c.ok(['rollout', 'status', '-n', NS, 'deployment/istiod', '--timeout=120s']);
    await untilReply('HTTP/1.0 through the gateway', () => get(lb, 'example.com', '/api', ['--http1.0']), (r) => r.status === 200 && r.out.includes('OK!'), 60_000);
  } finally {
    await c.ok(['set', 'env', '-n', NS, 'deployment/istiod', 'PILOT_HTTP10-']);
    await c.ok(['rollout', 'status', '-n', NS, 'deployment/istiod', '--timeout=120s']);
  }
});

/** The certificates of Istio's Secure Gateways task, made with its openssl commands: a root, httpbin.example.com's and a client's. */
function secureGatewayCerts(dir: string): void {
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  openssl('req', '-x509', '-sha256', '-nodes', '-days', '2', '-newkey', 'rsa:2048', '-subj', '/O=example Inc./CN=example.com', '-keyout', 'example.com.key', '-out', 'example.com.crt');
  for (const [name, org, serial] of [['httpbin.example.com', 'httpbin organization', '0'], ['client.example.com', 'client organization', '1']] as const) {
    openssl('req', '-out', `${name}.csr`, '-newkey', 'rsa:2048', '-nodes', '-keyout', `${name}.key`, '-subj', `/CN=${name}/O=${org}`);
    openssl('x509', '-req', '-sha256', '-days', '2', '-CA', 'example.com.crt', '-CAkey', 'example.com.key', '-set_serial', serial, '-in', `${name}.csr`, '-out', `${name}.crt`);
  }
}

test("Istio's Secure Gateways task: a SIMPLE TLS server for httpbin.example.com, then MUTUAL with the CA in the credential: no client certificate is refused in the handshake, the client's is served", async () => {
  const ns = 'secure';
  const dir = mkdtempSync(join(tmpdir(), 'skiff-secure-gw-'));
  try {
    secureGatewayCerts(dir);
    await c.ok(['create', 'namespace', ns]);
    await c.ok(['apply', '-n', ns, '-f', '-'], HTTPBIN);
    await c.ok(['rollout', 'status', '-n', ns, 'deployment/httpbin', '--timeout=120s']);
    await c.ok(['create', '-n', NS, 'secret', 'tls', 'httpbin-credential', `--key=${join(dir, 'httpbin.example.com.key')}`, `--cert=${join(dir, 'httpbin.example.com.crt')}`]);
    await c.ok(['apply', '-n', ns, '-f', '-'], secureGateway('SIMPLE'));
    const https = (extra: string[] = []) =>
      curl(['-S', '-H', 'Host: httpbin.example.com', '--resolve', `httpbin.example.com:443:${lb}`, '--cacert', join(dir, 'example.com.crt'), ...extra, 'https://httpbin.example.com:443/status/418']);
    const simple = await untilReply('httpbin.example.com over TLS', () => https(), (r) => r.status === 418, 60_000);
    assert.equal(simple.headers.server, 'istio-envoy');

    await c.ok(['delete', '-n', NS, 'secret', 'httpbin-credential']);
    await c.ok(['create', '-n', NS, 'secret', 'generic', 'httpbin-credential', `--from-file=tls.key=${join(dir, 'httpbin.example.com.key')}`, `--from-file=tls.crt=${join(dir, 'httpbin.example.com.crt')}`, `--from-file=ca.crt=${join(dir, 'example.com.crt')}`]);
    await c.ok(['apply', '-n', ns, '-f', '-'], secureGateway('MUTUAL'));
    // curl (56) OpenSSL SSL_read: … tlsv13 alert certificate required, as the task shows.
    const refused = await untilReply('the handshake refused without a client certificate', () => https(), (r) => r.code === 56, 60_000);
    assert.match(refused.err, /alert certificate required/);
    const mutual = await https(['--cert', join(dir, 'client.example.com.crt'), '--key', join(dir, 'client.example.com.key')]);
    assert.equal(mutual.status, 418, mutual.err);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await c.kubectl(['delete', 'namespace', ns]);
    await c.kubectl(['delete', '-n', NS, 'secret', 'httpbin-credential']);
  }
});

test("Istio's Ingress Gateway without TLS Termination task: a PASSTHROUGH server and a tls route take the connection, still encrypted, to a backend that terminates it", async () => {
  // The task's backend is nginx with its own certificate; here it is go-httpbin with -https-cert-file.
  const ns = 'passthrough';
  const dir = mkdtempSync(join(tmpdir(), 'skiff-passthrough-'));
  try {
    secureGatewayCerts(dir);
    await c.ok(['create', 'namespace', ns]);
    await c.ok(['create', '-n', ns, 'secret', 'tls', 'httpbin-server-certs', `--key=${join(dir, 'httpbin.example.com.key')}`, `--cert=${join(dir, 'httpbin.example.com.crt')}`]);
    await c.ok(['apply', '-n', ns, '-f', '-'], HTTPS_HTTPBIN);
    await c.ok(['rollout', 'status', '-n', ns, 'deployment/my-httpbin', '--timeout=120s']);
    await c.ok(['apply', '-n', ns, '-f', '-'], PASSTHROUGH_GATEWAY);
    const https = () => curl(['-S', '--resolve', `httpbin.example.com:443:${lb}`, '--cacert', join(dir, 'example.com.crt'), 'https://httpbin.example.com:443/status/418']);
    const teapot = await untilReply('httpbin.example.com passed through', https, (r) => r.status === 418, 60_000);
    // The gateway never saw the request: none of Envoy's headers.
    assert.equal(teapot.headers.server, undefined);
    assert.equal(teapot.headers['x-envoy-upstream-service-time'], undefined);
    const tcpLine = new RegExp(`"- - -" 0 - - - "-" \\d+ \\d+ \\d+ - "-" "-" "-" "-" "[\\d.]+:8443" outbound\\|443\\|\\|my-httpbin\\.${ns}\\.svc\\.cluster\\.local \\S+ \\S+ \\S+ httpbin\\.example\\.com -`);
    await waitFor("the passed-through connection in the gateway's access log", async () => tcpLine.test(await c.ok(['logs', '-n', NS, `deployment/${GW}`, '--tail=20'])), 30_000);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await c.kubectl(['delete', 'namespace', ns]);
  }
});

test("Envoy's local replies: fault abort, 503 no healthy upstream", async () => {
  await c.ok(['apply', '-f', '-'], `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: faults}
spec:
  hosts: [faults.test]
  gateways: [my-gateway]
  http:
  - match: [{uri: {prefix: /abort}}]
    fault: {abort: {httpStatus: 418, percentage: {value: 100}}}
    route: [{destination: {host: my-service}}]
  - route: [{destination: {host: my-service}}]
`);
  // my-gateway serves example.com only: widen it to the test host.
  await c.ok(['patch', 'gateway', 'my-gateway', '--type=merge', '-p', '{"spec":{"servers":[{"port":{"number":80,"name":"http","protocol":"HTTP"},"hosts":["example.com","faults.test"]}]}}']);
  const abort = await untilReply('the fault route', () => get(lb, 'faults.test', '/abort'), (r) => r.status === 418, 30_000);
  assert.equal(abort.out, 'fault filter abort');
  await c.ok(['scale', 'deployment/my-app-deployment', '--replicas=0']);
  // Until the endpoints' removal reaches the gateway, a request can still meet a pod that is
  // exiting and get Envoy's 503 "upstream connect error ... connection termination", as in Istio.
  await untilReply('no healthy upstream', () => get(lb, 'faults.test', '/x'), (r) => r.status === 503 && r.out === 'no healthy upstream', 60_000);
});
