import http from 'node:http';
import https from 'node:https';
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { RoundRobin } from './balancer.js';
import type { Endpoint } from './endpoints.js';
import { clientAddress, clientResponseHeaders, encodePath, upstreamRequestHeaders } from './forwarding.js';
import { LocationStates, type LocationRuntime } from './location-state.js';
import { parseRequestTarget } from './paths.js';
import { bodyTooLarge, BodySizeCounter } from './policies/body-size.js';
import { routeToCanary } from './policies/canary.js';
import { cookieValue } from './policies/cookies.js';
import { corsPreflight, corsResponseHeaders } from './policies/cors.js';
import { annotationRedirect, appRootRedirect, sslRedirect } from './policies/redirect.js';
import { nginxPage, nginxRedirect, type PolicyResponse } from './policies/responses.js';
import { forwardedPrefixHeader, rewriteTarget } from './policies/rewrite.js';
import { checkSourceRange } from './policies/source-range.js';
import { mayRetry } from './policies/timeouts.js';
import { findLocation, findServer, type Location, type RouteTable, type Server, type Upstream } from './routes.js';
import { writeRawResponse } from './raw-response.js';
import { responseSink, UpstreamPools } from './upstream-pools.js';

// The request path: route, apply the location's policies in nginx's phase order, pick an
// endpoint and stream the request to it over a pooled keep-alive connection, trying another
// endpoint on a connect error or timeout as proxy_next_upstream does. The route table is read
// once per request, so a table swap never changes the course of a request in flight.

export interface ProxyOptions {
  /** The current route table (swapped atomically by the controller). */
  routes(): RouteTable;
  log?: (msg: string) => void;
  /** Upstream keep-alive pool sizes (ingress-nginx: upstream-keepalive-connections 320, timeout 60s). */
  keepAliveConnections?: number;
  keepAliveTimeoutMs?: number;
}

/** The pieces of a routed request the upstream attempt needs. */
interface Routed {
  server: Server;
  location: Location;
  runtime: LocationRuntime;
  upstream: Upstream;
  isCanary: boolean;
  path: string;
  /** The request-target to send upstream. */
  target: string;
  scheme: 'http' | 'https';
  remoteAddr: string;
  extraHeaders?: Record<string, string | string[]>;
  release?: () => void;
}

type Failure = 'error' | 'timeout';

class AttemptError extends Error {
  constructor(
    readonly failure: Failure,
    /** Whether any of the request could have reached the upstream (then only idempotent retries). */
    readonly sent: boolean,
    message: string,
  ) {
    super(message);
  }
}

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

const IDEMPOTENT_BODYLESS = new Set(['GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE']);

export class IngressProxy {
  private readonly balancer = new RoundRobin();
  readonly states = new LocationStates();
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly pools: UpstreamPools;
  private readonly log: (msg: string) => void;

  constructor(private readonly opts: ProxyOptions) {
    const agentOpts = {
      keepAlive: true,
      maxFreeSockets: opts.keepAliveConnections ?? 320,
      timeout: opts.keepAliveTimeoutMs ?? 60_000,
      scheduling: 'lifo' as const,
    };
    this.httpAgent = new http.Agent(agentOpts);
    this.httpsAgent = new https.Agent({ ...agentOpts, rejectUnauthorized: false });
    this.pools = new UpstreamPools({ keepAliveTimeoutMs: agentOpts.timeout });
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
          for (const e of up.endpoints) endpoints.add(e.key);
        }
      }
    }
    this.states.retainUsed(all);
    this.balancer.retain(names);
    this.pools.retain(endpoints);
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
    void this.pools.close();
  }

  readonly handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const routed = this.route(req, (r) => sendPolicy(res, r));
    if (!routed) {
      req.resume();
      return;
    }
    res.once('close', () => routed.release?.());
    this.forward(req, res, routed);
  };

  readonly handleUpgrade = (req: http.IncomingMessage, socket: Socket, head: Buffer): void => {
    socket.on('error', () => socket.destroy());
    const routed = this.route(req, (r) => writeRawResponse(socket, r.status, r.headers, r.body, true));
    if (!routed) return;
    socket.once('close', () => routed.release?.());
    this.tunnel(req, socket, head, routed);
  };

  /** Routing and every policy that may answer by itself; undefined when it answered. */
  private route(req: http.IncomingMessage, answer: (r: PolicyResponse) => void): Routed | undefined {
    const encrypted = (req.socket as TLSSocket).encrypted === true;
    const scheme = encrypted ? 'https' : 'http';
    const target = parseRequestTarget(req.url ?? '/');
    if (!target) {
      answer(nginxPage(400));
      return undefined;
    }
    const host = req.headers.host ?? '';
    const table = this.opts.routes();
    const server = findServer(table, host);
    const match = findLocation(server, target.path);
    if (match.kind === 'slash-redirect') {
      answer(nginxRedirect(301, `${scheme}://${host}${encodePath(match.path)}${target.search}`));
      return undefined;
    }
    if (match.kind === 'none') {
      answer(nginxPage(404));
      return undefined;
    }
    const location = match.location;
    const cfg = location.config;
    const redirectReq = { scheme, host, path: target.path, requestUri: req.url ?? '/' } as const;
    const redirect = appRootRedirect(cfg.rewrite, redirectReq) ?? annotationRedirect(cfg.redirect) ?? sslRedirect(cfg.rewrite, redirectReq, server.tlsSecret !== undefined);
    if (redirect) {
      answer(redirect);
      return undefined;
    }
    const runtime = this.states.get(location, server.hostname);
    const remoteAddr = clientAddress(req.socket.remoteAddress);
    let release: (() => void) | undefined;
    if (runtime.limiter) {
      const decision = runtime.limiter.acquire(remoteAddr);
      if (!decision.allowed) {
        answer(decision.response);
        return undefined;
      }
      release = onceOnly(decision.release);
    }
    const refuse = (r: PolicyResponse): undefined => {
      release?.();
      answer(r);
      return undefined;
    };
    const denied = checkSourceRange(cfg, remoteAddr);
    if (denied) return refuse(denied);
    const origin = req.headers.origin;
    const preflight = corsPreflight(cfg.cors, req.method ?? 'GET', origin);
    if (preflight) return refuse(preflight);
    const declared = req.headers['content-length'];
    const tooLarge = bodyTooLarge(cfg.proxy, declared === undefined ? undefined : Number(declared));
    if (tooLarge) return refuse(tooLarge);
    if ('unsupported' in runtime.transport) {
      this.log(`Ingress ${location.ingress?.namespace}/${location.ingress?.name}: backend-protocol ${runtime.transport.unsupported} is not supported`);
      return refuse(nginxPage(502));
    }
    if (!location.upstream) return refuse(nginxPage(404));

    let upstream = location.upstream;
    let isCanary = false;
    let affinity = runtime.affinity;
    const canary = location.canary;
    if (canary) {
      const cookies = req.headers.cookie;
      // affinity-canary-behavior sticky: a request already bound to one side stays there.
      const stickyPrimary = runtime.affinity?.affinitizedTo({ cookieHeader: cookies }) === true;
      const stickyCanary = runtime.canaryAffinity?.affinitizedTo({ cookieHeader: cookies }) === true;
      const toCanary = stickyCanary || (!stickyPrimary && routeToCanary(canary.config.canary, {
        header: (name) => headerValue(req.headers[name.toLowerCase()]),
        cookie: (name) => cookieValue(cookies, name),
      }));
      if (toCanary && canary.upstream.endpoints.length > 0) {
        upstream = canary.upstream;
        isCanary = true;
        affinity = runtime.canaryAffinity;
      }
    }
    if (upstream.endpoints.length === 0 && location.fallback && location.fallback.endpoints.length > 0) {
      upstream = location.fallback;
      affinity = undefined;
    }
    if (upstream.endpoints.length === 0) return refuse(nginxPage(503));

    const rewritten = rewriteTarget(cfg.rewrite, location.ingressPath, target.path, target.search.slice(1));
    const upstreamTarget = rewritten ? encodePath(rewritten.uri) + (rewritten.args ? `?${rewritten.args}` : '') : toOriginForm(req.url ?? '/');
    let extraHeaders: Record<string, string | string[]> | undefined;
    const cors = corsResponseHeaders(cfg.cors, origin);
    if (cors) extraHeaders = { ...cors };
    return {
      server,
      location,
      runtime: affinity === runtime.affinity ? runtime : { ...runtime, affinity },
      upstream,
      isCanary,
      path: target.path,
      target: upstreamTarget,
      scheme,
      remoteAddr,
      extraHeaders,
      release,
    };
  }

  private pickEndpoint(req: http.IncomingMessage, r: Routed, tried: Set<string>, lastFailed: boolean): Endpoint | undefined {
    if (lastFailed) {
      // As ingress-nginx's Lua balancer, a retry chooses among the endpoints as they are now:
      // during a rollout the ones this request started with may all be gone.
      const fresh = this.opts.routes().upstreams.get(r.upstream.name);
      if (fresh) r.upstream = fresh;
    }
    const affinity = r.runtime.affinity;
    if (affinity) {
      const choice = affinity.pick(
        { cookieHeader: req.headers.cookie, https: r.scheme === 'https', userAgent: req.headers['user-agent'], locationPath: r.location.ingressPath },
        tried,
        lastFailed,
      );
      if (choice.setCookie) r.extraHeaders = { ...r.extraHeaders, 'Set-Cookie': choice.setCookie };
      const ep = choice.endpoint ? r.upstream.endpoints.find((e) => e.key === choice.endpoint) : undefined;
      if (ep && !tried.has(ep.key)) return ep;
    }
    return this.balancer.pick(r.upstream, tried);
  }

  /** The request headers the endpoint gets: the client's, plus the forwarded ones ingress-nginx sets. */
  private upstreamHeaders(req: http.IncomingMessage, r: Routed, upgrade?: string) {
    return upstreamRequestHeaders(req.rawHeaders, req.headers, {
      remoteAddr: r.remoteAddr,
      scheme: r.scheme,
      port: req.socket.localPort ?? (r.scheme === 'https' ? 443 : 80),
      host: req.headers.host ?? '',
      upstreamHost: r.location.config.upstreamVhost || undefined,
      xForwardedPrefix: forwardedPrefixHeader(r.location.config.rewrite),
      ...(upgrade !== undefined ? { upgrade } : {}),
    });
  }

  private forward(req: http.IncomingMessage, res: http.ServerResponse, r: Routed): void {
    const t = r.runtime.timeouts;
    const method = req.method ?? 'GET';
    const hasBody = req.headers['content-length'] !== undefined ? req.headers['content-length'] !== '0' : req.headers['transfer-encoding'] !== undefined;
    const headers = this.upstreamHeaders(req, r);
    if (!hasBody) return this.forwardBodyless(req, res, r, headers);
    const tried = new Set<string>();
    const started = Date.now();
    let attempt = 0;
    let bodyStarted = false;
    let clientGone = false;
    let current: http.ClientRequest | undefined;
    res.once('close', () => {
      if (!res.writableFinished) {
        clientGone = true;
        current?.destroy();
      }
    });
    const counter = r.location.config.proxy.bodySizeBytes > 0 && req.headers['content-length'] === undefined ? new BodySizeCounter(r.location.config.proxy.bodySizeBytes) : undefined;

    const fail = (status: number) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      sendPolicy(res, withExtra(nginxPage(status), r.extraHeaders));
    };

    const grace = new RefusedGrace(started, t.connectMs);
    let lastNotSent = false;
    const waitOrFail = (status: number): void => {
      const delay = lastNotSent && !(bodyStarted && hasBody) ? grace.next(Date.now()) : undefined;
      if (delay === undefined) return fail(status);
      tried.clear();
      attempt = 0;
      setTimeout(() => {
        if (!clientGone) tryOnce('error');
      }, delay);
    };
    const tryOnce = (last?: Failure) => {
      const ep = this.pickEndpoint(req, r, tried, last !== undefined);
      if (!ep) return waitOrFail(last === 'timeout' ? 504 : 502);
      tried.add(ep.key);
      attempt++;
      const transport = r.runtime.transport as { scheme: 'http' | 'https' };
      const mod = transport.scheme === 'https' ? https : http;
      const upReq = mod.request({
        host: ep.address,
        port: ep.port,
        method,
        path: r.target,
        headers: headers as unknown as http.OutgoingHttpHeaders,
        agent: transport.scheme === 'https' ? this.httpsAgent : this.httpAgent,
        setHost: false,
        ...(transport.scheme === 'https' ? { rejectUnauthorized: false, servername: '' } : {}),
      });
      current = upReq;
      let connected = false;
      let settled = false;
      let connectTimer: NodeJS.Timeout | undefined;

      const onFailure = (err: AttemptError) => {
        if (settled) return;
        settled = true;
        if (connectTimer) clearTimeout(connectTimer);
        upReq.destroy();
        if (clientGone) return;
        if (res.headersSent) {
          res.destroy();
          return;
        }
        this.log(`upstream ${err.failure === 'timeout' ? 'timed out' : 'error'} (${err.message}) while connecting to upstream ${ep.key} for ${method} ${req.url} (Ingress ${r.location.ingress?.namespace}/${r.location.ingress?.name}, upstream ${r.upstream.name})`);
        // Until the body went out, another endpoint may be tried whatever the method.
        const effectiveMethod = err.sent && (bodyStarted || !IDEMPOTENT_BODYLESS.has(method)) ? method : 'GET';
        const canResend = !bodyStarted || !hasBody;
        lastNotSent = !err.sent && err.failure === 'error';
        if (canResend && mayRetry(t, err.failure, effectiveMethod, attempt, started, Date.now())) {
          tryOnce(err.failure);
          return;
        }
        waitOrFail(err.failure === 'timeout' ? 504 : 502);
      };

      const startBody = () => {
        connected = true;
        if (connectTimer) clearTimeout(connectTimer);
        upReq.setTimeout(t.readMs, () => onFailure(new AttemptError('timeout', true, `no data from upstream for ${t.readMs} ms`)));
        if (!hasBody) {
          upReq.end();
          return;
        }
        bodyStarted = true;
        if (counter) {
          req.on('data', (chunk: Buffer) => {
            if (!counter.add(chunk.length) && !res.headersSent) {
              settled = true;
              upReq.destroy();
              req.unpipe(upReq);
              sendPolicy(res, withExtra(nginxPage(413), r.extraHeaders));
            }
          });
        }
        req.pipe(upReq);
      };

      upReq.once('socket', (socket: Socket) => {
        if (upReq.reusedSocket || !socket.connecting) {
          startBody();
          return;
        }
        connectTimer = setTimeout(() => onFailure(new AttemptError('timeout', false, `connect timed out after ${t.connectMs} ms`)), t.connectMs);
        socket.once('connect', startBody);
      });
      upReq.on('error', (e: NodeJS.ErrnoException) => onFailure(new AttemptError('error', connected, e.message)));
      upReq.once('response', (upRes) => {
        if (settled) {
          upRes.resume();
          return;
        }
        settled = true;
        if (connectTimer) clearTimeout(connectTimer);
        res.writeHead(upRes.statusCode ?? 502, clientResponseHeaders(upRes.rawHeaders, r.extraHeaders) as unknown as http.OutgoingHttpHeaders);
        upRes.pipe(res);
        upRes.once('error', () => res.destroy());
        upRes.once('aborted', () => res.destroy());
      });
    };
    tryOnce();
  }

  /** Requests without a body: undici's pools, retried on another endpoint as nginx does. */
  private forwardBodyless(req: http.IncomingMessage, res: http.ServerResponse, r: Routed, headers: string[]): void {
    const t = r.runtime.timeouts;
    const method = req.method ?? 'GET';
    const secure = (r.runtime.transport as { scheme: 'http' | 'https' }).scheme === 'https';
    const tried = new Set<string>();
    const started = Date.now();
    let attempt = 0;
    let abort: (() => void) | undefined;
    res.once('close', () => {
      if (!res.writableFinished) abort?.();
    });
    const fail = (status: number) => {
      if (!res.destroyed) sendPolicy(res, withExtra(nginxPage(status), r.extraHeaders));
    };
    const grace = new RefusedGrace(started, t.connectMs);
    let lastNotSent = false;
    const waitOrFail = (status: number): void => {
      const delay = lastNotSent ? grace.next(Date.now()) : undefined;
      if (delay === undefined) return fail(status);
      tried.clear();
      attempt = 0;
      setTimeout(() => {
        if (!res.destroyed) tryOnce('error');
      }, delay);
    };
    const tryOnce = (last?: Failure): void => {
      const ep = this.pickEndpoint(req, r, tried, last !== undefined);
      if (!ep) return waitOrFail(last === 'timeout' ? 504 : 502);
      tried.add(ep.key);
      attempt++;
      const sink = responseSink(res, {
        start: (status, raw) => {
          if (res.destroyed) return false;
          res.writeHead(status, clientResponseHeaders(raw, r.extraHeaders) as unknown as http.OutgoingHttpHeaders);
          return true;
        },
        failed: (f) => {
          if (res.destroyed) return;
          this.log(`upstream ${f.failure === 'timeout' ? 'timed out' : 'error'} (${f.message}) from ${ep.key} for ${method} ${req.url} (Ingress ${r.location.ingress?.namespace}/${r.location.ingress?.name}, upstream ${r.upstream.name})`);
          lastNotSent = !f.sent && f.failure === 'error';
          if (mayRetry(t, f.failure, f.sent ? method : 'GET', attempt, started, Date.now())) tryOnce(f.failure);
          else waitOrFail(f.failure === 'timeout' ? 504 : 502);
        },
      });
      abort = this.pools.dispatch({ endpoint: ep, https: secure, connectTimeoutMs: t.connectMs }, { method, path: r.target, headers, readTimeoutMs: t.readMs }, sink);
    };
    tryOnce();
  }

  /** WebSocket and other upgrades: a fresh connection to the endpoint, then bytes both ways. */
  private tunnel(req: http.IncomingMessage, socket: Socket, head: Buffer, r: Routed): void {
    const headers = this.upstreamHeaders(req, r, req.headers.upgrade);
    const t = r.runtime.timeouts;
    const tried = new Set<string>();
    const started = Date.now();
    let attempt = 0;
    const tryOnce = (last?: Failure) => {
      const ep = this.pickEndpoint(req, r, tried, last !== undefined);
      if (!ep) {
        const status = last === 'timeout' ? 504 : 502;
        writeRawResponse(socket, status, {}, nginxPage(status).body, true);
        return;
      }
      tried.add(ep.key);
      attempt++;
      const transport = r.runtime.transport as { scheme: 'http' | 'https' };
      const mod = transport.scheme === 'https' ? https : http;
      const upReq = mod.request({
        host: ep.address,
        port: ep.port,
        method: req.method,
        path: r.target,
        headers: headers as unknown as http.OutgoingHttpHeaders,
        agent: false,
        setHost: false,
        timeout: t.connectMs,
        ...(transport.scheme === 'https' ? { rejectUnauthorized: false, servername: '' } : {}),
      });
      let done = false;
      const retryOrFail = (failure: Failure) => {
        if (done) return;
        done = true;
        upReq.destroy();
        if (socket.destroyed) return;
        if (mayRetry(t, failure, 'GET', attempt, started, Date.now())) return tryOnce(failure);
        const status = failure === 'timeout' ? 504 : 502;
        writeRawResponse(socket, status, {}, nginxPage(status).body, true);
      };
      upReq.once('timeout', () => retryOrFail('timeout'));
      upReq.on('error', () => retryOrFail('error'));
      upReq.once('upgrade', (upRes, upSocket: Socket, upHead: Buffer) => {
        done = true;
        upReq.setTimeout(0);
        const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`];
        const raw = upRes.rawHeaders;
        for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
        if (r.extraHeaders) for (const [k, v] of Object.entries(r.extraHeaders)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
        socket.write(lines.join('\r\n') + '\r\n\r\n');
        if (upHead.length > 0) socket.write(upHead);
        if (head.length > 0) upSocket.write(head);
        upSocket.setNoDelay(true);
        socket.setNoDelay(true);
        // proxy_read_timeout applies to an upgraded connection too: silence closes it.
        upSocket.setTimeout(t.readMs, () => upSocket.destroy());
        upSocket.on('error', () => socket.destroy());
        socket.on('error', () => upSocket.destroy());
        upSocket.once('close', () => socket.destroy());
        socket.once('close', () => upSocket.destroy());
        upSocket.pipe(socket);
        socket.pipe(upSocket);
      });
      upReq.once('response', (upRes) => {
        // The upstream refused the upgrade: relay its answer and close.
        done = true;
        upReq.setTimeout(0);
        const raw = clientResponseHeaders(upRes.rawHeaders, r.extraHeaders);
        const lines = [`HTTP/1.1 ${upRes.statusCode} ${upRes.statusMessage ?? ''}`];
        for (let i = 0; i < raw.length; i += 2) lines.push(`${raw[i]}: ${raw[i + 1]}`);
        lines.push('Connection: close');
        socket.write(lines.join('\r\n') + '\r\n\r\n');
        upRes.pipe(socket);
      });
      upReq.end();
    };
    tryOnce();
  }
}

function onceOnly(fn: () => void): () => void {
  let called = false;
  return () => {
    if (called) return;
    called = true;
    fn();
  };
}

function headerValue(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
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

/** Writes a response the ingress makes itself, as nginx: its Server header, a length. */
export function sendPolicy(res: http.ServerResponse, r: PolicyResponse): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const headers: Record<string, string | number> = { Server: 'nginx', ...r.headers };
  if (!Object.keys(r.headers).some((k) => k.toLowerCase() === 'content-length')) headers['Content-Length'] = Buffer.byteLength(r.body);
  res.writeHead(r.status, headers);
  res.end(r.body);
}
