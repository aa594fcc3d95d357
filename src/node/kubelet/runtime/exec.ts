// Processes that enter a running pod from the agent: `kubectl exec` (nsenter into the container's
// mount, UTS and network namespaces and its root) and `kubectl port-forward` (busybox nc in the
// pod's network namespace). Both join the pod cgroup, so removing the sandbox ends them too.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Duplex } from 'node:stream';
import { SHIM_PATH, execArgv, portForwardArgv, shellQuote } from './shim.js';
import type { ExecProcess } from './index.js';

/** The environment of a running process, which exec'd commands inherit as in Kubernetes. */
export function processEnv(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const kv of readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return env;
}

/**
 * With a tty the command runs under util-linux `script -qfec`, which gives it a pseudo-terminal;
 * resizing sets the size of that terminal (stty on the command's stdin, found through /proc),
 * and the kernel sends SIGWINCH.
 */
export function ttyArgv(argv: string[]): string[] {
  return ['script', '-qfec', shellQuote(argv), '/dev/null'];
}

function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  const n = signal ? ({ SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGKILL: 9, SIGPIPE: 13, SIGTERM: 15 } as Record<string, number>)[signal] ?? 0 : 0;
  return 128 + n;
}

export function execInContainer(o: { pid: number; procsFiles: string[]; argv: string[]; tty: boolean; stdin: boolean }): ExecProcess {
  const env = processEnv(o.pid);
  if (o.tty) env.TERM ??= 'xterm';
  const argv = execArgv({ procsFiles: o.procsFiles, pid: o.pid, env, argv: o.tty ? ttyArgv(o.argv) : o.argv });
  const child = spawn(argv[0], argv.slice(1), {
    stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', o.tty ? 'ignore' : 'pipe'],
    env: { PATH: SHIM_PATH },
  });
  const exit = new Promise<number>((resolve) => {
    child.once('error', () => resolve(126));
    child.once('close', (code, signal) => resolve(exitCodeOf(code, signal)));
  });
  let pending: [number, number] | undefined;
  let applying = false;
  const applySize = async () => {
    if (applying) return;
    applying = true;
    for (let tries = 0; pending && tries < 50; tries++) {
      // The command is script's child, with the pseudo-terminal as its stdin.
      let inner: string | undefined;
      try {
        inner = readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0];
      } catch {
        break;
      }
      if (inner) {
        const [cols, rows] = pending;
        pending = undefined;
        await new Promise<void>((resolve) => {
          const p = spawn('stty', ['-F', `/proc/${inner}/fd/0`, 'cols', String(cols), 'rows', String(rows)], { stdio: 'ignore', env: { PATH: SHIM_PATH } });
          p.once('error', () => resolve());
          p.once('close', () => resolve());
        });
      } else {
        await new Promise((r) => setTimeout(r, 20));
      }
    }
    applying = false;
  };
  return {
    stdin: child.stdin,
    stdout: child.stdout!,
    stderr: child.stderr,
    resize(cols: number, rows: number) {
      if (!o.tty || !(cols > 0) || !(rows > 0)) return;
      pending = [cols, rows];
      void applySize();
    },
    exit,
  };
}

/**
 * A stream to 127.0.0.1:port in the pod's network namespace. Node cannot enter a namespace, so a
 * busybox nc started there carries the bytes over its stdio (about 1 MiB, only while connected).
 * A refused connection ends nc with an error before any data, which destroys the stream with
 * nc's message.
 */
export async function portForwardProcess(o: { procsFiles: string[]; netnsPath: string; port: number }): Promise<Duplex> {
  const argv = portForwardArgv(o);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: SHIM_PATH } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stream = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      child.stdin.write(chunk, cb);
    },
    final(cb) {
      child.stdin.end(cb);
    },
    read() {
      child.stdout.resume();
    },
    destroy(err, cb) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      cb(err);
    },
  });
  child.stdin.on('error', () => undefined);
  child.stdout.on('data', (d: Buffer) => {
    if (!stream.push(d)) child.stdout.pause();
  });
  child.once('error', (e) => stream.destroy(new Error(`port-forward to port ${o.port}: ${e.message}`)));
  child.once('close', (code) => {
    if (code !== 0 && code !== null) stream.destroy(new Error(`port-forward to port ${o.port}: ${stderr.trim() || `nc exited with ${code}`}`));
    else stream.push(null);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return stream;
}
