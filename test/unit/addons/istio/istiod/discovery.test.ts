import assert from 'node:assert/strict';
import http from 'node:http';
import https from 'node:https';
import { after, test } from 'node:test';
import { applyDelta, isDelta, type ProxyConfigDelta } from '../../../../../src/addons/istio/config/delta.js';
import type { ProxyConfig } from '../../../../../src/addons/istio/config/types.js';
import { DISCOVERY_PATH, DiscoveryServer } from '../../../../../src/addons/istio/istiod/discovery.js';
import { generateClusterCertificates, generateServingCertificate } from '../../../../../src/cli/certificates.js';
import { ISTIOD_DNS_NAMES } from '../../../../../src/controllers/addons/istio.js';

// istiod's certificate as `skiff up` signs it with the cluster CA; a second CA stands for a
// server or client the cluster does not trust.
const cluster = await generateClusterCertificates();
const other = await generateClusterCertificates();
const serving = await generateServingCertificate(cluster.caCert, cluster.caKey, 'istiod', ISTIOD_DNS_NAMES, []);
const SERVER_NAME = 'istiod.istio-system.svc';

let version = 'v1';
/** The configuration of version `version`: one virtual host, whose route answers with the version. */
const config = (): ProxyConfig => ({
  version,
  listeners: [{ port: 15001, serverPort: 15001, protocol: 'HTTP', virtualHosts: [{ domains: ['a.test'], routes: [{ name: 'a', matches: [], action: { kind: 'direct', status: 200, body: version } }] }] }],
  clusters: {},
  secrets: {},
});
const logs: string[] = [];
const server = new DiscoveryServer(
  (pod) => (pod === 'istio-system/ztunnel-n1' ? config() : undefined),
  async (token) => {
    if (token === 'good') return 'istio-system/ztunnel-n1';
    throw new Error('the token is not a service account');
  },
  (m) => logs.push(m),
  serving,
);
const port = await server.listen(0, '127.0.0.1');
after(() => server.close());

/** A discovery stream as a proxy opens it (trusting the cluster CA): its status, and its lines as they come. */
function subscribe(token: string, ca = cluster.caCert): Promise<{ status: number; res: http.IncomingMessage; lines: () => Promise<string>; req: http.ClientRequest }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, ca, servername: SERVER_NAME, path: DISCOVERY_PATH, agent: false, headers: { authorization: `Bearer ${token}` } }, (res) => {
      res.setEncoding('utf8');
      let buf = '';
      const waiting: ((l: string) => void)[] = [];
      const queued: string[] = [];
      res.on('data', (chunk: string) => {
        buf += chunk;
        for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
          const line = buf.slice(0, nl);
          buf = buf.slice(nl + 1);
          const w = waiting.shift();
          if (w) w(line);
          else queued.push(line);
        }
      });
      resolve({ status: res.statusCode ?? 0, res, req, lines: () => (queued.length ? Promise.resolve(queued.shift()!) : new Promise((r) => waiting.push(r))) });
    });
    req.on('error', reject);
  });
}

test('a proxy without a valid token is refused with the reason', async () => {
  const s = await subscribe('bad');
  assert.equal(s.status, 401);
  assert.ok(logs.some((l) => /Failed to authenticate client from 127\.0\.0\.1:\d+: the token is not a service account/.test(l)));
});

test('the stream carries the configuration, then what each new version changes', async () => {
  const s = await subscribe('good');
  assert.equal(s.status, 200);
  const first = JSON.parse(await s.lines()) as ProxyConfig;
  assert.deepEqual(first, config());
  server.push();
  version = 'v2';
  server.push();
  const delta = JSON.parse(await s.lines()) as ProxyConfigDelta;
  assert.ok(isDelta(delta));
  assert.deepEqual({ version: delta.version, base: delta.base }, { version: 'v2', base: 'v1' });
  assert.deepEqual(applyDelta(first, delta), config());
  s.req.destroy();
});

// The timeout only keeps a regression (an older stream left open) from hanging the suite.
test("a pod's new stream ends its older one, so pushes go to the live proxy only", { timeout: 30_000 }, async () => {
  const first = await subscribe('good');
  await first.lines();
  // istiod resets the older stream: its response is aborted.
  first.res.on('error', () => undefined);
  const ended = new Promise((r) => first.res.once('close', r));
  const second = await subscribe('good');
  assert.match(await second.lines(), /^\{"version":"v2","listeners":/, 'a new stream starts with the whole configuration');
  await ended;
  version = 'v3';
  const pushes = logs.length;
  server.push();
  assert.equal((JSON.parse(await second.lines()) as ProxyConfig).version, 'v3');
  assert.deepEqual(logs.slice(pushes).filter((l) => l.includes('Push:')), ['info\tads\tPush: istio-system/ztunnel-n1 version v3 (incremental from v2: 1 virtual hosts, 0 clusters)']);
  second.req.destroy();
});

test('the stream is TLS only: a plain HTTP request is dropped before any token is read', { timeout: 30_000 }, async () => {
  const before = logs.length;
  const err = await new Promise<Error | undefined>((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: DISCOVERY_PATH, agent: false, headers: { authorization: 'Bearer good' } }, (res) => {
      res.resume();
      resolve(undefined);
    });
    req.on('error', resolve);
  });
  assert.ok(err, 'a plain HTTP request got an answer');
  assert.match(err.message, /socket hang up|ECONNRESET/);
  await waitForLog(before, /TLS handshake error from 127\.0\.0\.1:\d+: /);
  assert.ok(!logs.slice(before).some((l) => /New connection|Failed to authenticate/.test(l)), logs.slice(before).join('\n'));
});

test('a proxy that trusts another CA refuses istiod before it sends its token', { timeout: 30_000 }, async () => {
  const before = logs.length;
  await assert.rejects(subscribe('good', other.caCert), /unable to verify the first certificate|self[- ]signed|certificate/i);
  await waitForLog(before, /TLS handshake error/);
  assert.ok(!logs.slice(before).some((l) => /New connection/.test(l)));
});

test('the certificate names istiod as proxies dial it, and not another host', async () => {
  const s = await subscribe('good');
  assert.equal(s.status, 200);
  s.req.destroy();
  const wrongName = new Promise<void>((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, ca: cluster.caCert, servername: 'istiod.example.com', path: DISCOVERY_PATH, agent: false }, () => reject(new Error('connected to a server whose certificate does not name it')));
    req.on('error', (e) => (/altnames|Hostname\/IP does not match/.test(e.message) ? resolve() : reject(e)));
  });
  await wrongName;
});

/** Waits for a log line after index `from`; the TLS error is logged as the handshake fails, which may be after the client saw it. */
async function waitForLog(from: number, re: RegExp): Promise<void> {
  while (!logs.slice(from).some((l) => re.test(l))) await new Promise((r) => setImmediate(r));
}

test("a proxy's configuration leaves before the next proxy's is built", async () => {
  let aArrived = false;
  let aArrivedBeforeB: boolean | undefined;
  let round = 0;
  const two = new DiscoveryServer(
    (pod) => {
      if (pod === 'ns/b' && round > 0) aArrivedBeforeB ??= aArrived;
      return { version: `${pod}-${round}`, listeners: [], clusters: {}, secrets: {} };
    },
    async (token) => `ns/${token}`,
    () => undefined,
    serving,
  );
  const at = await two.listen(0, '127.0.0.1');
  const stream = (pod: string) =>
    new Promise<http.IncomingMessage>((resolve) => https.get({ host: '127.0.0.1', port: at, ca: cluster.caCert, servername: SERVER_NAME, path: DISCOVERY_PATH, agent: false, headers: { authorization: `Bearer ${pod}` } }, resolve));
  const lineOf = (res: http.IncomingMessage) => new Promise<string>((resolve) => res.once('data', (d: Buffer) => resolve(d.toString())));
  const a = await stream('a');
  await lineOf(a);
  const b = await stream('b');
  await lineOf(b);
  round = 1;
  const aNext = lineOf(a).then((l) => {
    aArrived = true;
    return l;
  });
  const bNext = lineOf(b);
  try {
    // From a timer, as istiod pushes: the turn's poll phase comes before the next immediate.
    setTimeout(() => two.push(), 0);
    assert.match(await aNext, /"version":"ns\/a-1"/);
    assert.match(await bNext, /"version":"ns\/b-1"/);
    assert.equal(aArrivedBeforeB, true);
  } finally {
    a.destroy();
    b.destroy();
    await two.close();
  }
});
