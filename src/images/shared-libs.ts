// The shared libraries a host executable loads, so that a root that is not the host's can run
// it: the node binary and Debian's busybox are dynamically linked, and a container sees only
// what is mounted into it.
import { realpathSync } from 'node:fs';
import { askProgram } from './host-programs.js';

export interface SharedLibrary {
  /** Where the dynamic loader looks for it (and so where it must appear in the container). */
  path: string;
  /** The file itself on the host, symlinks resolved. */
  file: string;
}

/** ldd's lines: `libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x…)`, `/lib64/ld-linux-x86-64.so.2 (0x…)`. */
export function parseLdd(out: string): string[] {
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^\s*(?:\S+\s+=>\s+)?(\/\S+)\s+\(0x[0-9a-f]+\)\s*$/.exec(line);
    if (m) paths.push(m[1]);
  }
  return paths;
}

const cache = new Map<string, SharedLibrary[]>();

/** The libraries `file` needs, its loader included; none for a static executable. */
export function sharedLibraries(file: string): SharedLibrary[] {
  const known = cache.get(file);
  if (known) return known;
  const r = askProgram('ldd', [file], [file]);
  if (r.error) throw new Error(`listing the shared libraries of ${file}: ${r.error}`);
  // ldd exits 1 with "not a dynamic executable" for a static one: nothing to mount.
  const libs = r.status === 0 ? parseLdd(r.stdout).map((path) => ({ path, file: realpathSync(path) })) : [];
  cache.set(file, libs);
  return libs;
}
