// Removing what a cluster's nodes left on the machine: container processes (found by their
// pod cgroups), the cgroups themselves and every network namespace of the cluster. Used by
// `skiff stop` and `skiff down` after the agents are gone; safe to run again.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { deleteClusterNetwork } from './network/index.js';
import { clusterCgroupName, detectCgroups, removeClusterCgroups, removePodCgroup, type CgroupDriver } from './kubelet/runtime/cgroups.js';

/** Pod uids that have a cgroup under the cluster's cgroup, in any hierarchy. */
export function podCgroupUids(d: CgroupDriver, cluster: string): string[] {
  const roots = d.version === 2 ? [d.root] : [...new Set(Object.values(d.roots))];
  const uids = new Set<string>();
  for (const root of roots) {
    try {
      for (const e of readdirSync(join(root, clusterCgroupName(cluster)), { withFileTypes: true })) if (e.isDirectory()) uids.add(e.name);
    } catch {
      // No cgroup of this cluster in this hierarchy.
    }
  }
  return [...uids];
}

/** SIGKILLs every container of the cluster, removes its cgroups, then its network namespaces. */
export async function removeClusterRuntime(cluster: string): Promise<void> {
  const d = detectCgroups();
  for (const uid of podCgroupUids(d, cluster)) await removePodCgroup(d, cluster, uid);
  removeClusterCgroups(d, cluster);
  await deleteClusterNetwork(cluster);
}
