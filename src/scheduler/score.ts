import type { SchedulingPod } from './filters.js';
import { preferredAffinityScore } from '../api/nodeaffinity.js';
import type { NodeInfo } from './nodeinfo.js';
import { tolerationsTolerateTaint } from '../api/taints.js';

// Ranking of the feasible nodes. Upstream sums weighted plugin scores; here the same signals
// are compared in a fixed order so the choice is predictable: avoid PreferNoSchedule taints,
// honour preferred node affinity, spread replicas of one controller across nodes, then pick
// the least requested node (LeastAllocated over cpu and memory, with the scorer's defaults
// for pods that request nothing, so empty pods spread too). Ties go to the first node by name.

export interface NodeScore {
  node: NodeInfo;
  /** Untolerated PreferNoSchedule taints (fewer is better). */
  preferNoSchedule: number;
  /** Sum of matching preferred node affinity weights (more is better). */
  affinity: number;
  /** Pods of the same controller already on the node (fewer is better). */
  sameOwner: number;
  /** 0–100, LeastAllocated (more is better). */
  leastAllocated: number;
}

function leastRequested(requested: number, capacity: number): number {
  if (capacity <= 0 || requested > capacity) return 0;
  return Math.floor(((capacity - requested) * 100) / capacity);
}

export function scoreNode(p: SchedulingPod, node: NodeInfo): NodeScore {
  const cpu = leastRequested(node.nonZeroCpu + p.info.nonZeroCpu, node.allocatable.cpu ?? 0);
  const mem = leastRequested(node.nonZeroMemory + p.info.nonZeroMemory, node.allocatable.memory ?? 0);
  return {
    node,
    preferNoSchedule: node.taints.filter((t) => t.effect === 'PreferNoSchedule' && !tolerationsTolerateTaint(p.spec.tolerations, t)).length,
    affinity: preferredAffinityScore(p.spec, node.labels, node.name),
    sameOwner: node.ownerCount(p.info.owner),
    leastAllocated: Math.floor((cpu + mem) / 2),
  };
}

/** Negative when a is the better node. */
export function compareScores(a: NodeScore, b: NodeScore): number {
  return (
    a.preferNoSchedule - b.preferNoSchedule ||
    b.affinity - a.affinity ||
    a.sameOwner - b.sameOwner ||
    b.leastAllocated - a.leastAllocated ||
    (a.node.name < b.node.name ? -1 : a.node.name > b.node.name ? 1 : 0)
  );
}

export function selectHost(p: SchedulingPod, feasible: NodeInfo[]): NodeInfo {
  let best = scoreNode(p, feasible[0]);
  for (let i = 1; i < feasible.length; i++) {
    const s = scoreNode(p, feasible[i]);
    if (compareScores(s, best) < 0) best = s;
  }
  return best.node;
}
