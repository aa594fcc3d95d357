import type { Socket } from 'node:net';
import { ChunkedScanner } from './chunked.js';
import { parseRequestHead, type RequestHead } from './head.js';
import type { LocalReply, ServerDialect } from '../local-reply.js';

// One client connection, as nginx's http module runs it: read a request head, hand the request
// to the proxy, stream its body on demand, write the response, then the next request (pipelined
// requests wait their turn in the buffer). The proxy drives each request through ClientRequest.
// Timeouts and limits are ingress-nginx's defaults.

export interface ClientLimits {
  /** client_header_timeout: a head must arrive within this. */
  headerTimeoutMs: number;
  /** keepalive_timeout: an idle connection is closed after this. */
  keepAliveTimeoutMs: number;
  /** client_body_timeout: longest silence while a body is read. */
  bodyTimeoutMs: number;
  /** large_client_header_buffers (4 × 8k). */
  maxHeadBytes: number;
  /** keepalive_requests: the connection closes after this many. */
  keepAliveRequests: number;
}

export const NGINX_CLIENT_LIMITS: ClientLimits = {
  headerTimeoutMs: 60_000,
  keepAliveTimeoutMs: 75_000,
  bodyTimeoutMs: 60_000,
  maxHeadBytes: 32 * 1024,
  keepAliveRequests: 1000,
};

/** How long a closing connection keeps reading (and dropping) what the client still sends, so it gets the answer before a reset (nginx's lingering_timeout). */
const LINGER_MS = 5000;

/** First body bytes up to this size are copied behind the response head, so both leave in one plain write. */
const COPY_FIRST_BYTES = 16 * 1024;

export interface BodySink {
  /** A piece of the body as it came (chunked framing kept); false pauses the client until resumeBody(). */
  data(chunk: Buffer): boolean;
  end(): void;
  /** The body will not be completed: the client went away or sent broken framing. */
  error(reason: string): void;
}

type State = 'idle' | 'request' | 'upgraded' | 'closed';

export class ClientRequest {
  headersSent = false;
  finished = false;
  /** Whether the connection stays open after this response; fixed when the head is written. */
  keepAlive = true;
  /** The client went away before the response was finished. */
  onAbort: (() => void) | undefined;
  /** The client's socket can take more response bytes again. */
  onDrain: (() => void) | undefined;

  constructor(
    readonly conn: ClientConnection,
    readonly head: RequestHead,
    /** Bytes of the request line and headers as the client sent them. */
    readonly headBytes: number,
  ) {}

  get remoteAddress(): string {
    return this.conn.remoteAddress;
  }
  get localPort(): number {
    return this.conn.localPort;
  }
  get encrypted(): boolean {
    return this.conn.encrypted;
  }
  /** Body bytes read so far, without chunked framing. */
  get bodyBytes(): number {
    return this.bodyTotal >= 0 ? this.bodyTotal : this.conn.bodyBytes(this);
  }

  /** The count of body bytes from when the connection let go of this request (for the access log written after). */
  private bodyTotal = -1;

  /** The connection lets go of this request. */
  detached(bodyBytes: number): void {
    this.bodyTotal = bodyBytes;
  }

  readBody(sink: BodySink): void {
    this.conn.startBody(this, sink);
  }
  resumeBody(): void {
    this.conn.resumeBody(this);
  }

  /** The `Connection` header this response carries, deciding keep-alive for good. */
  connectionHeader(forceClose = false): string {
    return this.conn.dialect.connection(this.decideKeepAlive(forceClose), this.head.minor);
  }

  private decideKeepAlive(forceClose: boolean): boolean {
    this.keepAlive = !forceClose && this.conn.mayKeepAlive(this);
    return this.keepAlive;
  }

  /** A complete answer of the ingress's own (redirects, error pages). */
  respond(r: LocalReply): void {
    if (this.finished) return;
    if (this.headersSent) {
      this.destroy();
      return;
    }
    let close = false;
    for (const k in r.headers) if (k.toLowerCase() === 'connection') close = r.headers[k]!.toLowerCase() === 'close';
    const head = this.conn.dialect.replyHead(r, this.decideKeepAlive(close), this.head) + '\r\n';
    const body = this.head.method === 'HEAD' ? '' : r.body;
    this.headersSent = true;
    this.conn.socket.write(body ? head + body : head, 'latin1');
    this.end();
  }

  /** The response head (a latin1 string ending in an empty line), with the first body bytes if any, in one write. */
  writeHead(head: string, first?: Buffer): boolean {
    this.headersSent = true;
    const s = this.conn.socket;
    if (!first || first.length === 0) return s.write(head, 'latin1');
    if (first.length <= COPY_FIRST_BYTES) {
      // One buffer, one plain write: a corked pair of writes goes through the stream's writev
      // path (an array of chunks, a request object per chunk), which cost more than the copy.
      const out = Buffer.allocUnsafe(head.length + first.length);
      out.write(head, 0, 'latin1');
      first.copy(out, head.length);
      return s.write(out);
    }
    s.cork();
    s.write(head, 'latin1');
    const ok = s.write(first);
    s.uncork();
    return ok;
  }

  write(chunk: Buffer | string): boolean {
    return this.conn.socket.write(chunk as Buffer);
  }

  /** The response is complete. */
  end(last?: Buffer | string): void {
    if (this.finished) return;
    if (last && last.length > 0) this.conn.socket.write(last as Buffer);
    this.finished = true;
    this.conn.finish(this);
  }

  /** Cuts the connection (a response that cannot be completed). */
  destroy(): void {
    this.finished = true;
    this.conn.socket.destroy();
  }

  /** For upgrades: the socket leaves the HTTP engine, with the bytes already read past the head. */
  takeOver(): { socket: Socket; head: Buffer } {
    this.finished = true;
    return this.conn.takeOver();
  }
}

export class ClientConnection {
  readonly remoteAddress: string;
  /** The address the client dialled (a mesh connection's original destination), in the same form as remoteAddress. */
  readonly localAddress: string;
  readonly localPort: number;
  private pending: Buffer | null = null;
  private state: State = 'idle';
  private current: ClientRequest | null = null;
  private served = 0;
  private parsing = false;
  private clientEnded = false;
  private draining = false;
  private paused = false;
  // The current request's body.
  private sink: BodySink | null = null;
  private bodyFinished = true;
  private bodyPaused = false;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  /** The socket's inactivity timeout as last set (Node replaces its timer on every setTimeout, even to the same value). */
  private timeoutMs = 0;

  constructor(
    readonly socket: Socket,
    readonly encrypted: boolean,
    private readonly limits: ClientLimits,
    readonly dialect: ServerDialect,
    private readonly handler: (req: ClientRequest) => void,
  ) {
    this.remoteAddress = clientAddress(socket.remoteAddress);
    this.localAddress = clientAddress(socket.localAddress);
    this.localPort = socket.localPort ?? 0;
    socket.on('data', this.onData);
    socket.on('end', this.onEnd);
    socket.on('close', this.onClose);
    socket.on('error', noop);
    socket.on('timeout', this.onTimeout);
    socket.on('drain', this.onDrain);
    this.arm(limits.headerTimeoutMs);
  }

  /**
   * The client's timeout from now on. While a request is with the upstream (its body read) none
   * applies, and the timer is left as it is rather than cleared and set again for every request:
   * onTimeout ignores it then, and the response's writes restart it.
   */
  private arm(ms: number): void {
    if (ms === this.timeoutMs) return;
    this.timeoutMs = ms;
    this.socket.setTimeout(ms);
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.state === 'closed') return; // lingering: the rest of what the client sends is dropped
    if (this.state === 'request' && this.sink !== null && this.pending === null && !this.bodyFinished) {
      this.feedBody(chunk);
      return;
    }
    this.pending = this.pending === null ? chunk : Buffer.concat([this.pending, chunk]);
    if (this.state === 'idle') this.parseLoop();
    else if (this.pending !== null && this.pending.length > this.limits.maxHeadBytes) this.pause();
  };

  private parseLoop(): void {
    if (this.parsing) return;
    this.parsing = true;
    try {
      while (this.state === 'idle' && this.pending !== null) {
        const r = parseRequestHead(this.pending, this.limits.maxHeadBytes);
        if (!r.ok) {
          if (r.incomplete) this.arm(this.limits.headerTimeoutMs);
          else this.reject(this.dialect.refusal(r.status, r.headerTooLarge === true));
          break;
        }
        this.pending = r.size < this.pending.length ? this.pending.subarray(r.size) : null;
        this.begin(r.head, r.size);
      }
      if (this.state === 'idle' && this.pending === null && this.clientEnded) this.close();
    } finally {
      this.parsing = false;
    }
  }

  private begin(head: RequestHead, headBytes: number): void {
    this.served++;
    this.state = 'request';
    const req = new ClientRequest(this, head, headBytes);
    this.current = req;
    this.sink = null;
    this.bodyPaused = false;
    const body = head.body;
    this.bodyFinished = body.kind === 'none' || (body.kind === 'length' && body.length === 0);
    this.remaining = body.kind === 'length' ? body.length : 0;
    this.scanner = body.kind === 'chunked' ? new ChunkedScanner() : null;
    if (!this.bodyFinished) this.arm(this.limits.bodyTimeoutMs);
    this.handler(req);
  }

  bodyBytes(req: ClientRequest): number {
    if (req !== this.current) return 0;
    const b = req.head.body;
    if (b.kind === 'length') return b.length - this.remaining;
    return this.scanner?.payloadBytes ?? 0;
  }

  private detach(): void {
    this.current?.detached(this.bodyBytes(this.current));
    this.current = null;
  }

  mayKeepAlive(req: ClientRequest): boolean {
    return req.head.keepAlive && this.bodyFinished && !this.draining && this.served < this.limits.keepAliveRequests && this.state === 'request';
  }

  /** The server is stopping: the request in flight finishes, then the connection closes. */
  shutdown(): void {
    this.draining = true;
    if (this.state === 'idle') this.close();
  }

  startBody(req: ClientRequest, sink: BodySink): void {
    if (req !== this.current || this.state !== 'request') {
      sink.error('the client connection is gone');
      return;
    }
    if (this.bodyFinished) {
      sink.end();
      return;
    }
    this.sink = sink;
    if (req.head.expectContinue && !req.headersSent) this.socket.write('HTTP/1.1 100 Continue\r\n\r\n');
    const p = this.pending;
    this.pending = null;
    if (p !== null) this.feedBody(p);
    if (!this.bodyPaused) this.resume();
  }

  resumeBody(req: ClientRequest): void {
    if (req !== this.current || !this.bodyPaused) return;
    this.bodyPaused = false;
    if (this.sink !== null && this.pending !== null && !this.bodyFinished) {
      const p = this.pending;
      this.pending = null;
      this.feedBody(p);
    }
    if (!this.bodyPaused) this.resume();
  }

  private feedBody(chunk: Buffer): void {
    let part = chunk;
    if (this.scanner !== null) {
      let end: number;
      try {
        end = this.scanner.scan(chunk);
      } catch (e) {
        this.bodyBroken(`reading the chunked request body: ${(e as Error).message}`);
        return;
      }
      if (end >= 0) {
        this.bodyFinished = true;
        if (end < chunk.length) {
          part = chunk.subarray(0, end);
          this.pending = chunk.subarray(end);
        }
      }
    } else if (chunk.length >= this.remaining) {
      this.bodyFinished = true;
      if (chunk.length > this.remaining) {
        part = chunk.subarray(0, this.remaining);
        this.pending = chunk.subarray(this.remaining);
      }
      this.remaining = 0;
    } else {
      this.remaining -= chunk.length;
    }
    const sink = this.sink!;
    if (part.length > 0 && !sink.data(part)) {
      this.bodyPaused = true;
      this.pause();
    }
    if (this.bodyFinished) {
      this.sink = null;
      sink.end();
    }
  }

  private bodyBroken(reason: string): void {
    const sink = this.sink;
    this.sink = null;
    sink?.error(reason);
    this.socket.destroy();
  }

  finish(req: ClientRequest): void {
    if (req !== this.current || this.state !== 'request') return;
    this.detach();
    this.sink = null;
    if (!req.keepAlive || !this.bodyFinished || (this.clientEnded && this.pending === null)) {
      this.close();
      return;
    }
    this.state = 'idle';
    this.bodyPaused = false;
    this.resume();
    this.arm(this.pending === null ? this.limits.keepAliveTimeoutMs : this.limits.headerTimeoutMs);
    if (this.pending !== null) this.parseLoop();
  }

  takeOver(): { socket: Socket; head: Buffer } {
    this.state = 'upgraded';
    this.detach();
    const s = this.socket;
    s.off('data', this.onData);
    s.off('end', this.onEnd);
    s.off('close', this.onClose);
    s.off('timeout', this.onTimeout);
    s.off('drain', this.onDrain);
    this.arm(0);
    const head = this.pending ?? Buffer.alloc(0);
    this.pending = null;
    this.resume();
    return { socket: s, head };
  }

  /** A head nginx refuses: its error page, then the connection closes. */
  private reject(page: LocalReply): void {
    this.socket.write(this.dialect.replyHead(page, false, undefined) + '\r\n' + page.body, 'latin1');
    this.close();
  }

  /** Ends the connection after what was written, reading on for a while so the client sees the answer rather than a reset. */
  private close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.pending = null;
    this.resume();
    this.arm(LINGER_MS);
    this.socket.end();
  }

  private pause(): void {
    if (this.paused) return;
    this.paused = true;
    this.socket.pause();
  }

  private resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.socket.resume();
  }

  private readonly onEnd = (): void => {
    this.clientEnded = true;
    if (this.state === 'idle' && !this.parsing) {
      if (this.pending === null) this.close();
      else this.socket.destroy(); // a head cut short
    } else if (this.state === 'closed') this.socket.destroy();
    else if (this.state === 'request' && !this.bodyFinished) this.bodyBroken('the client closed the connection before sending the whole body');
    else if (this.state === 'request') {
      // nginx (ngx_http_upstream_check_broken_connection): a client that closes its side while
      // its request is with the upstream has gone away (499); the upstream connection is closed
      // too rather than left waiting for an answer nobody reads.
      this.socket.destroy();
    }
  };

  private readonly onClose = (): void => {
    const req = this.current;
    const sink = this.sink;
    this.state = 'closed';
    this.detach();
    this.sink = null;
    this.pending = null;
    sink?.error('the client closed the connection');
    if (req && !req.finished) req.onAbort?.();
  };

  private readonly onTimeout = (): void => {
    if (this.state === 'request' && this.bodyFinished) return; // the upstream's timeouts apply (arm)
    // Idle keep-alive, a slow head, a stalled body, or lingering: nginx closes without a word.
    this.socket.destroy();
  };

  private readonly onDrain = (): void => {
    this.current?.onDrain?.();
  };
}

/** The client's address as logged and forwarded: an IPv4 client of a dual-stack socket without its `::ffff:` prefix. */
export function clientAddress(remote: string | undefined): string {
  if (!remote) return '';
  return remote.startsWith('::ffff:') && remote.includes('.') ? remote.slice(7) : remote;
}

function noop(): void {}
