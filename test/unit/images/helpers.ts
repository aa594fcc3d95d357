// Starting image programs the way a container runtime would: the argv from resolveImage +
// containerArgv, and waiting until their port answers.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerArgv, resolveImage } from '../../../src/images/index.js';
import { imageMounts } from '../../../src/images/rootfs.js';
import { hostProgramsDir, toContainerArgv } from '../../../src/images/root-mounts.js';

const made: string[] = [];
// Each test file runs in its own process: what it made goes when it ends.
process.on('exit', () => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

export function tempDirs(): { home: string; clusterDir: string } {
  const home = mkdtempSync(join(tmpdir(), 'skiff-images-'));
  made.push(home);
  return { home, clusterDir: join(home, 'clusters', 'test') };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** The container argv of the image, in the container's paths (what runc runs in its root). */
export function containerArgvFor(image: string, command?: string[], args?: string[]): string[] {
  const r = resolveImage(image, tempDirs());
  if (!r.ok) throw new Error(`resolving ${image}: ${r.message}`);
  return containerArgv(r.image, command, args);
}

/**
 * The same argv in the host's paths, to run the image's program on the host: each file the
 * image's root binds in read-only is where it came from.
 */
export function argvFor(image: string, command?: string[], args?: string[]): string[] {
  const r = resolveImage(image, tempDirs());
  if (!r.ok) throw new Error(`resolving ${image}: ${r.message}`);
  const mounts = imageMounts(r.image.root!.key, { programsAt: hostProgramsDir() });
  const back = mounts.map((m) => ({ source: m.destination, destination: m.source, readonly: true }));
  return toContainerArgv(containerArgv(r.image, command, args), back);
}

export interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  stop: () => Promise<void>;
}

export function start(argv: string[], env: Record<string, string> = {}): Running {
  const child = spawn(argv[0], argv.slice(1), { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        try {
          process.kill(-child.pid!, 'SIGKILL');
        } catch {
          // Already gone.
        }
      }
      await exited;
    },
  };
}

/** Resolves once 127.0.0.1:port accepts a connection; rejects if the program exits first. */
export async function waitForPort(port: number, running: Running, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void running.exited.then(() => (exited = true));
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (exited) throw new Error(`program exited before listening on ${port}: ${running.stderr()}`);
    if (Date.now() > deadline) throw new Error(`nothing listens on ${port} after ${timeoutMs} ms: ${running.stderr()}`);
    await new Promise((r) => setTimeout(r, 10)); // poll interval, not a guess at readiness
  }
}

/** A raw HTTP/1.1 exchange, so that the request's headers are exactly the ones given. */
export function rawRequest(port: number, request: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = connect(port, '127.0.0.1');
    let data = '';
    s.on('data', (c) => (data += c.toString('latin1')));
    s.on('end', () => resolve(data));
    s.on('error', reject);
    s.write(request);
  });
}

/** Decodes a chunked body. */
export function unchunk(body: string): string {
  let out = '';
  let rest = body;
  for (;;) {
    const nl = rest.indexOf('\r\n');
    const size = parseInt(rest.slice(0, nl), 16);
    if (!size) return out;
    out += rest.slice(nl + 2, nl + 2 + size);
    rest = rest.slice(nl + 2 + size + 2);
  }
}

/** Resolves once the program's stdout or stderr matches `pattern`; rejects if it exits first. */
export function waitForOutput(running: Running, stream: 'stdout' | 'stderr', pattern: RegExp, timeoutMs = 10_000): Promise<void> {
  const text = () => (stream === 'stdout' ? running.stdout() : running.stderr());
  return new Promise((resolve, reject) => {
    const pipe = running.child[stream]!;
    const timer = setTimeout(() => done(new Error(`no ${pattern} on ${stream} after ${timeoutMs} ms: ${text()}`)), timeoutMs);
    const check = () => {
      // The Running's own listener ran first (it was added first), so text() holds this chunk.
      if (pattern.test(text())) done();
    };
    const exited = () => done(pattern.test(text()) ? undefined : new Error(`program exited before ${pattern} on ${stream}: ${running.stderr()}`));
    function done(err?: Error): void {
      clearTimeout(timer);
      pipe.off('data', check);
      running.child.off('exit', exited);
      if (err) reject(err);
      else resolve();
    }
    pipe.on('data', check);
    running.child.once('exit', exited);
    check();
  });
}

/** A request with fetch, its body read. */
export async function get(url: string, init?: RequestInit): Promise<{ status: number; headers: Headers; body: string }> {
  const res = await fetch(url, init);
  return { status: res.status, headers: res.headers, body: await res.text() };
}

/** CPU time a process has used (utime + stime), in clock ticks of 1/100 s. */
export function cpuTicks(pid: number): number {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
}
