// Processes that enter a running pod from the agent: `kubectl exec` (`runc exec`: the
// container's namespaces, root, user, capabilities, seccomp filter and cgroup) and `kubectl
// port-forward` (busybox nc in the pod's network namespace, joined to the pod cgroup so that
// removing the sandbox ends it too).
import { spawn } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { constants } from 'node:os';
import { Duplex, type Writable } from 'node:stream';
import { SHIM_PATH, execArgv, portForwardArgv, runcError, shellArgv, shellQuote } from './shim.js';
import type { ExecProcess } from './index.js';

/**
 * With a tty, `runc exec --tty` runs under util-linux `script -qfec`, whose pseudo-terminal is
 * runc's stdin: runc copies its size to the command's terminal at start and on every SIGWINCH.
 * Resizing sets the size of script's terminal (stty on runc's stdin, found through /proc), and
 * the kernel sends runc the SIGWINCH.
 */
export function ttyArgv(argv: string[]): string[] {
  return ['script', '-qfec', shellQuote(argv), '/dev/null'];
}

/**
 * The new terminal is 0x0 until the client's first size arrives, and a command that asks at once
 * (`stty size`, a full-screen program) would see that. So inside script's terminal a gate reads
 * the first size from fd 3, applies it, and only then runs runc; the size's arrival, or fd 3
 * closing, opens the gate.
 */
export const TTY_GATE = 'IFS= read -r s <&3 || :; exec 3<&-; if [ -n "$s" ]; then stty $s 2>/dev/null || :; fi; exec "$@"';

/** The gate runs on the host, in the terminal, before runc: the container may have no shell. */
export function gatedArgv(argv: string[]): string[] {
  return [...shellArgv(), '-c', TTY_GATE, 'skiff-tty', ...argv];
}

/** How long the command waits for a first terminal size before it runs in whatever size the terminal has. */
const FIRST_SIZE_WAIT_MS = 2000;

/**
 * The exit code a shell, runc and containerd report: 128 + the signal's number for a process a
 * signal ended (SIGSEGV 139, SIGABRT 134, whether or not it dumped core), else its own code.
 */
export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (constants.signals[signal] ?? 0) : 0);
}

function readText(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** How long an exec whose client went away waits for runc to say which process to end. */
const KILL_WAIT_MS = 5000;

/** runc's exit code when it could not start the command (what `runc exec failed: …` ends with). */
const RUNC_FAILED = 255;

/**
 * `logFile` gets runc's own messages. When runc could not start the command (it does not exist,
 * or is not executable), runc says why on the command's stderr and the exit code is 126, as
 * `docker exec` reports it, rather than runc's 255.
 */
export function execInContainer(o: { runcRoot: string; id: string; logFile: string; argv: string[]; tty: boolean; stdin: boolean }): ExecProcess {
  const pidFile = o.logFile.replace(/\.log$/, '') + '.pid';
  const runc = execArgv({ runcRoot: o.runcRoot, id: o.id, logFile: o.logFile, pidFile, env: o.tty ? { TERM: 'xterm' } : {}, tty: o.tty, argv: o.argv });
  const argv = o.tty ? ttyArgv(gatedArgv(runc)) : runc;
  const child = spawn(argv[0], argv.slice(1), {
    stdio: [o.stdin ? 'pipe' : 'ignore', 'pipe', o.tty ? 'ignore' : 'pipe', o.tty ? 'pipe' : 'ignore'],
    env: { PATH: SHIM_PATH },
  });
  // fd 3 of the tty gate; null once the gate is open.
  let gate = o.tty ? (child.stdio[3] as Writable | null) : null;
  gate?.on('error', () => undefined);
  const gateTimer = gate ? setTimeout(() => openGate(), FIRST_SIZE_WAIT_MS).unref() : undefined;
  function openGate(size?: string): void {
    if (!gate) return;
    const g = gate;
    gate = null;
    clearTimeout(gateTimer);
    g.end(size);
  }
  const exit = new Promise<number>((resolve) => {
    child.once('error', () => {
      openGate();
      resolve(126);
    });
    child.once('close', (code, signal) => {
      openGate();
      let log = '';
      try {
        log = readFileSync(o.logFile, 'utf8');
      } catch {
        // runc logged nothing.
      }
      rmSync(o.logFile, { force: true });
      rmSync(pidFile, { force: true });
      const failed = code === RUNC_FAILED ? runcError(log) : undefined;
      resolve(failed ? 126 : exitCodeOf(code, signal));
    });
  });
  // The kubelet destroys stdout when the client is gone (before the output ended): end the
  // command then, as containerd does with an exec whose stream closed. The command is runc's
  // child inside the container, which would outlive runc: it is killed by the pid runc writes
  // once it started it (waited for, since the client may go first); runc then ends with it.
  const running = () => child.exitCode === null && child.signalCode === null;
  child.stdout!.once('close', () => {
    if (child.stdout!.readableEnded || !running()) return;
    const deadline = Date.now() + KILL_WAIT_MS;
    const kill = () => {
      const pid = Number(readText(pidFile));
      if (pid > 0) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // Gone meanwhile.
        }
      } else if (running() && Date.now() < deadline) {
        setTimeout(kill, 10);
        return;
      }
      setTimeout(() => {
        if (running()) child.kill('SIGKILL');
      }, pid > 0 ? 1000 : 0).unref();
    };
    kill();
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
      if (gate) return openGate(`cols ${Math.floor(cols)} rows ${Math.floor(rows)}\n`);
      pending = [cols, rows];
      void applySize();
    },
    exit,
  };
}

/**
 * A stream to 127.0.0.1:port in the pod's network namespace. Node cannot enter a namespace, so a
 * busybox nc started there carries the bytes over its stdio (about 1 MiB, only while connected).
 * A refused connection ends nc with an error before any data, which destroys the stream with a
 * message like containerd's. Once nc has exited, bytes still written to the stream are dropped:
 * the connection is over and its end is what the reader sees.
 */
export async function portForwardProcess(o: { procsFiles: string[]; netnsPath: string; port: number }): Promise<Duplex> {
  const argv = portForwardArgv(o);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'], env: { PATH: SHIM_PATH } });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const gone = () => child.exitCode !== null || child.signalCode !== null || child.stdin.destroyed;
  const stream = new Duplex({
    write(chunk: Buffer, _enc, cb) {
      if (gone()) return cb();
      child.stdin.write(chunk, () => cb());
    },
    final(cb) {
      if (gone()) return cb();
      child.stdin.end(() => cb());
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
    if (code !== 0 && code !== null) stream.destroy(new Error(connectError(o.netnsPath, o.port, stderr, code)));
    else stream.push(null);
  });
  await new Promise<void>((resolve, reject) => {
    child.once('spawn', resolve);
    child.once('error', reject);
  });
  return stream;
}

/** nc's complaint in the words containerd uses for a failed port-forward dial. */
export function connectError(netnsPath: string, port: number, ncStderr: string, code: number): string {
  const m = /can't connect to remote host \([^)]*\): (.*)/.exec(ncStderr);
  if (m) return `failed to connect to localhost:${port} inside namespace "${netnsPath}", IPv4: dial tcp4 127.0.0.1:${port}: connect: ${m[1].trim().toLowerCase()}`;
  return `port-forward to port ${port} in namespace "${netnsPath}": ${ncStderr.trim() || `nc exited with ${code}`}`;
}
