import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import tls from 'node:tls';
import { readClientHello } from '../../../../../src/addons/istio/gateway/client-hello.js';

// The server name read from real ClientHellos, as Node's TLS client sends them, however the
// bytes arrive.

/** The first bytes a TLS client sends to a server that never answers: its ClientHello. */
async function clientHello(options: tls.ConnectionOptions): Promise<Buffer> {
  let received = Buffer.alloc(0);
  const server = net.createServer((s) => s.on('data', (d: Buffer) => (received = Buffer.concat([received, d]))));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as net.AddressInfo).port;
  const client = tls.connect({ host: '127.0.0.1', port, rejectUnauthorized: false, ...options });
  client.on('error', () => undefined);
  for (let waited = 0; received.length < 5 || received.length < 5 + received.readUInt16BE(3); waited += 5) {
    if (waited > 5000) throw new Error('no ClientHello came within 5 s');
    await new Promise((r) => setTimeout(r, 5));
  }
  client.destroy();
  server.close();
  return received;
}

test('the server name of a whole ClientHello, lowercased; none when the client sent no SNI', async () => {
  assert.deepEqual(readClientHello(await clientHello({ servername: 'HTTPBIN.Example.com' })), { kind: 'hello', servername: 'httpbin.example.com' });
  // Node sends no server_name to an address.
  assert.deepEqual(readClientHello(await clientHello({})), { kind: 'hello' });
});

test('every prefix of a ClientHello asks for more; the whole one answers', async () => {
  const hello = await clientHello({ servername: 'a.example' });
  for (let n = 0; n < hello.length; n++) assert.deepEqual(readClientHello(hello.subarray(0, n)), { kind: 'more' }, `${n} of ${hello.length} bytes`);
  assert.deepEqual(readClientHello(hello), { kind: 'hello', servername: 'a.example' });
});

test('a ClientHello split across two TLS records is joined', async () => {
  const hello = await clientHello({ servername: 'split.example' });
  const message = hello.subarray(5);
  const record = (fragment: Buffer) => Buffer.concat([Buffer.from([22, 3, 1, fragment.length >> 8, fragment.length & 255]), fragment]);
  // The handshake header itself split after 2 bytes, and after 100.
  for (const at of [2, 100]) {
    const two = Buffer.concat([record(message.subarray(0, at)), record(message.subarray(at))]);
    assert.deepEqual(readClientHello(two.subarray(0, two.length - 1)), { kind: 'more' });
    assert.deepEqual(readClientHello(two), { kind: 'hello', servername: 'split.example' });
  }
});

test('bytes that are not a ClientHello', async () => {
  assert.deepEqual(readClientHello(Buffer.from('GET / HTTP/1.1\r\nHost: a\r\n\r\n')), { kind: 'not-tls' });
  const hello = await clientHello({ servername: 'a.example' });
  // A handshake record holding another message (a ServerHello's type).
  const other = Buffer.from(hello);
  other[5] = 2;
  assert.deepEqual(readClientHello(other), { kind: 'not-tls' });
  // An extensions length that runs past the message.
  const cut = Buffer.from(hello);
  const body = 5 + 4;
  const sessionId = cut[body + 34]!;
  const suites = cut.readUInt16BE(body + 35 + sessionId);
  const compression = cut[body + 37 + sessionId + suites]!;
  cut.writeUInt16BE(0xffff, body + 38 + sessionId + suites + compression);
  assert.deepEqual(readClientHello(cut), { kind: 'not-tls' });
});
