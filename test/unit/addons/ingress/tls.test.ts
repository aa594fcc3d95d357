import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import type { KObject } from '../../../../src/api/types.js';
import { FAKE_CERTIFICATE_CN } from '../../../../src/addons/proxy/certificates.js';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../../../../src/cluster/x509.js';
import { json, request, simpleTable, startBackend, startHarness, type Backend, type Harness } from './harness.js';

async function selfSigned(cn: string, type: 'ecdsa' | 'rsa' = 'ecdsa'): Promise<{ cert: string; key: string }> {
  const keys = type === 'ecdsa' ? generateKeyPairSync('ec', { namedCurve: 'P-256' }) : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const cert = issueCertificate(
    {
      subject: [['CN', cn]],
      publicKey: keys.publicKey,
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 3600_000),
      ca: false,
      keyUsage: KEY_USAGE.digitalSignature | (type === 'rsa' ? KEY_USAGE.keyEncipherment : 0),
      extendedKeyUsage: ['serverAuth'],
      dnsNames: [cn],
    },
    keys.privateKey,
  );
  return { cert, key: privateKeyPem(keys.privateKey) };
}

function tlsSecret(pair: { cert: string; key: string }, resourceVersion: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: 'tls', namespace: 'default', resourceVersion },
    type: 'kubernetes.io/tls',
    data: { 'tls.crt': Buffer.from(pair.cert).toString('base64'), 'tls.key': Buffer.from(pair.key).toString('base64') },
  };
}

/** The subject CN of the certificate the listener presents for an SNI name. */
function presentedCN(port: number, servername: string | undefined, maxVersion: tls.SecureVersion = 'TLSv1.3'): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = tls.connect({ host: '127.0.0.1', port, servername, maxVersion, rejectUnauthorized: false }, () => {
      const raw = s.getPeerX509Certificate() as X509Certificate | undefined;
      s.destroy();
      resolve(/CN=([^\n,]+)/.exec(raw?.subject ?? '')?.[1] ?? '');
    });
    s.on('error', reject);
  });
}

let backend: Backend;
let h: Harness;
const secrets: KObject[] = [];

before(async () => {
  backend = await startBackend('web');
  secrets.push(tlsSecret(await selfSigned('h.test'), '1'));
  h = await startHarness(simpleTable([backend.port], { tls: true }), secrets);
});

after(async () => {
  await h.close();
  await backend.close();
});

test('the TLS host gets its Secret\'s certificate by SNI, others the fake certificate', async () => {
  const port = h.listeners.httpsPort;
  assert.equal(await presentedCN(port, 'h.test'), 'h.test');
  assert.equal(await presentedCN(port, 'other.test'), FAKE_CERTIFICATE_CN);
  assert.equal(await presentedCN(port, undefined), FAKE_CERTIFICATE_CN);
});

/** Whether the listener ends (FIN or reset) a connection whose client closed its side after sending `first` (nothing, or the start of a ClientHello). */
function closedByServer(port: number, first: Buffer): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port, allowHalfOpen: true }, () => s.end(first));
    s.on('error', (e: NodeJS.ErrnoException) => (e.code === 'ECONNRESET' ? resolve(true) : reject(e)));
    s.resume();
    s.once('end', () => {
      s.destroy();
      resolve(true);
    });
  });
}

// nginx closes such a connection at once; the half-open socket used to be kept for Node's
// 120 s handshake timeout, so every port probe held one (the test's timeout catches a return of it).
test('a client that closes its side before its handshake is over is let go at once', { timeout: 30_000 }, async () => {
  const port = h.listeners.httpsPort;
  const hello = await new Promise<Buffer>((resolve) => {
    const probe = net.createServer((s) => s.once('data', (d: Buffer) => (s.destroy(), probe.close(), resolve(d))));
    probe.listen(0, '127.0.0.1', () => {
      const c = tls.connect({ host: '127.0.0.1', port: (probe.address() as net.AddressInfo).port, servername: 'h.test' });
      c.on('error', () => c.destroy());
    });
  });
  assert.equal(await closedByServer(port, Buffer.alloc(0)), true);
  assert.equal(await closedByServer(port, hello.subarray(0, 20)), true);
  // The TLS server still serves the next client.
  assert.equal(await presentedCN(port, 'h.test'), 'h.test');
});

test('a changed Secret is served from the next handshake', async () => {
  secrets[0] = tlsSecret(await selfSigned('renewed.h.test'), '2');
  h.setTable(simpleTable([backend.port], { tls: true }));
  assert.equal(await presentedCN(h.listeners.httpsPort, 'h.test'), 'renewed.h.test');
});

test('an RSA Secret is served over TLS 1.2 and 1.3 (openssl\'s and cert-manager\'s default key type)', async () => {
  secrets[0] = tlsSecret(await selfSigned('rsa.h.test', 'rsa'), '3');
  h.setTable(simpleTable([backend.port], { tls: true }));
  assert.equal(await presentedCN(h.listeners.httpsPort, 'h.test', 'TLSv1.2'), 'rsa.h.test');
  assert.equal(await presentedCN(h.listeners.httpsPort, 'h.test', 'TLSv1.3'), 'rsa.h.test');
});

test('HTTPS is terminated and forwarded with X-Forwarded-Proto https', async () => {
  const r = await request(h.listeners.httpsPort, { host: 'h.test', path: '/p', tls: { servername: 'h.test' } });
  assert.equal(r.status, 200);
  const seen = json(r);
  assert.equal(seen.headers['x-forwarded-proto'], 'https');
  assert.equal(seen.headers['x-forwarded-port'], String(h.listeners.httpsPort));
});

test('HSTS on every HTTPS response of a host with its own certificate, not over HTTP nor with the fake certificate', async () => {
  const hsts = 'max-age=15724800; includeSubDomains';
  const proxied = await request(h.listeners.httpsPort, { host: 'h.test', path: '/p', tls: { servername: 'h.test' } });
  assert.equal(proxied.headers['strict-transport-security'], hsts);
  h.setTable(simpleTable([backend.port], { tls: true, annotations: { 'nginx.ingress.kubernetes.io/app-root': '/app' } }));
  const own = await request(h.listeners.httpsPort, { host: 'h.test', path: '/', tls: { servername: 'h.test' } });
  h.setTable(simpleTable([backend.port], { tls: true }));
  assert.equal(own.status, 302);
  assert.equal(own.headers['strict-transport-security'], hsts, 'also on an answer of the ingress itself');
  const fake = await request(h.listeners.httpsPort, { host: 'other.test', path: '/', tls: { servername: 'other.test' } });
  assert.equal(fake.status, 404);
  assert.equal(fake.headers['strict-transport-security'], undefined);
  const plain = await request(h.listeners.httpPort, { host: 'h.test', path: '/p' });
  assert.equal(plain.status, 308);
  assert.equal(plain.headers['strict-transport-security'], undefined);
});

test('plain HTTP to a TLS host is redirected with 308; ssl-redirect "false" turns it off', async () => {
  let r = await request(h.listeners.httpPort, { host: 'h.test', path: '/some/path?q=1' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, 'https://h.test/some/path?q=1');
  h.setTable(simpleTable([backend.port], { tls: true, annotations: { 'nginx.ingress.kubernetes.io/ssl-redirect': 'false' } }));
  r = await request(h.listeners.httpPort, { host: 'h.test', path: '/x' });
  assert.equal(r.status, 200);
});

test('force-ssl-redirect redirects a host without TLS', async () => {
  h.setTable(simpleTable([backend.port], { annotations: { 'nginx.ingress.kubernetes.io/force-ssl-redirect': 'true' } }));
  const r = await request(h.listeners.httpPort, { host: 'h.test', path: '/x' });
  assert.equal(r.status, 308);
  assert.equal(r.headers.location, 'https://h.test/x');
  h.setTable(simpleTable([backend.port]));
  assert.equal((await request(h.listeners.httpPort, { host: 'h.test', path: '/x' })).status, 200);
});

test('an HTTPS client that comes before the default certificate exists waits for it, with and without SNI', async () => {
  const { CertificateStore } = await import('../../../../src/addons/proxy/certificates.js');
  const { startListeners } = await import('../../../../src/addons/ingress/server.js');
  const { IngressProxy } = await import('../../../../src/addons/ingress/proxy.js');
  let made = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const certificates = new CertificateStore(async () => {
    made++;
    await gate;
    return selfSigned('late.default');
  });
  const listeners = await startListeners({ host: '127.0.0.1', httpPort: 0, httpsPort: 0, proxy: new IngressProxy({ routes: () => simpleTable([]) }), certificates });
  try {
    const withSni = presentedCN(listeners.httpsPort, 'any.test');
    const withoutSni = presentedCN(listeners.httpsPort, undefined);
    // Both handshakes are pending on the certificate; it is made once, for both.
    await new Promise((r) => setImmediate(r));
    release();
    assert.deepEqual(await Promise.all([withSni, withoutSni]), ['late.default', 'late.default']);
    assert.equal(made, 1);
  } finally {
    await listeners.close();
  }
});
