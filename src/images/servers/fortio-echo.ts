// fortio's HTTP echo server (fhttp.EchoHandler, DebugHandler): any path echoes the request body
// back, shaped by query arguments: status= (`503` or weighted `503:20,429:10`, the rest 200),
// delay= (`250ms` or weighted, at most 1.5s), size= (a payload of that many bytes), close=,
// header= (`Name:Value`, repeatable). /debug prints the request.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { hostname } from 'node:os';
import { parseGoDuration } from '../../api/duration.js';
import { canonicalHeaderKey, goReply, readBody, remoteAddr } from './common.js';
import { WARNING, log } from './fortio-log.js';
import { goDuration } from './go-format.js';

/** MaxDelay's default: the longest delay= sleeps. */
const MAX_DELAY_MS = 1500;
const started = Date.now();

/** A `value:percent,value:percent` list (percents summing to at most 100), or undefined when malformed. */
function weighted<T>(text: string, parse: (s: string) => T | undefined, what: string): { value: T; upTo: number }[] | undefined {
  const out: { value: T; upTo: number }[] = [];
  let sum = 0;
  for (const entry of text.split(',')) {
    const parts = entry.split(':');
    if (parts.length !== 2) {
      log(WARNING, { file: 'http_utils.go', line: 276 }, `Should have exactly 1 : in ${what} list ${text} -> ${entry}`);
      return undefined;
    }
    const value = parse(parts[0]);
    const pct = Number(parts[1].replace(/%$/, ''));
    if (value === undefined) return undefined;
    if (!Number.isFinite(pct) || pct < 0 || pct > 100) return undefined;
    sum += pct;
    const upTo = Math.round(sum * 1e4) / 1e4;
    if (upTo > 100) return undefined;
    out.push({ value, upTo });
  }
  return out;
}

function pick<T>(list: { value: T; upTo: number }[], fallback: T, random = Math.random()): T {
  const roll = 100 * random;
  for (const e of list) if (roll <= e.upTo) return e.value;
  return fallback;
}

const atoi = (s: string): number | undefined => (/^[+-]?\d+$/.test(s) ? Number(s) : undefined);

/** generateStatus: 200 when absent, 400 when malformed. */
export function echoStatus(text: string, random = Math.random()): number {
  if (!text.includes(',') && !text.includes(':')) return atoi(text) ?? 400;
  const list = weighted(text, atoi, 'status');
  return list ? pick(list, 200, random) : 400;
}

/** generateDelay, in milliseconds: 0 when absent or malformed, at most MAX_DELAY_MS. */
export function echoDelay(text: string, random = Math.random()): number {
  if (text === '') return 0;
  const clamp = (s: string) => {
    const ms = parseGoDuration(s);
    return ms === undefined ? undefined : Math.min(ms, MAX_DELAY_MS);
  };
  if (!text.includes(',') && !text.includes(':')) return Math.max(0, clamp(text) ?? 0);
  const list = weighted(text, clamp, 'delay');
  return list ? Math.max(0, pick(list, 0, random)) : 0;
}

/** generateSize: -1 (echo the body) when absent. */
function echoSize(text: string): number {
  if (text === '') return -1;
  if (!text.includes(',') && !text.includes(':')) return atoi(text) ?? -1;
  const list = weighted(text, atoi, 'size');
  return list ? pick(list, -1) : -1;
}

/** The query arguments every handler honours (handleCommonArgs): delay=, close=, header=. */
async function commonArgs(res: ServerResponse, query: URLSearchParams): Promise<void> {
  const delay = echoDelay(query.get('delay') ?? '');
  if (delay > 0) await new Promise((r) => setTimeout(r, delay));
  const close = query.get('close') ?? '';
  // Connection: close on the answer, and the connection closed after it.
  if (close !== '' && close !== 'false' && close !== '0') res.shouldKeepAlive = false;
  for (const h of query.getAll('header')) {
    const colon = h.indexOf(':');
    if (colon < 0) continue;
    res.appendHeader(h.slice(0, colon), h.slice(colon + 1));
  }
}

/** Bytes of the payload size= asks for (fnet.Payload is random printable text). */
function payload(size: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = 33 + ((i * 7) % 94);
  return b;
}

export async function echo(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://echo');
  const q = url.searchParams;
  const body = await readBody(req);
  await commonArgs(res, q);
  const statusText = q.get('status') ?? '';
  const status = statusText === '' ? 200 : echoStatus(statusText);
  const size = echoSize(q.get('size') ?? '');
  if (size >= 0) {
    if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'application/octet-stream');
    goReply(res, status, payload(size));
    return;
  }
  const type = req.headers['content-type'];
  if (type && !res.hasHeader('Content-Type')) res.setHeader('Content-Type', type);
  goReply(res, status, body);
}

export async function debug(req: IncomingMessage, res: ServerResponse, version: string): Promise<void> {
  const up = goDuration(Math.round((Date.now() - started) / 100) * 100 * 1e6);
  let text = `Φορτίο version ${version} echo debug server up for ${up} on ${hostname()} - request from ${remoteAddr(req.socket)}\n\n`;
  text += `${req.method} ${req.url} HTTP/${req.httpVersion}\n\nheaders:\n\nHost: ${req.headers.host ?? ''}`;
  const headers = new Map<string, string[]>();
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const key = canonicalHeaderKey(req.rawHeaders[i]);
    if (key !== 'Host') headers.set(key, [...(headers.get(key) ?? []), req.rawHeaders[i + 1]]);
  }
  for (const k of [...headers.keys()].sort()) text += `\n${k}: ${headers.get(k)!.join(',')}`;
  const body = (await readBody(req)).toString('utf8');
  text += `\n\nbody:\n\n${body.length <= 515 ? body : `${body.length}: ${body.slice(0, 256)}...${body.slice(-256)}`}\n`;
  const url = new URL(req.url ?? '/', 'http://debug');
  if (url.searchParams.get('env') === 'dump') text += `\nenvironment:\n\n${Object.entries(process.env).map(([k, v]) => `${k}=${v}\n`).join('')}`;
  await commonArgs(res, url.searchParams);
  if (!res.hasHeader('Content-Type')) res.setHeader('Content-Type', 'text/plain; charset=UTF-8');
  goReply(res, 200, Buffer.from(text));
}
