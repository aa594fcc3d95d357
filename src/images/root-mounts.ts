// The host files a built-in image's container needs on top of its assembled root, as read-only
// bind mounts: the busybox that plays its userland, and for images whose programs are Node
// scripts the node binary, the libraries both load, and the compiled programs. Data for the OCI
// spec builder; nothing here mounts anything.
import { existsSync, lstatSync, readlinkSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSYBOX } from './busybox.js';
import { BUILTIN_IMAGES } from './catalog.js';
import { BUILTIN_ROOTS, HOST_PROGRAM_ROOT, type BuiltinRoot } from './builtin-roots.js';

export { HOST_PROGRAM_ROOT };
import { parseReference } from './reference.js';
import { BASE_LAYOUTS } from './root-layouts.js';
import { playedByLink, userlandApplets } from './root-userland.js';
import { sharedLibraries } from './shared-libs.js';

export interface ImageMount {
  /** Host path. */
  source: string;
  /** Container path. */
  destination: string;
  readonly: boolean;
}

export interface RootOptions {
  /**
   * Where the compiled programs appear in the container (default /opt/skiff/programs). The
   * bundles compare `import.meta.url`, fixed to their host path at build time, with argv[1]
   * (the addons' "am I the main module" test), so a caller may mount them at their host path.
   */
  programsAt?: string;
  /** HOST_PROGRAM_ROOT only: the host files and directories the user's image consists of. */
  hostPaths?: readonly string[];
}

/**
 * Directories of the host a host program's root shows (programs and libraries: no state, keys or
 * sockets) (a merged-/usr link is planned as a link). */
export const HOST_SYSTEM_DIRS = ['/usr', '/lib', '/lib32', '/lib64', '/libx32', '/sbin'];

/** The static busybox: where the busybox image has its only binary. */
export const CONTAINER_BUSYBOX = '/bin/busybox';
/** Where node images (node:*-alpine and the like) have node. */
export const CONTAINER_NODE = '/usr/local/bin/node';
export const CONTAINER_PROGRAMS = '/opt/skiff/programs';
/** Other host programs the userland needs (the PATH-searching busybox), out of the image's own paths. */
export const CONTAINER_HELPERS = '/usr/lib/skiff';
/** The same in a host program's root, whose /usr is the host's. */
const HOST_PROGRAM_HELPERS = '/opt/skiff/bin';

/** The directory holding images/ and addons/ as this process runs them: dist/programs (bundled) or dist/src (tsc). */
export function hostProgramsDir(): string {
  return fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
}

/**
 * node_modules for tsc's output, whose modules import packages by name; the bundles in
 * dist/programs carry every package they use (scripts/bundle-programs.ts keeps only
 * better-sqlite3 and ws's optional addons outside, which no image program loads).
 */
function hostNodeModules(programs: string): string | undefined {
  if (basename(programs) !== 'src') return undefined;
  for (let d = programs; d !== dirname(d); d = dirname(d)) {
    const nm = join(d, 'node_modules');
    if (existsSync(nm)) return nm;
  }
  return undefined;
}

export function builtinRoot(key: string): BuiltinRoot {
  const root = BUILTIN_ROOTS[key];
  if (!root) throw new Error(`${JSON.stringify(key)} is not a built-in image (catalog.ts names[0])`);
  return root;
}

/** The image's own executables in the catalog's config, each with the host argv that plays it. */
export function catalogBinaries(key: string): Record<string, string[]> {
  if (key === HOST_PROGRAM_ROOT) return {};
  const img = BUILTIN_IMAGES.find((i) => i.names[0] === key);
  if (!img) throw new Error(`${JSON.stringify(key)} is not a built-in image (catalog.ts names[0])`);
  // The cluster paths only reach arguments; which programs run does not depend on them.
  return img.config(parseReference(key), { home: '/', clusterDir: '/' }).binaries ?? {};
}

/** Every host argv the catalog's config of the image runs (entrypoint scripts embed theirs). */
function catalogArgvs(key: string): string[][] {
  return Object.values(catalogBinaries(key));
}

function hasUserland(key: string): boolean {
  return BASE_LAYOUTS[builtinRoot(key).base].applets !== 'none';
}

function needsNode(key: string): boolean {
  if (catalogArgvs(key).some((argv) => argv.some((a) => a.includes(process.execPath)))) return true;
  return hasUserland(key) && userlandApplets().some((a) => !playedByLink(a));
}

/** Whether a host path is seen, at its own path, through a host program root's system directories. */
function seenInHostProgramRoot(key: string, path: string): boolean {
  return key === HOST_PROGRAM_ROOT && HOST_SYSTEM_DIRS.some((d) => path.startsWith(`${d}/`));
}

/**
 * Where a host binary that plays applets appears: the static busybox at /bin/busybox, others
 * under /usr/lib/skiff, or where they are in a host program's root, which shows the host's /usr.
 */
export function helperPath(host: string, key = ''): string {
  if (host === BUSYBOX) return CONTAINER_BUSYBOX;
  if (seenInHostProgramRoot(key, host)) return host;
  // At the host's path under the helpers' directory: a multi-call binary run by its path takes
  // its basename (`busybox`) for what to be.
  return posix.join(key === HOST_PROGRAM_ROOT ? HOST_PROGRAM_HELPERS : CONTAINER_HELPERS, host);
}

/** Where node appears: CONTAINER_NODE, or in a host program's root its host path or a place off /usr. */
function nodePath(key: string): string {
  if (key !== HOST_PROGRAM_ROOT) return CONTAINER_NODE;
  return seenInHostProgramRoot(key, process.execPath) ? process.execPath : posix.join(HOST_PROGRAM_HELPERS, 'node');
}

function binaryMounts(key: string, source: string, destination: string): ImageMount[] {
  const binary = seenInHostProgramRoot(key, source) && source === destination ? [] : [{ source, destination, readonly: true }];
  const libs = sharedLibraries(source).filter((l) => !seenInHostProgramRoot(key, l.path));
  return [...binary, ...libs.map((l) => ({ source: l.file, destination: l.path, readonly: true }))];
}

/** The host's system directories that are directories (binds); links are hostSystemLinks'. */
function hostSystemMounts(): ImageMount[] {
  return HOST_SYSTEM_DIRS.filter((d) => {
    try {
      return lstatSync(d).isDirectory();
    } catch {
      return false;
    }
  }).map((d) => ({ source: d, destination: d, readonly: true }));
}

/** The host's system directories that are symlinks (merged /usr), as the root's own links. */
export function hostSystemLinks(): Array<{ path: string; target: string }> {
  return HOST_SYSTEM_DIRS.flatMap((d) => {
    try {
      return lstatSync(d).isSymbolicLink() ? [{ path: d, target: readlinkSync(d) }] : [];
    } catch {
      return [];
    }
  });
}

/** The read-only bind mounts a container of the built-in image `key` needs over its root. */
export function imageMounts(key: string, opts: RootOptions = {}): ImageMount[] {
  const out: ImageMount[] = [];
  if (key === HOST_PROGRAM_ROOT) {
    out.push(...hostSystemMounts());
    for (const p of opts.hostPaths ?? []) {
      // Under a system directory already shown: nothing to add.
      if (HOST_SYSTEM_DIRS.some((d) => p === d || p.startsWith(`${d}/`))) continue;
      out.push({ source: p, destination: p, readonly: true });
    }
  }
  if (hasUserland(key) || catalogArgvs(key).some((argv) => argv[0] === BUSYBOX)) {
    const players = new Set([BUSYBOX, ...userlandApplets().filter(playedByLink).map((a) => a.argv[0])]);
    for (const host of players) out.push(...binaryMounts(key, host, helperPath(host, key)));
  }
  // Other host programs the catalog plays the image's own with (the curl image's curl), where
  // the image has them.
  for (const argv of catalogArgvs(key)) {
    const [program] = argv;
    if (program === process.execPath || program === BUSYBOX || !program.startsWith('/') || !existsSync(program)) continue;
    if (userlandApplets().some((a) => a.argv[0] === program)) continue;
    out.push(...binaryMounts(key, program, program));
  }
  if (needsNode(key)) {
    const programs = hostProgramsDir();
    const programsAt = opts.programsAt ?? CONTAINER_PROGRAMS;
    out.push(...binaryMounts(key, process.execPath, nodePath(key)), { source: programs, destination: programsAt, readonly: true });
    const nodeModules = hostNodeModules(programs);
    // Node looks for packages in node_modules beside every ancestor of the importing file.
    if (nodeModules) out.push({ source: nodeModules, destination: posix.join(posix.dirname(programsAt), 'node_modules'), readonly: true });
  }
  const seen = new Set<string>();
  return out.filter((m) => !seen.has(m.destination) && seen.add(m.destination));
}

/** Whether a mount's source is a directory (its mountpoint must be one too). */
export function isDirectoryMount(m: ImageMount): boolean {
  return statSync(m.source).isDirectory();
}

/**
 * A host argv in the container's terms: every argument that is a mounted file, or lies under a
 * mounted directory, becomes its container path. Arguments that merely contain a path (a shell
 * script's text) are left as they are.
 */
export function toContainerPaths(argv: string[], mounts: ImageMount[]): string[] {
  const bySource = [...mounts].sort((a, b) => b.source.length - a.source.length);
  return argv.map((arg) => {
    for (const m of bySource) {
      if (arg === m.source) return m.destination;
      if (arg.startsWith(`${m.source}/`)) return m.destination + arg.slice(m.source.length);
    }
    return arg;
  });
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * toContainerPaths, and also the paths inside an argument's text (an entrypoint script that
 * execs a quoted host argv): a mounted path counts where a quote, a space, `=` or the text's
 * ends delimit it.
 */
export function toContainerArgv(argv: string[], mounts: ImageMount[]): string[] {
  const moved = mounts.filter((m) => m.source !== m.destination).sort((a, b) => b.source.length - a.source.length);
  if (moved.length === 0) return [...argv];
  const pattern = new RegExp(`(^|['"\\s=])(${moved.map((m) => escapeRegExp(m.source)).join('|')})(?=$|['"\\s/])`, 'g');
  const bySource = new Map(moved.map((m) => [m.source, m.destination]));
  return argv.map((arg) => arg.replace(pattern, (_, lead: string, src: string) => lead + bySource.get(src)!));
}
