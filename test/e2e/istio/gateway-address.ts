// What the Istio gateway tests share: the cluster's istio-ingressgateway moved to a LoadBalancer
// address of its own, so that concurrent clusters do not share :80.
import { waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';

export const ISTIO_NAMESPACE = 'istio-system';
export const GATEWAY = 'istio-ingressgateway';

/**
 * Gives the cluster's istio-ingressgateway Service the LoadBalancer address `lb` of the pool,
 * one the test picked, and waits until its status shows it.
 */
export async function pinGatewayAddress(c: Cluster, lb: string): Promise<void> {
  await waitFor(`the ${GATEWAY} Service`, async () => (await c.kubectl(['get', '-n', ISTIO_NAMESPACE, 'svc', GATEWAY])).code === 0, 60_000);
  await c.ok(['patch', '-n', ISTIO_NAMESPACE, 'svc', GATEWAY, '--type=merge', '-p', JSON.stringify({ spec: { loadBalancerIP: lb } })]);
  await c.ok(['patch', '-n', ISTIO_NAMESPACE, 'svc', GATEWAY, '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":null}}']);
  await c.ok(['annotate', '--overwrite', '-n', ISTIO_NAMESPACE, 'svc', GATEWAY, 'skiff.test/address=pinned']);
  await waitFor(`${GATEWAY} at ${lb}`, async () => (await jsonpath(c, ['get', '-n', ISTIO_NAMESPACE, 'svc', GATEWAY], '{.status.loadBalancer.ingress[0].ip}')) === lb, 60_000);
}

/**
 * Pins the gateway to an address of its own (between the ingress tests' 20–139 and hostports'
 * 150–250), waits for the gateway's rollout, and returns the address.
 */
export async function pinGateway(c: Cluster): Promise<string> {
  const lb = `127.0.10.${141 + Math.floor(Math.random() * 9)}`;
  await pinGatewayAddress(c, lb);
  await c.ok(['rollout', 'status', '-n', ISTIO_NAMESPACE, `deployment/${GATEWAY}`, '--timeout=120s']);
  return lb;
}
