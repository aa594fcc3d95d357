// Removing what a cluster's nodes left on the machine: container processes (found by their
// pod cgroups), the cgroups themselves and every network namespace of the cluster. Used by
// `skiff stop` and `skiff down` after the agents are gone; safe to run again.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deleteClusterNetwork } from './network/index.js';
import { unmountUnder } from './kubelet/runtime/host-mounts.js';
import { running } from './process-state.js';
import { clusterCgroupName, detectCgroups, hierarchyRoots, removeClusterCgroups, removePodCgroup, type CgroupDriver } from './kubelet/runtime/cgroups.js';

/** Pod uids that have a cgroup under the cluster's cgroup, in any hierarchy. */
export function podCgroupUids(d: CgroupDriver, cluster: string): string[] {
  const uids = new Set<string>();
  for (const root of hierarchyRoots(d)) {
    try {
      for (const e of readdirSync(join(root, clusterCgroupName(cluster)), { withFileTypes: true })) if (e.isDirectory()) uids.add(e.name);
    } catch {
      // No cgroup of this cluster in this hierarchy.
    }
  }
  return [...uids];
}

/** Pids recorded in `shim.pid` files under `<nodesDir>/<node>/pods/<uid>/containers/<name>/<attempt>/`. */
export function recordedShims(nodesDir: string): number[] {
  const pids: number[] = [];
  const dirs = (p: string): string[] => {
    try {
      return readdirSync(p);
    } catch {
      return [];
    }
  };
  for (const node of dirs(nodesDir))
    for (const uid of dirs(join(nodesDir, node, 'pods')))
      for (const name of dirs(join(nodesDir, node, 'pods', uid, 'containers')))
        for (const attempt of dirs(join(nodesDir, node, 'pods', uid, 'containers', name))) {
          try {
            pids.push(Number(readFileSync(join(nodesDir, node, 'pods', uid, 'containers', name, attempt, 'shim.pid'), 'utf8')));
          } catch {
            // No shim recorded for this attempt.
          }
        }
  return pids.filter((p) => Number.isInteger(p) && p > 0);
}

function isShim(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes('skiff-shim');
  } catch {
    return false;
  }
}

/**
 * SIGKILLs every container of the cluster and the shims that watch them (which live outside
 * the pod cgroups and would otherwise still write exit files into the cluster directory),
 * unmounts what the runtime mounted under the nodes' directories, removes the cgroups, then the
 * network namespaces.
 */
export async function removeClusterRuntime(cluster: string, nodesDir: string): Promise<void> {
  const shims = recordedShims(nodesDir).filter(isShim);
  // The shim's children are the container and its log stamper; the stamper is outside the cgroup.
  const helpers = shims.flatMap((pid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
  for (const pid of [...shims, ...helpers]) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // Exited meanwhile.
    }
  }
  const d = detectCgroups();
  for (const uid of podCgroupUids(d, cluster)) await removePodCgroup(d, cluster, uid);
  for (let i = 0; i < 500 && [...shims, ...helpers].some(running); i++) await new Promise((r) => setTimeout(r, 10));
  // Container roots and pods' namespace files a killed shim or agent left mounted.
  await unmountUnder(nodesDir);
  removeClusterCgroups(d, cluster);
  await deleteClusterNetwork(cluster);
}
