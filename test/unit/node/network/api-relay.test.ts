import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiRelay } from '../../../../src/node/network/api-relay.js';

// The relay is a byte pipe from a TCP port to a unix socket: data both ways, half-closes passed
// on, and close() ends relayed connections.

const dir = mkdtempSync(join(tmpdir(), 'skiff-relay-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function read(s: Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (data += d));
    s.on('end', () => resolve(data));
    s.on('error', reject);
  });
}

test('bytes flow both ways and a half-close reaches the other side', async () => {
  const path = join(dir, 'upstream.sock');
  // Upstream: reads everything until the client's FIN, then answers and closes.
  const upstream = createServer({ allowHalfOpen: true }, (s) => {
    void read(s).then((got) => s.end(`got ${got.length} bytes: ${got.slice(0, 5)}`));
  });
  await new Promise<void>((r) => upstream.listen(path, r));
  const relay = new ApiRelay({ host: '127.0.0.1', port: 0, socketPath: path });
  await relay.listen();
  const port = (relay as unknown as { server: { address(): { port: number } } }).server.address().port;

  const client = connect({ host: '127.0.0.1', port, allowHalfOpen: true });
  const answer = read(client);
  client.end('hello'.repeat(100_000));
  assert.equal(await answer, 'got 500000 bytes: hello');

  await relay.close();
  await new Promise<void>((r) => upstream.close(() => r()));
});

test('a relay whose upstream is gone closes the client connection; close() ends live ones', async () => {
  const relay = new ApiRelay({ host: '127.0.0.1', port: 0, socketPath: join(dir, 'missing.sock') });
  const errors: string[] = [];
  (relay as unknown as { log: (l: string, m: string) => void }).log = (_l, m) => errors.push(m);
  await relay.listen();
  const port = (relay as unknown as { server: { address(): { port: number } } }).server.address().port;
  const client = connect({ host: '127.0.0.1', port });
  await new Promise<void>((r) => client.on('close', () => r()));
  assert.deepEqual(errors, ['relaying a connection to the API server']);

  const path = join(dir, 'silent.sock');
  const accepted: Socket[] = [];
  const silent = createServer((s) => accepted.push(s));
  await new Promise<void>((r) => silent.listen(path, r));
  const relay2 = new ApiRelay({ host: '127.0.0.1', port: 0, socketPath: path });
  await relay2.listen();
  const port2 = (relay2 as unknown as { server: { address(): { port: number } } }).server.address().port;
  const live = connect({ host: '127.0.0.1', port: port2 });
  await new Promise<void>((r) => live.on('connect', () => r()));
  // Wait until the relay has accepted it (its set of connections is not empty).
  const conns = (relay2 as unknown as { conns: Set<Socket> }).conns;
  while (conns.size === 0) await new Promise((r) => setImmediate(r));
  const closed = new Promise<void>((r) => live.on('close', () => r()));
  live.on('error', () => {});
  await relay2.close();
  await closed;
  await relay.close();
  for (const s of accepted) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});
