import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Duplex, PassThrough } from 'node:stream';
import { PortForwardHandler } from '../../../../src/node/kubelet/portforward.js';
import { SpdySession } from '../../../../src/node/kubelet/spdy-session.js';
import { connectError } from '../../../../src/node/kubelet/runtime/exec.js';
import { connection, SpdyTestClient, until } from './spdy-client.js';

/** A fake pod connection the test drives: what the kubelet writes arrives on `toPod`. */
function podConn() {
  const toPod = new PassThrough();
  const fromPod = new PassThrough();
  const conn = Duplex.from({ writable: toPod, readable: fromPod });
  return { conn, toPod, fromPod };
}

function setup(dial: (port: number) => Promise<Duplex>) {
  const { server, toServer, fromServer } = connection();
  const handler = new PortForwardHandler(dial, 'sandbox-1');
  new SpdySession(server, (s) => handler.onStream(s));
  return new SpdyTestClient(toServer, fromServer);
}

/** What kubectl does per local connection: error stream (closed at once), then data stream. */
async function pair(client: SpdyTestClient, port: number, requestID: number) {
  const error = await client.open({ streamtype: 'error', port: String(port), requestid: String(requestID) });
  client.send(error, '', true);
  const data = await client.open({ streamtype: 'data', port: String(port), requestid: String(requestID) });
  return { error, data };
}

test('port-forward: concurrent connections are paired by requestID and copied both ways', async () => {
  const pods: ReturnType<typeof podConn>[] = [];
  const dialed: number[] = [];
  const client = setup(async (port) => {
    dialed.push(port);
    const p = podConn();
    pods.push(p);
    return p.conn;
  });
  // Two connections interleave their streams, as kubectl does when they arrive together.
  const e0 = await client.open({ streamtype: 'error', port: '8080', requestid: '0' });
  const e1 = await client.open({ streamtype: 'error', port: '9090', requestid: '1' });
  const d1 = await client.open({ streamtype: 'data', port: '9090', requestid: '1' });
  const d0 = await client.open({ streamtype: 'data', port: '8080', requestid: '0' });
  await until('both dialed', () => pods.length === 2);
  assert.deepEqual(dialed, [9090, 8080]);
  const [p1, p0] = pods;

  const at = (p: ReturnType<typeof podConn>) => {
    let s = '';
    p.toPod.on('data', (d: Buffer) => (s += d.toString()));
    return () => s;
  };
  const got0 = at(p0);
  const got1 = at(p1);
  client.send(d0, 'GET /zero');
  client.send(d1, 'GET /one');
  await until('requests at the pods', () => got0() === 'GET /zero' && got1() === 'GET /one');

  p0.fromPod.end('zero-answer');
  p1.fromPod.write('one-answer');
  assert.equal(await client.finished(d0), 'zero-answer');
  await client.waitFor('data on 1', () => client.received(d1).data === 'one-answer');
  assert.equal(client.received(d1).fin, false, 'the other connection stays open');

  // kubectl closes its write side, then resets the data stream; the error stream ends empty.
  const toPodEnded = new Promise((r) => p0.toPod.once('end', r));
  client.send(d0, '', true);
  await toPodEnded;
  client.reset(d0);
  assert.equal(await client.finished(e0), '');
  p1.fromPod.end();
  await client.finished(d1);
  client.reset(d1);
  assert.equal(await client.finished(e1), '');
});

test('port-forward: a refused port is reported on the error stream and the data stream ends', async () => {
  const client = setup(async () => {
    const conn = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
    // What the runtime's nc stream does when the connect fails.
    setImmediate(() => conn.destroy(new Error(connectError('/var/run/netns/skiff.c.p.u', 9999, "nc: can't connect to remote host (127.0.0.1): Connection refused\n", 1))));
    return conn;
  });
  const { error, data } = await pair(client, 9999, 0);
  const message = await client.finished(error);
  assert.equal(message, 'error forwarding port 9999 to pod sandbox-1, uid : failed to connect to localhost:9999 inside namespace "/var/run/netns/skiff.c.p.u", IPv4: dial tcp4 127.0.0.1:9999: connect: connection refused');
  assert.equal(await client.finished(data), '');
});

test('port-forward: a dial that throws, and a port that is not a number, are reported', async () => {
  const client = setup(async () => {
    throw new Error('the pod sandbox does not exist');
  });
  const a = await pair(client, 80, 0);
  assert.match(await client.finished(a.error), /^error forwarding port 80 to pod sandbox-1, uid : the pod sandbox does not exist$/);
  const e = await client.open({ streamtype: 'error', port: 'http', requestid: '1' });
  await client.open({ streamtype: 'data', port: 'http', requestid: '1' });
  assert.match(await client.finished(e), /invalid port "http"/);
});

test('port-forward: a reset data stream or a lost session ends the pod connection', async () => {
  const pods: ReturnType<typeof podConn>[] = [];
  const { server, toServer, fromServer } = connection();
  const handler = new PortForwardHandler(async () => {
    const p = podConn();
    pods.push(p);
    return p.conn;
  }, 'sandbox-1');
  new SpdySession(server, (s) => handler.onStream(s));
  const client = new SpdyTestClient(toServer, fromServer);
  const a = await pair(client, 80, 0);
  const b = await pair(client, 80, 1);
  await until('dialed', () => pods.length === 2);
  const aGone = new Promise((r) => pods[0].conn.once('close', r));
  client.reset(a.data);
  await aGone;
  assert.equal(await client.finished(a.error), '');
  const bGone = new Promise((r) => pods[1].conn.once('close', r));
  toServer.end();
  await bGone;
  void b;
});

test('port-forward: a stream of another type is refused with RST_STREAM', async () => {
  const client = setup(async () => podConn().conn);
  const id = await client.open({ streamtype: 'stdin', port: '80', requestid: '0' });
  await client.waitFor('rst', () => client.frames.find((f) => f.type === 'rst_stream' && f.streamId === id));
});

test('connectError words other nc failures plainly', () => {
  assert.equal(connectError('/n', 1, 'nc: bad address\n', 1), 'port-forward to port 1 in namespace "/n": nc: bad address');
  assert.equal(connectError('/n', 1, '', 2), 'port-forward to port 1 in namespace "/n": nc exited with 2');
});
