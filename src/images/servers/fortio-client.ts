// fortio's fast HTTP/1.1 client (fhttp.FastClient): one socket per thread, kept alive while
// answers are 2xx (or 418) with a length, closed after any other code (whose headers it does not
// read), reconnected once when a kept socket turns out dead, the host resolved again for every
// new socket. Each fetch reports the code (-1 for a socket error), the bytes read and the
// header length, which is what the load report counts.
import { lookup } from 'node:dns/promises';
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { canonicalHeaderKey } from './common.js';
import { ERROR, INFO, WARNING, log } from './fortio-log.js';
import { Histogram } from './fortio-stats.js';

export const SOCKET_ERROR = -1;

export interface FetchResult {
  code: number;
  size: number;
  headerLen: number;
  data: Buffer;
}

export interface ClientOptions {
  url: string;
  /** Extra headers, `Key: Value` as -H takes them (Host: replaces the host sent). */
  headers: string[];
  userAgent: string;
  payload?: Buffer;
  method?: string;
  timeoutMs: number;
  keepAlive: boolean;
  insecure: boolean;
  logErrors: boolean;
  /** The thread number, in log lines. */
  id: number;
  run: number;
  /** The connection-time histogram's resolution and offset (seconds), as -r and -offset give them. */
  resolution: number;
  offset: number;
}

/** `2xx` and 418 count as success (codeIsOK). */
export function codeIsOK(code: number): boolean {
  return (code >= 200 && code <= 299) || code === 418;
}

interface Target {
  https: boolean;
  hostname: string;
  port: number;
  /** Host header value as the URL gives it. */
  host: string;
  requestURI: string;
}

/** The URL as fortio reads it: http:// assumed when there is no scheme. */
export function parseTarget(raw: string): Target | { error: string } {
  let text = raw;
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    log(WARNING, { file: 'http_client.go', line: 173 }, `Assuming http:// on missing scheme for '${raw}'`);
    text = `http://${text}`;
  }
  let u: URL;
  try {
    u = new URL(text);
  } catch {
    return { error: `parse ${JSON.stringify(raw)}: invalid URL` };
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return { error: `unsupported scheme ${u.protocol.slice(0, -1)}` };
  const https = u.protocol === 'https:';
  const hostname = u.hostname.replace(/^\[(.*)\]$/, '$1');
  return { https, hostname, port: Number(u.port || (https ? 443 : 80)), host: u.host, requestURI: `${u.pathname || '/'}${u.search}` };
}

function addrString(ip: string, port: number): string {
  return isIP(ip) === 6 ? `[${ip}]:${port}` : `${ip}:${port}`;
}

interface Pending {
  chunks: Buffer[];
  size: number;
  resolve: (r: FetchResult | 'retry') => void;
  reused: boolean;
}

export class FastClient {
  /** Sockets this client opened. */
  socketCount = 0;
  /** How often each resolved address was used for a new socket (stats.Occurrence). */
  readonly addresses = new Map<string, number>();
  readonly connectStats: Histogram;
  private readonly target: Target;
  private readonly request: Buffer;
  private socket: Socket | undefined;
  private dest: { ip: string; port: number } | undefined;
  private pending: Pending | undefined;

  constructor(
    private readonly o: ClientOptions,
    target: Target,
  ) {
    this.target = target;
    this.connectStats = new Histogram(o.offset, o.resolution);
    let host = target.host;
    const headers = new Map<string, string[]>([['User-Agent', [o.userAgent]]]);
    for (const h of o.headers) {
      const colon = h.indexOf(':');
      const key = canonicalHeaderKey(h.slice(0, colon).trim());
      const value = h.slice(colon + 1).trim();
      if (key === 'Host') host = value;
      else if (key === 'User-Agent') headers.set(key, value === '' ? [] : [value]);
      else headers.set(key, [...(headers.get(key) ?? []), value]);
    }
    if (o.payload && o.payload.length > 0) headers.set('Content-Length', [String(o.payload.length)]);
    const method = o.method ?? (o.payload && o.payload.length > 0 ? 'POST' : 'GET');
    let head = `${method} ${target.requestURI} HTTP/1.1\r\nHost: ${host}\r\n`;
    if (!o.keepAlive) head += 'Connection: close\r\n';
    // http.Header.Write: keys sorted.
    for (const key of [...headers.keys()].sort()) for (const v of headers.get(key)!) head += `${key}: ${v}\r\n`;
    this.request = Buffer.concat([Buffer.from(`${head}\r\n`, 'latin1'), o.payload ?? Buffer.alloc(0)]);
  }

  /** Resolves the host as NewClient does; false (logged) when it does not resolve. */
  async init(): Promise<boolean> {
    return (await this.resolve()) !== undefined;
  }

  private async resolve(): Promise<{ ip: string; port: number } | undefined> {
    const { hostname, port } = this.target;
    try {
      const ip = isIP(hostname) ? hostname : (await lookup(hostname)).address;
      this.dest = { ip, port };
      const key = addrString(ip, port);
      this.addresses.set(key, (this.addresses.get(key) ?? 0) + 1);
      return this.dest;
    } catch (err) {
      log(ERROR, { file: 'network.go', line: 420 }, 'Unable to lookup', { host: hostname, err: `lookup ${hostname}: ${(err as NodeJS.ErrnoException).code === 'ENOTFOUND' ? 'no such host' : (err as Error).message}` });
      return undefined;
    }
  }

  private async connect(): Promise<Socket | undefined> {
    this.socketCount++;
    const dest = this.socketCount > 1 ? await this.resolve() : this.dest;
    if (!dest) return undefined;
    const started = process.hrtime.bigint();
    const socket = await new Promise<Socket | Error>((resolve) => {
      const opts = { host: dest.ip, port: dest.port };
      const s: Socket = this.target.https
        ? tlsConnect({ ...opts, servername: isIP(this.target.hostname) ? undefined : this.target.hostname, rejectUnauthorized: !this.o.insecure, ALPNProtocols: ['http/1.1'] })
        : netConnect(opts);
      const timer = setTimeout(() => s.destroy(new Error(`dial tcp ${addrString(dest.ip, dest.port)}: i/o timeout`)), this.o.timeoutMs);
      s.once(this.target.https ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        resolve(s);
      });
      s.once('error', (err) => {
        clearTimeout(timer);
        resolve(err);
      });
    });
    this.connectStats.record(Number(process.hrtime.bigint() - started) / 1e9);
    if (socket instanceof Error) {
      const code = (socket as NodeJS.ErrnoException).code;
      const why = code === 'ECONNREFUSED' ? 'connect: connection refused' : code === 'EHOSTUNREACH' ? 'connect: no route to host' : socket.message;
      log(ERROR, { file: 'http_client.go', line: 965 }, this.target.https ? 'Unable to TLS connect' : 'Unable to connect',
        { dest: addrString(dest.ip, dest.port), err: `dial tcp ${addrString(dest.ip, dest.port)}: ${why}`, thread: this.o.id, run: this.o.run }, this.o.id + 2);
      return undefined;
    }
    socket.setNoDelay(true);
    socket.on('data', (c: Buffer) => this.onData(socket, c));
    const gone = (err?: Error) => this.onGone(socket, err);
    socket.on('end', () => gone());
    socket.on('error', gone);
    socket.on('close', () => gone());
    return socket;
  }

  /** One request and its answer (StreamFetch). */
  async fetch(): Promise<FetchResult> {
    const reused = this.socket !== undefined;
    const socket = this.socket ?? (await this.connect());
    this.socket = undefined;
    if (!socket) return { code: SOCKET_ERROR, size: 0, headerLen: 0, data: Buffer.alloc(0) };
    const result = await new Promise<FetchResult | 'retry'>((resolve) => {
      const timer = setTimeout(() => this.finish(socket, { code: SOCKET_ERROR, headerLen: 0, keep: false, timeout: true }), this.o.timeoutMs);
      this.pending = {
        chunks: [], size: 0, reused,
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
      };
      socket.write(this.request);
    });
    if (result === 'retry') {
      log(INFO, { file: 'http_client.go', line: 1118 }, 'Closing dead socket (err at first read)', { thread: this.o.id, run: this.o.run }, this.o.id + 2);
      return this.fetch();
    }
    return result;
  }

  private finish(socket: Socket, r: { code: number; headerLen: number; keep: boolean; timeout?: boolean }): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    const data = Buffer.concat(p.chunks);
    if (r.timeout) {
      log(ERROR, { file: 'http_client.go', line: 1138 }, 'Timeout error (incomplete/invalid response)',
        { size: p.size, header_len: 0, url: this.o.url, thread: this.o.id, run: this.o.run }, this.o.id + 2);
    }
    if (r.keep && !socket.destroyed) this.socket = socket;
    else socket.destroy();
    p.resolve({ code: r.code, size: p.size, headerLen: r.headerLen, data });
  }

  private onGone(socket: Socket, err?: Error): void {
    if (this.socket === socket) this.socket = undefined;
    const p = this.pending;
    if (!p) return;
    if (p.reused && p.size === 0) {
      this.pending = undefined;
      socket.destroy();
      p.resolve('retry');
      return;
    }
    if (p.size === 0 || err) {
      log(ERROR, { file: 'http_client.go', line: 1138 }, 'Read error', { err: err ? err.message : 'EOF', size: p.size, url: this.o.url, thread: this.o.id, run: this.o.run }, this.o.id + 2);
      this.finish(socket, { code: SOCKET_ERROR, headerLen: 0, keep: false });
      return;
    }
    // An answer that ends with the connection (no length): what was read is the answer.
    const status = this.parseStatus(Buffer.concat(p.chunks));
    const headEnd = Buffer.concat(p.chunks).indexOf('\r\n\r\n');
    this.finish(socket, { code: status, headerLen: headEnd >= 0 ? headEnd + 4 : 0, keep: false });
  }

  private parseStatus(buf: Buffer): number {
    const digits = buf.subarray(9, 12).toString('latin1');
    return /^\d{3}$/.test(digits) ? Number(digits) : SOCKET_ERROR;
  }

  private onData(socket: Socket, chunk: Buffer): void {
    const p = this.pending;
    if (!p) {
      // Bytes nobody asked for: the socket cannot be trusted with the next request.
      if (this.socket === socket) this.socket = undefined;
      socket.destroy();
      return;
    }
    p.chunks.push(chunk);
    p.size += chunk.length;
    if (p.size < 12) return;
    const buf = p.chunks.length === 1 ? p.chunks[0] : Buffer.concat(p.chunks);
    p.chunks = [buf];
    const code = this.parseStatus(buf);
    if (!codeIsOK(code)) {
      if (this.o.logErrors) {
        log(WARNING, { file: 'http_client.go', line: 1159 }, 'Non ok http code', { code, status: buf.subarray(0, 12).toString('latin1'), thread: this.o.id, run: this.o.run }, this.o.id + 2);
      }
      this.finish(socket, { code, headerLen: 0, keep: false });
      return;
    }
    const headEnd = buf.indexOf('\r\n\r\n');
    if (headEnd < 0) return;
    const headerLen = headEnd + 4;
    if (!this.o.keepAlive) return; // read to the end of the connection
    const head = buf.subarray(0, headerLen).toString('latin1').toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (length) {
      if (buf.length >= headerLen + Number(length[1])) this.finish(socket, { code, headerLen, keep: true });
      return;
    }
    if (/\r\ntransfer-encoding:\s*chunked/.test(head)) {
      if (chunkedComplete(buf, headerLen)) this.finish(socket, { code, headerLen, keep: true });
      return;
    }
    log(WARNING, { file: 'http_client.go', line: 1225 }, 'Content-length missing', { header_len: headerLen, thread: this.o.id, run: this.o.run }, this.o.id + 2);
    this.finish(socket, { code, headerLen, keep: false });
  }

  close(): void {
    this.socket?.destroy();
    this.socket = undefined;
  }
}

/** Whether a chunked body starting at `at` has reached its last (zero) chunk and final CRLF. */
function chunkedComplete(buf: Buffer, at: number): boolean {
  let i = at;
  for (;;) {
    const eol = buf.indexOf('\r\n', i);
    if (eol < 0) return false;
    const size = parseInt(buf.subarray(i, eol).toString('latin1').split(';')[0], 16);
    if (Number.isNaN(size)) return true;
    if (size === 0) return buf.indexOf('\r\n\r\n', eol) >= 0 || buf.subarray(eol, eol + 4).toString() === '\r\n\r\n';
    i = eol + 2 + size + 2;
    if (i > buf.length) return false;
  }
}
