// go-httpbin v2's endpoints (mccutchen/go-httpbin, httpbin/handlers.go) as Istio's tasks use
// them: /status/{codes} (weighted too), /delay/{duration}, /headers, /ip, /get, /anything, and
// the method endpoints, with its JSON shapes (json.Encoder, two-space indent, sorted maps), its
// CORS middleware and Go's ServeMux answers for unknown paths and methods.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseGoDuration } from '../../api/duration.js';
import { canonicalHeaderKey, goReply, readBody, remoteAddr } from './common.js';
import { goDuration } from './go-format.js';

export interface HttpbinOptions {
  maxBodySize: number;
  /** Longest /delay, in milliseconds. */
  maxDurationMs: number;
  /** What /hostname reports: `go-httpbin` unless -use-real-hostname. */
  hostname: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';
const TEXT_TYPE = 'text/plain; charset=utf-8';
const HTML_TYPE = 'text/html; charset=utf-8';

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 501: 'Not Implemented',
};

/** A Go map[string][]string (http.Header, url.Values) as encoding/json writes it: keys sorted. */
function sortedValues(entries: Iterable<[string, string]>): Record<string, string[]> {
  const map = new Map<string, string[]>();
  for (const [k, v] of entries) {
    const list = map.get(k);
    if (list) list.push(v);
    else map.set(k, [v]);
  }
  return Object.fromEntries([...map.keys()].sort().map((k) => [k, map.get(k)!]));
}

/** The request's headers as getRequestHeaders returns them: canonical keys, plus Host. */
export function requestHeaders(req: IncomingMessage): Record<string, string[]> {
  const pairs: [string, string][] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = canonicalHeaderKey(req.rawHeaders[i]);
    if (key !== 'Host') pairs.push([key, req.rawHeaders[i + 1]]);
  }
  pairs.push(['Host', req.headers.host ?? '']);
  return sortedValues(pairs);
}

/** getClientIP: the edge headers a platform sets, the first X-Forwarded-For entry, then RemoteAddr (`ip:port`). */
export function clientIP(req: IncomingMessage): string {
  for (const h of ['fly-client-ip', 'cf-connecting-ip', 'fastly-client-ip', 'true-client-ip']) {
    const v = req.headers[h];
    if (typeof v === 'string' && v !== '') return v;
  }
  const xff = req.headers['x-forwarded-for'];
  const first = (Array.isArray(xff) ? xff[0] : xff) ?? '';
  if (first !== '') return first.split(',')[0].trim();
  return remoteAddr(req.socket);
}

/** getURL: the scheme the proxies in front report (else https over TLS, else http), the Host, and the request target. */
export function requestURL(req: IncomingMessage): string {
  const target = req.url ?? '/';
  if (/^https?:\/\//i.test(target)) return target;
  const h = req.headers;
  const tls = (req.socket as { encrypted?: boolean }).encrypted === true;
  const scheme = (h['x-forwarded-proto'] as string | undefined) || (h['x-forwarded-protocol'] as string | undefined) || (h['x-forwarded-ssl'] === 'on' || tls ? 'https' : 'http');
  return `${scheme}://${h.host ?? ''}${target}`;
}

/** json.Encoder with SetIndent("", "  ") and SetEscapeHTML(false): a trailing newline. */
export function goIndentJSON(value: unknown): string {
  return `${JSON.stringify(value, null, 2).replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029')}\n`;
}

function writeJSON(res: ServerResponse, status: number, value: unknown): void {
  res.setHeader('Content-Type', JSON_TYPE);
  goReply(res, status, goIndentJSON(value));
}

/** writeError: {"status_code", "error", "detail"} with the status text. */
function writeError(res: ServerResponse, status: number, detail?: string): void {
  writeJSON(res, status, { status_code: status, error: STATUS_TEXT[status] ?? '', ...(detail ? { detail } : {}) });
}

/** strconv.Atoi's errors. */
function atoi(input: string): number | string {
  if (!/^[+-]?\d+$/.test(input)) return `strconv.Atoi: parsing ${JSON.stringify(input)}: invalid syntax`;
  const n = Number(input);
  if (!Number.isSafeInteger(n)) return `strconv.Atoi: parsing ${JSON.stringify(input)}: value out of range`;
  return n;
}

/** parseStatusCode: a code in [100, 599], or the error text. */
export function parseStatusCode(input: string): number | { error: string } {
  const code = atoi(input);
  if (typeof code === 'string') return { error: `invalid status code: ${JSON.stringify(input)}: ${code}` };
  if (code < 100 || code > 599) return { error: `invalid status code: ${code} not in range [100, 599]` };
  return code;
}

export interface WeightedChoice {
  choice: number;
  weight: number;
}

/** parseWeightedChoices: `200:0.9,503:0.1`; a choice without weight weighs 1. */
export function parseWeightedChoices(raw: string): WeightedChoice[] | { error: string } {
  const choices: WeightedChoice[] = [];
  for (const pair of raw.split(',')) {
    const colon = pair.indexOf(':');
    const rawChoice = colon >= 0 ? pair.slice(0, colon) : pair;
    let weight = 1;
    if (colon >= 0) {
      const rawWeight = pair.slice(colon + 1);
      weight = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(rawWeight) ? Number(rawWeight) : NaN;
      if (Number.isNaN(weight)) return { error: `invalid weight value: ${JSON.stringify(rawWeight)}` };
    }
    const choice = atoi(rawChoice);
    if (typeof choice === 'string') return { error: `invalid choice value: ${JSON.stringify(rawChoice)}` };
    choices.push({ choice, weight });
  }
  return choices;
}

/** weightedRandomChoice: `random` in [0, 1) scaled by the total weight picks the choice. */
export function weightedChoice(choices: WeightedChoice[], random = Math.random()): number {
  const total = choices.reduce((sum, c) => sum + c.weight, 0);
  const point = random * total;
  let at = 0;
  for (const c of choices) {
    at += c.weight;
    if (point < at) return c.choice;
  }
  return choices[choices.length - 1].choice;
}

/**
 * parseBoundedDuration: a Go duration (`1.5s`) or a number of seconds (`3`, truncated to
 * milliseconds), within [0, max]; in nanoseconds, or the error text.
 */
export function parseDelay(input: string, maxMs: number): number | { error: string } {
  let ms = parseGoDuration(input);
  if (ms === undefined) {
    if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(input) && !/^[+-]?(inf|infinity|nan)$/i.test(input)) {
      return { error: `strconv.ParseFloat: parsing ${JSON.stringify(input)}: invalid syntax` };
    }
    ms = Math.trunc(Number(input) * 1000);
  }
  const ns = Math.round(ms * 1e6);
  if (ms > maxMs) return { error: `duration ${goDuration(ns)} longer than ${goDuration(maxMs * 1e6)}` };
  if (ms < 0) return { error: `duration ${goDuration(ns)} shorter than 0s` };
  return ns;
}

interface StatusCase {
  headers?: Record<string, string>;
  body?: string;
}

const REDIRECT: StatusCase = { headers: { Location: '/redirect/1' } };

// createSpecialCases: the statuses whose answer has more than a status line.
const STATUS_CASES: Record<number, StatusCase> = {
  300: {
    headers: { Location: '/image/jpeg' },
    body: '<!doctype html>\n<head>\n<title>Multiple Choices</title>\n</head>\n<body>\n<ul>\n<li><a href="/image/jpeg">/image/jpeg</a></li>\n<li><a href="/image/png">/image/png</a></li>\n<li><a href="/image/svg">/image/svg</a></li>\n</body>\n</html>',
  },
  301: REDIRECT, 302: REDIRECT, 303: REDIRECT, 305: REDIRECT, 307: REDIRECT,
  308: {
    headers: { Location: '/image/jpeg' },
    body: '<!doctype html>\n<head>\n<title>Permanent Redirect</title>\n</head>\n<body>Permanently redirected to <a href="/image/jpeg">/image/jpeg</a>\n</body>\n</html>',
  },
  401: { headers: { 'WWW-Authenticate': 'Basic realm="Fake Realm"' } },
  402: { headers: { 'X-More-Info': 'http://vimeo.com/22053820' }, body: 'Fuck you, pay me!' },
  406: {
    headers: { 'Content-Type': JSON_TYPE },
    body: '{\n  "message": "Client did not request a supported media type",\n  "accept": [\n    "image/webp",\n    "image/svg+xml",\n    "image/jpeg",\n    "image/png",\n    "image/"\n  ]\n}\n',
  },
  407: { headers: { 'Proxy-Authenticate': 'Basic realm="Fake Realm"' } },
  418: { headers: { 'X-More-Info': 'http://tools.ietf.org/html/rfc2324' }, body: "I'm a teapot!" },
};

function doStatus(res: ServerResponse, code: number): void {
  res.setHeader('Content-Type', TEXT_TYPE);
  const special = STATUS_CASES[code];
  for (const [k, v] of Object.entries(special?.headers ?? {})) res.setHeader(k, v);
  goReply(res, code, special?.body ?? '');
}

/** The query as url.Values. */
function queryArgs(url: string): Record<string, string[]> {
  const q = url.indexOf('?');
  return sortedValues(q >= 0 ? new URLSearchParams(url.slice(q + 1)) : []);
}

/** data: URL of a body whose type go-httpbin does not parse (base64.URLEncoding, padded). */
function dataURL(body: Buffer, contentType: string): string {
  const b64 = body.toString('base64url');
  return `data:${contentType || 'application/octet-stream'};base64,${b64}${'='.repeat((4 - (b64.length % 4)) % 4)}`;
}

/** encoding/json's complaint about a body that is not JSON, for the common cases. */
function jsonError(text: string): string {
  const first = text.trimStart()[0];
  if (first === undefined) return 'EOF';
  if (!/[[{"\-0-9tfn]/.test(first)) return `invalid character '${first}' looking for beginning of value`;
  return 'unexpected EOF';
}

/** The bodyResponse fields a request's body fills: data, files, form, json (parseBody). */
async function parseBody(req: IncomingMessage, maxBodySize: number): Promise<{ data: string; form: Record<string, string[]>; json: unknown } | { error: string }> {
  const body = await readBody(req, maxBodySize + 1);
  if (body.length > maxBodySize) return { error: 'http: request body too large' };
  const empty = { data: '', form: {}, json: null };
  if (body.length === 0) return empty;
  const data = body.toString('utf8');
  const contentType = (req.headers['content-type'] ?? '').split(';')[0];
  switch (contentType) {
    case 'text/html':
    case 'text/plain':
      return { ...empty, data };
    case 'application/x-www-form-urlencoded':
      return { ...empty, data, form: sortedValues(new URLSearchParams(data)) };
    case 'application/json':
      try {
        return { ...empty, data, json: JSON.parse(data) };
      } catch {
        return { error: jsonError(data) };
      }
    default:
      return { ...empty, data: dataURL(body, contentType) };
  }
}

function noBodyResponse(req: IncomingMessage): Record<string, unknown> {
  return { args: queryArgs(req.url ?? '/'), headers: requestHeaders(req), method: req.method, origin: clientIP(req), url: requestURL(req) };
}

async function requestWithBody(req: IncomingMessage, res: ServerResponse, opts: HttpbinOptions): Promise<void> {
  const parsed = await parseBody(req, opts.maxBodySize);
  if ('error' in parsed) {
    writeError(res, 400, `error parsing request body: ${parsed.error}`);
    return;
  }
  writeJSON(res, 200, { ...noBodyResponse(req), data: parsed.data, files: {}, form: parsed.form, json: parsed.json });
}

function anything(req: IncomingMessage, res: ServerResponse, opts: HttpbinOptions): Promise<void> | void {
  if (req.method === 'HEAD') return writeJSON(res, 200, noBodyResponse(req));
  return requestWithBody(req, res, opts);
}

function status(req: IncomingMessage, res: ServerResponse, raw: string): void {
  req.resume();
  if (!raw.includes(',')) {
    const code = parseStatusCode(raw);
    if (typeof code === 'number') doStatus(res, code);
    else writeError(res, 400, code.error);
    return;
  }
  const choices = parseWeightedChoices(raw);
  if ('error' in choices) writeError(res, 400, choices.error);
  else doStatus(res, weightedChoice(choices));
}

async function delay(req: IncomingMessage, res: ServerResponse, raw: string, opts: HttpbinOptions): Promise<void> {
  const ns = parseDelay(raw, opts.maxDurationMs);
  if (typeof ns !== 'number') {
    req.resume();
    writeError(res, 400, `invalid duration: ${ns.error}`);
    return;
  }
  const gone = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), ns / 1e6);
    res.once('close', () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
  if (gone) return;
  res.setHeader('Server-Timing', `initial_delay;dur=${(ns / 1e6).toFixed(2)};desc="initial delay"`);
  await requestWithBody(req, res, opts);
}

const INDEX = `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>go-httpbin(1): HTTP Client Testing Service</title>
</head>
<body>
<h1>go-httpbin(1): HTTP Client Testing Service</h1>
<h2>ENDPOINTS</h2>
<ul>
<li><a href="/anything"><code>/anything/:anything</code></a> Returns anything that is passed to request.</li>
<li><a href="/delay/3"><code>/delay/:n</code></a> Delays responding for <em>min(n, 10)</em> seconds.</li>
<li><a href="/get"><code>/get</code></a> Returns GET data.</li>
<li><a href="/headers"><code>/headers</code></a> Returns request header dict.</li>
<li><a href="/hostname"><code>/hostname</code></a> Returns the name of the host serving the request.</li>
<li><a href="/ip"><code>/ip</code></a> Returns Origin IP.</li>
<li><code>/post</code>, <code>/put</code>, <code>/patch</code>, <code>/delete</code> Return request data for their method.</li>
<li><a href="/status/418"><code>/status/:code</code></a> Returns given HTTP Status code; <code>/status/200:0.9,503:0.1</code> picks one by weight.</li>
<li><a href="/user-agent"><code>/user-agent</code></a> Returns user-agent.</li>
<li><a href="/uuid"><code>/uuid</code></a> Generates a UUIDv4 value.</li>
</ul>
</body>
</html>
`;

type Handler = (req: IncomingMessage, res: ServerResponse, opts: HttpbinOptions, params: string[]) => Promise<void> | void;

interface Route {
  /** The methods the pattern is restricted to (GET also matches HEAD, as in ServeMux); none: any. */
  methods?: string[];
  pattern: RegExp;
  handler: Handler;
}

const drained = (fn: (req: IncomingMessage, res: ServerResponse, opts: HttpbinOptions, params: string[]) => void): Handler =>
  (req, res, opts, params) => {
    req.resume();
    fn(req, res, opts, params);
  };

const ROUTES: Route[] = [
  { methods: ['GET', 'HEAD'], pattern: /^\/$/, handler: drained((_req, res) => {
    res.setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' camo.githubusercontent.com");
    res.setHeader('Content-Type', HTML_TYPE);
    goReply(res, 200, INDEX);
  }) },
  { methods: ['GET', 'HEAD'], pattern: /^\/get$/, handler: drained((req, res) => writeJSON(res, 200, noBodyResponse(req))) },
  { methods: ['HEAD'], pattern: /^\/head$/, handler: drained((req, res) => writeJSON(res, 200, noBodyResponse(req))) },
  { methods: ['POST'], pattern: /^\/post$/, handler: requestWithBody },
  { methods: ['PUT'], pattern: /^\/put$/, handler: requestWithBody },
  { methods: ['PATCH'], pattern: /^\/patch$/, handler: requestWithBody },
  { methods: ['DELETE'], pattern: /^\/delete$/, handler: requestWithBody },
  { pattern: /^\/anything(?:\/.*)?$/, handler: anything },
  { pattern: /^\/status\/([^/]+)$/, handler: (req, res, _opts, p) => status(req, res, p[0]) },
  { pattern: /^\/delay\/([^/]+)$/, handler: (req, res, opts, p) => delay(req, res, p[0], opts) },
  { pattern: /^\/headers$/, handler: drained((req, res) => writeJSON(res, 200, { headers: requestHeaders(req) })) },
  { pattern: /^\/ip$/, handler: drained((req, res) => writeJSON(res, 200, { origin: clientIP(req) })) },
  { pattern: /^\/user-agent$/, handler: drained((req, res) => writeJSON(res, 200, { 'user-agent': req.headers['user-agent'] ?? '' })) },
  { pattern: /^\/hostname$/, handler: drained((_req, res, opts) => writeJSON(res, 200, { hostname: opts.hostname })) },
  { pattern: /^\/uuid$/, handler: drained((_req, res) => writeJSON(res, 200, { uuid: randomUUID() })) },
  { pattern: /^\/brotli$/, handler: drained((_req, res) => writeError(res, 501)) },
];

/** http.Error as ServeMux answers: the text and a newline, nosniff. */
function muxError(res: ServerResponse, status: number, text: string): void {
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Type', TEXT_TYPE);
  goReply(res, status, `${text}\n`);
}

/** Serves one request as go-httpbin's handler chain does (preflight, then the mux). */
export async function serveHttpbin(req: IncomingMessage, res: ServerResponse, opts: HttpbinOptions): Promise<void> {
  const origin = req.headers.origin;
  res.setHeader('Access-Control-Allow-Origin', typeof origin === 'string' && origin !== '' ? origin : '*');
  res.setHeader('Access-Control-Allow-Credentials', 'true');
  if (req.method === 'OPTIONS') {
    req.resume();
    res.setHeader('Access-Control-Allow-Methods', 'GET, POST, HEAD, PUT, DELETE, PATCH, OPTIONS');
    res.setHeader('Access-Control-Max-Age', '3600');
    const asked = req.headers['access-control-request-headers'];
    if (typeof asked === 'string' && asked !== '') res.setHeader('Access-Control-Allow-Headers', asked);
    goReply(res, 200, '');
    return;
  }
  const target = req.url ?? '/';
  let path = target.split('?')[0];
  if (/^https?:\/\//i.test(path)) path = new URL(path).pathname;
  let pathDecoded: string;
  try {
    pathDecoded = decodeURIComponent(path);
  } catch {
    pathDecoded = path;
  }
  const allowed: string[] = [];
  for (const route of ROUTES) {
    const m = route.pattern.exec(pathDecoded);
    if (!m) continue;
    if (route.methods && !route.methods.includes(req.method ?? '')) {
      allowed.push(...route.methods);
      continue;
    }
    await route.handler(req, res, opts, m.slice(1));
    return;
  }
  req.resume();
  if (allowed.length > 0) {
    res.setHeader('Allow', [...new Set(allowed)].join(', '));
    muxError(res, 405, 'Method Not Allowed');
    return;
  }
  muxError(res, 404, '404 page not found');
}
