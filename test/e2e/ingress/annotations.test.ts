// ingress-nginx annotations end to end, each on an Ingress of its own host: rewrite-target,
// app-root, permanent/temporal redirects, proxy-body-size, limit-rps, whitelist-source-range,
// enable-cors, cookie affinity and backend-protocol HTTPS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Cluster } from '../harness.js';
import { podNames } from '../scenarios/net.js';
import { applyObjects, backend, curl, get, ingress, makeCert, rolledOut, startIngressCluster, untilReply, type CurlResult } from './ingress.js';

let c: Cluster;
let ip = '';
const A = 'nginx.ingress.kubernetes.io/';

before(async () => {
  ({ c, lb: ip } = await startIngressCluster('ing-annot', 1));
  await c.ok(['create', 'deployment', 'echoserver', '--image=registry.k8s.io/echoserver:1.4', '--port=8080']);
  await c.ok(['expose', 'deployment', 'echoserver', '--port=80', '--target-port=8080']);
  await c.ok(['create', 'deployment', 'names', '--image=registry.k8s.io/e2e-test-images/agnhost:2.39', '--replicas=3', '--', '/agnhost', 'netexec', '--http-port=8080']);
  await c.ok(['expose', 'deployment', 'names', '--port=80', '--target-port=8080']);
  await rolledOut(c, ['echoserver', 'names']);
});
after(async () => {
  await c?.down();
});

/** An Ingress for `host` → `svc` at `path` (Prefix unless the annotations make it a regex). */
async function route(name: string, host: string, annotations: Record<string, string>, o: { svc?: string; port?: number; path?: string; pathType?: string } = {}): Promise<void> {
  const paths = [{ path: o.path ?? '/', pathType: o.pathType ?? 'Prefix', backend: backend(o.svc ?? 'echoserver', o.port ?? 80) }];
  await applyObjects(c, [ingress(name, { ingressClassName: 'nginx', rules: [{ host, http: { paths } }] }, Object.fromEntries(Object.entries(annotations).map(([k, v]) => [A + k, v])))]);
}

/** Polls until `check` holds for the reply to GET host/path (the Ingress is programmed). */
async function until(host: string, path: string, check: (r: CurlResult) => boolean, extra: string[] = []): Promise<CurlResult> {
  return untilReply(`${host}${path} to answer as configured`, () => get(ip, host, path, extra), check, 10_000);
}

const realPath = (r: CurlResult) => /^real path=(.*)$/m.exec(r.out)?.[1];

test('rewrite-target with capture groups: the documentation example', async () => {
  await route('rewrite', 'rewrite.test', { 'use-regex': 'true', 'rewrite-target': '/$2' }, { path: '/something(/|$)(.*)', pathType: 'ImplementationSpecific' });
  await until('rewrite.test', '/something/new', (r) => r.status === 200);
  for (const [req, want] of [['/something', '/'], ['/something/', '/'], ['/something/new', '/new'], ['/SOMETHING/new', '/new']]) {
    assert.equal(realPath(await get(ip, 'rewrite.test', req)), want, req);
  }
  assert.equal((await get(ip, 'rewrite.test', '/somethingelse')).status, 404);
});

test('app-root: / is redirected (302) to the app root, other paths pass', async () => {
  await route('approot', 'approot.test', { 'app-root': '/app1' });
  const r = await until('approot.test', '/', (x) => x.status === 302);
  assert.equal(r.headers.location, 'http://approot.test/app1');
  assert.equal(realPath(await get(ip, 'approot.test', '/app1')), '/app1');
});

test('permanent-redirect (301) and temporal-redirect (302)', async () => {
  await route('perm', 'perm.test', { 'permanent-redirect': 'https://www.example.org/target' });
  await route('temp', 'temp.test', { 'temporal-redirect': 'https://www.example.org/elsewhere' });
  const p = await until('perm.test', '/any', (x) => x.status === 301);
  assert.equal(p.headers.location, 'https://www.example.org/target');
  const t = await until('temp.test', '/any', (x) => x.status === 302);
  assert.equal(t.headers.location, 'https://www.example.org/elsewhere');
});

test('proxy-body-size: a larger body gets 413, a smaller one passes', async () => {
  await route('body', 'body.test', { 'proxy-body-size': '1k' });
  await until('body.test', '/', (r) => r.status === 200);
  const small = await get(ip, 'body.test', '/', ['--data-binary', 'x'.repeat(500)]);
  assert.equal(small.status, 200);
  assert.match(small.out, /xxxxx/);
  const big = await get(ip, 'body.test', '/', ['--data-binary', 'x'.repeat(4096)]);
  assert.equal(big.status, 413);
});

test('limit-rps: a burst beyond rps × 5 gets 503', async () => {
  await route('rps', 'rps.test', { 'limit-rps': '2' });
  await until('rps.test', '/', (r) => r.status === 200);
  // One curl, 40 requests on one connection, as fast as they go.
  const urls = Array.from({ length: 40 }, () => `http://${ip}/`);
  const r = await curl(['-H', 'Host: rps.test', '-o', '/dev/null', '-w', '%{http_code}\\n', ...urls.flatMap((u) => ['-o', '/dev/null', u])], 30);
  const codes = r.out.trim().split('\n');
  assert.equal(codes.length, 40, r.err);
  const limited = codes.filter((x) => x === '503').length;
  assert.ok(limited >= 20, `only ${limited} of 40 rapid requests limited: ${codes.join(' ')}`);
  assert.ok(codes.filter((x) => x === '200').length >= 1, 'the first requests pass');
});

test('whitelist-source-range: a client outside the ranges gets 403, inside passes', async () => {
  await route('deny', 'deny.test', { 'whitelist-source-range': '192.0.2.0/24,198.51.100.7/32' });
  await route('allow', 'allow.test', { 'whitelist-source-range': '0.0.0.0/0' });
  await until('allow.test', '/', (r) => r.status === 200);
  await until('deny.test', '/', (r) => r.status === 403);
});

test('enable-cors: a preflight gets 204 with ingress-nginx’s default CORS headers; a request gets the origin header', async () => {
  await route('cors', 'cors.test', { 'enable-cors': 'true' });
  await until('cors.test', '/', (r) => r.status === 200);
  const pre = await get(ip, 'cors.test', '/api', ['-X', 'OPTIONS', '-H', 'Origin: https://app.example.org', '-H', 'Access-Control-Request-Method: PUT']);
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  assert.equal(pre.headers['access-control-allow-methods'], 'GET, PUT, POST, DELETE, PATCH, OPTIONS');
  assert.equal(pre.headers['access-control-allow-credentials'], 'true');
  assert.equal(pre.headers['access-control-max-age'], '1728000');
  assert.match(pre.headers['access-control-allow-headers'] ?? '', /^DNT,Keep-Alive,User-Agent,X-Requested-With,If-Modified-Since,Cache-Control,Content-Type,Range,Authorization$/);
  assert.doesNotMatch(pre.out, /CLIENT VALUES/, 'the preflight is answered by the ingress');
  const get1 = await get(ip, 'cors.test', '/api', ['-H', 'Origin: https://app.example.org']);
  assert.equal(get1.status, 200);
  assert.equal(get1.headers['access-control-allow-origin'], '*');
});

test('affinity cookie: the first answer sets INGRESSCOOKIE and requests carrying it stay on one pod', async () => {
  await route('sticky', 'sticky.test', { affinity: 'cookie' }, { svc: 'names' });
  const pods = await podNames(c, 'app=names');
  const first = await until('sticky.test', '/hostname', (r) => r.status === 200);
  const cookie = /^(INGRESSCOOKIE=[^;]+)/.exec(first.headers['set-cookie'] ?? '')?.[1];
  assert.ok(cookie, `Set-Cookie: ${first.headers['set-cookie']}`);
  assert.ok(pods.includes(first.out.trim()));
  const seen = new Set<string>();
  for (let i = 0; i < 15; i++) seen.add((await get(ip, 'sticky.test', '/hostname', ['-H', `Cookie: ${cookie}`])).out.trim());
  assert.deepEqual([...seen], [first.out.trim()]);
  const spread = new Set<string>();
  for (let i = 0; i < 30 && spread.size < 2; i++) spread.add((await get(ip, 'sticky.test', '/hostname')).out.trim());
  assert.equal(spread.size, 2, 'without the cookie requests are balanced');
});

test('backend-protocol HTTPS: the ingress speaks TLS to an HTTPS backend', async () => {
  // An HTTPS server as a user image: a Node script with a self-signed certificate.
  const home = c.env.SKIFF_HOME!;
  const dir = join(home, 'https-echo');
  mkdirSync(dir, { recursive: true });
  const cert = makeCert(['https-echo.default.svc']);
  copyFileSync(cert.crt, join(dir, 'tls.crt'));
  copyFileSync(cert.key, join(dir, 'tls.key'));
  cert.cleanup();
  writeFileSync(
    join(dir, 'server.mjs'),
    `import { createServer } from 'node:https';
import { readFileSync } from 'node:fs';
const opts = { cert: readFileSync(${JSON.stringify(join(dir, 'tls.crt'))}), key: readFileSync(${JSON.stringify(join(dir, 'tls.key'))}) };
createServer(opts, (req, res) => res.end('tls backend saw ' + req.url + ' over ' + req.socket.getProtocol() + '\\n')).listen(8443);
process.on('SIGTERM', () => process.exit(0));
`,
  );
  // The image consists of the script and its certificate: the directory is all of it.
  writeFileSync(join(home, 'images.yaml'), `skiff-test/https-echo:\n  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(dir, 'server.mjs'))}]\n  files: [${JSON.stringify(dir)}]\n`);
  await c.ok(['create', 'deployment', 'https-echo', '--image=skiff-test/https-echo:1', '--port=8443']);
  await c.ok(['expose', 'deployment', 'https-echo', '--port=443', '--target-port=8443']);
  await rolledOut(c, ['https-echo']);
  await route('tlsbackend', 'tlsbackend.test', { 'backend-protocol': 'HTTPS' }, { svc: 'https-echo', port: 443 });
  const r = await until('tlsbackend.test', '/x?y=1', (x) => x.status === 200);
  assert.match(r.out, /^tls backend saw \/x\?y=1 over TLSv1\.[23]$/m);
  // Without the annotation, plain HTTP to a TLS port fails as nginx's does: 502.
  await route('plainbackend', 'plainbackend.test', {}, { svc: 'https-echo', port: 443 });
  await until('plainbackend.test', '/', (x) => x.status === 502);
});
