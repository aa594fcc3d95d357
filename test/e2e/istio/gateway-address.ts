// What the Istio gateway tests share: the cluster's istio-ingressgateway moved to a LoadBalancer
// address of its own and rolled out, so that concurrent clusters do not share :80.
import { waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';

export const ISTIO_NS = 'istio-system';
export const GATEWAY = 'istio-ingressgateway';

/** Pins the gateway Service to an address (between the ingress tests' 20–139 and hostports' 150–250), waits for it and for the gateway's rollout, and returns it. */
export async function pinGateway(c: Cluster): Promise<string> {
  const lb = `127.0.10.${141 + Math.floor(Math.random() * 9)}`;
  await waitFor('the istio-ingressgateway Service', async () => (await c.kubectl(['get', '-n', ISTIO_NS, 'svc', GATEWAY])).code === 0, 60_000);
  await c.ok(['patch', '-n', ISTIO_NS, 'svc', GATEWAY, '--type=merge', '-p', JSON.stringify({ spec: { loadBalancerIP: lb } })]);
  await c.ok(['patch', '-n', ISTIO_NS, 'svc', GATEWAY, '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":null}}']);
  await c.ok(['annotate', '--overwrite', '-n', ISTIO_NS, 'svc', GATEWAY, 'skiff.test/address=pinned']);
  await waitFor(`${GATEWAY} at ${lb}`, async () => (await jsonpath(c, ['get', '-n', ISTIO_NS, 'svc', GATEWAY], '{.status.loadBalancer.ingress[0].ip}')) === lb, 60_000);
  await c.ok(['rollout', 'status', '-n', ISTIO_NS, `deployment/${GATEWAY}`, '--timeout=120s']);
  return lb;
}
