// The publisher and its forwarder as real processes and sockets, without namespaces: the
// "node address" is 127.0.0.3, where the test's backend listens on the node port.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { KObject } from '../../../../../src/api/types.js';
import type { EventHandler, InformerLike } from '../../../../../src/client/informer.js';
import { HostPortPublisher, REASON_LB_ENSURED, REASON_LB_FAILED, REASON_NODE_PORT_FAILED } from '../../../../../src/node/network/host-ports/publisher.js';
import type { HostPortService } from '../../../../../src/node/network/host-ports/wanted.js';

const FORWARDER = fileURLToPath(new URL('../../../../../src/node/network/host-ports/forwarder.js', import.meta.url));
const NODE = '127.0.0.3';

class FakeInformer implements InformerLike {
  objs = new Map<string, KObject>();
  handlers: EventHandler[] = [];
  addHandler(h: EventHandler): void {
    this.handlers.push(h);
  }
  start(): void {}
  async stop(): Promise<void> {}
  async waitForSync(): Promise<void> {}
  list(): KObject[] {
    return [...this.objs.values()];
  }
  get(ns: string | undefined, name: string): KObject | undefined {
    return this.objs.get(`${ns}/${name}`);
  }
  set(s: HostPortService): void {
    const o = s as unknown as KObject;
    this.objs.set(`${s.metadata.namespace}/${s.metadata.name}`, o);
    for (const h of this.handlers) h.update?.(o, o);
  }
  remove(ns: string, name: string): void {
    const o = this.objs.get(`${ns}/${name}`)!;
    this.objs.delete(`${ns}/${name}`);
    for (const h of this.handlers) h.delete?.(o);
  }
}

interface Recorded {
  name: string;
  type: string;
  reason: string;
  message: string;
}

function listen(host: string, port: number, onConn: (s: Socket) => void): Promise<Server> {
  const srv = createServer({ allowHalfOpen: true }, onConn);
  return new Promise((res, rej) => {
    srv.once('error', rej);
    srv.listen({ host, port }, () => res(srv));
  });
}

/** A port free on both 127.0.0.1 (where the publisher binds) and the fake node address. */
async function portPair(): Promise<number> {
  for (;;) {
    const a = await listen(NODE, 0, () => {});
    const port = (a.address() as { port: number }).port;
    a.close();
    const free = await listen('127.0.0.1', port, () => {}).then(
      (s) => (s.close(), true),
      () => false,
    );
    if (free) return port;
  }
}

/** An echo backend that answers after the client's FIN, then closes: needs half-close through the hop. */
async function echoAfterEnd(port: number, tag: string): Promise<Server> {
  return listen(NODE, port, (s) => {
    const chunks: Buffer[] = [];
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => s.end(Buffer.concat([Buffer.from(`${tag}:`), ...chunks])));
    s.on('error', () => {});
  });
}

function request(host: string, port: number, body: Buffer | string): Promise<Buffer> {
  return new Promise((res, rej) => {
    const c = connect({ host, port, allowHalfOpen: true });
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.on('end', () => {
      c.end();
      res(Buffer.concat(chunks));
    });
    c.on('error', rej);
    c.end(body);
  });
}

function refused(host: string, port: number): Promise<boolean> {
  return new Promise((res) => {
    const c = connect({ host, port });
    c.on('connect', () => (c.destroy(), res(false)));
    c.on('error', (e: NodeJS.ErrnoException) => res(e.code === 'ECONNREFUSED'));
  });
}

function nodePortService(name: string, nodePort: number, uid = `uid-${name}`): HostPortService {
  return { metadata: { namespace: 'default', name, uid, creationTimestamp: '2026-01-01T00:00:00Z' }, spec: { type: 'NodePort', clusterIP: '10.96.0.10', ports: [{ port: 80, nodePort }] } };
}

const children: ChildProcess[] = [];
const servers: Server[] = [];
after(() => {
  for (const c of children) c.kill('SIGKILL');
  for (const s of servers) s.close();
});

function setup(opts: { publishAddress?: string; client?: unknown } = {}) {
  const informer = new FakeInformer();
  const events: Recorded[] = [];
  const forwarders: ChildProcess[] = [];
  const publisher = new HostPortPublisher({
    client: (opts.client ?? {}) as never,
    nodeAddress: NODE,
    publishAddress: opts.publishAddress,
    informer,
    recorder: { event: (obj, type, reason, message) => events.push({ name: obj.metadata.name!, type, reason, message }) },
    retryMs: 50,
    spawnForwarder: () => {
      const c = spawn(process.execPath, [FORWARDER, '--cluster', 'unit', '--home', '/nonexistent'], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
      children.push(c);
      forwarders.push(c);
      return c;
    },
  });
  return { informer, events, forwarders, publisher };
}

/** Waits for the publisher to settle after a change the informer reported. */
async function settled(p: HostPortPublisher): Promise<void> {
  await new Promise((r) => setImmediate(r));
  await p.idle();
}

test('a NodePort is published, forwards with half-close and backpressure, and closes with its Service', { timeout: 30_000 }, async () => {
  const { informer, publisher, forwarders } = setup();
  await publisher.start();
  const port = await portPair();
  servers.push(await echoAfterEnd(port, 'np'));
  informer.set(nodePortService('echo', port));
  await settled(publisher);
  assert.deepEqual(publisher.published().map((l) => l.key), [`127.0.0.1:${port}`]);

  assert.equal((await request('127.0.0.1', port, 'hello')).toString(), 'np:hello');
  // 16 MiB both ways: the backend only answers after reading everything, so any lost or
  // reordered byte, or a FIN not passed on, shows.
  const big = Buffer.alloc(16 * 1024 * 1024);
  for (let i = 0; i < big.length; i += 4) big.writeUInt32LE(i, i);
  const back = await request('127.0.0.1', port, big);
  assert.equal(back.length, big.length + 3);
  assert.ok(back.subarray(3).equals(big));

  informer.remove('default', 'echo');
  await settled(publisher);
  assert.deepEqual(publisher.published(), []);
  assert.equal(await refused('127.0.0.1', port), true);
  await publisher.stop();
  assert.notEqual(forwarders[0]!.exitCode ?? forwarders[0]!.signalCode, null);
});

test('keep-alive: one client connection carries several exchanges through the hop', { timeout: 30_000 }, async () => {
  const { informer, publisher } = setup();
  await publisher.start();
  const port = await portPair();
  // A line echo that keeps the connection open.
  servers.push(await listen(NODE, port, (s) => s.on('data', (d: Buffer) => s.write(d)).on('error', () => {})));
  informer.set(nodePortService('lines', port));
  await settled(publisher);
  const c = connect({ host: '127.0.0.1', port });
  await once(c, 'connect');
  for (const word of ['one', 'two', 'three']) {
    c.write(word);
    const [d] = (await once(c, 'data')) as [Buffer];
    assert.equal(d.toString(), word);
  }
  c.destroy();
  await publisher.stop();
});

test('a port taken on the host becomes a Warning Event, not a crash, and is published once free', { timeout: 30_000 }, async () => {
  const { informer, publisher, events } = setup();
  await publisher.start();
  const port = await portPair();
  servers.push(await echoAfterEnd(port, 'late'));
  const squatter = await listen('127.0.0.1', port, (s) => s.end('squatter'));
  informer.set(nodePortService('busy', port));
  await settled(publisher);
  assert.deepEqual(publisher.published(), []);
  assert.equal(events.length, 1);
  assert.equal(events[0]!.type, 'Warning');
  assert.equal(events[0]!.reason, REASON_NODE_PORT_FAILED);
  assert.match(events[0]!.message, new RegExp(`127\\.0\\.0\\.1:${port}/tcp.*bind: address already in use`));
  assert.match(publisher.unpublishedListeners()[0]!.reason, /address already in use/);

  squatter.close();
  const deadline = Date.now() + 10_000;
  while (publisher.published().length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal((await request('127.0.0.1', port, 'x')).toString(), 'late:x');
  assert.equal(events.length, 1, 'the retry does not repeat the event');
  await publisher.stop();
});

test('LoadBalancers: each answers on its own pool address; on the publish address the older wins', { timeout: 30_000 }, async () => {
  const { informer, publisher, events } = setup({ publishAddress: '127.0.0.4' });
  await publisher.start();
  const [p1, p2] = [await portPair(), await portPair()];
  servers.push(await echoAfterEnd(p1, 'first'), await echoAfterEnd(p2, 'second'));
  // A high LoadBalancer port keeps the test clear of real services on this machine.
  const lbPort = p1 + 1;
  const lb = (name: string, ip: string, nodePort: number, created: string): HostPortService => ({
    metadata: { namespace: 'default', name, uid: `uid-${name}`, creationTimestamp: created },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.11', ports: [{ name: 'web', port: lbPort, nodePort }] },
    status: { loadBalancer: { ingress: [{ ip }] } },
  });
  informer.set(lb('first', '127.0.10.201', p1, '2026-01-01T00:00:00Z'));
  informer.set(lb('second', '127.0.10.202', p2, '2026-01-02T00:00:00Z'));
  await settled(publisher);
  assert.equal((await request('127.0.10.201', lbPort, 'a')).toString(), 'first:a');
  assert.equal((await request('127.0.10.202', lbPort, 'b')).toString(), 'second:b');
  assert.equal((await request('127.0.0.4', lbPort, 'c')).toString(), 'first:c');
  assert.equal((await request('127.0.0.4', p2, 'd')).toString(), 'second:d');
  const warnings = events.filter((e) => e.type === 'Warning');
  assert.deepEqual(warnings.map((e) => `${e.name} ${e.reason}`), [`second ${REASON_LB_FAILED}`]);
  assert.match(warnings[0]!.message, new RegExp(`127\\.0\\.0\\.4:${lbPort} is already published for Service default/first`));
  assert.deepEqual(events.filter((e) => e.type === 'Normal').map((e) => `${e.name} ${e.reason}`), [`first ${REASON_LB_ENSURED}`]);

  // The older one goes: the newer takes over the shared port.
  informer.remove('default', 'first');
  await settled(publisher);
  assert.equal(await refused('127.0.10.201', lbPort), true);
  assert.equal((await request('127.0.0.4', lbPort, 'e')).toString(), 'second:e');
  await publisher.stop();
});

test('a pool address something else on the host holds is given back for another; one the user asked for is kept', { timeout: 30_000 }, async () => {
  const patches: { name: string; sub?: string; body: unknown }[] = [];
  const client = { patch: async (_res: unknown, _ns: string, name: string, _type: string, body: unknown, sub?: string) => (patches.push({ name, sub, body }), {}) };
  const { informer, publisher, events } = setup({ client });
  await publisher.start();
  const port = await portPair();
  const lbPort = port + 1;
  // Another cluster that picked the same address a moment earlier, and listens on it.
  const squatter = await listen('127.0.10.203', lbPort, (s) => s.destroy());
  servers.push(squatter);
  const lb = (name: string, loadBalancerIP?: string): HostPortService => ({
    metadata: { namespace: 'default', name, uid: `uid-${name}`, resourceVersion: '7', creationTimestamp: '2026-01-01T00:00:00Z' },
    spec: { type: 'LoadBalancer', clusterIP: '10.96.0.12', ports: [{ port: lbPort, nodePort: port }], loadBalancerIP },
    status: { loadBalancer: { ingress: [{ ip: '127.0.10.203' }] } },
  });
  informer.set(lb('raced'));
  await settled(publisher);
  assert.deepEqual(patches, [{ name: 'raced', sub: 'status', body: { metadata: { uid: 'uid-raced', resourceVersion: '7' }, status: { loadBalancer: { ingress: null } } } }]);
  assert.deepEqual(events.map((e) => `${e.name} ${e.reason}`), [`raced ${REASON_LB_FAILED}`]);

  informer.remove('default', 'raced');
  informer.set(lb('asked', '127.0.10.203'));
  await settled(publisher);
  assert.equal(patches.length, 1, 'spec.loadBalancerIP is the user\'s: reported, not replaced');
  await publisher.stop();
});

test('a forwarder that dies is started again and gets every listener back', { timeout: 30_000 }, async () => {
  const { informer, publisher, forwarders } = setup();
  await publisher.start();
  const port = await portPair();
  servers.push(await echoAfterEnd(port, 'again'));
  informer.set(nodePortService('phoenix', port));
  await settled(publisher);
  forwarders[0]!.kill('SIGKILL');
  await once(forwarders[0]!, 'exit');
  const deadline = Date.now() + 10_000;
  while ((forwarders.length < 2 || publisher.published().length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  assert.equal(forwarders.length, 2);
  assert.equal((await request('127.0.0.1', port, 'z')).toString(), 'again:z');
  await publisher.stop();
});
