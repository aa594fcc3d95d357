import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { BackendConnections, requestOverTLS, type BackendRequest } from '../../../src/client/service-dial.js';
import { selfSignedServingCert } from '../../../src/client/self-signed.js';

// The aggregator's requests to an APIService backend: verified against the APIService's CA
// bundle, resuming the TLS session of the connection before, and kept open between requests.

const SERVER_NAME = 'metrics-server.kube-system.svc';

/** The CA of a selfSignedServingCert chain (its second certificate), as an APIService's caBundle. */
function caBundleOf(chain: string): string {
  const certs = chain.match(/-----BEGIN CERTIFICATE-----[^-]+-----END CERTIFICATE-----/g)!;
  return Buffer.from(certs[1]!).toString('base64');
}

async function backend(): Promise<{ server: Server; port: number; caBundle: string; reused: boolean[] }> {
  const { cert, key } = await selfSignedServingCert('metrics-server', [], [SERVER_NAME]);
  const reused: boolean[] = [];
  const server = createServer({ cert, key }, (_req, res) => res.end('ok'));
  server.on('secureConnection', (s: TLSSocket) => reused.push(s.isSessionReused()));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port, caBundle: caBundleOf(cert), reused };
}

async function get(port: number, caBundle: string): Promise<string> {
  const r: BackendRequest = { method: 'GET', path: '/apis/metrics.k8s.io/v1beta1', headers: {}, insecureSkipTLSVerify: false, caBundle, serverName: SERVER_NAME, timeoutMs: 5000 };
  const res = await requestOverTLS(connect(port, '127.0.0.1'), r);
  let text = '';
  for await (const c of res.res) text += c;
  return `${res.statusCode} ${text}`;
}

test('a backend is verified against its CA bundle, and later connections resume the TLS session', async (t) => {
  const b = await backend();
  t.after(() => b.server.close());
  assert.equal(await get(b.port, b.caBundle), '200 ok');
  assert.equal(await get(b.port, b.caBundle), '200 ok');
  assert.deepEqual(b.reused, [false, true]);

  const other = await backend();
  t.after(() => other.server.close());
  await assert.rejects(get(b.port, other.caBundle), /self[- ]signed|unable to verify|certificate/i);
});

test('BackendConnections keeps one connection for requests in turn, and sends a GET again when the backend closed the kept one', async (t) => {
  const { cert, key } = await selfSignedServingCert('metrics-server', [], [SERVER_NAME]);
  const connections: TLSSocket[] = [];
  const served = new Map<TLSSocket, number>();
  const server = createServer({ cert, key }, (req, res) => {
    const s = req.socket as TLSSocket;
    served.set(s, (served.get(s) ?? 0) + 1);
    // The third request on a connection meets it closing, as a backend's idle timeout would close it.
    if (served.get(s) === 3) return void s.destroy();
    res.end(`${connections.indexOf(s)}`);
  });
  server.on('secureConnection', (s: TLSSocket) => connections.push(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  const dialled: string[] = [];
  const pool = new BackendConnections((ep) => {
    dialled.push(`${ep.ip}:${ep.port}`);
    return Promise.resolve(connect(port, '127.0.0.1'));
  });
  t.after(() => {
    pool.close();
    server.close();
  });
  const r: BackendRequest = { method: 'GET', path: '/apis/metrics.k8s.io/v1beta1', headers: {}, insecureSkipTLSVerify: false, caBundle: caBundleOf(cert), serverName: SERVER_NAME, timeoutMs: 5000 };
  const get = async (ip: string) => {
    const res = await pool.request({ ip, port: 443, node: 'n1' }, r);
    let text = '';
    for await (const c of res.res) text += c;
    return `${res.statusCode} ${text}`;
  };
  assert.deepEqual([await get('10.0.0.1'), await get('10.0.0.1')], ['200 0', '200 0']);
  assert.equal(await get('10.0.0.1'), '200 1', 'the closed connection was replaced and the GET sent again');
  assert.equal(await get('10.0.0.2'), '200 2', "a new endpoint of the Service gets connections of its own");
  assert.deepEqual(dialled, ['10.0.0.1:443', '10.0.0.1:443', '10.0.0.2:443']);
});
