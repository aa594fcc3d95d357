// `skiff load`: images from files into the store, as `kind load` does, for images built locally
// (`docker build` + `docker save`, `podman save`, `buildah push … oci-archive:`, an OCI layout
// directory). Layers are checked against their digests and unpacked once, as pulled ones are.
import { createReadStream, createWriteStream, existsSync, promises as fs, statSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';
import { fullReference, parseReference } from './reference.js';
import { parseManifest, selectPlatform, type Descriptor, type ImageManifest } from './registry/manifest.js';
import { unpackBlob } from './store/layer-blob.js';
import { digestHash, parseDigest, sha256Digest, verifyDigest } from './store/digest.js';
import type { ImageStore, OciImageConfig, StoredImage, StoredLayer } from './store/store.js';

export class LoadError extends Error {}

async function fileDigest(path: string, algorithm = 'sha256'): Promise<string> {
  const hash = digestHash(`${algorithm}:${'0'.repeat(algorithm === 'sha256' ? 64 : 128)}`);
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return `${algorithm}:${hash.digest('hex')}`;
}

/** Unpacks an archive's files (no owners, links or devices: an image archive has none) into `dir`. */
async function extractArchive(file: string, dir: string): Promise<void> {
  const head = Buffer.alloc(2);
  const fh = await fs.open(file, 'r');
  await fh.read(head, 0, 2, 0);
  await fh.close();
  const ex = extract();
  ex.on('entry', (h, body, next) => {
    const rel = posix.normalize(`/${h.name}`).slice(1);
    const path = join(dir, rel);
    const done = (e?: Error) => (e ? next(e) : next());
    if (h.type === 'directory' || rel === '') {
      body.resume();
      fs.mkdir(path, { recursive: true }).then(() => done(), done);
    } else if (h.type === 'file') {
      fs.mkdir(dirname(path), { recursive: true })
        .then(() => pipeline(body, createWriteStream(path)))
        .then(() => done(), done);
    } else {
      body.resume();
      done();
    }
  });
  const src: Readable = createReadStream(file);
  if (head[0] === 0x1f && head[1] === 0x8b) await pipeline(src, createGunzip(), ex);
  else await pipeline(src, ex);
}

async function readJSON<T>(path: string, what: string): Promise<T> {
  try {
    return JSON.parse(await fs.readFile(path, 'utf8')) as T;
  } catch (e) {
    throw new LoadError(`reading ${what}: ${(e as Error).message}`);
  }
}

/** Unpacks the layer over those before it in the image (`below`, bottom first). */
async function addLayerFile(store: ImageStore, file: string, digest: string, mediaType: string, below: string[]): Promise<void> {
  await store.addLayer(digest, (dir) => unpackBlob(file, dir, mediaType, store.parentDirs(below)));
}

/** `docker save`: manifest.json names each image's config, tags and layer tars. */
async function loadDockerArchive(store: ImageStore, root: string): Promise<StoredImage[]> {
  const entries = await readJSON<{ Config: string; RepoTags?: string[] | null; Layers: string[] }[]>(join(root, 'manifest.json'), 'manifest.json');
  const out: StoredImage[] = [];
  for (const e of entries) {
    const configPath = join(root, posix.normalize(`/${e.Config}`));
    const configBlob = await fs.readFile(configPath);
    const id = sha256Digest(configBlob);
    const layers: StoredLayer[] = [];
    for (const l of e.Layers) {
      const path = join(root, posix.normalize(`/${l}`));
      const digest = await fileDigest(path);
      await addLayerFile(store, path, digest, 'application/vnd.docker.image.rootfs.diff.tar', layers.map((x) => x.digest));
      layers.push({ digest, size: statSync(path).size, mediaType: 'application/vnd.docker.image.rootfs.diff.tar' });
    }
    store.writeBlob(id, configBlob);
    const config = (JSON.parse(configBlob.toString('utf8')) as { config?: OciImageConfig }).config ?? {};
    for (const tag of e.RepoTags ?? []) {
      const img: StoredImage = { reference: fullReference(parseReference(tag)), digest: id, id, layers, size: configBlob.length + layers.reduce((n, l) => n + l.size, 0), config, storedAt: new Date().toISOString() };
      store.put(img);
      out.push(img);
    }
  }
  return out;
}

function blobPath(root: string, digest: string): string {
  const { algorithm, hex } = parseDigest(digest);
  return join(root, 'blobs', algorithm, hex);
}

async function readBlob(root: string, d: Descriptor): Promise<Buffer> {
  const data = await fs.readFile(blobPath(root, d.digest)).catch((e: Error) => {
    throw new LoadError(`blob ${d.digest} is missing from the layout: ${e.message}`);
  });
  verifyDigest(d.digest, digestHash(d.digest).update(data));
  return data;
}

/** The image's name in an OCI layout: containerd's full-name annotation, or ref.name when it is a full reference. */
function layoutName(d: Descriptor & { annotations?: Record<string, string> }): string | undefined {
  const a = d.annotations ?? {};
  const name = a['io.containerd.image.name'] ?? a['org.opencontainers.image.ref.name'];
  // A ref.name that is only a tag (`1.0`, as skopeo and umoci write it) names no repository.
  if (!name || (!name.includes('/') && !name.includes(':'))) return undefined;
  return fullReference(parseReference(name));
}

/** An OCI layout (a directory, or an `oci-archive` unpacked): index.json names the images. */
async function loadLayout(store: ImageStore, root: string): Promise<StoredImage[]> {
  const index = await readJSON<{ manifests?: (Descriptor & { annotations?: Record<string, string> })[] }>(join(root, 'index.json'), 'index.json');
  const out: StoredImage[] = [];
  for (const top of index.manifests ?? []) {
    const reference = layoutName(top);
    if (!reference) throw new LoadError(`the layout's image ${top.digest} has no image name (annotation io.containerd.image.name, or a ref.name that is a full reference)`);
    let desc: Descriptor = top;
    let parsed = parseManifest(await readBlob(root, desc), desc.mediaType);
    if (parsed.kind === 'index') {
      desc = selectPlatform(parsed);
      parsed = parseManifest(await readBlob(root, desc), desc.mediaType);
    }
    if (parsed.kind !== 'manifest') throw new LoadError(`${reference}: ${desc.digest} is an index inside an index`);
    const manifest: ImageManifest = parsed;
    const configBlob = await readBlob(root, manifest.config);
    for (const [i, l] of manifest.layers.entries()) {
      const path = blobPath(root, l.digest);
      if (!existsSync(path)) throw new LoadError(`${reference}: layer ${l.digest} is missing from the layout`);
      if ((await fileDigest(path, parseDigest(l.digest).algorithm)) !== l.digest) throw new LoadError(`${reference}: layer ${l.digest} does not match its digest`);
      await addLayerFile(store, path, l.digest, l.mediaType, manifest.layers.slice(0, i).map((x) => x.digest));
    }
    store.writeBlob(manifest.config.digest, configBlob);
    const config = (JSON.parse(configBlob.toString('utf8')) as { config?: OciImageConfig }).config ?? {};
    const img: StoredImage = {
      reference,
      digest: desc.digest,
      id: manifest.config.digest,
      layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
      config,
      storedAt: new Date().toISOString(),
    };
    store.put(img);
    out.push(img);
  }
  return out;
}

/** Loads every image in `path` (a `docker save` or OCI archive, or an OCI layout directory). */
export async function loadImages(store: ImageStore, path: string): Promise<StoredImage[]> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    throw new LoadError(`reading ${path}: ${(e as Error).message}`);
  }
  let root = path;
  let work: string | undefined;
  try {
    if (!st.isDirectory()) {
      work = store.tmpDir();
      root = join(work, 'archive');
      await extractArchive(path, root);
    }
    if (existsSync(join(root, 'manifest.json'))) return await loadDockerArchive(store, root);
    if (existsSync(join(root, 'index.json'))) return await loadLayout(store, root);
    throw new LoadError(`${path} is neither a docker save archive (manifest.json) nor an OCI layout or archive (index.json)`);
  } catch (e) {
    if (e instanceof LoadError) throw e;
    throw new LoadError(`loading ${path}: ${(e as Error).message}`);
  } finally {
    if (work) await fs.rm(work, { recursive: true, force: true });
  }
}
