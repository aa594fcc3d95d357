// Unpacks one image layer (a tar stream) into a directory of its own, as containerd's overlay
// snapshotter does: the directory becomes one lower layer of the container's overlay, so OCI
// whiteouts turn into overlay's (a `.wh.NAME` entry becomes a 0:0 character device NAME, a
// `.wh..wh..opq` entry marks its directory opaque with trusted.overlay.opaque=y). Ownership,
// modes, times, symlinks and hard links are kept; device nodes and FIFOs are created with mknod
// as containerd creates them when it runs as root.
import { execFile } from 'node:child_process';
import { createWriteStream, promises as fs } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { extract, type Header } from 'tar-stream';

const run = promisify(execFile);

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';

export class LayerError extends Error {}

/** An entry's content as tar-stream hands it (a streamx stream: iterable, and drained by resume). */
type Body = AsyncIterable<unknown> & { resume(): unknown };

/** The entry's path inside the layer: cleaned as an absolute path, so `..` stops at the layer's root (as containerd's). */
export function entryPath(name: string): string {
  return posix.normalize(`/${name}`).replace(/\/+$/, '').slice(1);
}

/** What an entry does to the layer directory, by its name: a file, a whiteout, an opaque marker. */
export function classifyEntry(path: string): { kind: 'entry' } | { kind: 'whiteout'; target: string } | { kind: 'opaque'; dir: string } {
  const base = posix.basename(path);
  const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
  if (base === OPAQUE_WHITEOUT) return { kind: 'opaque', dir };
  if (base.startsWith(WHITEOUT_PREFIX)) return { kind: 'whiteout', target: posix.join(dir, base.slice(WHITEOUT_PREFIX.length)) };
  return { kind: 'entry' };
}

/**
 * Refuses to write through a symlink: each directory on the way to `rel` inside `root` must be a
 * real directory of this layer (missing ones are created, as tar does for implied parents).
 */
async function parentDir(root: string, rel: string): Promise<string> {
  let dir = root;
  for (const part of rel.split('/').slice(0, -1)) {
    dir = join(dir, part);
    const st = await fs.lstat(dir).catch(() => undefined);
    if (!st) await fs.mkdir(dir, { mode: 0o755 });
    else if (!st.isDirectory()) throw new LayerError(`tar entry ${JSON.stringify(rel)} goes through ${JSON.stringify(part)}, which is not a directory`);
  }
  return dir;
}

async function removeExisting(path: string, keepDir: boolean): Promise<void> {
  const st = await fs.lstat(path).catch(() => undefined);
  if (!st) return;
  if (st.isDirectory() && keepDir) return;
  await fs.rm(path, { recursive: true, force: true });
}

async function mknod(path: string, type: 'c' | 'b' | 'p', major = 0, minor = 0): Promise<void> {
  await run('mknod', type === 'p' ? [path, 'p'] : [path, type, String(major), String(minor)]);
}

async function setOwnerModeTimes(path: string, h: Header, symlink: boolean, times = true): Promise<void> {
  const uid = h.uid ?? 0;
  const gid = h.gid ?? 0;
  if (symlink) {
    await fs.lchown(path, uid, gid);
    return;
  }
  await fs.chown(path, uid, gid);
  // After chown, which clears set-id bits.
  await fs.chmod(path, (h.mode ?? 0o644) & 0o7777);
  if (times && h.mtime) await fs.utimes(path, h.mtime, h.mtime);
}

/** Unpacks the tar `stream` into `root` (an empty directory); resolves to the bytes of content written. */
export async function unpackLayer(stream: Readable, root: string): Promise<number> {
  const ex = extract();
  const dirs: { path: string; h: Header }[] = [];
  let bytes = 0;
  ex.on('entry', (h, body, next) => {
    applyEntry(root, h, body)
      .then((r) => {
        if (r.dir) dirs.push({ path: r.dir, h });
        bytes += r.bytes;
        next();
      })
      .catch((e: Error) => {
        body.resume();
        next(e);
      });
  });
  await pipeline(stream, ex);
  // Directory times last: writing into a directory changes its mtime.
  for (const d of dirs.reverse()) if (d.h.mtime) await fs.utimes(d.path, d.h.mtime, d.h.mtime);
  return bytes;
}

async function applyEntry(root: string, h: Header, body: Body): Promise<{ dir?: string; bytes: number }> {
  const rel = entryPath(h.name);
  if (rel === '') {
    body.resume();
    if (h.type === 'directory') await setOwnerModeTimes(root, h, false, false);
    return { dir: root, bytes: 0 };
  }
  const what = classifyEntry(rel);
  if (what.kind === 'opaque') {
    body.resume();
    const dir = await parentDir(root, rel);
    await run('setfattr', ['-n', 'trusted.overlay.opaque', '-v', 'y', dir]);
    return { bytes: 0 };
  }
  if (what.kind === 'whiteout') {
    body.resume();
    const target = join(await parentDir(root, what.target), posix.basename(what.target));
    await removeExisting(target, false);
    await mknod(target, 'c', 0, 0);
    return { bytes: 0 };
  }
  const path = join(await parentDir(root, rel), posix.basename(rel));
  switch (h.type) {
    case 'directory': {
      body.resume();
      await removeExisting(path, true);
      await fs.mkdir(path, { recursive: true });
      await setOwnerModeTimes(path, h, false, false);
      return { dir: path, bytes: 0 };
    }
    case 'file':
    case 'contiguous-file': {
      await removeExisting(path, false);
      await pipeline(body, createWriteStream(path, { mode: 0o600 }));
      await setOwnerModeTimes(path, h, false);
      return { bytes: h.size ?? 0 };
    }
    case 'symlink': {
      body.resume();
      await removeExisting(path, false);
      await fs.symlink(h.linkname ?? '', path);
      await setOwnerModeTimes(path, h, true);
      return { bytes: 0 };
    }
    case 'link': {
      body.resume();
      const targetRel = entryPath(h.linkname ?? '');
      const target = join(await parentDir(root, targetRel), posix.basename(targetRel));
      await removeExisting(path, false);
      await fs.link(target, path);
      return { bytes: 0 };
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      body.resume();
      await removeExisting(path, false);
      await mknod(path, h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c', h.devmajor ?? 0, h.devminor ?? 0);
      await setOwnerModeTimes(path, h, false);
      return { bytes: 0 };
    }
    default:
      // pax and GNU extension headers are consumed by tar-stream; anything else carries no file.
      body.resume();
      return { bytes: 0 };
  }
}
