import type { Pod } from '../../client/resources.js';
import type { Taint } from '../../api/taints.js';
import { planEvictions } from './eviction.js';
import { conditionsOf, nodeHealth, readyOf, type HealthInput, type NodeCondition, type ReadyStatus } from './health.js';
import { desiredTaints, reconcileTaints, taintsOf } from './taints.js';

// Everything the node lifecycle controller should do about one node, decided at once from
// the node, its Lease and its pods, with the clock injected.

export interface NodePlanInput extends HealthInput {
  /** The pods bound to the node; only asked for when the node is in trouble. */
  pods: () => Pod[];
  /** When a taint without timeAdded was first seen (for eviction timing). */
  taintSeen: (t: Taint) => number;
}

export interface NodePlan {
  conditionUpdates: NodeCondition[];
  /** This plan turns Ready to Unknown (worth a NodeNotReady event on the node). */
  becameUnknown: boolean;
  /** The new spec.taints when they must change. */
  taints?: Taint[];
  markNotReady: Pod[];
  evict: Pod[];
  requeueAfterMs?: number;
}

function podReady(pod: Pod): string | undefined {
  const conds = pod.status?.conditions ?? [];
  return conds.find((c) => c.type === 'Ready')?.status;
}

/** Pods still claiming Ready on a node that is not (MarkPodsNotReady). */
export function podsToMarkNotReady(pods: Pod[], ready: ReadyStatus | undefined): Pod[] {
  if (ready !== 'False' && ready !== 'Unknown') return [];
  return pods.filter((p) => podReady(p) === 'True');
}

function merged(conditions: NodeCondition[], updates: NodeCondition[]): NodeCondition[] {
  return conditions.filter((c) => !updates.some((u) => u.type === c.type)).concat(updates);
}

export function planNode(i: NodePlanInput): NodePlan {
  const health = nodeHealth(i);
  const conditions = merged(conditionsOf(i.node), health.conditionUpdates);
  const unschedulable = i.node.spec?.unschedulable === true;
  const current = taintsOf(i.node);
  const next = reconcileTaints(current, desiredTaints(conditions, health.ready, unschedulable), i.now);
  const taints = next ?? current;

  const plan: NodePlan = {
    conditionUpdates: health.conditionUpdates,
    becameUnknown: health.conditionUpdates.some((c) => c.type === 'Ready') && readyOf(i.node) !== 'Unknown',
    taints: next,
    markNotReady: [],
    evict: [],
    requeueAfterMs: health.staleInMs,
  };
  const troubled = health.ready === 'False' || health.ready === 'Unknown';
  const noExecute = taints.some((t) => t.effect === 'NoExecute');
  if (!troubled && !noExecute) return plan;

  const pods = i.pods();
  plan.markNotReady = podsToMarkNotReady(pods, health.ready);
  const ev = planEvictions(pods, taints, i.now, i.taintSeen);
  plan.evict = ev.evict;
  if (ev.nextInMs !== undefined) plan.requeueAfterMs = Math.min(plan.requeueAfterMs ?? Infinity, ev.nextInMs);
  return plan;
}
