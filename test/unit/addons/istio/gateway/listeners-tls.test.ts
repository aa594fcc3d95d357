import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate, type KeyObject } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import net from 'node:net';
import { test } from 'node:test';
import tls, { type TLSSocket } from 'node:tls';
import type { GatewayCredential, ProxyConfig, ServerTls } from '../../../../../src/addons/istio/config/types.js';
import { GatewayListeners } from '../../../../../src/addons/istio/gateway/listeners.js';
import { GatewayProxy } from '../../../../../src/addons/istio/gateway/proxy.js';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../../../../../src/cluster/x509.js';
import { freePort } from './loopback.js';

// A gateway's HTTPS listener on loopback, with real handshakes: the server chosen by the name in
// the ClientHello, SIMPLE, MUTUAL and OPTIONAL_MUTUAL client certificates as Istio's Secure
// Gateways task uses them, and the x-forwarded-client-cert header the backend gets.

interface Issued {
  cert: string;
  key: string;
  keyObject: KeyObject;
}

function issue(cn: string, o: string, signer?: Issued, opts: { ca?: boolean; client?: boolean } = {}): Issued {
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const cert = issueCertificate(
    {
      subject: [
        ['O', o],
        ['CN', cn],
      ],
      publicKey: keys.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      ca: opts.ca ?? false,
      keyUsage: opts.ca ? KEY_USAGE.keyCertSign | KEY_USAGE.cRLSign : KEY_USAGE.digitalSignature,
      ...(opts.ca ? {} : { extendedKeyUsage: [opts.client ? 'clientAuth' : 'serverAuth'], dnsNames: [cn] }),
    },
    signer?.keyObject ?? keys.privateKey,
    signer?.cert,
  );
  return { cert, key: privateKeyPem(keys.privateKey), keyObject: keys.privateKey };
}

const ca = issue('example.com', 'example Inc.', undefined, { ca: true });
const otherCa = issue('other.example', 'other Inc.', undefined, { ca: true });
const serverA = issue('a.example.com', 'a organization', ca);
const serverB = issue('b.example.com', 'b organization', ca);
const client = issue('client.example.com', 'client organization', ca, { client: true });
const rogue = issue('client.example.com', 'client organization', otherCa, { client: true });

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
async function gateway(t: { after(f: () => Promise<void> | void): void }, tlsServers: ServerTls[], secrets: Record<string, GatewayCredential>): Promise<{ port: number; log: string[] }> {
  const [port, backend] = [await freePort(), await echo(t)];
  const config: ProxyConfig = {
    version: '1',
    listeners: [
      {
        port,
        serverPort: 443,
        protocol: 'HTTPS',
        tls: tlsServers,
        virtualHosts: [{ domains: ['*'], routes: [{ name: '', matches: [], action: { kind: 'route', clusters: [{ cluster: 'echo', weight: 100 }], retry: { attempts: 0, retryOn: [], statusCodes: [] } } }] }],
      },
    ],
    clusters: { echo: { endpoints: [{ address: '127.0.0.1', port: backend, key: `127.0.0.1:${backend}` }], lb: 'ROUND_ROBIN' } },
    secrets,
  };
  const log: string[] = [];
  const proxy = new GatewayProxy(() => undefined);
  const listeners = new GatewayListeners(proxy, (m) => log.push(m), '127.0.0.1');
  proxy.update(config);
  await listeners.apply(config);
  t.after(async () => {
    await listeners.close();
    proxy.close();
  });
  return { port, log };
}

interface Reply {
  status: number;
  headers: Record<string, string>;
  /** The certificate's CN the gateway presented, and the protocol ALPN agreed. */
  served: { cn: string; alpn: string | false | null };
}

function get(port: number, servername: string, opts: { cert?: Issued; headers?: Record<string, string> } = {}): Promise<Reply> {
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
          resolve({ status: res.statusCode ?? 0, headers: JSON.parse(body) as Record<string, string>, served: { cn, alpn: socket.alpnProtocol } });
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

test('the server is chosen by the ClientHello\'s name: its certificate, ALPN http/1.1; a name no server covers gets the first server\'s', async (t) => {
  const { port } = await gateway(t, [
    { hosts: ['a.example.com'], credential: 'istio-system/a' },
    { hosts: ['*.b.example.com', 'b.example.com'], credential: 'istio-system/b' },
  ], secrets);
  assert.deepEqual((await get(port, 'a.example.com')).served, { cn: 'a.example.com', alpn: 'http/1.1' });
  assert.deepEqual((await get(port, 'b.example.com')).served, { cn: 'b.example.com', alpn: 'http/1.1' });
  await assert.rejects(get(port, 'x.b.example.com'), { code: 'ERR_TLS_CERT_ALTNAME_INVALID' }, 'the wildcard server\'s certificate, which does not name x.b.example.com');
  const other = await new Promise<string>((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername: 'nobody.test', rejectUnauthorized: false }, () => {
      resolve(/CN=([^\n]+)/.exec((s.getPeerX509Certificate() as X509Certificate).subject)?.[1] ?? '');
      s.destroy();
    });
    s.on('error', reject);
  });
  assert.equal(other, 'a.example.com');
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

test('a mutual server without a CA, or whose Secret is missing, refuses its names instead of serving another server\'s certificate', async (t) => {
  const { port, log } = await gateway(t, [
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
