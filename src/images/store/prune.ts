// `skiff images prune`: removes from the shared store what no container on this machine uses.
// A container uses the layers its overlay is mounted from, and every container's shim names them
// on its command line (the runtime's lowerdir), so the running processes say what is in use,
// whichever cluster they belong to; nothing needs the clusters' APIs.
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageStore, StoredImage } from './store.js';

/** Layer directories named on any process's command line (the overlays of running containers). */
export function layersInUse(store: ImageStore, procDir = '/proc'): Set<string> {
  const prefix = join(store.dir, 'layers') + '/';
  const used = new Set<string>();
  for (const e of readdirSync(procDir)) {
    if (!/^\d+$/.test(e)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(join(procDir, e, 'cmdline'), 'utf8');
    } catch {
      continue;
    }
    if (!cmdline.includes(prefix)) continue;
    for (const arg of cmdline.split('\0')) for (const p of arg.split(':')) if (p.startsWith(prefix)) used.add(p);
  }
  return used;
}

export interface PruneResult {
  images: string[];
  layers: number;
}

/** Removes images no running container is made of (all their layers mounted), then layers and blobs no kept image names. */
export function pruneStore(store: ImageStore, inUse: Set<string> = layersInUse(store)): PruneResult {
  store.sweep();
  const kept: StoredImage[] = [];
  const removed: string[] = [];
  for (const img of store.list()) {
    if (img.layers.length > 0 && img.layers.every((l) => inUse.has(store.layerDir(l.digest)))) kept.push(img);
    else {
      store.remove(img.reference);
      removed.push(img.reference);
    }
  }
  const keepLayers = new Set([...kept.flatMap((i) => i.layers.map((l) => store.layerDir(l.digest))), ...inUse]);
  let layers = 0;
  const layersRoot = join(store.dir, 'layers');
  for (const alg of readdirSync(layersRoot)) {
    for (const hex of readdirSync(join(layersRoot, alg))) {
      const dir = join(layersRoot, alg, hex);
      if (keepLayers.has(dir)) continue;
      rmSync(dir, { recursive: true, force: true });
      layers++;
    }
  }
  const keepBlobs = new Set(kept.flatMap((i) => [store.blobPath(i.id), store.blobPath(i.digest)]));
  const blobsRoot = join(store.dir, 'blobs');
  for (const alg of readdirSync(blobsRoot)) {
    for (const hex of readdirSync(join(blobsRoot, alg))) {
      const path = join(blobsRoot, alg, hex);
      if (!keepBlobs.has(path)) rmSync(path, { force: true });
    }
  }
  return { images: removed, layers };
}
