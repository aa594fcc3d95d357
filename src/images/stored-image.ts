// An image from the store as the kubelet runs it: its OCI config (ENTRYPOINT, CMD, Env,
// WorkingDir, User) in skiff's ImageConfig terms, and the root its containers get (an overlay of
// its layers), with the user its config names resolved against its own /etc/passwd.
import { lstatSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ImageConfig } from './config.js';
import { resolveImageUser, type ImageUser } from './rootfs.js';
import type { ImageStore, StoredImage } from './store/store.js';

/** `K=V` entries of an image config's Env as a map, in order (a later duplicate wins, as in Docker). */
export function envMap(env: string[] | null | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of env ?? []) {
    const eq = e.indexOf('=');
    if (eq > 0) out[e.slice(0, eq)] = e.slice(eq + 1);
  }
  return out;
}

export function storedImageConfig(img: StoredImage, store: ImageStore): ImageConfig {
  const c = img.config;
  const env = envMap(c.Env);
  return {
    entrypoint: c.Entrypoint ?? [],
    cmd: c.Cmd ?? [],
    ...(Object.keys(env).length ? { env } : {}),
    ...(c.WorkingDir ? { workingDir: c.WorkingDir } : {}),
    stored: { reference: img.reference, id: img.id, digest: img.digest, lowerDirs: store.lowerDirs(img), user: c.User ?? '', size: img.size },
  };
}

/**
 * The file at `rel` as the overlay of `lowerDirs` (topmost first) shows it: the first layer that
 * has it or whites it out (a 0:0 character device) decides.
 */
export function readThroughLayers(lowerDirs: string, rel: string): string | undefined {
  for (const dir of lowerDirs.split(':')) {
    const path = join(dir, rel);
    let st;
    try {
      st = lstatSync(path);
    } catch {
      continue;
    }
    if (st.isCharacterDevice() && st.rdev === 0) return undefined;
    if (!st.isFile()) return undefined;
    return readFileSync(path, 'utf8');
  }
  return undefined;
}

export interface StoredRoot {
  /** overlayfs lowerdir: the image's layers, topmost first. */
  rootfs: string;
  user: ImageUser;
  etc: { passwd: string; group: string };
}

export function storedRoot(stored: NonNullable<ImageConfig['stored']>): StoredRoot {
  const etc = { passwd: readThroughLayers(stored.lowerDirs, 'etc/passwd') ?? '', group: readThroughLayers(stored.lowerDirs, 'etc/group') ?? '' };
  let user: ImageUser;
  try {
    user = resolveImageUser(stored.user, etc, `image ${stored.reference}`);
  } catch {
    // A name the image's passwd lacks: containerd refuses it when creating the container
    // ("no users found", security-context.ts); until then it stands as written.
    user = { user: stored.user, uid: 0, gid: 0, additionalGids: [0], home: '/' };
  }
  return { rootfs: stored.lowerDirs, user, etc };
}
