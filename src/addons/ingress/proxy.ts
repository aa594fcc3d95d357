import net, { type Socket } from 'node:net';
import tls from 'node:tls';
import { RoundRobin } from './balancer.js';
import type { Endpoint } from '../proxy/endpoints.js';
import { upstreamInfoLine, type IngressAccessRecord } from './access-log.js';
import { clientResponseHeaderLines, encodePath, newRequestId, upstreamRequestHeaderLines } from './forwarding.js';
import type { ClientRequest } from '../proxy/http1/client-connection.js';
import { ChunkedScanner } from '../proxy/http1/chunked.js';
import { parseResponseHead, type ResponseHead } from '../proxy/http1/head.js';
import { headerLines, httpDate, requestHead } from '../proxy/http1/serialize.js';
import { UpstreamConnections, type Acquired } from '../proxy/http1/upstream-connections.js';
import { UpstreamExchange, type ExchangeOutcome, type ExchangeSpec, type UpstreamFailure } from '../proxy/http1/upstream-exchange.js';
import { LocationStates, type LocationRuntime } from './location-state.js';
import { parseRequestTarget } from './paths.js';
import { bodyTooLarge } from './policies/body-size.js';
import { routeToCanary } from './policies/canary.js';
import { cookieValue } from './policies/cookies.js';
import { corsPreflight, corsResponseHeaders } from './policies/cors.js';
import { hstsHeader } from './policies/hsts.js';
import { annotationRedirect, appRootRedirect, sslRedirect } from './policies/redirect.js';
import { nginxPage, nginxRedirect, nginxStatusLine, type PolicyResponse } from './policies/responses.js';
import { forwardedPrefixHeader, rewriteTarget } from './policies/rewrite.js';
import { checkSourceRange, locationDenied } from './policies/source-range.js';
import { mayRetry } from './policies/timeouts.js';
import { findLocation, findServer, type Location, type RouteTable, type Upstream } from './routes.js';
import type { Logger } from '../../log.js';

// The request path: route, apply the location's policies in nginx's phase order
// (policies/index.ts), pick an endpoint and stream the request to it over a cached keep-alive
// connection, trying another endpoint on a connect error or timeout as proxy_next_upstream
// does. The route table is read once per request, so a table swap never changes the course of
// a request in flight.

export interface ProxyOptions {
  /** The current route table (swapped atomically by the controller). */
  routes(): RouteTable;
  log?: Logger;
  /** Where access log lines go (ingress-nginx's upstreaminfo format); none are made without it. */
  accessLog?: (line: string) => void;
  /** Upstream keep-alive cache (ingress-nginx: upstream-keepalive-connections 320, -timeout 60s, -requests 10000). */
  keepAliveConnections?: number;
  keepAliveTimeoutMs?: number;
  keepAliveRequests?: number;
}

/** The pieces of a routed request the upstream attempts need. */
interface Routed {
  location: Location;
  runtime: LocationRuntime;
  upstream: Upstream;
  /** The request-target to send upstream. */
  target: string;
  scheme: 'http' | 'https';
  /** backend-protocol HTTPS: TLS to the endpoint. */
  secure: boolean;
  /** Response headers the ingress adds (CORS, HSTS, affinity cookie), replacing the upstream's. */
  extraHeaders?: Record<string, string | string[]>;
  release?: () => void;
  /** The access log record, when the location logs. */
  record?: IngressAccessRecord;
}

/** ingress-nginx's name for the upstream of its default backend. */
const DEFAULT_BACKEND_UPSTREAM = 'upstream-default-backend';

type Failure = 'error' | 'timeout';

/**
 * A departure from nginx, for rollouts: when every endpoint refused the connection (so nothing
 * was sent), the request waits a little and tries the endpoints as they are then, for up to the
 * connect timeout. A pod that is Ready but not yet listening, or gone but not yet out of the
 * EndpointSlice, then costs a few milliseconds instead of a 502.
 */
class RefusedGrace {
  private rounds = 0;
  constructor(
    private readonly started: number,
    private readonly windowMs: number,
  ) {}

  /** Milliseconds to wait before the next round, or undefined to give up. */
  next(now: number): number | undefined {
    if (now - this.started >= this.windowMs || this.rounds >= 8) return undefined;
    return Math.min(25 * 2 ** this.rounds++, 500);
  }
}

/** Errors of a connection attempt that mean nothing reached the endpoint. */
const NOT_CONNECTED = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'EADDRNOTAVAIL', 'ECONNRESET']);

/** Stale cached connections one request may meet before it gives up on that endpoint. */
const MAX_STALE = 4;

export class IngressProxy {
  private readonly balancer = new RoundRobin();
  readonly states = new LocationStates();
  private readonly pool: UpstreamConnections;
  readonly log: Logger;

  constructor(private readonly opts: ProxyOptions) {
    this.pool = new UpstreamConnections({
      idleTimeoutMs: opts.keepAliveTimeoutMs ?? 60_000,
      maxIdle: opts.keepAliveConnections ?? 320,
      maxRequests: opts.keepAliveRequests ?? 10_000,
    });
    this.log = opts.log ?? (() => {});
  }

  /** Called after every table swap. */
  tableChanged(table: RouteTable): void {
    const all: { location: Location; server: string }[] = [];
    const servers = [table.catchAll, ...table.servers.values(), ...table.wildcards.values()];
    const names = new Set<string>();
    const endpoints = new Set<string>();
    for (const s of servers) {
      for (const l of [...s.exact.values(), ...s.prefixes, ...s.ordered]) {
        all.push({ location: l, server: s.hostname });
        for (const up of [l.upstream, l.canary?.upstream, l.fallback]) {
          if (!up) continue;
          names.add(up.name);
          for (const e of up.endpoints) endpoints.add(e.key).add(poolKey(e, true));
        }
      }
    }
    this.states.retainUsed(all);
    this.balancer.retain(names);
    this.pool.retain(endpoints);
  }

  close(): void {
    this.pool.close();
  }

  readonly handleRequest = (req: ClientRequest): void => {
    const routed = this.route(req);
    if (!routed) return;
    if (req.head.upgrade) this.tunnel(req, routed);
    else this.forward(req, routed);
  };

  /** Routing and every policy that may answer by itself; undefined when it answered. */
  private route(req: ClientRequest): Routed | undefined {
    const head = req.head;
    const scheme = req.encrypted ? 'https' : 'http';
    const start = this.opts.accessLog ? Date.now() : 0;
    // The upstream name a local answer is logged under; undefined: not logged. Requests nginx
    // answers before a location applies have none yet, and the default backend logs nothing
    // (enable-access-log-for-default-backend is off by default).
    let logAs: string | undefined = this.opts.accessLog ? '' : undefined;
    const target = parseRequestTarget(head.target);
    if (!target) {
      const page = nginxPage(400);
      req.respond(page);
      if (logAs !== undefined) this.logAnswer(req, start, page, logAs);
      return undefined;
    }
    const host = head.headers.host ?? '';
    const table = this.opts.routes();
    const server = findServer(table, host);
    const hsts = hstsHeader(scheme, server.tlsSecret !== undefined);
    const answer = (r: PolicyResponse): undefined => {
      req.respond(hsts ? { ...r, headers: { ...r.headers, 'Strict-Transport-Security': hsts } } : r);
      if (logAs !== undefined) this.logAnswer(req, start, r, logAs);
      return undefined;
    };
    const match = findLocation(server, target.path);
    if (match.kind === 'slash-redirect') return answer(nginxRedirect(301, `${scheme}://${host}${encodePath(match.path)}${target.search}`));
    if (match.kind === 'none') {
      logAs = undefined;
      return answer(nginxPage(404));
    }
    const location = match.location;
    const cfg = location.config;
    if (logAs !== undefined) logAs = location.isDefaultBackend || !cfg.accessLog ? undefined : (location.upstream?.name ?? DEFAULT_BACKEND_UPSTREAM);
    const origin = head.headers.origin;
    const redirectReq = { scheme, host, path: target.path, requestUri: head.target } as const;
    const declared = head.body.kind === 'length' ? head.body.length : undefined;
    const early =
      appRootRedirect(cfg.rewrite, redirectReq) ??
      bodyTooLarge(cfg.proxy, declared) ??
      locationDenied(cfg) ??
      corsPreflight(cfg.cors, head.method, origin) ??
      annotationRedirect(cfg.redirect) ??
      sslRedirect(cfg.rewrite, redirectReq, server.tlsSecret !== undefined);
    if (early) return answer(early);
    const runtime = this.states.get(location, server.hostname);
    let release: (() => void) | undefined;
    if (runtime.limiter) {
      const decision = runtime.limiter.acquire(req.remoteAddress);
      if (!decision.allowed) return answer(decision.response);
      release = onceOnly(decision.release);
    }
    const cors = corsResponseHeaders(cfg.cors, origin);
    const refuse = (r: PolicyResponse): undefined => {
      release?.();
      return answer(withExtra(r, cors));
    };
    const denied = checkSourceRange(cfg, req.remoteAddress);
    if (denied) return refuse(denied);
    const transport = runtime.transport;
    if ('unsupported' in transport) {
      this.log('error', `Ingress ${location.ingress?.namespace}/${location.ingress?.name}: backend-protocol ${transport.unsupported} is not supported`);
      return refuse(nginxPage(502));
    }
    if (!location.upstream) return refuse(nginxPage(404));

    let upstream = location.upstream;
    let affinity = runtime.affinity;
    const canary = location.canary;
    if (canary) {
      const cookies = head.headers.cookie;
      // affinity-canary-behavior sticky: a request already bound to one side stays there.
      const stickyPrimary = runtime.affinity?.affinitizedTo({ cookieHeader: cookies }) === true;
      const stickyCanary = runtime.canaryAffinity?.affinitizedTo({ cookieHeader: cookies }) === true;
      const toCanary =
        stickyCanary ||
        (!stickyPrimary &&
          routeToCanary(canary.config.canary, {
            header: (name) => head.headers[name.toLowerCase()],
            cookie: (name) => cookieValue(cookies, name),
          }));
      if (toCanary && canary.upstream.endpoints.length > 0) {
        upstream = canary.upstream;
        affinity = runtime.canaryAffinity;
      }
    }
    if (upstream.endpoints.length === 0 && location.fallback && location.fallback.endpoints.length > 0) {
      upstream = location.fallback;
      affinity = undefined;
    }
    if (upstream.endpoints.length === 0) return refuse(nginxPage(503));

    const rewritten = rewriteTarget(cfg.rewrite, location.ingressPath, target.path, target.search.slice(1));
    const upstreamTarget = rewritten ? encodePath(rewritten.uri) + (rewritten.args ? `?${rewritten.args}` : '') : toOriginForm(head.target);
    let extraHeaders: Record<string, string | string[]> | undefined = cors ? { ...cors } : undefined;
    if (hsts) extraHeaders = { ...extraHeaders, 'Strict-Transport-Security': hsts };
    return {
      location,
      runtime: affinity === runtime.affinity ? runtime : { ...runtime, affinity },
      upstream,
      target: upstreamTarget,
      scheme,
      secure: transport.scheme === 'https',
      extraHeaders,
      release,
      record:
        logAs === undefined
          ? undefined
          : accessRecord(req, start, logAs, canary && upstream === canary.upstream ? upstream.name : ''),
    };
  }

  /** Logs an answer of the ingress's own, given in full before any upstream was tried. */
  private logAnswer(req: ClientRequest, start: number, r: PolicyResponse, upstreamName: string): void {
    const rec = accessRecord(req, start, upstreamName, '');
    rec.status = r.status;
    rec.bodyBytesSent = req.head.method === 'HEAD' ? 0 : Buffer.byteLength(r.body, 'latin1');
    this.writeAccessLog(rec);
  }

  /** For ForwardedRequest and tunnels: the request's line, once it is over. */
  writeAccessLog(rec: IngressAccessRecord): void {
    this.opts.accessLog?.(upstreamInfoLine(rec, Date.now()));
  }

  pickEndpoint(req: ClientRequest, r: Routed, tried: ReadonlySet<string>, lastFailed: boolean): Endpoint | undefined {
    if (lastFailed) {
      // As ingress-nginx's Lua balancer, a retry chooses among the endpoints as they are now:
      // during a rollout the ones this request started with may all be gone.
      const fresh = this.opts.routes().upstreams.get(r.upstream.name);
      if (fresh) r.upstream = fresh;
    }
    const affinity = r.runtime.affinity;
    if (affinity) {
      const h = req.head.headers;
      const choice = affinity.pick({ cookieHeader: h.cookie, https: r.scheme === 'https', userAgent: h['user-agent'], locationPath: r.location.ingressPath }, tried, lastFailed);
      if (choice.setCookie) r.extraHeaders = { ...r.extraHeaders, 'Set-Cookie': choice.setCookie };
      const ep = choice.endpoint ? r.upstream.endpoints.find((e) => e.key === choice.endpoint) : undefined;
      if (ep && !tried.has(ep.key)) return ep;
    }
    return this.balancer.pick(r.upstream, tried);
  }

  /** The request headers the endpoint gets: the client's, plus the forwarded ones ingress-nginx sets. */
  private upstreamHeaders(req: ClientRequest, r: Routed, upgrade?: string): string {
    const h = req.head.headers;
    return upstreamRequestHeaderLines(req.head.rawHeaders, h, {
      requestId: r.record?.requestId ?? requestIdOf(req),
      remoteAddr: req.remoteAddress,
      scheme: r.scheme,
      port: req.localPort || (r.scheme === 'https' ? 443 : 80),
      host: h.host ?? '',
      upstreamHost: r.location.config.upstreamVhost || undefined,
      xForwardedPrefix: forwardedPrefixHeader(r.location.config.rewrite),
      ...(upgrade !== undefined ? { upgrade } : {}),
    });
  }

  /** The client's response head for an upstream's (nginx: its Server and Date, hop-by-hop headers dropped). */
  responseHead(req: ClientRequest, r: Routed, h: ResponseHead, chunked: boolean, close: boolean): string {
    return (
      nginxStatusLine(h.status, h.reason) +
      'Server: nginx\r\nDate: ' +
      httpDate() +
      '\r\n' +
      clientResponseHeaderLines(h.rawHeaders, r.extraHeaders) +
      (chunked ? 'Transfer-Encoding: chunked\r\n' : '') +
      req.connectionHeader(close) +
      '\r\n'
    );
  }

  private forward(req: ClientRequest, r: Routed): void {
    new ForwardedRequest(this, req, r, this.upstreamHeaders(req, r)).tryOnce();
  }

  /** For ForwardedRequest. */
  acquire(ep: Endpoint, secure: boolean, connectTimeoutMs: number, ex: UpstreamExchange, done: (a: Acquired) => void): () => void {
    return this.pool.acquire(poolKey(ep, secure), { address: ep.address, port: ep.port, https: secure, connectTimeoutMs }, ex, done);
  }

  /** For ForwardedRequest. */
  exchange(req: ClientRequest, spec: ExchangeSpec, outcome: ExchangeOutcome): UpstreamExchange {
    return new UpstreamExchange(req, spec, this.pool, outcome);
  }

  /** WebSocket and other upgrades: a fresh connection to the endpoint, then bytes both ways. */
  private tunnel(req: ClientRequest, r: Routed): void {
    const headers = this.upstreamHeaders(req, r, req.head.headers.upgrade);
    const upstreamHead = requestHead(req.head.method, r.target, headers);
    const t = r.runtime.timeouts;
    const secure = r.secure;
    const tried = new Set<string>();
    const started = Date.now();
    let attempt = 0;
    let upstream: Socket | undefined;
    const rec = r.record;
    let tryStarted = 0;
    let logged = false;
    const endTry = (addr: string, status: number) => rec?.tries.push({ addr, status, responseLength: 0, timeMs: Date.now() - tryStarted });
    const writeLog = (status: number) => {
      if (!rec || logged) return;
      logged = true;
      rec.status = status;
      this.writeAccessLog(rec);
    };
    req.onAbort = () => {
      upstream?.destroy();
      r.release?.();
      writeLog(499);
    };
    const fail = (failure: Failure | undefined) => {
      r.release?.();
      const page = withExtra(nginxPage(failure === 'timeout' ? 504 : 502), r.extraHeaders);
      req.respond(page);
      if (rec) rec.bodyBytesSent = Buffer.byteLength(page.body, 'latin1');
      writeLog(page.status);
    };
    const tryOnce = (last?: Failure) => {
      const ep = this.pickEndpoint(req, r, tried, last !== undefined);
      if (!ep) return fail(last);
      tried.add(ep.key);
      attempt++;
      tryStarted = Date.now();
      const up = secure ? tls.connect({ host: ep.address, port: ep.port, rejectUnauthorized: false }) : net.connect({ host: ep.address, port: ep.port, noDelay: true });
      upstream = up;
      let settled = false;
      let buf: Buffer | null = null;
      const retryOrFail = (failure: Failure) => {
        if (settled) return;
        settled = true;
        up.destroy();
        if (req.finished) return;
        endTry(ep.key, failure === 'timeout' ? 504 : 502);
        if (mayRetry(t, failure, 'GET', attempt, started, Date.now())) return tryOnce(failure);
        fail(failure);
      };
      up.setTimeout(t.connectMs, () => retryOrFail('timeout'));
      const early = () => retryOrFail('error');
      up.on('error', early);
      up.once('close', early);
      up.once(secure ? 'secureConnect' : 'connect', () => {
        up.setTimeout(t.readMs);
        up.write(upstreamHead, 'latin1');
      });
      const onData = (d: Buffer) => {
        buf = buf === null ? d : Buffer.concat([buf, d]);
        const p = parseResponseHead(buf, 32 * 1024, 'GET');
        if (!p.ok && p.incomplete) return;
        if (!p.ok) return retryOrFail('error');
        settled = true;
        up.off('data', onData);
        up.setTimeout(0);
        const rest = buf.subarray(p.size);
        const { socket, head } = req.takeOver();
        const h = p.head;
        const upgraded = h.status === 101;
        const lines = upgraded ? h.rawHeaders : tunnelRefusalHeaders(h.rawHeaders);
        const extra = r.extraHeaders ? Object.entries(r.extraHeaders).flatMap(([k, v]) => (Array.isArray(v) ? v.flatMap((x) => [k, x]) : [k, v])) : [];
        const clientHead = nginxStatusLine(h.status, h.reason) + headerLines(lines) + headerLines(extra) + (upgraded ? '' : 'Connection: close\r\n') + '\r\n';
        if (rec) {
          // As nginx, an upgraded connection is logged when it closes, with what went each way.
          const before = socket.bytesWritten + clientHead.length;
          const upBefore = up.bytesRead - rest.length;
          socket.once('close', () => {
            rec.bodyBytesSent = socket.bytesWritten - before;
            rec.tries.push({ addr: ep.key, status: h.status, responseLength: up.bytesRead - upBefore, timeMs: Date.now() - tryStarted });
            writeLog(h.status);
          });
        }
        socket.write(clientHead, 'latin1');
        socket.setNoDelay(true);
        up.off('close', early);
        up.off('error', early);
        up.on('error', () => socket.destroy());
        socket.on('error', () => up.destroy());
        up.once('close', () => {
          socket.destroy();
          r.release?.();
        });
        socket.once('close', () => up.destroy());
        if (!upgraded) {
          // A refused upgrade: its answer is relayed as framed, then both connections close
          // (the endpoint may keep its side open for another request).
          up.setTimeout(t.readMs, () => up.destroy());
          relayOneResponse(up, socket, h, rest);
          return;
        }
        if (rest.length > 0) socket.write(rest);
        if (head.length > 0) up.write(head);
        // proxy_read_timeout applies to an upgraded connection too: silence closes it.
        up.setTimeout(t.readMs, () => up.destroy());
        up.pipe(socket);
        socket.pipe(up);
      };
      up.on('data', onData);
    };
    tryOnce();
  }
}

/**
 * One proxied request (not an upgrade) across its attempts: an exchange with one endpoint after
 * another as proxy_next_upstream allows, then nginx's 502/504. It is the exchanges' spec and
 * outcome itself, so a request costs one object, not a closure per step.
 */
class ForwardedRequest implements ExchangeSpec, ExchangeOutcome {
  readonly head: string;
  readonly method: string;
  readonly withBody: boolean;
  readonly readTimeoutMs: number;
  readonly maxBodyBytes: number;
  private readonly started = Date.now();
  /** Endpoints that failed this request (created on the first failure). */
  private tried: Set<string> | undefined;
  private grace: RefusedGrace | undefined;
  private attempt = 0;
  private stale = 0;
  private lastNotSent = false;
  private endpoint: Endpoint | undefined;
  private current: UpstreamExchange | undefined;
  private cancelConnect: (() => void) | undefined;
  private over = false;
  /** For the access log: when the current try started, and the client's byte count before its response head. */
  private tryStarted = 0;
  private bytesBefore = 0;

  constructor(
    private readonly proxy: IngressProxy,
    private readonly req: ClientRequest,
    private readonly r: Routed,
    headerLines: string,
  ) {
    const body = req.head.body;
    this.method = req.head.method;
    this.withBody = body.kind === 'chunked' || (body.kind === 'length' && body.length > 0);
    this.head = requestHead(this.method, r.target, body.kind === 'chunked' ? headerLines + 'Transfer-Encoding: chunked\r\n' : headerLines);
    this.readTimeoutMs = r.runtime.timeouts.readMs;
    this.maxBodyBytes = body.kind === 'chunked' ? r.location.config.proxy.bodySizeBytes : 0;
    req.onAbort = this.onAbort;
  }

  responseHead(h: ResponseHead, chunked: boolean, close: boolean): string {
    const head = this.proxy.responseHead(this.req, this.r, h, chunked, close);
    const rec = this.r.record;
    if (rec) {
      rec.status = h.status;
      this.bytesBefore = this.req.conn.socket.bytesWritten + head.length;
    }
    return head;
  }

  tryOnce(last?: Failure): void {
    const ep = this.proxy.pickEndpoint(this.req, this.r, this.tried ?? NONE_TRIED, last !== undefined);
    if (!ep) return this.waitOrFail(last === 'timeout' ? 504 : 502);
    this.attempt++;
    this.tryOn(ep);
  }

  private tryOn(ep: Endpoint): void {
    this.endpoint = ep;
    if (this.r.record) this.tryStarted = Date.now();
    const ex = this.proxy.exchange(this.req, this, this);
    this.current = ex;
    this.cancelConnect = this.proxy.acquire(ep, this.r.secure, this.r.runtime.timeouts.connectMs, ex, (a) => {
      this.cancelConnect = undefined;
      if ('error' in a) {
        const timeout = a.error.code === 'ETIMEDOUT';
        this.failed({ failure: timeout ? 'timeout' : 'error', sent: !NOT_CONNECTED.has(a.error.code ?? ''), message: a.error.message });
        return;
      }
      if (this.req.finished) {
        a.conn.socket.destroy();
        return;
      }
      ex.start(a.conn, a.reused);
    });
  }

  failed(f: UpstreamFailure): void {
    if (this.req.finished) return this.finish();
    const ep = this.endpoint!;
    if (f.stale && this.stale++ < MAX_STALE) return this.tryOn(ep);
    (this.tried ??= new Set()).add(ep.key);
    this.r.record?.tries.push({ addr: ep.key, status: f.failure === 'timeout' ? 504 : 502, responseLength: 0, timeMs: Date.now() - this.tryStarted });
    const { req, r } = this;
    this.proxy.log('error', `upstream ${f.failure === 'timeout' ? 'timed out' : 'error'} (${f.message}) from ${ep.key} for ${this.method} ${req.head.target} (Ingress ${r.location.ingress?.namespace}/${r.location.ingress?.name}, upstream ${r.upstream.name})`);
    this.lastNotSent = !f.sent && f.failure === 'error';
    // Until the body went out, another endpoint may be tried whatever the method.
    const canResend = !this.current?.consumedBody;
    if (canResend && mayRetry(r.runtime.timeouts, f.failure, f.sent ? this.method : 'GET', this.attempt, this.started, Date.now())) this.tryOnce(f.failure);
    else this.waitOrFail(f.failure === 'timeout' ? 504 : 502);
  }

  finished(brokenReason?: string): void {
    if (brokenReason) {
      const { req, r } = this;
      this.proxy.log('error', `${brokenReason} from ${this.endpoint?.key} for ${this.method} ${req.head.target} (Ingress ${r.location.ingress?.namespace}/${r.location.ingress?.name})`);
    }
    const rec = this.r.record;
    if (rec) {
      rec.bodyBytesSent = Math.max(0, this.req.conn.socket.bytesWritten - this.bytesBefore);
      rec.tries.push({ addr: this.endpoint!.key, status: rec.status, responseLength: rec.bodyBytesSent, timeMs: Date.now() - this.tryStarted });
    }
    this.finish();
  }

  bodyTooLarge(): void {
    this.answer(withExtra(nginxPage(413, { Connection: 'close' }), this.r.extraHeaders));
    this.finish();
  }

  private waitOrFail(status: number): void {
    const delay = this.lastNotSent && !this.current?.consumedBody ? (this.grace ??= new RefusedGrace(this.started, this.r.runtime.timeouts.connectMs)).next(Date.now()) : undefined;
    if (delay === undefined) return this.fail(status);
    this.tried?.clear();
    this.attempt = 0;
    setTimeout(() => {
      if (!this.req.finished) this.tryOnce('error');
    }, delay);
  }

  private fail(status: number): void {
    if (!this.req.finished) this.answer(withExtra(nginxPage(status), this.r.extraHeaders));
    this.finish();
  }

  private answer(page: PolicyResponse): void {
    this.req.respond(page);
    const rec = this.r.record;
    if (rec) {
      rec.status = page.status;
      rec.bodyBytesSent = this.method === 'HEAD' ? 0 : Buffer.byteLength(page.body, 'latin1');
    }
  }

  private readonly onAbort = (): void => {
    this.cancelConnect?.();
    this.current?.abort();
    const rec = this.r.record;
    if (rec) {
      // nginx's own status for a client that went away before its answer started; one that
      // left during the body is logged with the status it was being sent.
      if (!this.req.headersSent) rec.status = 499;
      else rec.bodyBytesSent = Math.max(0, this.req.conn.socket.bytesWritten - this.bytesBefore);
    }
    this.finish();
  };

  private finish(): void {
    if (this.over) return;
    this.over = true;
    this.r.release?.();
    if (this.r.record) this.proxy.writeAccessLog(this.r.record);
  }
}

const NONE_TRIED: ReadonlySet<string> = new Set();

/** Relays the body of one response as its framing says, then ends the client's connection and closes the upstream's. */
function relayOneResponse(up: Socket, client: Socket, h: ResponseHead, first: Buffer): void {
  const done = () => {
    client.end();
    up.destroy();
  };
  const body = h.body;
  if (body.kind === 'none' || (body.kind === 'length' && body.length === 0)) return done();
  if (body.kind === 'close') {
    if (first.length > 0) client.write(first);
    up.pipe(client);
    return;
  }
  let remaining = body.kind === 'length' ? body.length : 0;
  const scanner = body.kind === 'chunked' ? new ChunkedScanner() : undefined;
  const take = (chunk: Buffer): boolean => {
    let end: number;
    if (scanner) {
      try {
        end = scanner.scan(chunk);
      } catch {
        client.destroy();
        up.destroy();
        return true;
      }
    } else end = chunk.length >= remaining ? remaining : -1;
    if (!scanner) remaining -= Math.min(remaining, chunk.length);
    client.write(end >= 0 ? chunk.subarray(0, end) : chunk);
    if (end >= 0) done();
    return end >= 0;
  };
  if (first.length > 0 && take(first)) return;
  up.on('data', take);
}

/** The upstream's headers for a refused upgrade relayed byte for byte: only the connection-level ones go. */
function tunnelRefusalHeaders(raw: string[]): string[] {
  const out: string[] = ['Server', 'nginx', 'Date', httpDate()];
  for (let i = 0; i < raw.length; i += 2) {
    const lower = raw[i]!.toLowerCase();
    if (lower === 'connection' || lower === 'keep-alive' || lower === 'server' || lower === 'date' || lower === 'upgrade') continue;
    out.push(raw[i]!, raw[i + 1]!);
  }
  return out;
}

/** Connections to an endpoint are cached apart for plain and TLS (backend-protocol HTTPS). */
function poolKey(ep: Endpoint, secure: boolean): string {
  return secure ? `tls:${ep.key}` : ep.key;
}

function onceOnly(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

/** An absolute-form request-target is sent upstream as origin-form. */
function toOriginForm(url: string): string {
  if (url.charCodeAt(0) === 47) return url;
  const m = /^https?:\/\/[^/?]*(.*)$/i.exec(url);
  return m && m[1] ? (m[1].startsWith('/') ? m[1] : `/${m[1]}`) : '/';
}

function withExtra(r: PolicyResponse, extra: Record<string, string | string[]> | undefined): PolicyResponse {
  if (!extra) return r;
  const headers: Record<string, string> = { ...r.headers };
  for (const [k, v] of Object.entries(extra)) if (typeof v === 'string' && k.toLowerCase() !== 'set-cookie') headers[k] = v;
  return { ...r, headers };
}

/** nginx's $req_id as ingress-nginx maps it: the client's X-Request-ID, else a new one. */
function requestIdOf(req: ClientRequest): string {
  const id = req.head.headers['x-request-id'];
  return typeof id === 'string' && id !== '' ? id : newRequestId();
}

function accessRecord(req: ClientRequest, start: number, upstreamName: string, alternativeUpstreamName: string): IngressAccessRecord {
  const head = req.head;
  const h = head.headers;
  return {
    remoteAddr: req.remoteAddress,
    authorization: h.authorization,
    start,
    method: head.method,
    target: head.target,
    minor: head.minor,
    status: 0,
    bodyBytesSent: 0,
    referer: h.referer,
    userAgent: h['user-agent'],
    requestLength: req.headBytes + (head.body.kind === 'length' ? head.body.length : 0),
    upstreamName,
    alternativeUpstreamName,
    tries: [],
    requestId: requestIdOf(req),
  };
}
