// What a benchmark waits for before it measures a cluster at rest.
import { waitFor, type Cluster } from '../test/e2e/harness.js';

/** coredns, ingress-nginx-controller, metrics-server, istiod, istio-ingressgateway. */
const ADDON_DEPLOYMENTS = 5;
/** What a cluster without nodes installs: coredns and ingress-nginx-controller, whose pods wait for a node. */
const CORE_ADDON_DEPLOYMENTS = 2;

/**
 * Until every add-on `up` installs runs Ready: the optional ones (metrics-server, Istio) start
 * after DNS and ingress, and would otherwise share the node's CPUs with the pods measured.
 */
export async function settled(c: Cluster): Promise<void> {
  const nodes = (await c.kubectl(['get', 'nodes', '--no-headers'])).stdout.trim();
  if (nodes === '') {
    // Without nodes the core add-ons' pods stay Pending and the optional add-ons never install.
    await waitFor('the core add-ons and their pods', async () => {
      const out = (await c.kubectl(['get', 'deploy,pods', '-A', '--no-headers', '-o', 'custom-columns=K:.kind'])).stdout.trim().split('\n');
      return out.filter((k) => k === 'Deployment').length >= CORE_ADDON_DEPLOYMENTS && out.filter((k) => k === 'Pod').length >= CORE_ADDON_DEPLOYMENTS;
    }, 60_000);
    return;
  }
  await waitFor('the add-ons to be Ready', async () => {
    const out = (await c.kubectl(['get', 'deploy,pods', '-A', '--no-headers', '-o', 'custom-columns=K:.kind,N:.metadata.name,R:.status.conditions[?(@.type=="Ready")].status,A:.status.conditions[?(@.type=="Available")].status'])).stdout;
    const rows = out.trim().split('\n').map((l) => l.trim().split(/\s+/));
    const deployments = rows.filter((r) => r[0] === 'Deployment');
    const pods = rows.filter((r) => r[0] === 'Pod');
    return deployments.length >= ADDON_DEPLOYMENTS && deployments.every((r) => r[3] === 'True') && pods.every((r) => r[2] === 'True');
  }, 120_000);
}

