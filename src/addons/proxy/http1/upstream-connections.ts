import net, { type Socket } from 'node:net';
import tls from 'node:tls';

// Keep-alive connections to endpoints, as nginx's upstream `keepalive` cache: idle connections
// are kept per endpoint (newest first), closed after the idle timeout or when the endpoint
// closes them, and a connection serves at most keepalive_requests requests.

export interface UpstreamEvents {
  data(chunk: Buffer): void;
  /** The endpoint closed its side, or the connection broke. */
  closed(err: (Error & { code?: string }) | undefined): void;
  timeout(): void;
  drain(): void;
}

export class UpstreamConnection {
  /** Requests this connection has carried, the current one included. */
  requests = 0;
  /** Set while an exchange owns the connection; idle otherwise. */
  events: UpstreamEvents | null = null;
  private error: (Error & { code?: string }) | undefined;
  private gone = false;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: UpstreamConnections,
  ) {
    socket.on('data', (d: Buffer) => {
      if (this.events) this.events.data(d);
      else socket.destroy(); // bytes nobody asked for: the connection cannot be trusted any more
    });
    socket.on('error', (e: Error) => {
      this.error = e;
    });
    socket.on('end', () => this.lost());
    socket.on('close', () => this.lost());
    socket.on('timeout', () => {
      if (this.events) this.events.timeout();
      else socket.destroy();
    });
    socket.on('drain', () => this.events?.drain());
  }

  get alive(): boolean {
    return !this.gone;
  }

  private lost(): void {
    if (this.gone) return;
    this.gone = true;
    this.pool.forget(this);
    const ev = this.events;
    this.events = null;
    if (!this.socket.destroyed) this.socket.destroy();
    ev?.closed(this.error);
  }
}

export interface ConnectTarget {
  address: string;
  port: number;
  https: boolean;
  connectTimeoutMs: number;
}

export interface PoolOptions {
  /** keepalive_timeout of the upstream block. */
  idleTimeoutMs: number;
  /** upstream-keepalive-connections: idle connections kept per endpoint. */
  maxIdle: number;
  /** upstream-keepalive-requests. */
  maxRequests: number;
}

export type Acquired = { conn: UpstreamConnection; reused: boolean } | { error: Error & { code?: string } };

export class UpstreamConnections {
  private readonly idle = new Map<string, UpstreamConnection[]>();

  constructor(private readonly opts: PoolOptions) {}

  /** New limits for the connections from now on (a cluster's policy changed). */
  configure(opts: Partial<PoolOptions>): void {
    Object.assign(this.opts, opts);
  }

  /** An idle connection to the endpoint, or a new one once it is connected. Returns a cancel function. */
  acquire(key: string, t: ConnectTarget, events: UpstreamEvents, done: (a: Acquired) => void): () => void {
    const list = this.idle.get(key);
    while (list && list.length > 0) {
      const conn = list.pop()!;
      if (!conn.alive || conn.socket.destroyed) continue;
      conn.events = events;
      conn.requests++;
      done({ conn, reused: true });
      return noop;
    }
    const socket = t.https
      ? tls.connect({ host: t.address, port: t.port, rejectUnauthorized: false })
      : net.connect({ host: t.address, port: t.port, noDelay: true });
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      socket.destroy();
      done({ error: Object.assign(new Error(`connect timed out after ${t.connectTimeoutMs} ms`), { code: 'ETIMEDOUT' }) });
    }, t.connectTimeoutMs);
    const fail = (e: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      done({ error: e });
    };
    socket.once('error', fail);
    socket.once(t.https ? 'secureConnect' : 'connect', () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.off('error', fail);
      if (t.https) socket.setNoDelay(true);
      const conn = new UpstreamConnection(socket, key, this);
      conn.events = events;
      conn.requests = 1;
      done({ conn, reused: false });
    });
    return () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
    };
  }

  /** Whether an idle connection to the endpoint is at hand (a circuit breaker decides on it before asking). */
  hasIdle(key: string): boolean {
    return this.idle.get(key)?.some((c) => c.alive && !c.socket.destroyed) ?? false;
  }

  /** Back to the cache after a complete exchange, or closed when the cache is full or the connection is spent. */
  release(conn: UpstreamConnection): void {
    conn.events = null;
    if (!conn.alive || conn.requests >= this.opts.maxRequests) {
      conn.socket.destroy();
      return;
    }
    let list = this.idle.get(conn.key);
    if (!list) {
      list = [];
      this.idle.set(conn.key, list);
    }
    if (list.length >= this.opts.maxIdle) list.shift()!.socket.destroy();
    conn.socket.setTimeout(this.opts.idleTimeoutMs);
    list.push(conn);
  }

  forget(conn: UpstreamConnection): void {
    const list = this.idle.get(conn.key);
    if (!list) return;
    const i = list.indexOf(conn);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0 && this.idle.get(conn.key) === list) this.idle.delete(conn.key);
  }

  /** Closes the idle connections of endpoints no longer in use (busy ones finish their exchange first). */
  retain(keys: Set<string>): void {
    for (const [key, list] of this.idle) {
      if (keys.has(key)) continue;
      this.idle.delete(key);
      for (const c of list) c.socket.destroy();
    }
  }

  close(): void {
    for (const list of this.idle.values()) for (const c of list) c.socket.destroy();
    this.idle.clear();
  }
}

function noop(): void {}
