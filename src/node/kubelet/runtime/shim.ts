// The processes that make a container, as argv. A container is started detached from the agent:
//
//   shim (dash, own session)            records the container's pid and, after it ended, its exit
//   ├─ logstamp (fd 3/4 ← FIFOs)         stamps stdout/stderr lines into the CRI log file
//   └─ setsid nsenter --net=<pod netns>  joins the pod's network namespace,
//        unshare --mount --uts           gets its own mount and UTS namespace,
//          dash -c INIT                  joins the pod cgroup, builds the overlay root, pivots
//            env -i <env> <argv>         into it and becomes the container's process.
//
// setsid, nsenter, unshare, dash and env all exec in place, so the pid the shim forked is the
// container's pid and the leader of its own process group (what stopContainer signals). Nothing
// in this chain needs the agent: it may die and a new one reads the pid and exit files.
import { existsSync } from 'node:fs';

/** PATH for the shim and the container setup (the container's own PATH comes from its env). */
export const SHIM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/** The smallest POSIX shell at hand: dash's resident set is below busybox sh's. */
export function shellArgv(): string[] {
  for (const sh of ['/usr/bin/dash', '/bin/dash']) if (existsSync(sh)) return [sh];
  return ['/usr/bin/busybox', 'sh'];
}

/**
 * $1 attempt dir, $2 log file, $3 stamper, $4 the pod's oom_kill counter file, $5 the pod's
 * cgroup.procs files joined by ':', then the launch argv. The shim moves the container into the pod
 * cgroup before it publishes the pid (the container joins again itself before its command runs, so
 * everything the command forks is inside), so whoever sees the pid finds the process in the cgroup.
 * The exit file is written in one write, ending in a newline that marks it complete:
 * "<code> <finishedAt> <oom kills before> <oom kills after>". The shim kills what is left of the
 * container's process group when its main process ends (as a pid namespace would) and waits for
 * the stamper to drain the pipes, so the log is complete once the exit is recorded.
 *
 * A shell starts an asynchronous command with SIGINT and SIGQUIT ignored (POSIX, without job
 * control), and the container would inherit that and outlive either signal; under containerd it
 * starts with every signal at its default, so env (coreutils 8.31+, where it has the option) puts
 * them back. dash's \`wait\` gives 128 + N for a process signal N ended, as containerd reports.
 */
export const SHIM_SCRIPT = `d=$1 log=$2 stamp=$3 oom=$4 procs=$5
shift 5
oomkills() { n=0; if [ -r "$oom" ]; then while read -r k v; do if [ "$k" = oom_kill ]; then n=$v; fi; done <"$oom"; fi; }
oomkills; before=$n
rm -f "$d/stdout.pipe" "$d/stderr.pipe"
mkfifo "$d/stdout.pipe" "$d/stderr.pipe" || exit 1
exec 5<>"$d/stdout.pipe" 6<>"$d/stderr.pipe"
"$stamp" 3<"$d/stdout.pipe" 4<"$d/stderr.pipe" 5>&- 6>&- >>"$log" &
s=$!
dflt=
if env --default-signal=INT,QUIT true 2>/dev/null; then dflt='env --default-signal=INT,QUIT'; fi
$dflt "$@" </dev/null >"$d/stdout.pipe" 2>"$d/stderr.pipe" 5>&- 6>&- &
c=$!
IFS=:
for f in $procs; do echo "$c" >"$f" 2>/dev/null || :; done
unset IFS
echo "$c" >"$d/pid"
wait "$c"
code=$?
kill -9 -"$c" 2>/dev/null
exec 5>&- 6>&-
wait "$s"
i=0
while [ "$i" -lt 100 ]; do
  kids=
  read -r kids <"/proc/$$/task/$$/children" 2>/dev/null || :
  if [ -z "$kids" ]; then break; fi
  kill -9 $kids 2>/dev/null
  sleep 0.01
  i=$((i + 1))
done
oomkills
t=$(date -u +%Y-%m-%dT%H:%M:%S.%NZ)
rm -f "$d/stdout.pipe" "$d/stderr.pipe"
echo "$code $t $before $n" >"$d/exit"
`;

/**
 * Runs as the container's process, in its fresh mount and UTS namespaces. Arguments:
 * $1 cgroup.procs files joined by ':', $2 hostname, $3 attempt dir, $4 pod dir, $5 working dir
 * (may be empty), then a count and that many (hostPath, containerPath, ro|rw) volume triples, then
 * a count and that many host mount points to show read-only, then env assignments and the argv.
 *
 * The root is an overlay with the host's / as its read-only lower layer and the attempt dir as
 * upper layer: the container sees the host's binaries, and every write, including the mount
 * points made for volumes, stays in the overlay. Mounts are made after pivot_root so that paths
 * (and symlinks in them) resolve inside the container's root, never on the host.
 */
export const INIT_SCRIPT = `set -e
IFS=:
for f in $1; do echo $$ >"$f"; done
unset IFS
hostname "$2"
d=$3 p=$4 wd=$5
shift 5
r=$d/rootfs
if ! mount -t overlay skiff-root -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$r" 2>/dev/null; then
  mkdir -p "$d/scratch"
  mount -t tmpfs -o mode=0755 skiff-scratch "$d/scratch"
  mkdir -p "$d/scratch/upper" "$d/scratch/work"
  mount -t overlay skiff-root -o "lowerdir=/,upperdir=$d/scratch/upper,workdir=$d/scratch/work" "$r"
fi
cd "$r"
mkdir -p .skiff-old
pivot_root . .skiff-old
cd /
o=/.skiff-old
mount -t proc proc /proc
mount --rbind "$o/dev" /dev
mount -t tmpfs -o nosuid,nodev,mode=1777 shm /dev/shm
mount -t sysfs -o ro sysfs /sys 2>/dev/null || mount --rbind "$o/sys" /sys
for f in hosts resolv.conf hostname; do rm -f "/etc/$f"; : >"/etc/$f"; mount --bind "$o$p/$f" "/etc/$f"; done
n=$1
shift
while [ "$n" -gt 0 ]; do
  h=$1 c=$2 m=$3
  shift 3
  n=$((n - 1))
  if [ -d "$o$h" ]; then mkdir -p "$c"; else mkdir -p "\${c%/*}/"; if [ ! -e "$c" ]; then : >"$c"; fi; fi
  mount --bind "$o$h" "$c"
  if [ "$m" = ro ]; then mount -o remount,bind,ro "$c"; fi
done
n=$1
shift
while [ "$n" -gt 0 ]; do
  h=$1
  shift
  n=$((n - 1))
  mkdir -p "$h"
  mount --rbind "$o$h" "$h"
  mount -o remount,bind,ro "$h"
done
umount -l "$o"
rmdir "$o"
if [ -n "$wd" ]; then mkdir -p "$wd"; cd "$wd"; fi
exec env -i "$@"
`;

/** $1 cgroup.procs files joined by ':', $2 the container's pid, then the argv to run in its namespaces and root. */
export const EXEC_SCRIPT = `IFS=:
for f in $1; do echo $$ >"$f"; done
unset IFS
p=$2
shift 2
exec nsenter -t "$p" -m -u -n -r -w -- "$@"
`;

/** $1 cgroup.procs files joined by ':', $2 pod netns path, $3 port. */
export const PORT_FORWARD_SCRIPT = `IFS=:
for f in $1; do echo $$ >"$f"; done
unset IFS
exec nsenter --net="$2" -- busybox nc 127.0.0.1 "$3"
`;

export interface LaunchSpec {
  netnsPath: string;
  procsFiles: string[];
  hostname: string;
  attemptDir: string;
  podDir: string;
  workingDir?: string;
  mounts: Array<{ hostPath: string; containerPath: string; readOnly?: boolean }>;
  /** Host mount points (other than /) the container must see read-only, e.g. where its binary lives. */
  hostMounts: string[];
  env: Record<string, string>;
  argv: string[];
}

/** Argv the shim forks: from the pod's netns to the container's process. */
export function launchArgv(s: LaunchSpec, shell: string[] = shellArgv()): string[] {
  for (const p of s.procsFiles) if (p.includes(':')) throw new Error(`cgroup path ${p} contains ':'`);
  const volumes = s.mounts.flatMap((m) => [m.hostPath, m.containerPath, m.readOnly ? 'ro' : 'rw']);
  const env = Object.entries(s.env).map(([k, v]) => `${k}=${v}`);
  return [
    'setsid', 'nsenter', `--net=${s.netnsPath}`, '--',
    'unshare', '--mount', '--uts', '--propagation', 'private', '--',
    ...shell, '-c', INIT_SCRIPT, 'skiff-init',
    s.procsFiles.join(':'), s.hostname, s.attemptDir, s.podDir, s.workingDir ?? '',
    String(s.mounts.length), ...volumes,
    String(s.hostMounts.length), ...s.hostMounts,
    ...env, ...s.argv,
  ];
}

export function shimArgv(
  o: { attemptDir: string; logPath: string; stamper: string; subreaper?: string[]; oomFile: string; procsFiles: string[]; launch: string[] },
  shell: string[] = shellArgv(),
): string[] {
  return [...(o.subreaper ?? []), ...shell, '-c', SHIM_SCRIPT, 'skiff-shim', o.attemptDir, o.logPath, o.stamper, o.oomFile, o.procsFiles.join(':'), ...o.launch];
}

export function execArgv(o: { procsFiles: string[]; pid: number; env: Record<string, string>; argv: string[] }, shell: string[] = shellArgv()): string[] {
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  return [...shell, '-c', EXEC_SCRIPT, 'skiff-exec', o.procsFiles.join(':'), String(o.pid), 'env', '-i', ...env, ...o.argv];
}

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
