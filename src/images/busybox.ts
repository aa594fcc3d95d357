// Busybox stands in for the userland of busybox- and Alpine-based images: its applets answer to
// `sh`, `sleep`, `wget`, `nslookup`, `ping`, `httpd`, … in containers, except `nc`, which is our
// own (./applets/nc.ts): no Debian busybox has the full netcat of the busybox image.
//
// Which busybox: Debian trixie's static 1.37 where scripts/install-deps.sh installed it, since
// Debian 12's 1.35 is built without wget's timeouts (`wget -T 2` crashes). That static build is
// a "standalone shell" that prefers its own applets: its sh, env, timeout, xargs, … run their
// built-in nc without looking at PATH. The busybox image's build searches PATH, so the applets
// that run other programs by name come from a busybox that does (Debian 12's), and so reach our
// nc through the applet directory like every other command.
import { accessSync, constants } from 'node:fs';
import { fileURLToPath } from 'node:url';
// catalog.ts imports this module too; NODE_FLAGS is only read when an argv is built.
import { NODE_FLAGS } from './catalog.js';
import { askProgram } from './host-programs.js';

/** Where scripts/install-deps.sh installs busybox 1.37: off PATH, so the host's stays Debian's. */
export const INSTALLED_BUSYBOX = '/usr/local/lib/skiff/busybox';
const DEBIAN_BUSYBOX = '/usr/bin/busybox';

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The busybox whose applets containers run. */
export const BUSYBOX = isExecutable(INSTALLED_BUSYBOX) ? INSTALLED_BUSYBOX : DEBIAN_BUSYBOX;

/** Applets that run a program named on their command line (the shells: every command). */
const RUNS_PROGRAMS = new Set([
  'sh', 'ash', 'hush', 'env', 'timeout', 'time', 'xargs', 'find', 'nice', 'nohup', 'chroot', 'setsid',
  'flock', 'ionice', 'taskset', 'chrt', 'setarch', 'linux32', 'linux64', 'setpriv', 'run-parts', 'chpst',
  'envdir', 'envuidgid', 'setuidgid', 'softlimit', 'runsvdir', 'inetd', 'tcpsvd', 'udpsvd', 'cttyhack', 'inotifyd',
]);

function listApplets(busybox: string): Set<string> {
  // No busybox on this host: no applets, and busybox-based images fail when they start.
  const r = askProgram(busybox, ['--list'], []);
  const out = r.status === 0 ? r.stdout : '';
  return new Set(out.split('\n').map((l) => l.trim()).filter((l) => l !== '' && !l.includes('/')));
}

let applets: Set<string> | undefined;

/** The applets compiled into BUSYBOX (`busybox --list`), read once per process. */
export function busyboxApplets(): Set<string> {
  applets ??= listApplets(BUSYBOX);
  return applets;
}

/** Whether this busybox's shell and env find commands on PATH rather than among its applets. */
function searchesPath(busybox: string): boolean {
  const env = { PATH: '/nonexistent' };
  const sh = askProgram(busybox, ['sh', '-c', 'cat </dev/null'], [], env);
  const envApplet = askProgram(busybox, ['env', 'true'], [], env);
  return !sh.error && !envApplet.error && sh.status !== 0 && envApplet.status !== 0;
}

let searching: { busybox: string; applets: Set<string> } | undefined;

/** The busybox that plays the RUNS_PROGRAMS applets, and which of them it has; probed once. */
function pathSearching(): { busybox: string; applets: Set<string> } {
  if (!searching) {
    const busybox = [BUSYBOX, DEBIAN_BUSYBOX].find((b) => isExecutable(b) && searchesPath(b)) ?? BUSYBOX;
    searching = { busybox, applets: busybox === BUSYBOX ? busyboxApplets() : listApplets(busybox) };
  }
  return searching;
}

/** The host busybox binary that plays `applet`. */
function busyboxFor(applet: string): string {
  const p = pathSearching();
  return RUNS_PROGRAMS.has(applet) && p.applets.has(applet) ? p.busybox : BUSYBOX;
}

/** Our nc, compiled next to this module. */
export function ncArgv(): string[] {
  return [process.execPath, ...NODE_FLAGS, fileURLToPath(new URL('./applets/nc.js', import.meta.url))];
}

/**
 * The host argv that runs `applet` with `args` as the busybox image would: our nc for `nc`,
 * the PATH-searching busybox for shells and the like, BUSYBOX for the rest; `busybox APPLET`
 * is the applet itself.
 */
export function appletArgv(applet: string, args: string[]): string[] {
  if (applet === 'busybox') {
    const [next, ...rest] = args;
    if (next !== undefined && appletFor(next) === next) return appletArgv(next, rest);
    return [BUSYBOX, ...args];
  }
  if (applet === 'nc') return [...ncArgv(), ...args];
  return [busyboxFor(applet), applet, ...args];
}

/** Whether a container path names a busybox applet in an image whose userland is busybox. */
export function appletFor(file: string): string | undefined {
  const m = /^(?:\/usr)?\/s?bin\/([^/]+)$/.exec(file);
  const name = m ? m[1] : file.includes('/') ? undefined : file;
  if (name === undefined) return undefined;
  return name === 'busybox' || name === 'nc' || busyboxApplets().has(name) ? name : undefined;
}
