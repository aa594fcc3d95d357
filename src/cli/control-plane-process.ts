// The control-plane process of a cluster: how it is launched, how we recognise it again from
// its pid (a recorded pid may since belong to anything else), and how it is stopped.
import { readFileSync, readdirSync, writeFileSync, unlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ClusterPaths } from '../cluster/home.js';

/** argv[0] of the control plane, so `ps` and cleanup scripts see it as skiff's. */
export const SERVE_ARGV0 = 'skiff';

/** The compiled CLI entry point, which the control plane runs with the hidden `serve` command. */
export function cliEntryPoint(): string {
  return fileURLToPath(new URL('./main.js', import.meta.url));
}

const CONTROLLER_MANAGER_ARG = '--kube-controller-manager-arg=';

/**
 * One V8 helper thread instead of Node's four, as the add-ons have (catalog.ts NODE_FLAGS). Every
 * helper thread allocates from a malloc arena of its own, and TurboFan's compile zones leave their
 * high-water mark in it: in a 100-pod cluster the code that 100 HPAs
 * made hot left 4.6 MB more in four arenas, 0.7-1.0 MB in one, and the idle control plane held
 * 4.7 MB less (/proc/<pid>/smaps after a full GC; bench/metrics.bench.ts). The control plane's
 * work is its main thread's: one helper still marks and compiles concurrently.
 */
export const CONTROL_PLANE_NODE_FLAGS = ['--v8-pool-size=1'];

/**
 * Arguments after the node binary, its flags first; `--home` makes the command line name exactly one cluster. The
 * controller manager's flags follow, one `--kube-controller-manager-arg=--name=value` each (one
 * word, as a value that starts with dashes must be), so that `ps` shows them.
 */
export function serveArgs(home: string, name: string, controllerManagerArgs: readonly string[] = [], entry: string = cliEntryPoint()): string[] {
  return [...CONTROL_PLANE_NODE_FLAGS, entry, 'serve', '--name', name, '--home', home, ...controllerManagerArgs.map((a) => CONTROLLER_MANAGER_ARG + a)];
}

/** The controller-manager flags of a serve command line (serveArgs' tail); undefined when it has another tail. */
function controllerManagerArgsOf(tail: readonly string[]): string[] | undefined {
  if (!tail.every((a) => a.startsWith(CONTROLLER_MANAGER_ARG))) return undefined;
  return tail.map((a) => a.slice(CONTROLLER_MANAGER_ARG.length));
}

function readCmdline(pid: number): string[] | undefined {
  let raw: string;
  try {
    raw = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return undefined;
  }
  // A zombie (or a kernel thread) has an empty command line: nothing left to stop.
  if (raw.length === 0) return undefined;
  return raw.replace(/\0$/, '').split('\0');
}

/**
 * The controller-manager flags of `… <…/cli/main.js> serve --name <name> --home <home> [--kube-controller-manager-arg F]…`,
 * or undefined when argv is not that cluster's control plane.
 */
export function serveCommandLineArgs(argv: readonly string[], home: string, name: string): string[] | undefined {
  if (serveHomeOf(argv, name) !== home) return undefined;
  return controllerManagerArgsOf(argv.slice(argv.indexOf('serve') + 5));
}

/** The home of `… <…/cli/main.js> serve --name <name> --home <home> …`, or undefined when argv is no control plane of a cluster so named. */
function serveHomeOf(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf('serve');
  if (i < 1 || !/[/\\]cli[/\\]main\.js$/.test(argv[i - 1]!)) return undefined;
  const rest = argv.slice(i + 1);
  return rest[0] === '--name' && rest[1] === name && rest[2] === '--home' ? rest[3] : undefined;
}

/**
 * The homes other than `home` from which a control plane of a cluster named `name` runs. A name
 * is machine-wide (network namespaces skiff.<name>.*, cgroup skiff.<name>), so a second cluster
 * of that name would take over the first one's network.
 */
export function otherHomesServing(home: string, name: string): string[] {
  const homes = new Set<string>();
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry) || Number(entry) === process.pid) continue;
    const argv = readCmdline(Number(entry));
    const h = argv && serveHomeOf(argv, name);
    if (h !== undefined && h !== home) homes.add(h);
  }
  return [...homes];
}

export function isServeCommandLine(argv: readonly string[], home: string, name: string): boolean {
  return serveCommandLineArgs(argv, home, name) !== undefined;
}

/** The controller-manager flags a running control plane was started with. */
export function runningControllerManagerArgs(pid: number, home: string, name: string): string[] | undefined {
  const argv = readCmdline(pid);
  return argv && serveCommandLineArgs(argv, home, name);
}

/** Whether `pid` is alive and is the control plane of cluster `name` in `home`. */
export function isServeProcess(pid: number, home: string, name: string): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const argv = readCmdline(pid);
  return argv !== undefined && isServeCommandLine(argv, home, name);
}

/** Every live control plane of this cluster, found by command line (for a lost or stale pid file). */
export function findServeProcesses(home: string, name: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^[0-9]+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid !== process.pid && isServeProcess(pid, home, name)) found.push(pid);
  }
  return found;
}

export function readPidFile(paths: ClusterPaths): number | undefined {
  try {
    const n = Number(readFileSync(paths.pid, 'utf8').trim());
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

export function writePidFile(paths: ClusterPaths, pid: number): void {
  writeFileSync(paths.pid, `${pid}\n`);
}

export function removePidFile(paths: ClusterPaths, onlyIf?: number): void {
  if (onlyIf !== undefined && readPidFile(paths) !== onlyIf) return;
  try {
    unlinkSync(paths.pid);
  } catch {
    // Already gone.
  }
}

/** The pid of the running control plane of this cluster, or undefined when it is not running. */
export function runningControlPlane(paths: ClusterPaths, name: string): number | undefined {
  const recorded = readPidFile(paths);
  if (recorded !== undefined && isServeProcess(recorded, paths.home, name)) return recorded;
  return findServeProcesses(paths.home, name)[0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function gone(pid: number, home: string, name: string): boolean {
  return !isServeProcess(pid, home, name);
}

/**
 * SIGTERM, then SIGKILL if the process is still there after `graceMs`. Signals go only to a pid
 * whose command line is this cluster's control plane, checked right before each signal.
 */
export async function stopServeProcess(pid: number, home: string, name: string, graceMs = 10_000): Promise<'stopped' | 'killed' | 'not-running'> {
  if (gone(pid, home, name)) return 'not-running';
  process.kill(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (gone(pid, home, name)) return 'stopped';
    await sleep(20);
  }
  if (gone(pid, home, name)) return 'stopped';
  process.kill(pid, 'SIGKILL');
  while (!gone(pid, home, name)) await sleep(20);
  return 'killed';
}

/** Seconds since the process started, from /proc (clock ticks since boot). */
export function processUptimeSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime); fields are counted after the parenthesised command name.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const startTicks = Number(fields[19]);
    const bootUptime = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    const CLOCK_TICKS_PER_SECOND = 100; // USER_HZ is 100 on every Linux architecture Node runs on
    return Math.max(0, Math.floor(bootUptime - startTicks / CLOCK_TICKS_PER_SECOND));
  } catch {
    return undefined;
  }
}
