// ingress-nginx's access log line, its default `log-format-upstream` (upstreaminfo):
//
//   $remote_addr - $remote_user [$time_local] "$request" $status $body_bytes_sent "$http_referer"
//   "$http_user_agent" $request_length $request_time [$proxy_upstream_name]
//   [$proxy_alternative_upstream_name] $upstream_addr $upstream_response_length
//   $upstream_response_time $upstream_status $req_id
//
// As nginx writes variables: an unset one is `-`, one set to '' (the alternative upstream when no
// canary took the request) is empty, and each try of another endpoint adds `, ` and its value to
// the $upstream_* ones. Text from the client is escaped as nginx's default `escape=default` does.

import { perSecond } from '../proxy/per-second.js';

/** One endpoint tried for the request. */
export interface UpstreamTry {
  /** `address:port`. */
  addr: string;
  /** The endpoint's status, or the 502/504 nginx records for a failed connection or a timeout. */
  status: number;
  /** Body bytes of its response. */
  responseLength: number;
  /** From the start of the try to the end of its response. */
  timeMs: number;
}

export interface IngressAccessRecord {
  remoteAddr: string;
  /** The Authorization header, for $remote_user. */
  authorization: string | undefined;
  /** Epoch ms when the request head was read. */
  start: number;
  method: string;
  target: string;
  minor: 0 | 1;
  status: number;
  bodyBytesSent: number;
  referer: string | undefined;
  userAgent: string | undefined;
  requestLength: number;
  /** '' for a request nginx answers before its location sets one. */
  upstreamName: string;
  alternativeUpstreamName: string;
  tries: UpstreamTry[];
  requestId: string;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** $time_local, `06/Dec/2026:00:41:46 +0000` (the container's zone is UTC). */
export const timeLocal = perSecond((second) => {
  const d = new Date(second * 1000);
  const p = (n: number) => (n < 10 ? '0' : '') + n;
  return `${p(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:${p(d.getUTCHours())}:${p(d.getUTCMinutes())}:${p(d.getUTCSeconds())} +0000`;
});

// Header values are latin1 strings of the bytes the client sent (../proxy/http1/head.ts), so a
// byte at or above 0x7f is one character here, escaped as nginx escapes the byte.
const NEEDS_ESCAPE = /["\\\x00-\x1f\x7f-\xff]/;
const ESCAPED = /["\\\x00-\x1f\x7f-\xff]/g;

/** nginx's `escape=default`: `"`, `\`, control characters and bytes above 0x7e as `\xHH`. */
export function escapeValue(v: string): string {
  if (!NEEDS_ESCAPE.test(v)) return v;
  return v.replace(ESCAPED, (c) => '\\x' + c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0'));
}

/** $remote_user: the user name of Basic credentials, whether or not the location asks for them. */
export function remoteUser(authorization: string | undefined): string | undefined {
  if (!authorization || authorization.length < 7 || authorization.slice(0, 6).toLowerCase() !== 'basic ') return undefined;
  const decoded = Buffer.from(authorization.slice(6).trim(), 'base64').toString('latin1');
  const colon = decoded.indexOf(':');
  return colon > 0 ? decoded.slice(0, colon) : undefined;
}

/** Milliseconds as nginx prints seconds with millisecond resolution, `0.002`. */
function seconds(ms: number): string {
  const m = ms > 0 ? Math.round(ms) : 0;
  const frac = m % 1000;
  return `${(m - frac) / 1000}.${frac < 10 ? '00' : frac < 100 ? '0' : ''}${frac}`;
}

const orDash = (v: string | undefined) => (v === undefined || v === '' ? '-' : escapeValue(v));

/** The $upstream_* fields: each try's value, joined as nginx joins them. */
function upstreamFields(list: UpstreamTry[]): string {
  if (list.length === 0) return '- - - -';
  const one = list[0]!;
  if (list.length === 1) return `${one.addr} ${one.responseLength} ${seconds(one.timeMs)} ${one.status}`;
  const join = (field: (t: UpstreamTry) => string | number) => list.map(field).join(', ');
  return `${join((t) => t.addr)} ${join((t) => t.responseLength)} ${join((t) => seconds(t.timeMs))} ${join((t) => t.status)}`;
}

export function upstreamInfoLine(r: IngressAccessRecord, now: number): string {
  return (
    `${r.remoteAddr} - ${r.authorization === undefined ? '-' : orDash(remoteUser(r.authorization))} [${timeLocal(now)}] "${escapeValue(`${r.method} ${r.target} HTTP/1.${r.minor}`)}" ` +
    `${r.status} ${r.bodyBytesSent} "${orDash(r.referer)}" "${orDash(r.userAgent)}" ${r.requestLength} ${seconds(now - r.start)} ` +
    `[${r.upstreamName}] [${r.alternativeUpstreamName}] ${upstreamFields(r.tries)} ${r.requestId}\n`
  );
}
