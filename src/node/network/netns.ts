// Named network namespaces (`ip netns`): which exist, creating and deleting them.
//
// A named namespace is a bind mount of the namespace onto /var/run/netns/<name>. Such a mount is
// only seen by the host (the CLI, `skiff down`, `ip netns list`) when it is made in the host's
// mount namespace. `ip netns exec` runs its command in a private mount namespace that only
// receives mounts from the host, so a pod namespace created by a process started that way would
// be invisible to the host and vanish with the process. Processes that create pod namespaces
// (the node agent) must therefore enter the node namespace with `nsenter --net=…` instead.
import { readdirSync, readFileSync, realpathSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, ip } from './ip.js';
import { NETNS_DIR } from './names.js';

/** Argv prefix that runs a command in a named network namespace but in the caller's mount namespace. */
export function netnsExecArgv(name: string): string[] {
  return ['nsenter', `--net=${join(NETNS_DIR, name)}`, '--'];
}

function resolvedNetnsDir(): string {
  try {
    return join(realpathSync(join(NETNS_DIR, '..')), 'netns');
  } catch {
    return NETNS_DIR;
  }
}

interface MountLine {
  mountPoint: string;
  optional: string[];
}

/** Parses /proc/self/mountinfo (mount point and the optional propagation fields of each line). */
export function parseMountinfo(text: string): MountLine[] {
  const out: MountLine[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 7 || sep < 6) continue;
    out.push({ mountPoint: f[4].replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))), optional: f.slice(6, sep) });
  }
  return out;
}

/** What this process's mount namespace says about named network namespaces. */
export interface NetnsMounts {
  /** Names pinned by a bind mount (namespaces that exist). */
  pinned: Set<string>;
  /**
   * True when /var/run/netns only receives mounts from another mount namespace (the private
   * copy `ip netns exec` makes): namespaces added from here would not be seen by the host.
   */
  receiveOnly: boolean;
}

export function netnsMountsFrom(mountinfo: string, dir: string): NetnsMounts {
  const pinned = new Set<string>();
  let receiveOnly = false;
  for (const m of parseMountinfo(mountinfo)) {
    if (m.mountPoint === dir) {
      const shared = m.optional.some((o) => o.startsWith('shared:'));
      const slave = m.optional.some((o) => o.startsWith('master:'));
      receiveOnly = slave && !shared;
    } else if (m.mountPoint.startsWith(dir + '/')) {
      pinned.add(m.mountPoint.slice(dir.length + 1));
    }
  }
  return { pinned, receiveOnly };
}

export function netnsMounts(): NetnsMounts {
  return netnsMountsFrom(readFileSync('/proc/self/mountinfo', 'utf8'), resolvedNetnsDir());
}

let receiveOnly: boolean | undefined;

/**
 * This process's netnsMounts().receiveOnly, read once: a process's mount namespace does not
 * change, and the mount table grows with every pod of every cluster on the machine (reading it
 * cost ~20 ms of the agent's CPU per pod once a node held 100).
 */
export function netnsDirReceiveOnly(): boolean {
  receiveOnly ??= netnsMounts().receiveOnly;
  return receiveOnly;
}

/** statfs(2)'s type of a namespace file (nsfs). */
const NSFS_MAGIC = 0x6e736673;

/**
 * Whether the named namespace is pinned, as netnsMounts().pinned says, by one statfs of its file:
 * a pinned one is a namespace (nsfs); a file a failed mount left is not.
 */
export function netnsPinned(name: string): boolean {
  try {
    return statfsSync(join(NETNS_DIR, name)).type === NSFS_MAGIC;
  } catch {
    return false;
  }
}

/** Fails with an explanation when namespaces created by this process would not be seen by the host. */
export function assertHostVisible(mounts: Pick<NetnsMounts, 'receiveOnly'>, what: string): void {
  if (mounts.receiveOnly) {
    throw new Error(
      `${what}: this process runs in a private mount namespace (was it started with \`ip netns exec\`?), ` +
        `so network namespaces it creates or deletes would not be seen by the host; ` +
        `start it with \`nsenter --net=${NETNS_DIR}/<node namespace>\` instead`,
    );
  }
}

/** Entries of /var/run/netns: pinned namespaces and stale files left by a failed mount. */
export function netnsFiles(): string[] {
  try {
    return readdirSync(NETNS_DIR);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
}

/**
 * Creates the namespace unless it is pinned already; returns whether it was created. Its lo is
 * brought up too, unless `loopback` is false: then the caller does (loopbackUp) beside its own
 * work in the new namespace.
 */
export async function ensureNetns(name: string, mounts: NetnsMounts, o: { loopback?: boolean } = {}): Promise<boolean> {
  if (mounts.pinned.has(name)) return false;
  // A file without a mount is what a crash or a private mount namespace leaves; `ip netns add` refuses it.
  if (netnsFiles().includes(name)) await deleteNetns(name);
  await ip(undefined, ['netns', 'add', name], `creating network namespace ${name}`);
  mounts.pinned.add(name);
  if (o.loopback !== false) await loopbackUp(name);
  return true;
}

export async function loopbackUp(name: string): Promise<void> {
  await ip(name, ['link', 'set', 'lo', 'up'], `bringing up lo in network namespace ${name}`);
}

/** Deletes a named namespace; its interfaces (veth ends included) go with it. Missing is fine. */
export async function deleteNetns(name: string): Promise<void> {
  if (!netnsFiles().includes(name)) return;
  try {
    await ip(undefined, ['netns', 'delete', name], `deleting network namespace ${name}`);
  } catch (e) {
    // Someone else deleted it between the listing and the delete.
    if (e instanceof CommandError && !netnsFiles().includes(name)) return;
    throw e;
  }
}
