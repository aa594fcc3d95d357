import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KObject } from '../api/types.js';

// Pod facts the workload controllers share (k8s.io/kubernetes/pkg/api/v1/pod and
// pkg/controller/controller_utils.go).

interface PodCondition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

interface PodStatus {
  phase?: string;
  conditions?: PodCondition[];
  containerStatuses?: { restartCount?: number }[];
}

function status(pod: KObject): PodStatus {
  return (pod.status ?? {}) as PodStatus;
}

function readyCondition(pod: KObject): PodCondition | undefined {
  return status(pod).conditions?.find((c) => c.type === 'Ready');
}

/** The Ready condition is True. */
export function isPodReady(pod: KObject): boolean {
  return readyCondition(pod)?.status === 'True';
}

/** Ready for at least minReadySeconds (IsPodAvailable). */
export function isPodAvailable(pod: KObject, minReadySeconds: number, now: number): boolean {
  const c = readyCondition(pod);
  if (c?.status !== 'True') return false;
  if (!minReadySeconds) return true;
  const since = c.lastTransitionTime ? Date.parse(c.lastTransitionTime) : NaN;
  return !Number.isNaN(since) && since + minReadySeconds * 1000 <= now;
}

/** Not finished and not being deleted (FilterActivePods). */
export function isPodActive(pod: KObject): boolean {
  const phase = status(pod).phase;
  return phase !== 'Succeeded' && phase !== 'Failed' && !pod.metadata.deletionTimestamp;
}

const PHASE_RANK: Record<string, number> = { Pending: 0, Unknown: 1, Running: 2 };

function nodeName(pod: KObject): string {
  return (pod.spec as IPodSpec | undefined)?.nodeName ?? '';
}

function restarts(pod: KObject): number {
  return Math.max(0, ...(status(pod).containerStatuses ?? []).map((c) => c.restartCount ?? 0));
}

function time(s: string | null | undefined): number {
  const t = s ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/**
 * Orders pods so the ones cheapest to lose come first (ActivePodsWithRanks.Less):
 * unscheduled, then pending/unknown, not ready, co-located with more siblings, ready for
 * less time, restarted more, and newer.
 */
export function compareForDeletion(a: KObject, b: KObject, ranks?: Map<KObject, number>): number {
  const na = nodeName(a), nb = nodeName(b);
  if ((na === '') !== (nb === '')) return na === '' ? -1 : 1;
  const pa = PHASE_RANK[status(a).phase ?? ''] ?? 0, pb = PHASE_RANK[status(b).phase ?? ''] ?? 0;
  if (pa !== pb) return pa - pb;
  const ra = isPodReady(a), rb = isPodReady(b);
  if (ra !== rb) return ra ? 1 : -1;
  if (ranks) {
    const ka = ranks.get(a) ?? 0, kb = ranks.get(b) ?? 0;
    if (ka !== kb) return kb - ka;
  }
  if (ra && rb) {
    const ta = time(readyCondition(a)?.lastTransitionTime), tb = time(readyCondition(b)?.lastTransitionTime);
    if (ta !== tb) return tb - ta;
  }
  const xa = restarts(a), xb = restarts(b);
  if (xa !== xb) return xb - xa;
  const ca = time(a.metadata.creationTimestamp), cb = time(b.metadata.creationTimestamp);
  if (ca !== cb) return cb - ca;
  return 0;
}
