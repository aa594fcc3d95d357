import type { Socket } from 'node:net';
import type { ConnectionOptions } from 'node:tls';
import type { Endpoint } from '../../proxy/endpoints.js';
import type { ClientRequest } from '../../proxy/http1/client-connection.js';
import { UpstreamConnections, type Acquired, type UpstreamEvents } from '../../proxy/http1/upstream-connections.js';
import { UpstreamExchange, type ExchangeOutcome, type ExchangeSpec } from '../../proxy/http1/upstream-exchange.js';
import type { Cluster, ConnectionPoolPolicy } from '../config/types.js';
import { tlsOptions } from './upstream-tls.js';
import { HashRing } from './consistent-hash.js';
import { OutlierDetector } from './outlier.js';
import { withOriginalDst } from './original-dst.js';

// One cluster's upstream side as Envoy keeps it: its own HTTP/1.1 connection pool (a connection
// carries one request at a time and at most maxRequestsPerConnection of them), its circuit
// breakers, its outlier detector and its ring. A request that finds no idle connection to its
// host waits as a pending request; one that would take the cluster over
// http1MaxPendingRequests, or over http2MaxRequests once it has a connection, overflows. A new
// connection is opened while the cluster has fewer than maxConnections, or when the host has
// none at all (Envoy's pool does, so that a pending request always has a way through).

/** Istio's cluster connectTimeout default. */
export const CONNECT_TIMEOUT_MS = 10_000;
/**
 * Envoy's ORIGINAL_DST cluster cleanup_interval: a destination no request or connection went to
 * for this long is dropped with its idle connections, so a proxy passing traffic to many
 * addresses keeps only those in use.
 */
export const ORIGINAL_DST_CLEANUP_MS = 5_000;
/** Envoy keeps upstream connections until the upstream closes them (idle_timeout 1 h in Istio). */
const IDLE_TIMEOUT_MS = 3_600_000;
const UNLIMITED = Number.MAX_SAFE_INTEGER;

export type ClusterAcquired = Acquired | { overflow: true };

interface Waiter {
  host: Endpoint;
  events: UpstreamEvents;
  done: (a: ClusterAcquired) => void;
  /** Set once the request has left the queue for a connection (being opened or handed over). */
  cancel: (() => void) | undefined;
}

export class UpstreamCluster {
  private readonly pool: UpstreamConnections;
  private poolPolicy: ConnectionPoolPolicy;
  private connections = 0;
  private readonly perHost = new Map<string, number>();
  /** Requests holding a connection. */
  private requests = 0;
  private readonly pending: Waiter[] = [];
  /** Pending requests whose connection is being opened. */
  private connecting = 0;
  outlier: OutlierDetector | undefined;
  nextIndex = 0;
  private ring: { hosts: Endpoint[]; key: string; ring: HashRing } | undefined;
  /** An ORIGINAL_DST cluster's hosts, each the destination some connection was dialled to, with its own pool. */
  private readonly originals = new Map<string, UpstreamCluster>();
  private cleanup: NodeJS.Timeout | undefined;
  /** Whether this cluster (an original destination's) was asked for since the last cleanup. */
  private used = false;
  /** How connections verify and present themselves (the cluster's `tls`), and the suffix that keeps them apart in the pool from those of earlier settings. */
  private tls: ConnectionOptions | undefined;
  private tlsJson = '';
  private tlsSuffix = '';
  private tlsGeneration = 0;

  constructor(public spec: Cluster) {
    this.setTls(spec);
    this.poolPolicy = spec.pool ?? {};
    this.pool = new UpstreamConnections({ idleTimeoutMs: this.idleTimeoutMs, maxIdle: 1024, maxRequests: this.maxRequestsPerConnection });
    if (spec.outlier) this.outlier = new OutlierDetector(spec.outlier);
  }

  private get idleTimeoutMs(): number {
    return this.poolPolicy.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  private get maxRequestsPerConnection(): number {
    return this.poolPolicy.maxRequestsPerConnection ?? 1_000_000;
  }

  /** One request's exchange over this cluster's connections. */
  exchange(req: ClientRequest, spec: ExchangeSpec, outcome: ExchangeOutcome): UpstreamExchange {
    return new UpstreamExchange(req, spec, this.pool, outcome);
  }

  /** A new configuration of the same cluster: endpoints and policies change, the state that still applies stays. */
  update(spec: Cluster): void {
    this.poolPolicy = spec.pool ?? {};
    this.pool.configure({ maxRequests: this.maxRequestsPerConnection, idleTimeoutMs: this.idleTimeoutMs });
    this.spec = spec;
    this.setTls(spec);
    this.ring = undefined;
    if (!spec.outlier) this.outlier = undefined;
    else if (this.outlier) this.outlier.policy = spec.outlier;
    else this.outlier = new OutlierDetector(spec.outlier);
    // Connections made with other TLS settings are not reused: their keys are no longer the pool's.
    this.pool.retain(new Set(spec.endpoints.map((e) => this.poolKey(e))));
    this.outlier?.retain(new Set(spec.endpoints.map((e) => e.key)));
    this.dispatch();
  }

  private setTls(spec: Cluster): void {
    const json = spec.tls ? JSON.stringify(spec.tls) : '';
    if (json === this.tlsJson) return;
    this.tlsJson = json;
    this.tls = spec.tls && !spec.tls.missing ? tlsOptions(spec.tls) : undefined;
    this.tlsSuffix = json ? `#tls${++this.tlsGeneration}` : '';
  }

  /** The pool's key for a host's connections: its own, with the TLS settings' generation when the cluster speaks TLS. */
  private poolKey(host: Endpoint): string {
    return this.tlsSuffix ? host.key + this.tlsSuffix : host.key;
  }

  /**
   * Envoy's ORIGINAL_DST cluster (a ServiceEntry with resolution NONE): the cluster whose one
   * host is where `socket` was dialled to, with this cluster's policies.
   */
  forOriginalDst(socket: Socket, mesh: boolean): UpstreamCluster {
    const spec = withOriginalDst(this.spec, socket, mesh);
    const key = spec.endpoints[0]?.key ?? '';
    let u = this.originals.get(key);
    if (!u) {
      u = new UpstreamCluster({ ...spec, originalDst: undefined });
      this.originals.set(key, u);
      if (!this.cleanup) this.cleanup = setInterval(() => this.removeStaleOriginals(), ORIGINAL_DST_CLEANUP_MS).unref();
    }
    u.used = true;
    return u;
  }

  /** Drops the original destinations unused since the last cleanup and holding no request (Envoy's cleanup_interval). */
  removeStaleOriginals(): void {
    for (const [key, u] of this.originals) {
      if (u.used || u.busy) {
        u.used = false;
        continue;
      }
      u.close();
      this.originals.delete(key);
    }
    if (this.originals.size === 0) {
      clearInterval(this.cleanup);
      this.cleanup = undefined;
    }
  }

  /** Whether a request holds, waits for or is opening a connection of this cluster. */
  private get busy(): boolean {
    return this.requests > 0 || this.pending.length > 0 || this.connecting > 0;
  }

  /** The hosts that take traffic now (outlier detection's view). */
  healthy(now?: number): Endpoint[] {
    return this.outlier ? this.outlier.healthy(this.spec.endpoints, now ?? Date.now()) : this.spec.endpoints;
  }

  /** The ring over `hosts` (all of the cluster's, or those outlier detection leaves in), rebuilt when they change. */
  hashRing(hosts: Endpoint[]): HashRing {
    if (this.ring?.hosts === hosts) return this.ring.ring;
    const key = hosts.map((h) => h.key).join(',');
    if (this.ring?.key !== key) this.ring = { hosts, key, ring: new HashRing(hosts, this.spec.hash?.minimumRingSize ?? 1024) };
    else this.ring.hosts = hosts;
    return this.ring.ring;
  }

  /** A connection to `host` for one request, now or once one frees up; or overflow. Returns a cancel function. */
  acquire(host: Endpoint, events: UpstreamEvents, done: (a: ClusterAcquired) => void): () => void {
    const missing = this.spec.tls?.missing;
    if (missing) {
      // Envoy's cluster whose SDS secret never came: each connection fails its TLS setup.
      done({ error: Object.assign(new Error(`TLS error: Secret is not supplied by SDS (${missing})`), { code: 'ERR_TLS_SECRET_NOT_SUPPLIED' }) });
      return noop;
    }
    if (this.pool.hasIdle(this.poolKey(host))) return this.attach(host, events, done);
    if (this.pending.length + this.connecting >= (this.poolPolicy.maxPendingRequests ?? UNLIMITED)) {
      done({ overflow: true });
      return noop;
    }
    const w: Waiter = { host, events, done, cancel: undefined };
    this.pending.push(w);
    this.openFor(w);
    return () => {
      const i = this.pending.indexOf(w);
      if (i >= 0) this.pending.splice(i, 1);
      w.cancel?.();
    };
  }

  /** The request that held a connection is over (its connection is back in the pool or closed). */
  release(): void {
    this.requests--;
    this.dispatch();
  }

  /** Gives a request a connection (an idle one, or a new one), within maxRequests. */
  private attach(host: Endpoint, events: UpstreamEvents, done: (a: ClusterAcquired) => void): () => void {
    if (this.requests >= (this.poolPolicy.maxRequests ?? UNLIMITED)) {
      done({ overflow: true });
      return noop;
    }
    this.requests++;
    let settled = false;
    const cancel = this.pool.acquire(this.poolKey(host), this.target(host), events, (a) => {
      settled = true;
      if ('error' in a) {
        this.requests--;
        done(a);
        this.dispatch();
        return;
      }
      if (!a.reused) this.count(a.conn.socket, host.key);
      done(a);
    });
    return () => {
      if (settled) return;
      settled = true;
      cancel();
      this.requests--;
      this.dispatch();
    };
  }

  /** The cluster's connectTimeout. */
  get connectTimeoutMs(): number {
    return this.poolPolicy.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  }

  private target(host: Endpoint) {
    return { address: host.address, port: host.port, https: this.tls !== undefined, connectTimeoutMs: this.connectTimeoutMs, ...(this.tls ? { tls: this.tls } : {}) };
  }

  private addConnection(key: string, by: number): void {
    this.connections += by;
    const n = (this.perHost.get(key) ?? 0) + by;
    if (n > 0) this.perHost.set(key, n);
    else this.perHost.delete(key);
  }

  private count(socket: { once(ev: 'close', f: () => void): unknown }, key: string): void {
    this.addConnection(key, 1);
    socket.once('close', () => {
      this.addConnection(key, -1);
      this.dispatch();
    });
  }

  /** Opens a connection for a pending request when the breaker allows; the request stays pending until it is up. */
  private openFor(w: Waiter): void {
    if (w.cancel || (this.connections >= (this.poolPolicy.maxConnections ?? UNLIMITED) && this.perHost.has(w.host.key))) return;
    // The connection counts from the start, as Envoy's connecting clients do.
    this.addConnection(w.host.key, 1);
    this.pending.splice(this.pending.indexOf(w), 1);
    this.connecting++;
    let open = true;
    const settle = () => {
      if (!open) return;
      open = false;
      this.addConnection(w.host.key, -1);
      this.connecting--;
    };
    const cancel = this.attach(w.host, w.events, (a) => {
      settle();
      w.done(a);
    });
    w.cancel = () => {
      settle();
      cancel();
    };
  }

  /** Hands idle connections to pending requests for their hosts, and opens connections the breaker now allows. */
  private dispatch(): void {
    for (let i = 0; i < this.pending.length; ) {
      const w = this.pending[i]!;
      if (this.pool.hasIdle(this.poolKey(w.host))) {
        this.pending.splice(i, 1);
        w.cancel = this.attach(w.host, w.events, w.done);
        continue;
      }
      const before = this.pending.length;
      this.openFor(w);
      if (this.pending.length === before) i++;
    }
  }

  close(): void {
    for (const u of this.originals.values()) u.close();
    this.originals.clear();
    clearInterval(this.cleanup);
    this.cleanup = undefined;
    this.pool.close();
    for (const w of this.pending.splice(0)) w.done({ error: Object.assign(new Error('cluster removed'), { code: 'ECANCELED' }) });
  }
}

function noop(): void {}
