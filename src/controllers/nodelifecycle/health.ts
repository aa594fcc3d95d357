import type { INodeCondition } from 'kubernetes-models/v1/NodeCondition';
import type { Lease, Node } from '../../client/resources.js';

// monitorNodeHealth of pkg/controller/nodelifecycle: a node whose kubelet has not been heard
// from (Lease renewal or status heartbeat) for the grace period gets its conditions set to
// Unknown, because nobody else will ever say the node is gone.

export type NodeCondition = INodeCondition;

/** Conditions the kubelet owns and the controller marks Unknown when the kubelet goes quiet. */
export const KUBELET_CONDITIONS = ['Ready', 'MemoryPressure', 'DiskPressure', 'PIDPressure'] as const;

export const REASON_STATUS_UNKNOWN = 'NodeStatusUnknown';
export const MESSAGE_STATUS_UNKNOWN = 'Kubelet stopped posting node status.';
export const REASON_NEVER_UPDATED = 'NodeStatusNeverUpdated';
export const MESSAGE_NEVER_UPDATED = 'Kubelet never posted node status.';

export const DEFAULT_GRACE_PERIOD_MS = 40_000;

export type ReadyStatus = 'True' | 'False' | 'Unknown';

export interface HealthInput {
  node: Node;
  /** The node's Lease in kube-node-lease, when there is one. */
  lease?: Lease;
  now: number;
  gracePeriodMs: number;
  /**
   * When this controller last saw the kubelet renew its Lease or post its status, or first saw
   * the node (upstream's probeTimestamp, see observeProbe).
   */
  probeTime: number;
}

export interface Health {
  /** Nothing heard from the kubelet for longer than the grace period. */
  stale: boolean;
  /** Conditions to write (whole conditions, merged by type). Empty when nothing changes. */
  conditionUpdates: NodeCondition[];
  /**
   * Readiness as the taints should reflect it: Unknown when stale; the kubelet's own status
   * otherwise, except that a Ready=Unknown left from an earlier outage while the Lease is
   * fresh again counts as recovering (undefined), so the unreachable taints come off at once.
   */
  ready: ReadyStatus | undefined;
  /** ms until the node would turn stale if nothing is heard, when it is not stale yet. */
  staleInMs?: number;
}

function time(s: unknown): number {
  const t = typeof s === 'string' ? Date.parse(s) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function conditionsOf(node: Node): NodeCondition[] {
  return (node.status?.conditions ?? []) as NodeCondition[];
}

export function readyOf(node: Node): ReadyStatus | undefined {
  return conditionsOf(node).find((c) => c.type === 'Ready')?.status as ReadyStatus | undefined;
}

/** The last time the kubelet was heard from, as far as this controller can tell. */
export function lastHeard(i: HealthInput): number {
  const renew = time(i.lease?.spec?.renewTime);
  const heartbeat = time(conditionsOf(i.node).find((c) => c.type === 'Ready')?.lastHeartbeatTime);
  return Math.max(renew, heartbeat, i.probeTime);
}

/** The kubelet's signs of life as this controller last saw them, and when they last changed. */
export interface Probe {
  renewTime?: string;
  heartbeatTime?: string;
  at: number;
}

/**
 * The probe after looking at the node and its Lease at `now`. As upstream's probeTimestamp,
 * staleness counts from when a renewal was seen, not from the time written in it: a renewal
 * that reaches this controller late (a busy API, a lagging informer) still buys a full grace
 * period, so the latency never counts against a kubelet that keeps renewing. The Lease is the
 * kubelet's alone; of the status, only a heartbeat the kubelet posted counts (this controller
 * writes Unknown and keeps lastHeartbeatTime).
 */
export function observeProbe(prev: Probe | undefined, node: Node, lease: Lease | undefined, now: number): Probe {
  const renewTime = lease?.spec?.renewTime;
  const ready = conditionsOf(node).find((c) => c.type === 'Ready');
  const heartbeatTime = ready && ready.status !== 'Unknown' ? (ready.lastHeartbeatTime as string | undefined) : prev?.heartbeatTime;
  if (!prev) return { renewTime, heartbeatTime, at: now };
  if (renewTime === prev.renewTime && heartbeatTime === prev.heartbeatTime) return prev;
  return { renewTime, heartbeatTime, at: now };
}

export function nodeHealth(i: HealthInput): Health {
  const heard = lastHeard(i);
  const stale = i.now > heard + i.gracePeriodMs;
  const current = readyOf(i.node);
  if (!stale) {
    return { stale, conditionUpdates: [], ready: current === 'Unknown' ? undefined : current, staleInMs: heard + i.gracePeriodMs - i.now + 1 };
  }
  const conditions = conditionsOf(i.node);
  const nowStr = rfc3339(i.now);
  const updates: NodeCondition[] = [];
  for (const type of KUBELET_CONDITIONS) {
    const c = conditions.find((x) => x.type === type);
    if (!c) {
      updates.push({
        type,
        status: 'Unknown',
        reason: REASON_NEVER_UPDATED,
        message: MESSAGE_NEVER_UPDATED,
        lastHeartbeatTime: (i.node.metadata.creationTimestamp ?? nowStr) as string,
        lastTransitionTime: nowStr,
      });
    } else if (c.status !== 'Unknown') {
      // lastHeartbeatTime stays: it is the last time the kubelet spoke.
      updates.push({ ...c, status: 'Unknown', reason: REASON_STATUS_UNKNOWN, message: MESSAGE_STATUS_UNKNOWN, lastTransitionTime: nowStr });
    }
  }
  return { stale, conditionUpdates: updates, ready: 'Unknown' };
}
