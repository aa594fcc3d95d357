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
  /** While idle: since when, and for how long the cache keeps it. */
  private idleSince = 0;
  private idleTimeoutMs = 0;
  /** The socket's inactivity timeout as last set (Node replaces its timer on every setTimeout, even to the same value). */
  private timeoutMs = 0;
  private error: (Error & { code?: string }) | undefined;
  private gone = false;

  constructor(
    readonly socket: Socket,
    readonly key: string,
    private readonly pool: UpstreamConnections,
  ) {
    // A plain socket reads into READ_BUFFER (acquire) and hands the bytes to received().
    if (socket instanceof tls.TLSSocket) socket.on('data', (d: Buffer) => this.received(d));
    socket.on('error', (e: Error) => {
      this.error = e;
    });
    socket.on('end', () => this.lost());
    socket.on('close', () => this.lost());
    socket.on('timeout', () => {
      if (this.events) return this.events.timeout();
      // Idle under an exchange's longer timeout (idle()): closed once idle for the cache's time.
      const left = this.idleTimeoutMs - (Date.now() - this.idleSince);
      if (left > 0) {
        this.timeoutMs = left;
        socket.setTimeout(left);
      } else socket.destroy();
    });
    socket.on('drain', () => this.events?.drain());
  }

  received(d: Buffer): void {
    if (this.events) this.events.data(d);
    else this.socket.destroy(); // bytes nobody asked for: the connection cannot be trusted any more
  }

  /** An exchange's timeout: the longest silence from the endpoint. */
  arm(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  /**
   * Back in the cache, closed after `timeoutMs` without use. A timer at most that long is left
   * as the last exchange set it (the 'timeout' handler then waits out the rest), so a connection
   * reused at once costs no timer of its own.
   */
  idle(timeoutMs: number): void {
    this.idleSince = Date.now();
    this.idleTimeoutMs = timeoutMs;
    if (this.timeoutMs === 0 || this.timeoutMs > timeoutMs) this.arm(timeoutMs);
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
  /** With `https`: how to verify the endpoint and present the client (absent: no verification, as ingress-nginx's proxy_ssl_verify off). */
  tls?: tls.ConnectionOptions;
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
    let conn: UpstreamConnection | undefined;
    // Plain sockets read into one buffer and the bytes of each read are copied out at once: a
    // read then skips the stream machinery (its push, 'data' event and a scheduled tick), which
    // cost more than the copy.
    const onread = {
      buffer: READ_BUFFER,
      callback: (n: number, b: Uint8Array): boolean => {
        const d = Buffer.from(b.subarray(0, n));
        if (conn) conn.received(d);
        else socket.destroy(); // an answer before any request
        return true; // backpressure pauses the socket itself (UpstreamExchange)
      },
    };
    const socket = t.https
      ? tls.connect({ rejectUnauthorized: false, ...t.tls, host: t.address, port: t.port })
      : net.connect({ host: t.address, port: t.port, noDelay: true, onread });
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
      conn = new UpstreamConnection(socket, key, this);
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
    conn.idle(this.opts.idleTimeoutMs);
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

/** Where every plain upstream socket reads; a read is copied out before the next one can happen. */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);

function noop(): void {}
