import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pack } from 'tar-stream';
import { gzipSync } from 'node:zlib';
import { loadImages, LoadError } from '../../../src/images/load.js';
import { ImageStore } from '../../../src/images/store/store.js';

const dir = mkdtempSync(join(tmpdir(), 'skiff-load-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = process.getuid?.() !== 0 && 'needs root (layers keep their owners)';

async function tar(files: Record<string, string | Buffer>): Promise<Buffer> {
  const p = pack();
  for (const [name, content] of Object.entries(files)) p.entry({ name, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) }, content);
  p.finalize();
  const parts: Buffer[] = [];
  for await (const c of p) parts.push(c as Buffer);
  return Buffer.concat(parts);
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
const CONFIG = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Entrypoint: ['/app'], Env: ['A=1'], User: '1000' }, rootfs: { type: 'layers', diff_ids: [] } }));

test('a docker save archive: every tag of every image, layers unpacked once with their whiteouts', { skip }, async () => {
  const layer1 = await tar({ 'app': 'v1', 'old.txt': 'old' });
  const layer2 = await tar({ '.wh.old.txt': '' });
  const archive = await tar({
    'manifest.json': JSON.stringify([{ Config: `${sha(CONFIG)}.json`, RepoTags: ['myapp:1.0', 'registry.example/team/myapp:dev'], Layers: ['l1/layer.tar', 'l2/layer.tar'] }]),
    [`${sha(CONFIG)}.json`]: CONFIG,
    'l1/layer.tar': layer1,
    'l2/layer.tar': layer2,
  });
  writeFileSync(join(dir, 'save.tar'), archive);
  const store = new ImageStore(join(dir, 'home'));
  const loaded = await loadImages(store, join(dir, 'save.tar'));
  assert.deepEqual(loaded.map((i) => i.reference), ['docker.io/library/myapp:1.0', 'registry.example/team/myapp:dev']);
  const img = store.get('docker.io/library/myapp:1.0')!;
  assert.equal(img.id, `sha256:${sha(CONFIG)}`);
  assert.deepEqual(img.config.Entrypoint, ['/app']);
  assert.deepEqual(img.layers.map((l) => l.digest), [`sha256:${sha(layer1)}`, `sha256:${sha(layer2)}`]);
  assert.equal(readFileSync(join(store.layerDir(img.layers[0].digest), 'app'), 'utf8'), 'v1');
  assert.ok(lstatSync(join(store.layerDir(img.layers[1].digest), 'old.txt')).isCharacterDevice());
  assert.deepEqual(readdirSync(join(store.dir, 'tmp')), [], 'the unpacked archive is gone');
});

test('an OCI layout (directory or gzipped archive) named by its image-name annotation', { skip }, async () => {
  const layer = gzipSync(await tar({ 'srv/index.html': 'hi' }));
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: `sha256:${sha(CONFIG)}`, size: CONFIG.length },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: `sha256:${sha(layer)}`, size: layer.length }],
    }),
  );
  const layout = join(dir, 'layout');
  mkdirSync(join(layout, 'blobs', 'sha256'), { recursive: true });
  for (const b of [layer, manifest, CONFIG]) writeFileSync(join(layout, 'blobs', 'sha256', sha(b)), b);
  writeFileSync(join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
  const entry = { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${sha(manifest)}`, size: manifest.length };
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...entry, annotations: { 'io.containerd.image.name': 'localhost:5000/web:2' } }] }));
  const store = new ImageStore(join(dir, 'home-oci'));
  const [img] = await loadImages(store, layout);
  assert.equal(img.reference, 'localhost:5000/web:2');
  assert.equal(img.digest, `sha256:${sha(manifest)}`);
  assert.equal(readFileSync(join(store.layerDir(img.layers[0].digest), 'srv/index.html'), 'utf8'), 'hi');

  // The same layout as an archive, with only a tag for a name: refused, saying what is missing.
  writeFileSync(join(layout, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests: [{ ...entry, annotations: { 'org.opencontainers.image.ref.name': '2' } }] }));
  const files: Record<string, Buffer> = {};
  for (const f of ['oci-layout', 'index.json']) files[f] = readFileSync(join(layout, f));
  for (const f of readdirSync(join(layout, 'blobs', 'sha256'))) files[`blobs/sha256/${f}`] = readFileSync(join(layout, 'blobs', 'sha256', f));
  writeFileSync(join(dir, 'oci.tar.gz'), gzipSync(await tar(files)));
  await assert.rejects(loadImages(store, join(dir, 'oci.tar.gz')), (e: Error) => e instanceof LoadError && /has no image name/.test(e.message));
  await assert.rejects(loadImages(store, join(dir, 'nothing-here')), /reading .*nothing-here: ENOENT/);
});
