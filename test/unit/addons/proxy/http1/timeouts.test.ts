import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import net, { type AddressInfo, type Socket } from 'node:net';
import { ClientConnection, type ClientLimits, type ClientRequest } from '../../../../../src/addons/proxy/http1/client-connection.js';
import { UpstreamConnections, type UpstreamConnection, type UpstreamEvents } from '../../../../../src/addons/proxy/http1/upstream-connections.js';
import { ENVOY_DIALECT } from '../../../../../src/addons/istio/gateway/envoy.js';
import { connectClient, get } from './raw.js';

// The engine's inactivity timeouts, which it leaves armed across requests rather than setting
// them again for each: a client connection closes after its keep-alive time idle but never while
// its request is with the upstream, and a cached upstream connection closes after the cache's
// idle time whether the exchange's read timeout before it was shorter or longer.

const T = { timeout: 20_000 };
const LIMITS: ClientLimits = { headerTimeoutMs: 150, keepAliveTimeoutMs: 150, bodyTimeoutMs: 150, maxHeadBytes: 8192, keepAliveRequests: 100 };

async function listen(t: TestContext, onSocket: (s: Socket) => void): Promise<number> {
  const server = net.createServer(onSocket);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as AddressInfo).port;
}

const answer = (req: ClientRequest) => req.respond({ status: 200, headers: {}, body: 'ok' });

test('a request answered after longer than every client timeout is not cut; the idle connection then closes', T, async (t) => {
  const port = await listen(t, (s) => {
    // The answer comes after three keep-alive periods of silence on the client's side.
    new ClientConnection(s, false, LIMITS, ENVOY_DIALECT, (req) => setTimeout(() => answer(req), 3 * LIMITS.keepAliveTimeoutMs));
  });
  const c = await connectClient(port);
  t.after(() => c.socket.destroy());
  for (let i = 0; i < 2; i++) {
    c.socket.write(get('/'));
    const r = await c.response();
    assert.equal(r.status, 200);
    assert.equal(r.body.toString(), 'ok');
  }
  const idleFrom = Date.now();
  await c.closed;
  assert.ok(Date.now() - idleFrom >= LIMITS.keepAliveTimeoutMs - 20, 'closed by the keep-alive timeout, not before');
});

test('keep-alive requests answered at once keep the connection open; idle, it closes', T, async (t) => {
  const port = await listen(t, (s) => new ClientConnection(s, false, LIMITS, ENVOY_DIALECT, answer));
  const c = await connectClient(port);
  t.after(() => c.socket.destroy());
  for (let i = 0; i < 20; i++) {
    c.socket.write(get('/'));
    assert.equal((await c.response()).status, 200);
  }
  await c.closed;
});

/**
 * How long a cached connection lives idle (ms, from its release to its close), to a server that
 * never closes one itself, with the exchange's read timeout before it set as an exchange does.
 */
async function idleLife(t: TestContext, readTimeoutMs: number, idleTimeoutMs: number): Promise<number> {
  const port = await listen(t, (s) => s.on('error', () => undefined));
  const pool = new UpstreamConnections({ idleTimeoutMs, maxIdle: 4, maxRequests: 100 });
  t.after(() => pool.close());
  const events: UpstreamEvents = { data: () => undefined, closed: () => undefined, timeout: () => assert.fail('no exchange is waiting'), drain: () => undefined };
  const conn = await new Promise<UpstreamConnection>((resolve, reject) =>
    pool.acquire('k', { address: '127.0.0.1', port, https: false, connectTimeoutMs: 5000 }, events, (a) => ('error' in a ? reject(a.error) : resolve(a.conn))),
  );
  const closed = new Promise<void>((r) => conn.socket.once('close', () => r()));
  conn.arm(readTimeoutMs);
  pool.release(conn);
  assert.ok(pool.hasIdle('k'));
  const idleFrom = Date.now();
  await closed;
  assert.equal(conn.alive, false);
  assert.equal(pool.hasIdle('k'), false);
  return Date.now() - idleFrom;
}

test('a cached connection closes after the idle timeout, shorter than the last read timeout', T, async (t) => {
  assert.ok((await idleLife(t, 60_000, 100)) >= 80, 'closed by the idle timeout, not before');
});

test('a cached connection outlives a shorter read timeout and closes after the idle timeout', T, async (t) => {
  assert.ok((await idleLife(t, 50, 300)) >= 280, 'kept until the idle timeout');
});
