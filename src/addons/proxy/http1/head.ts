// HTTP/1.x message heads (RFC 9112 §2–§6) as the raw-socket proxy reads them: the request a
// client sends and the response an upstream sends. Pure functions over a Buffer: the caller owns
// the socket and keeps appending bytes until the result is no longer `incomplete`.
//
// Where RFC 9112 leaves room, nginx (ingress-nginx's engine) decides: bare LF line ends and
// leading empty lines are accepted, obs-fold and whitespace before ':' are rejected (nginx ≥
// 1.21.1), Content-Length together with Transfer-Encoding is rejected (nginx ≥ 1.23), a
// Transfer-Encoding other than exactly "chunked" is 501.
//
// Cost model: one latin1 decode of the whole head for substrings, bytes scanned on the Buffer
// itself; no regular expressions on the hot path.

export type BodyFraming =
  | { kind: 'none' }
  | { kind: 'length'; length: number }
  | { kind: 'chunked' }
  | { kind: 'close' }; // response only: body runs until the upstream closes

export interface RequestHead {
  method: string;
  target: string;
  minor: 0 | 1;
  rawHeaders: string[];
  headers: Record<string, string>;
  body: BodyFraming;
  keepAlive: boolean;
  upgrade: boolean;
  expectContinue: boolean;
}

export interface ResponseHead {
  status: number;
  reason: string;
  minor: 0 | 1;
  rawHeaders: string[];
  body: BodyFraming;
  keepAlive: boolean;
}

export type HeadResult<T> =
  | { ok: true; head: T; size: number }
  | { ok: false; incomplete: true }
  | {
      ok: false;
      incomplete: false;
      status: number;
      /** What was wrong, worded like nginx's error log ("client sent invalid method"). */
      reason: string;
      /** nginx answers an over-long header section with status 400 but its own page title
       *  "Request Header Or Cookie Too Large" (internal code 494); set only in that case. */
      headerTooLarge?: true;
    };

// Framings without per-message data are shared and frozen: one less allocation per message.
const NO_BODY: BodyFraming = Object.freeze({ kind: 'none' }) as BodyFraming;
const CHUNKED_BODY: BodyFraming = Object.freeze({ kind: 'chunked' }) as BodyFraming;
const CLOSE_BODY: BodyFraming = Object.freeze({ kind: 'close' }) as BodyFraming;

const INCOMPLETE = Object.freeze({ ok: false, incomplete: true }) as { ok: false; incomplete: true };

type Rejection = Extract<HeadResult<unknown>, { incomplete: false }>;

function reject(status: number, reason: string): Rejection {
  return { ok: false, incomplete: false, status, reason };
}

const CR = 13;
const LF = 10;
const SP = 32;
const HTAB = 9;
const COLON = 58;

/** RFC 9110 tchar. */
const TCHAR = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 48; c <= 57; c++) TCHAR[c] = 1;
for (let c = 65; c <= 90; c++) TCHAR[c] = 1;
for (let c = 97; c <= 122; c++) TCHAR[c] = 1;

/** Bytes a field value may not carry: CTLs other than HTAB (CR and LF end the line). */
function isBadValueByte(c: number): boolean {
  return (c < 0x20 && c !== HTAB) || c === 0x7f;
}

/**
 * Finds the end of a head starting at `from`: the index just past the LF of the empty line, or -1
 * when the buffer does not hold it yet. Uses Buffer.indexOf (memchr) per line.
 */
function findHeadEnd(buf: Buffer, from: number): number {
  const len = buf.length;
  let p = buf.indexOf(LF, from);
  while (p !== -1) {
    const n = p + 1;
    if (n >= len) return -1;
    const c = buf[n];
    if (c === LF) return n + 1;
    if (c === CR) {
      if (n + 1 >= len) return -1;
      if (buf[n + 1] === LF) return n + 2;
    }
    p = buf.indexOf(LF, n);
  }
  return -1;
}

// The `headers` record: no Object.prototype behind it (a field named "__proto__" or
// "constructor" is just a field), created like node's NullObject because Object.create(null)
// yields a slow dictionary object that costs ~2x to build.
const HeaderRecord = function HeaderRecord() {} as unknown as new () => object;
HeaderRecord.prototype = Object.create(null);

// Headers node's IncomingMessage keeps only once (first wins); others are joined.
const FIRST_WINS = new Set([
  'content-type', 'content-length', 'user-agent', 'referer', 'host', 'authorization',
  'proxy-authorization', 'if-modified-since', 'if-unmodified-since', 'from', 'location',
  'max-forwards', 'retry-after', 'etag', 'last-modified', 'server', 'age', 'expires',
]);

// What the framing rules need from the fields, gathered while they are read. Parsing is
// synchronous, so one module-level scratch object serves every call.
interface FieldFacts {
  contentLength: number; // -1: none seen
  contentLengthBad: boolean;
  transferEncoding: string | null;
  transferEncodingCount: number;
  connection: number; // CONN_* bits
  hostCount: number;
  host: string | null;
  hasUpgrade: boolean;
  expect: string | null;
}
const facts: FieldFacts = {
  contentLength: -1, contentLengthBad: false, transferEncoding: null, transferEncodingCount: 0,
  connection: 0, hostCount: 0, host: null, hasUpgrade: false, expect: null,
};
function resetFacts(): void {
  facts.contentLength = -1;
  facts.contentLengthBad = false;
  facts.transferEncoding = null;
  facts.transferEncodingCount = 0;
  facts.connection = 0;
  facts.hostCount = 0;
  facts.host = null;
  facts.hasUpgrade = false;
  facts.expect = null;
}

const CONN_CLOSE = 1;
const CONN_KEEP_ALIVE = 2;
const CONN_UPGRADE = 4;

/** Case-insensitive comparison of s[a..b) with a lower-case ASCII word. */
function wordIs(s: string, a: number, b: number, word: string): boolean {
  if (b - a !== word.length) return false;
  for (let k = 0; k < word.length; k++) {
    if ((s.charCodeAt(a + k) | 0x20) !== word.charCodeAt(k)) return false;
  }
  return true;
}

/** The close / keep-alive / upgrade tokens of a Connection value, as CONN_* bits. */
function connectionTokens(v: string): number {
  let bits = 0;
  let i = 0;
  const n = v.length;
  while (i < n) {
    while (i < n && (v.charCodeAt(i) === SP || v.charCodeAt(i) === HTAB || v.charCodeAt(i) === 44)) i++;
    const a = i;
    while (i < n && v.charCodeAt(i) !== 44) i++;
    let b = i;
    while (b > a && (v.charCodeAt(b - 1) === SP || v.charCodeAt(b - 1) === HTAB)) b--;
    if (wordIs(v, a, b, 'close')) bits |= CONN_CLOSE;
    else if (wordIs(v, a, b, 'keep-alive')) bits |= CONN_KEEP_ALIVE;
    else if (wordIs(v, a, b, 'upgrade')) bits |= CONN_UPGRADE;
  }
  return bits;
}

/** Content-Length: 1*DIGIT, no larger than 2^53 - 1; -1 when malformed. */
function parseContentLength(v: string): number {
  const n = v.length;
  if (n === 0 || n > 16) return -1;
  let x = 0;
  for (let k = 0; k < n; k++) {
    const d = v.charCodeAt(k) - 48;
    if (d < 0 || d > 9) return -1;
    x = x * 10 + d;
  }
  return x <= Number.MAX_SAFE_INTEGER ? x : -1;
}

/** Whether the last coding of a Transfer-Encoding list is "chunked" (RFC 9112 §6.3 for responses). */
function finalCodingIsChunked(v: string): boolean {
  let b = v.length;
  while (b > 0 && (v.charCodeAt(b - 1) === SP || v.charCodeAt(b - 1) === HTAB)) b--;
  let a = b;
  while (a > 0 && v.charCodeAt(a - 1) !== 44) a--;
  while (a < b && (v.charCodeAt(a) === SP || v.charCodeAt(a) === HTAB)) a++;
  return wordIs(v, a, b, 'chunked');
}

/**
 * Reads field lines from b[i..n) up to and including the empty line; `s` is the latin1 decode
 * of the same bytes (same indices), used only for slicing. Fills rawHeaders, the module's
 * `facts`, and (requests) the node-style `headers` record. Returns the index after the empty
 * line, or -1 for a malformed line.
 */
function readFields(b: Buffer, s: string, i: number, n: number, raw: string[], headers: Record<string, string> | null): number {
  for (;;) {
    if (i >= n) return -1; // findHeadEnd guarantees an empty line; defensive
    let c = b[i];
    if (c === LF) return i + 1;
    if (c === CR) return b[i + 1] === LF ? i + 2 : -1;
    // A line starting with whitespace is obs-fold (or whitespace before a name): nginx rejects both.
    const nameStart = i;
    while (i < n && TCHAR[c = b[i]] === 1) i++;
    if (i === nameStart || c !== COLON) return -1;
    const name = s.slice(nameStart, i);
    i++;
    while (i < n && ((c = b[i]) === SP || c === HTAB)) i++;
    const valueStart = i;
    for (;;) {
      if (i >= n) return -1;
      c = b[i];
      if (c === CR || c === LF) break;
      if (isBadValueByte(c)) return -1;
      i++;
    }
    let valueEnd = i;
    if (c === CR) {
      if (b[i + 1] !== LF) return -1;
      i += 2;
    } else {
      i += 1;
    }
    while (valueEnd > valueStart && ((c = b[valueEnd - 1]) === SP || c === HTAB)) valueEnd--;
    const value = valueEnd > valueStart ? s.slice(valueStart, valueEnd) : '';
    raw.push(name, value);
    noteField(name.toLowerCase(), value, headers);
  }
}

function noteField(lower: string, value: string, headers: Record<string, string> | null): void {
  switch (lower) {
    case 'host':
      facts.hostCount++;
      if (facts.host === null) facts.host = value;
      break;
    case 'content-length': {
      const len = parseContentLength(value);
      if (len < 0 || (facts.contentLength >= 0 && facts.contentLength !== len)) facts.contentLengthBad = true;
      else facts.contentLength = len;
      break;
    }
    case 'transfer-encoding':
      facts.transferEncodingCount++;
      facts.transferEncoding = facts.transferEncoding === null ? value : facts.transferEncoding + ', ' + value;
      break;
    case 'connection':
      facts.connection |= connectionTokens(value);
      break;
    case 'upgrade':
      facts.hasUpgrade = true;
      break;
    case 'expect':
      if (facts.expect === null) facts.expect = value;
      break;
  }
  if (headers === null) return;
  const prev = headers[lower];
  if (prev === undefined) headers[lower] = value;
  else if (lower === 'cookie') headers[lower] = prev + '; ' + value;
  else if (!FIRST_WINS.has(lower)) headers[lower] = prev + ', ' + value;
}

/** Parses "HTTP/1.1" at b[i..end); returns the minor version, -1 for garbage, -2 for a version other than 1.0/1.1. */
function readVersion(b: Buffer, i: number, end: number): number {
  if (end - i < 8 || b[i] !== 72 || b[i + 1] !== 84 || b[i + 2] !== 84 || b[i + 3] !== 80 || b[i + 4] !== 47) return -1;
  let k = i + 5;
  const majorStart = k;
  let major = 0;
  let d: number;
  while (k < end && (d = b[k] - 48) >= 0 && d <= 9) { major = major * 10 + d; k++; }
  if (k === majorStart || k - majorStart > 3 || k >= end || b[k] !== 46) return -1;
  k++;
  const minorStart = k;
  let minor = 0;
  while (k < end && (d = b[k] - 48) >= 0 && d <= 9) { minor = minor * 10 + d; k++; }
  if (k === minorStart || k - minorStart > 3 || k !== end) return -1;
  if (major !== 1 || minor > 1) return -2;
  return minor;
}

/** Request-target forms by method (RFC 9112 §3.2); returns false when the target is not acceptable. */
function targetAllowed(method: string, t: string): boolean {
  const c0 = t.charCodeAt(0);
  if (method === 'CONNECT') return isAuthority(t, 0, t.length, true);
  if (c0 === 47) return true; // origin-form; bytes were checked while scanning
  if (c0 === 42) return t.length === 1 && method === 'OPTIONS';
  let p: number;
  if (wordIs(t, 0, 7, 'http://')) p = 7;
  else if (wordIs(t, 0, 8, 'https://')) p = 8;
  else return false;
  let e = p;
  while (e < t.length && t.charCodeAt(e) !== 47 && t.charCodeAt(e) !== 63) e++;
  return isAuthority(t, p, e, false);
}

/** host[:port] as nginx's URI parser accepts it: reg-name or [IPv6]; port digits. */
function isAuthority(t: string, a: number, b: number, portRequired: boolean): boolean {
  if (a >= b) return false;
  let i = a;
  if (t.charCodeAt(i) === 91) {
    while (i < b && t.charCodeAt(i) !== 93) i++;
    if (i >= b || i === a + 1) return false;
    i++;
  } else {
    const hostStart = i;
    for (; i < b; i++) {
      const c = t.charCodeAt(i);
      if (c === COLON) break;
      const ok = (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 46 || c === 95 || c === 126;
      if (!ok) return false;
    }
    if (i === hostStart) return false;
  }
  if (i === b) return !portRequired;
  if (t.charCodeAt(i) !== COLON) return false;
  i++;
  if (i === b) return !portRequired;
  for (; i < b; i++) {
    const c = t.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/** nginx's ngx_http_validate_host, reduced to what matters for routing: no path tricks, not empty. */
function hostValid(h: string): boolean {
  if (h.length === 0) return false;
  let prev = 0;
  for (let k = 0; k < h.length; k++) {
    const c = h.charCodeAt(k);
    if (c === 47 || c === 92 || c === 0 || c === SP || c === HTAB) return false;
    if (c === 46 && prev === 46) return false;
    prev = c;
  }
  return true;
}

/** Where the head's bytes end, or why they cannot: shared by both parsers. */
function locateHead(buf: Buffer, start: number, maxBytes: number): number {
  const end = findHeadEnd(buf, start);
  if (end === -1) return buf.length >= maxBytes ? -2 : -1;
  return end > maxBytes ? -2 : end;
}

export function parseRequestHead(buf: Buffer, maxBytes: number): HeadResult<RequestHead> {
  let start = 0;
  const len = buf.length;
  // nginx skips CR and LF before the request line (RFC 9112 §2.2 allows at least one CRLF).
  while (start < len && (buf[start] === CR || buf[start] === LF)) start++;
  if (start === len) return len >= maxBytes ? tooLarge() : INCOMPLETE;
  const end = locateHead(buf, start, maxBytes);
  if (end === -1) return INCOMPLETE;
  if (end === -2) {
    const lineEnd = buf.indexOf(LF, start);
    if (lineEnd === -1 || lineEnd >= maxBytes) return reject(414, 'client sent too long URI');
    return tooLarge();
  }
  // Indices into `s` equal indices into `buf`: bytes are scanned on the Buffer (cheaper than
  // charCodeAt) and strings are cut from the one decode.
  const s = buf.toString('latin1', 0, end);
  const b = buf;
  const n = end;

  // request-line = method SP request-target SP HTTP-version
  let i = start;
  let c = 0;
  while (i < n && TCHAR[c = b[i]] === 1) i++;
  if (i === start || c !== SP) return reject(400, 'client sent invalid method');
  const method = s.slice(start, i);
  while (i < n && b[i] === SP) i++;
  const targetStart = i;
  for (; i < n; i++) {
    c = b[i];
    if (c <= SP || c === 0x7f) break;
  }
  if (i === targetStart) return reject(400, 'client sent invalid request');
  const target = s.slice(targetStart, i);
  if (c !== SP) {
    // No version: an HTTP/0.9 simple request, or a control byte inside the target.
    if (c === CR || c === LF) return reject(505, 'client sent HTTP/0.9 request');
    return reject(400, 'client sent invalid request');
  }
  while (i < n && b[i] === SP) i++;
  const versionStart = i;
  while (i < n && (c = b[i]) !== CR && c !== LF) i++;
  let versionEnd = i;
  while (versionEnd > versionStart && b[versionEnd - 1] === SP) versionEnd--;
  if (c === CR) {
    if (b[i + 1] !== LF) return reject(400, 'client sent invalid request');
    i += 2;
  } else {
    i += 1;
  }
  const minor = readVersion(b, versionStart, versionEnd);
  if (minor === -1) return reject(400, 'client sent invalid request');
  if (minor === -2) return reject(505, 'client sent invalid version');
  if (!targetAllowed(method, target)) return reject(400, 'client sent invalid request');

  const rawHeaders: string[] = [];
  const headers = new HeaderRecord() as Record<string, string>;
  resetFacts();
  if (readFields(b, s, i, n, rawHeaders, headers) < 0) return reject(400, 'client sent invalid header line');

  if (facts.hostCount > 1) return reject(400, 'client sent duplicate host header');
  if (facts.host === null) {
    if (minor === 1) return reject(400, 'client sent HTTP/1.1 request without "Host" header');
  } else if (!hostValid(facts.host)) {
    return reject(400, 'client sent invalid host header');
  }
  if (facts.contentLengthBad) return reject(400, 'client sent invalid "Content-Length" header');

  let body: BodyFraming;
  if (facts.transferEncoding !== null) {
    if (minor === 0) return reject(400, 'client sent HTTP/1.0 request with "Transfer-Encoding" header');
    if (facts.transferEncodingCount > 1) return reject(400, 'client sent duplicate "Transfer-Encoding" header');
    if (!wordIs(facts.transferEncoding, 0, facts.transferEncoding.length, 'chunked')) {
      return reject(501, `client sent unknown "Transfer-Encoding": "${facts.transferEncoding}"`);
    }
    if (facts.contentLength >= 0) {
      return reject(400, 'client sent "Content-Length" and "Transfer-Encoding" headers at the same time');
    }
    body = CHUNKED_BODY;
  } else if (facts.contentLength >= 0) {
    body = { kind: 'length', length: facts.contentLength };
  } else {
    body = NO_BODY;
  }

  const conn = facts.connection;
  const head: RequestHead = {
    method,
    target,
    minor: minor as 0 | 1,
    rawHeaders,
    headers,
    body,
    keepAlive: minor === 1 ? (conn & CONN_CLOSE) === 0 : (conn & CONN_KEEP_ALIVE) !== 0 && (conn & CONN_CLOSE) === 0,
    upgrade: minor === 1 && facts.hasUpgrade && (conn & CONN_UPGRADE) !== 0,
    expectContinue: minor === 1 && facts.expect !== null && wordIs(facts.expect, 0, facts.expect.length, '100-continue'),
  };
  return { ok: true, head, size: end };
}

function tooLarge(): Rejection {
  return { ok: false, incomplete: false, status: 400, reason: 'client sent too large request header', headerTooLarge: true };
}

/**
 * Parses an upstream's response head. Rejections carry status 502: the proxy answers the client
 * with Bad Gateway, as nginx does for "upstream sent invalid header".
 */
export function parseResponseHead(buf: Buffer, maxBytes: number, requestMethod: string): HeadResult<ResponseHead> {
  const end = locateHead(buf, 0, maxBytes);
  if (end === -1) return INCOMPLETE;
  if (end === -2) return reject(502, 'upstream sent too big header');
  const s = buf.toString('latin1', 0, end);
  const b = buf;
  const n = end;

  // status-line = HTTP-version SP status-code SP [ reason-phrase ]; nginx tolerates no reason.
  let i = 0;
  let c = 0;
  while (i < n && (c = b[i]) !== SP && c !== CR && c !== LF) i++;
  const version = readVersion(b, 0, i);
  if (version === -1 || c !== SP) return reject(502, 'upstream sent no valid HTTP/1.0 header');
  if (version === -2 && !s.startsWith('HTTP/1.')) return reject(502, 'upstream sent unsupported HTTP version');
  const minor: 0 | 1 = version === 0 ? 0 : 1; // HTTP/1.x with x > 1 is read as 1.1
  while (i < n && b[i] === SP) i++;
  let status = 0;
  for (let k = 0; k < 3; k++, i++) {
    const d = b[i] - 48;
    if (!(d >= 0 && d <= 9)) return reject(502, 'upstream sent invalid status line');
    status = status * 10 + d;
  }
  if (status < 100 || status > 599) return reject(502, 'upstream sent invalid status line');
  c = b[i];
  if (c !== SP && c !== CR && c !== LF) return reject(502, 'upstream sent invalid status line');
  while (i < n && b[i] === SP) i++;
  const reasonStart = i;
  while (i < n && (c = b[i]) !== CR && c !== LF) i++;
  let reasonEnd = i;
  while (reasonEnd > reasonStart && b[reasonEnd - 1] === SP) reasonEnd--;
  const reason = s.slice(reasonStart, reasonEnd);
  if (c === CR) {
    if (b[i + 1] !== LF) return reject(502, 'upstream sent invalid status line');
    i += 2;
  } else {
    i += 1;
  }

  const rawHeaders: string[] = [];
  resetFacts();
  if (readFields(b, s, i, n, rawHeaders, null) < 0) return reject(502, 'upstream sent invalid header');
  if (facts.contentLengthBad) return reject(502, 'upstream sent invalid "Content-Length" header');
  if (facts.transferEncoding !== null && facts.contentLength >= 0) {
    return reject(502, 'upstream sent "Content-Length" and "Transfer-Encoding" headers at the same time');
  }

  let body: BodyFraming;
  if (
    requestMethod === 'HEAD' || status < 200 || status === 204 || status === 304 ||
    (requestMethod === 'CONNECT' && status < 300)
  ) {
    body = NO_BODY;
  } else if (facts.transferEncoding !== null) {
    // RFC 9112 §6.3: a response whose final coding is not chunked runs until close.
    body = finalCodingIsChunked(facts.transferEncoding) ? CHUNKED_BODY : CLOSE_BODY;
  } else if (facts.contentLength >= 0) {
    body = { kind: 'length', length: facts.contentLength };
  } else {
    body = CLOSE_BODY;
  }

  const conn = facts.connection;
  let keepAlive = minor === 1 ? (conn & CONN_CLOSE) === 0 : (conn & CONN_KEEP_ALIVE) !== 0 && (conn & CONN_CLOSE) === 0;
  // 101 hands the connection to another protocol; HTTP/1.0 with Transfer-Encoding has faulty
  // framing and must be closed after the message (RFC 9112 §6.1).
  if (body === CLOSE_BODY || status === 101 || (minor === 0 && facts.transferEncoding !== null)) keepAlive = false;

  const head: ResponseHead = { status, reason, minor, rawHeaders, body, keepAlive };
  return { ok: true, head, size: end };
}
