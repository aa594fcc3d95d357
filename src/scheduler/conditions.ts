import type { Pod } from '../client/resources.js';

// The PodScheduled condition the scheduler writes when a pod does not fit (updatePod in
// schedule_one.go with podutil.UpdatePodCondition semantics).

export interface PodCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastProbeTime?: string | null;
  lastTransitionTime?: string;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

/**
 * The PodScheduled=False condition to write, or undefined when the pod already says exactly
 * that. lastTransitionTime only moves when the status changes.
 */
export function unschedulableCondition(pod: Pod, message: string, now: number): PodCondition | undefined {
  const conditions = pod.status?.conditions ?? [];
  const cur = conditions.find((c) => c.type === 'PodScheduled');
  if (cur && cur.status === 'False' && cur.reason === 'Unschedulable' && cur.message === message) return undefined;
  const lastTransitionTime = cur?.status === 'False' && cur.lastTransitionTime ? cur.lastTransitionTime : rfc3339(now);
  return { type: 'PodScheduled', status: 'False', lastProbeTime: null, lastTransitionTime, reason: 'Unschedulable', message };
}
