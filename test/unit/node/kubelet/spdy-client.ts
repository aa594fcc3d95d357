import zlib from 'node:zlib';
import { Duplex, PassThrough } from 'node:stream';
import { encodeData, encodeRstStream, FLAG_FIN, FrameParser, HeaderDecompressor, SPDY_DICTIONARY, type Frame } from '../../../../src/node/kubelet/spdy.js';

// A SPDY client for tests, shaped like moby/spdystream's: real deflate with the SPDY dictionary
// and a sync flush per header block, odd stream ids, and a parser for what the server sends.

export function nameValueBlock(h: Record<string, string>): Buffer {
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const parts: Buffer[] = [u32(Object.keys(h).length)];
  for (const [k, v] of Object.entries(h)) parts.push(u32(Buffer.byteLength(k)), Buffer.from(k), u32(Buffer.byteLength(v)), Buffer.from(v));
  return Buffer.concat(parts);
}

/** Compresses header blocks the way Go's compress/zlib does for spdystream (one stream, sync flush per block). */
export function realDeflater(): (h: Record<string, string>) => Promise<Buffer> {
  const d = zlib.createDeflate({ dictionary: SPDY_DICTIONARY });
  const chunks: Buffer[] = [];
  d.on('data', (c: Buffer) => chunks.push(c));
  let queue = Promise.resolve();
  return (h) => {
    const run = queue.then(async () => {
      d.write(nameValueBlock(h));
      await new Promise<void>((r) => d.flush(zlib.constants.Z_SYNC_FLUSH, () => r()));
      return Buffer.concat(chunks.splice(0));
    });
    queue = run.then(() => undefined);
    return run;
  };
}

export function synStream(id: number, block: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(18);
  h.writeUInt16BE(0x8003, 0);
  h.writeUInt16BE(1, 2);
  h.writeUInt32BE(((flags << 24) | (10 + block.length)) >>> 0, 4);
  h.writeUInt32BE(id, 8);
  return Buffer.concat([h, block]);
}

/** The two ends of an in-memory connection: `server` for the session, the rest for the test. */
export function connection(): { server: Duplex; toServer: PassThrough; fromServer: PassThrough } {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const server = Duplex.from({ readable: toServer, writable: fromServer });
  return { server, toServer, fromServer };
}

export class SpdyTestClient {
  readonly frames: Frame[] = [];
  private readonly parser = new FrameParser(new HeaderDecompressor());
  private readonly deflate = realDeflater();
  private nextId = 1;
  private waiters: (() => void)[] = [];
  ended = false;

  constructor(
    private readonly toServer: NodeJS.WritableStream,
    fromServer: NodeJS.ReadableStream,
  ) {
    fromServer.on('data', (d: Buffer) => {
      this.frames.push(...this.parser.push(d));
      this.wake();
    });
    fromServer.on('end', () => {
      this.ended = true;
      this.wake();
    });
  }

  private wake(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
  }

  /** Resolves once `cond` holds, checking again whenever the server sends something. */
  async waitFor<T>(what: string, cond: () => T | undefined | false): Promise<T> {
    for (;;) {
      const v = cond();
      if (v) return v;
      if (this.ended) throw new Error(`connection ended while waiting for ${what}`);
      await new Promise<void>((r) => this.waiters.push(r));
    }
  }

  /** Opens the next stream (ids continue after any the test wrote by hand, like 9 and 11). */
  async open(headers: Record<string, string>, fin = false, id = this.nextId): Promise<number> {
    this.nextId = Math.max(this.nextId, id) + 2;
    this.toServer.write(synStream(id, await this.deflate(headers), fin ? FLAG_FIN : 0));
    return id;
  }

  send(id: number, data: Buffer | string, fin = false): void {
    this.toServer.write(encodeData(id, Buffer.from(data), fin ? FLAG_FIN : 0));
  }

  reset(id: number): void {
    this.toServer.write(encodeRstStream(id, 5));
  }

  /** Everything the server sent on a stream so far, and whether it said FIN. */
  received(id: number): { data: string; fin: boolean } {
    const frames = this.frames.filter((f) => f.type === 'data' && f.streamId === id) as Extract<Frame, { type: 'data' }>[];
    return { data: Buffer.concat(frames.map((f) => f.data)).toString(), fin: frames.some((f) => (f.flags & FLAG_FIN) !== 0) };
  }

  replied(id: number): boolean {
    return this.frames.some((f) => f.type === 'syn_reply' && f.streamId === id);
  }

  /** Resolves with a stream's data once the server has finished it. */
  finished(id: number): Promise<string> {
    return this.waitFor(`FIN on stream ${id}`, () => {
      const r = this.received(id);
      return r.fin ? { data: r.data } : undefined;
    }).then((r) => r.data);
  }
}

/** Resolves once `cond` holds, checking on every turn of the event loop (for state the server does not announce). */
export async function until(what: string, cond: () => boolean, turns = 100_000): Promise<void> {
  for (let i = 0; !cond(); i++) {
    if (i >= turns) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}
