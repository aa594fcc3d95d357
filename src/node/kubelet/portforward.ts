import type { Duplex } from 'node:stream';
import { endStream, type SpdyStream } from './spdy-session.js';

// portforward.k8s.io over SPDY: per local connection the client opens an `error` and a `data`
// stream carrying the same `requestID` (and `port`); the kubelet dials the pod port, copies bytes
// both ways, and writes a failure, if any, on the error stream before ending it
// (upstream pkg/kubelet/cri/streaming/portforward/httpstream.go).

export type Dial = (port: number) => Promise<Duplex>;

interface Pair {
  error?: SpdyStream;
  data?: SpdyStream;
  port: string;
  timer: NodeJS.Timeout;
}

/** How long the second stream of a pair may take (upstream's streamCreationTimeout). */
export const PAIR_TIMEOUT_MS = 30_000;

export class PortForwardHandler {
  private pairs = new Map<string, Pair>();
  constructor(
    private readonly dial: Dial,
    /** The pod in messages; upstream's CRI streaming server names the sandbox and leaves the uid empty. */
    private readonly podId: string,
  ) {}

  onStream(s: SpdyStream): void {
    const h = s.headers;
    const type = h.streamtype;
    // Clients before requestID existed sent one pair per port at a time.
    const id = h.requestid ?? h.port ?? '';
    if ((type !== 'error' && type !== 'data') || h.port === undefined) {
      s.reset();
      return;
    }
    let pair = this.pairs.get(id);
    if (!pair) {
      const timer = setTimeout(() => this.abandon(id), PAIR_TIMEOUT_MS).unref();
      this.pairs.set(id, (pair = { port: h.port, timer }));
    }
    if (pair[type]) {
      s.reset();
      return;
    }
    pair[type] = s;
    if (type === 'error') s.resume(); // the client never writes here; read it so its FIN is seen
    if (pair.error && pair.data) {
      clearTimeout(pair.timer);
      this.pairs.delete(id);
      void this.forward(pair.error, pair.data, pair.port);
    }
  }

  private abandon(id: string): void {
    const p = this.pairs.get(id);
    if (!p) return;
    this.pairs.delete(id);
    if (p.error) endStream(p.error, `timeout waiting for the data stream of request ${id}`);
    p.data?.reset();
  }

  private fail(error: SpdyStream, data: SpdyStream, port: string, message: string): void {
    endStream(error, `error forwarding port ${port} to pod ${this.podId}, uid : ${message}`);
    endStream(data);
  }

  private async forward(error: SpdyStream, data: SpdyStream, portText: string): Promise<void> {
    const port = Number(portText);
    if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
      this.fail(error, data, portText, `invalid port "${portText}"`);
      return;
    }
    let conn: Duplex;
    try {
      conn = await this.dial(port);
    } catch (e) {
      this.fail(error, data, portText, (e as Error).message);
      return;
    }
    if (data.destroyed) {
      conn.destroy();
      endStream(error);
      return;
    }
    let failed = false;
    let dropped = false;
    conn.on('error', (e: Error) => {
      // Tearing the connection down ourselves is no failure to report.
      if (dropped) return;
      failed = true;
      this.fail(error, data, portText, e.message);
    });
    // Pod → client. The pod closing its side ends the forward as upstream's runtimes do: FIN on
    // the data stream and on the (empty) error stream. kubectl up to 1.30 waits for the error
    // stream's end before it closes its own side, so holding it back until then deadlocks.
    conn.on('data', (d: Buffer) => {
      if (data.destroyed || data.writableEnded) return;
      if (!data.write(d)) {
        conn.pause();
        data.once('drain', () => conn.resume());
      }
    });
    conn.on('end', () => {
      endStream(data);
      endStream(error);
    });
    conn.on('close', () => {
      endStream(data);
      if (!failed) endStream(error);
    });
    // Client → pod; the client's FIN half-closes the pod connection.
    data.on('data', (d: Buffer) => {
      if (conn.destroyed || conn.writableEnded) return;
      if (!conn.write(d)) {
        data.pause();
        conn.once('drain', () => data.resume());
      }
    });
    data.on('end', () => {
      if (!conn.destroyed && !conn.writableEnded) conn.end();
    });
    // A reset (the client is done with the connection) or the session ending.
    data.on('close', () => {
      dropped = true;
      conn.destroy();
    });
  }
}
