import type { WebSocket } from 'ws';
import type { ExecProcess } from './cri.js';
import type { SpdyStream } from './spdy-session.js';

// remotecommand (exec) over WebSocket channel.k8s.io framing and over SPDY streams, as the
// kubelet serves it: stdin/stdout/stderr, resize, and a Status on the error channel at exit.

export const CHANNEL = { stdin: 0, stdout: 1, stderr: 2, error: 3, resize: 4, close: 255 } as const;
export const WS_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'];

/** The subprotocol to accept from the client's offer, or undefined. */
export function selectProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return WS_PROTOCOLS.find((p) => set.has(p));
}

export function frame(channel: number, data: Buffer | string): Buffer {
  const payload = typeof data === 'string' ? Buffer.from(data) : data;
  const out = Buffer.allocUnsafe(payload.length + 1);
  out[0] = channel;
  payload.copy(out, 1);
  return out;
}

export function parseFrame(msg: Buffer): { channel: number; data: Buffer } | undefined {
  if (!msg.length) return undefined;
  return { channel: msg[0], data: msg.subarray(1) };
}

export interface TerminalSize {
  Width: number;
  Height: number;
}
export function parseResize(data: Buffer): TerminalSize | undefined {
  try {
    const s = JSON.parse(data.toString('utf8')) as TerminalSize;
    return typeof s.Width === 'number' && typeof s.Height === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** The Status the error channel carries when the command ends. */
export function exitStatus(code: number, argv: string[]): Record<string, unknown> {
  if (code === 0) return { metadata: {}, status: 'Success' };
  return {
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: command '${argv.join(' ')}' exited with ${code}: `,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

export function errorStatus(message: string): Record<string, unknown> {
  return { metadata: {}, status: 'Failure', message, reason: 'InternalError', code: 500 };
}

function ended(s: NodeJS.ReadableStream | null): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('end', resolve);
    s.once('close', resolve);
    s.once('error', () => resolve());
  });
}

/** Serves one exec over an accepted WebSocket. */
export function serveWebSocketExec(ws: WebSocket, start: () => ExecProcess, argv: string[], o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): void {
  let proc: ExecProcess;
  try {
    proc = start();
  } catch (e) {
    ws.send(frame(CHANNEL.error, JSON.stringify(errorStatus((e as Error).message))));
    ws.close(1000);
    return;
  }
  const send = (ch: number, d: Buffer | string) => {
    if (ws.readyState === ws.OPEN) ws.send(frame(ch, Buffer.isBuffer(d) ? d : Buffer.from(d)));
  };
  // Lets clients that wait for the first frame know the streams are set up (upstream does the same).
  if (o.stdout) send(CHANNEL.stdout, Buffer.alloc(0));
  proc.stdout.on('data', (d: Buffer) => o.stdout && send(CHANNEL.stdout, d));
  proc.stderr?.on('data', (d: Buffer) => send(o.tty ? CHANNEL.stdout : CHANNEL.stderr, d));
  ws.on('message', (raw: Buffer, isBinary: boolean) => {
    const f = parseFrame(isBinary ? raw : Buffer.from(raw));
    if (!f) return;
    if (f.channel === CHANNEL.stdin) proc.stdin?.write(f.data);
    else if (f.channel === CHANNEL.resize) {
      const s = parseResize(f.data);
      if (s) proc.resize(s.Width, s.Height);
    } else if (f.channel === CHANNEL.close && f.data[0] === CHANNEL.stdin) proc.stdin?.end();
  });
  ws.on('close', () => {
    proc.stdin?.end();
  });
  void Promise.all([proc.exit, ended(proc.stdout), ended(proc.stderr)]).then(([code]) => {
    send(CHANNEL.error, JSON.stringify(exitStatus(code, argv)));
    ws.close(1000);
  });
}

/**
 * Exec over SPDY (kubectl ≤ 1.29 and the fallback): the client opens error, stdin, stdout,
 * stderr and resize streams, identified by `streamType`; the command starts once the
 * expected ones are there.
 */
export class SpdyExecHandler {
  private streams: Record<string, SpdyStream> = {};
  private startedExec = false;
  constructor(
    private readonly expected: string[],
    private readonly start: () => ExecProcess,
    private readonly argv: string[],
    private readonly tty: boolean,
    private readonly onDone: () => void,
  ) {}

  onStream(s: SpdyStream): void {
    this.streams[s.headers.streamtype] = s;
    if (this.startedExec || !this.expected.every((t) => this.streams[t])) return;
    this.startedExec = true;
    this.run();
  }

  private run(): void {
    const { error, stdin, stdout, stderr, resize } = this.streams;
    let proc: ExecProcess;
    try {
      proc = this.start();
    } catch (e) {
      error?.end(JSON.stringify(errorStatus((e as Error).message)));
      this.onDone();
      return;
    }
    if (stdin && proc.stdin) stdin.pipe(proc.stdin as NodeJS.WritableStream);
    if (stdout) proc.stdout.on('data', (d: Buffer) => stdout.write(d));
    const errOut = this.tty ? stdout : stderr;
    if (errOut) proc.stderr?.on('data', (d: Buffer) => errOut.write(d));
    if (resize) {
      let buf = '';
      resize.on('data', (d: Buffer) => {
        buf += d.toString('utf8');
        let i: number;
        // Sizes arrive as a stream of JSON objects; split them on the closing brace.
        while ((i = buf.indexOf('}')) >= 0) {
          const s = parseResize(Buffer.from(buf.slice(0, i + 1)));
          buf = buf.slice(i + 1);
          if (s) proc.resize(s.Width, s.Height);
        }
      });
    }
    void Promise.all([proc.exit, ended(proc.stdout), ended(proc.stderr)]).then(([code]) => {
      stdout?.end();
      stderr?.end();
      error?.end(JSON.stringify(exitStatus(code, this.argv)));
      this.onDone();
    });
  }
}
