import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { json, request, simpleTable, slicesFor, startBackend, startHarness, type Backend, type Harness } from './harness.js';
import { ingress, service, table } from './fixtures.js';

// ingress-nginx annotations as the request path applies them (the decisions themselves are
// unit-tested with the policies): that each is wired in, in nginx's order.

const A = 'nginx.ingress.kubernetes.io/';
let stable: Backend;
let next: Backend;
let h: Harness;

before(async () => {
  stable = await startBackend('stable');
  next = await startBackend('next');
  h = await startHarness(simpleTable([stable.port]));
});

after(async () => {
  await h.close();
  await stable.close();
  await next.close();
});

const port = () => h.listeners.httpPort;

function canaryTable(annotations: Record<string, string>) {
  return table(
    [
      ingress('main', [{ host: 'h.test', paths: [{ path: '/', service: 'stable' }] }]),
      ingress('canary', [{ host: 'h.test', paths: [{ path: '/', service: 'next' }] }], { annotations: { [`${A}canary`]: 'true', ...annotations } }),
    ],
    { services: [service('stable'), service('next')], slices: [...slicesFor('stable', [stable.port]), ...slicesFor('next', [next.port])] },
  );
}

test('canary: header first, then cookie, then weight', async () => {
  h.setTable(canaryTable({ [`${A}canary-by-header`]: 'X-Canary', [`${A}canary-by-cookie`]: 'canary', [`${A}canary-weight`]: '0' }));
  assert.equal(json(await request(port(), { host: 'h.test' })).backend, 'stable');
  assert.equal(json(await request(port(), { host: 'h.test', headers: { 'x-canary': 'always' } })).backend, 'next');
  assert.equal(json(await request(port(), { host: 'h.test', headers: { cookie: 'canary=always' } })).backend, 'next');
  assert.equal(json(await request(port(), { host: 'h.test', headers: { 'x-canary': 'never', cookie: 'canary=always' } })).backend, 'stable');
  h.setTable(canaryTable({ [`${A}canary-weight`]: '100' }));
  assert.equal(json(await request(port(), { host: 'h.test' })).backend, 'next');
});

test('proxy-body-size: a declared or streamed body above the limit gets 413, below passes', async () => {
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}proxy-body-size`]: '1k' } }));
  assert.equal((await request(port(), { host: 'h.test', method: 'POST', body: 'x'.repeat(2048) })).status, 413);
  assert.equal((await request(port(), { host: 'h.test', method: 'POST', body: 'x'.repeat(512) })).status, 200);
  const chunked = { 'transfer-encoding': 'chunked' };
  assert.equal((await request(port(), { host: 'h.test', method: 'POST', headers: chunked, body: 'x'.repeat(2048) })).status, 413);
  assert.equal((await request(port(), { host: 'h.test', method: 'POST', headers: chunked, body: 'x'.repeat(512) })).status, 200);
});

test('whitelist-source-range: 403 outside the ranges', async () => {
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}whitelist-source-range`]: '10.0.0.0/8' } }));
  assert.equal((await request(port(), { host: 'h.test' })).status, 403);
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}whitelist-source-range`]: '127.0.0.0/8' } }));
  assert.equal((await request(port(), { host: 'h.test' })).status, 200);
});

test('an unparsable whitelist-source-range denies the whole location with 503, as ingress-nginx', async () => {
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}whitelist-source-range`]: '10.0.0.0/33' } }));
  const r = await request(port(), { host: 'h.test' });
  assert.equal(r.status, 503);
  assert.match(r.body, /503 Service Temporarily Unavailable/, 'the ingress answers, not the backend');
});

test('enable-cors: the ingress answers the preflight and adds the headers to responses', async () => {
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}enable-cors`]: 'true' } }));
  const pre = await request(port(), { host: 'h.test', method: 'OPTIONS', headers: { origin: 'http://x.test' } });
  assert.equal(pre.status, 204);
  assert.equal(pre.headers['access-control-allow-origin'], '*');
  const r = await request(port(), { host: 'h.test', headers: { origin: 'http://x.test' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers['access-control-allow-origin'], '*');
});

test('limit-connections: requests beyond the limit in flight get 503', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = await startBackend('slow', (_req, res) => void gate.then(() => res.end('ok')));
  try {
    h.setTable(simpleTable([slow.port], { annotations: { [`${A}limit-connections`]: '1' } }));
    const first = request(port(), { host: 'h.test' });
    await new Promise<void>((r) => slow.server.once('request', () => r()));
    assert.equal((await request(port(), { host: 'h.test' })).status, 503);
    release();
    assert.equal((await first).status, 200);
    assert.equal((await request(port(), { host: 'h.test' })).status, 200, 'the slot is released when the request ends');
  } finally {
    await slow.close();
  }
});

test('x-forwarded-prefix and upstream-vhost reach the backend', async () => {
  h.setTable(simpleTable([stable.port], { annotations: { [`${A}x-forwarded-prefix`]: '/app', [`${A}upstream-vhost`]: 'internal.svc' } }));
  const seen = json(await request(port(), { host: 'h.test' }));
  assert.equal(seen.headers['x-forwarded-prefix'], '/app');
  assert.equal(seen.headers.host, 'internal.svc');
  assert.equal(seen.headers['x-forwarded-host'], 'h.test');
});

test('affinity cookie: the first answer sets INGRESSCOOKIE and the cookie keeps the endpoint', async () => {
  h.setTable(simpleTable([stable.port, next.port], { annotations: { [`${A}affinity`]: 'cookie' } }));
  const first = await request(port(), { host: 'h.test' });
  const setCookie = first.headers['set-cookie']?.[0] ?? '';
  assert.match(setCookie, /^INGRESSCOOKIE=/);
  const cookie = setCookie.split(';')[0]!;
  const pinned = json(first).backend;
  for (let i = 0; i < 6; i++) assert.equal(json(await request(port(), { host: 'h.test', headers: { cookie } })).backend, pinned);
});

test('backend-protocol HTTPS: TLS to the endpoint, its certificate not verified (as nginx)', async () => {
  const { default: https } = await import('node:https');
  const { generateFakeCertificate } = await import('../../../../src/addons/proxy/certificates.js');
  const pair = await generateFakeCertificate();
  const server = https.createServer(pair, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`tls ${req.method} ${Buffer.concat(chunks).toString()}`));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const p = (server.address() as { port: number }).port;
    h.setTable(simpleTable([p], { annotations: { [`${A}backend-protocol`]: 'HTTPS' } }));
    assert.equal((await request(port(), { host: 'h.test' })).body, 'tls GET ');
    assert.equal((await request(port(), { host: 'h.test', method: 'POST', body: 'b' })).body, 'tls POST b');
  } finally {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
