import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { deadPort, json, request, simpleTable, slicesFor, startBackend, startHarness, upgrade, type Backend, type Harness } from './harness.js';
import { ingress, service, table } from './fixtures.js';

let a: Backend;
let b: Backend;
let h: Harness;

before(async () => {
  a = await startBackend('a');
  b = await startBackend('b');
  h = await startHarness(simpleTable([a.port]));
});

after(async () => {
  await h.close();
  await a.close();
  await b.close();
});

const port = () => h.listeners.httpPort;

test('forwarded headers are set as ingress-nginx sets them', async () => {
  h.setTable(simpleTable([a.port]));
  const r = await request(port(), { host: 'h.test', path: '/x?y=1', headers: { 'x-forwarded-for': '1.2.3.4', 'x-custom': 'v' } });
  assert.equal(r.status, 200);
  assert.equal(r.headers.server, 'nginx');
  const seen = json(r);
  assert.equal(seen.url, '/x?y=1');
  assert.equal(seen.headers.host, 'h.test');
  assert.equal(seen.headers['x-real-ip'], '127.0.0.1');
  assert.equal(seen.headers['x-forwarded-for'], '127.0.0.1');
  assert.equal(seen.headers['x-original-forwarded-for'], '1.2.3.4');
  assert.equal(seen.headers['x-forwarded-host'], 'h.test');
  assert.equal(seen.headers['x-forwarded-port'], String(port()));
  assert.equal(seen.headers['x-forwarded-proto'], 'http');
  assert.equal(seen.headers['x-forwarded-scheme'], 'http');
  assert.equal(seen.headers['x-scheme'], 'http');
  assert.match(seen.headers['x-request-id'] ?? '', /^[0-9a-f]{32}$/);
  assert.equal(seen.headers['x-custom'], 'v');
  const kept = json(await request(port(), { host: 'h.test', headers: { 'x-request-id': 'abc' } }));
  assert.equal(kept.headers['x-request-id'], 'abc');
});

test('upstream connections are kept alive and reused', async () => {
  h.setTable(simpleTable([b.port]));
  const before = b.connections;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  for (let i = 0; i < 20; i++) assert.equal((await request(port(), { host: 'h.test', agent })).status, 200);
  agent.destroy();
  assert.equal(b.connections - before, 1);
});

test('endpoints are used in turn', async () => {
  h.setTable(simpleTable([a.port, b.port]));
  const seen: string[] = [];
  for (let i = 0; i < 4; i++) seen.push(json(await request(port(), { host: 'h.test' })).backend);
  assert.deepEqual(seen.sort(), ['a', 'a', 'b', 'b']);
});

test('no route: 404 from the default backend, with nginx\'s page', async () => {
  h.setTable(simpleTable([a.port]));
  const r = await request(port(), { host: 'unknown.test' });
  assert.equal(r.status, 404);
  assert.equal(r.headers['content-type'], 'text/html');
  assert.equal(r.body, '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n');
});

test('a Service without ready endpoints: 503', async () => {
  h.setTable(simpleTable([]));
  const r = await request(port(), { host: 'h.test' });
  assert.equal(r.status, 503);
  assert.match(r.body, /503 Service Temporarily Unavailable/);
});

test('a refused connection is retried on another endpoint; all refused is 502', async () => {
  const dead = await deadPort();
  h.setTable(simpleTable([dead, a.port]));
  for (let i = 0; i < 4; i++) assert.equal((await request(port(), { host: 'h.test', method: 'POST', body: 'x' })).status, 200);
  for (let i = 0; i < 4; i++) assert.equal((await request(port(), { host: 'h.test' })).status, 200);
  h.setTable(simpleTable([dead]));
  const r = await request(port(), { host: 'h.test' });
  assert.equal(r.status, 502);
  assert.match(r.body, /502 Bad Gateway/);
});

test('an upstream that does not answer within proxy-read-timeout: 504', async () => {
  const silent = await startBackend('silent', () => undefined);
  try {
    h.setTable(simpleTable([silent.port], { annotations: { 'nginx.ingress.kubernetes.io/proxy-read-timeout': '1', 'nginx.ingress.kubernetes.io/proxy-next-upstream-tries': '1' } }));
    const r = await request(port(), { host: 'h.test' });
    assert.equal(r.status, 504);
    assert.match(r.body, /504 Gateway Time-out/);
  } finally {
    await silent.close();
  }
});

test('request and response bodies stream through', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const streaming = await startBackend('stream', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain' });
    req.on('data', (c: Buffer) => res.write(`got:${c.toString()};`));
    req.on('end', () => void gate.then(() => res.end('done')));
  });
  try {
    h.setTable(simpleTable([streaming.port]));
    const req = http.request({ host: '127.0.0.1', port: port(), method: 'POST', path: '/', headers: { host: 'h.test', 'transfer-encoding': 'chunked' }, agent: false });
    req.write('one');
    const [res] = (await once(req, 'response')) as [http.IncomingMessage];
    const [first] = (await once(res, 'data')) as [Buffer];
    assert.equal(first.toString(), 'got:one;', 'the first chunk arrives before the request body has ended');
    req.end('two');
    const [second] = (await once(res, 'data')) as [Buffer];
    assert.equal(second.toString(), 'got:two;');
    release();
    let rest = '';
    res.on('data', (c: Buffer) => (rest += c.toString()));
    await once(res, 'end');
    assert.equal(rest, 'done');
  } finally {
    await streaming.close();
  }
});

test('WebSocket upgrades pass through', async () => {
  const ws = await startBackend('ws');
  ws.server.on('upgrade', (req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nX-Seen-Host: ' + req.headers.host + '\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    // An upgraded socket of an http.Server is half-open capable: close it when the peer does.
    socket.on('end', () => socket.destroy());
  });
  try {
    h.setTable(simpleTable([ws.port]));
    const { res, socket } = await upgrade(port(), 'h.test');
    assert.equal(res.statusCode, 101);
    assert.equal(res.headers['x-seen-host'], 'h.test');
    socket.write('ping');
    const [d] = (await once(socket, 'data')) as [Buffer];
    assert.equal(d.toString(), 'echo:ping');
    socket.destroy();
  } finally {
    await ws.close();
  }
});

test('rewrite-target with capture groups (scenario 003)', async () => {
  const t = table(
    [
      ingress('my-ingress', [{ host: 'example.com', paths: [{ path: '/api(/|$)(.*)', type: 'ImplementationSpecific', service: 'web' }] }], {
        annotations: { 'nginx.ingress.kubernetes.io/use-regex': 'true', 'nginx.ingress.kubernetes.io/rewrite-target': '/$2' },
      }),
    ],
    { services: [service('web')], slices: slicesFor('web', [a.port]) },
  );
  h.setTable(t);
  assert.equal(json(await request(port(), { host: 'example.com', path: '/api/echo?msg=x' })).url, '/echo?msg=x');
  assert.equal(json(await request(port(), { host: 'example.com', path: '/api' })).url, '/');
  assert.equal(json(await request(port(), { host: 'example.com', path: '/api/some/resource' })).url, '/some/resource');
  assert.equal((await request(port(), { host: 'example.com', path: '/apix' })).status, 404);
  assert.equal((await request(port(), { host: 'example.com', path: '/other' })).status, 404);
});

test('redirects: missing trailing slash 301, app-root 302, permanent-redirect 301', async () => {
  h.setTable(simpleTable([a.port], { path: '/my-path/', type: 'ImplementationSpecific' }));
  let r = await request(port(), { host: 'h.test', path: '/my-path?q=1' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'http://h.test/my-path/?q=1');
  h.setTable(simpleTable([a.port], { annotations: { 'nginx.ingress.kubernetes.io/app-root': '/app1' } }));
  r = await request(port(), { host: 'h.test', path: '/' });
  assert.equal(r.status, 302);
  assert.equal(r.headers.location, 'http://h.test/app1');
  h.setTable(simpleTable([a.port], { annotations: { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://www.example.org' } }));
  r = await request(port(), { host: 'h.test', path: '/x' });
  assert.equal(r.status, 301);
  assert.equal(r.headers.location, 'https://www.example.org');
});

test('a swapped table applies to the next request while one in flight keeps its endpoint', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const slow = await startBackend('slow', (_req, res) => void gate.then(() => res.end('slow')));
  try {
    h.setTable(simpleTable([slow.port]));
    const inFlight = request(port(), { host: 'h.test' });
    await new Promise<void>((r) => slow.server.once('request', () => r()));
    h.setTable(simpleTable([b.port]));
    assert.equal(json(await request(port(), { host: 'h.test' })).backend, 'b');
    release();
    assert.equal((await inFlight).body, 'slow');
  } finally {
    await slow.close();
  }
});

test('an endpoint that refuses for a moment (a pod Ready before it listens) costs a delay, not a 502', async () => {
  const p = await deadPort();
  h.setTable(simpleTable([p]));
  const pending = request(port(), { host: 'h.test' });
  await new Promise<void>((r) => setTimeout(r, 60));
  const late2 = http.createServer((_req, res) => res.end('late'));
  try {
    await new Promise<void>((r) => late2.listen(p, '127.0.0.1', () => r()));
    const r = await pending;
    assert.equal(r.status, 200);
    assert.equal(r.body, 'late');
  } finally {
    late2.closeAllConnections();
    await new Promise<void>((r) => late2.close(() => r()));
  }
});
