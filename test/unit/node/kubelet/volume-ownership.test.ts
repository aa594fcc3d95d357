import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, chownSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { requiresPermissionChange, setUpEmptyDir, setVolumeOwnership } from '../../../../src/node/kubelet/volume-ownership.js';
import { setUpVolumes, volumeDir } from '../../../../src/node/kubelet/volumes.js';

// Changing a file's group to an arbitrary gid needs CAP_CHOWN; the kubelet has it.
const root = process.getuid?.() === 0;
const alloc = { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 0 };

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-fsgroup-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const mode = (p: string) => statSync(p).mode & 0o7777;

test('SetVolumeOwnership: group, group rw (ro for read-only volumes), setgid directories', { skip: !root }, withDir((dir) => {
  mkdirSync(join(dir, 'sub'), { mode: 0o700 });
  writeFileSync(join(dir, 'sub', 'f'), 'x', { mode: 0o600 });
  writeFileSync(join(dir, 'g'), 'x', { mode: 0o644 });
  chmodSync(dir, 0o755);
  setVolumeOwnership(dir, 2000, { readOnly: false });
  for (const p of [dir, join(dir, 'sub'), join(dir, 'sub', 'f'), join(dir, 'g')]) assert.equal(statSync(p).gid, 2000, p);
  assert.equal(statSync(join(dir, 'sub')).uid, 0, 'the owner is kept');
  assert.equal(mode(dir), 0o2775);
  assert.equal(mode(join(dir, 'sub')), 0o2770);
  assert.equal(mode(join(dir, 'sub', 'f')), 0o660);
  assert.equal(mode(join(dir, 'g')), 0o664);

  const ro = join(dir, 'ro');
  mkdirSync(ro, { mode: 0o700 });
  writeFileSync(join(ro, 'f'), 'x', { mode: 0o600 });
  setVolumeOwnership(ro, 3000, { readOnly: true });
  assert.equal(mode(ro), 0o2750);
  assert.equal(mode(join(ro, 'f')), 0o640);
  // Without fsGroup nothing happens.
  setVolumeOwnership(ro, undefined, { readOnly: true });
  assert.equal(statSync(ro).gid, 3000);
}));

test('fsGroupChangePolicy OnRootMismatch: the walk is skipped only when the root already matches', { skip: !root }, withDir((dir) => {
  writeFileSync(join(dir, 'f'), 'x', { mode: 0o600 });
  chownSync(dir, 0, 2000);
  chmodSync(dir, 0o2770);
  assert.equal(requiresPermissionChange(dir, 2000, false), false);
  setVolumeOwnership(dir, 2000, { readOnly: false, changePolicy: 'OnRootMismatch' });
  assert.equal(statSync(join(dir, 'f')).gid, 0, 'skipped');
  assert.equal(requiresPermissionChange(dir, 2001, false), true);
  chmodSync(dir, 0o770);
  assert.equal(requiresPermissionChange(dir, 2000, false), true, 'no setgid');
  setVolumeOwnership(dir, 2000, { readOnly: false, changePolicy: 'OnRootMismatch' });
  assert.equal(statSync(join(dir, 'f')).gid, 2000);
  assert.equal(mode(join(dir, 'f')), 0o660);
  setVolumeOwnership(dir, 2000, { readOnly: false, changePolicy: 'Always' });
}));

test('emptyDir: 0777 (02777 with fsGroup), set up once', { skip: !root }, withDir((dir) => {
  const ed = join(dir, 'ed');
  setUpEmptyDir(ed, 2000);
  assert.equal(mode(ed), 0o2777);
  assert.equal(statSync(ed).gid, 2000);
  chmodSync(ed, 0o2770);
  setUpEmptyDir(ed, 2000);
  assert.equal(mode(ed), 0o2770, 'an existing emptyDir is left alone');
  setUpEmptyDir(join(dir, 'plain'), undefined);
  assert.equal(mode(join(dir, 'plain')), 0o777);
}));

test('volumes with fsGroup: configMap files group-readable by fsGroup before they are visible; emptyDir setgid', { skip: !root }, withDir(async (dir) => {
  const cm: KObject = { metadata: { name: 'cfg', namespace: 'ns' }, data: { a: '1', 'nested.conf': '2' } };
  const source = { configMap: async () => cm, secret: async () => undefined };
  const pod: KObject = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: {
      securityContext: { fsGroup: 1234 },
      volumes: [{ name: 'c', configMap: { name: 'cfg', defaultMode: 0o400 } }, { name: 'e', emptyDir: {} }],
    },
  };
  await setUpVolumes(pod, dir, source, alloc);
  const cdir = volumeDir(dir, { name: 'c', configMap: {} });
  const ts = readdirSync(cdir).find((n) => /^\.\.\d/.test(n))!;
  assert.equal(statSync(join(cdir, ts, 'a')).gid, 1234);
  assert.equal(mode(join(cdir, ts, 'a')), 0o440);
  assert.equal(mode(join(cdir, ts)), 0o2755);
  assert.equal(lstatSync(join(cdir, '..data')).isSymbolicLink(), true);
  const edir = volumeDir(dir, { name: 'e', emptyDir: {} });
  assert.equal(mode(edir), 0o2777);
  assert.equal(statSync(edir).gid, 1234);
}));
