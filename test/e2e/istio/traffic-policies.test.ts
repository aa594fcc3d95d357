// DestinationRule traffic policies and VirtualService mirroring and CORS through the Istio
// ingress gateway, as Istio's tasks show them: circuit breaking (503 with x-envoy-overloaded
// under concurrent requests), outlier ejection and "no healthy upstream", consistent hashing
// (portLevelSettings and a subset's cookie), mirroring (the mirror logs the `-shadow` host) and
// a CORS preflight answered by the proxy. Backends are catalog images (agnhost netexec,
// hashicorp/http-echo); the real kubectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { curl, get, untilReply, type CurlResult } from '../ingress/ingress.js';
import { GATEWAY, ISTIO_NAMESPACE, pinGateway } from './gateway-address.js';


let c: Cluster;
let lb = '';

function deployment(name: string, labels: Record<string, string>, replicas: number, image: string, args: string[]): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: ${replicas}
  selector: {matchLabels: ${JSON.stringify(labels)}}
  template:
    metadata: {labels: ${JSON.stringify(labels)}}
    spec:
      containers:
      - name: app
        image: ${image}
        args: ${JSON.stringify(args)}
        ports: [{containerPort: 8080}]
---
`;
}

const echo = (name: string, labels: Record<string, string>, text: string, extra: string[] = []) => deployment(name, labels, 1, 'hashicorp/http-echo', ['-listen=:8080', `-text=${text}`, ...extra]);
const netexec = (name: string, labels: Record<string, string>, replicas: number) => deployment(name, labels, replicas, 'registry.k8s.io/e2e-test-images/agnhost:2.47', ['netexec', '--http-port=8080']);

function service(name: string, selector: Record<string, string>): string {
  return `apiVersion: v1
kind: Service
metadata: {name: ${name}}
spec:
  selector: ${JSON.stringify(selector)}
  ports: [{name: http, port: 80, targetPort: 8080}]
---
`;
}

function virtualService(name: string, body: string): string {
  return `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: ${name}}
spec:
  hosts: [${name}.tp.test]
  gateways: [tp-gateway]
  http:
${body}
---
`;
}

const APPS =
  echo('v1', { app: 'web' }, 'v1') +
  service('web', { app: 'web' }) +
  echo('shadow', { app: 'shadow' }, 'shadow') +
  service('shadow', { app: 'shadow' }) +
  netexec('slow', { app: 'slow' }, 1) +
  service('slow', { app: 'slow' }) +
  netexec('sticky', { app: 'sticky' }, 3) +
  service('sticky', { app: 'sticky' }) +
  echo('flaky-good', { app: 'flaky', health: 'good' }, 'good') +
  echo('flaky-bad', { app: 'flaky', health: 'bad' }, 'bad', ['-status-code=503']) +
  service('flaky', { app: 'flaky' }) +
  service('broken', { app: 'flaky', health: 'bad' });

/** A DestinationRule ejecting a host at its first 5xx, for 3 minutes, however many hosts that leaves. */
const ejectOnFirst5xx = (host: string) => `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: ${host}}
spec:
  host: ${host}
  trafficPolicy:
    outlierDetection: {consecutive5xxErrors: 1, interval: 1s, baseEjectionTime: 3m, maxEjectionPercent: 100}
---`;

const ISTIO = `apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: tp-gateway}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 80, name: http, protocol: HTTP}
    hosts: ["*.tp.test"]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: slow}
spec:
  host: slow
  trafficPolicy:
    connectionPool:
      tcp: {maxConnections: 1}
      http: {http1MaxPendingRequests: 1, maxRequestsPerConnection: 1}
---
${ejectOnFirst5xx('flaky')}
${ejectOnFirst5xx('broken')}
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: sticky}
spec:
  host: sticky
  trafficPolicy:
    loadBalancer: {simple: ROUND_ROBIN}
    portLevelSettings:
    - port: {number: 80}
      loadBalancer: {consistentHash: {httpHeaderName: x-user}}
  subsets:
  - name: by-cookie
    labels: {app: sticky}
    trafficPolicy:
      loadBalancer: {consistentHash: {httpCookie: {name: user, path: /, ttl: 60s}}}
---
${virtualService('slow', `  - route: [{destination: {host: slow}}]
    retries: {attempts: 0}`)}
${virtualService('flaky', `  - route: [{destination: {host: flaky}}]
    retries: {attempts: 0}`)}
${virtualService('broken', `  - route: [{destination: {host: broken}}]
    retries: {attempts: 0}`)}
${virtualService('sticky', `  - match: [{uri: {prefix: /cookie}}]
    rewrite: {uri: /hostname}
    route: [{destination: {host: sticky, subset: by-cookie}}]
  - route: [{destination: {host: sticky}}]`)}
${virtualService('mirror', `  - route: [{destination: {host: web}, weight: 100}]
    mirror: {host: shadow}
    mirrorPercentage: {value: 100}`)}
${virtualService('cors', `  - corsPolicy:
      allowOrigins: [{exact: "https://app.example"}, {regex: "https://.*\\\\.trusted\\\\.example"}]
      allowMethods: [GET, POST]
      allowHeaders: [x-custom]
      exposeHeaders: [x-exposed]
      maxAge: 24h
      allowCredentials: true
    route: [{destination: {host: web}}]`)}`;

before(async () => {
  c = await startCluster('istio-tp', { nodes: 1 });
  lb = await pinGateway(c);
  await c.ok(['apply', '-f', '-'], APPS);
  await c.ok(['apply', '-f', '-'], ISTIO);
  for (const d of ['v1', 'shadow', 'slow', 'sticky', 'flaky-good', 'flaky-bad']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=180s']);
});
after(async () => {
  await c?.down();
});

const OVERFLOW = 'upstream connect error or disconnect/reset before headers. reset reason: overflow';

test('circuit breaking: maxConnections 1 and one pending request; concurrent requests beyond them get 503 with x-envoy-overloaded', async (t) => {
  // Each request holds the only connection for 2 s (netexec runs `sleep 2`).
  const path = '/shell?cmd=sleep%202';
  await untilReply('the slow route', () => get(lb, 'slow.tp.test', path), (r) => r.status === 200, 60_000);
  // The DestinationRule may reach the gateway after the VirtualService: bursts until its limits hold.
  let results: CurlResult[] = [];
  await waitFor('an overflow in a burst of 6', async () => {
    results = await Promise.all(Array.from({ length: 6 }, () => curl(['-H', 'Host: slow.tp.test', `http://${lb}${path}`], 30)));
    return results.some((r) => r.status === 503);
  }, 60_000);
  const ok = results.filter((r) => r.status === 200);
  const overflow = results.filter((r) => r.status === 503);
  t.diagnostic(`6 concurrent requests: ${ok.length} × 200, ${overflow.length} × 503`);
  assert.equal(ok.length + overflow.length, 6, results.map((r) => r.status).join(' '));
  assert.ok(ok.length >= 1 && overflow.length >= 1, results.map((r) => r.status).join(' '));
  for (const r of overflow) {
    assert.equal(r.headers['x-envoy-overloaded'], 'true');
    assert.equal(r.out, OVERFLOW);
    assert.equal(r.headers['content-length'], '81');
    assert.equal(r.headers.server, 'istio-envoy');
  }
  // The access log is buffered, as Envoy's is: the line follows the answer by up to ACCESS_LOG_FLUSH_MS.
  const overflowLine = /"GET \/shell\?cmd=sleep%202 HTTP\/1\.1" 503 UO upstream_reset_before_response_started\{overflow\} /;
  await waitFor('the overflow in the access log', async () => overflowLine.test(await c.ok(['logs', '-n', ISTIO_NAMESPACE, `deploy/${GATEWAY}`])), 30_000);
});

test('outlier detection: the host answering 503 is ejected and the rest take the traffic; all ejected, "no healthy upstream"', async () => {
  await untilReply('the flaky route', () => get(lb, 'flaky.tp.test', '/'), (r) => r.status === 200 || r.status === 503, 60_000);
  // Until the bad host has been tried once it can answer; afterwards only the good one does.
  await waitFor('the bad host ejected', async () => {
    const rs = await Promise.all(Array.from({ length: 10 }, () => get(lb, 'flaky.tp.test', '/')));
    return rs.every((r) => r.status === 200 && r.out.trim() === 'good');
  }, 60_000);
  for (let i = 0; i < 20; i++) assert.equal((await get(lb, 'flaky.tp.test', '/')).out.trim(), 'good');
  // broken has only the bad host: its 503 (the host's own) ejects it, then the proxy has none.
  const first = await untilReply('the broken route', () => get(lb, 'broken.tp.test', '/'), (r) => r.status === 503, 60_000);
  assert.ok(first.out.trim() === 'bad' || first.out === 'no healthy upstream', first.out);
  const none = await untilReply('no healthy upstream', () => get(lb, 'broken.tp.test', '/'), (r) => r.out === 'no healthy upstream', 60_000);
  assert.equal(none.status, 503);
  assert.equal(none.headers.server, 'istio-envoy');
});

test('consistent hash: the port-level x-user header keeps a user on one pod; the subset cookie is generated and then followed', async () => {
  await untilReply('the sticky route', () => get(lb, 'sticky.tp.test', '/hostname', ['-H', 'x-user: u0']), (r) => r.status === 200, 60_000);
  // Until the DestinationRule reaches the gateway the pods take turns or are picked by load: 8 answers from one pod say the hash is in effect.
  await waitFor('the hash policy in effect', async () => {
    const seen = new Set<string>();
    for (let i = 0; i < 8; i++) seen.add((await get(lb, 'sticky.tp.test', '/hostname', ['-H', 'x-user: u0'])).out);
    return seen.size === 1;
  }, 60_000);
  const pods = new Set<string>();
  for (let u = 0; u < 12; u++) {
    const first = (await get(lb, 'sticky.tp.test', '/hostname', ['-H', `x-user: user-${u}`])).out;
    assert.match(first, /^sticky-/);
    pods.add(first);
    for (let i = 0; i < 5; i++) assert.equal((await get(lb, 'sticky.tp.test', '/hostname', ['-H', `x-user: user-${u}`])).out, first, `user-${u}`);
  }
  assert.ok(pods.size >= 2, `12 users over ${pods.size} pod(s)`);
  // Without the header the pick is not hashed: the requests spread.
  const spread = new Set<string>();
  for (let i = 0; i < 30; i++) spread.add((await get(lb, 'sticky.tp.test', '/hostname')).out);
  assert.ok(spread.size >= 2);

  const fresh = await get(lb, 'sticky.tp.test', '/cookie');
  assert.equal(fresh.status, 200);
  const m = /^user="([0-9a-f]{16})"; Max-Age=60; Path=\/; HttpOnly$/.exec(fresh.headers['set-cookie'] ?? '');
  assert.ok(m, `set-cookie: ${fresh.headers['set-cookie']}`);
  for (let i = 0; i < 10; i++) {
    const r = await get(lb, 'sticky.tp.test', '/cookie', ['-H', `Cookie: user="${m[1]}"`]);
    assert.equal(r.out, fresh.out);
    assert.equal(r.headers['set-cookie'], undefined);
  }
});

test('mirroring: the client gets the primary answer; the mirror receives a copy whose Host ends in -shadow', async () => {
  const marker = `/mirrored-${Date.now()}`;
  const r = await untilReply('the mirror route', () => get(lb, 'mirror.tp.test', marker), (x) => x.status === 200, 60_000);
  assert.equal(r.out.trim(), 'v1');
  await waitFor('the copy in the mirror log', async () => (await c.ok(['logs', 'deploy/shadow'])).includes(marker), 30_000);
  const line = (await c.ok(['logs', 'deploy/shadow'])).split('\n').find((l) => l.includes(marker))!;
  assert.match(line, / mirror\.tp\.test-shadow \S+ "GET \/mirrored-\d+ HTTP\/1\.1" 200 /);
  // The primary saw the same request with its own host.
  assert.match(await c.ok(['logs', 'deploy/v1']), new RegExp(` mirror\\.tp\\.test \\S+ "GET ${marker} `));
});

test('CORS: the preflight is answered by the proxy; an actual request gains allow-origin; an unknown origin is left alone', async () => {
  const preflight = ['-X', 'OPTIONS', '-H', 'Host: cors.tp.test', '-H', 'Origin: https://app.example', '-H', 'Access-Control-Request-Method: POST', `http://${lb}/data`];
  const pre = await untilReply('the CORS route', () => curl(preflight), (r) => r.headers['access-control-allow-origin'] === 'https://app.example', 60_000);
  assert.equal(pre.status, 200);
  assert.equal(pre.out, '');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET,POST');
  assert.equal(pre.headers['access-control-allow-headers'], 'x-custom');
  assert.equal(pre.headers['access-control-max-age'], '86400');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.equal(pre.headers.server, 'istio-envoy');
  assert.equal(pre.headers['x-envoy-upstream-service-time'], undefined, 'answered by the proxy, not the backend');
  const actual = await get(lb, 'cors.tp.test', '/data', ['-H', 'Origin: https://a.trusted.example']);
  assert.equal(actual.out.trim(), 'v1');
  assert.equal(actual.headers['access-control-allow-origin'], 'https://a.trusted.example');
  assert.equal(actual.headers['access-control-expose-headers'], 'x-exposed');
  // An origin the policy does not allow: the preflight goes to the backend, no CORS headers.
  const other = await curl(['-X', 'OPTIONS', '-H', 'Host: cors.tp.test', '-H', 'Origin: https://evil.example', '-H', 'Access-Control-Request-Method: POST', `http://${lb}/data`]);
  assert.equal(other.out.trim(), 'v1');
  assert.equal(other.headers['access-control-allow-origin'], undefined);
});
