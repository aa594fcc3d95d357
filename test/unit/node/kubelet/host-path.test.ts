import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdirSync, mkdtempSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { setUpHostPath } from '../../../../src/node/kubelet/host-path.js';
import { containerMounts, setUpVolumes, VolumeError } from '../../../../src/node/kubelet/volumes.js';

const alloc = { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 0 };
const noObjects = { configMap: async () => undefined, secret: async () => undefined };

function withDir(fn: (dir: string) => Promise<void> | void): () => Promise<void> {
  return async () => {
    const dir = mkdtempSync(join(tmpdir(), 'skiff-hostpath-'));
    try {
      await fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

const fails = (path: string, type: string, message: string) => assert.throws(() => setUpHostPath(path, type), { message });

test('hostPath: every type checks its kind of file, following symlinks', withDir(async (dir) => {
  const d = join(dir, 'd');
  const f = join(dir, 'f');
  const sock = join(dir, 's.sock');
  mkdirSync(d);
  writeFileSync(f, 'x');
  symlinkSync(d, join(dir, 'link-to-d'));
  const server = createServer().listen(sock);
  await new Promise((r) => server.once('listening', r));
  try {
    setUpHostPath(d, 'Directory');
    setUpHostPath(join(dir, 'link-to-d'), 'Directory');
    setUpHostPath(f, 'File');
    setUpHostPath(sock, 'Socket');
    setUpHostPath('/dev/null', 'CharDevice');
    fails(f, 'Directory', `hostPath type check failed: ${f} is not a directory`);
    fails(join(dir, 'none'), 'Directory', `hostPath type check failed: ${join(dir, 'none')} is not a directory`);
    fails(d, 'File', `hostPath type check failed: ${d} is not a file`);
    fails(f, 'Socket', `hostPath type check failed: ${f} is not a socket file`);
    fails(f, 'CharDevice', `hostPath type check failed: ${f} is not a character device`);
    fails('/dev/null', 'BlockDevice', 'hostPath type check failed: /dev/null is not a block device');
    fails(f, 'DirectoryOrCreate', `hostPath type check failed: ${f} is not a directory`);
    fails(d, 'FileOrCreate', `hostPath type check failed: ${d} is not a file`);
    fails(d, 'Sometimes', 'Sometimes is an invalid volume type');
    fails('/x/../etc', 'Directory', "invalid HostPath `/x/../etc`: must not contain '..'");
  } finally {
    server.close();
  }
}));

test('hostPath: OrCreate types create with upstream modes; an unset type makes a missing source a directory', withDir((dir) => {
  const nd = join(dir, 'a', 'b');
  setUpHostPath(nd, 'DirectoryOrCreate');
  assert.equal(statSync(nd).mode & 0o7777, 0o755);
  assert.equal(statSync(join(dir, 'a')).mode & 0o7777, 0o755);
  const nf = join(dir, 'new-file');
  setUpHostPath(nf, 'FileOrCreate');
  assert.ok(lstatSync(nf).isFile());
  assert.equal(statSync(nf).mode & 0o7777, 0o644);
  // Existing files are left as they are.
  writeFileSync(nf, 'keep');
  setUpHostPath(nf, 'FileOrCreate');
  assert.equal(statSync(nf).size, 4);
  // FileOrCreate does not create parent directories (upstream's docs say so).
  const deep = join(dir, 'missing', 'file');
  fails(deep, 'FileOrCreate', `open ${deep}: no such file or directory`);
  setUpHostPath(join(dir, 'unset'), '');
  assert.ok(statSync(join(dir, 'unset')).isDirectory());
  setUpHostPath(join(dir, 'f2'), undefined as never);
}));

test('hostPath volumes: FailedMount errors, mounts of the host path itself', withDir(async (dir) => {
  const pod = (type: string, path = join(dir, 'data')): KObject => ({
    metadata: { name: 'p', namespace: 'ns', uid: 'u' },
    spec: { volumes: [{ name: 'h', hostPath: { path, type } }] },
  });
  await assert.rejects(setUpVolumes(pod('Directory'), join(dir, 'pod'), noObjects, alloc),
    (e: Error) => e instanceof VolumeError && e.volume === 'h' && e.message === `hostPath type check failed: ${join(dir, 'data')} is not a directory`);
  await setUpVolumes(pod('DirectoryOrCreate'), join(dir, 'pod'), noObjects, alloc);
  assert.ok(statSync(join(dir, 'data')).isDirectory());
  const mounts = containerMounts(join(dir, 'pod'), (pod('Directory').spec as any).volumes, {
    volumeMounts: [{ name: 'h', mountPath: '/data' }, { name: 'h', mountPath: '/sub', subPath: 'x', readOnly: true }],
  });
  assert.deepEqual(mounts, [
    { hostPath: join(dir, 'data'), containerPath: '/data', readOnly: false },
    { hostPath: join(dir, 'data', 'x'), containerPath: '/sub', readOnly: true },
  ]);
}));
