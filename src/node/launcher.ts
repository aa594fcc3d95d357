// How the node agent starts the programs of a pod's start (the sandbox's namespaces, the CNI
// plugin, the container's shim). Node forks the whole agent for each child: its page tables are
// copied by the fork, on the main thread, so every spawn costs more the bigger the agent grows
// (~3 ms of CPU and a stall of the event loop at 130 MB, three times per pod). The resident
// launcher, the runtime's helper run as `--launcher` (helper.ts) and started once while the
// agent is small, forks and execs them instead; Node's spawn stays for callers without it.
import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';

export interface RunOptions {
  env: Record<string, string>;
  /** Written to its stdin, which is then closed; without it stdin is /dev/null. */
  input?: string;
  /** Told of each chunk of stdout as it comes (the whole of it is in the result too). */
  onStdout?: (chunk: Buffer) => void;
}

export interface RunResult {
  /** Null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: Buffer;
}

export interface Launcher {
  /** Runs argv (argv[0] a path) to its end and the end of its output; rejects when it could not start. */
  run(argv: string[], o: RunOptions): Promise<RunResult>;
  /** Starts argv in a session of its own with no stdio, left to itself (not waited for here); resolves with its pid. */
  detach(argv: string[], o: { env: Record<string, string>; cwd: string }): Promise<number>;
}

/** Node's spawn. */
export const spawnLauncher: Launcher = {
  run(argv, o) {
    return new Promise((resolve, reject) => {
      const p = spawn(argv[0], argv.slice(1), { env: o.env, stdio: [o.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      p.stdout!.on('data', (b: Buffer) => {
        out.push(b);
        o.onStdout?.(b);
      });
      p.stderr!.on('data', (b: Buffer) => err.push(b));
      p.on('error', reject);
      p.on('close', (code, signal) => resolve({ code, signal, stdout: Buffer.concat(out), stderr: Buffer.concat(err) }));
      if (p.stdin) {
        // A program that exits without reading closes its stdin; its exit status tells why.
        p.stdin.on('error', () => {});
        p.stdin.end(o.input);
      }
    });
  },
  detach(argv, o) {
    return new Promise((resolve, reject) => {
      const p = spawn(argv[0], argv.slice(1), { detached: true, stdio: 'ignore', cwd: o.cwd, env: o.env });
      p.once('spawn', () => {
        p.unref();
        resolve(p.pid!);
      });
      p.once('error', reject);
    });
  },
};

interface Job {
  resolveStart(pid: number): void;
  reject(e: Error): void;
  argv0: string;
  onStdout?: (chunk: Buffer) => void;
  out: Buffer[];
  err: Buffer[];
  resolveEnd?: (r: RunResult) => void;
}

const HEADER = 13;
const errnoNames = new Map(Object.entries(constants.errno).map(([name, n]) => [n, name]));
const signalNames = new Map(Object.entries(constants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** The error Node's spawn gives for the same failure (`spawn /usr/lib/cni/bridge ENOENT`). */
function spawnError(argv0: string, errno: number): Error {
  const code = errnoNames.get(errno) ?? `errno ${errno}`;
  return Object.assign(new Error(`spawn ${argv0} ${code}`), { code, errno: -errno, syscall: `spawn ${argv0}`, path: argv0 });
}

function field(s: string): string {
  if (s.includes('\0')) throw new Error(`an argument or environment entry holds a NUL byte: ${JSON.stringify(s)}`);
  return `${s}\0`;
}

/**
 * The resident launcher, started on first use and again after it ended. It does not hold the
 * agent's event loop open while nothing runs through it.
 */
export class HelperLauncher implements Launcher {
  private proc?: ChildProcess;
  private readonly jobs = new Map<number, Job>();
  private nextId = 1;
  private pending = Buffer.alloc(0);

  constructor(private readonly helper: string) {}

  run(argv: string[], o: RunOptions): Promise<RunResult> {
    return new Promise((resolve, reject) => {
      const job: Job = { resolveStart: () => {}, reject, argv0: argv[0], onStdout: o.onStdout, out: [], err: [], resolveEnd: resolve };
      this.send(job, o.input === undefined ? 'oe' : 'ioe', '', argv, o.env, o.input);
    });
  }

  detach(argv: string[], o: { env: Record<string, string>; cwd: string }): Promise<number> {
    return new Promise((resolve, reject) => {
      this.send({ resolveStart: resolve, reject, argv0: argv[0], out: [], err: [] }, 'd', o.cwd, argv, o.env);
    });
  }

  private send(job: Job, flags: string, cwd: string, argv: string[], env: Record<string, string>, input?: string): void {
    let body: Buffer;
    try {
      const entries = Object.entries(env).map(([k, v]) => `${k}=${v}`);
      const id = this.nextId++;
      const text = [String(id), flags, cwd, String(argv.length), ...argv, String(entries.length), ...entries].map(field).join('');
      body = Buffer.concat([Buffer.from(text), Buffer.from(input ?? '')]);
      this.jobs.set(id, job);
    } catch (e) {
      job.reject(e as Error);
      return;
    }
    const head = Buffer.alloc(4);
    head.writeUInt32LE(body.length);
    const p = this.process();
    p.stdin!.write(Buffer.concat([head, body]));
    this.hold(p);
  }

  private process(): ChildProcess {
    if (this.proc) return this.proc;
    const p = spawn(this.helper, ['--launcher'], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.proc = p;
    p.stdout!.on('data', (b: Buffer) => this.receive(b));
    p.stdin!.on('error', () => {}); // it ended: 'close' fails what it had
    const ended = (why: string) => {
      if (this.proc !== p) return;
      this.proc = undefined;
      this.pending = Buffer.alloc(0);
      const jobs = [...this.jobs.values()];
      this.jobs.clear();
      for (const j of jobs) j.reject(new Error(`the runtime's launcher ${why}`));
    };
    p.on('error', (e) => ended(`could not run: ${e.message}`));
    p.on('close', (code, signal) => ended(`ended (${signal ?? `exit ${code}`})`));
    return p;
  }

  /** Keeps the event loop alive while a job is under way, and only then. */
  private hold(p: ChildProcess): void {
    const busy = this.jobs.size > 0;
    for (const h of [p, p.stdout, p.stdin] as Array<{ ref(): void; unref(): void } | null>) {
      if (busy) h?.ref();
      else h?.unref();
    }
  }

  private receive(chunk: Buffer): void {
    let buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (buf.length >= HEADER) {
      const len = buf.readUInt32LE(9);
      if (buf.length < HEADER + len) break;
      const kind = String.fromCharCode(buf[0]);
      const id = buf.readUInt32LE(1);
      const n = buf.readInt32LE(5);
      const data = buf.subarray(HEADER, HEADER + len);
      buf = buf.subarray(HEADER + len);
      const job = this.jobs.get(id);
      if (!job) continue;
      if (kind === 'S') {
        if (!job.resolveEnd) this.jobs.delete(id);
        job.resolveStart(n);
      } else if (kind === 'E') {
        this.jobs.delete(id);
        job.reject(spawnError(job.argv0, n));
      } else if (kind === 'O') {
        // Copied: `data` is a view of the chunk being parsed.
        const copy = Buffer.from(data);
        if (n === 1) {
          job.out.push(copy);
          job.onStdout?.(copy);
        } else {
          job.err.push(copy);
        }
      } else if (kind === 'X') {
        this.jobs.delete(id);
        job.resolveEnd?.({ code: n >= 0 ? n : null, signal: n < 0 ? (signalNames.get(-n) ?? null) : null, stdout: Buffer.concat(job.out), stderr: Buffer.concat(job.err) });
      }
    }
    this.pending = Buffer.from(buf);
    if (this.proc) this.hold(this.proc);
  }
}
