import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { escapeValue, remoteUser, timeLocal, upstreamInfoLine, type IngressAccessRecord } from '../../../../src/addons/ingress/access-log.js';
import { deadPort, request, simpleTable, startBackend, startHarness, upgrade, type Backend, type Harness } from './harness.js';

// ingress-nginx's default log-format-upstream, field by field:
// $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
// "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
// [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
// $upstream_response_time $upstream_status $req_id
const LINE =
  /^(\S+) - (\S+) \[(\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000)\] "([^"]*)" (\d{3}) (\d+) "([^"]*)" "([^"]*)" (\d+) (\d+\.\d{3}) \[([^\]]*)\] \[([^\]]*)\] ((?:\S+, )*\S+) ((?:\S+, )*\S+) ((?:\S+, )*\S+) ((?:\S+, )*\S+) (\S+)\n$/;

function fields(line: string) {
  const m = LINE.exec(line);
  assert.ok(m, `an upstreaminfo line: ${JSON.stringify(line)}`);
  const [, remoteAddr, user, time, requestLine, status, bodyBytes, referer, userAgent, requestLength, requestTime, upstream, alternative, addr, length, upTime, upStatus, reqId] = m;
  return { remoteAddr, user, time, requestLine, status: Number(status), bodyBytes: Number(bodyBytes), referer, userAgent, requestLength: Number(requestLength), requestTime, upstream, alternative, addr, length, upTime, upStatus, reqId };
}

test('$time_local is the Common Log Format time, in UTC', () => {
  assert.equal(timeLocal(Date.UTC(2026, 11, 6, 0, 41, 46, 999)), '06/Dec/2026:00:41:46 +0000');
  assert.equal(timeLocal(Date.UTC(2027, 0, 1, 9, 5, 3)), '01/Jan/2027:09:05:03 +0000');
});

test('client text is escaped as nginx escapes it, and Basic credentials give $remote_user', () => {
  assert.equal(escapeValue('curl/8.0'), 'curl/8.0');
  assert.equal(escapeValue('a"b\\c\x01\x7f\xe9'), 'a\\x22b\\x5Cc\\x01\\x7F\\xE9');
  assert.equal(remoteUser(`Basic ${Buffer.from('alice:secret').toString('base64')}`), 'alice');
  assert.equal(remoteUser(`basic ${Buffer.from('bob:').toString('base64')}`), 'bob');
  assert.equal(remoteUser('Bearer x.y.z'), undefined);
  assert.equal(remoteUser(undefined), undefined);
});

test('each endpoint tried adds its address, length, time and status, as nginx joins them', () => {
  const rec: IngressAccessRecord = {
    remoteAddr: '10.244.0.1', authorization: undefined, start: Date.UTC(2026, 11, 6, 1, 2, 3), method: 'GET', target: '/a', minor: 1,
    status: 200, bodyBytesSent: 5, referer: undefined, userAgent: 'curl/8.0', requestLength: 70, upstreamName: 'default-web-80',
    alternativeUpstreamName: '', requestId: 'abc',
    tries: [
      { addr: '10.244.1.5:80', status: 502, responseLength: 0, timeMs: 1 },
      { addr: '10.244.1.6:80', status: 200, responseLength: 5, timeMs: 12 },
    ],
  };
  assert.equal(
    upstreamInfoLine(rec, rec.start + 15),
    '10.244.0.1 - - [06/Dec/2026:01:02:03 +0000] "GET /a HTTP/1.1" 200 5 "-" "curl/8.0" 70 0.015 [default-web-80] [] ' +
      '10.244.1.5:80, 10.244.1.6:80 0, 5 0.001, 0.012 502, 200 abc\n',
  );
});

let backend: Backend;
let h: Harness;
const lines: string[] = [];

before(async () => {
  backend = await startBackend('a');
  h = await startHarness(simpleTable([backend.port]), [], (line) => lines.push(line));
});

after(async () => {
  await h.close();
  await backend.close();
});

async function logged(send: () => Promise<unknown>): Promise<ReturnType<typeof fields>[]> {
  lines.length = 0;
  await send();
  // The line is written when the request is over, which for the client is when its response ended.
  await new Promise((r) => setImmediate(r));
  return lines.map(fields);
}

test('a proxied request is logged with its upstream, endpoint, sizes and request id', async () => {
  h.setTable(simpleTable([backend.port]));
  let reply!: Awaited<ReturnType<typeof request>>;
  const [f, ...more] = await logged(async () => {
    reply = await request(h.listeners.httpPort, {
      host: 'h.test',
      path: '/x?y=1',
      headers: { 'user-agent': 'probe/1', referer: 'http://r/', 'x-request-id': 'req-1', authorization: `Basic ${Buffer.from('alice:pw').toString('base64')}` },
    });
  });
  assert.equal(more.length, 0);
  assert.equal(reply.status, 200);
  assert.equal(f!.remoteAddr, '127.0.0.1');
  assert.equal(f!.user, 'alice');
  assert.equal(f!.requestLine, 'GET /x?y=1 HTTP/1.1');
  assert.equal(f!.status, 200);
  // The backend's body is chunked: nginx counts the framing it sends on as body bytes too.
  const body = Buffer.byteLength(reply.body);
  assert.ok(f!.bodyBytes >= body && f!.bodyBytes <= body + 16, `${f!.bodyBytes} bytes for a body of ${body}`);
  assert.equal(f!.referer, 'http://r/');
  assert.equal(f!.userAgent, 'probe/1');
  assert.ok(f!.requestLength > 'GET /x?y=1 HTTP/1.1\r\n'.length);
  assert.equal(f!.upstream, 'default-web-80');
  assert.equal(f!.alternative, '');
  assert.equal(f!.addr, `127.0.0.1:${backend.port}`);
  assert.equal(f!.length, String(f!.bodyBytes));
  assert.match(f!.upTime, /^\d+\.\d{3}$/);
  assert.equal(f!.upStatus, '200');
  assert.equal(f!.reqId, 'req-1');
});

test('without X-Request-ID the logged id is the one sent upstream', async () => {
  h.setTable(simpleTable([backend.port]));
  let sent = '';
  const [f] = await logged(async () => {
    const r = await request(h.listeners.httpPort, { host: 'h.test' });
    sent = (JSON.parse(r.body) as { headers: Record<string, string> }).headers['x-request-id']!;
  });
  assert.match(sent, /^[0-9a-f]{32}$/);
  assert.equal(f!.reqId, sent);
});

test('a refused endpoint is logged as nginx logs its failed tries', async () => {
  const dead = await deadPort();
  h.setTable(simpleTable([dead, backend.port]));
  // Round robin may start with either endpoint: ask until a request met the dead one first.
  for (let i = 0; i < 4; i++) {
    const [f] = await logged(() => request(h.listeners.httpPort, { host: 'h.test' }));
    assert.equal(f!.status, 200);
    if (f!.addr.includes(',')) {
      assert.equal(f!.addr, `127.0.0.1:${dead}, 127.0.0.1:${backend.port}`);
      assert.equal(f!.upStatus, '502, 200');
      return;
    }
  }
  assert.fail('no request tried the dead endpoint first');
});

test('answers of the ingress itself are logged under the location, and the default backend is not logged', async () => {
  h.setTable(simpleTable([backend.port], { annotations: { 'nginx.ingress.kubernetes.io/permanent-redirect': 'https://example.test/' } }));
  const [redirect] = await logged(() => request(h.listeners.httpPort, { host: 'h.test' }));
  assert.equal(redirect!.status, 301);
  assert.equal(redirect!.upstream, 'default-web-80');
  assert.equal(redirect!.addr, '-');
  assert.equal(redirect!.upStatus, '-');
  assert.match(redirect!.reqId, /^[0-9a-f]{32}$/);

  h.setTable(simpleTable([backend.port]));
  const unknownHost = await logged(() => request(h.listeners.httpPort, { host: 'nobody.test' }));
  assert.deepEqual(unknownHost, [], 'enable-access-log-for-default-backend is off by default');
});

test('enable-access-log: "false" turns the location\'s log off', async () => {
  h.setTable(simpleTable([backend.port], { annotations: { 'nginx.ingress.kubernetes.io/enable-access-log': 'false' } }));
  const none = await logged(() => request(h.listeners.httpPort, { host: 'h.test' }));
  assert.deepEqual(none, []);
});

test('an upgraded connection is logged when it closes, with status 101 and the bytes relayed', async () => {
  const ws = await startBackend('ws');
  ws.server.on('upgrade', (_req, socket) => {
    socket.write('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n');
    socket.on('data', (d: Buffer) => socket.write(`echo:${d.toString()}`));
    socket.on('end', () => socket.destroy());
  });
  try {
    h.setTable(simpleTable([ws.port]));
    lines.length = 0;
    const { socket } = await upgrade(h.listeners.httpPort, 'h.test');
    socket.write('ping');
    await once(socket, 'data');
    assert.deepEqual(lines, [], 'nothing is logged while the connection is open');
    socket.end();
    await once(socket, 'close');
    const f = await waitForLine();
    assert.equal(f.status, 101);
    assert.equal(f.bodyBytes, 'echo:ping'.length);
    assert.equal(f.addr, `127.0.0.1:${ws.port}`);
    assert.equal(f.upStatus, '101');
  } finally {
    await ws.close();
  }
});

async function waitForLine(): Promise<ReturnType<typeof fields>> {
  while (lines.length === 0) await new Promise((r) => setImmediate(r));
  return fields(lines[0]!);
}
