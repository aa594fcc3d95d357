// Roots for the built-in images. A container's root is its image, never the host's /: each
// built-in image gets a small tree assembled for it (its base's skeleton, busybox applets, the
// /etc files the real image has, mountpoints), meant to be the read-only lower layer of the
// container's overlay, and a list of host files to bind read-only over it (root-mounts.ts).
import { createHash } from 'node:crypto';
import {
  chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { BUILTIN_IMAGES } from './catalog.js';
import { imageEtc, parseGroup, parsePasswd } from './etc-files.js';
import { lookupKeys, parseReference } from './reference.js';
import { builtinRoot, type RootOptions } from './root-mounts.js';
import { rootPlan, type RootEntry } from './root-plan.js';

export { imageMounts, toContainerPaths, type ImageMount, type RootOptions } from './root-mounts.js';

/** Bumped when the way a plan is written changes without the plan changing. */
const FORMAT = 1;

/** The catalog key (catalog.ts names[0]) of a built-in image reference; undefined for other images. */
export function builtinRootKey(image: string): string | undefined {
  let keys: string[];
  try {
    keys = lookupKeys(parseReference(image));
  } catch {
    return undefined;
  }
  for (const key of keys) {
    const img = BUILTIN_IMAGES.find((i) => i.names.includes(key));
    if (img) return img.names[0];
  }
  return undefined;
}

/** `e2e-test-images/agnhost` → `e2e-test-images-agnhost`: one path component. */
function slug(key: string): string {
  return key.replace(/[^A-Za-z0-9._-]+/g, '-');
}

export function planHash(key: string, plan: RootEntry[]): string {
  return createHash('sha256').update(JSON.stringify({ format: FORMAT, key, plan })).digest('hex').slice(0, 12);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Temporary trees of assemblies whose process died (a crash mid-way) are garbage. */
function removeStale(dir: string): void {
  for (const name of readdirSync(dir)) {
    const m = /\.tmp-(\d+)-[^/]*$/.exec(name);
    if (m && name.startsWith('.') && !alive(Number(m[1]))) rmSync(join(dir, name), { recursive: true, force: true });
  }
}

function write(root: string, plan: RootEntry[]): void {
  // Owners are the image's (nobody's /home, curl_user's home); only root can give them away, and
  // only root runs containers, so an unprivileged assembly (a unit test) keeps its own.
  const asRoot = process.getuid?.() === 0;
  for (const e of plan) {
    const p = join(root, e.path);
    if (e.type === 'link') {
      symlinkSync(e.target, p);
      continue;
    }
    if (e.type === 'dir') mkdirSync(p);
    else writeFileSync(p, e.content, { flag: 'wx' });
    // chown before chmod: chown clears set-id bits.
    if (asRoot) chownSync(p, e.uid, e.gid);
    chmodSync(p, e.mode);
  }
}

/**
 * Builds (once) the root of the built-in image `key` under `dir` and returns its path,
 * `<dir>/<key>-<hash of its contents>`. The tree is written under a temporary name and renamed
 * into place, so the final path exists only complete, and two processes assembling the same
 * root at once both end with it (the loser's rename fails and its copy is dropped).
 */
export function assembleRoot(key: string, dir: string, opts: RootOptions = {}): string {
  const plan = rootPlan(key, opts);
  const final = join(dir, `${slug(key)}-${planHash(key, plan)}`);
  if (existsSync(final)) return final;
  mkdirSync(dir, { recursive: true });
  removeStale(dir);
  const tmp = mkdtempSync(join(dir, `.${slug(key)}.tmp-${process.pid}-`));
  try {
    write(tmp, plan);
    chmodSync(tmp, 0o755);
    renameSync(tmp, final);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    if (existsSync(final)) return final;
    throw new Error(`assembling the root of ${key} in ${final}: ${(err as Error).message}`, { cause: err });
  }
  return final;
}

export interface ImageUser {
  /** The image config's User as written; '' when it names none (root). */
  user: string;
  uid: number;
  gid: number;
  /** The primary gid and the groups /etc/group lists the user in, as containerd's WithAdditionalGIDs finds them. */
  additionalGids: number[];
  /** The passwd entry's home (containerd sets HOME from it); '/' when the user has no entry. */
  home: string;
}

function numeric(s: string): number | undefined {
  return /^\d+$/.test(s) ? Number(s) : undefined;
}

/**
 * The uid/gid a container of the image runs as by default, resolved against the image's own
 * /etc/passwd and /etc/group as containerd resolves the config's User (`name`, `uid`,
 * `name:group`, `uid:gid`). A numeric User is what the kubelet's runAsNonRoot check can verify;
 * a name (curl_user) it cannot, and says so.
 */
export function imageUser(key: string): ImageUser {
  const spec = builtinRoot(key);
  const etc = imageEtc(spec.base, spec.etc);
  return resolveImageUser(spec.user, etc, `image ${key}`);
}

/** An image config's User resolved against the image's /etc/passwd and /etc/group texts. */
export function resolveImageUser(user: string, etc: { passwd: string; group: string }, what: string): ImageUser {
  const passwd = parsePasswd(etc.passwd);
  const groups = parseGroup(etc.group);
  const [userPart, groupPart] = user === '' ? ['0', undefined] : user.split(':');
  const uidNum = numeric(userPart);
  const entry = uidNum !== undefined ? passwd.find((p) => p.uid === uidNum) : passwd.find((p) => p.name === userPart);
  if (!entry && uidNum === undefined) throw new Error(`${what}: user ${userPart} is not in its /etc/passwd`);
  const uid = uidNum ?? entry!.uid;
  let gid = entry?.gid ?? 0;
  if (groupPart !== undefined) {
    const g = numeric(groupPart) ?? groups.find((x) => x.name === groupPart)?.gid;
    if (g === undefined) throw new Error(`${what}: group ${groupPart} is not in its /etc/group`);
    gid = g;
  }
  const name = entry?.name;
  // containerd leaves out the group named like the user: it wants supplemental groups only.
  const supplemental = name ? groups.filter((g) => g.name !== name && g.members.includes(name)).map((g) => g.gid) : [];
  return {
    user,
    uid,
    gid,
    additionalGids: [...new Set([gid, ...supplemental])].sort((a, b) => a - b),
    home: entry?.home ?? '/',
  };
}
