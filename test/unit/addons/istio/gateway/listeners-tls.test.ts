import assert from 'node:assert/strict';
import { createHash, X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { test } from 'node:test';
import tls, { type TLSSocket } from 'node:tls';
import type { Cluster, GatewayCredential, ProxyConfig, ServerTls, SniRoute } from '../../../../../src/addons/istio/config/types.js';
import { GatewayListeners } from '../../../../../src/addons/istio/gateway/listeners.js';
import { GatewayProxy } from '../../../../../src/addons/istio/gateway/proxy.js';
import { issue, type Issued } from './certificates.js';
import { freePort, until } from './loopback.js';

// A gateway's HTTPS listener on loopback, with real handshakes: the server chosen by the name in
// the ClientHello, SIMPLE, MUTUAL and OPTIONAL_MUTUAL client certificates as Istio's Secure
// Gateways task uses them, and the x-forwarded-client-cert header the backend gets.

const ca = issue('example.com', 'example Inc.', undefined, { ca: true });
const otherCa = issue('other.example', 'other Inc.', undefined, { ca: true });
const serverA = issue('a.example.com', 'a organization', ca);
const serverB = issue('b.example.com', 'b organization', ca);
const client = issue('client.example.com', 'client organization', ca, { client: true });
const rogue = issue('client.example.com', 'client organization', otherCa, { client: true });
const client2 = issue('client2.example.com', 'client organization', ca, { client: true });

/** A backend that answers with the request headers it got, as JSON. */
async function echo(t: { after(f: () => void): void }): Promise<number> {
  const srv = http.createServer((req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(req.headers)));
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    srv.closeAllConnections();
    srv.close();
  });
  return (srv.address() as net.AddressInfo).port;
}

/** A gateway with one HTTPS listener of the given servers, every name routed to an echo backend; its port and its log. */
async function gateway(
  t: { after(f: () => Promise<void> | void): void },
  tlsServers: ServerTls[],
  secrets: Record<string, GatewayCredential>,
  extra: { passthrough?: SniRoute[]; clusters?: Record<string, Cluster> } = {},
): Promise<{ port: number; log: string[]; accessLog: string[]; reapply(): Promise<void> }> {
  const [port, backend] = [await freePort(), await echo(t)];
  const config: ProxyConfig = {
    version: '1',
    listeners: [
      {
        port,
        serverPort: 443,
        protocol: 'HTTPS',
        tls: tlsServers,
        ...(extra.passthrough ? { passthrough: extra.passthrough } : {}),
        virtualHosts: [{ domains: ['*'], routes: [{ name: '', matches: [], action: { kind: 'route', clusters: [{ cluster: 'echo', weight: 100 }], retry: { attempts: 0, retryOn: [], statusCodes: [] } } }] }],
      },
    ],
    clusters: { echo: { endpoints: [{ address: '127.0.0.1', port: backend, key: `127.0.0.1:${backend}` }], lb: 'ROUND_ROBIN' }, ...extra.clusters },
    secrets,
  };
  const log: string[] = [];
  const accessLog: string[] = [];
  const proxy = new GatewayProxy((line) => accessLog.push(line));
  const listeners = new GatewayListeners(proxy, (m) => log.push(m), '127.0.0.1');
  proxy.update(config);
  await listeners.apply(config);
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  // The same configuration pushed again, as a copy: what a push that changed something else brings.
  const reapply = () => listeners.apply(JSON.parse(JSON.stringify(config)) as ProxyConfig);
  return { port, log, accessLog, reapply };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  /** The certificate's CN the gateway presented, and the protocol ALPN agreed. */
  served: { cn: string; alpn: string | false | null; protocol: string | null };
}

/** The status of a request with a client certificate to a name the server's certificate need not cover; 'closed' when the connection ends without one. */
function tlsStatus(port: number, servername: string, cert: Issued): Promise<number | 'closed'> {
  return get(port, servername, { cert, anyName: true }).then(
    (r) => r.status,
    () => 'closed' as const,
  );
}

function get(port: number, servername: string, opts: { cert?: Issued; headers?: Record<string, string>; maxVersion?: tls.SecureVersion; anyName?: boolean } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: '127.0.0.1',
        port,
        servername,
        path: '/headers',
        headers: { host: servername, ...opts.headers },
        ca: ca.cert,
        ...(opts.cert ? { cert: opts.cert.cert, key: opts.cert.key } : {}),
        ...(opts.maxVersion ? { maxVersion: opts.maxVersion } : {}),
        ...(opts.anyName ? { checkServerIdentity: () => undefined } : {}),
        agent: false,
        ALPNProtocols: ['h2', 'http/1.1'],
      } as https.RequestOptions,
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => {
          const socket = res.socket as TLSSocket;
          const cn = /CN=([^\n]+)/.exec((socket.getPeerX509Certificate() as X509Certificate).subject)?.[1] ?? '';
          resolve({ status: res.statusCode ?? 0, headers: JSON.parse(body) as Record<string, string>, served: { cn, alpn: socket.alpnProtocol, protocol: socket.getProtocol() } });
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

const secrets = {
  'istio-system/a': { cert: serverA.cert, key: serverA.key },
  'istio-system/b': { cert: serverB.cert, key: serverB.key, ca: ca.cert },
};

test('the server is chosen by the ClientHello\'s name: its certificate, ALPN http/1.1; a name no server covers is closed, as by Envoy; a client without SNI gets the * server', async (t) => {
  const { port } = await gateway(t, [
    { hosts: ['a.example.com'], credential: 'istio-system/a' },
    { hosts: ['*.b.example.com', 'b.example.com'], credential: 'istio-system/b' },
  ], secrets);
  assert.deepEqual((await get(port, 'a.example.com')).served, { cn: 'a.example.com', alpn: 'http/1.1', protocol: 'TLSv1.3' });
  assert.deepEqual((await get(port, 'b.example.com')).served, { cn: 'b.example.com', alpn: 'http/1.1', protocol: 'TLSv1.3' });
  await assert.rejects(get(port, 'x.b.example.com'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'the wildcard server\'s certificate, which does not name x.b.example.com');
  const presented = (servername?: string) =>
    new Promise<string>((resolve, reject) => {
      const s = tls.connect({ host: '127.0.0.1', port, ...(servername ? { servername } : {}), rejectUnauthorized: false }, () => {
        resolve(/CN=([^\n]+)/.exec((s.getPeerX509Certificate() as X509Certificate).subject)?.[1] ?? '');
        s.destroy();
      });
      s.on('error', reject);
    });
  await assert.rejects(presented('nobody.test'), { code: 'ECONNRESET' });
  // Node sends no server name to an address: no server takes it here...
  await assert.rejects(presented(), { code: 'ECONNRESET' });
  // ...and a `*` server does.
  const star = await gateway(t, [{ hosts: ['*'], credential: 'istio-system/a' }], secrets);
  const none = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port: star.port, rejectUnauthorized: false }, () => {
      resolve(/CN=([^\n]+)/.exec((s.getPeerX509Certificate() as X509Certificate).subject)?.[1] ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
  assert.equal(none, 'a.example.com');
});

test('MUTUAL: no client certificate fails the handshake with certificate_required; one the CA signed is served, and the backend gets it in x-forwarded-client-cert; another CA\'s is closed without an answer', async (t) => {
  const { port } = await gateway(t, [{ hosts: ['b.example.com'], credential: 'istio-system/b', clientCertificate: 'MUTUAL' }], secrets);
  await assert.rejects(get(port, 'b.example.com'), { code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED' });
  const ok = await get(port, 'b.example.com', { cert: client, headers: { 'x-forwarded-client-cert': 'Hash=forged' } });
  assert.equal(ok.status, 200);
  const peer = new X509Certificate(client.cert);
  assert.equal(
    ok.headers['x-forwarded-client-cert'],
    `Hash=${peer.fingerprint256.replace(/:/g, '').toLowerCase()};Cert="${encodeURIComponent(peer.toString())}";Subject="CN=client.example.com,O=client organization";URI=;DNS=client.example.com`,
  );
  await assert.rejects(get(port, 'b.example.com', { cert: rogue }), (e: NodeJS.ErrnoException) => ['ECONNRESET', undefined].includes(e.code) && /socket hang up|ECONNRESET/.test(e.message));
});

test('OPTIONAL_MUTUAL: served without a client certificate (and without the header); a CA-signed one is forwarded; another CA\'s is closed', async (t) => {
  const { port } = await gateway(t, [{ hosts: ['b.example.com'], credential: 'istio-system/b', clientCertificate: 'OPTIONAL_MUTUAL' }], secrets);
  const none = await get(port, 'b.example.com', { headers: { 'x-forwarded-client-cert': 'Hash=forged' } });
  assert.equal(none.status, 200);
  assert.equal(none.headers['x-forwarded-client-cert'], undefined, 'the client\'s own header is dropped');
  assert.match((await get(port, 'b.example.com', { cert: client })).headers['x-forwarded-client-cert'] ?? '', /^Hash=[0-9a-f]{64};Cert="-----BEGIN%20CERTIFICATE-----%0A/);
  await assert.rejects(get(port, 'b.example.com', { cert: rogue }));
});

test('MUTUAL with subjectAltNames and verifyCertificateHash/Spki: a CA-signed certificate that fails them is closed', async (t) => {
  const hash = new X509Certificate(client.cert).fingerprint256.replace(/:/g, '').toLowerCase();
  const spki = createHash('sha256').update(new X509Certificate(client.cert).publicKey.export({ type: 'spki', format: 'der' })).digest('base64');
  const { port } = await gateway(t, [
    { hosts: ['san.example.com'], credential: 'istio-system/b', clientCertificate: 'MUTUAL', subjectAltNames: ['client.example.com'] },
    { hosts: ['hash.example.com'], credential: 'istio-system/b', clientCertificate: 'MUTUAL', certificateHashes: [hash] },
    { hosts: ['spki.example.com'], credential: 'istio-system/b', clientCertificate: 'MUTUAL', spkiHashes: [spki] },
  ], secrets);
  for (const name of ['san.example.com', 'hash.example.com', 'spki.example.com']) {
    assert.equal(await tlsStatus(port, name, client), 200, `${name}: the certificate the server names`);
    assert.equal(await tlsStatus(port, name, client2), 'closed', `${name}: another certificate of the same CA`);
  }
});

test('minProtocolVersion and maxProtocolVersion bound the handshake per server', async (t) => {
  const { port } = await gateway(t, [
    { hosts: ['a.example.com'], credential: 'istio-system/a', maxVersion: 'TLSv1.2' },
    { hosts: ['b.example.com'], credential: 'istio-system/b', minVersion: 'TLSv1.3' },
  ], secrets);
  assert.equal((await get(port, 'a.example.com')).served.protocol, 'TLSv1.2');
  assert.equal((await get(port, 'b.example.com')).served.protocol, 'TLSv1.3');
  await assert.rejects(get(port, 'b.example.com', { maxVersion: 'TLSv1.2' }), /protocol version/);
});

test('a mutual server without a CA, or whose Secret is missing, refuses its names instead of serving another server\'s certificate', async (t) => {
  const { port, log, reapply } = await gateway(t, [
    { hosts: ['a.example.com'], credential: 'istio-system/a' },
    { hosts: ['b.example.com'], credential: 'istio-system/a', clientCertificate: 'MUTUAL' },
    { hosts: ['c.example.com'], credential: 'istio-system/missing' },
  ], secrets);
  assert.equal((await get(port, 'a.example.com')).status, 200);
  await assert.rejects(get(port, 'b.example.com'), { code: 'ECONNRESET' });
  await assert.rejects(get(port, 'c.example.com'), { code: 'ECONNRESET' });
  assert.deepEqual(log, [
    `warning: listener 0.0.0.0_${port}: credential istio-system/a: no CA certificate (ca.crt or cacert, or Secret istio-system/a-cacert) to verify client certificates with, as MUTUAL TLS needs`,
    `warning: listener 0.0.0.0_${port}: credential istio-system/missing: not found`,
  ]);
  // A push that changes nothing of the servers keeps their choices: no key parsed, no warning again.
  await reapply();
  assert.equal(log.length, 2);
  assert.equal((await get(port, 'a.example.com')).status, 200);
  await assert.rejects(get(port, 'c.example.com'), { code: 'ECONNRESET' });
});

test('a connection that does not start with a ClientHello is closed', async (t) => {
  const { port } = await gateway(t, [{ hosts: ['a.example.com'], credential: 'istio-system/a' }], secrets);
  const answer = await new Promise<string>((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port }, () => s.write('GET / HTTP/1.1\r\nHost: a.example.com\r\n\r\n'));
    let got = '';
    s.on('data', (d: Buffer) => (got += d.toString()));
    s.on('close', () => resolve(got));
    s.on('error', reject);
  });
  assert.equal(answer, '');
});

test('PASSTHROUGH: a name a tls route takes (exact, or by its *. suffix at any depth) reaches the backend still encrypted, with the backend\'s certificate; a name nothing takes is closed', async (t) => {
  // The backend terminates TLS itself with the b.example.com certificate, which names *.pass too.
  const both = issue('b.example.com', 'b organization', ca);
  const backend = tls.createServer({ cert: both.cert, key: both.key }, (s) => {
    s.once('data', () => s.end('HTTP/1.1 200 OK\r\ncontent-type: application/json\r\nconnection: close\r\ncontent-length: 21\r\n\r\n{"x-backend": "tls"}\n'));
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  t.after(() => void backend.close());
  const bport = (backend.address() as net.AddressInfo).port;
  const route = (hosts: string[]): SniRoute => ({ sniHosts: hosts, clusters: [{ cluster: 'tls-backend', weight: 100 }] });
  const { port, accessLog } = await gateway(t, [], {}, {
    passthrough: [route(['b.example.com']), route(['*.example.com'])],
    clusters: { 'tls-backend': { endpoints: [{ address: '127.0.0.1', port: bport, key: `127.0.0.1:${bport}` }], lb: 'ROUND_ROBIN' } },
  });
  const direct = await get(port, 'b.example.com');
  assert.deepEqual([direct.status, direct.headers, direct.served.cn], [200, { 'x-backend': 'tls' }, 'b.example.com']);
  await assert.rejects(get(port, 'deep.er.example.com'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'the backend\'s certificate reached the client, for the wildcard route');
  await assert.rejects(get(port, 'b.example.org'), { code: 'ECONNRESET' });
  await until(() => accessLog.length >= 2);
  assert.match(accessLog[0]!, /^\[[^\]]+\] "- - -" 0 - - - "-" \d+ \d+ \d+ - "-" "-" "-" "-" "127\.0\.0\.1:\d+" tls-backend 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ 127\.0\.0\.1:\d+ b\.example\.com -\n$/);
});

test('a port with SIMPLE servers and PASSTHROUGH routes: each name goes where its most specific match says', async (t) => {
  const both = issue('pass.example.com', 'pass organization', ca);
  const backend = tls.createServer({ cert: both.cert, key: both.key }, (s) => s.once('data', () => s.end('HTTP/1.1 200 OK\r\nconnection: close\r\ncontent-length: 3\r\n\r\n{}\n')));
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  t.after(() => void backend.close());
  const bport = (backend.address() as net.AddressInfo).port;
  const { port } = await gateway(t, [{ hosts: ['*.example.com'], credential: 'istio-system/a' }], secrets, {
    passthrough: [{ sniHosts: ['pass.example.com'], clusters: [{ cluster: 'tls-backend', weight: 100 }] }],
    clusters: { 'tls-backend': { endpoints: [{ address: '127.0.0.1', port: bport, key: `127.0.0.1:${bport}` }], lb: 'ROUND_ROBIN' } },
  });
  assert.equal((await get(port, 'pass.example.com')).served.cn, 'pass.example.com');
  await assert.rejects(get(port, 'other.example.com'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'the SIMPLE server\'s a.example.com certificate, terminated by the gateway');
});
