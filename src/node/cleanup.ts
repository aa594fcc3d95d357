// Removing what a cluster's nodes left on the machine: container processes (found by their
// cgroups), the cgroups themselves and every network namespace of the cluster. Used by
// `skiff stop` and `skiff down` after the agents are gone; safe to run again.
import { existsSync, readFileSync, readdirSync, rmdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { deleteClusterNetwork } from './network/index.js';

const CGROUP_ROOT = '/sys/fs/cgroup';

/** The cluster's cgroup directories: `skiff.<C>` under the v2 root or under each v1 controller. */
export function clusterCgroupDirs(cluster: string, root = CGROUP_ROOT): string[] {
  const name = `skiff.${cluster}`;
  const out: string[] = [];
  if (existsSync(join(root, name))) out.push(join(root, name));
  let controllers: string[] = [];
  try {
    controllers = readdirSync(root);
  } catch {
    return out;
  }
  for (const c of controllers) {
    const d = join(root, c, name);
    try {
      if (statSync(d).isDirectory()) out.push(d);
    } catch {
      // Not under this controller.
    }
  }
  return out;
}

function pidsUnder(dir: string): number[] {
  const pids: number[] = [];
  const walk = (d: string) => {
    try {
      for (const line of readFileSync(join(d, 'cgroup.procs'), 'utf8').split('\n')) if (line) pids.push(Number(line));
      for (const e of readdirSync(d, { withFileTypes: true })) if (e.isDirectory()) walk(join(d, e.name));
    } catch {
      // Removed meanwhile.
    }
  };
  walk(dir);
  return pids;
}

function removeTree(dir: string): void {
  let entries: string[] = [];
  try {
    entries = readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
  } catch {
    return;
  }
  for (const e of entries) removeTree(join(dir, e));
  try {
    rmdirSync(dir);
  } catch {
    // A cgroup with a process still exiting; the caller retries.
  }
}

/** SIGKILLs every process in the cluster's cgroups, waits for them to go, removes the cgroups and the networks. */
export async function removeClusterRuntime(cluster: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const dirs = clusterCgroupDirs(cluster);
    const pids = [...new Set(dirs.flatMap(pidsUnder))];
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Exited already.
      }
    }
    for (const d of dirs) removeTree(d);
    if (clusterCgroupDirs(cluster).length === 0) break;
    if (Date.now() > deadline) throw new Error(`removing the cgroups of cluster "${cluster}": still in use after ${timeoutMs} ms: ${clusterCgroupDirs(cluster).join(', ')}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  await deleteClusterNetwork(cluster);
}
