import type { KObject } from '../../api/types.js';

// The delay before a Job replaces failed pods (pkg/controller/job/backoff_utils.go): 10 s after
// the first failure since the last success, doubling with each further one, at most 6 minutes.

export const DEFAULT_BACKOFF_MS = 10_000;
export const MAX_BACKOFF_MS = 6 * 60_000;

export interface BackoffRecord {
  failuresAfterLastSuccess: number;
  lastFailureTime?: number;
}

interface ContainerState {
  state?: { terminated?: { finishedAt?: string } };
}

/** When a pod finished: its last container's finish, else its deletion, else now (getFinishedTime). */
export function finishedTime(pod: KObject, now: number): number {
  const st = (pod.status ?? {}) as { containerStatuses?: ContainerState[]; initContainerStatuses?: ContainerState[] };
  let latest: number | undefined;
  for (const c of [...(st.containerStatuses ?? []), ...(st.initContainerStatuses ?? [])]) {
    const t = Date.parse(c.state?.terminated?.finishedAt ?? '');
    if (!Number.isNaN(t) && (latest === undefined || t > latest)) latest = t;
  }
  if (latest !== undefined) return latest;
  const deleted = Date.parse(pod.metadata.deletionTimestamp ?? '');
  return Number.isNaN(deleted) ? now : deleted;
}

/** The record after these newly finished pods (newBackoffRecord): a success resets the count to the failures after it. */
export function nextBackoffRecord(prev: BackoffRecord, succeeded: KObject[], failed: KObject[], now: number): BackoffRecord {
  const failTimes = failed.map((p) => finishedTime(p, now)).sort((a, b) => a - b);
  if (succeeded.length === 0) {
    if (failTimes.length === 0) return prev;
    return { failuresAfterLastSuccess: prev.failuresAfterLastSuccess + failTimes.length, lastFailureTime: failTimes[failTimes.length - 1] };
  }
  const lastSuccess = Math.max(...succeeded.map((p) => finishedTime(p, now)));
  const after = failTimes.filter((t) => t > lastSuccess);
  return after.length ? { failuresAfterLastSuccess: after.length, lastFailureTime: after[after.length - 1] } : { failuresAfterLastSuccess: 0 };
}

/** How long pod creation still waits (getRemainingTime); 0 when it may go ahead. */
export function remainingBackoff(r: BackoffRecord, now: number): number {
  if (r.failuresAfterLastSuccess === 0 || r.lastFailureTime === undefined) return 0;
  const backoff = Math.min(DEFAULT_BACKOFF_MS * 2 ** (r.failuresAfterLastSuccess - 1), MAX_BACKOFF_MS);
  return Math.max(0, backoff - (now - r.lastFailureTime));
}
