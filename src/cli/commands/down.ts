// `skiff down`: stop the cluster, delete its directory and its kubeconfig entries. Like
// `kind delete cluster`, deleting a cluster that does not exist succeeds.
import { existsSync, rmSync } from 'node:fs';
import { clusterPaths, contextName, skiffHome } from '../../cluster/home.js';
import { kubeconfigPath, removeKubeconfigEntry } from '../kubeconfig.js';
import { stopControlPlanes, stopNodes } from './stop.js';

export async function down(flags: { name: string }): Promise<number> {
  process.stdout.write(`Deleting cluster "${flags.name}" ...\n`);
  const paths = clusterPaths(skiffHome(), flags.name);
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
