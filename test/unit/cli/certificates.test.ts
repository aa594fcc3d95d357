import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { createServer } from 'node:https';
import { connect, type PeerCertificate } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { generateClusterCertificates, type ClusterCertificates } from '../../../src/cli/certificates.js';

const certs = await generateClusterCertificates();

test('the CA is an ECDSA P-256 CA named skiff-ca, valid for 10 years', () => {
  const ca = new X509Certificate(certs.caCert);
  assert.equal(ca.ca, true);
  assert.equal(ca.subject, 'CN=skiff-ca');
  assert.equal(ca.issuer, 'CN=skiff-ca');
  assert.equal(ca.publicKey.asymmetricKeyType, 'ec');
  assert.equal(ca.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  const years = (Date.parse(ca.validTo) - Date.now()) / (365.25 * 24 * 3600 * 1000);
  assert.ok(years > 9.9 && years <= 10.01, `CA valid for ${years} years`);
});

test('the server certificate is signed by the CA and names the API server', () => {
  const ca = new X509Certificate(certs.caCert);
  const server = new X509Certificate(certs.serverCert);
  assert.equal(server.ca, false);
  assert.ok(server.checkIssued(ca));
  assert.ok(server.verify(ca.publicKey));
  const san = server.subjectAltName?.split(', ') ?? [];
  for (const name of ['IP Address:127.0.0.1', 'IP Address:10.96.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default.svc.cluster.local']) {
    assert.ok(san.includes(name), `SAN ${server.subjectAltName} lacks ${name}`);
  }
  assert.ok(server.checkPrivateKey(createPrivateKey(certs.serverKey)));
});

async function handshake(c: ClusterCertificates, trusted: string, servername?: string): Promise<PeerCertificate> {
  const server = createServer({ cert: c.serverCert, key: c.serverKey }, (_req, res) => res.end('ok'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<PeerCertificate>((resolve, reject) => {
      const sock = connect({ host: '127.0.0.1', port, ca: trusted, ...(servername ? { servername } : {}) }, () => {
        const peer = sock.getPeerCertificate();
        sock.end();
        resolve(peer);
      });
      sock.once('error', reject);
    });
  } finally {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}

test('Node tls accepts the chain: an https server with the server certificate, a client trusting only the CA', async () => {
  const peer = await handshake(certs, certs.caCert);
  assert.match(peer.subjectaltname ?? '', /IP Address:127\.0\.0\.1/);
  assert.equal(peer.issuer.CN, 'skiff-ca');
});

test('the in-cluster name kubernetes.default.svc.cluster.local verifies too', async () => {
  await handshake(certs, certs.caCert, 'kubernetes.default.svc.cluster.local');
});

test('another cluster\'s CA does not verify this server (each cluster has its own CA)', async () => {
  const other = await generateClusterCertificates();
  await assert.rejects(handshake(certs, other.caCert), /certificate/i);
});
