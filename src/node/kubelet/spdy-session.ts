import { Duplex } from 'node:stream';
import {
  encodeData, encodeGoAway, encodePing, encodeRstStream, encodeSynReply, FLAG_FIN, FrameParser, HeaderCompressor, HeaderDecompressor,
  type Frame, type Headers,
} from './spdy.js';

// A server-side SPDY/3.1 connection as moby/spdystream runs it for Kubernetes: the client
// opens streams (SYN_STREAM), the server accepts each with an empty SYN_REPLY, data flows in
// DATA frames, and FIN half-closes a direction.

const MAX_DATA = 32 * 1024;
const RST_CANCEL = 5;

export class SpdyStream extends Duplex {
  private remoteClosed = false;
  constructor(
    readonly id: number,
    readonly headers: Headers,
    private readonly session: SpdySession,
  ) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {
    // data is pushed as frames arrive
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    for (let off = 0; off < chunk.length; off += MAX_DATA) this.session.send(encodeData(this.id, chunk.subarray(off, off + MAX_DATA)));
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.session.send(encodeData(this.id, Buffer.alloc(0), FLAG_FIN));
    cb();
  }
  /** @internal */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteClosed) return;
    if (data.length) this.push(data);
    if (fin) {
      this.remoteClosed = true;
      this.push(null);
    }
  }
  reset(): void {
    this.session.send(encodeRstStream(this.id, RST_CANCEL));
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

export class SpdySession {
  private readonly parser = new FrameParser(new HeaderDecompressor());
  private readonly compressor = new HeaderCompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private lastStreamId = 0;
  private closed = false;

  constructor(
    private readonly write: (b: Buffer) => void,
    private readonly onStream: (s: SpdyStream) => void,
    private readonly onClose: () => void = () => undefined,
  ) {}

  send(b: Buffer): void {
    if (!this.closed) this.write(b);
  }

  push(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch {
      // A header block we cannot inflate ends the connection, as a protocol error would.
      this.close(1);
      return;
    }
    for (const f of frames) this.handle(f);
  }

  private handle(f: Frame): void {
    switch (f.type) {
      case 'syn_stream': {
        this.lastStreamId = Math.max(this.lastStreamId, f.streamId);
        const s = new SpdyStream(f.streamId, f.headers, this);
        this.streams.set(f.streamId, s);
        s.on('close', () => this.streams.delete(f.streamId));
        this.send(encodeSynReply(this.compressor, f.streamId, {}));
        if (f.flags & FLAG_FIN) s.receive(Buffer.alloc(0), true);
        this.onStream(s);
        return;
      }
      case 'data': {
        const s = this.streams.get(f.streamId);
        if (s) s.receive(f.data, (f.flags & FLAG_FIN) !== 0);
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
        return;
    }
  }

  close(status = 0): void {
    if (this.closed) return;
    this.send(encodeGoAway(this.lastStreamId, status));
    this.closed = true;
    for (const s of this.streams.values()) s.remoteReset();
    this.streams.clear();
    this.onClose();
  }
}
