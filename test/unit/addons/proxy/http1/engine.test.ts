import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import type http from 'node:http';
import { simpleTable, startBackend, startHarness, type Harness } from '../../ingress/harness.js';
import { connectClient, get, startRawUpstream, type RawRequest, type RawUpstream, type SocketReader } from './raw.js';

// The HTTP/1.1 engine behind a real proxy, driven with raw sockets on both sides where node's
// http module would hide the framing: what a client sees byte for byte, and what an upstream
// gets. Every expectation is nginx's (ingress-nginx) behaviour.

let h: Harness;
const T = { timeout: 20_000 }; // a hang fails the test instead of stalling the run

before(async () => {
  h = await startHarness(simpleTable([]));
});
after(async () => {
  await h.close();
});

const port = () => h.listeners.httpPort;

async function client(t: TestContext): Promise<SocketReader> {
  const c = await connectClient(port());
  t.after(() => c.socket.destroy());
  return c;
}

async function backend(t: TestContext, name: string, handler?: http.RequestListener) {
  const b = await startBackend(name, handler);
  t.after(() => b.close());
  return b;
}

async function rawUpstream(t: TestContext, onConnection: (conn: SocketReader, index: number) => void | Promise<void>): Promise<RawUpstream> {
  const u = await startRawUpstream(onConnection);
  t.after(() => u.close());
  return u;
}

/** An upstream answering every request with `answer` (keep-alive), recording what it got. */
async function recorder(t: TestContext, answer: (r: RawRequest) => string | Buffer = () => 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok') {
  const requests: RawRequest[] = [];
  const up = await rawUpstream(t, async (conn) => {
    for (;;) {
      const r = await conn.request();
      requests.push(r);
      conn.socket.write(answer(r));
    }
  });
  return { up, requests };
}

function route(ports: number[], annotations?: Record<string, string>): void {
  h.setTable(simpleTable(ports, annotations ? { annotations } : {}));
}

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Deterministic pseudo-random bytes, so a lost or reordered piece shows. */
function pattern(n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  let x = 0x12345678;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** Reads a socket one event-loop turn per chunk: a client or upstream slower than the proxy. */
function throttle(s: import('node:net').Socket): void {
  s.on('data', () => {
    s.pause();
    setImmediate(() => s.resume());
  });
}

// 1. Pipelining and fragmented input

test('pipelined requests in one write are answered in order, a body between them included', T, async (t) => {
  const be = await backend(t, 'pipe');
  route([be.port]);
  const c = await client(t);
  await c.send(get('/1') + 'POST /2 HTTP/1.1\r\nHost: h.test\r\nContent-Length: 5\r\n\r\nhello' + get('/3') + get('/4'));
  const seen: { url: string; body: string }[] = [];
  for (let i = 0; i < 4; i++) {
    const r = await c.response();
    assert.equal(r.status, 200);
    seen.push(JSON.parse(r.body.toString()) as { url: string; body: string });
  }
  assert.deepEqual(seen.map((s) => s.url), ['/1', '/2', '/3', '/4']);
  assert.equal(seen[1]!.body, 'hello');
  assert.equal(be.connections, 1);
});

test('a request split into 1-byte writes, then a chunked one, work', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port]);
  const c = await client(t);
  const plain = 'POST /one HTTP/1.1\r\nHost: h.test\r\nContent-Length: 11\r\n\r\nhello world';
  const chunked = 'PUT /two HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n';
  for (const text of [plain, chunked]) {
    for (let i = 0; i < text.length; i++) await c.send(text[i]!);
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
  }
  assert.equal(requests.length, 2);
  assert.equal(requests[0]!.target, '/one');
  assert.equal(requests[0]!.body.toString(), 'hello world');
  assert.equal(requests[1]!.target, '/two');
  assert.equal(requests[1]!.body.toString(), 'abcde');
});

// 2. Keep-alive

test('requests on one client connection reuse one upstream connection', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port]);
  const c = await client(t);
  for (let i = 0; i < 5; i++) {
    await c.send(get(`/${i}`));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, 'keep-alive');
  }
  assert.equal(requests.length, 5);
  assert.equal(up.connections, 1);
});

test('keepalive_requests: the 1000th request on a connection is answered with Connection: close', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port]);
  const c = await client(t);
  await c.send(Array.from({ length: 1001 }, (_, i) => get(`/${i}`)).join(''));
  for (let i = 1; i <= 1000; i++) {
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.headers.connection, i < 1000 ? 'keep-alive' : 'close', `response ${i}`);
  }
  assert.equal((await c.rest()).length, 0, 'the 1001st request is not answered');
  assert.equal(requests.length, 1000);
});

test('Connection: close from the client closes the connection after the answer', T, async (t) => {
  const be = await backend(t, 'close');
  route([be.port]);
  const c = await client(t);
  await c.send(get('/', 'Connection: close\r\n'));
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.equal(r.headers.connection, 'close');
  assert.equal((await c.rest()).length, 0);
  assert.ok(c.ended);
});

test('HTTP/1.0 without keep-alive closes; with Connection: keep-alive it stays open', T, async (t) => {
  // Content-Length from upstream: a chunked one would have to reach HTTP/1.0 close-delimited.
  const { up, requests } = await recorder(t, (r) => `HTTP/1.1 200 OK\r\nContent-Length: ${r.target.length}\r\n\r\n${r.target}`);
  route([up.port]);
  const c = await client(t);
  await c.send(get('/', '', '1.0'));
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.match(r.line, /^HTTP\/1\.1 200 OK$/);
  assert.equal(r.headers.connection, 'close');
  assert.equal((await c.rest()).length, 0);

  const k = await client(t);
  for (let i = 0; i < 3; i++) {
    await k.send(get(`/k${i}`, 'Connection: keep-alive\r\n', '1.0'));
    const kr = await k.response();
    assert.equal(kr.status, 200);
    assert.equal(kr.headers.connection, 'keep-alive');
    assert.equal(kr.framing, 'length');
    assert.equal(kr.body.toString(), `/k${i}`);
  }
  assert.equal(k.ended, false);
  assert.equal(requests.length, 4);
});

// 3. Request bodies

test('Content-Length and chunked request bodies arrive intact; chunked stays chunked upstream', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port]);
  const c = await client(t);
  const body = pattern(100_000);
  await c.send(Buffer.concat([Buffer.from('POST /cl HTTP/1.1\r\nHost: h.test\r\nContent-Length: 100000\r\n\r\n'), body]));
  assert.equal((await c.response()).status, 200);
  await c.send('POST /ch HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nWiki\r\n');
  await c.send('5\r\npedia\r\n');
  await c.send('0\r\n\r\n');
  assert.equal((await c.response()).status, 200);

  const [cl, ch] = requests;
  assert.equal(cl!.headers['content-length'], '100000');
  assert.equal(cl!.headers['transfer-encoding'], undefined);
  assert.equal(sha(cl!.body), sha(body));
  assert.equal(ch!.headers['transfer-encoding'], 'chunked');
  assert.equal(ch!.headers['content-length'], undefined);
  assert.equal(ch!.body.toString(), 'Wikipedia');
  assert.equal(up.connections, 1, 'both bodies were delimited exactly: the upstream connection was reused');
});

test('a 1 MB body to a slow upstream reader arrives complete and in order', T, async (t) => {
  const body = pattern(1_000_000);
  const requests: RawRequest[] = [];
  const up = await rawUpstream(t, async (conn) => {
    throttle(conn.socket);
    const r = await conn.request();
    requests.push(r);
    conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  route([up.port]);
  const c = await client(t);
  await c.send(Buffer.concat([Buffer.from('POST / HTTP/1.1\r\nHost: h.test\r\nContent-Length: 1000000\r\n\r\n'), body]));
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.equal(requests[0]!.body.length, body.length);
  assert.equal(sha(requests[0]!.body), sha(body));
});

test('a 1 MB chunked body in many small chunks to a slow upstream arrives complete', T, async (t) => {
  const body = pattern(1_000_000);
  const requests: RawRequest[] = [];
  const up = await rawUpstream(t, async (conn) => {
    throttle(conn.socket);
    requests.push(await conn.request());
    conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
  });
  route([up.port]);
  const c = await client(t);
  const parts: Buffer[] = [Buffer.from('POST / HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n')];
  for (let i = 0; i < body.length; i += 1000) {
    const piece = body.subarray(i, i + 1000);
    parts.push(Buffer.from(piece.length.toString(16) + '\r\n'), piece, Buffer.from('\r\n'));
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  await c.send(Buffer.concat(parts));
  assert.equal((await c.response()).status, 200);
  assert.equal(sha(requests[0]!.body), sha(body));
});

test('Expect: 100-continue gets "HTTP/1.1 100 Continue" before the body is sent', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port]);
  const c = await client(t);
  await c.send('POST /e HTTP/1.1\r\nHost: h.test\r\nExpect: 100-continue\r\nContent-Length: 5\r\n\r\n');
  const interim = await c.response();
  assert.equal(interim.line, 'HTTP/1.1 100 Continue');
  assert.deepEqual(interim.headers, {});
  await c.send('hello');
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.equal(requests[0]!.body.toString(), 'hello');
  assert.equal(up.connections, 1);
});

test('Expect: 100-continue with a declared body over proxy-body-size: 413 and no 100', T, async (t) => {
  const { up, requests } = await recorder(t);
  route([up.port], { 'nginx.ingress.kubernetes.io/proxy-body-size': '1k' });
  const c = await client(t);
  await c.send('POST / HTTP/1.1\r\nHost: h.test\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n');
  const r = await c.response();
  assert.equal(r.status, 413);
  assert.equal(r.headers.server, 'nginx');
  assert.equal(r.headers.connection, 'close');
  await c.rest();
  assert.equal(requests.length, 0);
});

test('a chunked body over proxy-body-size: 413 and close, in one write or streamed', T, async (t) => {
  const { up } = await recorder(t);
  route([up.port], { 'nginx.ingress.kubernetes.io/proxy-body-size': '1k' });
  const chunk = `3e8\r\n${'x'.repeat(1000)}\r\n`;
  const head = 'POST / HTTP/1.1\r\nHost: h.test\r\nTransfer-Encoding: chunked\r\n\r\n';

  const whole = await client(t);
  await whole.send(head + chunk + chunk + chunk + '0\r\n\r\n');
  let r = await whole.response();
  assert.equal(r.status, 413);
  assert.match(r.body.toString(), /413 Request Entity Too Large/);
  assert.equal(r.headers.server, 'nginx');
  assert.equal(r.headers.connection, 'close');
  await whole.rest();

  const streamed = await client(t);
  await streamed.send(head);
  await streamed.send(chunk);
  await streamed.send(chunk);
  r = await streamed.response();
  assert.equal(r.status, 413);
  assert.equal(r.headers.connection, 'close');
  await streamed.rest();
  assert.ok(streamed.ended);
});

// 4. Responses

test('a close-delimited upstream body reaches an HTTP/1.1 client chunked and complete', T, async (t) => {
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    await conn.send('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\npart1-');
    await conn.send('part2-');
    conn.socket.end('part3');
  });
  route([up.port]);
  const c = await client(t);
  for (let i = 0; i < 2; i++) {
    await c.send(get('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.framing, 'chunked');
    assert.equal(r.headers['content-length'], undefined);
    assert.equal(r.headers.connection, 'keep-alive');
    assert.equal(r.body.toString(), 'part1-part2-part3');
  }
  assert.equal(up.connections, 2);
});

test('a chunked upstream body reaches an HTTP/1.0 client de-chunked, then the connection closes', T, async (t) => {
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    await conn.send('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n');
    conn.socket.write('6;x=y\r\n world\r\n0\r\nX-Trailer: t\r\n\r\n');
  });
  route([up.port]);
  const c = await client(t);
  await c.send(get('/', 'Connection: keep-alive\r\n', '1.0'));
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.equal(r.headers['transfer-encoding'], undefined);
  assert.equal(r.headers.connection, 'close');
  assert.equal(r.framing, 'close');
  assert.equal(r.body.toString(), 'hello world');
  assert.ok(c.ended);
});

test('HEAD gets the upstream Content-Length and no body; the connection stays usable', T, async (t) => {
  const be = await backend(t, 'head', (req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/plain', 'Content-Length': '1234' });
    res.end(req.method === 'HEAD' ? undefined : 'y'.repeat(1234));
  });
  route([be.port]);
  const c = await client(t);
  await c.send('HEAD / HTTP/1.1\r\nHost: h.test\r\n\r\n');
  const r = await c.response('HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['content-length'], '1234');
  assert.equal(r.headers['transfer-encoding'], undefined);
  await c.send(get('/'));
  const g = await c.response();
  assert.equal(g.status, 200);
  assert.equal(g.body.toString(), 'y'.repeat(1234));
  assert.equal(c.buffered.length, 0);
});

test('HEAD to an upstream that answers close-delimited: the head only, no chunked framing', T, async (t) => {
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    conn.socket.end('HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n');
  });
  route([up.port]);
  const c = await client(t);
  await c.send('HEAD / HTTP/1.1\r\nHost: h.test\r\n\r\n');
  const r = await c.response('HEAD');
  assert.equal(r.status, 200);
  assert.equal(r.headers['transfer-encoding'], undefined);
  await c.send(get('/', 'Connection: close\r\n'));
  const g = await c.response();
  assert.equal(g.status, 200);
  assert.equal(g.body.length, 0);
});

test('204 and 304 have no body and the connection stays usable', T, async (t) => {
  const be = await backend(t, 'nobody', (req, res) => {
    if (req.url === '/204') res.writeHead(204).end();
    else if (req.url === '/304') res.writeHead(304, { ETag: '"v1"' }).end();
    else res.end('after');
  });
  route([be.port]);
  const c = await client(t);
  await c.send(get('/204') + get('/304') + get('/'));
  const a = await c.response();
  assert.equal(a.status, 204);
  assert.equal(a.headers['transfer-encoding'], undefined);
  assert.equal(a.headers.connection, 'keep-alive');
  const b = await c.response();
  assert.equal(b.status, 304);
  assert.equal(b.headers.etag, '"v1"');
  assert.equal(b.headers['transfer-encoding'], undefined);
  const last = await c.response();
  assert.equal(last.status, 200);
  assert.equal(last.body.toString(), 'after');
  assert.equal(be.connections, 1);
});

test('Content-Length: 0 ends the response at its head: the next request on the connection is answered', T, async (t) => {
  const be = await backend(t, 'empty', (req, res) => {
    if (req.url === '/empty') res.writeHead(200, { 'Content-Length': '0' }).end();
    else res.end('after');
  });
  route([be.port]);
  const c = await client(t);
  await c.send(get('/empty'));
  const a = await c.response();
  assert.deepEqual([a.status, a.headers['content-length'], a.body.length], [200, '0', 0]);
  await c.send(get('/'));
  const b = await c.response();
  assert.deepEqual([b.status, b.body.toString()], [200, 'after']);
  assert.equal(be.connections, 1);
});

test('a 100 Continue interim response from upstream is not relayed', T, async (t) => {
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    const s = conn.socket;
    // Interim and final response in separate writes, then both in one write.
    await conn.send('HTTP/1.1 100 Continue\r\n\r\n');
    s.write('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\none');
    await conn.request();
    s.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo');
  });
  route([up.port]);
  const c = await client(t);
  for (const want of ['one', 'two']) {
    await c.send(get('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), want);
  }
  assert.equal(up.connections, 1);
});

test('a 1 MB response to a slow-reading client arrives complete (Content-Length and close-delimited)', T, async (t) => {
  const body = pattern(1_000_000);
  const be = await backend(t, 'big', (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': String(body.length) });
    res.end(body);
  });
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    conn.socket.write('HTTP/1.0 200 OK\r\n\r\n');
    for (let i = 0; i < body.length; i += 100_000) conn.socket.write(body.subarray(i, i + 100_000));
    conn.socket.end();
  });
  for (const [p, framing] of [
    [be.port, 'length'],
    [up.port, 'chunked'],
  ] as const) {
    route([p]);
    const c = await client(t);
    throttle(c.socket);
    await c.send(get('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.framing, framing);
    assert.equal(r.body.length, body.length);
    assert.equal(sha(r.body), sha(body));
  }
});

// 5. Failures

test('an upstream that closed a cached connection: the next request (even a POST) goes on a new one', T, async (t) => {
  const closed: Promise<void>[] = [];
  const up = await rawUpstream(t, async (conn) => {
    closed.push(conn.closed);
    await conn.request();
    conn.socket.end('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok');
  });
  route([up.port]);
  const c = await client(t);
  await c.send(get('/'));
  assert.equal((await c.response()).status, 200);
  // Once the upstream's socket is fully closed the proxy has seen the close of its cached one.
  await closed[0];
  await c.send('POST / HTTP/1.1\r\nHost: h.test\r\nContent-Length: 4\r\n\r\nbody');
  const r = await c.response();
  assert.equal(r.status, 200);
  assert.equal(up.connections, 2);
});

test('a cached connection the upstream drops as the next request arrives: retried, not 502', T, async (t) => {
  const up = await rawUpstream(t, async (conn, index) => {
    await conn.request();
    conn.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\nConnection: keep-alive\r\n\r\n${index}`);
    // The second request on the first connection meets a close (as a server whose idle timeout just fired).
    if (index === 0) {
      await conn.head();
      conn.socket.destroy();
      return;
    }
    await conn.request();
    conn.socket.write(`HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\n${index}`);
  });
  route([up.port]);
  const c = await client(t);
  const bodies: string[] = [];
  for (let i = 0; i < 3; i++) {
    await c.send(get('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    bodies.push(r.body.toString());
  }
  assert.deepEqual(bodies, ['0', '1', '1']);
  assert.equal(up.connections, 2);
});

test('an upstream that sends a broken head: 502 from nginx', T, async (t) => {
  const heads = [
    'HTTP/1.1 200 OK\r\nX-Bad: a\u0000b\r\nContent-Length: 0\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: v\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nxx',
    `HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(40_000)}\r\n\r\n`,
  ];
  let n = 0;
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    conn.socket.write(heads[n++]!);
  });
  route([up.port]);
  for (let i = 0; i < heads.length; i++) {
    const c = await client(t);
    await c.send(get('/'));
    const r = await c.response();
    assert.equal(r.status, 502, `for ${JSON.stringify(heads[i]!.slice(0, 40))}`);
    assert.equal(r.headers.server, 'nginx');
    assert.match(r.body.toString(), /502 Bad Gateway/);
  }
  assert.equal(up.connections, heads.length);
});

test('an upstream that dies mid-body: the client connection is cut, not ended as if complete', T, async (t) => {
  let reset!: () => void;
  const resetNow = new Promise<void>((r) => (reset = r));
  const answers: ((s: import('node:net').Socket) => Promise<void> | void)[] = [
    (s) => void s.end('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n0123456789'),
    (s) => void s.end('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\na\r\n0123456789\r\n'),
    async (s) => {
      // Close-delimited: the upstream's FIN would be the end; a reset is an error, and nginx cuts.
      s.write('HTTP/1.0 200 OK\r\n\r\n0123456789');
      await resetNow;
      s.resetAndDestroy();
    },
  ];
  let n = 0;
  const up = await rawUpstream(t, async (conn) => {
    await conn.request();
    await answers[n++]!(conn.socket);
  });
  route([up.port]);
  for (let i = 0; i < answers.length; i++) {
    const c = await client(t);
    await c.send(get('/'));
    if (i === 2) {
      await c.sees('0123456789');
      reset();
    }
    await assert.rejects(c.response(), /connection ended while waiting/, `answer ${i}`);
    assert.ok(c.ended);
  }
  assert.equal(up.connections, 3);
});

test('a client that disconnects makes the proxy drop the upstream connection', T, async (t) => {
  const upstreamSockets: SocketReader[] = [];
  const gotRequest: (() => void)[] = [];
  const up = await rawUpstream(t, async (conn, index) => {
    upstreamSockets.push(conn);
    await conn.request();
    // The first answers part of its body and stalls; the second never answers.
    if (index === 0) conn.socket.write('HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789');
    gotRequest[index]?.();
  });
  route([up.port]);
  const midBody = await client(t);
  await midBody.send(get('/'));
  await midBody.head();
  await midBody.sees('0123456789');
  midBody.socket.destroy();
  await upstreamSockets[0]!.closed;

  const waiting = await client(t);
  const requested = new Promise<void>((r) => (gotRequest[1] = r));
  await waiting.send(get('/'));
  await requested;
  waiting.socket.destroy();
  await upstreamSockets[1]!.closed;
  assert.equal(up.open.size, 0);
});

// 6. Bad client input

for (const [name, input, status, page] of [
  ['a garbage request line', 'GARBAGE\r\n\r\n', 400, /400 Bad Request/],
  ['a control byte in the request line', 'GET /\u0001 HTTP/1.1\r\nHost: h.test\r\n\r\n', 400, /400 Bad Request/],
  ['a head over 32 KiB', `GET / HTTP/1.1\r\nHost: h.test\r\nX-Big: ${'a'.repeat(33 * 1024)}\r\n\r\n`, 400, /Request Header Or Cookie Too Large/],
  ['many headers together over 32 KiB', `GET / HTTP/1.1\r\nHost: h.test\r\n${Array.from({ length: 100 }, (_, i) => `X-H${i}: ${'v'.repeat(400)}\r\n`).join('')}\r\n`, 400, /Request Header Or Cookie Too Large/],
  ['both Content-Length and Transfer-Encoding', 'POST / HTTP/1.1\r\nHost: h.test\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n', 400, /400 Bad Request/],
] as const) {
  test(`${name}: ${status} from nginx, then the connection closes`, T, async (t) => {
    const be = await backend(t, 'bad');
    route([be.port]);
    const c = await client(t);
    await c.send(input);
    const r = await c.response();
    assert.equal(r.status, status);
    assert.equal(r.headers.server, 'nginx');
    assert.equal(r.headers.connection, 'close');
    assert.match(r.body.toString(), page);
    assert.equal((await c.rest()).length, 0);
    assert.equal(be.connections, 0);
  });
}

test('a bad request after a good one on the same connection: the first is answered, then 400', T, async (t) => {
  const be = await backend(t, 'good-bad');
  route([be.port]);
  const c = await client(t);
  // What a TLS client sends to the plain port.
  await c.send(Buffer.concat([Buffer.from(get('/ok')), Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, 0x0d, 0x0a, 0x0d, 0x0a])]));
  assert.equal((await c.response()).status, 200);
  const r = await c.response();
  assert.equal(r.status, 400);
  assert.equal(r.headers.server, 'nginx');
  await c.rest();
  assert.ok(c.ended);
});

// 7. Upgrades

test('an accepted upgrade relays both ways, including bytes sent right after either head', T, async (t) => {
  const heads: RawRequest[] = [];
  const up = await rawUpstream(t, async (conn) => {
    const head = await conn.head();
    heads.push({ ...head, method: '', target: '', body: Buffer.alloc(0) });
    conn.socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\nwelcome;');
    await conn.sees('early;');
    conn.socket.write('got-early;');
    await conn.sees('ping;');
    conn.socket.write('pong;');
  });
  route([up.port]);
  const c = await client(t);
  await c.send('GET /ws HTTP/1.1\r\nHost: h.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\nearly;');
  const r = await c.head();
  assert.match(r.line, /^HTTP\/1\.1 101 /);
  assert.equal(r.headers.upgrade, 'websocket');
  await c.sees('welcome;got-early;');
  await c.send('ping;');
  await c.sees('pong;');
  assert.equal(heads[0]!.headers.upgrade, 'websocket');
  assert.match(heads[0]!.headers.connection ?? '', /upgrade/i);
  assert.match(heads[0]!.line, /^GET \/ws HTTP\/1\.1$/);
});

async function refusedUpgrades(t: TestContext, closeAfter: boolean): Promise<void> {
  const answers = ['HTTP/1.1 404 Not Found\r\nContent-Length: 4\r\n\r\nnope', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: keep-alive\r\n\r\nplain'];
  let n = 0;
  const up = await rawUpstream(t, async (conn) => {
    await conn.head();
    if (closeAfter) conn.socket.end(answers[n++]!);
    else conn.socket.write(answers[n++]!);
  });
  route([up.port]);
  for (const [status, body] of [
    [404, 'nope'],
    [200, 'plain'],
  ] as const) {
    const c = await client(t);
    await c.send('GET /ws HTTP/1.1\r\nHost: h.test\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    const r = await c.response();
    assert.equal(r.status, status);
    assert.equal(r.headers.server, 'nginx');
    assert.equal(r.headers.connection, 'close');
    assert.equal(r.body.toString(), body);
    await c.rest();
    assert.ok(c.ended);
  }
}

test('a refused upgrade (404, 200) is relayed and the connection closes', T, (t) => refusedUpgrades(t, true));

test('a refused upgrade from a keep-alive upstream: the proxy closes after the framed response', T, (t) => refusedUpgrades(t, false));
