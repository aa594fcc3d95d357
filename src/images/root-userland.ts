// The busybox userland of an assembled root: every applet the host's busybox has, at the place
// busybox installs it, played by the same host program that plays it for containers today
// (busybox.ts appletArgv: the static busybox, the PATH-searching busybox for the shells, our nc).
import { BUSYBOX, appletArgv, busyboxApplets } from './busybox.js';
import { askProgram } from './host-programs.js';

export interface Applet {
  name: string;
  /** busybox --list-full's place for it, without the leading slash: `bin/sh`, `usr/bin/wget`. */
  installedAt: string;
  /** The host argv that plays it, without arguments: `[busybox, 'wget']` or `[node, …, nc.js]`. */
  argv: string[];
}

/** Where busybox installs each applet (`busybox --list-full`). */
function installPaths(): Map<string, string> {
  // No busybox on this host: no userland (busybox.ts reports it when a container starts).
  const r = askProgram(BUSYBOX, ['--list-full'], []);
  const out = r.status === 0 ? r.stdout : '';
  const paths = new Map<string, string>();
  for (const line of out.split('\n').map((l) => l.trim())) {
    const name = line.slice(line.lastIndexOf('/') + 1);
    if (name !== '') paths.set(name, line);
  }
  return paths;
}

let applets: Applet[] | undefined;

/** The applets, read once per process; `busybox` itself is the mounted binary, not an applet. */
export function userlandApplets(): Applet[] {
  if (!applets) {
    const paths = installPaths();
    const names = new Set([...busyboxApplets(), 'nc']);
    names.delete('busybox');
    applets = [...names].sort().map((name) => ({ name, installedAt: paths.get(name) ?? `usr/bin/${name}`, argv: appletArgv(name, []) }));
  }
  return applets;
}

/** Whether the applet is a multi-call binary run under the applet's name (a link to it will do). */
export function playedByLink(a: Applet): boolean {
  return a.argv.length === 2 && a.argv[1] === a.name;
}
