import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { unpackBlob } from '../../../../src/images/store/layer-blob.js';
import { parsePax, readTar } from '../../../../src/images/store/tar-reader.js';
import { classifyEntry, entryPath, lowerEntry, unpackLayer } from '../../../../src/images/store/unpack.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-unpack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = process.getuid?.() === 0;
const hasSetfattr = spawnSync('sh', ['-c', 'command -v setfattr getfattr']).status === 0;

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; mode?: number; uid?: number; gid?: number; linkname?: string; xattrs?: Record<string, Buffer> };

/** tar-stream writes no PAX header of one's own: its `PaxHeaders/` file entries are turned into them (typeflag 'x'). */
function paxHeadersOf(tar: Buffer): Buffer {
  for (let off = 0; off + 512 <= tar.length; ) {
    const h = tar.subarray(off, off + 512);
    if (h.every((b) => b === 0)) break;
    const size = parseInt(h.subarray(124, 136).toString('latin1').replace(/\0.*$/, '').trim() || '0', 8);
    if (h.subarray(0, 11).toString('latin1') === 'PaxHeaders/') {
      h[156] = 'x'.charCodeAt(0);
      h.fill(0x20, 148, 156);
      const sum = h.reduce((a, b) => a + b, 0);
      h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
    }
    off += 512 + Math.ceil(size / 512) * 512;
  }
  return tar;
}

/** A PAX extended header's body, written by hand: tar-stream's own would re-encode binary values as UTF-8. */
function paxBody(records: [string, Buffer][]): Buffer {
  return Buffer.concat(
    records.map(([k, v]) => {
      const rest = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
      let len = rest.length + 1;
      while (String(len).length + rest.length !== len) len++;
      return Buffer.concat([Buffer.from(String(len)), rest]);
    }),
  );
}

function tarOf(entries: Entry[]): Readable {
  const p = pack();
  for (const e of entries) {
    if (e.xattrs) {
      const body = paxBody(Object.entries(e.xattrs).map(([k, v]) => [`SCHILY.xattr.${k}`, v]));
      p.entry({ name: `PaxHeaders/${e.name}`, type: 'file', size: body.length }, body);
    }
    p.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, linkname: e.linkname, mtime: new Date(1_700_000_000_000) }, e.content ?? '');
  }
  p.finalize();
  return Readable.from(
    (async function* () {
      const chunks: Buffer[] = [];
      for await (const c of p as unknown as AsyncIterable<Buffer>) chunks.push(c);
      yield paxHeadersOf(Buffer.concat(chunks));
    })(),
  );
}

let n = 0;
function fresh(): string {
  const d = join(dir, `layer${n++}`);
  spawnSync('mkdir', ['-p', d]);
  return d;
}

test('entry paths are kept inside the layer', () => {
  assert.equal(entryPath('./usr/bin/'), 'usr/bin');
  assert.equal(entryPath('/etc/passwd'), 'etc/passwd');
  assert.equal(entryPath('a/../b'), 'b');
  assert.equal(entryPath('../../etc/shadow'), 'etc/shadow');
});

test('OCI whiteout names: a removed file, an opaque directory, anything else', () => {
  assert.deepEqual(classifyEntry('www/.wh.old.txt'), { kind: 'whiteout', target: 'www/old.txt' });
  assert.deepEqual(classifyEntry('.wh.top'), { kind: 'whiteout', target: 'top' });
  assert.deepEqual(classifyEntry('var/cache/.wh..wh..opq'), { kind: 'opaque', dir: 'var/cache' });
  assert.deepEqual(classifyEntry('etc/passwd'), { kind: 'entry' });
});

test('files, directories, symlinks and hard links keep modes, owners and targets', { skip: !root && 'needs root (chown)' }, async () => {
  const d = fresh();
  await unpackLayer(
    tarOf([
      { name: 'bin/', type: 'directory', mode: 0o755 },
      { name: 'bin/tool', content: '#!/bin/sh\n', mode: 0o4755, uid: 1000, gid: 1001 },
      { name: 'bin/alias', type: 'symlink', linkname: 'tool' },
      { name: 'bin/hard', type: 'link', linkname: 'bin/tool' },
      // A parent the archive does not list is implied.
      { name: 'srv/data/file', content: 'x' },
    ]),
    d,
  );
  const st = lstatSync(join(d, 'bin/tool'));
  assert.equal(st.mode & 0o7777, 0o4755, 'set-uid survives the chown');
  assert.equal(st.uid, 1000);
  assert.equal(st.gid, 1001);
  assert.equal(st.mtimeMs, 1_700_000_000_000);
  assert.equal(readlinkSync(join(d, 'bin/alias')), 'tool');
  assert.equal(lstatSync(join(d, 'bin/hard')).ino, st.ino);
  assert.equal(readFileSync(join(d, 'srv/data/file'), 'utf8'), 'x');
});

test('whiteouts become overlay whiteouts: 0:0 character devices and opaque directories', { skip: (!root || !hasSetfattr) && 'needs root and setfattr' }, async () => {
  const d = fresh();
  await unpackLayer(tarOf([{ name: 'www/.wh.old.txt' }, { name: 'cache/.wh..wh..opq' }, { name: 'cache/new', content: 'n' }]), d);
  const wh = lstatSync(join(d, 'www/old.txt'));
  assert.ok(wh.isCharacterDevice());
  assert.equal(wh.rdev, 0);
  assert.equal(existsSync(join(d, 'www/.wh.old.txt')), false);
  const opq = spawnSync('getfattr', ['--only-values', '-n', 'trusted.overlay.opaque', join(d, 'cache')], { encoding: 'utf8' });
  assert.equal(opq.stdout, 'y');
  assert.equal(readFileSync(join(d, 'cache/new'), 'utf8'), 'n');
});

test('an archive that writes through its own symlink out of the layer is refused', { skip: !root && 'needs root (chown)' }, async () => {
  const d = fresh();
  const outside = fresh();
  await assert.rejects(
    unpackLayer(tarOf([{ name: 'escape', type: 'symlink', linkname: outside }, { name: 'escape/pwned', content: 'x' }]), d),
    /goes through "escape", which is not a directory/,
  );
  assert.equal(existsSync(join(outside, 'pwned')), false);
  const clamped = fresh();
  await unpackLayer(tarOf([{ name: '../evil', content: 'x' }]), clamped);
  assert.equal(readFileSync(join(clamped, 'evil'), 'utf8'), 'x');
});

/** A version 2 file capability (struct vfs_cap_data): CAP_NET_RAW and CAP_SETFCAP (a byte past 0x7f) permitted and effective. */
const NET_RAW_CAP = (() => {
  const b = Buffer.alloc(20);
  b.writeUInt32LE(0x02000001, 0);
  b.writeUInt32LE(((1 << 13) | (1 << 31)) >>> 0, 4);
  return b;
})();
const hasGetcap = spawnSync('sh', ['-c', 'command -v getcap']).status === 0;

test('PAX records keep binary values as bytes', () => {
  const pax = parsePax(paxBody([['SCHILY.xattr.security.capability', NET_RAW_CAP], ['path', Buffer.from('a/b')]]));
  assert.deepEqual(pax.get('SCHILY.xattr.security.capability'), NET_RAW_CAP);
  assert.equal(pax.get('path')?.toString(), 'a/b');
  assert.throws(() => parsePax(Buffer.from('99 path=x\n')), /invalid PAX record/);
});

test('xattrs in PAX records are set byte for byte: a file capability works as one', { skip: (!root || !hasSetfattr || !hasGetcap) && 'needs root, setfattr and getcap' }, async () => {
  const d = fresh();
  await unpackLayer(tarOf([{ name: 'bin/ping', content: 'elf', mode: 0o755, uid: 0, xattrs: { 'security.capability': NET_RAW_CAP, 'user.note': Buffer.from('hi') } }]), d);
  const cap = spawnSync('getcap', [join(d, 'bin/ping')], { encoding: 'utf8' });
  assert.match(cap.stdout, /cap_net_raw,cap_setfcap[=+]ep/);
  const note = spawnSync('getfattr', ['--only-values', '-n', 'user.note', join(d, 'bin/ping')], { encoding: 'utf8' });
  assert.equal(note.stdout, 'hi');
  assert.equal(lstatSync(join(d, 'bin/ping')).mode & 0o7777, 0o755);
});

test('a user.* xattr on a symlink is skipped with a warning, as containerd does; the layer still unpacks', { skip: (!root || !hasSetfattr) && 'needs root and setfattr' }, async () => {
  const d = fresh();
  await unpackLayer(tarOf([
    { name: 'etc/real', content: 'x', mode: 0o644, uid: 0 },
    { name: 'etc/link', type: 'symlink', linkname: 'real', uid: 0, xattrs: { 'user.note': Buffer.from('hi') } },
  ]), d);
  assert.equal(lstatSync(join(d, 'etc/link')).isSymbolicLink(), true);
});

test('GNU long names and PAX paths name entries past 100 characters', { skip: !root && 'needs root (chown)' }, async () => {
  const src = fresh();
  const long = `${'d'.repeat(60)}/${'f'.repeat(120)}`;
  spawnSync('mkdir', ['-p', join(src, 'd'.repeat(60))]);
  writeFileSync(join(src, long), 'long');
  for (const format of ['gnu', 'pax']) {
    const archive = join(dir, `long-${format}.tar`);
    assert.equal(spawnSync('tar', [`--format=${format}`, '-cf', archive, '-C', src, '.']).status, 0);
    const d = fresh();
    await unpackLayer(Readable.from(readFileSync(archive)), d);
    assert.equal(readFileSync(join(d, long), 'utf8'), 'long', format);
  }
});

test('the reader skips what an entry leaves unread and stops at the end of the archive', async () => {
  const names: string[] = [];
  for await (const { header } of readTar(tarOf([{ name: 'a', content: 'x'.repeat(1000) }, { name: 'b', content: 'y' }]))) names.push(header.name);
  assert.deepEqual(names, ['a', 'b']);
});

test('a hard link to a file of a lower layer copies it up, with its owner, mode and capability', { skip: (!root || !hasSetfattr || !hasGetcap) && 'needs root, setfattr and getcap' }, async () => {
  const lower = fresh();
  await unpackLayer(
    tarOf([
      { name: 'usr/', type: 'directory', mode: 0o755 },
      { name: 'usr/bin/', type: 'directory', mode: 0o750, uid: 5, gid: 6 },
      { name: 'usr/bin/tool', content: 'tool body', mode: 0o4711, uid: 1000, gid: 1001, xattrs: { 'security.capability': NET_RAW_CAP } },
    ]),
    lower,
  );
  const upper = fresh();
  await unpackLayer(tarOf([{ name: 'usr/bin/alias', type: 'link', linkname: 'usr/bin/tool' }]), upper, [lower]);
  const tool = lstatSync(join(upper, 'usr/bin/tool'));
  assert.equal(readFileSync(join(upper, 'usr/bin/tool'), 'utf8'), 'tool body');
  assert.deepEqual([tool.mode & 0o7777, tool.uid, tool.gid], [0o4711, 1000, 1001]);
  assert.equal(lstatSync(join(upper, 'usr/bin/alias')).ino, tool.ino);
  assert.match(spawnSync('getcap', [join(upper, 'usr/bin/tool')], { encoding: 'utf8' }).stdout, /cap_net_raw,cap_setfcap[=+]ep/);
  // The directories the link implies take their owner and mode from below, as containerd's mkparent.
  const bin = lstatSync(join(upper, 'usr/bin'));
  assert.deepEqual([bin.mode & 0o7777, bin.uid, bin.gid], [0o750, 5, 6]);
  // The lower layer is only read.
  assert.equal(lstatSync(join(lower, 'usr/bin/tool')).nlink, 1);
});

test('copy-up sees the lower layers as overlay does: a whiteout or an opaque directory hides a file', { skip: (!root || !hasSetfattr) && 'needs root and setfattr' }, async () => {
  const base = fresh();
  await unpackLayer(tarOf([{ name: 'a/f', content: 'base' }, { name: 'b/g', content: 'base' }, { name: 'c/h', content: 'base' }]), base);
  const mid = fresh();
  await unpackLayer(tarOf([{ name: 'a/.wh.f' }, { name: 'b/.wh..wh..opq' }, { name: 'c/h', content: 'mid' }]), mid, [base]);
  assert.equal(await lowerEntry([mid, base], 'a/f'), undefined);
  assert.equal(await lowerEntry([mid, base], 'b/g'), undefined);
  assert.equal((await lowerEntry([mid, base], 'c/h'))?.path, join(mid, 'c/h'));
  const top = fresh();
  await assert.rejects(unpackLayer(tarOf([{ name: 'x', type: 'link', linkname: 'a/f' }]), top, [mid, base]), /hard link target "a\/f" is neither in this layer nor a file of the layers below/);
  const top2 = fresh();
  await unpackLayer(tarOf([{ name: 'x', type: 'link', linkname: 'c/h' }]), top2, [mid, base]);
  assert.equal(readFileSync(join(top2, 'x'), 'utf8'), 'mid');
});

const hasZstd = spawnSync('sh', ['-c', 'command -v zstd']).status === 0;

test('zstd, gzip and plain layer blobs unpack by their first bytes; a broken zstd blob says so', { skip: (!root || !hasZstd) && 'needs root and zstd' }, async () => {
  const plain = join(dir, 'layer.tar');
  const chunks: Buffer[] = [];
  for await (const c of tarOf([{ name: 'etc/motd', content: 'hello zstd' }])) chunks.push(c as Buffer);
  writeFileSync(plain, Buffer.concat(chunks));
  assert.equal(spawnSync('zstd', ['-q', '-f', plain, '-o', `${plain}.zst`]).status, 0);
  assert.equal(spawnSync('gzip', ['-k', '-f', plain]).status, 0);
  for (const blob of [plain, `${plain}.zst`, `${plain}.gz`]) {
    const d = fresh();
    await unpackBlob(blob, d, 'application/vnd.oci.image.layer.v1.tar+zstd');
    assert.equal(readFileSync(join(d, 'etc/motd'), 'utf8'), 'hello zstd', blob);
  }
  const broken = join(dir, 'broken.zst');
  const good = readFileSync(`${plain}.zst`);
  writeFileSync(broken, Buffer.concat([good.subarray(0, 8), Buffer.alloc(64, 0xaa)]));
  await assert.rejects(unpackBlob(broken, fresh(), 'application/vnd.oci.image.layer.v1.tar+zstd'), /application\/vnd\.oci\.image\.layer\.v1\.tar\+zstd: zstd: /);
});
