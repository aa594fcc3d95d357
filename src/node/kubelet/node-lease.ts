import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isConflict, isNotFound, type ApiClient, type Resource } from '../../client/client.js';

// The node heartbeat Lease in kube-node-lease (upstream pkg/kubelet/nodelease via
// component-helpers' lease controller): 40 s duration, renewed every 10 s.

export const LEASES: Resource = { group: 'coordination.k8s.io', version: 'v1', plural: 'leases', kind: 'Lease', namespaced: true };
export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
export const RENEW_INTERVAL_MS = 10_000;

/** MicroTime as JSON: RFC 3339 UTC with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function leaseFor(nodeName: string, node: KObject | undefined, now: number, old?: KObject): KObject {
  const lease: KObject = old
    ? { ...old, spec: { ...(old.spec as object) } }
    : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE } };
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  spec.holderIdentity = nodeName;
  spec.leaseDurationSeconds = LEASE_DURATION_SECONDS;
  spec.renewTime = microTime(now);
  lease.spec = spec;
  if (node?.metadata.uid && !lease.metadata.ownerReferences?.length) {
    lease.metadata = { ...lease.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid }] };
  }
  return lease;
}

/** Creates or renews the lease once. */
export async function renewLease(client: Pick<ApiClient, 'get' | 'create' | 'update'>, nodeName: string, node: KObject | undefined, now: number): Promise<void> {
  let old: KObject | undefined;
  try {
    old = await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!old) {
    try {
      await client.create(LEASES, NODE_LEASE_NAMESPACE, leaseFor(nodeName, node, now));
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      old = await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
    }
  }
  try {
    await client.update(LEASES, leaseFor(nodeName, node, now, old));
  } catch (e) {
    // Someone else wrote it in between; the next renewal (10 s) retries from a fresh read.
    if (!isConflict(e)) throw e;
  }
}
