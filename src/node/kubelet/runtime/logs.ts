// Container logs in the CRI format (`<RFC3339Nano> <stream> <P|F> <content>` per line) and the
// kubectl logs options over them, as the kubelet's kuberuntime ReadLogs applies them: tail picks
// the last N lines of the file, then lines older than sinceTime are skipped, each is optionally
// prefixed with its timestamp, and the output stops after limitBytes.
import { open, type FileHandle } from 'node:fs/promises';
import { watch, type FSWatcher } from 'node:fs';

export interface LogEntry {
  time: string;
  stream: 'stdout' | 'stderr';
  /** A piece of a long line that continues in the next entry (P); full lines are F. */
  partial: boolean;
  content: string;
}

export interface LogReadOptions {
  follow?: boolean;
  tailLines?: number;
  sinceTime?: Date;
  timestamps?: boolean;
  limitBytes?: number;
}

const CRI_LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:\d\d)) (stdout|stderr) ([PF]) ?(.*)$/s;

export function parseCriLine(line: string): LogEntry | undefined {
  const m = CRI_LINE.exec(line);
  if (!m) return undefined;
  return { time: m[1], stream: m[2] as 'stdout' | 'stderr', partial: m[3] === 'P', content: m[4] };
}

/** Go's time.RFC3339Nano rendering of a UTC stamp: the fraction loses its trailing zeros (and the dot if nothing is left). */
export function rfc3339Nano(time: string): string {
  return time.replace(/\.(\d*?)0*Z$/, (_, digits: string) => (digits ? `.${digits}Z` : 'Z'));
}

/** Milliseconds since the epoch, with the sub-millisecond part as a fraction. */
export function stampMillis(time: string): number {
  const m = /^(.*?)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$/.exec(time);
  if (!m) return NaN;
  return Date.parse(m[1] + m[3]) + (m[2] ? Number(`0.${m[2]}`) * 1000 : 0);
}

/** The output bytes of one entry, or undefined when sinceTime filters it out. */
export function formatEntry(e: LogEntry, o: Pick<LogReadOptions, 'sinceTime' | 'timestamps'>): string | undefined {
  if (o.sinceTime && stampMillis(e.time) < o.sinceTime.getTime()) return undefined;
  return (o.timestamps ? `${rfc3339Nano(e.time)} ` : '') + e.content + (e.partial ? '' : '\n');
}

/** The last n complete lines (all for undefined or negative n, as kubectl's default -1). */
export function tailLines(lines: string[], n: number | undefined): string[] {
  if (n === undefined || n < 0) return lines;
  return n === 0 ? [] : lines.slice(-n);
}

/** Splits text into complete lines and the unterminated rest (a line still being written). */
export function splitLines(text: string): { lines: string[]; rest: string } {
  const parts = text.split('\n');
  const rest = parts.pop() ?? '';
  return { lines: parts, rest };
}

/** Writes entries to out honouring limitBytes; returns false once the limit is reached. */
class LogWriter {
  private written = 0;
  constructor(
    private readonly out: NodeJS.WritableStream,
    private readonly o: LogReadOptions,
    private readonly signal: AbortSignal,
  ) {}

  async lines(lines: string[]): Promise<boolean> {
    let chunk = '';
    let more = true;
    for (const line of lines) {
      const e = parseCriLine(line);
      if (!e) continue;
      let text = formatEntry(e, this.o);
      if (text === undefined) continue;
      if (this.o.limitBytes !== undefined && this.o.limitBytes > 0) {
        const left = this.o.limitBytes - this.written - Buffer.byteLength(chunk);
        if (Buffer.byteLength(text) >= left) {
          text = Buffer.from(text).subarray(0, left).toString();
          more = false;
        }
      }
      chunk += text;
      if (!more) break;
    }
    if (chunk) await this.write(chunk);
    return more;
  }

  private async write(chunk: string): Promise<void> {
    this.written += Buffer.byteLength(chunk);
    if (this.out.write(chunk)) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('close', done);
        this.signal.removeEventListener('abort', done);
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('close', done);
      this.signal.addEventListener('abort', done);
    });
  }
}

/** Resolves on a change of the file, after a poll interval (a missed inotify event), or on abort. */
function changed(path: string, signal: AbortSignal, pollMs: number): Promise<void> {
  return new Promise((resolve) => {
    let w: FSWatcher | undefined;
    const done = () => {
      clearTimeout(timer);
      w?.close();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, pollMs);
    try {
      w = watch(path, done);
      w.on('error', done);
    } catch {
      // The poll timer covers it.
    }
    signal.addEventListener('abort', done);
  });
}

/**
 * Streams one attempt's log to out. With follow it keeps reading new lines until exited() says
 * the container has ended (the stamper has then drained its pipes) or the signal aborts.
 */
export async function streamLog(path: string, o: LogReadOptions, out: NodeJS.WritableStream, signal: AbortSignal, exited: () => boolean): Promise<void> {
  const w = new LogWriter(out, o, signal);
  let fh: FileHandle;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    throw new Error(`reading the log ${path}: ${(e as Error).message}`);
  }
  try {
    let pos = 0;
    let rest = '';
    const readNew = async (): Promise<string[]> => {
      const chunks: Buffer[] = [];
      for (;;) {
        const buf = Buffer.alloc(64 * 1024);
        const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
        if (bytesRead === 0) break;
        pos += bytesRead;
        chunks.push(buf.subarray(0, bytesRead));
      }
      const split = splitLines(rest + Buffer.concat(chunks).toString('utf8'));
      rest = split.rest;
      return split.lines;
    };
    // Whether the container had ended before this read: then the file is complete.
    let ended = exited();
    if (!(await w.lines(tailLines(await readNew(), o.tailLines)))) return;
    while (o.follow && !ended && !signal.aborted) {
      await changed(path, signal, 250);
      ended = exited();
      if (!(await w.lines(await readNew()))) return;
    }
  } finally {
    await fh.close();
  }
}
