// Unpacks one image layer (a tar stream) into a directory of its own, as containerd's overlay
// snapshotter does: the directory becomes one lower layer of the container's overlay, so OCI
// whiteouts turn into overlay's (a `.wh.NAME` entry becomes a 0:0 character device NAME, a
// `.wh..wh..opq` entry marks its directory opaque with trusted.overlay.opaque=y). Ownership,
// modes, times, symlinks, hard links and extended attributes (file capabilities among them) are
// kept; device nodes and FIFOs are created with mknod as containerd creates them as root.
//
// The layers below (`parents`, topmost first) are read where the layer alone is not enough, as
// containerd reads them when it applies a layer onto the upper directory of a snapshot: a parent
// directory the archive implies takes its owner and mode from below, and a hard link to a file
// of a lower layer copies that file up into this one first, as overlayfs does on link(2).
import { execFile } from 'node:child_process';
import { createWriteStream, promises as fs, type Stats } from 'node:fs';
import { join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { log } from '../../log.js';
import { readTar, type TarHeader } from './tar-reader.js';

const run = promisify(execFile);

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_WHITEOUT = '.wh..wh..opq';
const OPAQUE_XATTR = 'trusted.overlay.opaque';

export class LayerError extends Error {}

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

const isWhiteout = (st: Stats) => st.isCharacterDevice() && st.rdev === 0;

/** Sets extended attribute `name` of `path` (not following a symlink) to the bytes `value`. */
export async function setXattr(path: string, name: string, value: Buffer): Promise<void> {
  await run('setfattr', ['-h', '-n', name, '-v', `0s${value.toString('base64')}`, '--', path]);
}

/** The extended attributes of `path` (not following a symlink), overlay's own left out. */
async function xattrsOf(path: string): Promise<Map<string, Buffer>> {
  const out = new Map<string, Buffer>();
  const r = await run('getfattr', ['-h', '-d', '-m', '-', '-e', 'base64', '--absolute-names', '--', path]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  for (const line of r.stdout.split('\n')) {
    const m = /^([^#=][^=]*)=0s(.*)$/.exec(line);
    if (m && !m[1].startsWith('trusted.overlay.')) out.set(m[1], Buffer.from(m[2], 'base64'));
  }
  return out;
}

/** Which of `dirs` overlay treats as opaque (trusted.overlay.opaque=y). */
async function anyOpaque(dirs: string[]): Promise<boolean> {
  const r = await run('getfattr', ['--absolute-names', '-n', OPAQUE_XATTR, '--', ...dirs]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '' }));
  return /^trusted\.overlay\.opaque="y"$/m.test(r.stdout);
}

/**
 * What `rel` is in the view the layers `parents` (topmost first) make, as overlayfs resolves it:
 * the topmost layer that has it wins, and a whiteout, a non-directory on the way, or an opaque
 * directory hides what lies below.
 */
export async function lowerEntry(parents: string[], rel: string): Promise<{ path: string; st: Stats } | undefined> {
  const parts = rel.split('/');
  for (const layer of parents) {
    const dirs: string[] = [];
    let cur = layer;
    for (let i = 0; i < parts.length; i++) {
      cur = join(cur, parts[i]);
      const st = await fs.lstat(cur).catch(() => undefined);
      if (!st) break;
      if (isWhiteout(st)) return undefined;
      if (i === parts.length - 1) return { path: cur, st };
      if (!st.isDirectory()) return undefined;
      dirs.push(cur);
    }
    if (dirs.length > 0 && (await anyOpaque(dirs))) return undefined;
  }
  return undefined;
}

/** A directory of the layer made for an implied parent: its times are set last, like the listed ones'. */
interface MadeDir {
  path: string;
  mtime?: Date;
}

class LayerWriter {
  readonly dirs: MadeDir[] = [];

  constructor(
    readonly root: string,
    readonly parents: string[],
  ) {}

  /**
   * Refuses to write through a symlink: each directory on the way to `rel` must be a real
   * directory of this layer. Missing ones are created, with the owner and mode the layers below
   * give them (0755 root if none has it), as containerd's mkparent.
   */
  async parentDir(rel: string): Promise<string> {
    let dir = this.root;
    let sub = '';
    for (const part of rel.split('/').slice(0, -1)) {
      dir = join(dir, part);
      sub = sub ? `${sub}/${part}` : part;
      const st = await fs.lstat(dir).catch(() => undefined);
      if (!st) await this.mkparent(dir, sub);
      else if (!st.isDirectory()) throw new LayerError(`tar entry ${JSON.stringify(rel)} goes through ${JSON.stringify(part)}, which is not a directory`);
    }
    return dir;
  }

  private async mkparent(dir: string, sub: string): Promise<void> {
    await fs.mkdir(dir, { mode: 0o755 });
    const below = this.parents.length > 0 ? await lowerEntry(this.parents, sub) : undefined;
    if (!below?.st.isDirectory()) return;
    await fs.chown(dir, below.st.uid, below.st.gid);
    await fs.chmod(dir, below.st.mode & 0o7777);
    this.dirs.push({ path: dir, mtime: below.st.mtime });
  }

  /** The layer's own entry at `rel`, without creating anything on the way. */
  async own(rel: string): Promise<Stats | undefined> {
    let dir = this.root;
    const parts = rel.split('/');
    for (let i = 0; i < parts.length; i++) {
      dir = join(dir, parts[i]);
      const st = await fs.lstat(dir).catch(() => undefined);
      if (!st || (i < parts.length - 1 && !st.isDirectory())) return undefined;
      if (i === parts.length - 1) return st;
    }
    return undefined;
  }

  /** Copies the file `rel` of the layers below into this layer, as overlayfs copies up. */
  async copyUp(rel: string): Promise<string> {
    const below = await lowerEntry(this.parents, rel);
    if (!below || below.st.isDirectory()) throw new LayerError(`hard link target ${JSON.stringify(rel)} is neither in this layer nor a file of the layers below`);
    const { path: src, st } = below;
    const dest = join(await this.parentDir(rel), posix.basename(rel));
    if (st.isSymbolicLink()) await fs.symlink(await fs.readlink(src), dest);
    else if (st.isFile()) await fs.copyFile(src, dest);
    else await mknod(dest, st.isFIFO() ? 'p' : st.isBlockDevice() ? 'b' : 'c', Math.floor(st.rdev / 256) & 0xfff, (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00));
    await fs.lchown(dest, st.uid, st.gid);
    for (const [name, value] of await xattrsOf(src)) await setXattr(dest, name, value);
    if (!st.isSymbolicLink()) {
      await fs.chmod(dest, st.mode & 0o7777);
      await fs.utimes(dest, st.atime, st.mtime);
    }
    return dest;
  }
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

/**
 * Applies the entry's PAX xattrs as containerd's createTarFile does: one the filesystem does not
 * support is skipped with a warning, and so is a `user.*` one on anything but a regular file or
 * a directory, where the kernel refuses them (xattr(7)).
 */
async function applyXattrs(path: string, h: TarHeader): Promise<void> {
  for (const [name, value] of h.xattrs) {
    try {
      await setXattr(path, name, value);
    } catch (e) {
      const stderr = String((e as { stderr?: string }).stderr ?? (e as Error).message);
      if (/Operation not supported/.test(stderr) || (/Operation not permitted/.test(stderr) && name.startsWith('user.') && !(await fileOrDir(path)))) {
        log('warning', 'ignored xattr in archive', { xattr: name, path, error: stderr.trim() });
        continue;
      }
      throw new LayerError(`failed to setxattr ${JSON.stringify(path)} for key ${JSON.stringify(name)}: ${stderr.trim()}`);
    }
  }
}

async function fileOrDir(path: string): Promise<boolean> {
  const st = await fs.lstat(path).catch(() => undefined);
  return st !== undefined && (st.isFile() || st.isDirectory());
}

/** Owner, then xattrs (chown drops file capabilities), then mode (chown clears set-id bits), then times. */
async function setAttributes(path: string, h: TarHeader, symlink: boolean, times = true): Promise<void> {
  await fs.lchown(path, h.uid, h.gid);
  await applyXattrs(path, h);
  if (symlink) return;
  await fs.chmod(path, h.mode & 0o7777);
  if (times && h.mtime) await fs.utimes(path, h.mtime, h.mtime);
}

/**
 * Unpacks the tar `stream` into `root` (an empty directory) over the layers `parents` (topmost
 * first); resolves to the bytes of content written.
 */
export async function unpackLayer(stream: Readable, root: string, parents: string[] = []): Promise<number> {
  const w = new LayerWriter(root, parents);
  const listed: MadeDir[] = [];
  let bytes = 0;
  for await (const { header, body } of readTar(stream)) {
    const r = await applyEntry(w, header, body);
    if (r.dir) listed.push({ path: r.dir, mtime: header.mtime });
    bytes += r.bytes;
  }
  // Directory times last, since writing into a directory changes its mtime; a listed directory's own after an implied one's.
  for (const d of [...w.dirs, ...listed]) if (d.mtime) await fs.utimes(d.path, d.mtime, d.mtime);
  return bytes;
}

async function applyEntry(w: LayerWriter, h: TarHeader, body: AsyncIterable<Buffer>): Promise<{ dir?: string; bytes: number }> {
  const rel = entryPath(h.name);
  if (rel === '') {
    if (h.type === 'directory') await setAttributes(w.root, h, false, false);
    return { dir: w.root, bytes: 0 };
  }
  const what = classifyEntry(rel);
  if (what.kind === 'opaque') {
    const dir = await w.parentDir(rel);
    await setXattr(dir, OPAQUE_XATTR, Buffer.from('y'));
    return { bytes: 0 };
  }
  if (what.kind === 'whiteout') {
    const target = join(await w.parentDir(what.target), posix.basename(what.target));
    await removeExisting(target, false);
    await mknod(target, 'c', 0, 0);
    return { bytes: 0 };
  }
  const path = join(await w.parentDir(rel), posix.basename(rel));
  switch (h.type) {
    case 'directory': {
      await removeExisting(path, true);
      await fs.mkdir(path, { recursive: true });
      await setAttributes(path, h, false, false);
      return { dir: path, bytes: 0 };
    }
    case 'file': {
      await removeExisting(path, false);
      await pipeline(body, createWriteStream(path, { mode: 0o600 }));
      await setAttributes(path, h, false);
      return { bytes: h.size };
    }
    case 'symlink': {
      await removeExisting(path, false);
      await fs.symlink(h.linkname, path);
      await setAttributes(path, h, true);
      return { bytes: 0 };
    }
    case 'link': {
      const targetRel = entryPath(h.linkname);
      const own = await w.own(targetRel);
      if (own?.isDirectory()) throw new LayerError(`hard link ${JSON.stringify(rel)} names the directory ${JSON.stringify(targetRel)}`);
      const target = own ? join(await w.parentDir(targetRel), posix.basename(targetRel)) : await w.copyUp(targetRel);
      await removeExisting(path, false);
      await fs.link(target, path);
      return { bytes: 0 };
    }
    case 'character-device':
    case 'block-device':
    case 'fifo': {
      await removeExisting(path, false);
      await mknod(path, h.type === 'fifo' ? 'p' : h.type === 'block-device' ? 'b' : 'c', h.devmajor, h.devminor);
      await setAttributes(path, h, false);
      return { bytes: 0 };
    }
    default:
      // Anything else carries no file of a root filesystem.
      return { bytes: 0 };
  }
}
