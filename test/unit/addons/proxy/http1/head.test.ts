import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parseRequestHead, parseResponseHead, type HeadResult, type RequestHead, type ResponseHead,
} from '../../../../../src/addons/proxy/http1/head.js';

const MAX = 8192;

function req(text: string, max = MAX): HeadResult<RequestHead> {
  return parseRequestHead(Buffer.from(text, 'latin1'), max);
}
function okReq(text: string): RequestHead {
  const r = req(text);
  assert.ok(r.ok, `expected ${JSON.stringify(text)} to parse, got ${JSON.stringify(r)}`);
  assert.equal(r.size, Buffer.byteLength(text, 'latin1'));
  return r.head;
}
function rejected(r: HeadResult<unknown>, status: number, what: string): void {
  assert.ok(!r.ok && !r.incomplete, `${what}: expected rejection ${status}, got ${JSON.stringify(r)}`);
  assert.equal(r.status, status, `${what}: ${r.reason}`);
}
function res(text: string, method = 'GET', max = MAX): HeadResult<ResponseHead> {
  return parseResponseHead(Buffer.from(text, 'latin1'), max, method);
}
function okRes(text: string, method = 'GET'): ResponseHead {
  const r = res(text, method);
  assert.ok(r.ok, `expected ${JSON.stringify(text)} to parse, got ${JSON.stringify(r)}`);
  assert.equal(r.size, Buffer.byteLength(text, 'latin1'));
  return r.head;
}

test('a typical request head', () => {
  const h = okReq('GET /a/b?c=d HTTP/1.1\r\nHost: example.com\r\nUser-Agent:  curl/8 \t\r\nAccept: */*\r\nX-Empty:\r\n\r\n');
  assert.equal(h.method, 'GET');
  assert.equal(h.target, '/a/b?c=d');
  assert.equal(h.minor, 1);
  assert.deepEqual(h.rawHeaders, ['Host', 'example.com', 'User-Agent', 'curl/8', 'Accept', '*/*', 'X-Empty', '']);
  assert.deepEqual({ ...h.headers }, { host: 'example.com', 'user-agent': 'curl/8', accept: '*/*', 'x-empty': '' });
  assert.deepEqual(h.body, { kind: 'none' });
  assert.equal(h.keepAlive, true);
  assert.equal(h.upgrade, false);
  assert.equal(h.expectContinue, false);
});

test('repeated fields are joined like node, cookies with "; ", first-wins fields keep the first', () => {
  const h = okReq('GET / HTTP/1.1\r\nHost: h\r\nAccept: a\r\naccept: b\r\nCookie: x=1\r\nCookie: y=2\r\n' +
    'Authorization: one\r\nAuthorization: two\r\n\r\n');
  assert.equal(h.headers.accept, 'a, b');
  assert.equal(h.headers.cookie, 'x=1; y=2');
  assert.equal(h.headers.authorization, 'one');
  assert.deepEqual(h.rawHeaders.filter((_, i) => i % 2 === 0), ['Host', 'Accept', 'accept', 'Cookie', 'Cookie', 'Authorization', 'Authorization']);
});

test('the headers record has no prototype: any field name is just a field', () => {
  const h = okReq('GET / HTTP/1.1\r\nHost: h\r\n__proto__: x\r\nConstructor: y\r\n\r\n');
  assert.equal(h.headers['__proto__'], 'x');
  assert.equal(h.headers['constructor'], 'y');
  assert.equal(h.headers['toString'], undefined);
  assert.deepEqual(Object.keys(h.headers), ['host', '__proto__', 'constructor']);
});

test('method case is kept; leading empty lines and bare LF are accepted and counted', () => {
  const text = '\r\n\n\r\nPROPFIND /x HTTP/1.1\nHost: h\n\n';
  const h = okReq(text);
  assert.equal(h.method, 'PROPFIND');
  assert.equal(okReq('get / HTTP/1.1\r\nHost: h\r\n\r\n').method, 'get');
});

test('body framing of requests', () => {
  assert.deepEqual(okReq('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 12\r\n\r\n').body, { kind: 'length', length: 12 });
  assert.deepEqual(okReq('POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n').body, { kind: 'length', length: 5 });
  assert.deepEqual(okReq('POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: Chunked\r\n\r\n').body, { kind: 'chunked' });
  assert.deepEqual(okReq('POST / HTTP/1.1\r\nHost: h\r\n\r\n').body, { kind: 'none' });
});

test('keep-alive, upgrade and expect', () => {
  assert.equal(okReq('GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, Close\r\n\r\n').keepAlive, false);
  assert.equal(okReq('GET / HTTP/1.0\r\n\r\n').keepAlive, false);
  assert.equal(okReq('GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n').keepAlive, true);
  const up = okReq('GET /ws HTTP/1.1\r\nHost: h\r\nConnection: keep-alive, Upgrade\r\nUpgrade: websocket\r\n\r\n');
  assert.equal(up.upgrade, true);
  assert.equal(okReq('GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\n').upgrade, false);
  assert.equal(okReq('GET /ws HTTP/1.0\r\nConnection: upgrade\r\nUpgrade: websocket\r\n\r\n').upgrade, false);
  assert.equal(okReq('PUT / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nExpect: 100-Continue\r\n\r\n').expectContinue, true);
  assert.equal(okReq('PUT / HTTP/1.0\r\nContent-Length: 1\r\nExpect: 100-continue\r\n\r\n').expectContinue, false);
});

test('request-target forms', () => {
  assert.equal(okReq('GET http://example.com:8080/p?q HTTP/1.1\r\nHost: example.com\r\n\r\n').target, 'http://example.com:8080/p?q');
  assert.equal(okReq('GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n').target, 'HTTPS://example.com');
  assert.equal(okReq('OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n').target, '*');
  assert.equal(okReq('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n').target, 'example.com:443');
  assert.equal(okReq('GET /caf\xe9 HTTP/1.1\r\nHost: h\r\n\r\n').target, '/caf\xe9');
});

test('rejections of the request line', () => {
  const cases: [string, number][] = [
    ['G(T / HTTP/1.1\r\nHost: h\r\n\r\n', 400], // not a token
    [' GET / HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET\t/ HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET a/b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET * HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['OPTIONS *x HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET example.com:80 HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['CONNECT /x HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['CONNECT example.com HTTP/1.1\r\nHost: h\r\n\r\n', 400], // port required
    ['GET ftp://h/ HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET http:///x HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET http://u@h/x HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET /a\x01b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET /a\x7fb HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET /a b HTTP/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET / HTTP/1.1 x\r\nHost: h\r\n\r\n', 400],
    ['GET / http/1.1\r\nHost: h\r\n\r\n', 400],
    ['GET / HTTP/1\r\nHost: h\r\n\r\n', 400],
    ['GET / HTTP/1.1\rHost: h\r\n\r\n', 400],
    ['GET / HTTP/2.0\r\nHost: h\r\n\r\n', 505],
    ['GET / HTTP/1.2\r\nHost: h\r\n\r\n', 505],
    ['GET / HTTP/0.9\r\nHost: h\r\n\r\n', 505],
    ['GET /\r\n\r\n', 505],
  ];
  for (const [text, status] of cases) rejected(req(text), status, JSON.stringify(text));
});

test('rejections of header fields', () => {
  const h11 = 'GET / HTTP/1.1\r\nHost: h\r\n';
  const cases: [string, number][] = [
    [h11 + 'Bad Name: x\r\n\r\n', 400],
    [h11 + 'X-A : x\r\n\r\n', 400], // whitespace before ':'
    [h11 + 'X-A\t: x\r\n\r\n', 400],
    [h11 + ': x\r\n\r\n', 400],
    [h11 + 'NoColon\r\n\r\n', 400],
    [h11 + 'X-A: a\r\n continued\r\n\r\n', 400], // obs-fold
    [h11 + 'X-A: a\r\n\tcontinued\r\n\r\n', 400],
    [h11 + 'X-A: a\x00b\r\n\r\n', 400],
    [h11 + 'X-A: a\x1bb\r\n\r\n', 400],
    [h11 + 'X-A: a\x7fb\r\n\r\n', 400],
    [h11 + 'X-A: a\rb\r\n\r\n', 400],
    [h11 + 'Content-Length: 1x\r\n\r\n', 400],
    [h11 + 'Content-Length: -1\r\n\r\n', 400],
    [h11 + 'Content-Length: +1\r\n\r\n', 400],
    [h11 + 'Content-Length:\r\n\r\n', 400],
    [h11 + 'Content-Length: 1, 1\r\n\r\n', 400],
    [h11 + 'Content-Length: 99999999999999999\r\n\r\n', 400],
    [h11 + 'Content-Length: 1\r\nContent-Length: 2\r\n\r\n', 400],
    [h11 + 'Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    [h11 + 'Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n', 400],
    [h11 + 'Transfer-Encoding: gzip, chunked\r\n\r\n', 501],
    [h11 + 'Transfer-Encoding: identity\r\n\r\n', 501],
    [h11 + 'Transfer-Encoding: chunked, gzip\r\n\r\n', 501],
    [h11 + 'Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\n\r\n', 400], // no Host
    ['GET http://h/ HTTP/1.1\r\n\r\n', 400],
    [h11 + 'host: h2\r\n\r\n', 400], // duplicate Host
    ['GET / HTTP/1.1\r\nHost: a/b\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost: a..b\r\n\r\n', 400],
    ['GET / HTTP/1.1\r\nHost:\r\n\r\n', 400],
  ];
  for (const [text, status] of cases) rejected(req(text), status, JSON.stringify(text));
  // HTTP/1.0 needs no Host.
  assert.equal(okReq('GET / HTTP/1.0\r\n\r\n').minor, 0);
});

test('size limits: 414 for a long request line, 400 (header too large) for long headers', () => {
  const longLine = 'GET /' + 'a'.repeat(200) + ' HTTP/1.1\r\nHost: h\r\n\r\n';
  rejected(req(longLine, 100), 414, 'long line complete');
  rejected(req(longLine.slice(0, 150), 100), 414, 'long line incomplete');
  const longHeaders = 'GET / HTTP/1.1\r\nHost: h\r\nX-A: ' + 'b'.repeat(200) + '\r\n\r\n';
  const r = req(longHeaders, 100);
  rejected(r, 400, 'long headers');
  assert.ok(!r.ok && !r.incomplete && r.headerTooLarge === true);
  rejected(req(longHeaders.slice(0, 120), 100), 400, 'long headers incomplete');
  // Exactly at the limit is fine; under the limit and unfinished is incomplete.
  const exact = 'GET / HTTP/1.1\r\nHost: h\r\n\r\n';
  assert.ok(req(exact, exact.length).ok);
  assert.deepEqual(req(exact.slice(0, -1), exact.length), { ok: false, incomplete: true });
  rejected(req(exact, exact.length - 1), 400, 'one byte over');
  rejected(req('\r\n'.repeat(60), 100), 400, 'endless empty lines');
});

test('pipelined requests: size finds the next one', () => {
  const a = 'GET /1 HTTP/1.1\r\nHost: h\r\n\r\n';
  const b = '\r\nPOST /2 HTTP/1.1\nHost: h\nContent-Length: 3\n\n';
  const c = 'GET /3 HTTP/1.1\r\nHost: h\r\n\r\n';
  let buf = Buffer.from(a + b + 'xyz' + c, 'latin1');
  const targets: string[] = [];
  for (;;) {
    const r = parseRequestHead(buf, MAX);
    if (!r.ok) {
      assert.ok(r.incomplete);
      break;
    }
    targets.push(r.head.target);
    let next = r.size;
    if (r.head.body.kind === 'length') next += r.head.body.length;
    buf = buf.subarray(next);
  }
  assert.deepEqual(targets, ['/1', '/2', '/3']);
  assert.equal(buf.length, 0);
});

test('request split at every byte is incomplete until the last byte', () => {
  const text = '\r\nPOST /upload?x=1 HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\nX-Lf: y\n\r\nBODY';
  const headLen = text.length - 4;
  const full = Buffer.from(text, 'latin1');
  for (let k = 0; k < headLen; k++) {
    assert.deepEqual(parseRequestHead(full.subarray(0, k), MAX), { ok: false, incomplete: true }, `prefix ${k}`);
  }
  for (let k = headLen; k <= full.length; k++) {
    const r = parseRequestHead(full.subarray(0, k), MAX);
    assert.ok(r.ok, `prefix ${k}`);
    assert.equal(r.size, headLen);
    assert.equal(r.head.headers['x-lf'], 'y');
  }
});

test('response heads: status, reason, framing', () => {
  const h = okRes('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\n');
  assert.equal(h.status, 200);
  assert.equal(h.reason, 'OK');
  assert.equal(h.minor, 1);
  assert.deepEqual(h.rawHeaders, ['Content-Type', 'text/plain', 'Content-Length', '5']);
  assert.deepEqual(h.body, { kind: 'length', length: 5 });
  assert.equal(h.keepAlive, true);

  const noReason = okRes('HTTP/1.1 404\r\nContent-Length: 0\r\n\r\n');
  assert.equal(noReason.status, 404);
  assert.equal(noReason.reason, '');
  assert.equal(okRes('HTTP/1.1 503 Service  Unavailable \r\n\r\n').reason, 'Service  Unavailable');
  assert.equal(okRes('HTTP/1.1 200 \nContent-Length: 0\n\n').reason, '');

  assert.deepEqual(okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n').body, { kind: 'chunked' });
  assert.deepEqual(okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n').body, { kind: 'chunked' });
  const gz = okRes('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n');
  assert.deepEqual(gz.body, { kind: 'close' });
  assert.equal(gz.keepAlive, false);
  const close = okRes('HTTP/1.1 200 OK\r\n\r\n');
  assert.deepEqual(close.body, { kind: 'close' });
  assert.equal(close.keepAlive, false);

  for (const [text, method] of [
    ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n', 'HEAD'],
    ['HTTP/1.1 100 Continue\r\n\r\n', 'POST'],
    ['HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n', 'GET'],
    ['HTTP/1.1 204 No Content\r\n\r\n', 'GET'],
    ['HTTP/1.1 304 Not Modified\r\nContent-Length: 7\r\n\r\n', 'GET'],
    ['HTTP/1.1 200 Connection established\r\n\r\n', 'CONNECT'],
  ] as const) {
    const r = okRes(text, method);
    assert.deepEqual(r.body, { kind: 'none' }, text);
    assert.equal(r.keepAlive, true, text);
  }
  assert.equal(okRes('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n').keepAlive, false);
});

test('response keep-alive', () => {
  assert.equal(okRes('HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n').keepAlive, false);
  assert.equal(okRes('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').keepAlive, false);
  const ka = okRes('HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n');
  assert.equal(ka.keepAlive, true);
  assert.equal(ka.minor, 0);
  assert.equal(okRes('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n').keepAlive, false);
  assert.equal(okRes('HTTP/1.2 200 OK\r\nContent-Length: 0\r\n\r\n').minor, 1);
});

test('response rejections answer 502', () => {
  const cases = [
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n',
    'HTTP/1.1 099 Odd\r\n\r\n',
    'HTTP/1.1 600 Odd\r\n\r\n',
    'HTTP/1.1 20 OK\r\n\r\n',
    'HTTP/1.1 2000 OK\r\n\r\n',
    'HTTP/2.0 200 OK\r\n\r\n',
    'ICY 200 OK\r\n\r\n',
    'HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n',
    'HTTP/1.1 200 OK\r\nX: a\x00\r\n\r\n',
  ];
  for (const text of cases) rejected(res(text), 502, JSON.stringify(text));
  rejected(res('HTTP/1.1 200 OK\r\nX: ' + 'y'.repeat(200) + '\r\n\r\n', 'GET', 100), 502, 'too big');
  rejected(res('HTTP/1.1 200 OK\r\nX: ' + 'y'.repeat(200), 'GET', 100), 502, 'too big, unfinished');
});

test('response split at every byte is incomplete until the last byte', () => {
  const text = 'HTTP/1.1 200 OK\r\nContent-Type: text/html\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n';
  const headLen = text.indexOf('5\r\nhello');
  const full = Buffer.from(text, 'latin1');
  for (let k = 0; k < headLen; k++) {
    assert.deepEqual(parseResponseHead(full.subarray(0, k), MAX, 'GET'), { ok: false, incomplete: true }, `prefix ${k}`);
  }
  for (let k = headLen; k <= full.length; k++) {
    const r = parseResponseHead(full.subarray(0, k), MAX, 'GET');
    assert.ok(r.ok, `prefix ${k}`);
    assert.equal(r.size, headLen);
    assert.deepEqual(r.head.body, { kind: 'chunked' });
  }
});
