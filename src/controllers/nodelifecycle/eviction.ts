import { matchingTolerations, type Taint } from '../../api/taints.js';
import type { Pod } from '../../client/resources.js';

// Taint-based eviction (pkg/controller/tainteviction): a pod on a node with NoExecute taints
// it does not tolerate is deleted at once; one that tolerates them all with tolerationSeconds
// is deleted that many seconds after the taint was added (timeAdded); a toleration without
// tolerationSeconds lets the pod stay for good.

export const DISRUPTION_REASON = 'DeletionByTaintManager';
export const DISRUPTION_MESSAGE = 'Taint manager: deleting due to NoExecute taint';

export interface EvictionPlan {
  evict: Pod[];
  /** ms until the next pod's toleration runs out, if any is pending. */
  nextInMs?: number;
}

function time(s: unknown): number | undefined {
  const t = typeof s === 'string' ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? undefined : t;
}

/**
 * When the pod must go: `0`-or-earlier means now, undefined means never. `since` stands in
 * for a taint without timeAdded (someone else's taint): when this controller first saw it.
 */
export function evictionTime(pod: Pod, taints: Taint[], since: (t: Taint) => number): number | undefined | 'now' {
  const noExecute = taints.filter((t) => t.effect === 'NoExecute');
  if (noExecute.length === 0) return undefined;
  const m = matchingTolerations(noExecute, pod.spec?.tolerations);
  if (!m.all) return 'now';
  let at: number | undefined;
  m.used.forEach((tol, i) => {
    if (tol.tolerationSeconds === undefined || tol.tolerationSeconds === null) return;
    const added = time(noExecute[i].timeAdded) ?? since(noExecute[i]);
    const t = added + Math.max(0, tol.tolerationSeconds) * 1000;
    if (at === undefined || t < at) at = t;
  });
  return at;
}

export function planEvictions(pods: Pod[], taints: Taint[], now: number, since: (t: Taint) => number): EvictionPlan {
  const plan: EvictionPlan = { evict: [] };
  for (const pod of pods) {
    if (pod.metadata.deletionTimestamp) continue;
    const at = evictionTime(pod, taints, since);
    if (at === undefined) continue;
    if (at === 'now' || at <= now) plan.evict.push(pod);
    else plan.nextInMs = Math.min(plan.nextInMs ?? Infinity, at - now);
  }
  return plan;
}
