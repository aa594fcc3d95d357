// The machine's image store under $SKIFF_HOME/images, shared by every cluster:
//
//   blobs/<alg>/<hex>     manifests and configs, verified against their digest
//   layers/<alg>/<hex>/   each layer unpacked once (unpack.ts), keyed by its blob's digest
//   refs/<reference>.json what a reference (`docker.io/library/nginx:1.27`) resolved to when
//                         it was last pulled or loaded: its manifest, config and layers
//   tmp/<pid>-…           work in progress; renamed into place only when complete
//   locks/<hex>.lock      who is unpacking that layer now (lock.ts)
//
// Everything is written to tmp/ and renamed into place, so a reader sees a layer or a record
// whole or not at all, and what a killed pull left in tmp/ is removed by the next store user.
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { digestHash, parseDigest, verifyDigest } from './digest.js';
import { alive, withLock } from './lock.js';

/** The part of an OCI image config (`config` in the config blob) that decides how containers run. */
export interface OciImageConfig {
  User?: string;
  Env?: string[] | null;
  Entrypoint?: string[] | null;
  Cmd?: string[] | null;
  WorkingDir?: string;
  Volumes?: Record<string, unknown> | null;
  ExposedPorts?: Record<string, unknown> | null;
  Labels?: Record<string, string> | null;
  StopSignal?: string;
}

export interface StoredLayer {
  digest: string;
  size: number;
  mediaType: string;
}

export interface StoredImage {
  /** The fully qualified reference it was stored under. */
  reference: string;
  /** The digest of the platform's manifest (what `kubectl describe` shows in Image ID after @). */
  digest: string;
  /** The config blob's digest: the image ID. */
  id: string;
  layers: StoredLayer[];
  /** Bytes of config and layer blobs, as containerd counts an image's size. */
  size: number;
  config: OciImageConfig;
  storedAt: string;
}

/** A reference as a file name: `/` and `:` would make directories and break overlay's lowerdir. */
function refFile(reference: string): string {
  return `${encodeURIComponent(reference)}.json`;
}

export class ImageStore {
  readonly dir: string;

  constructor(home: string) {
    this.dir = join(home, 'images');
    for (const d of ['blobs', 'layers', 'refs', 'tmp', 'locks', 'empty']) mkdirSync(join(this.dir, d), { recursive: true });
  }

  /** Removes what dead pulls left in tmp/. */
  sweep(): void {
    for (const name of readdirSync(join(this.dir, 'tmp'))) {
      const pid = Number(name.split('-')[0]);
      if (Number.isInteger(pid) && pid > 0 && !alive(pid)) rmSync(join(this.dir, 'tmp', name), { recursive: true, force: true });
    }
  }

  /** A fresh directory in tmp/ owned by this process. */
  tmpDir(): string {
    return mkdtempSync(join(this.dir, 'tmp', `${process.pid}-`));
  }

  blobPath(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, 'blobs', algorithm, hex);
  }

  readBlob(digest: string): Buffer | undefined {
    try {
      return readFileSync(this.blobPath(digest));
    } catch {
      return undefined;
    }
  }

  /** Stores `data` as the blob `digest` after checking it is that content. */
  writeBlob(digest: string, data: Buffer): void {
    const hash = digestHash(digest).update(data);
    verifyDigest(digest, hash);
    const path = this.blobPath(digest);
    if (existsSync(path)) return;
    mkdirSync(join(path, '..'), { recursive: true });
    const tmp = join(this.tmpDir(), 'blob');
    writeFileSync(tmp, data);
    renameSync(tmp, path);
    rmSync(join(tmp, '..'), { recursive: true, force: true });
  }

  layerDir(digest: string): string {
    const { algorithm, hex } = parseDigest(digest);
    return join(this.dir, 'layers', algorithm, hex);
  }

  hasLayer(digest: string): boolean {
    return existsSync(this.layerDir(digest));
  }

  /**
   * Makes layer `digest` present: `produce` fills a fresh directory, which becomes the layer only
   * if it succeeds. Another process producing the same layer is waited for instead of repeated.
   */
  async addLayer(digest: string, produce: (dir: string) => Promise<void>, signal?: AbortSignal): Promise<void> {
    if (this.hasLayer(digest)) return;
    const { hex } = parseDigest(digest);
    await withLock(
      join(this.dir, 'locks', `${hex}.lock`),
      async () => {
        if (this.hasLayer(digest)) return;
        const work = this.tmpDir();
        try {
          const root = join(work, 'layer');
          mkdirSync(root, { mode: 0o755 });
          await produce(root);
          const final = this.layerDir(digest);
          mkdirSync(join(final, '..'), { recursive: true });
          renameSync(root, final);
        } finally {
          rmSync(work, { recursive: true, force: true });
        }
      },
      signal,
    );
  }

  get(reference: string): StoredImage | undefined {
    let img: StoredImage;
    try {
      img = JSON.parse(readFileSync(join(this.dir, 'refs', refFile(reference)), 'utf8')) as StoredImage;
    } catch {
      return undefined;
    }
    // A record whose layers were pruned meanwhile is not an image any more.
    return img.layers.every((l) => this.hasLayer(l.digest)) ? img : undefined;
  }

  put(img: StoredImage): void {
    const tmp = join(this.tmpDir(), 'ref');
    writeFileSync(tmp, JSON.stringify(img));
    renameSync(tmp, join(this.dir, 'refs', refFile(img.reference)));
    rmSync(join(tmp, '..'), { recursive: true, force: true });
  }

  remove(reference: string): void {
    rmSync(join(this.dir, 'refs', refFile(reference)), { force: true });
  }

  list(): StoredImage[] {
    const out: StoredImage[] = [];
    for (const f of readdirSync(join(this.dir, 'refs'))) {
      if (!f.endsWith('.json')) continue;
      const img = this.get(decodeURIComponent(f.slice(0, -'.json'.length)));
      if (img) out.push(img);
    }
    return out;
  }

  /** The unpacked layers `digests` (bottom first, as a manifest lists them) as unpacking reads them: topmost first. */
  parentDirs(digests: string[]): string[] {
    return digests.map((d) => this.layerDir(d)).reverse();
  }

  /** overlayfs lowerdir for the image: its layers, topmost first (an empty directory for none). */
  lowerDirs(img: StoredImage): string {
    if (img.layers.length === 0) return join(this.dir, 'empty');
    return this.parentDirs(img.layers.map((l) => l.digest)).join(':');
  }
}
