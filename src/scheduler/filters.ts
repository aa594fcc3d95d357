import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KObject } from '../api/types.js';
import { matchesNodeSelectorAndAffinity } from '../api/nodeaffinity.js';
import { portsConflict, type NodeInfo, type PodInfo } from './nodeinfo.js';
import { isScalarResource } from './resources.js';
import {
  TAINT_NOT_READY,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  describeTaint,
  doNotScheduleTaints,
  findUntoleratedTaint,
  tolerationsTolerateTaint,
  type Taint,
} from '../api/taints.js';

// The filter plugins of the default profile that apply here, in upstream order
// (NodeUnschedulable, TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit); the first
// one that rejects a node decides its status, with upstream's reason strings.

export const ERR_UNSCHEDULABLE = 'node(s) were unschedulable';
export const ERR_NODE_AFFINITY = "node(s) didn't match Pod's node affinity/selector";
export const ERR_NODE_PORTS = "node(s) didn't have free ports for the requested pod ports";
export const ERR_TOO_MANY_PODS = 'Too many pods';

/** Unschedulable can be fixed by preemption (in principle); UnschedulableAndUnresolvable cannot. */
export type FilterCode = 'Unschedulable' | 'UnschedulableAndUnresolvable';

export interface FilterStatus {
  code: FilterCode;
  reasons: string[];
}

/** The pod being scheduled, with its derived facts. */
export interface SchedulingPod {
  pod: KObject;
  spec: IPodSpec;
  info: PodInfo;
}

/**
 * The node's taints as the scheduler should see them. A node that is not Ready but not yet
 * tainted for it (the kubelet just registered, or the node lifecycle controller has not caught
 * up) counts as carrying the NoSchedule taint the lifecycle controller is about to add, so no
 * pod lands there in between and the message names the taint as upstream would.
 */
export function effectiveTaints(node: NodeInfo): Taint[] {
  if (node.ready === 'True') return node.taints;
  const key = node.ready === 'Unknown' ? TAINT_UNREACHABLE : TAINT_NOT_READY;
  if (node.taints.some((t) => t.key === key && doNotScheduleTaints(t))) return node.taints;
  return [...node.taints, { key, effect: 'NoSchedule' }];
}

function nodeUnschedulable(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  if (!node.unschedulable) return undefined;
  // Tolerating the unschedulable taint also tolerates spec.unschedulable.
  if (tolerationsTolerateTaint(p.spec.tolerations, { key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' })) return undefined;
  return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_UNSCHEDULABLE] };
}

function taintToleration(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  const taint = findUntoleratedTaint(effectiveTaints(node), p.spec.tolerations, doNotScheduleTaints);
  if (!taint) return undefined;
  return { code: 'UnschedulableAndUnresolvable', reasons: [`node(s) had untolerated taint ${describeTaint(taint)}`] };
}

function nodeAffinity(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  if (matchesNodeSelectorAndAffinity(p.spec, node.labels, node.name)) return undefined;
  return { code: 'UnschedulableAndUnresolvable', reasons: [ERR_NODE_AFFINITY] };
}

function nodePorts(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  if (p.info.hostPorts.length === 0) return undefined;
  const used = node.usedPorts();
  const clash = p.info.hostPorts.some((want) => used.some((have) => portsConflict(want, have)));
  return clash ? { code: 'Unschedulable', reasons: [ERR_NODE_PORTS] } : undefined;
}

/** Every resource the node cannot fit, in upstream's order (fitsRequest). */
export function insufficientResources(pod: PodInfo, node: NodeInfo): string[] {
  const reasons: string[] = [];
  if (node.pods.size + 1 > (node.allocatable.pods ?? 0)) reasons.push(ERR_TOO_MANY_PODS);
  const req = pod.requests;
  const scalars = Object.keys(req).filter(isScalarResource).sort();
  const cpu = req.cpu ?? 0, memory = req.memory ?? 0, storage = req['ephemeral-storage'] ?? 0;
  if (!cpu && !memory && !storage && scalars.length === 0) return reasons;
  const free = (r: string) => (node.allocatable[r] ?? 0) - (node.requested[r] ?? 0);
  if (cpu > 0 && cpu > free('cpu')) reasons.push('Insufficient cpu');
  if (memory > 0 && memory > free('memory')) reasons.push('Insufficient memory');
  if (storage > 0 && storage > free('ephemeral-storage')) reasons.push('Insufficient ephemeral-storage');
  for (const r of scalars) if (req[r] > 0 && req[r] > free(r)) reasons.push(`Insufficient ${r}`);
  return reasons;
}

function nodeResourcesFit(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  const reasons = insufficientResources(p.info, node);
  return reasons.length ? { code: 'Unschedulable', reasons } : undefined;
}

const FILTERS = [nodeUnschedulable, taintToleration, nodeAffinity, nodePorts, nodeResourcesFit];

/** Why the pod cannot go to this node, or undefined when it can. */
export function filterNode(p: SchedulingPod, node: NodeInfo): FilterStatus | undefined {
  for (const f of FILTERS) {
    const s = f(p, node);
    if (s) return s;
  }
  return undefined;
}
