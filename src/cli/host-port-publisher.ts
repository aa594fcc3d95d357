// The host-port publisher of a cluster: one process in the host network namespace (with its
// forwarder child in node 1's namespace), started by `skiff up` when missing, recognised by its
// command line, stopped with SIGTERM then SIGKILL by `skiff stop` and `skiff down`.
import { readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClusterPaths } from '../cluster/home.js';
import { cmdline, spawnDetached, terminate } from './processes.js';

const PUBLISHER_ENTRY_RE = /[/\\]host-ports[/\\]main\.js$/;
const FORWARDER_ENTRY_RE = /[/\\]host-ports[/\\]forwarder\.js$/;

function publisherEntry(): string {
  return fileURLToPath(new URL('../node/network/host-ports/main.js', import.meta.url));
}

export function publisherArgs(home: string, cluster: string): string[] {
  return [publisherEntry(), '--cluster', cluster, '--home', home];
}

export function publisherLogPath(paths: ClusterPaths): string {
  return join(paths.dir, 'host-ports.log');
}

function publisherPidPath(paths: ClusterPaths): string {
  return join(paths.dir, 'host-ports.pid');
}

/** Whether argv runs the entry matching `entry` for exactly this cluster in this home. */
export function isHostPortsCommandLine(argv: readonly string[], entry: RegExp, home: string, cluster: string): boolean {
  const i = argv.findIndex((a) => entry.test(a));
  if (i < 0) return false;
  const rest = argv.slice(i + 1);
  return rest.length === 4 && rest[0] === '--cluster' && rest[1] === cluster && rest[2] === '--home' && rest[3] === home;
}

function find(entry: RegExp, home: string, cluster: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    if (pid === process.pid) continue;
    const argv = cmdline(pid);
    if (argv && isHostPortsCommandLine(argv, entry, home, cluster)) out.push(pid);
  }
  return out;
}

/** Live publishers of the cluster. */
export function findPublishers(home: string, cluster: string): number[] {
  return find(PUBLISHER_ENTRY_RE, home, cluster);
}

/** Live forwarders of the cluster (children of a publisher, or orphans of one that was killed). */
export function findForwarders(home: string, cluster: string): number[] {
  return find(FORWARDER_ENTRY_RE, home, cluster);
}

/** The identity of a network namespace (device and inode of its nsfs file); undefined when it is gone. */
function netnsIdentity(path: string): string | undefined {
  try {
    const st = statSync(path);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined;
  }
}

/**
 * Whether a forwarder runs in another namespace than the one now pinned at forwarderNetns: the
 * node namespace was deleted and made again under it, so its connections would go nowhere.
 */
export function forwarderIsStale(home: string, cluster: string, forwarderNetns: string): boolean {
  const want = netnsIdentity(forwarderNetns);
  return findForwarders(home, cluster).some((pid) => {
    const have = netnsIdentity(`/proc/${pid}/ns/net`);
    return have !== undefined && have !== want;
  });
}

/**
 * Starts the publisher unless one runs (one whose forwarder sits in a namespace that has since
 * been replaced is started again); it logs to host-ports.log in the cluster directory.
 */
export async function startPublisher(paths: ClusterPaths, cluster: string, forwarderNetns: string): Promise<number | undefined> {
  let running = findPublishers(paths.home, cluster);
  if (running.length > 0 && forwarderIsStale(paths.home, cluster, forwarderNetns)) {
    await stopPublishers(paths, cluster);
    running = findPublishers(paths.home, cluster);
  }
  if (running.length > 0) return running[0];
  const pid = spawnDetached([process.execPath, ...publisherArgs(paths.home, cluster)], paths.dir, publisherLogPath(paths));
  if (pid) writeFileSync(publisherPidPath(paths), `${pid}\n`);
  return pid;
}

/**
 * SIGTERM the publishers of the cluster and any forwarder left without one, SIGKILL what is
 * left after graceMs (checked by command line right before). Returns how many publishers ran.
 */
export async function stopPublishers(paths: ClusterPaths, cluster: string, graceMs = 10_000): Promise<number> {
  const publishers = findPublishers(paths.home, cluster);
  await terminate(publishers, () => findPublishers(paths.home, cluster), graceMs);
  // A forwarder exits when its publisher's channel closes; one that has not (yet) is ended here.
  await terminate(findForwarders(paths.home, cluster), () => findForwarders(paths.home, cluster), graceMs);
  rmSync(publisherPidPath(paths), { force: true });
  return publishers.length;
}
