import zlib from 'node:zlib';

// SPDY/3.1 framing, as much as Kubernetes' port-forward and remote-command streams use
// (moby/spdystream): SYN_STREAM, SYN_REPLY, RST_STREAM, SETTINGS, PING, GOAWAY, HEADERS,
// WINDOW_UPDATE and DATA. Header blocks are one zlib stream per direction per connection,
// primed with the SPDY/3 dictionary (spec §2.6.10.1).

const WORDS = [
  'options', 'head', 'post', 'put', 'delete', 'trace', 'accept', 'accept-charset', 'accept-encoding', 'accept-language',
  'accept-ranges', 'age', 'allow', 'authorization', 'cache-control', 'connection', 'content-base', 'content-encoding',
  'content-language', 'content-length', 'content-location', 'content-md5', 'content-range', 'content-type', 'date', 'etag',
  'expect', 'expires', 'from', 'host', 'if-match', 'if-modified-since', 'if-none-match', 'if-range', 'if-unmodified-since',
  'last-modified', 'location', 'max-forwards', 'pragma', 'proxy-authenticate', 'proxy-authorization', 'range', 'referer',
  'retry-after', 'server', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'user-agent', 'vary', 'via', 'warning',
  'www-authenticate', 'method', 'get', 'status', '200 OK', 'version', 'HTTP/1.1', 'url', 'public', 'set-cookie', 'keep-alive',
  'origin',
];
const TAIL =
  '100101201202205206300302303304305306307402405406407408409410411412413414415416417502504505' +
  '203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 Unauthorized' +
  '403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Unavailable' +
  'Jan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, Sun, GMT' +
  'chunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,text/plain,' +
  'text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,utf-,*,enq=0.';

function buildDictionary(): Buffer {
  const parts: Buffer[] = [];
  for (const w of WORDS) {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(w.length);
    parts.push(len, Buffer.from(w, 'latin1'));
  }
  parts.push(Buffer.from(TAIL, 'latin1'));
  return Buffer.concat(parts);
}

export const SPDY_DICTIONARY = buildDictionary();

export const enum FrameType {
  SynStream = 1,
  SynReply = 2,
  RstStream = 3,
  Settings = 4,
  Ping = 6,
  GoAway = 7,
  Headers = 8,
  WindowUpdate = 9,
}
export const FLAG_FIN = 0x01;

export type Headers = Record<string, string>;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'syn_stream'; streamId: number; associatedId: number; priority: number; flags: number; headers: Headers }
  | { type: 'syn_reply'; streamId: number; flags: number; headers: Headers }
  | { type: 'headers'; streamId: number; flags: number; headers: Headers }
  | { type: 'rst_stream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; raw: Buffer }
  | { type: 'ping'; id: number }
  | { type: 'goaway'; lastGoodStreamId: number; status: number }
  | { type: 'window_update'; streamId: number; delta: number }
  | { type: 'unknown'; frameType: number; flags: number; raw: Buffer };

function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; i++) {
    a = (a + b[i]) % 65521;
    s = (s + a) % 65521;
  }
  return ((s << 16) | a) >>> 0;
}

function nameValueBlock(h: Headers): Buffer {
  const entries = Object.entries(h);
  const parts: Buffer[] = [u32(entries.length)];
  for (const [k, v] of entries) {
    const name = Buffer.from(k.toLowerCase(), 'utf8');
    const value = Buffer.from(v, 'utf8');
    parts.push(u32(name.length), name, u32(value.length), value);
  }
  return Buffer.concat(parts);
}

/** The deflate marker of a sync flush: an empty, non-final stored block. */
const SYNC_FLUSH_MARK = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);
const WINDOW = 32 * 1024;

/**
 * Encodes name/value blocks as one zlib stream per connection. Node has no synchronous
 * streaming deflate, so the stream is written by hand: a zlib header announcing the SPDY
 * dictionary, then per frame the block as non-final stored blocks followed by the empty
 * stored block a sync flush ends with. Go's flate reader (the client side, moby/spdystream)
 * hands out a stored block's bytes only when it reaches that empty block; without it a
 * header block never decodes and every stream times out waiting for its SYN_REPLY.
 */
export class HeaderCompressor {
  private started = false;
  encode(h: Headers): Buffer {
    const plain = nameValueBlock(h);
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32K window), FLG with FDICT; FCHECK makes the pair a multiple of 31.
      const cmf = 0x78;
      let flg = 0x20;
      flg |= 31 - ((cmf * 256 + flg) % 31);
      parts.push(Buffer.from([cmf, flg]), u32(adler32(SPDY_DICTIONARY)));
    }
    for (let off = 0; off < plain.length; off += 0xffff) {
      const chunk = plain.subarray(off, off + 0xffff);
      const head = Buffer.alloc(5);
      head[0] = 0; // BFINAL=0, BTYPE=00 (stored)
      head.writeUInt16LE(chunk.length, 1);
      head.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(head, chunk);
    }
    parts.push(SYNC_FLUSH_MARK);
    return Buffer.concat(parts);
  }
}

/**
 * Decodes the peer's header blocks. The peer's zlib stream continues across frames, and each
 * frame ends with a sync flush, so a frame's blocks are whole deflate blocks: they inflate on
 * their own as raw deflate, given as dictionary the last 32 KiB of everything decoded so far
 * (the SPDY dictionary at first). That keeps the cost per frame constant without a synchronous
 * streaming inflate, which Node does not offer.
 */
export class HeaderDecompressor {
  private window: Buffer = SPDY_DICTIONARY;
  private headerSeen = false;
  decode(block: Buffer): Headers {
    if (!block.length) return {};
    let deflate = block;
    if (!this.headerSeen) {
      if (block.length < 2 || (block[0] & 0x0f) !== 8 || ((block[0] << 8) | block[1]) % 31 !== 0) throw new Error('header block is not a zlib stream');
      const fdict = (block[1] & 0x20) !== 0;
      if (fdict && block.readUInt32BE(2) !== adler32(SPDY_DICTIONARY)) throw new Error('header block uses a dictionary other than SPDY/3\'s');
      deflate = block.subarray(fdict ? 6 : 2);
      this.headerSeen = true;
    }
    const plain = zlib.inflateRawSync(deflate, { dictionary: this.window, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const joined = Buffer.concat([this.window, plain]);
    this.window = joined.length > WINDOW ? Buffer.from(joined.subarray(joined.length - WINDOW)) : joined;
    return parseNameValueBlock(plain);
  }
}

/** A decoded name/value block; multiple values are NUL-separated and Kubernetes headers are single-valued. */
export function parseNameValueBlock(plain: Buffer): Headers {
  const out: Headers = {};
  if (plain.length < 4) return out;
  let off = 0;
  const n = plain.readUInt32BE(off);
  off += 4;
  for (let i = 0; i < n; i++) {
    const nl = plain.readUInt32BE(off);
    off += 4;
    const name = plain.subarray(off, off + nl).toString('utf8').toLowerCase();
    off += nl;
    const vl = plain.readUInt32BE(off);
    off += 4;
    out[name] = plain.subarray(off, off + vl).toString('utf8').split('\0')[0];
    off += vl;
  }
  return out;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
}

function control(type: number, flags: number, payload: Buffer): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt16BE(0x8000 | 3, 0);
  h.writeUInt16BE(type, 2);
  h.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  return Buffer.concat([h, payload]);
}

export function encodeData(streamId: number, data: Buffer, flags = 0): Buffer {
  const h = Buffer.alloc(8);
  h.writeUInt32BE(streamId & 0x7fffffff, 0);
  h.writeUInt32BE(((flags & 0xff) << 24) | data.length, 4);
  return Buffer.concat([h, data]);
}

export function encodeSynReply(c: HeaderCompressor, streamId: number, headers: Headers, flags = 0): Buffer {
  return control(FrameType.SynReply, flags, Buffer.concat([u32(streamId & 0x7fffffff), c.encode(headers)]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  return control(FrameType.RstStream, 0, Buffer.concat([u32(streamId), u32(status)]));
}

export function encodeGoAway(lastGoodStreamId: number, status = 0): Buffer {
  return control(FrameType.GoAway, 0, Buffer.concat([u32(lastGoodStreamId), u32(status)]));
}

export function encodePing(id: number): Buffer {
  return control(FrameType.Ping, 0, u32(id));
}

/** Splits a byte stream into frames; header blocks go through the connection's decompressor. */
export class FrameParser {
  private buf: Buffer = Buffer.alloc(0);
  constructor(private readonly dec: HeaderDecompressor) {}

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const out: Frame[] = [];
    while (this.buf.length >= 8) {
      const len = this.buf.readUInt32BE(4) & 0xffffff;
      if (this.buf.length < 8 + len) break;
      const head = this.buf.subarray(0, 8);
      const payload = this.buf.subarray(8, 8 + len);
      this.buf = this.buf.subarray(8 + len);
      out.push(this.parse(head, Buffer.from(payload)));
    }
    return out;
  }

  private parse(head: Buffer, p: Buffer): Frame {
    const flags = head.readUInt8(4);
    if ((head.readUInt8(0) & 0x80) === 0) return { type: 'data', streamId: head.readUInt32BE(0) & 0x7fffffff, flags, data: p };
    const type = head.readUInt16BE(2);
    switch (type) {
      case FrameType.SynStream:
        return {
          type: 'syn_stream',
          streamId: p.readUInt32BE(0) & 0x7fffffff,
          associatedId: p.readUInt32BE(4) & 0x7fffffff,
          priority: p.readUInt8(8) >> 5,
          flags,
          headers: this.dec.decode(p.subarray(10)),
        };
      case FrameType.SynReply:
        return { type: 'syn_reply', streamId: p.readUInt32BE(0) & 0x7fffffff, flags, headers: this.dec.decode(p.subarray(4)) };
      case FrameType.Headers:
        return { type: 'headers', streamId: p.readUInt32BE(0) & 0x7fffffff, flags, headers: this.dec.decode(p.subarray(4)) };
      case FrameType.RstStream:
        return { type: 'rst_stream', streamId: p.readUInt32BE(0) & 0x7fffffff, status: p.readUInt32BE(4) };
      case FrameType.Settings:
        return { type: 'settings', flags, raw: p };
      case FrameType.Ping:
        return { type: 'ping', id: p.readUInt32BE(0) };
      case FrameType.GoAway:
        return { type: 'goaway', lastGoodStreamId: p.readUInt32BE(0) & 0x7fffffff, status: p.length >= 8 ? p.readUInt32BE(4) : 0 };
      case FrameType.WindowUpdate:
        return { type: 'window_update', streamId: p.readUInt32BE(0) & 0x7fffffff, delta: p.readUInt32BE(4) & 0x7fffffff };
      default:
        return { type: 'unknown', frameType: type, flags, raw: p };
    }
  }
}
