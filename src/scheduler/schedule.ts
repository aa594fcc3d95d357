import type { Pod } from '../client/resources.js';
import { filterNode, type FilterStatus, type SchedulingPod } from './filters.js';
import { podInfo, podSpec, type NodeInfo } from './nodeinfo.js';
import { selectHost } from './score.js';

// One scheduling attempt (schedule_one.go): filter every node, pick the best feasible one,
// or explain, in upstream's FitError wording, why none fits.

export const ERR_NO_NODES_AVAILABLE = 'no nodes available to schedule pods';
const PREEMPTION_NOT_HELPFUL = 'Preemption is not helpful for scheduling';
const NO_PREEMPTION_VICTIMS = 'No preemption victims found for incoming pod';
/** Event notes are limited to 1024 bytes (truncateMessage). */
const NOTE_LENGTH_LIMIT = 1024;

export type ScheduleResult = { node: string } | { message: string };

export function schedulingPod(pod: Pod): SchedulingPod {
  return { pod, spec: podSpec(pod), info: podInfo(pod) };
}

/** `1 Insufficient cpu, 2 node(s) were unschedulable`: counts per reason, sorted as strings. */
export function reasonHistogram(statuses: FilterStatus[]): string {
  const counts = new Map<string, number>();
  for (const s of statuses) for (const r of s.reasons) counts.set(r, (counts.get(r) ?? 0) + 1);
  const parts = [...counts].map(([r, n]) => `${n} ${r}`);
  // Go's sort.Strings: byte order, so "10 x" sorts before "2 y" as upstream prints it.
  parts.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return parts.join(', ');
}

/**
 * What DefaultPreemption would say. Preemption itself is not implemented: a node rejected
 * for a reason preemption could fix (resources, ports) reports that no victims were found.
 */
export function preemptionMessage(p: SchedulingPod, statuses: FilterStatus[]): string {
  if (p.spec.preemptionPolicy === 'Never') return 'not eligible due to preemptionPolicy=Never.';
  const verdicts: FilterStatus[] = statuses.map((s) => ({
    code: s.code,
    reasons: [s.code === 'UnschedulableAndUnresolvable' ? PREEMPTION_NOT_HELPFUL : NO_PREEMPTION_VICTIMS],
  }));
  return `0/${statuses.length} nodes are available: ${reasonHistogram(verdicts)}.`;
}

/** FitError.Error() followed by the preemption message. */
export function fitErrorMessage(numNodes: number, statuses: FilterStatus[], preemption: string): string {
  let msg = `0/${numNodes} nodes are available:`;
  const h = reasonHistogram(statuses);
  if (h) msg += ` ${h}.`;
  if (preemption) msg += ` preemption: ${preemption}`;
  return msg;
}

export function schedulePod(pod: Pod, nodes: NodeInfo[]): ScheduleResult {
  if (nodes.length === 0) return { message: ERR_NO_NODES_AVAILABLE };
  const p = schedulingPod(pod);
  const statuses: FilterStatus[] = [];
  const feasible: NodeInfo[] = [];
  for (const node of nodes) {
    const s = filterNode(p, node);
    if (s) statuses.push(s);
    else feasible.push(node);
  }
  if (feasible.length) return { node: selectHost(p, feasible).name };
  return { message: fitErrorMessage(nodes.length, statuses, preemptionMessage(p, statuses)) };
}

export function truncateMessage(msg: string): string {
  if (Buffer.byteLength(msg) <= NOTE_LENGTH_LIMIT) return msg;
  const suffix = ' ...';
  return Buffer.from(msg).subarray(0, NOTE_LENGTH_LIMIT - suffix.length).toString() + suffix;
}
