// User-mapped images: host programs the user declares as images, since no registry is reachable.
//
// File format (YAML), read from `<home>/images.yaml` and `<clusterDir>/images.yaml`; for the same
// key the cluster's file wins. Keys are image repositories, optionally with a registry host and a
// tag; a key without a host matches the repository on any registry, a key with a tag only that tag:
//
//   # repository → how to run it on this host
//   myorg/web:                       # matches myorg/web, docker.io/myorg/web:1.2, …
//     command: ["/usr/bin/python3", "-m", "http.server", "8080"]   # the image's ENTRYPOINT (required)
//     args: []                       # the image's CMD (optional)
//     workingDir: /srv/web           # optional; must exist on the host
//     env: { GREETING: hello }       # optional; the image's ENV
//   registry.example.com/team/tool:2.0:
//     command: ["/opt/tool/bin/tool"]
//     files: ["/opt/tool"]           # optional; more host paths the image consists of
//
// A pod's `command` replaces `command` here and its `args` replace `args`, as for any image.
// The image's containers see the busybox userland, the host's /usr and library directories, and,
// read-only at their own paths, the absolute paths of command, args, workingDir and files; nothing
// else of the host.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { HOST_PROGRAM_ROOT } from './builtin-roots.js';
import type { ImageConfig } from './config.js';
import { normalizeKey } from './reference.js';

export const IMAGE_MAP_FILE = 'images.yaml';

export type UserImage = { ok: true; image: ImageConfig } | { ok: false; message: string };

interface ImageMap {
  file: string;
  /** Set when the whole file is unusable: every lookup reports it. */
  error?: string;
  entries: Map<string, UserImage>;
}

const cache = new Map<string, { stamp: string; map: ImageMap }>();

export function imageMapFiles(opts: { home: string; clusterDir: string }): string[] {
  return [join(opts.clusterDir, IMAGE_MAP_FILE), join(opts.home, IMAGE_MAP_FILE)];
}

function stringArray(v: unknown): v is string[] {
  return Array.isArray(v) && v.every((s) => typeof s === 'string');
}

function entryFor(key: string, value: unknown, file: string): UserImage {
  const where = `image ${JSON.stringify(key)} in ${file}`;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, message: `${where}: must be a mapping with command, and optionally args, workingDir, env, files` };
  }
  const v = value as Record<string, unknown>;
  const unknown = Object.keys(v).filter((k) => !['command', 'args', 'workingDir', 'env', 'files'].includes(k));
  if (unknown.length) return { ok: false, message: `${where}: unknown field ${JSON.stringify(unknown[0])}` };
  if (v.files !== undefined && (!stringArray(v.files) || v.files.some((f) => !f.startsWith('/')))) {
    return { ok: false, message: `${where}: files must be a list of absolute paths` };
  }
  if (!stringArray(v.command) || v.command.length === 0) {
    return { ok: false, message: `${where}: command must be a non-empty list of strings` };
  }
  if (v.args !== undefined && !stringArray(v.args)) return { ok: false, message: `${where}: args must be a list of strings` };
  if (v.workingDir !== undefined && (typeof v.workingDir !== 'string' || !v.workingDir.startsWith('/'))) {
    return { ok: false, message: `${where}: workingDir must be an absolute path` };
  }
  let env: Record<string, string> | undefined;
  if (v.env !== undefined) {
    if (v.env === null || typeof v.env !== 'object' || Array.isArray(v.env)) {
      return { ok: false, message: `${where}: env must be a mapping of names to strings` };
    }
    env = {};
    for (const [name, val] of Object.entries(v.env as Record<string, unknown>)) {
      if (typeof val !== 'string' && typeof val !== 'number' && typeof val !== 'boolean') {
        return { ok: false, message: `${where}: env ${name} must be a string` };
      }
      env[name] = String(val);
    }
  }
  const cmd = v.args ? [...(v.args as string[])] : [];
  const named = [...v.command, ...cmd, ...(typeof v.workingDir === 'string' ? [v.workingDir] : []), ...((v.files as string[] | undefined) ?? [])];
  return {
    ok: true,
    image: {
      entrypoint: [...v.command],
      cmd,
      ...(env ? { env } : {}),
      ...(typeof v.workingDir === 'string' ? { workingDir: v.workingDir } : {}),
      root: { key: HOST_PROGRAM_ROOT, hostPaths: [...new Set(named.filter((p) => p.startsWith('/')))] },
    },
  };
}

function loadMap(file: string): ImageMap | undefined {
  let stamp: string;
  try {
    const st = statSync(file);
    stamp = `${st.mtimeMs}:${st.size}:${st.ino}`;
  } catch {
    cache.delete(file);
    return undefined;
  }
  const hit = cache.get(file);
  if (hit && hit.stamp === stamp) return hit.map;
  const map: ImageMap = { file, entries: new Map() };
  try {
    const doc: unknown = parse(readFileSync(file, 'utf8'));
    if (doc !== null && doc !== undefined) {
      if (typeof doc !== 'object' || Array.isArray(doc)) throw new Error('the file must be a mapping of image repositories');
      for (const [key, value] of Object.entries(doc as Record<string, unknown>)) {
        let normalized: string;
        try {
          normalized = normalizeKey(key);
        } catch (err) {
          throw new Error(`key ${JSON.stringify(key)} is not an image repository: ${(err as Error).message}`);
        }
        map.entries.set(normalized, entryFor(key, value, file));
      }
    }
  } catch (err) {
    map.error = `reading image map ${file}: ${(err as Error).message}`;
  }
  cache.set(file, { stamp, map });
  return map;
}

/** The user's mapping for the first key found (keys most specific first), or undefined. */
export function findUserImage(keys: string[], opts: { home: string; clusterDir: string }): UserImage | undefined {
  for (const file of imageMapFiles(opts)) {
    const map = loadMap(file);
    if (!map) continue;
    if (map.error) return { ok: false, message: map.error };
    for (const key of keys) {
      const found = map.entries.get(key);
      if (found) return found;
    }
  }
  return undefined;
}
