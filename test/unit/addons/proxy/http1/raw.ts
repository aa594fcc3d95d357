import net, { type AddressInfo, type Socket } from 'node:net';

// Raw-socket peers for driving the ingress proxy byte for byte: a reader that parses HTTP/1.x
// messages off a socket as they arrive (so a test sees exactly the framing the proxy chose),
// and upstream servers whose every connection a test controls.

export interface RawHead {
  /** The request line or status line. */
  line: string;
  /** Lower-cased names; repeated fields joined with ", ". */
  headers: Record<string, string>;
  raw: string;
}

export interface RawResponse extends RawHead {
  status: number;
  body: Buffer;
  /** How the body was delimited on the wire. */
  framing: 'none' | 'length' | 'chunked' | 'close';
  /** The chunked body as it came, framing included. */
  wire?: Buffer;
}

export interface RawRequest extends RawHead {
  method: string;
  target: string;
  body: Buffer;
  wire?: Buffer;
}

/** Reads HTTP messages off a socket; every read waits for data or the peer's end, never for a time. */
export class SocketReader {
  private buf: Buffer = Buffer.alloc(0);
  private wake: (() => void) | null = null;
  /** The peer ended or the socket closed. */
  ended = false;
  readonly closed: Promise<void>;

  constructor(readonly socket: Socket) {
    socket.on('data', (d: Buffer) => {
      this.buf = this.buf.length === 0 ? d : Buffer.concat([this.buf, d]);
      this.poke();
    });
    const end = () => {
      this.ended = true;
      this.poke();
    };
    socket.on('end', end);
    socket.on('error', () => undefined);
    this.closed = new Promise((r) => socket.once('close', () => (end(), r())));
  }

  private poke(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  /** Bytes read and not yet consumed. */
  get buffered(): Buffer {
    return this.buf;
  }

  private async until<T>(what: string, attempt: () => T | undefined): Promise<T> {
    for (;;) {
      const r = attempt();
      if (r !== undefined) return r;
      if (this.ended) throw new Error(`connection ended while waiting for ${what} (have ${JSON.stringify(this.buf.toString('latin1').slice(0, 200))})`);
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  private take(n: number): Buffer {
    const out = this.buf.subarray(0, n);
    this.buf = this.buf.subarray(n);
    return out;
  }

  async head(): Promise<RawHead> {
    return this.until('a message head', () => {
      const end = this.buf.indexOf('\r\n\r\n');
      if (end < 0) return undefined;
      const raw = this.take(end + 4).toString('latin1');
      const lines = raw.slice(0, -4).split('\r\n');
      const headers: Record<string, string> = {};
      for (const l of lines.slice(1)) {
        const i = l.indexOf(':');
        const k = l.slice(0, i).toLowerCase();
        const v = l.slice(i + 1).trim();
        headers[k] = headers[k] === undefined ? v : `${headers[k]}, ${v}`;
      }
      return { line: lines[0]!, headers, raw };
    });
  }

  async exactly(n: number): Promise<Buffer> {
    return this.until(`${n} body bytes`, () => (this.buf.length >= n ? Buffer.from(this.take(n)) : undefined));
  }

  /** A chunked body: its payload and the bytes as they came. */
  async chunked(): Promise<{ payload: Buffer; wire: Buffer }> {
    return this.until('the end of a chunked body', () => {
      const b = this.buf;
      const parts: Buffer[] = [];
      let p = 0;
      for (;;) {
        const le = b.indexOf('\r\n', p);
        if (le < 0) return undefined;
        const size = parseInt(b.toString('latin1', p, le).split(';')[0]!, 16);
        if (Number.isNaN(size)) throw new Error(`bad chunk size line ${JSON.stringify(b.toString('latin1', p, le))}`);
        p = le + 2;
        if (size === 0) {
          // Trailer fields, then the empty line.
          for (;;) {
            const te = b.indexOf('\r\n', p);
            if (te < 0) return undefined;
            const empty = te === p;
            p = te + 2;
            if (empty) {
              const wire = Buffer.from(this.take(p));
              return { payload: Buffer.concat(parts), wire };
            }
          }
        }
        if (b.length < p + size + 2) return undefined;
        parts.push(b.subarray(p, p + size));
        if (b.toString('latin1', p + size, p + size + 2) !== '\r\n') throw new Error('chunk data not followed by CRLF');
        p += size + 2;
      }
    });
  }

  /** Everything until the peer ends. */
  async rest(): Promise<Buffer> {
    await this.until('the end of the connection', () => (this.ended ? true : undefined)).catch(() => undefined);
    return Buffer.from(this.take(this.buf.length));
  }

  /** One response (interim ones included: a 100 is returned as such). */
  async response(method = 'GET'): Promise<RawResponse> {
    const h = await this.head();
    const status = Number(h.line.split(' ')[1]);
    const te = h.headers['transfer-encoding'];
    const cl = h.headers['content-length'];
    if (method === 'HEAD' || status < 200 || status === 204 || status === 304) return { ...h, status, body: Buffer.alloc(0), framing: 'none' };
    if (te !== undefined) {
      const { payload, wire } = await this.chunked();
      return { ...h, status, body: payload, framing: 'chunked', wire };
    }
    if (cl !== undefined) return { ...h, status, body: await this.exactly(Number(cl)), framing: 'length' };
    return { ...h, status, body: await this.rest(), framing: 'close' };
  }

  /** One request, as an upstream reads it. */
  async request(): Promise<RawRequest> {
    const h = await this.head();
    const [method, target] = h.line.split(' ') as [string, string];
    if (h.headers['transfer-encoding'] !== undefined) {
      const { payload, wire } = await this.chunked();
      return { ...h, method, target, body: payload, wire };
    }
    const cl = h.headers['content-length'];
    return { ...h, method, target, body: cl === undefined ? Buffer.alloc(0) : await this.exactly(Number(cl)) };
  }

  /** Writes `data` and waits until it has left for the kernel, so the next write is a separate one. */
  send(data: string | Buffer): Promise<void> {
    return new Promise<void>((r) => this.socket.write(data, () => r()));
  }

  /** Waits until `text` has arrived (it stays buffered). */
  async sees(text: string): Promise<void> {
    await this.until(JSON.stringify(text), () => (this.buf.includes(text) ? true : undefined));
  }
}

/** A client connection to the proxy's HTTP port. */
export async function connectClient(port: number): Promise<SocketReader> {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return new SocketReader(socket);
}

export interface RawUpstream {
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  /** Sockets still open. */
  readonly open: Set<Socket>;
  close(): Promise<void>;
}

/** An upstream whose connections the test drives: `onConnection` gets a reader on each. */
export async function startRawUpstream(onConnection: (conn: SocketReader, index: number) => void | Promise<void>): Promise<RawUpstream> {
  const open = new Set<Socket>();
  let count = 0;
  const server = net.createServer((s) => {
    open.add(s);
    s.once('close', () => open.delete(s));
    const reader = new SocketReader(s);
    void Promise.resolve(onConnection(reader, count++)).catch(() => s.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as AddressInfo).port,
    get connections() {
      return count;
    },
    open,
    close: () =>
      new Promise<void>((r) => {
        for (const s of open) s.destroy();
        server.close(() => r());
      }),
  };
}

/** A request head as a client writes it. */
export function get(path: string, extra = '', version = '1.1', host = 'h.test'): string {
  return `GET ${path} HTTP/${version}\r\nHost: ${host}\r\n${extra}\r\n`;
}
