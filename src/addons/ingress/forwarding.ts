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
  'expect',
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
  /** X-Request-ID: the client's, or a new one (nginx's $req_id). */
  requestId: string;
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

let idCounter = 0;
// 20 random hex digits per process, then a 12-digit counter: unique per request like nginx's
// $request_id (32 hex digits), without drawing random bytes on every request.
const idPrefix = randomBytes(10).toString('hex');
const COUNTER_BASE = 0x1000000000000;

export function newRequestId(): string {
  idCounter = idCounter + 1 < COUNTER_BASE ? idCounter + 1 : 0;
  return idPrefix + (COUNTER_BASE + idCounter).toString(16).slice(1);
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

/**
 * The upstream request's header lines (`Name: value\r\n` each, written as one string with the
 * request line): the forwarded ones first, then the client's that are not hop-by-hop.
 */
export function upstreamRequestHeaderLines(rawHeaders: string[], headers: IncomingHttpHeaders, ctx: ForwardContext): string {
  const extraDrop = connectionTokens(headers);
  const host = ctx.upstreamHost || ctx.host;
  const scheme = ctx.scheme;
  let out = host ? `Host: ${host}\r\n` : '';
  out +=
    `X-Request-ID: ${ctx.requestId}\r\n` +
    `X-Real-IP: ${ctx.remoteAddr}\r\nX-Forwarded-For: ${ctx.remoteAddr}\r\n` +
    (ctx.host ? `X-Forwarded-Host: ${ctx.host}\r\n` : '') +
    `X-Forwarded-Port: ${ctx.port}\r\nX-Forwarded-Proto: ${scheme}\r\nX-Forwarded-Scheme: ${scheme}\r\nX-Scheme: ${scheme}\r\n`;
  const xff = headers['x-forwarded-for'];
  if (xff) out += `X-Original-Forwarded-For: ${Array.isArray(xff) ? xff.join(', ') : xff}\r\n`;
  if (ctx.xForwardedPrefix) out += `X-Forwarded-Prefix: ${ctx.xForwardedPrefix}\r\n`;
  if (ctx.upgrade) out += `Connection: upgrade\r\nUpgrade: ${ctx.upgrade}\r\n`;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (DROP_REQUEST.has(lower) || (extraDrop && extraDrop.has(lower))) continue;
    out += name + ': ' + rawHeaders[i + 1]! + '\r\n';
  }
  return out;
}

/**
 * The client's response header lines: the upstream's minus hop-by-hop ones and its Server and
 * Date (nginx sets its own before these), then `extra` replacing any of the same name (CORS,
 * HSTS, affinity cookie).
 */
export function clientResponseHeaderLines(rawHeaders: string[], extra?: Record<string, string | string[]>): string {
  let out = '';
  let replaced: Set<string> | undefined;
  if (extra) {
    replaced = new Set();
    for (const k of Object.keys(extra)) if (k.toLowerCase() !== 'set-cookie') replaced.add(k.toLowerCase());
  }
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    const lower = name.toLowerCase();
    if (DROP_RESPONSE.has(lower) || (replaced && replaced.has(lower))) continue;
    out += name + ': ' + rawHeaders[i + 1]! + '\r\n';
  }
  if (extra) {
    for (const k in extra) {
      const v = extra[k]!;
      if (Array.isArray(v)) for (const one of v) out += k + ': ' + one + '\r\n';
      else out += k + ': ' + v + '\r\n';
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
