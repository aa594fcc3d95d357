// The pods' path to the API server. The API server listens on the host's loopback, which no
// node or pod namespace can reach; it also serves the same HTTPS handler on a unix socket in the
// cluster directory (a path crosses network namespaces). Each node agent, running inside its
// node namespace, listens on <nodeAddress>:6443 and pipes every connection to that socket as
// plain bytes: TLS runs end to end between the pod and the API server, so the certificate
// (which names 10.96.0.1 and kubernetes.default.svc) is checked against the real server.
// The `kubernetes` Service's endpoint names node 1's relay, which every pod can route to.
import { connect, createServer, type Server, type Socket } from 'node:net';
import { API_RELAY_PORT } from '../../cluster/constants.js';
import type { Logger } from '../../log.js';

export interface ApiRelayOptions {
  /** Address to listen on inside the node namespace (the node's address). */
  host: string;
  port?: number;
  /** The API server's HTTPS unix socket. */
  socketPath: string;
  log?: Logger;
}

/** Joins two streams both ways, passing half-closes on and tearing both down on an error. */
export function splice(a: Socket, b: Socket): void {
  a.pipe(b);
  b.pipe(a);
  const destroy = () => {
    a.destroy();
    b.destroy();
  };
  a.on('error', destroy);
  b.on('error', destroy);
  a.on('close', () => b.destroy());
  b.on('close', () => a.destroy());
}

export class ApiRelay {
  private server?: Server;
  private closed = false;
  private starting = false;
  private retry?: NodeJS.Timeout;
  private readonly conns = new Set<Socket>();
  private readonly log: Logger;

  constructor(private readonly o: ApiRelayOptions) {
    this.log = o.log ?? (() => {});
  }

  get address(): string {
    return `${this.o.host}:${this.o.port ?? API_RELAY_PORT}`;
  }

  /**
   * Listens, and keeps trying in the background while the address is unavailable (a previous
   * agent still holding it): the rest of the agent need not wait for the relay.
   */
  start(retryMs = 1000): void {
    if (this.starting || this.retry || this.server || this.closed) return;
    this.starting = true;
    this.listen().then(() => (this.starting = false), (e: Error) => {
      this.starting = false;
      if (this.closed) return;
      this.log('error', 'starting the API relay', { error: e.message, retryInMs: retryMs });
      this.retry = setTimeout(() => {
        this.retry = undefined;
        this.start(Math.min(retryMs * 2, 30_000));
      }, retryMs);
    });
  }

  async listen(): Promise<void> {
    const server = createServer({ allowHalfOpen: true }, (client) => this.relay(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e) => reject(new Error(`listening on ${this.address} to relay the API server: ${e.message}`)));
      server.listen(this.o.port ?? API_RELAY_PORT, this.o.host, () => {
        server.removeAllListeners('error');
        server.on('error', (e) => this.log('error', 'API relay', { address: this.address, error: e.message }));
        resolve();
      });
    });
    if (this.closed) {
      server.close();
      return;
    }
    this.server = server;
  }

  private relay(client: Socket): void {
    const upstream = connect({ path: this.o.socketPath, allowHalfOpen: true });
    this.conns.add(client);
    client.once('close', () => this.conns.delete(client));
    upstream.once('error', (e) => {
      // Usually the control plane restarting: the client sees its connection close and retries.
      this.log('error', 'relaying a connection to the API server', { from: `${client.remoteAddress}:${client.remotePort}`, socket: this.o.socketPath, error: e.message });
    });
    splice(client, upstream);
  }

  /** Stops accepting and closes the relayed connections (clients reconnect to the next agent). */
  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    const closed = new Promise<void>((r) => server.close(() => r()));
    for (const c of this.conns) c.destroy();
    await closed;
  }
}
