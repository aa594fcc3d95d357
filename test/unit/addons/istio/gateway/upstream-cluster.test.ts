import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import type { Cluster } from '../../../../../src/addons/istio/config/types.js';
import type { Endpoint } from '../../../../../src/addons/proxy/endpoints.js';
import type { UpstreamConnection, UpstreamEvents } from '../../../../../src/addons/proxy/http1/upstream-connections.js';
import { UpstreamCluster, type ClusterAcquired } from '../../../../../src/addons/istio/gateway/upstream-cluster.js';

// The circuit breakers against a real listener: connections are counted as the server accepts them.

const events = (): UpstreamEvents => ({ data: () => undefined, closed: () => undefined, timeout: () => undefined, drain: () => undefined });

async function server(t: { after(f: () => void): void }): Promise<{ ep: Endpoint; accepted: () => number }> {
  let accepted = 0;
  const sockets: net.Socket[] = [];
  const srv = net.createServer((s) => {
    accepted++;
    sockets.push(s);
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    srv.close();
  });
  const port = (srv.address() as net.AddressInfo).port;
  return { ep: { address: '127.0.0.1', port, key: `127.0.0.1:${port}` }, accepted: () => accepted };
}

function acquire(c: UpstreamCluster, ep: Endpoint): { result: Promise<ClusterAcquired>; cancel: () => void } {
  let cancel = () => undefined as void;
  const result = new Promise<ClusterAcquired>((resolve) => {
    cancel = c.acquire(ep, events(), resolve);
  });
  return { result, cancel };
}

const spec = (ep: Endpoint, pool: Cluster['pool']): Cluster => ({ endpoints: [ep], lb: 'ROUND_ROBIN', ...(pool ? { pool } : {}) });
const conn = (a: ClusterAcquired): UpstreamConnection => {
  assert.ok('conn' in a, JSON.stringify(a));
  return a.conn;
};

test('maxConnections 1 + http1MaxPendingRequests 1: one request connected, one pending, the third overflows; the pending one takes the freed connection', async (t) => {
  const { ep, accepted } = await server(t);
  const c = new UpstreamCluster(spec(ep, { maxConnections: 1, maxPendingRequests: 1 }));
  t.after(() => c.close());
  const first = conn(await acquire(c, ep).result);
  const second = acquire(c, ep);
  assert.deepEqual(await acquire(c, ep).result, { overflow: true });
  // The first exchange completes: its connection goes back to the pool, the pending request gets it.
  (c as unknown as { pool: { release(x: UpstreamConnection): void } }).pool.release(first);
  c.release();
  const got = conn(await second.result);
  assert.equal(got, first);
  assert.equal(accepted(), 1);
});

test('without limits every concurrent request gets its own connection', async (t) => {
  const { ep } = await server(t);
  const c = new UpstreamCluster(spec(ep, undefined));
  t.after(() => c.close());
  const all = await Promise.all([1, 2, 3, 4].map(() => acquire(c, ep).result));
  assert.equal(new Set(all.map(conn)).size, 4);
});

test('http2MaxRequests caps the requests in flight even with connections to spare', async (t) => {
  const { ep } = await server(t);
  const c = new UpstreamCluster(spec(ep, { maxRequests: 2 }));
  t.after(() => c.close());
  conn(await acquire(c, ep).result);
  conn(await acquire(c, ep).result);
  assert.deepEqual(await acquire(c, ep).result, { overflow: true });
  c.release();
  conn(await acquire(c, ep).result);
});

test('a pending request that gives up leaves the queue (room for another); a closed connection lets the next one open', async (t) => {
  const { ep, accepted } = await server(t);
  const c = new UpstreamCluster(spec(ep, { maxConnections: 1, maxPendingRequests: 1 }));
  t.after(() => c.close());
  const first = conn(await acquire(c, ep).result);
  const waiting = acquire(c, ep);
  waiting.cancel();
  const next = acquire(c, ep);
  // The first exchange broke: its connection closes instead of going back.
  first.socket.destroy();
  c.release();
  const got = conn(await next.result);
  assert.notEqual(got, first);
  assert.equal(accepted(), 2);
});

test("ORIGINAL_DST: a destination unused for a cleanup interval is dropped with its connections; one in use or asked for again stays", async (t) => {
  const { ep, accepted } = await server(t);
  const passthrough = new UpstreamCluster({ endpoints: [], lb: 'PASSTHROUGH', originalDst: true });
  t.after(() => passthrough.close());
  const dialled = (port: number) => ({ localAddress: '::ffff:127.0.0.1', localPort: port }) as net.Socket;
  const busy = passthrough.forOriginalDst(dialled(ep.port), true);
  assert.deepEqual(busy.spec.endpoints, [ep]);
  const idle = passthrough.forOriginalDst(dialled(1), true);
  const held = conn(await acquire(busy, ep).result);
  assert.equal(accepted(), 1);

  passthrough.removeStaleOriginals(); // both were asked for in this interval
  assert.equal(passthrough.forOriginalDst(dialled(1), true), idle, 'asked for again: kept');
  passthrough.removeStaleOriginals();
  passthrough.removeStaleOriginals();
  assert.notEqual(passthrough.forOriginalDst(dialled(1), true), idle, 'unused for an interval: dropped, a new one made when asked for');
  assert.equal(passthrough.forOriginalDst(dialled(ep.port), true), busy, 'holding a request: kept');
  held.socket.destroy();
});
