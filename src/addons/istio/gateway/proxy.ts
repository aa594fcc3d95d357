import { randomUUID } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { connectionAllowed } from '../../../api/networkpolicy/verdict.js';
import type { ClientRequest } from '../../proxy/http1/client-connection.js';
import type { ResponseHead } from '../../proxy/http1/head.js';
import { headerLines, requestHead, statusLine } from '../../proxy/http1/serialize.js';
import { UpstreamExchange, type ExchangeOutcome, type ExchangeSpec, type UpstreamFailure } from '../../proxy/http1/upstream-exchange.js';
import type { Endpoint } from '../../proxy/endpoints.js';
import type { LocalReply } from '../../proxy/local-reply.js';
import type { HeaderOps, ProxyConfig, Route, RouteAction, WeightedCluster } from '../config/types.js';
import { accessLogLine, type AccessRecord } from './access-log.js';
import { requestHash } from './consistent-hash.js';
import { forwardedClientCert } from './client-cert.js';
import { corsDecision } from './cors.js';
import { mirrored, sendShadow, type ShadowRequest } from './mirror.js';
import { UpstreamCluster, type ClusterAcquired } from './upstream-cluster.js';
import { tlsFailureReason } from './upstream-tls.js';
import { connectFailureBody, envoyReason, envoyReply } from './envoy.js';
import { ListenerRoutes, rewritePath, type HostCompilations, type RouteChoice } from './router.js';

// The gateway's request path, as Envoy's HTTP connection manager and router run it: route by
// listener, authority and match; CORS; faults; redirects and direct responses; then a weighted
// cluster, an endpoint by the cluster's load balancer (or its ring, for consistent hashing)
// among the hosts outlier detection leaves in, a connection within the cluster's circuit
// breakers, and the request streamed to it with Istio's retry policy (another host each time,
// jittered 25 ms backoff), per-try and route timeouts, header operations, copies to mirror
// clusters, and Envoy's local replies and access log line.

/** Envoy's stream idle timeout: the longest silence from an upstream mid-response. */
const STREAM_IDLE_MS = 300_000;
const RETRY_BASE_MS = 25;
const NOTHING_TRIED: ReadonlySet<string> = new Set();

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer', 'host']);
/** Response headers of the upstream's that the client does not get (Envoy sets its own server and framing). */
const ENVOY_SETS_RESPONSE = new Set(['connection', 'keep-alive', 'transfer-encoding', 'server']);
/** Request headers the gateway sets itself (x-forwarded-client-cert: Envoy's SANITIZE and SANITIZE_SET drop the client's own). */
const SET_UPSTREAM = new Set(['x-forwarded-proto', 'x-request-id', 'x-envoy-attempt-count', 'x-forwarded-for', 'x-forwarded-client-cert']);

function applyOps(lines: string[], ops: HeaderOps | undefined): string[] {
  if (!ops) return lines;
  const drop = new Set([...(ops.remove ?? []), ...Object.keys(ops.set ?? {})].map((h) => h.toLowerCase()));
  const out: string[] = [];
  for (let i = 0; i < lines.length; i += 2) if (!drop.has(lines[i]!.toLowerCase())) out.push(lines[i]!, lines[i + 1]!);
  for (const [k, v] of Object.entries(ops.set ?? {})) out.push(k.toLowerCase(), v);
  for (const [k, v] of Object.entries(ops.add ?? {})) {
    const at = out.findIndex((x, i) => i % 2 === 0 && x === k.toLowerCase());
    if (at >= 0) out[at + 1] = `${out[at + 1]},${v}`;
    else out.push(k.toLowerCase(), v);
  }
  return out;
}

function splitTarget(target: string): { path: string; query: string } {
  let t = target;
  if (t.charCodeAt(0) !== 47) {
    const m = /^https?:\/\/[^/?]*(.*)$/i.exec(t);
    t = m && m[1] ? m[1] : '/';
  }
  const q = t.indexOf('?');
  return q < 0 ? { path: t, query: '' } : { path: t.slice(0, q), query: t.slice(q + 1) };
}

/** A cluster of a route's by weight, as Envoy's weighted_clusters picks; undefined when no weight is left. */
export function pickWeighted(clusters: WeightedCluster[]): WeightedCluster | undefined {
  const total = clusters.reduce((s, c) => s + c.weight, 0);
  if (total <= 0) return undefined;
  let n = Math.random() * total;
  for (const c of clusters) {
    n -= c.weight;
    if (n < 0) return c;
  }
  return clusters[clusters.length - 1];
}

/** Envoy's circuit-breaker overflow, answered for the router. */
export function overflowReply(): LocalReply {
  return envoyReply(503, connectFailureBody(false, 'overflow'), { 'x-envoy-overloaded': 'true' });
}

export class GatewayProxy {
  private byPort = new Map<number, ListenerRoutes>();
  private config: ProxyConfig = { version: '', listeners: [], clusters: {}, secrets: {} };
  private readonly upstreams = new Map<string, UpstreamCluster>();
  /** Virtual hosts compiled, by object: an incremental push keeps the unchanged ones. */
  private readonly compiled: HostCompilations = new WeakMap();
  /** Requests in flight per endpoint, for LEAST_REQUEST. */
  readonly active = new Map<string, number>();
  /** Response headers the CORS filter adds to a request's answer, whoever gives it. */
  readonly corsHeaders = new WeakMap<ClientRequest, Record<string, string>>();

  constructor(
    readonly accessLog: (line: string) => void,
    /** The proxy's own ISTIO_META_HTTP10=1: pilot turns on accept_http_10 for its listeners. */
    private readonly acceptHttp10 = false,
  ) {}

  get current(): ProxyConfig {
    return this.config;
  }

  update(config: ProxyConfig): void {
    this.config = config;
    this.byPort = new Map(config.listeners.map((l) => [l.port, new ListenerRoutes(l, this.compiled)]));
    for (const [name, spec] of Object.entries(config.clusters)) {
      const u = this.upstreams.get(name);
      if (u?.spec === spec) continue;
      if (u) u.update(spec);
      else this.upstreams.set(name, new UpstreamCluster(spec));
    }
    for (const [name, u] of this.upstreams) {
      if (config.clusters[name]) continue;
      u.close();
      this.upstreams.delete(name);
    }
  }

  close(): void {
    for (const u of this.upstreams.values()) u.close();
    this.upstreams.clear();
  }

  upstream(name: string): UpstreamCluster | undefined {
    return this.upstreams.get(name);
  }

  readonly handleRequest = (req: ClientRequest): void => {
    const h = req.head.headers;
    const { path, query } = splitTarget(req.head.target);
    const scheme = req.encrypted ? 'https' : 'http';
    const authority = h.host ?? '';
    const rec: AccessRecord = {
      start: Date.now(),
      method: req.head.method,
      path: req.head.target,
      protocol: `HTTP/1.${req.head.minor}`,
      status: 0,
      flags: '-',
      details: 'via_upstream',
      bytesReceived: 0,
      bytesSent: req.conn.socket.bytesWritten,
      durationMs: 0,
      forwardedFor: h['x-forwarded-for'],
      userAgent: h['user-agent'],
      requestId: h['x-request-id'] || randomUUID(),
      authority,
      downstreamLocal: `${req.conn.localAddress}:${req.localPort}`,
      downstreamRemote: `${req.remoteAddress}:${req.conn.socket.remotePort}`,
      serverName: (req.conn.socket as { servername?: string }).servername || undefined,
    };
    // Envoy's connection manager without accept_http_10, as Istio configures it by default.
    if (req.head.minor === 0 && !this.acceptHttp10 && !this.config.acceptHttp10) return this.reply(req, rec, { ...envoyReply(426), http11: true }, '-', 'low_version');
    const routes = this.byPort.get(req.localPort);
    const destination = req.conn.localAddress;
    const source = this.config.workloads?.[req.remoteAddress];
    const choice = routes?.select({ method: req.head.method, path, query, scheme, authority, header: (n) => h[n], destination, source });
    if (!choice) return this.reply(req, rec, envoyReply(404), 'NR', 'route_not_found');
    rec.routeName = choice.match?.name ? `${choice.route.name}.${choice.match.name}` : choice.route.name;
    if (choice.virtualHost.requireTls && !req.encrypted) {
      return this.reply(req, rec, envoyReply(301, '', { location: `https://${authority}${req.head.target}` }), '-', 'direct_response');
    }
    const cors = corsDecision(choice.route.cors, req.head.method, (n) => h[n]);
    if (cors.kind === 'preflight') return this.reply(req, rec, envoyReply(200, '', cors.headers), '-', 'cors_response');
    if (cors.kind === 'cors') this.corsHeaders.set(req, cors.responseHeaders);
    const fault = choice.route.fault;
    const abort = fault?.abort && Math.random() * 100 < fault.abort.percent ? fault.abort : undefined;
    const delay = fault?.delay && Math.random() * 100 < fault.delay.percent ? fault.delay : undefined;
    const go = () => {
      if (req.finished) return;
      if (abort) return this.reply(req, rec, envoyReply(abort.status, 'fault filter abort'), delay ? 'DI,FI' : 'FI', 'fault_filter_abort');
      if (delay) rec.flags = 'DI';
      this.act(req, rec, choice, choice.route.action, path, query);
    };
    if (delay) setTimeout(go, delay.ms);
    else go();
  };

  private act(req: ClientRequest, rec: AccessRecord, choice: RouteChoice, action: RouteAction, path: string, query: string): void {
    if (action.kind === 'redirect') {
      const scheme = action.scheme ?? (req.encrypted ? 'https' : 'http');
      const host = action.authority ?? (req.head.headers.host ?? '').replace(/:\d+$/, '');
      const port = action.port ?? (action.derivePort === 'FROM_REQUEST_PORT' ? req.localPort : undefined);
      const location = `${scheme}://${host}${port ? `:${port}` : ''}${action.uri ?? path}${query ? `?${query}` : ''}`;
      return this.reply(req, rec, envoyReply(action.status, '', { location }), '-', 'direct_response');
    }
    if (action.kind === 'direct') return this.reply(req, rec, envoyReply(action.status, action.body), '-', 'direct_response');
    const picked = pickWeighted(action.clusters);
    const upstream = picked ? this.upstreams.get(picked.cluster) : undefined;
    const cluster = upstream?.spec.originalDst ? upstream.forOriginalDst(req.conn.socket, this.byPort.get(req.localPort)?.listener.mesh !== undefined) : upstream;
    if (!picked || !cluster) return this.reply(req, rec, envoyReply(503), 'NC', 'cluster_not_found');
    rec.upstreamCluster = picked.cluster;
    if (cluster.healthy().length === 0) return this.reply(req, rec, envoyReply(503, 'no healthy upstream'), 'UH', 'no_healthy_upstream');
    let upstreamPath = path;
    if (action.rewrite?.uri !== undefined) upstreamPath = rewritePath(path, choice.match, action.rewrite.uri);
    const target = upstreamPath + (query ? `?${query}` : '');
    const hashPolicy = cluster.spec.hash?.policy;
    const hash = hashPolicy
      ? requestHash(hashPolicy, { header: (n) => req.head.headers[n], query, remoteAddress: req.remoteAddress, remotePort: req.conn.socket.remotePort ?? 0 })
      : undefined;
    new GatewayRequest(this, req, rec, choice.route, action, picked, cluster, target, hash?.hash, hash?.setCookie).start();
  }

  /**
   * The next endpoint of a cluster by its load balancer (or its ring, given a hash) among the
   * hosts outlier detection leaves in, preferring hosts this request has not tried; undefined
   * when none is left.
   */
  pick(cluster: UpstreamCluster, tried: ReadonlySet<string>, hash?: number): Endpoint | undefined {
    const all = cluster.healthy();
    if (all.length === 0) return undefined;
    if (hash !== undefined) return cluster.hashRing(all).pick(hash, tried);
    const fresh = tried.size === 0 ? all : all.filter((e) => !tried.has(e.key));
    const eps = fresh.length > 0 ? fresh : all;
    const lb = cluster.spec.lb;
    if (lb === 'ROUND_ROBIN') {
      const i = cluster.nextIndex++;
      return eps[i % eps.length]!;
    }
    if (lb === 'RANDOM' || eps.length === 1) return eps[Math.floor(Math.random() * eps.length)]!;
    // LEAST_REQUEST: Envoy's power of two choices.
    const a = eps[Math.floor(Math.random() * eps.length)]!;
    const b = eps[Math.floor(Math.random() * eps.length)]!;
    return (this.active.get(a.key) ?? 0) <= (this.active.get(b.key) ?? 0) ? a : b;
  }

  /**
   * Whether NetworkPolicy refuses the connection to `ep` that a meshed pod at `client` asks
   * for: its egress policies or the endpoint's ingress policies (ProxyConfig.policies). The node
   * lets the mesh's connections through and leaves this to the proxy (src/node/networkpolicy).
   */
  refuses(client: string, ep: Endpoint): boolean {
    const table = this.config.policies;
    return table !== undefined && !connectionAllowed(table, client, ep.address, 'tcp', ep.port);
  }

  reply(req: ClientRequest, rec: AccessRecord, r: LocalReply, flags: string, details: string): void {
    const cors = this.corsHeaders.get(req);
    if (!req.finished) req.respond(cors ? { ...r, headers: { ...r.headers, ...cors } } : r);
    rec.status = r.status;
    if (flags !== '-') rec.flags = rec.flags === '-' || rec.flags === flags ? flags : `${rec.flags},${flags}`;
    rec.details = details;
    this.logged(req, rec);
  }

  logged(req: ClientRequest, rec: AccessRecord): void {
    rec.durationMs = Date.now() - rec.start;
    rec.bytesSent = req.conn.socket.bytesWritten - rec.bytesSent;
    rec.bytesReceived = req.bodyBytes;
    this.accessLog(accessLogLine(rec));
  }
}

/** One request routed to a cluster, across its attempts. */
class GatewayRequest implements ExchangeSpec, ExchangeOutcome {
  head = '';
  readonly method: string;
  readonly withBody: boolean;
  readonly readTimeoutMs = STREAM_IDLE_MS;
  readonly maxBodyBytes = 0;
  private readonly baseLines: string[];
  /** baseLines serialized once: an attempt adds only its count. */
  private readonly baseText: string;
  /** Endpoints this request failed on; made at its first failure. */
  private tried: Set<string> | undefined;
  private attempt = 0;
  private endpoint: Endpoint | undefined;
  private current: UpstreamExchange | undefined;
  private cancelConnect: (() => void) | undefined;
  private attemptStarted = 0;
  private perTry: NodeJS.Timeout | undefined;
  private routeTimer: NodeJS.Timeout | undefined;
  private aborting = false;
  /** Whether this attempt is in the endpoint's count of requests in flight. */
  private counted = false;
  /** Whether this attempt holds a connection of the cluster (a request in its circuit breaker). */
  private holding = false;
  private over = false;
  private shadows: ShadowRequest[] | undefined;

  constructor(
    private readonly proxy: GatewayProxy,
    private readonly req: ClientRequest,
    private readonly rec: AccessRecord,
    private readonly route: Route,
    private readonly action: Extract<RouteAction, { kind: 'route' }>,
    private readonly weighted: WeightedCluster,
    private readonly cluster: UpstreamCluster,
    private readonly target: string,
    private readonly hash: number | undefined,
    private readonly setCookie: string | undefined,
  ) {
    const body = req.head.body;
    this.method = req.head.method;
    this.withBody = body.kind === 'chunked' || (body.kind === 'length' && body.length > 0);
    const raw = req.head.rawHeaders;
    let lines: string[] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i]!.toLowerCase();
      if (HOP_BY_HOP.has(k) || SET_UPSTREAM.has(k)) continue;
      lines.push(raw[i]!, raw[i + 1]!);
    }
    const h = req.head.headers;
    lines.push('host', action.rewrite?.authority ?? h.host ?? '');
    lines.push('x-forwarded-for', h['x-forwarded-for'] ? `${h['x-forwarded-for']}, ${req.remoteAddress}` : req.remoteAddress);
    lines.push('x-forwarded-proto', req.encrypted ? 'https' : 'http', 'x-request-id', rec.requestId!);
    const clientCert = req.encrypted ? forwardedClientCert(req.conn.socket as TLSSocket) : undefined;
    if (clientCert) lines.push('x-forwarded-client-cert', clientCert);
    lines = applyOps(applyOps(lines, route.headers?.request), weighted.headers?.request);
    if (body.kind === 'chunked') lines.push('transfer-encoding', 'chunked');
    this.baseLines = lines;
    this.baseText = headerLines(lines);
    req.onAbort = this.onAbort;
  }

  start(): void {
    if (this.action.timeoutMs) this.routeTimer = setTimeout(() => this.onRouteTimeout(), this.action.timeoutMs);
    for (const m of this.action.mirrors ?? []) {
      const mirror = this.proxy.upstream(m.cluster);
      const ep = mirror && mirrored(m.percent) ? this.proxy.pick(mirror, NOTHING_TRIED) : undefined;
      // A copy NetworkPolicy refuses would be a dropped SYN: nothing to send, nobody waiting for it.
      if (ep && !this.proxy.refuses(this.req.remoteAddress, ep)) (this.shadows ??= []).push(sendShadow(ep, this.method, this.target, this.baseLines, this.action.timeoutMs, this.withBody));
    }
    this.tryOnce();
  }

  tapBody(chunk: Buffer | null): void {
    if (this.shadows) for (const s of this.shadows) s.body(chunk);
  }

  private tryOnce(): void {
    const ep = this.proxy.pick(this.cluster, this.tried ?? NOTHING_TRIED, this.hash);
    if (!ep) return this.localReply(envoyReply(503, 'no healthy upstream'), 'UH', 'no_healthy_upstream');
    this.attempt++;
    this.endpoint = ep;
    this.rec.upstreamHost = ep.key;
    this.proxy.active.set(ep.key, (this.proxy.active.get(ep.key) ?? 0) + 1);
    this.counted = true;
    this.head = requestHead(this.method, this.target, this.baseText + 'x-envoy-attempt-count: ' + this.attempt + '\r\n');
    this.attemptStarted = Date.now();
    const ex = this.cluster.exchange(this.req, this, this);
    this.current = ex;
    const perTryMs = this.action.retry.perTryTimeoutMs;
    if (perTryMs) this.perTry = setTimeout(() => this.onPerTryTimeout(), perTryMs);
    if (this.proxy.refuses(this.req.remoteAddress, ep)) {
      // NetworkPolicy drops the connection's SYN: the attempt ends at the connect timeout, as it
      // would against a real dropped packet, and retries go on by the route's policy.
      const timer = setTimeout(() => {
        this.cancelConnect = undefined;
        this.failed({ failure: 'timeout', sent: false, message: 'connect timeout' });
      }, this.cluster.connectTimeoutMs);
      this.cancelConnect = () => clearTimeout(timer);
      return;
    }
    this.cancelConnect = this.cluster.acquire(ep, ex, (a: ClusterAcquired) => {
      this.cancelConnect = undefined;
      if ('overflow' in a) {
        this.endAttempt();
        return this.localReply(overflowReply(), 'UO', 'upstream_reset_before_response_started{overflow}');
      }
      if ('error' in a) {
        const timeout = a.error.code === 'ETIMEDOUT';
        const transport = tlsFailureReason(a.error);
        return this.failed({ failure: timeout ? 'timeout' : 'error', sent: false, message: a.error.message, ...(transport ? { transport } : {}) });
      }
      if (this.req.finished || this.over) {
        a.conn.socket.destroy();
        return this.cluster.release();
      }
      this.holding = true;
      this.rec.upstreamLocal = `${a.conn.socket.localAddress}:${a.conn.socket.localPort}`;
      ex.start(a.conn, a.reused);
    });
  }

  private endAttempt(): void {
    clearTimeout(this.perTry);
    if (this.holding) {
      this.holding = false;
      this.cluster.release();
    }
    const key = this.endpoint?.key;
    if (key && this.counted) {
      this.counted = false;
      const n = (this.proxy.active.get(key) ?? 1) - 1;
      if (n > 0) this.proxy.active.set(key, n);
      else this.proxy.active.delete(key);
    }
  }

  private retriesLeft(): boolean {
    return this.attempt <= this.action.retry.attempts && !this.current?.consumedBody;
  }

  private retryOn(...policies: string[]): boolean {
    return policies.some((p) => this.action.retry.retryOn.includes(p));
  }

  retryStatus(status: number): boolean {
    if (!this.retriesLeft()) return false;
    const r = this.action.retry;
    return (
      (this.retryOn('retriable-status-codes') && r.statusCodes.includes(status)) ||
      (this.retryOn('5xx') && status >= 500) ||
      (this.retryOn('gateway-error') && (status === 502 || status === 503 || status === 504)) ||
      (this.retryOn('retriable-4xx') && status === 409)
    );
  }

  responseHead(h: ResponseHead, chunked: boolean, close: boolean): string {
    this.rec.status = h.status;
    this.outlier(h.status);
    const took = Date.now() - this.attemptStarted;
    this.rec.upstreamServiceTimeMs = took;
    const raw = h.rawHeaders;
    const routeOps = this.route.headers?.response;
    const clusterOps = this.weighted.headers?.response;
    let out = statusLine(h.status, envoyReason(h.status), this.req.head.minor);
    if (routeOps || clusterOps) {
      const lines: string[] = [];
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i]!.toLowerCase();
        if (!ENVOY_SETS_RESPONSE.has(k)) lines.push(k, raw[i + 1]!);
      }
      out += headerLines(applyOps(applyOps(lines, routeOps), clusterOps));
    } else {
      // The common case, without header operations: no list of the lines to rewrite.
      for (let i = 0; i < raw.length; i += 2) {
        const k = raw[i]!.toLowerCase();
        if (!ENVOY_SETS_RESPONSE.has(k)) out += k + ': ' + raw[i + 1]! + '\r\n';
      }
    }
    if (this.setCookie) out += 'set-cookie: ' + this.setCookie + '\r\n';
    const cors = this.proxy.corsHeaders.get(this.req);
    if (cors) for (const k in cors) out += k + ': ' + cors[k]! + '\r\n';
    out += 'x-envoy-upstream-service-time: ' + took + '\r\nserver: ' + this.req.conn.dialect.server + '\r\n';
    return out + (chunked ? 'transfer-encoding: chunked\r\n' : '') + this.req.connectionHeader(close) + '\r\n';
  }

  /** Reports the attempt's answer (or local-origin failure, undefined) to outlier detection. */
  private outlier(status: number | undefined): void {
    const od = this.cluster.outlier;
    if (od && this.endpoint) od.record(this.endpoint.key, status, this.cluster.spec.endpoints.length);
  }

  failed(f: UpstreamFailure): void {
    if (this.aborting) return;
    if (!f.stale) this.outlier(f.status);
    this.endAttempt();
    if (this.over || this.req.finished) return this.done();
    (this.tried ??= new Set()).add(this.endpoint!.key);
    const connectFailure = !f.sent;
    const retry =
      this.retriesLeft() &&
      (f.status !== undefined ||
        (connectFailure && this.retryOn('connect-failure', '5xx', 'gateway-error', 'reset')) ||
        (!connectFailure && f.failure === 'timeout' && this.retryOn('5xx', 'gateway-error')) ||
        (!connectFailure && f.failure === 'error' && this.retryOn('reset', '5xx', 'gateway-error')));
    if (retry) {
      // Envoy's jittered exponential backoff: a random wait below base × 2^(retry-1), capped at 10 × base.
      const wait = Math.random() * Math.min(RETRY_BASE_MS * 2 ** (this.attempt - 1), RETRY_BASE_MS * 10);
      setTimeout(() => (this.over || this.req.finished ? this.done() : this.tryOnce()), wait);
      return;
    }
    const retried = this.attempt > 1;
    const flags = retried ? ',URX' : '';
    if (f.failure === 'timeout' && f.sent) return this.localReply(envoyReply(504, 'upstream request timeout'), `UT${flags}`, 'upstream_per_try_timeout');
    if (connectFailure) {
      const transport = f.transport ?? 'delayed connect error: 111';
      const reason = f.failure === 'timeout' ? 'connection timeout' : `connection failure, transport failure reason: ${transport}`;
      // The access log's %UPSTREAM_TRANSPORT_FAILURE_REASON% has underscores for spaces.
      this.rec.transportFailure = f.failure === 'timeout' ? 'connection timeout' : transport.replace(/ /g, '_');
      return this.localReply(envoyReply(503, connectFailureBody(retried, reason)), `UF${flags}`, 'upstream_reset_before_response_started{connection_failure}');
    }
    this.localReply(envoyReply(503, connectFailureBody(retried, 'connection termination')), `UC${flags}`, 'upstream_reset_before_response_started{connection_termination}');
  }

  finished(brokenReason?: string): void {
    if (this.aborting) return;
    this.endAttempt();
    if (brokenReason) {
      this.rec.flags = 'UPE';
      this.rec.details = 'upstream_reset_after_response_started';
    }
    this.done();
    this.proxy.logged(this.req, this.rec);
  }

  bodyTooLarge(): void {
    this.localReply(envoyReply(413, 'Payload Too Large'), '-', 'request_payload_too_large');
  }

  private localReply(r: LocalReply, flags: string, details: string): void {
    this.done();
    this.proxy.reply(this.req, this.rec, r, flags, details);
  }

  private stopAttempt(): void {
    this.aborting = true;
    this.cancelConnect?.();
    this.cancelConnect = undefined;
    this.current?.abort();
    this.aborting = false;
    this.endAttempt();
  }

  private onPerTryTimeout(): void {
    if (this.over || this.req.headersSent) return;
    this.stopAttempt();
    this.failed({ failure: 'timeout', sent: true, message: 'per-try timeout' });
  }

  private onRouteTimeout(): void {
    if (this.over || this.req.headersSent) return;
    this.stopAttempt();
    this.localReply(envoyReply(504, 'upstream request timeout'), 'UT', 'upstream_response_timeout');
  }

  private readonly onAbort = (): void => {
    if (this.over) return;
    this.stopAttempt();
    this.rec.status = 0;
    this.rec.flags = 'DC';
    this.rec.details = 'downstream_remote_disconnect';
    this.done();
    this.proxy.logged(this.req, this.rec);
  };

  private done(): void {
    this.over = true;
    if (this.shadows) for (const s of this.shadows) s.abandon();
    clearTimeout(this.routeTimer);
    clearTimeout(this.perTry);
  }
}
