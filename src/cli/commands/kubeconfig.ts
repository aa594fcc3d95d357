// `skiff kubeconfig`: the cluster's kubeconfig on its own, for KUBECONFIG=… or another machine user.
import { readFileSync } from 'node:fs';
import { clusterPaths, contextName, readClusterConfig, serverURL, skiffHome } from '../../cluster/home.js';
import { standaloneKubeconfig } from '../kubeconfig.js';

export async function kubeconfig(flags: { name: string }): Promise<number> {
  const paths = clusterPaths(skiffHome(), flags.name);
  const config = readClusterConfig(paths);
  if (!config) throw new Error(`no such cluster (nothing at ${paths.dir})`);
  process.stdout.write(
    standaloneKubeconfig({
      name: contextName(config.name),
      server: serverURL(config),
      caCertPem: readFileSync(paths.caCert, 'utf8'),
      token: readFileSync(paths.token, 'utf8').trim(),
    }),
  );
  return 0;
}
