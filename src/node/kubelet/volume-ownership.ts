// fsGroup ownership of pod volumes, as pkg/volume/volume_linux.go SetVolumeOwnership: every
// file and directory of the volume is given to the fsGroup (lchown, the owner kept), gets group
// read-write (read-only for read-only volumes such as the atomic-writer ones), and directories
// get group search and setgid so that new files inherit the group. fsGroupChangePolicy
// OnRootMismatch skips the walk when the root already has all of that.
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, statSync, type Stats } from 'node:fs';
import { join } from 'node:path';

const RW_MASK = 0o660;
const RO_MASK = 0o440;
const EXEC_MASK = 0o110;
const S_ISGID = 0o2000;

export interface OwnershipOptions {
  /** The mounter's ReadOnly attribute: true for configMap, secret, downwardAPI and projected. */
  readOnly: boolean;
  /**
   * The pod's fsGroupChangePolicy. Upstream passes none for emptyDir and the atomic-writer
   * volumes (their SetUpAt calls with nil), so it only matters to volumes that pass it.
   */
  changePolicy?: string;
}

/** Applies fsGroup to dir and everything under it; a no-op without fsGroup. */
export function setVolumeOwnership(dir: string, fsGroup: number | undefined, opts: OwnershipOptions): void {
  if (fsGroup === undefined) return;
  if (opts.changePolicy === 'OnRootMismatch' && !requiresPermissionChange(dir, fsGroup, opts.readOnly)) return;
  walkDeep(dir, (path, st) => changeFilePermission(path, fsGroup, opts.readOnly, st));
}

/**
 * Whether the root lacks the group, the group bits or setgid (volume_linux.go
 * requiresPermissionChange); a root that is not a directory always needs the walk.
 */
export function requiresPermissionChange(dir: string, fsGroup: number, readOnly: boolean): boolean {
  let st: Stats;
  try {
    st = statSync(dir);
  } catch {
    return true;
  }
  if (st.gid !== fsGroup) return true;
  if (!st.isDirectory()) return true;
  const want = (readOnly ? RO_MASK : RW_MASK) | EXEC_MASK;
  return (st.mode & want) !== want || (st.mode & S_ISGID) === 0;
}

/**
 * One entry: group to fsGroup, then the mode bits, except on symlinks, whose chmod would reach
 * the file they point at and override the mode the volume gave it. Failures are left as they
 * are (upstream logs them and goes on).
 */
function changeFilePermission(path: string, fsGroup: number, readOnly: boolean, st: Stats): void {
  try {
    lchownSync(path, -1, fsGroup);
  } catch {
    // Logged upstream, not fatal.
  }
  if (st.isSymbolicLink()) return;
  let mask = readOnly ? RO_MASK : RW_MASK;
  if (st.isDirectory()) mask |= S_ISGID | EXEC_MASK;
  try {
    chmodSync(path, (st.mode & 0o7777) | mask);
  } catch {
    // Logged upstream, not fatal.
  }
}

/** Children before their directory (walkDeep), without following symlinks. */
function walkDeep(root: string, fn: (path: string, st: Stats) => void): void {
  const st = lstatSync(root);
  if (st.isDirectory()) for (const name of readdirSync(root)) walkDeep(join(root, name), fn);
  fn(root, st);
}

/**
 * emptyDir's first SetUp (empty_dir.go setupDir, then SetVolumeOwnership without a policy): a
 * 0777 directory, chmodded only when the umask took bits away, so a later call does not clear
 * the setgid bit fsGroup gave it. Later calls leave an existing directory alone, as upstream's
 * ready marker does.
 */
export function setUpEmptyDir(dir: string, fsGroup: number | undefined): void {
  let fresh = false;
  try {
    statSync(dir);
  } catch {
    fresh = true;
  }
  if (!fresh) return;
  mkdirSync(dir, { recursive: true, mode: 0o777 });
  if ((statSync(dir).mode & 0o777) !== 0o777) chmodSync(dir, 0o777);
  setVolumeOwnership(dir, fsGroup, { readOnly: false });
}
