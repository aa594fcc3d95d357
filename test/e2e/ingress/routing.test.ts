// Routing as the Ingress specification says: the path-matching example table of the Kubernetes
// documentation (reference networking-semantics §2.2) as one Ingress whose rules each stand for a
// row (one host per row), wildcard hosts, defaultBackend, 503 without ready endpoints; plus the
// forwarded headers a backend sees and a TLS Secret replaced under a live listener.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { waitFor, type Cluster } from '../harness.js';
import {
  applyObjects,
  applyTLSSecret,
  backend,
  curl,
  echoApp,
  fileFingerprint,
  get,
  ingress,
  ingressAddress,
  makeCert,
  rolledOut,
  servedCertificate,
  startIngressCluster,
  untilReply,
} from './ingress.js';

let c: Cluster;
let ip = '';
/** Backends named after what matched: the row's single rule's type, or which of several paths. */
const BACKENDS = ['root', 'aaa', 'aaabbb', 'exact', 'prefix', 'wild'];

type PathType = 'Exact' | 'Prefix';
interface Row {
  paths: [PathType, string, string][];
  /** request path → the backend that must answer, or 404 for the default backend. */
  requests: [string, string | 404][];
}

// One row of the documentation's table per host, in its order.
const TABLE: Row[] = [
  { paths: [['Prefix', '/', 'prefix']], requests: [['/', 'prefix'], ['/anything/at/all', 'prefix']] },
  { paths: [['Exact', '/foo', 'exact']], requests: [['/foo', 'exact']] },
  { paths: [['Exact', '/foo', 'exact']], requests: [['/bar', 404]] },
  { paths: [['Exact', '/foo', 'exact']], requests: [['/foo/', 404]] },
  { paths: [['Exact', '/foo/', 'exact']], requests: [['/foo', 404]] },
  { paths: [['Prefix', '/foo', 'prefix']], requests: [['/foo', 'prefix'], ['/foo/', 'prefix']] },
  { paths: [['Prefix', '/foo/', 'prefix']], requests: [['/foo', 'prefix'], ['/foo/', 'prefix']] },
  { paths: [['Prefix', '/aaa/bb', 'prefix']], requests: [['/aaa/bbb', 404]] },
  { paths: [['Prefix', '/aaa/bbb', 'prefix']], requests: [['/aaa/bbb', 'prefix']] },
  { paths: [['Prefix', '/aaa/bbb/', 'prefix']], requests: [['/aaa/bbb', 'prefix']] },
  { paths: [['Prefix', '/aaa/bbb', 'prefix']], requests: [['/aaa/bbb/', 'prefix']] },
  { paths: [['Prefix', '/aaa/bbb', 'prefix']], requests: [['/aaa/bbb/ccc', 'prefix']] },
  { paths: [['Prefix', '/aaa/bbb', 'prefix']], requests: [['/aaa/bbbxyz', 404]] },
  { paths: [['Prefix', '/', 'root'], ['Prefix', '/aaa', 'aaa']], requests: [['/aaa/ccc', 'aaa']] },
  { paths: [['Prefix', '/', 'root'], ['Prefix', '/aaa', 'aaa'], ['Prefix', '/aaa/bbb', 'aaabbb']], requests: [['/aaa/bbb', 'aaabbb']] },
  { paths: [['Prefix', '/', 'root'], ['Prefix', '/aaa', 'aaa'], ['Prefix', '/aaa/bbb', 'aaabbb']], requests: [['/ccc', 'root']] },
  { paths: [['Prefix', '/aaa', 'aaa']], requests: [['/ccc', 404]] },
  { paths: [['Prefix', '/foo', 'prefix'], ['Exact', '/foo', 'exact']], requests: [['/foo', 'exact']] },
];
const rowHost = (i: number) => `row${i + 1}.table.test`;

before(async () => {
  let lb: string;
  ({ c, lb } = await startIngressCluster('ing-route', 1));
  ip = lb;
  await c.ok(['apply', '-f', '-'], BACKENDS.map((b) => echoApp(b)).join('---\n'));
  await rolledOut(c, BACKENDS);
});
after(async () => {
  await c?.down();
});

/** The backend that answered (its http-echo text), or the status when it was not 200. */
async function answer(host: string, path: string): Promise<string | number> {
  const r = await get(ip, host, path);
  return r.status === 200 ? r.out.trim() : r.status;
}

test('the path-matching examples of the Kubernetes documentation, one rule per row', async () => {
  const rules = TABLE.map((row, i) => ({
    host: rowHost(i),
    http: { paths: row.paths.map(([pathType, path, svc]) => ({ path, pathType, backend: backend(svc) })) },
  }));
  await applyObjects(c, [ingress('table', { rules })]);
  assert.equal(await ingressAddress(c, 'table'), ip);
  await waitFor('the table Ingress to be routed', async () => (await answer(rowHost(0), '/')) === 'prefix');
  const wrong: string[] = [];
  for (const [i, row] of TABLE.entries()) {
    for (const [path, want] of row.requests) {
      const got = await answer(rowHost(i), path);
      if (got !== want) wrong.push(`row ${i + 1} (${row.paths.map((p) => `${p[0]} ${p[1]}`).join(', ')}) request ${path}: want ${want}, got ${got}`);
    }
  }
  assert.deepEqual(wrong, []);
});

test('a wildcard host matches exactly one label', async () => {
  await applyObjects(c, [ingress('wild', { rules: [{ host: '*.wild.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('wild') }] } }] })]);
  await waitFor('a.wild.test to be routed', async () => (await answer('a.wild.test', '/')) === 'wild');
  assert.equal(await answer('bbb.wild.test', '/x'), 'wild');
  assert.equal(await answer('b.a.wild.test', '/'), 404);
  assert.equal(await answer('wild.test', '/'), 404);
});

test('a precise host beats a wildcard for the same name', async () => {
  await applyObjects(c, [ingress('precise', { rules: [{ host: 'exact.wild.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('exact') }] } }] })]);
  await waitFor('exact.wild.test to be routed to its own rule', async () => (await answer('exact.wild.test', '/')) === 'exact');
  assert.equal(await answer('other.wild.test', '/'), 'wild');
});

test('503 when the chosen Service has no ready endpoints; back to 200 when it has', async () => {
  await c.ok(['apply', '-f', '-'], echoApp('empty'));
  await c.ok(['scale', 'deployment', 'empty', '--replicas=0']);
  await applyObjects(c, [ingress('empty', { rules: [{ host: 'empty.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('empty') }] } }] })]);
  await waitFor('503 from empty.test', async () => (await answer('empty.test', '/')) === 503);
  await c.ok(['scale', 'deployment', 'empty', '--replicas=1']);
  await rolledOut(c, ['empty']);
  await waitFor('empty.test answering once its pod is ready', async () => (await answer('empty.test', '/')) === 'empty');
});

test('an ExternalName Service backend is reached through its DNS name', async () => {
  await applyObjects(c, [
    { apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext' }, spec: { type: 'ExternalName', externalName: 'root.default.svc.cluster.local', ports: [{ port: 80 }] } },
    ingress('ext', { rules: [{ host: 'ext.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('ext') }] } }] }),
  ]);
  await waitFor('ext.test answered by root through the cluster DNS', async () => (await answer('ext.test', '/')) === 'root');
});

test('the backend sees X-Forwarded-For/-Host/-Port/-Proto and X-Real-IP', async () => {
  await c.ok(['create', 'deployment', 'echoserver', '--image=registry.k8s.io/echoserver:1.4', '--port=8080']);
  await c.ok(['expose', 'deployment', 'echoserver', '--port=80', '--target-port=8080']);
  await rolledOut(c, ['echoserver']);
  await applyObjects(c, [ingress('headers', { rules: [{ host: 'headers.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('echoserver') }] } }] })]);
  const r = await untilReply('headers.test to be routed', () => get(ip, 'headers.test', '/h?q=1'), (x) => x.status === 200);
  const header = (name: string) => new RegExp(`^${name}=(.*)$`, 'm').exec(r.out)?.[1];
  assert.equal(header('host'), 'headers.test');
  assert.equal(header('x-forwarded-host'), 'headers.test');
  assert.equal(header('x-forwarded-port'), '80');
  assert.equal(header('x-forwarded-proto'), 'http');
  const real = header('x-real-ip');
  assert.match(real ?? '', /^\d+\.\d+\.\d+\.\d+$/);
  assert.equal(header('x-forwarded-for'), real, 'X-Forwarded-For is the client address');
  // A client's own X-Forwarded-For is not trusted (use-forwarded-headers is off by default).
  const spoofed = await get(ip, 'headers.test', '/h', ['-H', 'X-Forwarded-For: 203.0.113.9']);
  assert.equal(new RegExp('^x-forwarded-for=(.*)$', 'm').exec(spoofed.out)?.[1], real);
});

// Uses the echoserver of the test above.
test('kubectl logs of the controller shows each request in ingress-nginx\'s access log format', async () => {
  const id = `e2e-${Date.now()}`;
  const r = await untilReply('headers.test to be routed', () => get(ip, 'headers.test', '/logged?x=1', ['-H', `X-Request-ID: ${id}`, '-A', 'e2e-agent']), (x) => x.status === 200);
  assert.equal(r.status, 200);
  const pod = JSON.parse(await c.ok(['get', 'pods', '-l', 'app=echoserver', '-o', 'json'])) as { items: { status: { podIP: string } }[] };
  const podIP = pod.items[0]!.status.podIP;
  // The line is written within the sink's flush interval of the answer.
  let line = '';
  await waitFor('the access log line', async () => {
    const logs = await c.ok(['logs', '-n', 'ingress-nginx', 'deploy/ingress-nginx-controller']);
    line = logs.split('\n').find((l) => l.endsWith(` ${id}`)) ?? '';
    return line !== '';
  });
  assert.match(
    line,
    new RegExp(
      String.raw`^\d+\.\d+\.\d+\.\d+ - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET /logged\?x=1 HTTP/1\.1" 200 \d+ "-" "e2e-agent" \d+ \d+\.\d{3} ` +
        String.raw`\[default-echoserver-80\] \[\] ${podIP.replace(/\./g, '\\.')}:8080 \d+ \d+\.\d{3} 200 ${id}$`,
    ),
  );
});

test('a replaced TLS Secret is served without a restart', async (t) => {
  const first = makeCert(['sec.test']);
  const second = makeCert(['sec.test']);
  try {
    await applyTLSSecret(c, 'sec-tls', first);
    await applyObjects(c, [
      ingress('sec', { tls: [{ hosts: ['sec.test'], secretName: 'sec-tls' }], rules: [{ host: 'sec.test', http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('prefix') }] } }] }),
    ]);
    const want1 = fileFingerprint(first.crt);
    const want2 = fileFingerprint(second.crt);
    assert.notEqual(want1, want2);
    await waitFor('the first certificate served for sec.test', async () => (await servedCertificate(ip, 'sec.test').catch(() => '')) === want1);
    const ok = await curl(['--cacert', first.crt, '--resolve', `sec.test:443:${ip}`, 'https://sec.test/']);
    assert.equal(ok.out.trim(), 'prefix', ok.err);
    // Another name gets the controller's generated default certificate, not this one.
    assert.notEqual(await servedCertificate(ip, 'nosuch.test'), want1);

    // How soon is the bench's business (a time bound here would fail on a loaded machine); the
    // diagnostic shows it.
    const replacedAt = performance.now();
    await applyTLSSecret(c, 'sec-tls', second);
    await waitFor('the replaced certificate served for sec.test', async () => (await servedCertificate(ip, 'sec.test').catch(() => '')) === want2);
    t.diagnostic(`the replaced certificate was served ${(performance.now() - replacedAt).toFixed(0)} ms after kubectl apply began`);
  } finally {
    first.cleanup();
    second.cleanup();
  }
});

test('defaultBackend: unmatched paths of the Ingress, then every unknown host when an Ingress has only a defaultBackend', async () => {
  await applyObjects(c, [
    ingress('with-default', { defaultBackend: backend('root'), rules: [{ host: 'db.test', http: { paths: [{ path: '/only', pathType: 'Prefix', backend: backend('aaa') }] } }] }),
  ]);
  await waitFor('db.test/only to be routed', async () => (await answer('db.test', '/only')) === 'aaa');
  assert.equal(await answer('db.test', '/elsewhere'), 'root');

  assert.equal(await answer('unknown.host.test', '/'), 404, 'before: the controller’s default backend');
  await applyObjects(c, [ingress('catch-all', { defaultBackend: backend('wild') })]);
  await waitFor('an unknown host to reach the catch-all defaultBackend', async () => (await answer('unknown.host.test', '/')) === 'wild');
  await c.ok(['delete', 'ingress', 'catch-all']);
  await waitFor('the default backend back for unknown hosts', async () => (await answer('unknown.host.test', '/')) === 404);
});
