import { randomBytes } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

// The headers nginx sends upstream and back, as ingress-nginx's template sets them: hop-by-hop
// headers dropped, Host kept, X-Request-ID (the client's or a new one), X-Real-IP and
// X-Forwarded-For from the TCP peer (use-forwarded-headers is off by default, so a client's
// X-Forwarded-* are replaced, its X-Forwarded-For kept as X-Original-Forwarded-For),
// X-Forwarded-Host/-Port/-Proto/-Scheme, X-Scheme, and Connection/Upgrade only for upgrades.

/** Lower-case names never copied from the client to the upstream. */
const DROP_REQUEST = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'proxy',
  'host',
  'x-request-id',
  'x-real-ip',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-port',
  'x-forwarded-proto',
  'x-forwarded-scheme',
  'x-scheme',
  'x-original-forwarded-for',
  'x-forwarded-prefix',
]);

/** Lower-case names never copied from the upstream's response to the client. */
const DROP_RESPONSE = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'server', 'date', 'x-pad']);

export interface ForwardContext {
  remoteAddr: string;
  scheme: 'http' | 'https';
  /** The listener's port as the client reached it (nginx $pass_port). */
  port: number;
  /** Host header value as received ('' when absent). */
  host: string;
  /** upstream-vhost: replaces Host upstream. */
  upstreamHost?: string;
  xForwardedPrefix?: string;
  /** For upgrades: the client's Upgrade header. */
  upgrade?: string;
}

/** The client's address as nginx prints $remote_addr (no IPv4-mapped IPv6 prefix). */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return '';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}

let idCounter = 0;
const idPrefix = randomBytes(8).toString('hex');

/** 32 hex digits, unique per request (nginx $request_id); cheaper than 16 random bytes each time. */
export function newRequestId(): string {
  idCounter = (idCounter + 1) >>> 0;
  return idPrefix + (idCounter + 0x100000000).toString(16).slice(1).padStart(8, '0') + ((Math.random() * 0x100000000) >>> 0).toString(16).padStart(8, '0');
}

/** Names listed in the client's Connection header are hop-by-hop too. */
function connectionTokens(headers: IncomingHttpHeaders): Set<string> | undefined {
  const c = headers.connection;
  if (!c) return undefined;
  const out = new Set<string>();
  for (const t of c.split(',')) {
    const n = t.trim().toLowerCase();
    if (n && n !== 'close' && n !== 'keep-alive' && n !== 'upgrade') out.add(n);
  }
  return out.size > 0 ? out : undefined;
}

/** The upstream request's headers as a flat [name, value, …] list (Node accepts that form). */
export function upstreamRequestHeaders(rawHeaders: string[], headers: IncomingHttpHeaders, ctx: ForwardContext): string[] {
  const extraDrop = connectionTokens(headers);
  const out: string[] = [];
  const host = ctx.upstreamHost || ctx.host;
  if (host) out.push('Host', host);
  const requestId = headers['x-request-id'];
  out.push('X-Request-ID', typeof requestId === 'string' && requestId !== '' ? requestId : newRequestId());
  out.push('X-Real-IP', ctx.remoteAddr);
  out.push('X-Forwarded-For', ctx.remoteAddr);
  if (ctx.host) out.push('X-Forwarded-Host', ctx.host);
  const port = String(ctx.port);
  out.push('X-Forwarded-Port', port, 'X-Forwarded-Proto', ctx.scheme, 'X-Forwarded-Scheme', ctx.scheme, 'X-Scheme', ctx.scheme);
  const xff = headers['x-forwarded-for'];
  if (xff) out.push('X-Original-Forwarded-For', Array.isArray(xff) ? xff.join(', ') : xff);
  if (ctx.xForwardedPrefix) out.push('X-Forwarded-Prefix', ctx.xForwardedPrefix);
  if (ctx.upgrade) out.push('Connection', 'upgrade', 'Upgrade', ctx.upgrade);
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (DROP_REQUEST.has(lower) || (extraDrop && extraDrop.has(lower))) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * The response headers for the client: the upstream's minus hop-by-hop ones, `Server: nginx`
 * (nginx hides the upstream's Server and Date and sets its own), then `extra` replacing any of
 * the same name (CORS, affinity cookie).
 */
export function clientResponseHeaders(rawHeaders: string[], extra?: Record<string, string | string[]>): string[] {
  const out: string[] = ['Server', 'nginx'];
  let replaced: Set<string> | undefined;
  if (extra) {
    replaced = new Set();
    for (const k of Object.keys(extra)) if (k.toLowerCase() !== 'set-cookie') replaced.add(k.toLowerCase());
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (DROP_RESPONSE.has(lower) || (replaced && replaced.has(lower))) continue;
    out.push(name, rawHeaders[i + 1]!);
  }
  if (extra) {
    for (const [k, v] of Object.entries(extra)) {
      if (Array.isArray(v)) for (const one of v) out.push(k, one);
      else out.push(k, v);
    }
  }
  return out;
}

const URI_SAFE = /[^A-Za-z0-9\-._~!$&'()*+,;=:@/]/g;

/** A decoded path made fit for a request line again, as nginx escapes a rewritten $uri. */
export function encodePath(path: string): string {
  URI_SAFE.lastIndex = 0;
  return URI_SAFE.test(path) ? path.replace(URI_SAFE, (c) => encodeURIComponent(c)) : path;
}
