// The processes that make a container, as argv. A container is started detached from the agent,
// as containerd's shim starts it, by the runtime's helper (helper.ts), one static program whose
// parts are forks of the shim rather than programs run anew:
//
//   shim (helper skiff-shim, own session)    records the container's pid and, after it ended,
//   │                                        its exit; then deletes it
//   ├─ stamper (fd 3/4 ← pipes)               stamps stdout/stderr lines into the CRI log file
//   └─ supervisor                             mounts the container's root in a mount namespace of
//        │                                    its own; child subreaper: runs `runc run -d` (or
//        │                                    `runc create`, then runc start's step, the read of
//        │                                    the exec fifo, once the pod's network is attached:
//        │                                    <bundle>/hold gone) and
//        runc run -d --bundle <attempt dir>   waits for the container runc leaves behind as its
//          <the container's process>          child (own mount, PID namespaces; the pod's network,
//                                             IPC and UTS namespaces; cgroup, seccomp, capabilities)
//
// Nothing in this chain needs the agent: it may die and a new one reads the pid and exit files.
import { existsSync } from 'node:fs';

/** PATH for the shim and the processes the agent runs on the host (the container's own PATH comes from its env). */
export const SHIM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The smallest POSIX shell at hand: dash's resident set is below busybox sh's. */
export function shellArgv(): string[] {
  for (const sh of ['/usr/bin/dash', '/bin/dash']) if (existsSync(sh)) return [sh];
  return ['/usr/bin/busybox', 'sh'];
}

/**
 * The shim's work, for the bundle (the attempt dir, with rootfs/, upper/ and work/ made): the
 * container's root is mounted, and runc run, in a mount namespace of their own: the root never
 * shows in the host's mount table, so the table runc reads for every container does not grow
 * with the pods, and it goes when the container and that namespace end. The root is an overlay
 * of the image root with the attempt's upper layer (on a tmpfs where the attempt dir's filesystem
 * cannot hold an upper layer, e.g. itself an overlay). runc's pid file is read by the supervisor,
 * which publishes the pid (<bundle>/pid, with a newline) only once runc has started the
 * container: a missing pid file next to an exit file means runc (or the root's mount) failed, and
 * <bundle>/runc.log says why.
 *
 * The exit file appears whole (renamed into place), ending in a newline:
 * "<code> <finishedAt> <oom kills before> <oom kills after>". The counter is read before
 * `runc delete` removes the container's cgroup; delete also ends what is left of a container that
 * shares the pod's PID namespace (its own PID namespace ended with its init). The shim waits for
 * the stamper to drain the pipes, so the log is complete once the exit is recorded. The argv
 * names the bundle (how the runtime tells its shim from a reused pid) and the image's layers (how
 * the image store tells they are in use).
 */
export interface ShimSpec {
  attemptDir: string;
  logPath: string;
  helper: string;
  oomFile: string;
  lowerDir: string;
  runcRoot: string;
  id: string;
}

export function shimArgv(o: ShimSpec): string[] {
  return [o.helper, 'skiff-shim', o.attemptDir, o.logPath, o.oomFile, o.lowerDir, o.runcRoot, o.id];
}

/**
 * `runc exec` of a command in a running container: the container's user, environment,
 * capabilities, seccomp filter, cgroup and namespaces, as containerd's exec. Its own error (a
 * command that does not exist) goes to the log file, the command's pid to the pid file. With
 * `tty`, runc gives the command a terminal of the container's and keeps its size that of runc's
 * own stdin terminal.
 */
export function execArgv(o: { runcRoot: string; id: string; logFile: string; pidFile?: string; env: Record<string, string>; tty?: boolean; argv: string[] }): string[] {
  const env = Object.entries(o.env).flatMap(([k, v]) => ['--env', `${k}=${v}`]);
  const pid = o.pidFile ? ['--pid-file', o.pidFile] : [];
  return ['runc', '--root', o.runcRoot, '--log', o.logFile, '--log-format', 'json', 'exec', ...(o.tty ? ['--tty'] : []), ...pid, ...env, o.id, ...o.argv];
}

/** $1 cgroup.procs files joined by ':', $2 pod netns path, $3 port. */
export const PORT_FORWARD_SCRIPT = `IFS=:
for f in $1; do echo $$ >"$f"; done
unset IFS
exec nsenter --net="$2" -- busybox nc 127.0.0.1 "$3"
`;

export function portForwardArgv(o: { procsFiles: string[]; netnsPath: string; port: number }, shell: string[] = shellArgv()): string[] {
  return [...shell, '-c', PORT_FORWARD_SCRIPT, 'skiff-portforward', o.procsFiles.join(':'), o.netnsPath, String(o.port)];
}

/** Quotes argv for `sh -c` (what `script -c` runs), one single-quoted word per argument. */
export function shellQuote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/** Parses the exit file; undefined while the shim has not finished writing it. */
export function parseExitFile(text: string): { exitCode: number; finishedAt: string; oomKilled: boolean } | undefined {
  if (!text.endsWith('\n')) return undefined;
  const [code, finishedAt, before, after] = text.trim().split(' ');
  if (!/^\d+$/.test(code ?? '') || !finishedAt) return undefined;
  return { exitCode: Number(code), finishedAt, oomKilled: Number(after) > Number(before) };
}

/**
 * The last error runc logged (`--log-format json`), without runc's "runc run failed: " prefix;
 * undefined when it logged none.
 */
export function runcError(logText: string): string | undefined {
  let msg: string | undefined;
  for (const line of logText.split('\n')) {
    if (!line.trim()) continue;
    try {
      const e = JSON.parse(line) as { level?: string; msg?: string };
      if (e.level === 'error' && typeof e.msg === 'string') msg = e.msg;
    } catch {
      // A line from the shim (mounting the root) is an error in its own words.
      msg = line.trim();
    }
  }
  return msg?.replace(/^runc (run|create|exec) failed: /, '');
}
