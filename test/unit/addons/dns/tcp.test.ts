import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { framed, readTcpMessages, TCP_TIMEOUTS } from '../../../../src/addons/dns/tcp.js';

// Far apart, so that which of the two closed a connection is plain whatever the machine's load.
const TIMEOUTS = { firstQueryMs: 100, idleMs: 1500 };

/** A server echoing each message back framed; resolves to its port and the messages it read. */
async function echo(t: { after(f: () => void): void }): Promise<{ port: number; read: string[] }> {
  const read: string[] = [];
  const srv = net.createServer((sock) => {
    sock.on('error', () => sock.destroy());
    readTcpMessages(sock, (msg) => {
      read.push(msg.toString());
      sock.write(framed(msg));
    }, TIMEOUTS);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => srv.close());
  return { port: (srv.address() as net.AddressInfo).port, read };
}

/** Connects, runs `talk`, and resolves to what the server sent and how long the connection lived. */
function session(port: number, talk: (s: net.Socket) => void): Promise<{ got: Buffer; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const s = net.connect({ host: '127.0.0.1', port }, () => talk(s));
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', reject);
    s.on('close', () => resolve({ got: Buffer.concat(chunks), ms: Date.now() - started }));
  });
}

test("miekg/dns's server timeouts: 2 s for the first query, 8 s between queries", () => {
  assert.deepEqual(TCP_TIMEOUTS, { firstQueryMs: 2000, idleMs: 8000 });
});

test('messages split across reads and several in one read are each read once, in order', async (t) => {
  // How the kernel cuts a stream into reads is not the test's to choose: the reads are handed over as they would come.
  const sock = new net.Socket();
  const split: string[] = [];
  readTcpMessages(sock, (msg) => split.push(msg.toString()), TIMEOUTS);
  const a = framed(Buffer.from('first'));
  const both = Buffer.concat([framed(Buffer.from('second')), framed(Buffer.from('third'))]);
  for (const chunk of [a.subarray(0, 1), Buffer.concat([a.subarray(1), both.subarray(0, 5)]), both.subarray(5)]) sock.emit('data', chunk);
  sock.destroy();
  assert.deepEqual(split, ['first', 'second', 'third']);
  // And over a real connection, each answered in turn.
  const { port, read } = await echo(t);
  const { got } = await session(port, (s) => s.end(Buffer.concat([a, both])));
  assert.deepEqual(read, ['first', 'second', 'third']);
  assert.deepEqual(got, Buffer.concat([a, both]));
});

test('a client that sends nothing is let go after the first-query timeout; one that goes quiet, after the idle timeout', async (t) => {
  const { port } = await echo(t);
  const silent = await session(port, () => undefined);
  assert.equal(silent.got.length, 0);
  assert.ok(silent.ms >= TIMEOUTS.firstQueryMs && silent.ms < TIMEOUTS.idleMs, `closed after ${silent.ms} ms`);
  const quiet = await session(port, (s) => s.write(framed(Buffer.from('one'))));
  assert.deepEqual(quiet.got, framed(Buffer.from('one')));
  assert.ok(quiet.ms >= TIMEOUTS.idleMs, `closed after ${quiet.ms} ms`);
});
