// What a benchmark waits for before it measures a cluster at rest.
import { waitFor, type Cluster } from '../test/e2e/harness.js';

/** coredns, ingress-nginx-controller, metrics-server, istiod, istio-ingressgateway. */
const ADDON_DEPLOYMENTS = 5;

/**
 * Until every add-on `up` installs runs Ready: the optional ones (metrics-server, Istio) start
 * after DNS and ingress, and would otherwise share the node's CPUs with the pods measured.
 */
export async function settled(c: Cluster): Promise<void> {
  await waitFor('the add-ons to be Ready', async () => {
    const out = (await c.kubectl(['get', 'deploy,pods', '-A', '--no-headers', '-o', 'custom-columns=K:.kind,N:.metadata.name,R:.status.conditions[?(@.type=="Ready")].status,A:.status.conditions[?(@.type=="Available")].status'])).stdout;
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const deployments = rows.filter((r) => r[0] === 'Deployment');
    const pods = rows.filter((r) => r[0] === 'Pod');
    return deployments.length >= ADDON_DEPLOYMENTS && deployments.every((r) => r[3] === 'True') && pods.every((r) => r[2] === 'True');
  }, 120_000);
}

