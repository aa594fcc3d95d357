// The forwarder: a child of the host-port publisher that runs inside node 1's network namespace
// (nsenter --net=…), started as
//   node dist/src/node/network/host-ports/forwarder.js --cluster C --home H
// It is handed listening sockets that were bound in the host namespace and stay there; the
// connections it opens to the Service, though, start in the node namespace, where the node
// address and ClusterIPs are reachable and the proxy's nftables rules apply. One userspace hop,
// no route or sysctl on the host.
import { connect, type Server, type Socket } from 'node:net';

import { log } from '../../../log.js';
import { parseClusterArgs } from './args.js';
import { isToForwarder, type FromForwarder } from './protocol.js';
import { splice } from './splice.js';
import type { Target } from './wanted.js';

/** Dial attempts for one client when the Service refuses, 20, 40, … ms apart (under a second in all). */
const CONNECT_ATTEMPTS = 10;
const RETRY_DELAY_MS = 20;

interface Held {
  server: Server;
  target: Target;
}

export class Forwarder {
  private held = new Map<string, Held>();

  constructor(private readonly reply: (m: FromForwarder) => void) {}

  handle(message: unknown, handle: unknown): void {
    if (!isToForwarder(message)) return;
    switch (message.type) {
      case 'listen':
        return this.listen(message.key, message.target, handle as Server | undefined);
      case 'connection': {
        const sock = handle as Socket | undefined;
        const held = this.held.get(message.key);
        if (!sock) return;
        if (!held) return void sock.destroy();
        // Node makes the object for a received socket with default options.
        sock.allowHalfOpen = true;
        return this.forward(sock, held.target, message.key);
      }
      case 'retarget': {
        const held = this.held.get(message.key);
        if (held) held.target = message.target;
        return;
      }
      case 'close': {
        const held = this.held.get(message.key);
        this.held.delete(message.key);
        // close() releases the listening socket at once; its callback waits for open connections,
        // which are left to finish.
        held?.server.close();
        this.reply({ type: 'closed', id: message.id });
        return;
      }
    }
  }

  /** Number of listeners held, for tests. */
  get size(): number {
    return this.held.size;
  }

  closeAll(): void {
    for (const h of this.held.values()) h.server.close();
    this.held.clear();
  }

  private listen(key: string, target: Target, server: Server | undefined): void {
    if (!server) return;
    this.held.get(key)?.server.close();
    // Node makes the server object for a received handle with default options; these two
    // (undocumented, read by net.Server for every accepted connection) are the ones we need.
    const options = server as Server & { allowHalfOpen: boolean; pauseOnConnect: boolean };
    options.allowHalfOpen = true;
    options.pauseOnConnect = true;
    server.on('connection', (sock: Socket) => {
      const held = this.held.get(key);
      if (!held || held.server !== server) return void sock.destroy();
      this.forward(sock, held.target, key);
    });
    server.on('error', (e) => log('error', 'host port listener failed', { listener: key, error: e.message }));
    this.held.set(key, { server, target });
  }

  private forward(client: Socket, target: Target, key: string, attempt = 0): void {
    if (attempt === 0) client.on('error', () => {}); // a client gone while we dial; splice handles the rest
    const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true });
    const refused = (e: NodeJS.ErrnoException) => {
      // An endpoint that just went away refuses until the proxy's rules drop it (tens of ms).
      // Nothing has been read from the client yet (it is paused), so dialling again through the
      // Service is safe, as upstream's userspace proxy retried other endpoints.
      if (e.code === 'ECONNREFUSED' && attempt < CONNECT_ATTEMPTS - 1 && !client.destroyed) {
        setTimeout(() => this.forward(client, target, key, attempt + 1), RETRY_DELAY_MS * (attempt + 1));
        return;
      }
      log('debug', 'forwarding a host port connection', { listener: key, target: `${target.host}:${target.port}`, error: e.message });
      client.resetAndDestroy();
    };
    upstream.once('error', refused);
    upstream.once('connect', () => {
      upstream.off('error', refused);
      upstream.once('error', (e) => log('debug', 'forwarding a host port connection', { listener: key, target: `${target.host}:${target.port}`, error: e.message }));
      splice(client, upstream);
    });
  }
}

function main(): void {
  parseClusterArgs(process.argv.slice(2), 'skiff host-port forwarder');
  if (!process.send) throw new Error('skiff host-port forwarder: must be started by the publisher with an IPC channel');
  const send = process.send.bind(process);
  const forwarder = new Forwarder((m) => send(m));
  process.on('message', (m, handle) => forwarder.handle(m, handle));
  // The publisher going away (even by SIGKILL) closes the channel: the ports go with it. In
  // place before `ready`, so that a stop right after it is this clean exit.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  process.on('SIGINT', () => process.exit(0));
  send({ type: 'ready' });
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  try {
    main();
  } catch (e) {
    log('error', 'host-port forwarder failed', { error: (e as Error).message });
    process.exit(1);
  }
}
