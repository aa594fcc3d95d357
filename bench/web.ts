// The load target of the proxy benchmarks: one nginx:1.27 pod behind Service `web`, a busybox
// client Deployment whose network namespace wrk runs in, and an Ingress routing the bench's host
// to `web`, with its address assigned.
import type { Cluster } from '../test/e2e/harness.js';
import { applyObjects, backend, ingress, ingressAddress } from '../test/e2e/ingress/ingress.js';

export async function webBehindIngress(c: Cluster, host: string): Promise<void> {
  await c.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=80']);
  await c.ok(['expose', 'deployment', 'web', '--port=80']);
  await c.ok(['create', 'deployment', 'client', '--image=busybox:1.36', '--', 'sleep', '3600']);
  for (const d of ['web', 'client']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
  await applyObjects(c, [ingress('bench', { rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend('web') }] } }] })]);
  await ingressAddress(c, 'bench');
}
