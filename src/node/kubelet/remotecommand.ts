import type { Readable } from 'node:stream';
import type { WebSocket } from 'ws';
import type { ExecProcess } from './cri.js';
import { endStream, type SpdyStream } from './spdy-session.js';

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

/**
 * The client went away while the command runs. Like containerd, which kills an exec whose
 * stream is gone, drop its output: the runtime ends a command whose stdout nobody reads any more.
 */
function abandon(proc: ExecProcess): void {
  const out = proc.stdout as Readable;
  if (!out.readableEnded && !out.destroyed) out.destroy();
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
  // Upstream tells the client the streams are set up with an empty frame on the lowest channel it
  // writes. Clients of v4 and before wait for it; client-go's v5 executor does not, and logs
  // "Unknown stream id" to the user's stderr when the frame beats its own stream set-up.
  if (ws.protocol !== 'v5.channel.k8s.io') send(o.stdout ? CHANNEL.stdout : o.stderr ? CHANNEL.stderr : CHANNEL.error, Buffer.alloc(0));
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
    abandon(proc);
  });
  void Promise.all([proc.exit, ended(proc.stdout), ended(proc.stderr)]).then(([code]) => {
    send(CHANNEL.error, JSON.stringify(exitStatus(code, argv)));
    ws.close(1000);
  });
}

/** The remote-command protocols the kubelet speaks over SPDY, newest first. */
export const SPDY_EXEC_PROTOCOLS = ['v4.channel.k8s.io', 'v3.channel.k8s.io', 'v2.channel.k8s.io', 'channel.k8s.io'];

/** How long the client has to open the streams it asked for (upstream's streamCreationTimeout). */
export const STREAM_CREATION_TIMEOUT_MS = 30_000;

/** The streams a client opens for these options under a protocol version (upstream's expectedStreams). */
export function expectedSpdyStreams(protocol: string, o: { stdin: boolean; stdout: boolean; stderr: boolean; tty: boolean }): string[] {
  const resizable = protocol === 'v3.channel.k8s.io' || protocol === 'v4.channel.k8s.io';
  return ['error', ...(o.stdin ? ['stdin'] : []), ...(o.stdout ? ['stdout'] : []), ...(o.stderr && !o.tty ? ['stderr'] : []), ...(o.tty && resizable ? ['resize'] : [])];
}

function finished(s: SpdyStream | undefined): Promise<void> {
  if (!s || s.destroyed || s.writableFinished) return Promise.resolve();
  return new Promise((resolve) => {
    s.once('finish', resolve);
    s.once('close', resolve);
  });
}

/**
 * Exec over SPDY (kubectl up to 1.29, and the fallback of newer ones): the client opens an
 * error stream and then stdin, stdout, stderr and resize as asked, each named by its
 * `streamType` header; the command starts once all of them are there. At exit the error stream
 * carries the result (a Status from v4 on, plain text before) and the connection closes.
 */
export class SpdyExecHandler {
  private streams: Record<string, SpdyStream> = {};
  private startedExec = false;
  private readonly timer: NodeJS.Timeout;
  constructor(
    private readonly protocol: string,
    private readonly expected: string[],
    private readonly start: () => ExecProcess,
    private readonly argv: string[],
    private readonly tty: boolean,
    private readonly onDone: () => void,
  ) {
    // Without its streams the exec cannot start; upstream gives up the same way.
    this.timer = setTimeout(() => {
      if (!this.startedExec) this.onDone();
    }, STREAM_CREATION_TIMEOUT_MS).unref();
  }

  onStream(s: SpdyStream): void {
    const type = s.headers.streamtype;
    if (this.startedExec || !this.expected.includes(type) || this.streams[type]) {
      s.reset();
      return;
    }
    this.streams[type] = s;
    if (!this.expected.every((t) => this.streams[t])) return;
    this.startedExec = true;
    clearTimeout(this.timer);
    this.run();
  }

  private result(code: number): string | undefined {
    if (this.protocol === 'v4.channel.k8s.io') return JSON.stringify(exitStatus(code, this.argv));
    return code === 0 ? undefined : (exitStatus(code, this.argv).message as string);
  }

  private run(): void {
    const { error, stdin, stdout, stderr, resize } = this.streams;
    // The client never writes to the error stream; read it so its FIN is seen.
    error.resume();
    let proc: ExecProcess;
    let exited = false;
    try {
      proc = this.start();
    } catch (e) {
      const message = (e as Error).message;
      endStream(error, this.protocol === 'v4.channel.k8s.io' ? JSON.stringify(errorStatus(message)) : message);
      void finished(error).then(this.onDone);
      return;
    }
    if (stdin) {
      if (proc.stdin) {
        const target = proc.stdin;
        target.on('error', () => undefined);
        stdin.pipe(target as NodeJS.WritableStream);
        // A reset or a lost connection ends the command's input too.
        stdin.once('close', () => target.end());
      } else stdin.resume();
    }
    const errOut = this.tty ? stdout : stderr;
    const copy = (from: NodeJS.ReadableStream | null, to: SpdyStream | undefined) => {
      if (!from) return;
      if (!to) {
        from.resume();
        return;
      }
      from.on('data', (d: Buffer) => {
        if (!to.destroyed && !to.writableEnded && !to.write(d)) {
          from.pause();
          to.once('drain', () => from.resume());
        }
      });
    };
    copy(proc.stdout, stdout);
    copy(proc.stderr, errOut);
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
    // Our side of the error stream ends only at exit, so an earlier close is a reset or a lost connection.
    error.once('close', () => {
      if (!exited) abandon(proc);
    });
    void Promise.all([proc.exit, ended(proc.stdout), ended(proc.stderr)]).then(async ([code]) => {
      exited = true;
      if (stdout) endStream(stdout);
      if (stderr) endStream(stderr);
      endStream(error, this.result(code));
      // Close only once the last frames are on the wire, as they go out in order before GOAWAY.
      await Promise.all([finished(stdout), finished(stderr), finished(error)]);
      this.onDone();
    });
  }
}
