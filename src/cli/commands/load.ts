// `skiff load`: images built on this machine into the image store its clusters share, as
// `kind load image-archive` does, so pods with imagePullPolicy IfNotPresent or Never run them
// without a registry.
import { clusterPaths, readClusterConfig, skiffHome } from '../../cluster/home.js';
import { loadImages } from '../../images/load.js';
import { ImageStore } from '../../images/store/store.js';

export async function load(flags: { name: string; paths: string[] }): Promise<number> {
  const home = skiffHome();
  const paths = clusterPaths(home, flags.name);
  if (!readClusterConfig(paths)) throw new Error(`no such cluster (nothing at ${paths.dir})`);
  const store = new ImageStore(home);
  for (const path of flags.paths) {
    for (const img of await loadImages(store, path)) {
      process.stdout.write(`Image: "${img.reference}" with ID "${img.id}" loaded (${img.size} bytes)\n`);
    }
  }
  return 0;
}
