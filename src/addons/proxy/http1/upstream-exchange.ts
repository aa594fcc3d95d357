import { ChunkedError, ChunkedScanner } from './chunked.js';
import type { ClientRequest } from './client-connection.js';
import { parseResponseHead, type ResponseHead } from './head.js';
import type { UpstreamConnection, UpstreamConnections, UpstreamEvents } from './upstream-connections.js';

// One request and its response over one upstream connection: the head (and the client's body,
// streamed) goes out, the response head comes back and is rewritten for the client, and the
// body is relayed with backpressure both ways. Framing is translated where the two sides
// differ: a body that ends with the connection reaches an HTTP/1.1 client chunked, and a
// chunked body reaches an HTTP/1.0 client plain, before the connection closes.

/** proxy_buffer_size: an upstream head that does not fit is an error (nginx: "upstream sent too big header"). */
const MAX_RESPONSE_HEAD = 32 * 1024;
const LAST_CHUNK = Buffer.from('0\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');

export interface UpstreamFailure {
  failure: 'error' | 'timeout';
  /** Whether the request may have reached the endpoint. */
  sent: boolean;
  message: string;
  /** A cached connection the endpoint had closed: the request can go again on another connection to the same endpoint. */
  stale?: boolean;
  /** The endpoint answered with this status, which the spec chose to retry rather than relay. */
  status?: number;
  /** Why the connection could not be set up, in the proxy's words, when it is not the connect error itself (a TLS handshake's). */
  transport?: string;
}

export interface ExchangeSpec {
  /** The request head for the upstream. */
  head: string;
  method: string;
  /** Whether the client's body is streamed after the head. */
  withBody: boolean;
  /** proxy_read_timeout: longest silence from the upstream. */
  readTimeoutMs: number;
  /** client_max_body_size for a body without Content-Length (0: none); a declared length was checked before. */
  maxBodyBytes: number;
  /**
   * The client's response head for the upstream's: `chunked` says whether the client gets chunked
   * framing (to add Transfer-Encoding), `close` whether its connection must close afterwards.
   */
  responseHead(h: ResponseHead, chunked: boolean, close: boolean): string;
  /** Whether a response is dropped for another try instead of relayed (Envoy's retriable status codes). */
  retryStatus?(status: number): boolean;
  /** Sees the client's body as it is streamed (null at its end), for a copy of the request elsewhere (Envoy's mirroring). */
  tapBody?(chunk: Buffer | null): void;
}

export interface ExchangeOutcome {
  /** Nothing reached the client: the caller may try another endpoint. */
  failed(f: UpstreamFailure): void;
  /** The response was relayed, or cut after it started (then with the reason). */
  finished(brokenReason?: string): void;
  /** A streamed body went over maxBodyBytes before the response started. */
  bodyTooLarge(): void;
}

type ClientFraming = 'same' | 'chunk' | 'dechunk';

export class UpstreamExchange implements UpstreamEvents {
  private conn: UpstreamConnection | undefined;
  private reused = false;
  private buf: Buffer | null = null;
  private response: ResponseHead | undefined;
  private remaining = 0;
  private scanner: ChunkedScanner | null = null;
  private framing: ClientFraming = 'same';
  private received = false;
  private bodyStarted = false;
  private bodySent: boolean;
  private done = false;
  private responseComplete = false;
  private reusable = true;

  constructor(
    private readonly req: ClientRequest,
    private readonly spec: ExchangeSpec,
    private readonly pool: UpstreamConnections,
    private readonly outcome: ExchangeOutcome,
  ) {
    this.bodySent = !spec.withBody;
  }

  /** Whether any of the client's body went to this upstream (then the request cannot be sent elsewhere). */
  get consumedBody(): boolean {
    return this.bodyStarted;
  }

  start(conn: UpstreamConnection, reused: boolean): void {
    this.conn = conn;
    this.reused = reused;
    const s = conn.socket;
    conn.arm(this.spec.readTimeoutMs);
    s.write(this.spec.head, 'latin1');
    if (this.spec.withBody) {
      this.req.readBody({
        data: (chunk) => {
          this.bodyStarted = true;
          this.spec.tapBody?.(chunk);
          if (this.done) return true;
          if (this.spec.maxBodyBytes > 0 && this.req.bodyBytes > this.spec.maxBodyBytes && this.response === undefined) {
            this.done = true;
            s.destroy();
            this.outcome.bodyTooLarge();
            return true;
          }
          return s.write(chunk);
        },
        end: () => {
          this.bodySent = true;
          this.spec.tapBody?.(null);
        },
        error: () => this.abort(),
      });
    }
  }

  /** The client went away: the upstream connection cannot be reused mid-exchange. */
  abort(): void {
    if (this.done) return;
    this.done = true;
    this.conn?.socket.destroy();
    this.outcome.finished();
  }

  data(chunk: Buffer): void {
    if (this.done) return;
    this.received = true;
    if (this.response === undefined) {
      this.buf = this.buf === null ? chunk : Buffer.concat([this.buf, chunk]);
      this.readHead();
      return;
    }
    this.relay(chunk);
  }

  private readHead(): void {
    for (;;) {
      const buf = this.buf!;
      const r = parseResponseHead(buf, MAX_RESPONSE_HEAD, this.spec.method);
      if (!r.ok) {
        if (r.incomplete) return;
        this.fail({ failure: 'error', sent: true, message: `upstream sent an invalid response head: ${r.reason}` });
        return;
      }
      const rest = r.size < buf.length ? buf.subarray(r.size) : null;
      if (r.head.status < 200) {
        // 100 Continue and other interim answers are not relayed; 101 only in an upgrade.
        if (r.head.status === 101) {
          this.fail({ failure: 'error', sent: true, message: 'upstream switched protocols on a request without Upgrade' });
          return;
        }
        this.buf = rest;
        if (rest === null) return;
        continue;
      }
      this.buf = null;
      this.begin(r.head, rest);
      return;
    }
  }

  private begin(h: ResponseHead, first: Buffer | null): void {
    if (this.spec.retryStatus?.(h.status)) {
      this.fail({ failure: 'error', sent: true, status: h.status, message: `upstream answered ${h.status}` });
      return;
    }
    this.response = h;
    const http10 = this.req.head.minor === 0;
    let chunked = false;
    let close = false;
    switch (h.body.kind) {
      case 'length':
        this.remaining = h.body.length;
        break;
      case 'chunked':
        if (http10) {
          this.framing = 'dechunk';
          close = true;
          this.scanner = new ChunkedScanner((payload) => this.toClient(payload));
        } else {
          chunked = true;
          this.scanner = new ChunkedScanner();
        }
        break;
      case 'close':
        if (http10) close = true;
        else {
          chunked = true;
          this.framing = 'chunk';
        }
        break;
      case 'none':
        break;
    }
    const head = this.spec.responseHead(h, chunked, close);
    // A response to HEAD is always bodiless here (parseResponseHead); a body sent anyway is a
    // protocol error upstream, and the client gets the head only. `Content-Length: 0` ends at
    // its head as well: no body bytes will come to end it.
    if (h.body.kind === 'none' || (h.body.kind === 'length' && h.body.length === 0)) {
      this.req.writeHead(head);
      if (first !== null) this.reusable = false; // bytes past a bodiless response: do not trust the connection
      return this.complete();
    }
    if (first === null || this.framing !== 'same') {
      this.req.writeHead(head);
      if (first !== null) this.relay(first);
      return;
    }
    // The common case: head and first body bytes leave together.
    const part = this.bodyPart(first);
    if (part === undefined) return;
    const ok = this.req.writeHead(head, part);
    if (!ok) this.backpressure();
    if (this.responseComplete) this.complete();
  }

  /** The bytes of `chunk` that belong to the response body, noting its end; undefined when the framing broke. */
  private bodyPart(chunk: Buffer): Buffer | undefined {
    const kind = this.response!.body.kind;
    if (kind === 'length') {
      if (chunk.length >= this.remaining) {
        if (chunk.length > this.remaining) {
          this.reusable = false;
          chunk = chunk.subarray(0, this.remaining);
        }
        this.remaining = 0;
        this.responseComplete = true;
      } else this.remaining -= chunk.length;
      return chunk;
    }
    if (kind === 'chunked') {
      let end: number;
      try {
        end = this.scanner!.scan(chunk);
      } catch (e) {
        this.broken(`upstream sent a broken chunked body: ${(e as ChunkedError).message}`);
        return undefined;
      }
      if (end >= 0) {
        this.responseComplete = true;
        if (end < chunk.length) {
          this.reusable = false;
          chunk = chunk.subarray(0, end);
        }
      }
      return chunk;
    }
    return chunk;
  }

  private relay(chunk: Buffer): void {
    const part = this.bodyPart(chunk);
    if (part === undefined) return;
    let ok = true;
    if (this.framing === 'same') ok = this.req.write(part);
    else if (this.framing === 'chunk') {
      if (part.length > 0) {
        const s = this.req.conn.socket;
        s.cork();
        s.write(part.length.toString(16) + '\r\n', 'latin1');
        s.write(part);
        ok = s.write(CRLF);
        s.uncork();
      }
    } // dechunk: the scanner handed the payload to toClient already
    if (!ok) this.backpressure();
    if (this.responseComplete) this.complete();
  }

  private toClient(payload: Buffer): void {
    if (!this.req.write(payload)) this.backpressure();
  }

  private backpressure(): void {
    const s = this.conn?.socket;
    if (!s || this.done) return;
    s.pause();
    this.req.onDrain = () => {
      this.req.onDrain = undefined;
      if (!this.done) s.resume();
    };
  }

  private complete(): void {
    if (this.done) return;
    this.done = true;
    const conn = this.conn!;
    // An upstream that answered before reading the whole body keeps no connection: the rest of
    // the body is not sent on (and the client's connection closes after this response).
    if (this.reusable && this.bodySent && this.response!.keepAlive) this.pool.release(conn);
    else conn.socket.destroy();
    this.req.onDrain = undefined;
    this.req.end(this.framing === 'chunk' ? LAST_CHUNK : undefined);
    this.outcome.finished();
  }

  closed(err: (Error & { code?: string }) | undefined): void {
    if (this.done) return;
    if (this.response === undefined) {
      // A cached connection the endpoint had already closed: nothing of this request was
      // processed there, so it may go out again unless its body was consumed.
      const stale = this.reused && !this.received && !this.bodyStarted;
      this.fail({ failure: 'error', sent: !stale, stale, message: err?.message ?? 'upstream prematurely closed connection while reading response header' });
      return;
    }
    // A body delimited by the close ends with the upstream's FIN; a reset (err) cuts it short,
    // and nginx then cuts the client too rather than end a response that looks complete.
    if (this.response.body.kind === 'close' && err === undefined) {
      this.reusable = false;
      this.complete();
      return;
    }
    this.broken(err?.message ?? 'upstream prematurely closed connection while reading upstream');
  }

  timeout(): void {
    if (this.done) return;
    if (this.response === undefined) {
      this.fail({ failure: 'timeout', sent: true, message: `upstream timed out (no response within ${this.spec.readTimeoutMs} ms)` });
      return;
    }
    this.broken(`upstream timed out (no data for ${this.spec.readTimeoutMs} ms) while reading upstream`);
  }

  drain(): void {
    if (!this.done) this.req.resumeBody();
  }

  private fail(f: UpstreamFailure): void {
    if (this.done) return;
    this.done = true;
    this.conn?.socket.destroy();
    this.outcome.failed(f);
  }

  /** The response started and cannot be completed: the client's connection is cut, as nginx does. */
  private broken(reason: string): void {
    if (this.done) return;
    this.done = true;
    this.conn?.socket.destroy();
    this.req.destroy();
    this.outcome.finished(reason);
  }
}
