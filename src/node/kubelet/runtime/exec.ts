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

/**
 * The new terminal is 0x0 until the client's first size arrives, and a command that asks at once
 * (`stty size`, a full-screen program) would see that. So inside the terminal a gate reads the
 * first size from fd 3, applies it, and only then runs the command; the size's arrival, or fd 3
 * closing, opens the gate.
 */
export const TTY_GATE = 'IFS= read -r s <&3 || :; exec 3<&-; if [ -n "$s" ]; then stty $s 2>/dev/null || :; fi; exec "$@"';

export function gatedArgv(argv: string[]): string[] {
  return ['/bin/sh', '-c', TTY_GATE, 'skiff-tty', ...argv];
}

/** How long the command waits for a first terminal size before it runs in whatever size the terminal has. */
const FIRST_SIZE_WAIT_MS = 2000;

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
