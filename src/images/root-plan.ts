// What an assembled root contains, as a list of entries computed before anything is written:
// the base's skeleton, the image's /etc files and directories, the busybox applets, and empty
// mountpoints for the image's mounts. A plan is data, so it can be hashed (the root's name) and
// tested without touching the disk.
import { posix } from 'node:path';
import { imageEtc } from './etc-files.js';
import { BASE_LAYOUTS, type DirSpec, type LinkSpec } from './root-layouts.js';
import { HOST_PROGRAM_ROOT, builtinRoot, catalogBinaries, helperPath, hostSystemLinks, imageMounts, isDirectoryMount, toContainerPaths, type RootOptions } from './root-mounts.js';
import { playedByLink, userlandApplets, type Applet } from './root-userland.js';

export type RootEntry =
  | { type: 'dir'; path: string; mode: number; uid: number; gid: number }
  | { type: 'file'; path: string; mode: number; uid: number; gid: number; content: string }
  | { type: 'link'; path: string; target: string };

function shellQuote(argv: string[]): string {
  return argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
}

/**
 * Entries by container path. Paths are resolved through the links planned so far, so that an
 * applet installed at bin/sh lands in usr/bin on a merged-/usr base and writing the tree never
 * follows a symlink.
 */
class Plan {
  readonly entries = new Map<string, RootEntry>();

  resolve(path: string): string {
    const parts = posix.normalize(path).split('/').filter((p) => p !== '');
    let at = '';
    for (let i = 0; i < parts.length; i++) {
      const next = `${at}/${parts[i]}`;
      const e = this.entries.get(next);
      if (e?.type === 'link' && i < parts.length - 1) {
        at = posix.normalize(e.target.startsWith('/') ? e.target : posix.join(at || '/', e.target)).replace(/\/$/, '');
      } else {
        at = next;
      }
    }
    return at || '/';
  }

  private parents(path: string): void {
    const parent = posix.dirname(path);
    if (parent === '/' || this.entries.has(parent)) return;
    this.parents(parent);
    this.entries.set(parent, { type: 'dir', path: parent, mode: 0o755, uid: 0, gid: 0 });
  }

  set(entry: RootEntry): void {
    const path = this.resolve(entry.path);
    const old = this.entries.get(path);
    if (old && (old.type === 'dir') !== (entry.type === 'dir')) {
      throw new Error(`root plan: ${path} is planned as a ${old.type} and as a ${entry.type}`);
    }
    this.parents(path);
    this.entries.set(path, { ...entry, path });
  }

  dir(d: DirSpec): void {
    this.set({ type: 'dir', path: d.path, mode: d.mode, uid: d.uid ?? 0, gid: d.gid ?? 0 });
  }

  link(l: LinkSpec): void {
    this.set({ type: 'link', path: l.path, target: l.target });
  }

  file(path: string, content: string, mode = 0o644): void {
    this.set({ type: 'file', path, mode, uid: 0, gid: 0, content });
  }
}

function appletPath(a: Applet, placement: 'bin' | 'installed'): string | undefined {
  if (placement === 'bin') return `/bin/${a.name}`;
  // `linuxrc` (init for initramfs) has no directory: an image has none at /.
  return a.installedAt.includes('/') ? `/${a.installedAt}` : undefined;
}

/** The entries of the built-in image `key`'s root, sorted so that parents come first. */
export function rootPlan(key: string, opts: RootOptions = {}): RootEntry[] {
  const spec = builtinRoot(key);
  const layout = BASE_LAYOUTS[spec.base];
  const mounts = imageMounts(key, opts);
  const plan = new Plan();
  // Links first: the skeleton's directories resolve through merged-/usr links.
  for (const l of layout.links) if (!l.target.startsWith('/')) plan.link(l);
  for (const d of layout.dirs) plan.dir(d);
  for (const l of layout.links) if (l.target.startsWith('/')) plan.link(l);
  if (key === HOST_PROGRAM_ROOT) for (const l of hostSystemLinks()) plan.link(l);

  if (layout.applets !== 'none') {
    for (const a of userlandApplets()) {
      const path = appletPath(a, layout.applets);
      if (!path) continue;
      if (playedByLink(a)) plan.link({ path, target: helperPath(a.argv[0], key) });
      else plan.file(path, `#!/bin/sh\nexec ${shellQuote(toContainerPaths(a.argv, mounts))} "$@"\n`, 0o755);
    }
  }

  const etc = imageEtc(spec.base, spec.etc);
  plan.file('/etc/passwd', etc.passwd);
  plan.file('/etc/group', etc.group);
  if (etc.nsswitch !== undefined) plan.file('/etc/nsswitch.conf', etc.nsswitch);
  for (const d of spec.dirs ?? []) plan.dir(d);
  for (const l of spec.links ?? []) plan.link(l);

  // The image's own programs that node plays, at their paths in the image, so that a command
  // naming one (`kubectl exec deploy/fortio -- /usr/bin/fortio load …`) finds it. Node runs the
  // file itself (the image may have no shell): it hands the program the catalog's arguments.
  for (const [path, argv] of Object.entries(catalogBinaries(key))) {
    if (!path.startsWith('/') || argv[0] !== process.execPath) continue;
    const [node, ...rest] = toContainerPaths(argv, mounts);
    const script = rest.findIndex((a) => !a.startsWith('-'));
    const extra = JSON.stringify(rest.slice(script + 1));
    plan.file(path, `#!${node}\nprocess.argv.splice(2, 0, ...${extra});\nimport(${JSON.stringify(rest[script])});\n`, 0o755);
  }

  // A read-only root cannot grow mountpoints, so the root carries them.
  for (const m of mounts) {
    if (isDirectoryMount(m)) plan.dir({ path: m.destination, mode: 0o755 });
    else plan.file(m.destination, '', 0o755);
  }
  return [...plan.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
