// `skiff down`: stop the cluster, delete its directory and its kubeconfig entries. Like
// `kind delete cluster`, deleting a cluster that does not exist succeeds.
import { existsSync, rmSync } from 'node:fs';
import { clusterPaths, contextName, skiffHome } from '../../cluster/home.js';
import { otherHomesServing } from '../control-plane-process.js';
import { kubeconfigPath, removeKubeconfigEntry } from '../kubeconfig.js';
import { stopControlPlanes, stopNodes } from './stop.js';

export async function down(flags: { name: string }): Promise<number> {
  process.stdout.write(`Deleting cluster "${flags.name}" ...\n`);
  const paths = clusterPaths(skiffHome(), flags.name);
  if (!existsSync(paths.dir)) {
    // Its machine-wide parts (network namespaces, cgroups) and its kubeconfig context are that
    // cluster's, not leftovers of one deleted from this home.
    const elsewhere = otherHomesServing(paths.home, flags.name);
    if (elsewhere.length > 0) {
      process.stderr.write(`No cluster "${flags.name}" in ${paths.home}; the one of that name running from SKIFF_HOME=${elsewhere[0]} is left as it is\n`);
      return 0;
    }
  }
  // Stopped even without a directory: a control plane whose directory was removed by hand
  // is still found by its command line.
  // A failure to remove the nodes' network (egress included) must not leave the control plane
  // running: it is stopped anyway, and the first error is reported; a second `down` retries.
  let nodesError: unknown;
  await stopNodes(paths, flags.name).catch((err: unknown) => (nodesError = err));
  await stopControlPlanes(paths, flags.name);
  if (nodesError !== undefined) throw nodesError;
  if (existsSync(paths.dir)) {
    try {
      rmSync(paths.dir, { recursive: true, force: true });
    } catch (err) {
      throw new Error(`removing ${paths.dir}: ${(err as Error).message}`);
    }
  }
  removeKubeconfigEntry(kubeconfigPath(), contextName(flags.name));
  return 0;
}
