import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isConflict, isNotFound, type ApiClient } from '../../client/client.js';
import { LEASES } from '../../client/resources.js';

// The node heartbeat Lease in kube-node-lease (upstream pkg/kubelet/nodelease via
// component-helpers' lease controller): 40 s duration, renewed every quarter of it (10 s).

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';
export const LEASE_DURATION_SECONDS = 40;
/** kubelet's nodeLeaseRenewIntervalFraction: the Lease is renewed after this part of its duration. */
export const RENEW_INTERVAL_FRACTION = 0.25;

export interface LeaseTiming {
  durationSeconds: number;
  renewIntervalMs: number;
}

/**
 * The Lease duration and renew interval for a control plane whose node monitor grace period is
 * gracePeriodSeconds (undefined: the default, 40 s). The node lifecycle controller marks a node
 * Unknown, and taints it, once neither its Lease nor its status was renewed for the grace
 * period; with a grace period shorter than the renew interval a healthy node would flap between
 * renewals and lose its pods. So the duration never exceeds the grace period, as one sets
 * kubelet's nodeLeaseDurationSeconds along with kube-controller-manager's
 * --node-monitor-grace-period.
 */
export function leaseTiming(gracePeriodSeconds?: number): LeaseTiming {
  const grace = gracePeriodSeconds !== undefined && Number.isFinite(gracePeriodSeconds) && gracePeriodSeconds > 0 ? gracePeriodSeconds : Infinity;
  // leaseDurationSeconds is a whole number of seconds, at least 1.
  const durationSeconds = Math.max(1, Math.min(LEASE_DURATION_SECONDS, Math.floor(grace)));
  return { durationSeconds, renewIntervalMs: durationSeconds * 1000 * RENEW_INTERVAL_FRACTION };
}

/** MicroTime as JSON: RFC 3339 UTC with six fractional digits. */
export function microTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z');
}

export function leaseFor(nodeName: string, node: KObject | undefined, now: number, old?: KObject, durationSeconds = LEASE_DURATION_SECONDS): KObject {
  const lease: KObject = old
    ? { ...old, spec: { ...(old.spec as object) } }
    : { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', metadata: { name: nodeName, namespace: NODE_LEASE_NAMESPACE } };
  const spec = (lease.spec ?? {}) as Record<string, unknown>;
  spec.holderIdentity = nodeName;
  spec.leaseDurationSeconds = durationSeconds;
  spec.renewTime = microTime(now);
  lease.spec = spec;
  if (node?.metadata.uid && !lease.metadata.ownerReferences?.length) {
    lease.metadata = { ...lease.metadata, ownerReferences: [{ apiVersion: 'v1', kind: 'Node', name: nodeName, uid: node.metadata.uid }] };
  }
  return lease;
}

/** Creates or renews the lease once. */
export async function renewLease(
  client: Pick<ApiClient, 'get' | 'create' | 'update'>,
  nodeName: string,
  node: KObject | undefined,
  now: number,
  durationSeconds = LEASE_DURATION_SECONDS,
): Promise<void> {
  let old: KObject | undefined;
  try {
    old = await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
  } catch (e) {
    if (!isNotFound(e)) throw e;
  }
  if (!old) {
    try {
      await client.create(LEASES, NODE_LEASE_NAMESPACE, leaseFor(nodeName, node, now, undefined, durationSeconds));
      return;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
      old = await client.get(LEASES, NODE_LEASE_NAMESPACE, nodeName);
    }
  }
  try {
    await client.update(LEASES, leaseFor(nodeName, node, now, old, durationSeconds));
  } catch (e) {
    // Someone else wrote it in between; the next renewal retries from a fresh read.
    if (!isConflict(e)) throw e;
  }
}
