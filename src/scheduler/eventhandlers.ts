import { podSpec } from './nodeinfo.js';
import type { Node, Pod } from '../client/resources.js';

// Which informer events concern the scheduler (pkg/scheduler/eventhandlers.go).

export const DEFAULT_SCHEDULER_NAME = 'default-scheduler';

function phase(pod: Pod): string | undefined {
  return pod.status?.phase;
}

export function isTerminal(pod: Pod): boolean {
  const p = phase(pod);
  return p === 'Succeeded' || p === 'Failed';
}

export function isAssigned(pod: Pod): boolean {
  return !!podSpec(pod).nodeName;
}

/** A pod this scheduler should place: unbound, ours, alive and not held back by scheduling gates. */
export function needsScheduling(pod: Pod, schedulerName = DEFAULT_SCHEDULER_NAME): boolean {
  const spec = podSpec(pod);
  if (spec.nodeName) return false;
  if ((spec.schedulerName || DEFAULT_SCHEDULER_NAME) !== schedulerName) return false;
  if (pod.metadata.deletionTimestamp) return false;
  if (isTerminal(pod)) return false;
  return !(spec.schedulingGates?.length);
}

/** Whether an update to a pending pod could change where it fits (not just its status). */
export function podSchedulingChanged(old: Pod, cur: Pod): boolean {
  return JSON.stringify(old.spec) !== JSON.stringify(cur.spec) || JSON.stringify(old.metadata.labels ?? {}) !== JSON.stringify(cur.metadata.labels ?? {});
}

function nodeFacts(n: Node): string {
  const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status;
  return JSON.stringify([n.metadata?.labels ?? {}, n.spec?.taints ?? [], n.spec?.unschedulable === true, n.status?.allocatable ?? {}, ready]);
}

/** Whether a node update could let a pod fit that did not before (heartbeats do not). */
export function nodeSchedulingChanged(old: Node, cur: Node): boolean {
  return nodeFacts(old) !== nodeFacts(cur);
}

/** Whether a pod update frees what the pod held on its node. */
export function podReleasedNode(old: Pod, cur: Pod): boolean {
  return isAssigned(old) && !isTerminal(old) && isTerminal(cur);
}
