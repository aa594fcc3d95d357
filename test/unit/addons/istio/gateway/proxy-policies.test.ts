import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { test } from 'node:test';
import type { Cluster, ProxyConfig, Route, TcpRoute } from '../../../../../src/addons/istio/config/types.js';
import { GatewayListeners } from '../../../../../src/addons/istio/gateway/listeners.js';
import { GatewayProxy } from '../../../../../src/addons/istio/gateway/proxy.js';
import { issue } from './certificates.js';
import { freePort, until } from './loopback.js';

// The gateway's request path with DestinationRule and route policies, against backends on
// loopback: the circuit breakers, outlier ejection, mirroring and CORS as a client sees them.

interface Held {
  req: http.IncomingMessage;
  res: http.ServerResponse;
}

/** A backend that holds each request until the test answers it. */
async function heldBackend(t: { after(f: () => void): void }): Promise<{ port: number; held: Held[]; arrived(n: number): Promise<void> }> {
  const held: Held[] = [];
  const waiters: { n: number; resolve: () => void }[] = [];
  const srv = http.createServer((req, res) => {
    held.push({ req, res });
    for (const w of waiters.filter((x) => held.length >= x.n)) w.resolve();
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return {
    port: (srv.address() as net.AddressInfo).port,
    held,
    arrived: (n) => (held.length >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

/** A backend answering every request with `status` and `text`, recording the Host headers it saw. */
async function answering(t: { after(f: () => void): void }, status: number, text: string): Promise<{ port: number; hosts: string[] }> {
  const hosts: string[] = [];
  const srv = http.createServer((req, res) => {
    hosts.push(req.headers.host ?? '');
    req.resume();
    res.writeHead(status, { 'content-type': 'text/plain' }).end(text);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return { port: (srv.address() as net.AddressInfo).port, hosts };
}

const ep = (port: number) => ({ address: '127.0.0.1', port, key: `127.0.0.1:${port}` });
const NO_RETRY = { attempts: 0, retryOn: [], statusCodes: [] };

async function gateway(
  t: { after(f: () => Promise<void> | void): void },
  clusters: Record<string, Cluster>,
  route: Omit<Route, 'name' | 'matches'> & Partial<Pick<Route, 'name' | 'matches'>>,
  opts: { accessLog?: (line: string) => void; acceptHttp10?: boolean } = {},
): Promise<number> {
  const port = await freePort();
  const config: ProxyConfig = { version: '1', listeners: [{ port, serverPort: 80, protocol: 'HTTP', virtualHosts: [{ domains: ['*'], routes: [{ name: '', matches: [], ...route }] }] }], clusters, secrets: {} };
  const proxy = new GatewayProxy(opts.accessLog ?? (() => undefined), opts.acceptHttp10);
  const listeners = new GatewayListeners(proxy, () => undefined, '127.0.0.1');
  proxy.update(config);
  await listeners.apply(config);
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  return port;
}

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

function send(port: number, opts: { method?: string; headers?: Record<string, string>; path?: string; host?: string } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: opts.host ?? '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path ?? '/', headers: { host: 'app.test', ...opts.headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('latin1');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('circuit breaking: with maxConnections 1 and one pending request, four of six concurrent requests overflow; the pending one is served after the first', async (t) => {
  const b = await heldBackend(t);
  const port = await gateway(t, { c: { endpoints: [ep(b.port)], lb: 'ROUND_ROBIN', pool: { maxConnections: 1, maxPendingRequests: 1, maxRequestsPerConnection: 1 } } }, {
    action: { kind: 'route', clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY },
  });
  const first = send(port);
  await b.arrived(1);
  const rest = Array.from({ length: 5 }, () => send(port));
  // The second waits for the connection; the other four are refused at once.
  const settled: Answer[] = [];
  await new Promise<void>((resolve) => {
    for (const p of rest)
      void p.then((a) => {
        settled.push(a);
        if (settled.length === 4) resolve();
      });
  });
  for (const a of settled) {
    assert.equal(a.status, 503);
    assert.equal(a.headers['x-envoy-overloaded'], 'true');
    assert.equal(a.body, 'upstream connect error or disconnect/reset before headers. reset reason: overflow');
  }
  assert.equal(b.held.length, 1);
  b.held[0]!.res.end('one');
  assert.equal((await first).body, 'one');
  await b.arrived(2);
  b.held[1]!.res.end('two');
  const answers = await Promise.all(rest);
  assert.deepEqual(answers.map((a) => a.status).sort(), [200, 503, 503, 503, 503]);
  assert.equal(answers.find((a) => a.status === 200)!.body, 'two');
});

test('outlier detection: a host answering 5xx is ejected, traffic goes to the other; the last one out leaves no healthy upstream', async (t) => {
  const good = await answering(t, 200, 'good');
  const bad = await answering(t, 500, 'bad');
  const outlier = { consecutive5xx: 2, consecutiveGatewayErrors: 0, intervalMs: 10_000, baseEjectionMs: 60_000, maxEjectionPercent: 100, minHealthPercent: 0 };
  const port = await gateway(t, { c: { endpoints: [ep(good.port), ep(bad.port)], lb: 'ROUND_ROBIN', outlier } }, { action: { kind: 'route', clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY } });
  const bodies: string[] = [];
  for (let i = 0; i < 4; i++) bodies.push((await send(port)).body);
  assert.deepEqual(bodies, ['good', 'bad', 'good', 'bad'], 'round robin until the second 500');
  for (let i = 0; i < 6; i++) assert.equal((await send(port)).body, 'good');

  const alone = await gateway(t, { d: { endpoints: [ep(bad.port)], lb: 'ROUND_ROBIN', outlier: { ...outlier, consecutive5xx: 1 } } }, { action: { kind: 'route', clusters: [{ cluster: 'd', weight: 100 }], retry: NO_RETRY } });
  assert.equal((await send(alone)).body, 'bad');
  const none = await send(alone);
  assert.deepEqual([none.status, none.body], [503, 'no healthy upstream']);
});

test('mirroring: the client gets the primary; the mirror gets the copy with -shadow on its Host', async (t) => {
  const primary = await answering(t, 200, 'primary');
  const mirror = await answering(t, 200, 'mirror');
  const port = await gateway(t, { p: { endpoints: [ep(primary.port)], lb: 'ROUND_ROBIN' }, m: { endpoints: [ep(mirror.port)], lb: 'ROUND_ROBIN' } }, {
    action: { kind: 'route', clusters: [{ cluster: 'p', weight: 100 }], retry: NO_RETRY, mirrors: [{ cluster: 'm', percent: 100 }] },
  });
  assert.equal((await send(port, { headers: { host: 'app.test:8080' } })).body, 'primary');
  while (mirror.hosts.length === 0) await new Promise((r) => setImmediate(r));
  assert.deepEqual(mirror.hosts, ['app.test-shadow:8080']);
  assert.deepEqual(primary.hosts, ['app.test:8080']);
});

test('CORS: the preflight answered by the proxy; an actual request and a local reply gain allow-origin', async (t) => {
  const app = await answering(t, 200, 'app');
  const cors = { allowOrigins: [{ exact: 'https://a.test' }], allowMethods: 'GET,POST', maxAge: '60', forwardUnmatchedPreflights: true };
  const port = await gateway(t, { c: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, { cors, action: { kind: 'route', clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY } });
  const pre = await send(port, { method: 'OPTIONS', headers: { origin: 'https://a.test', 'access-control-request-method': 'POST' } });
  assert.deepEqual([pre.status, pre.body, pre.headers['access-control-allow-origin'], pre.headers['access-control-allow-methods'], pre.headers['access-control-max-age']], [200, '', 'https://a.test', 'GET,POST', '60']);
  assert.equal(app.hosts.length, 0, 'the preflight never reached the app');
  const actual = await send(port, { headers: { origin: 'https://a.test' } });
  assert.deepEqual([actual.body, actual.headers['access-control-allow-origin']], ['app', 'https://a.test']);
  const aborted = await gateway(t, {}, { cors, fault: { abort: { status: 418, percent: 100 } }, action: { kind: 'route', clusters: [{ cluster: 'gone', weight: 100 }], retry: NO_RETRY } });
  const local = await send(aborted, { headers: { origin: 'https://a.test' } });
  assert.deepEqual([local.status, local.headers['access-control-allow-origin']], [418, 'https://a.test']);
});

/** What the proxy writes back for one raw request, up to `until` or the connection's close, and whether it closed. */
function exchange(port: number, request: string, until: RegExp): Promise<{ text: string; closed: boolean }> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => socket.write(request));
    let text = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      text += d;
      if (until.test(text)) {
        socket.destroy();
        resolve({ text, closed: false });
      }
    });
    socket.on('end', () => resolve({ text, closed: true }));
    socket.on('error', reject);
  });
}

const DATE = 'date: [A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} GMT\\r\\n';

test("Envoy's own words: lower-case fields in its order, a Connection line only to close; HTTP/1.0 answered 426 unless accepted", async (t) => {
  const app = await answering(t, 200, 'hello');
  const lines: string[] = [];
  const route = { action: { kind: 'route' as const, clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY } };
  const port = await gateway(t, { c: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, route, { accessLog: (l) => lines.push(l) });

  // Proxied, HTTP/1.1 keep-alive: the connection stays open and nothing says so.
  const kept = await exchange(port, 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', /0\r\n\r\n$/);
  assert.equal(kept.closed, false);
  assert.match(kept.text, /^HTTP\/1\.1 200 OK\r\n/);
  assert.match(kept.text, /\r\nx-envoy-upstream-service-time: \d+\r\nserver: istio-envoy\r\ntransfer-encoding: chunked\r\n\r\n/);
  assert.doesNotMatch(kept.text, /connection:/i);

  // A local reply with a body: the reply's fields, its framing and type, then date and server.
  const aborting = await gateway(t, {}, { fault: { abort: { status: 503, percent: 100 } }, action: route.action });
  const abort = await exchange(aborting, 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', /fault filter abort$/);
  assert.match(abort.text, new RegExp(`^HTTP/1\\.1 503 Service Unavailable\\r\\ncontent-length: 18\\r\\ncontent-type: text/plain\\r\\n${DATE}server: istio-envoy\\r\\n\\r\\nfault filter abort$`));

  // HTTP/1.0: 426 with an empty body, the connection closed; to HEAD the framing Envoy's codec would use.
  const old = await exchange(port, 'GET / HTTP/1.0\r\nHost: app.test\r\n\r\n', /$^/);
  assert.equal(old.closed, true);
  assert.match(old.text, new RegExp(`^HTTP/1\\.1 426 Upgrade Required\\r\\n${DATE}server: istio-envoy\\r\\nconnection: close\\r\\ncontent-length: 0\\r\\n\\r\\n$`));
  const head = await exchange(port, 'HEAD / HTTP/1.0\r\nHost: app.test\r\n\r\n', /$^/);
  assert.match(head.text, new RegExp(`^HTTP/1\\.1 426 Upgrade Required\\r\\n${DATE}server: istio-envoy\\r\\nconnection: close\\r\\ntransfer-encoding: chunked\\r\\n\\r\\n$`));
  assert.equal(app.hosts.length, 1, 'no HTTP/1.0 request reached the app');
  assert.match(lines.find((l) => l.includes('HTTP/1.0'))!, /"GET \/ HTTP\/1\.0" 426 - low_version /);

  // The access log's ROUTE_NAME: pilot's route name, '<route>.<match>' for a named match block.
  const named = await gateway(t, { c: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, { ...route, name: 'canary', matches: [{ name: 'by-header', headers: { 'x-canary': { exact: 'yes' } } }, { uri: { prefix: '/' } }] }, { accessLog: (l) => lines.push(l) });
  await send(named, { headers: { 'x-canary': 'yes' } });
  await send(named);
  assert.deepEqual(lines.slice(-2).map((l) => l.trim().split(' ').at(-1)), ['canary.by-header', 'canary']);
  assert.equal(lines[0]!.trim().split(' ').at(-1), '-', 'an unnamed route');

  // Accepted (PILOT_HTTP10 or the proxy's ISTIO_META_HTTP10): proxied, and closed as HTTP/1.0
  // asks; the codec then answers in HTTP/1.0, relayed answers and its own alike.
  const accepting = await gateway(t, { c: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, route, { acceptHttp10: true });
  const served = await exchange(accepting, 'GET / HTTP/1.0\r\nHost: app.test\r\n\r\n', /$^/);
  assert.match(served.text, /^HTTP\/1\.0 200 OK\r\n[^]*\r\nconnection: close\r\n\r\nhello$/);
  const abortingOld = await gateway(t, {}, { fault: { abort: { status: 503, percent: 100 } }, action: route.action }, { acceptHttp10: true });
  const aborted = await exchange(abortingOld, 'GET / HTTP/1.0\r\nHost: app.test\r\n\r\n', /fault filter abort$/);
  assert.match(aborted.text, /^HTTP\/1\.0 503 Service Unavailable\r\n/);
});

test("the status line carries Envoy's reason phrase, not the upstream's: 'Unknown' where Envoy has none", async (t) => {
  const route = (status: number) => ({ action: { kind: 'route' as const, clusters: [{ cluster: `c${status}`, weight: 100 }], retry: NO_RETRY } });
  for (const [status, reason] of [[418, 'Unknown'], [425, 'Too Early'], [451, 'Unknown'], [200, 'OK']] as const) {
    const app = await answering(t, status, 'x');
    const port = await gateway(t, { [`c${status}`]: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, route(status));
    const got = await exchange(port, 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', /\r\n0\r\n\r\n$/);
    assert.match(got.text, new RegExp(`^HTTP/1\\.1 ${status} ${reason}\\r\\n`), `Node's backend says ${http.STATUS_CODES[status]}`);
  }
  // The proxy's own replies likewise: a fault abort of 418.
  const aborting = await gateway(t, {}, { fault: { abort: { status: 418, percent: 100 } }, action: route(200).action });
  assert.match((await exchange(aborting, 'GET / HTTP/1.1\r\nHost: app.test\r\n\r\n', /fault filter abort$/)).text, /^HTTP\/1\.1 418 Unknown\r\n/);
});

test("the mesh answers as a sidecar's outbound listener does: server: envoy, relayed or its own", async (t) => {
  const app = await answering(t, 200, 'hello');
  const port = await freePort();
  const cluster = 'outbound|80||web.default.svc.cluster.local';
  const config = (endpoints: ReturnType<typeof ep>[]): ProxyConfig => ({
    version: String(endpoints.length),
    listeners: [
      {
        port,
        serverPort: port,
        protocol: 'HTTP',
        virtualHosts: [{ domains: ['127.0.0.2'], routes: [{ name: 'default', matches: [], action: { kind: 'route', clusters: [{ cluster, weight: 100 }], retry: NO_RETRY } }] }],
        // The Service address a meshed pod dialled, as its listener reads it.
        mesh: { tcp: {}, sniff: { '127.0.0.2': cluster } },
      },
    ],
    clusters: { [cluster]: { endpoints, lb: 'ROUND_ROBIN' } },
    secrets: {},
  });
  const proxy = new GatewayProxy(() => undefined);
  const listeners = new GatewayListeners(proxy, () => undefined, '127.0.0.2');
  proxy.update(config([ep(app.port)]));
  await listeners.apply(config([ep(app.port)]));
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  const relayed = await send(port, { host: '127.0.0.2', headers: { host: 'web' } });
  assert.deepEqual([relayed.status, relayed.body, relayed.headers.server], [200, 'hello', 'envoy']);
  proxy.update(config([]));
  const own = await send(port, { host: '127.0.0.2', headers: { host: 'web' } });
  assert.deepEqual([own.status, own.body, own.headers.server], [503, 'no healthy upstream', 'envoy']);
});

test('the access log counts the request body (BYTES_RECEIVED), sized or chunked', async (t) => {
  const app = await answering(t, 200, 'ok');
  const lines: string[] = [];
  const port = await gateway(t, { c: { endpoints: [ep(app.port)], lb: 'ROUND_ROBIN' } }, { action: { kind: 'route', clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY } }, { accessLog: (l) => lines.push(l) });
  const body = 'x'.repeat(1000);
  await exchange(port, `POST / HTTP/1.1\r\nHost: app.test\r\nContent-Length: 1000\r\n\r\n${body}`, /\r\n0\r\n\r\n$/);
  await exchange(port, `POST / HTTP/1.1\r\nHost: app.test\r\nTransfer-Encoding: chunked\r\n\r\n3e8\r\n${body}\r\n0\r\n\r\n`, /\r\n0\r\n\r\n$/);
  while (lines.length < 2) await new Promise((r) => setImmediate(r));
  assert.deepEqual(lines.map((l) => /^\S+ "POST \/ HTTP\/1\.1" 200 - via_upstream - "-" (\d+) /.exec(l)?.[1]), ['1000', '1000']);
});

test("the mesh's TCP destinations follow the VirtualService's tcp routes, by the caller's namespace and labels, else their own cluster", async (t) => {
  const says = async (word: string) => {
    const server = net.createServer((s) => s.end(word));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    t.after(() => server.close());
    return (server.address() as net.AddressInfo).port;
  };
  const [own, canary] = [await says('own'), await says('canary')];
  const port = await freePort();
  const config: ProxyConfig = {
    version: '1',
    listeners: [
      {
        port,
        serverPort: port,
        protocol: 'HTTP',
        virtualHosts: [],
        mesh: {
          tcp: { '127.0.0.2': 'own' },
          sniff: {},
          tcpRoutes: { '127.0.0.2': [{ matches: [{ sourceNamespace: 'team', sourceLabels: { track: 'canary' } }], clusters: [{ cluster: 'canary', weight: 100 }] }] },
        },
      },
    ],
    clusters: { own: { endpoints: [ep(own)], lb: 'ROUND_ROBIN' }, canary: { endpoints: [ep(canary)], lb: 'ROUND_ROBIN' } },
    secrets: {},
    workloads: { '127.0.0.5': { namespace: 'team', labels: { track: 'canary' } }, '127.0.0.6': { namespace: 'team', labels: {} } },
  };
  const tcpLog: string[] = [];
  const proxy = new GatewayProxy((line) => tcpLog.push(line));
  const listeners = new GatewayListeners(proxy, () => undefined, '127.0.0.2');
  proxy.update(config);
  await listeners.apply(config);
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  const read = (from: string) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.2', port, localAddress: from });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('end', () => resolve(got));
      s.on('error', reject);
    });
  assert.equal(await read('127.0.0.5'), 'canary');
  // The TCP proxy's access log line once the connection is over: no request, status 0, the bytes each way.
  await until(() => tcpLog.length === 1);
  assert.match(
    tcpLog[0]!,
    new RegExp(`^\\[\\S+Z\\] "- - -" 0 - - - "-" 0 6 \\d+ - "-" "-" "-" "-" "127\\.0\\.0\\.1:${canary}" canary 127\\.0\\.0\\.1:\\d+ 127\\.0\\.0\\.2:${port} 127\\.0\\.0\\.5:\\d+ - -\\n$`),
  );
  assert.equal(await read('127.0.0.6'), 'own', 'the route does not take a caller without the label');
  assert.equal(await read('127.0.0.7'), 'own', 'nor one the mesh does not know');

  // A gateway's TCP server: its routes pick the cluster; with none that takes the caller, the connection is closed.
  const tcpPort = await freePort();
  const gatewayConfig = (tcp: TcpRoute[]): ProxyConfig => ({ ...config, version: String(tcp.length), workloads: {}, listeners: [{ port: tcpPort, serverPort: 31400, protocol: 'TCP', virtualHosts: [], tcp }] });
  const gwLog: string[] = [];
  const gw = new GatewayProxy((line) => gwLog.push(line));
  const gwListeners = new GatewayListeners(gw, () => undefined, '127.0.0.2');
  t.after(async () => {
    await gwListeners.close();
    gw.close();
  });
  const routed = gatewayConfig([{ matches: [{ sourceNamespace: 'team' }], clusters: [{ cluster: 'own', weight: 100 }] }, { matches: [], clusters: [{ cluster: 'canary', weight: 100 }] }]);
  gw.update(routed);
  await gwListeners.apply(routed);
  const readGateway = () =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.2', port: tcpPort });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
  assert.equal(await readGateway(), 'canary', 'a gateway knows no caller workloads: the route for any caller');
  // destinationSubnets: the address the connection was made to.
  const bySubnet = gatewayConfig([
    { matches: [{ destinationSubnets: ['10.0.0.0/8', '2001:db8::/32'] }], clusters: [{ cluster: 'canary', weight: 100 }] },
    { matches: [{ destinationSubnets: ['127.0.0.2'] }], clusters: [{ cluster: 'own', weight: 100 }] },
  ]);
  gw.update(bySubnet);
  await gwListeners.apply(bySubnet);
  assert.equal(await readGateway(), 'own', 'the first route is for other addresses');
  // A cluster with no endpoint left: the connection is closed and logged UH.
  const empty = gatewayConfig([{ matches: [], clusters: [{ cluster: 'gone', weight: 100 }] }]);
  const noEndpoints = { ...empty, clusters: { ...empty.clusters, gone: { endpoints: [], lb: 'ROUND_ROBIN' as const } } };
  gw.update(noEndpoints);
  await gwListeners.apply(noEndpoints);
  assert.equal(await readGateway(), '');
  await until(() => gwLog.some((l) => / 0 UH - - "-" 0 0 /.test(l)));
  const none = gatewayConfig([]);
  gw.update(none);
  await gwListeners.apply(none);
  assert.equal(await readGateway(), '');
});

test('NetworkPolicy in the mesh: a connection the policies refuse is a dropped SYN (connect timeout, then retry elsewhere), for HTTP and TCP', async (t) => {
  // Two endpoints at addresses of their own, answering with their name and the caller's address.
  const endpoint = async (address: string, name: string) => {
    const srv = http.createServer((req, res) => res.end(`${name} ${req.socket.remoteAddress}`));
    const tcp = net.createServer((s) => s.end(name));
    await new Promise<void>((r) => srv.listen(0, address, r));
    await new Promise<void>((r) => tcp.listen(0, address, r));
    t.after(() => {
      srv.closeAllConnections();
      srv.close();
      tcp.close();
    });
    const at = (port: number) => ({ address, port, key: `${address}:${port}` });
    return { http: at((srv.address() as net.AddressInfo).port), tcp: at((tcp.address() as net.AddressInfo).port) };
  };
  const guarded = await endpoint('127.0.0.3', 'guarded');
  const open = await endpoint('127.0.0.4', 'open');
  const [httpPort, tcpPort] = [await freePort(), await freePort()];
  const n = (a: string) => a.split('.').reduce((x, o) => x * 256 + Number(o), 0);
  const config = (endpoints: ReturnType<typeof ep>[], tcpEndpoints: ReturnType<typeof ep>[], retry = { attempts: 2, retryOn: ['connect-failure'], statusCodes: [] }): ProxyConfig => ({
    version: String(endpoints.length),
    listeners: [
      {
        port: httpPort,
        serverPort: httpPort,
        protocol: 'HTTP',
        virtualHosts: [{ domains: ['127.0.0.2'], routes: [{ name: 'default', matches: [], action: { kind: 'route', clusters: [{ cluster: 'web', weight: 100 }], retry } }] }],
        mesh: { tcp: {}, sniff: {} },
      },
      { port: tcpPort, serverPort: tcpPort, protocol: 'HTTP', virtualHosts: [], mesh: { tcp: { '127.0.0.2': 'db' }, sniff: {} } },
    ],
    clusters: { web: { endpoints, lb: 'ROUND_ROBIN', pool: { connectTimeoutMs: 100 } }, db: { endpoints: tcpEndpoints, lb: 'ROUND_ROBIN', pool: { connectTimeoutMs: 100 } } },
    secrets: {},
    // 127.0.0.3 takes callers from 127.0.0.5 only; 127.0.0.7 may reach 127.0.0.4 only.
    policies: { rules: [[{ peers: [{ start: n('127.0.0.5'), end: n('127.0.0.5') }] }], [{ peers: [{ start: n('127.0.0.4'), end: n('127.0.0.4') }] }]], ingress: { '127.0.0.3': [0] }, egress: { '127.0.0.7': [1] }, nodes: {} },
  });
  const log: string[] = [];
  const proxy = new GatewayProxy((line) => log.push(line));
  const listeners = new GatewayListeners(proxy, () => undefined, '127.0.0.2');
  const apply = async (c: ProxyConfig) => {
    proxy.update(c);
    await listeners.apply(c);
  };
  await apply(config([guarded.http, open.http], [guarded.tcp, open.tcp]));
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  const get = (from: string) =>
    new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: '127.0.0.2', port: httpPort, localAddress: from, headers: { host: 'web' }, agent: false }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  const answers = async (from: string, times: number) => {
    const out = new Set<string>();
    for (let i = 0; i < times; i++) out.add((await get(from)).body);
    return [...out].sort();
  };
  // The endpoint sees the proxy's address; the policy was applied to the caller's.
  assert.deepEqual(await answers('127.0.0.5', 4), ['guarded 127.0.0.1', 'open 127.0.0.1']);
  assert.deepEqual(await answers('127.0.0.6', 4), ['open 127.0.0.1'], 'refused by the ingress policy of 127.0.0.3: retried on the other endpoint');
  assert.deepEqual(await answers('127.0.0.7', 4), ['open 127.0.0.1'], 'its egress policy allows 127.0.0.4 only');

  // No endpoint left that the policies allow: Envoy's answer after its connect timeout.
  await apply(config([guarded.http], [guarded.tcp], NO_RETRY));
  const started = Date.now();
  const refused = await get('127.0.0.6');
  assert.ok(Date.now() - started >= 100, 'the connect timeout ran out first');
  assert.deepEqual([refused.status, refused.body], [503, 'upstream connect error or disconnect/reset before headers. reset reason: connection timeout']);
  await until(() => log.some((l) => /"GET \/ HTTP\/1\.1" 503 UF upstream_reset_before_response_started\{connection_failure\} /.test(l)));
  assert.equal((await get('127.0.0.5')).body, 'guarded 127.0.0.1');

  // TCP: the refused caller's connection is closed (UF) once the connect timeout ran out; the allowed one is passed through.
  const read = (from: string) =>
    new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: '127.0.0.2', port: tcpPort, localAddress: from });
      let got = '';
      s.on('data', (d) => (got += d));
      s.on('close', () => resolve(got));
      s.on('error', reject);
    });
  assert.equal(await read('127.0.0.5'), 'guarded');
  assert.equal(await read('127.0.0.6'), '');
  await until(() => log.some((l) => /"- - -" 0 UF .*"127\.0\.0\.3:\d+" db /.test(l)));
  await apply(config([guarded.http], [guarded.tcp, open.tcp]));
  assert.equal(await read('127.0.0.6'), 'open', 'the next endpoint, after the refused one timed out');
});

const originCa = issue('origin ca', 'origin Inc.', undefined, { ca: true });
const otherCa = issue('other ca', 'other Inc.', undefined, { ca: true });
const originServer = issue('secure.example', 'origin Inc.', originCa);
const originClient = issue('client.example', 'client Inc.', originCa, { client: true });

/** An HTTPS backend (the origin Istio's egress TLS origination task reaches): it answers with the SNI it got and the client certificate's CN, if any. */
async function httpsOrigin(t: { after(f: () => void): void }): Promise<number> {
  const srv = https.createServer({ cert: originServer.cert, key: originServer.key, ca: originCa.cert, requestCert: true, rejectUnauthorized: false }, (req, res) => {
    const socket = req.socket as import('node:tls').TLSSocket;
    const peer = socket.getPeerCertificate();
    res.writeHead(200, { 'content-type': 'text/plain' }).end(`sni=${(socket as { servername?: string }).servername} client=${peer?.subject?.CN ?? '-'}`);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return (srv.address() as net.AddressInfo).port;
}

test("TLS origination (a DestinationRule's SIMPLE and MUTUAL tls): the SNI, the CA's check of the origin, the client's certificate; a failed check is Envoy's 503 with BoringSSL's words", async (t) => {
  const origin = await httpsOrigin(t);
  const lines: string[] = [];
  const through = async (tls: Cluster['tls']) => {
    const port = await gateway(t, { c: { endpoints: [ep(origin)], lb: 'ROUND_ROBIN', ...(tls ? { tls } : {}) } }, { action: { kind: 'route', clusters: [{ cluster: 'c', weight: 100 }], retry: NO_RETRY } }, { accessLog: (l) => lines.push(l) });
    return send(port);
  };
  const simple = await through({ sni: 'secure.example', ca: originCa.cert });
  assert.deepEqual([simple.status, simple.body], [200, 'sni=secure.example client=-']);
  const mutual = await through({ sni: 'secure.example', ca: originCa.cert, cert: originClient.cert, key: originClient.key });
  assert.deepEqual([mutual.status, mutual.body], [200, 'sni=secure.example client=client.example']);
  assert.equal((await through({ sni: 'any.example', insecure: true })).body, 'sni=any.example client=-', 'insecureSkipVerify checks neither the CA nor the name');
  assert.equal((await through({ sni: 'any.example', ca: originCa.cert, subjectAltNames: ['secure.example'] })).status, 200, 'subjectAltNames replace the SNI as the name to check');

  const verifyFailed = 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS_error:|268435581:SSL routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end';
  for (const refused of [
    { sni: 'secure.example', ca: otherCa.cert },
    { sni: 'secure.example' },
    { sni: 'wrong.example', ca: originCa.cert },
    { sni: 'secure.example', ca: originCa.cert, subjectAltNames: ['spiffe://other'] },
  ]) {
    const r = await through(refused);
    assert.deepEqual([r.status, r.body], [503, verifyFailed], JSON.stringify({ ...refused, ca: refused.ca ? 'set' : undefined }));
  }
  assert.match(lines.at(-1)!, / UF upstream_reset_before_response_started\{connection_failure\} .*TLS_error:\|268435581:SSL_routines:OPENSSL_internal:CERTIFICATE_VERIFY_FAILED:TLS_error_end/);
  const plain = await through(undefined);
  assert.deepEqual([plain.status, plain.body], [503, 'upstream connect error or disconnect/reset before headers. reset reason: connection termination'], 'plain HTTP to the TLS port: the origin hangs up');
  const missing = await through({ sni: 'secure.example', missing: 'secret default/nope' });
  assert.deepEqual([missing.status, missing.body], [503, 'upstream connect error or disconnect/reset before headers. reset reason: connection failure, transport failure reason: TLS error: Secret is not supplied by SDS']);
});
