// Reads a layer's tar stream entry by entry, as Go's archive/tar does for containerd: ustar and
// GNU headers, GNU long names, and PAX records kept as bytes. Extended attributes travel as PAX
// `SCHILY.xattr.NAME` records whose values are binary (a file capability is a packed struct), so
// they must not go through a text decoder on the way.
import type { Readable } from 'node:stream';

export class TarError extends Error {}

export type TarEntryType = 'file' | 'link' | 'symlink' | 'character-device' | 'block-device' | 'directory' | 'fifo' | 'other';

export interface TarHeader {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime?: Date;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** `SCHILY.xattr.` records: attribute name to its raw value. */
  xattrs: Map<string, Buffer>;
}

const BLOCK = 512;
const PAX_XATTR = 'SCHILY.xattr.';
const TYPES: Record<string, TarEntryType> = {
  '0': 'file',
  '\0': 'file',
  '7': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
};

/** Pulls exact byte counts out of a stream of chunks. */
class ByteSource {
  private buf: Buffer = Buffer.alloc(0);
  private readonly it: AsyncIterator<Buffer>;

  constructor(stream: Readable) {
    this.it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  }

  private async more(): Promise<boolean> {
    const r = await this.it.next();
    if (r.done) return false;
    this.buf = this.buf.length ? Buffer.concat([this.buf, r.value]) : r.value;
    return true;
  }

  /** `n` bytes, or undefined at the end of the stream before any of them. */
  async read(n: number): Promise<Buffer | undefined> {
    while (this.buf.length < n) {
      if (!(await this.more())) {
        if (this.buf.length === 0) return undefined;
        throw new TarError('unexpected end of the tar stream');
      }
    }
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  /** The next `n` bytes as they arrive. */
  async *take(n: number): AsyncGenerator<Buffer> {
    let left = n;
    while (left > 0) {
      if (this.buf.length === 0 && !(await this.more())) throw new TarError('unexpected end of the tar stream');
      const out = this.buf.subarray(0, Math.min(left, this.buf.length));
      this.buf = this.buf.subarray(out.length);
      left -= out.length;
      yield out;
    }
  }

  /** Reads what follows the archive (the zero blocks that pad its last record), so its producer can finish. */
  async drain(): Promise<void> {
    this.buf = Buffer.alloc(0);
    while (!(await this.it.next()).done);
  }

  async skip(n: number): Promise<void> {
    for await (const _ of this.take(n));
  }
}

function text(b: Buffer): string {
  const end = b.indexOf(0);
  return b.subarray(0, end < 0 ? b.length : end).toString('utf8');
}

/** A numeric field: octal text, or GNU's base-256 when the top bit of its first byte is set. */
function number(b: Buffer): number {
  if (b[0] & 0x80) {
    let n = b[0] & 0x7f;
    for (let i = 1; i < b.length; i++) n = n * 256 + b[i];
    return n;
  }
  const s = text(b).trim();
  return s === '' ? 0 : parseInt(s, 8);
}

function checksumOK(h: Buffer): boolean {
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i];
  return sum === number(h.subarray(148, 156));
}

/** PAX records, `LEN key=value\n` each; keys are text, values stay bytes. */
export function parsePax(body: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let rest = body;
  while (rest.length > 0) {
    const sp = rest.indexOf(0x20);
    const len = sp > 0 ? Number(rest.subarray(0, sp).toString('latin1')) : NaN;
    if (!Number.isInteger(len) || len <= sp || len > rest.length || rest[len - 1] !== 0x0a) throw new TarError('invalid PAX record');
    const record = rest.subarray(sp + 1, len - 1);
    const eq = record.indexOf(0x3d);
    if (eq < 0) throw new TarError('invalid PAX record');
    out.set(record.subarray(0, eq).toString('utf8'), record.subarray(eq + 1));
    rest = rest.subarray(len);
  }
  return out;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * The entries of the tar `stream`, each with its content. The content must be read (or left) before
 * asking for the next entry; what is left of it is skipped.
 */
export async function* readTar(stream: Readable): AsyncGenerator<{ header: TarHeader; body: AsyncIterable<Buffer> }> {
  const src = new ByteSource(stream);
  let pax: Map<string, Buffer> | undefined;
  let longName: string | undefined;
  let longLink: string | undefined;
  for (;;) {
    const h = await src.read(BLOCK);
    // End of archive: a zero block (Go's reader stops at the first too), or a stream that just ends.
    if (!h || h.every((b) => b === 0)) {
      await src.drain();
      return;
    }
    if (!checksumOK(h)) throw new TarError('invalid tar header checksum');
    const flag = String.fromCharCode(h[156]);
    let size = number(h.subarray(124, 136));
    if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
      const data = Buffer.from((await src.read(size + padding(size))) ?? Buffer.alloc(0)).subarray(0, size);
      // A global header's records are not applied, as containerd ignores them.
      if (flag === 'x') pax = parsePax(data);
      else if (flag === 'L') longName = text(data);
      else if (flag === 'K') longLink = text(data);
      continue;
    }
    if (flag === 'S') throw new TarError('GNU sparse files are not supported');
    // POSIX ustar has a name prefix there; GNU's format ("ustar  ") keeps other fields in it.
    const posix = h.subarray(257, 263).toString('latin1') === 'ustar\0';
    const prefix = posix ? text(h.subarray(345, 500)) : '';
    let name = longName ?? (prefix ? `${prefix}/${text(h.subarray(0, 100))}` : text(h.subarray(0, 100)));
    let linkname = longLink ?? text(h.subarray(157, 257));
    const header: TarHeader = {
      name,
      type: TYPES[flag] ?? 'other',
      mode: number(h.subarray(100, 108)),
      uid: number(h.subarray(108, 116)),
      gid: number(h.subarray(116, 124)),
      size,
      mtime: new Date(number(h.subarray(136, 148)) * 1000),
      linkname,
      devmajor: number(h.subarray(329, 337)),
      devminor: number(h.subarray(337, 345)),
      xattrs: new Map(),
    };
    if (pax) {
      const str = (k: string) => pax!.get(k)?.toString('utf8');
      name = str('path') ?? name;
      linkname = str('linkpath') ?? linkname;
      if (pax.has('size')) size = Number(str('size'));
      Object.assign(header, { name, linkname, size });
      if (pax.has('uid')) header.uid = Number(str('uid'));
      if (pax.has('gid')) header.gid = Number(str('gid'));
      if (pax.has('mtime')) header.mtime = new Date(Number(str('mtime')) * 1000);
      for (const [k, v] of pax) if (k.startsWith(PAX_XATTR)) header.xattrs.set(k.slice(PAX_XATTR.length), v);
    }
    pax = longName = longLink = undefined;
    if (!Number.isSafeInteger(size) || size < 0) throw new TarError(`invalid size for ${JSON.stringify(name)}`);
    // Links and directories carry no content whatever their size field says, as in Go's reader.
    const content = header.type === 'link' || header.type === 'symlink' || header.type === 'directory' || header.type === 'character-device' || header.type === 'block-device' || header.type === 'fifo' ? 0 : size;
    header.size = content;
    let consumed = 0;
    const body = (async function* () {
      for await (const c of src.take(content)) {
        consumed += c.length;
        yield c;
      }
    })();
    yield { header, body };
    await src.skip(content - consumed);
    await src.skip(padding(content));
  }
}
