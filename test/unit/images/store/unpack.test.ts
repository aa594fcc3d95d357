import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { classifyEntry, entryPath, unpackLayer } from '../../../../src/images/store/unpack.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-unpack-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const root = process.getuid?.() === 0;
const hasSetfattr = spawnSync('sh', ['-c', 'command -v setfattr getfattr']).status === 0;

type Entry = { name: string; type?: 'file' | 'directory' | 'symlink' | 'link'; content?: string; mode?: number; uid?: number; gid?: number; linkname?: string };

function tarOf(entries: Entry[]): Readable {
  const p = pack();
  for (const e of entries) p.entry({ name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: e.gid ?? 0, linkname: e.linkname, mtime: new Date(1_700_000_000_000) }, e.content ?? '');
  p.finalize();
  return p as unknown as Readable;
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
