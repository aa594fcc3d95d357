import type { Node, Pod } from '../../client/resources.js';
import { TAINT_OUT_OF_SERVICE } from '../../api/taints.js';

// The decisions of the pod garbage collector (pkg/controller/podgc): which pods nobody else
// will ever clean up.

/** Upstream's --terminated-pod-gc-threshold default. */
export const TERMINATED_POD_THRESHOLD = 12500;
/** How long a node must be missing before its pods count as orphans (informers can lag). */
export const QUARANTINE_MS = 40_000;

export const ORPHAN_REASON = 'DeletionByPodGC';
export const ORPHAN_MESSAGE = 'PodGC: node no longer exists';

function phase(pod: Pod): string | undefined {
  return pod.status?.phase;
}

function nodeName(pod: Pod): string {
  return pod.spec?.nodeName ?? '';
}

function created(pod: Pod): number {
  const t = Date.parse(pod.metadata.creationTimestamp ?? '');
  return Number.isNaN(t) ? 0 : t;
}

export function isTerminated(pod: Pod): boolean {
  const p = phase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

/**
 * The terminated pods beyond the threshold, evicted ones first, then oldest first
 * (byEvictionAndCreationTimestamp).
 */
export function terminatedOverThreshold(pods: Pod[], threshold = TERMINATED_POD_THRESHOLD): Pod[] {
  const terminated = pods.filter(isTerminated);
  const excess = terminated.length - threshold;
  if (excess <= 0) return [];
  const evicted = (p: Pod) => p.status?.reason === 'Evicted';
  terminated.sort((a, b) => {
    const ea = evicted(a), eb = evicted(b);
    if (ea !== eb) return ea ? -1 : 1;
    return created(a) - created(b);
  });
  return terminated.slice(0, excess);
}

export interface OrphanPlan {
  /** Pods whose node has been missing for the whole quarantine. */
  orphans: Pod[];
  /** Nodes still in quarantine → when they were first missed (the controller keeps this map). */
  missingSince: Map<string, number>;
  /** ms until the next quarantine ends, if one is running. */
  nextInMs?: number;
}

export function planOrphans(pods: Pod[], nodes: Set<string>, missingSince: Map<string, number>, now: number, quarantineMs = QUARANTINE_MS): OrphanPlan {
  const next = new Map<string, number>();
  const orphans: Pod[] = [];
  let nextInMs: number | undefined;
  for (const pod of pods) {
    const n = nodeName(pod);
    if (!n || nodes.has(n)) continue;
    const since = next.get(n) ?? missingSince.get(n) ?? now;
    next.set(n, since);
    const left = since + quarantineMs - now;
    if (left <= 0) orphans.push(pod);
    else nextInMs = Math.min(nextInMs ?? Infinity, left);
  }
  return { orphans, missingSince: next, nextInMs };
}

/** Pods being deleted that were never scheduled: no kubelet will finish them. */
export function unscheduledTerminating(pods: Pod[]): Pod[] {
  return pods.filter((p) => p.metadata.deletionTimestamp && !nodeName(p));
}

/**
 * Pods being deleted on a node that is not Ready and carries the out-of-service taint: the
 * administrator has declared the node dead (non-graceful node shutdown).
 */
export function terminatingOutOfService(pods: Pod[], nodes: Map<string, Node>): Pod[] {
  return pods.filter((p) => {
    if (!p.metadata.deletionTimestamp) return false;
    const node = nodes.get(nodeName(p));
    if (!node) return false;
    const ready = node.status?.conditions?.find((c) => c.type === 'Ready')?.status;
    return ready !== 'True' && (node.spec?.taints ?? []).some((t) => t.key === TAINT_OUT_OF_SERVICE);
  });
}
