// Pulls an image into the store: resolves the reference to the manifest for this platform,
// fetches and verifies its config and layers, unpacks each layer once, and records what the
// reference resolved to. Errors carry containerd's wording, which the kubelet passes on.
import { createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fullReference, type ImageReference } from '../reference.js';
import { DigestError, digestHash, parseDigest, sha256Digest, verifyDigest } from '../store/digest.js';
import type { ImageStore, OciImageConfig, StoredImage } from '../store/store.js';
import { unpackBlob } from '../store/layer-blob.js';
import type { Credentials } from './auth.js';
import { PullError } from './pull-error.js';
import { networkCause, RegistryError, RepositoryClient } from './client.js';
import { MANIFEST_ACCEPT, ManifestError, parseManifest, selectPlatform, type Descriptor, type ImageManifest } from './manifest.js';

export interface PullOptions {
  store: ImageStore;
  ref: ImageReference;
  credentials?: Credentials[];
  timeoutMs?: number;
  signal?: AbortSignal;
}

const LAYER_CONCURRENCY = 3;

export async function pullImage(o: PullOptions): Promise<StoredImage> {
  const full = fullReference(o.ref);
  const client = new RepositoryClient(o.ref.domain, o.ref.path, { credentials: o.credentials, timeoutMs: o.timeoutMs, signal: o.signal });
  o.store.sweep();
  let resolved: { manifest: ImageManifest; digest: string };
  try {
    resolved = await resolveManifest(client, o.store, o.ref);
  } catch (e) {
    if (e instanceof RegistryError && e.status === 404) {
      throw new PullError('NotFound', `failed to pull and unpack image "${full}": failed to resolve reference "${full}": ${full}: not found`);
    }
    throw wrap(e, `failed to pull and unpack image "${full}": failed to resolve reference "${full}"`);
  }
  const { manifest, digest } = resolved;
  try {
    const configBlob = await fetchBlob(client, o.store, manifest.config);
    const config = parseConfig(configBlob);
    await fetchLayers(client, o.store, manifest.layers, o.signal);
    const img: StoredImage = {
      reference: full,
      digest,
      id: manifest.config.digest,
      layers: manifest.layers.map((l) => ({ digest: l.digest, size: l.size, mediaType: l.mediaType })),
      size: manifest.config.size + manifest.layers.reduce((n, l) => n + l.size, 0),
      config,
      storedAt: new Date().toISOString(),
    };
    o.store.put(img);
    return img;
  } catch (e) {
    throw wrap(e, `failed to pull and unpack image "${full}"`);
  }
}

function wrap(e: unknown, context: string): PullError {
  if (e instanceof PullError) return e;
  const unreachable = e instanceof RegistryError && e.status === 0;
  const message = `${context}: ${(e as Error).message}`;
  return new PullError('Unknown', message, unreachable);
}

async function readManifest(client: RepositoryClient, reference: string, expected?: string): Promise<{ body: Buffer; type: string; digest: string }> {
  const res = await client.get(client.manifestURL(reference), MANIFEST_ACCEPT);
  const body = Buffer.from(await res.arrayBuffer());
  if (expected) verifyDigest(expected, digestHash(expected).update(body));
  return { body, type: res.headers.get('content-type') ?? '', digest: expected ?? sha256Digest(body) };
}

async function resolveManifest(client: RepositoryClient, store: ImageStore, ref: ImageReference): Promise<{ manifest: ImageManifest; digest: string }> {
  const top = await readManifest(client, ref.digest ?? ref.tag ?? 'latest', ref.digest);
  const parsed = parseManifest(top.body, top.type);
  if (parsed.kind === 'manifest') {
    store.writeBlob(top.digest, top.body);
    return { manifest: parsed, digest: top.digest };
  }
  const entry = selectPlatform(parsed);
  const own = await readManifest(client, entry.digest, entry.digest);
  const manifest = parseManifest(own.body, own.type);
  if (manifest.kind !== 'manifest') throw new ManifestError(`the index entry ${entry.digest} is itself an index`);
  store.writeBlob(own.digest, own.body);
  return { manifest, digest: own.digest };
}

async function fetchBlob(client: RepositoryClient, store: ImageStore, d: Descriptor): Promise<Buffer> {
  const have = store.readBlob(d.digest);
  if (have) return have;
  const res = await client.get(client.blobURL(d.digest));
  const data = Buffer.from(await res.arrayBuffer());
  try {
    store.writeBlob(d.digest, data);
  } catch (e) {
    if (e instanceof DigestError) throw new DigestError(`failed to copy: failed to verify ${d.digest}: ${e.message}`);
    throw e;
  }
  return data;
}

function parseConfig(blob: Buffer): OciImageConfig {
  try {
    const doc = JSON.parse(blob.toString('utf8')) as { config?: OciImageConfig };
    return doc.config ?? {};
  } catch (e) {
    throw new ManifestError(`the image config is not JSON: ${(e as Error).message}`);
  }
}

/** A pass-through stream that hashes what goes through it. */
function hashing(digest: string): { stream: Transform; verify: () => void } {
  const hash = digestHash(digest);
  const stream = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      cb(null, chunk);
    },
  });
  return { stream, verify: () => verifyDigest(digest, hash) };
}

/**
 * Downloads the layer blob into `dir` while hashing it; a blob that does not match its digest
 * is refused, so a corrupted one never reaches a container's root.
 */
async function downloadLayer(client: RepositoryClient, layer: Descriptor, dir: string): Promise<string> {
  const blob = join(dir, parseDigest(layer.digest).hex);
  const res = await client.get(client.blobURL(layer.digest));
  const h = hashing(layer.digest);
  try {
    await pipeline(RepositoryClient.stream(res), h.stream, createWriteStream(blob));
  } catch (e) {
    throw new RegistryError(`failed to copy ${layer.digest}: ${networkCause(e)}`, 0);
  }
  try {
    h.verify();
  } catch (e) {
    throw new DigestError(`failed to copy: failed to verify ${layer.digest}: ${(e as Error).message}`);
  }
  return blob;
}

/**
 * Makes the image's layers present in the store. Blobs download a few at a time; each layer is
 * unpacked in order, once the ones below it are, since unpacking reads them (unpack.ts).
 */
async function fetchLayers(client: RepositoryClient, store: ImageStore, layers: Descriptor[], signal?: AbortSignal): Promise<void> {
  const work = store.tmpDir();
  let running = 0;
  let stopped = false;
  const waiting: (() => void)[] = [];
  const limited = async (layer: Descriptor): Promise<string> => {
    while (running >= LAYER_CONCURRENCY) await new Promise<void>((r) => waiting.push(r));
    if (stopped) throw new Error('the pull stopped');
    running++;
    try {
      return await downloadLayer(client, layer, work);
    } finally {
      running--;
      waiting.shift()?.();
    }
  };
  const downloads = new Map<string, Promise<string>>();
  for (const l of layers) if (!store.hasLayer(l.digest) && !downloads.has(l.digest)) downloads.set(l.digest, limited(l));
  // Each is awaited below, or left when an earlier layer failed.
  for (const p of downloads.values()) p.catch(() => undefined);
  try {
    for (const [i, layer] of layers.entries()) {
      const below = store.parentDirs(layers.slice(0, i).map((l) => l.digest));
      await store.addLayer(
        layer.digest,
        async (dir) => {
          // A layer that was present when the pull began may have been pruned meanwhile.
          const blob = await (downloads.get(layer.digest) ?? downloadLayer(client, layer, work));
          await unpackBlob(blob, dir, layer.mediaType, below);
        },
        signal,
      );
    }
  } finally {
    stopped = true;
    await Promise.allSettled(downloads.values());
    rmSync(work, { recursive: true, force: true });
  }
}
