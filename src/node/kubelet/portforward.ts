import type { Duplex } from 'node:stream';
import type { SpdyStream } from './spdy-session.js';

// portforward.k8s.io over SPDY: the client opens an `error` and a `data` stream per
// connection, paired by `requestID`; the kubelet dials the pod port and copies bytes, and
// writes any failure to the error stream (upstream pkg/kubelet/cri/streaming/portforward).

export type Dial = (port: number) => Promise<Duplex>;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port: number;
}

export class PortForwardHandler {
  private pairs = new Map<string, Pair>();
  constructor(
    private readonly dial: Dial,
    private readonly describe: string,
  ) {}

  onStream(s: SpdyStream): void {
    const h = s.headers;
    const type = h.streamtype;
    const id = h.requestid ?? h.port ?? '';
    const port = Number(h.port);
    if (type !== 'error' && type !== 'data') {
      s.reset();
      return;
    }
    let pair = this.pairs.get(id);
    if (!pair) this.pairs.set(id, (pair = { port }));
    if (type === 'error') {
      pair.error = s;
      // The client never writes to the error stream; drain it so FIN is seen.
      s.resume();
    } else pair.data = s;
    if (pair.error && pair.data) {
      this.pairs.delete(id);
      void this.forward(pair as Required<Pair>);
    }
  }

  private async forward(p: Required<Pair>): Promise<void> {
    if (!Number.isInteger(p.port) || p.port <= 0 || p.port > 65535) {
      p.error.end(`invalid port: ${p.port}`);
      p.data.end();
      return;
    }
    let conn: Duplex;
    try {
      conn = await this.dial(p.port);
    } catch (e) {
      p.error.end(`error forwarding port ${p.port} to pod ${this.describe}: ${(e as Error).message}`);
      p.data.end();
      return;
    }
    p.data.pipe(conn);
    conn.pipe(p.data);
    conn.on('error', (e) => {
      if (!p.error.writableEnded) p.error.end(`error forwarding port ${p.port} to pod ${this.describe}: ${e.message}`);
      p.data.end();
    });
    p.data.on('error', () => conn.destroy());
    conn.on('close', () => {
      if (!p.error.writableEnded) p.error.end();
    });
  }
}
