import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256Digest, verifyDigest, digestHash, parseDigest } from '../../../../src/images/store/digest.js';
import { tryLock, withLock } from '../../../../src/images/store/lock.js';
import { ImageStore, type StoredImage } from '../../../../src/images/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-store-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const D1 = sha256Digest('layer one');
const D2 = sha256Digest('layer two');

test('digests: parsed, checked, and a mismatch worded as containerd words it', () => {
  assert.deepEqual(parseDigest(D1), { algorithm: 'sha256', hex: D1.slice(7) });
  assert.throws(() => parseDigest('sha256:abc'), /invalid digest/);
  assert.throws(() => parseDigest('md5:' + 'a'.repeat(32)), /invalid digest/);
  verifyDigest(D1, digestHash(D1).update('layer one'));
  assert.throws(() => verifyDigest(D1, digestHash(D1).update('tampered')), /unexpected commit digest sha256:[0-9a-f]{64}, expected sha256:[0-9a-f]{64}: failed precondition$/);
});

test('blobs are stored only when they match their digest', () => {
  const store = new ImageStore(join(dir, 'blobs'));
  store.writeBlob(D1, Buffer.from('layer one'));
  assert.equal(store.readBlob(D1)?.toString(), 'layer one');
  assert.throws(() => store.writeBlob(D2, Buffer.from('not layer two')), /unexpected commit digest/);
  assert.equal(store.readBlob(D2), undefined);
});

test('a layer appears whole or not at all; a failed one leaves nothing behind', async () => {
  const store = new ImageStore(join(dir, 'layers'));
  await assert.rejects(
    store.addLayer(D1, async (d) => {
      writeFileSync(join(d, 'half'), 'x');
      throw new Error('the download broke');
    }),
    /the download broke/,
  );
  assert.equal(store.hasLayer(D1), false);
  assert.deepEqual(readdirSync(join(store.dir, 'tmp')), []);
  assert.deepEqual(readdirSync(join(store.dir, 'locks')), []);
  await store.addLayer(D1, async (d) => writeFileSync(join(d, 'file'), 'x'));
  assert.ok(existsSync(join(store.layerDir(D1), 'file')));
});

test('two pulls of the same layer unpack it once', async () => {
  const store = new ImageStore(join(dir, 'twice'));
  let runs = 0;
  const produce = async (d: string) => {
    runs++;
    await new Promise((r) => setImmediate(r));
    writeFileSync(join(d, 'f'), 'x');
  };
  await Promise.all([store.addLayer(D2, produce), store.addLayer(D2, produce)]);
  assert.equal(runs, 1);
});

test("a dead puller's lock is taken over, a live one's is not", async () => {
  const locks = join(dir, 'locks');
  mkdirSync(locks);
  const child = spawn(process.execPath, ['-e', '']);
  const deadPid = child.pid!;
  await new Promise((r) => child.once('exit', r));
  writeFileSync(join(locks, 'dead.lock'), `${deadPid}\n`);
  assert.equal(tryLock(join(locks, 'dead.lock')), true);
  assert.equal(tryLock(join(locks, 'dead.lock')), false, 'held by this live process now');
  rmSync(join(locks, 'dead.lock'));
  assert.equal(await withLock(join(locks, 'w.lock'), async () => 7), 7);
  assert.equal(existsSync(join(locks, 'w.lock')), false);
});

test('what a killed pull left in tmp/ is swept; records list only images whose layers exist', async () => {
  const store = new ImageStore(join(dir, 'sweep'));
  const child = spawn(process.execPath, ['-e', '']);
  const deadPid = child.pid!;
  await new Promise((r) => child.once('exit', r));
  mkdirSync(join(store.dir, 'tmp', `${deadPid}-abc`));
  const mine = store.tmpDir();
  store.sweep();
  assert.deepEqual(readdirSync(join(store.dir, 'tmp')), [mine.split('/').pop()]);

  await store.addLayer(D1, async (d) => writeFileSync(join(d, 'a'), 'a'));
  await store.addLayer(D2, async (d) => writeFileSync(join(d, 'b'), 'b'));
  const img: StoredImage = {
    reference: 'localhost:5000/team/app:1.0',
    digest: sha256Digest('manifest'),
    id: sha256Digest('config'),
    layers: [
      { digest: D1, size: 1, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
      { digest: D2, size: 1, mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip' },
    ],
    size: 2,
    config: { Cmd: ['sh'] },
    storedAt: new Date().toISOString(),
  };
  store.put(img);
  assert.deepEqual(store.get(img.reference), img);
  assert.deepEqual(store.list().map((i) => i.reference), [img.reference]);
  // Topmost layer first, as overlayfs wants its lowerdir.
  assert.equal(store.lowerDirs(img), `${store.layerDir(D2)}:${store.layerDir(D1)}`);
  rmSync(store.layerDir(D2), { recursive: true });
  assert.equal(store.get(img.reference), undefined);
});

test('prune keeps what a running container mounts and removes the rest, blobs included', async () => {
  const { layersInUse, pruneStore } = await import('../../../../src/images/store/prune.js');
  const store = new ImageStore(join(dir, 'prune'));
  const L = (s: string) => sha256Digest(s);
  for (const l of ['base', 'used-top', 'unused-top', 'orphan']) await store.addLayer(L(l), async (d) => writeFileSync(join(d, 'f'), l));
  const image = (reference: string, layers: string[]): StoredImage => {
    const config = Buffer.from(`config ${reference}`);
    store.writeBlob(sha256Digest(config), config);
    return { reference, digest: sha256Digest(`m ${reference}`), id: sha256Digest(config), layers: layers.map((l) => ({ digest: L(l), size: 1, mediaType: 'x' })), size: 1, config: {}, storedAt: '' };
  };
  const used = image('localhost:5000/used:1', ['base', 'used-top']);
  const unused = image('localhost:5000/unused:1', ['base', 'unused-top']);
  store.put(used);
  store.put(unused);
  // A fake /proc with one shim whose argv names the used image's overlay lowerdir.
  const proc = join(dir, 'proc');
  mkdirSync(join(proc, '42'), { recursive: true });
  writeFileSync(join(proc, '42', 'cmdline'), ['sh', '-c', 'script', 'skiff-shim', '/a', '/log', '/helper', '/oom', store.lowerDirs(used), ''].join('\0'));
  mkdirSync(join(proc, 'self'));
  const inUse = layersInUse(store, proc);
  assert.deepEqual([...inUse].sort(), [store.layerDir(L('base')), store.layerDir(L('used-top'))].sort());
  const r = pruneStore(store, inUse);
  assert.deepEqual(r, { images: ['localhost:5000/unused:1'], layers: 2 });
  assert.ok(store.get(used.reference));
  assert.equal(store.hasLayer(L('unused-top')), false);
  assert.equal(store.hasLayer(L('orphan')), false);
  assert.ok(store.readBlob(used.id));
  assert.equal(store.readBlob(unused.id), undefined);
});
