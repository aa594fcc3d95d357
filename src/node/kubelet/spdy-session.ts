import { Duplex } from 'node:stream';
import {
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, FLAG_FIN, FrameParser, HeaderCompressor, HeaderDecompressor,
  type Frame, type Headers,
} from './spdy.js';

// A server-side SPDY/3.1 connection as moby/spdystream runs it for Kubernetes: the client
// opens streams (SYN_STREAM), the server accepts each with an empty SYN_REPLY, data flows in
// DATA frames, FIN half-closes a direction and RST_STREAM tears a stream down. spdystream does
// no per-stream flow control (it blocks its reader instead), so neither does this side: a stream
// whose reader lags pauses the whole transport, and writers wait for the transport to drain.

const MAX_DATA = 32 * 1024;
const RST_PROTOCOL_ERROR = 1;
const RST_CANCEL = 5;

export class SpdyStream extends Duplex {
  private remoteClosed = false;
  constructor(
    readonly id: number,
    readonly headers: Headers,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
    // Errors here are the peer going away; whoever uses the stream sees 'close'.
    this.on('error', () => undefined);
  }
  override _read(): void {
    this.session.streamWantsData(this);
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    let ok = true;
    for (let off = 0; off < chunk.length; off += MAX_DATA) ok = this.session.send(encodeData(this.id, chunk.subarray(off, off + MAX_DATA)));
    if (ok) cb();
    else this.session.whenDrained(() => cb());
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.session.send(encodeData(this.id, Buffer.alloc(0), FLAG_FIN));
    cb();
  }
  /** @internal Data from the peer; false when the reader is behind. */
  receive(data: Buffer, fin: boolean): boolean {
    if (this.remoteClosed) return true;
    const more = data.length ? this.push(data) : true;
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
    }
    return more;
  }
  /** Tears the stream down in both directions (RST_STREAM CANCEL), as spdystream's Reset. */
  reset(): void {
    if (!this.destroyed) this.session.send(encodeRstStream(this.id, RST_CANCEL));
    this.remoteReset();
  }
  /** @internal */
  remoteReset(): void {
    if (!this.remoteClosed) {
      this.remoteClosed = true;
      this.push(null);
    }
    this.destroy();
  }
}

/** Ends a stream's write side unless it is already ended or torn down. */
export function endStream(s: SpdyStream, data?: string | Buffer): void {
  if (s.destroyed || s.writableEnded) return;
  if (data !== undefined) s.end(data);
  else s.end();
}

export interface SpdyTransport {
  write(b: Buffer): boolean;
  end(): unknown;
  pause(): unknown;
  resume(): unknown;
  once(event: 'drain', fn: () => void): unknown;
  on(event: 'data', fn: (b: Buffer) => void): unknown;
  on(event: 'close' | 'end', fn: () => void): unknown;
}

export class SpdySession {
  private readonly parser = new FrameParser(new HeaderDecompressor());
  private readonly compressor = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  /** Streams whose readers are behind; the transport is paused while there are any. */
  private readonly behind = new Set<SpdyStream>();
  private drainWaiters: (() => void)[] = [];
  private lastStreamId = 0;
  /** Odd ids below lastStreamId that have not been used yet (skipped by out-of-order streams). */
  private readonly gaps = new Set<number>();
  private closed = false;

  /**
   * Runs a session over a byte stream (the upgraded socket, or a WebSocket tunnel as a stream).
   * `onStream` is called once per stream the client opens, after the SYN_REPLY went out.
   */
  constructor(
    private readonly transport: SpdyTransport,
    private readonly onStream: (s: SpdyStream) => void,
    private readonly onClose: () => void = () => undefined,
  ) {
    transport.on('data', (d: Buffer) => this.push(d));
    // The client ending its side ends the session: nothing more can arrive for any stream.
    // (Upgraded HTTP server sockets allow half-open connections, so 'close' alone would wait.)
    transport.on('end', () => this.close());
    transport.on('close', () => this.close());
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** @internal Writes a frame; false when the transport's buffer is full. */
  send(b: Buffer): boolean {
    if (this.closed) return true;
    const ok = this.transport.write(b);
    if (!ok && this.drainWaiters.length === 0) {
      this.transport.once('drain', () => {
        const waiters = this.drainWaiters;
        this.drainWaiters = [];
        for (const w of waiters) w();
      });
    }
    return ok;
  }

  /** @internal */
  whenDrained(fn: () => void): void {
    if (this.closed) return fn();
    this.drainWaiters.push(fn);
  }

  /** @internal */
  streamWantsData(s: SpdyStream): void {
    if (this.behind.delete(s) && this.behind.size === 0 && !this.closed) this.transport.resume();
  }

  /** A new stream's id is odd and never used before; true when it may be used now. */
  private claimStreamId(id: number): boolean {
    if (id % 2 === 0 || id === 0) return false;
    if (id > this.lastStreamId) {
      // Bounded so that a hostile id cannot make us remember millions of gaps.
      for (let g = Math.max(this.lastStreamId + 2, id - 2 * 64); g < id; g += 2) this.gaps.add(g);
      this.lastStreamId = id;
      return true;
    }
    return this.gaps.delete(id);
  }

  /** Feeds bytes from the transport (exposed for tests and for transports without events). */
  push(chunk: Buffer): void {
    if (this.closed) return;
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch {
      // A header block that does not inflate leaves both sides' zlib streams out of step;
      // nothing on this connection can be trusted after it (spec: a session error).
      this.close(RST_PROTOCOL_ERROR);
      return;
    }
    for (const f of frames) this.handle(f);
  }

  private handle(f: Frame): void {
    if (this.closed) return;
    switch (f.type) {
      case 'syn_stream': {
        // Client-initiated ids are odd and unused. They are not required to arrive in order:
        // spdystream before v0.5 picked an id and wrote its SYN_STREAM under different locks, so
        // kubectl ≤ 1.30 sends concurrent connections' streams out of order.
        if (!this.claimStreamId(f.streamId)) {
          this.send(encodeRstStream(f.streamId, RST_PROTOCOL_ERROR));
          return;
        }
        const s = new SpdyStream(f.streamId, f.headers, this);
        this.streams.set(f.streamId, s);
        s.once('close', () => {
          this.streams.delete(f.streamId);
          this.streamWantsData(s);
        });
        this.send(encodeSynReply(this.compressor, f.streamId, {}));
        if (f.flags & FLAG_FIN) s.receive(Buffer.alloc(0), true);
        this.onStream(s);
        return;
      }
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        if (!s.receive(f.data, (f.flags & FLAG_FIN) !== 0) && !s.destroyed) {
          if (this.behind.size === 0) this.transport.pause();
          this.behind.add(s);
        }
        return;
      }
      case 'rst_stream':
        this.streams.get(f.streamId)?.remoteReset();
        return;
      case 'ping':
        this.send(encodePing(f.id));
        return;
      case 'goaway':
        this.close();
        return;
      default:
        // SETTINGS, WINDOW_UPDATE, HEADERS: spdystream sends nothing here that needs an answer.
        return;
    }
  }

  /** Says GOAWAY, tears down every stream and ends the transport. */
  close(status = 0): void {
    if (this.closed) return;
    this.send(encodeGoAway(this.lastStreamId, status));
    this.closed = true;
    for (const s of this.streams.values()) s.remoteReset();
    this.streams.clear();
    this.behind.clear();
    const waiters = this.drainWaiters;
    this.drainWaiters = [];
    for (const w of waiters) w();
    this.transport.end();
    this.onClose();
  }
}
