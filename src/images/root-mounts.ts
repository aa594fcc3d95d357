// The host files a built-in image's container needs on top of its assembled root, as read-only
// bind mounts: the busybox that plays its userland, and for images whose programs are Node
// scripts the node binary, the libraries both load, and the compiled programs. Data for the OCI
// spec builder; nothing here mounts anything.
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, posix } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BUSYBOX } from './busybox.js';
import { BUILTIN_IMAGES } from './catalog.js';
import { BUILTIN_ROOTS, type BuiltinRoot } from './builtin-roots.js';
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
}

/** The static busybox: where the busybox image has its only binary. */
export const CONTAINER_BUSYBOX = '/bin/busybox';
/** Where node images (node:*-alpine and the like) have node. */
export const CONTAINER_NODE = '/usr/local/bin/node';
export const CONTAINER_PROGRAMS = '/opt/skiff/programs';
/** Other host programs the userland needs (the PATH-searching busybox), out of the image's own paths. */
export const CONTAINER_HELPERS = '/usr/lib/skiff';

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

/** Every host argv the catalog's config of the image runs (entrypoint scripts embed theirs). */
function catalogArgvs(key: string): string[][] {
  const img = BUILTIN_IMAGES.find((i) => i.names[0] === key);
  if (!img) throw new Error(`${JSON.stringify(key)} is not a built-in image (catalog.ts names[0])`);
  // The cluster paths only reach arguments; which programs run does not depend on them.
  const config = img.config(parseReference(key), { home: '/', clusterDir: '/' });
  return Object.values(config.binaries ?? {});
}

function hasUserland(key: string): boolean {
  return BASE_LAYOUTS[builtinRoot(key).base].applets !== 'none';
}

function needsNode(key: string): boolean {
  if (catalogArgvs(key).some((argv) => argv.some((a) => a.includes(process.execPath)))) return true;
  return hasUserland(key) && userlandApplets().some((a) => !playedByLink(a));
}

/** Where a host binary that plays applets appears: the static busybox at /bin/busybox, others under /usr/lib/skiff. */
export function helperPath(host: string): string {
  return host === BUSYBOX ? CONTAINER_BUSYBOX : posix.join(CONTAINER_HELPERS, host.slice(1).replaceAll('/', '-'));
}

function binaryMounts(source: string, destination: string): ImageMount[] {
  return [
    { source, destination, readonly: true },
    ...sharedLibraries(source).map((l) => ({ source: l.file, destination: l.path, readonly: true })),
  ];
}

/** The read-only bind mounts a container of the built-in image `key` needs over its root. */
export function imageMounts(key: string, opts: RootOptions = {}): ImageMount[] {
  const out: ImageMount[] = [];
  if (hasUserland(key) || catalogArgvs(key).some((argv) => argv[0] === BUSYBOX)) {
    const players = new Set([BUSYBOX, ...userlandApplets().filter(playedByLink).map((a) => a.argv[0])]);
    for (const host of players) out.push(...binaryMounts(host, helperPath(host)));
  }
  if (needsNode(key)) {
    const programs = hostProgramsDir();
    const programsAt = opts.programsAt ?? CONTAINER_PROGRAMS;
    out.push(...binaryMounts(process.execPath, CONTAINER_NODE), { source: programs, destination: programsAt, readonly: true });
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
