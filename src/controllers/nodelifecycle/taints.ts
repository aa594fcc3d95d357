import {
  TAINT_DISK_PRESSURE,
  TAINT_MEMORY_PRESSURE,
  TAINT_NETWORK_UNAVAILABLE,
  TAINT_NOT_READY,
  TAINT_PID_PRESSURE,
  TAINT_UNREACHABLE,
  TAINT_UNSCHEDULABLE,
  sameTaint,
  type Taint,
} from '../../api/taints.js';
import { rfc3339, type NodeCondition, type ReadyStatus } from './health.js';
import type { Node } from '../../client/resources.js';

// The taints the node lifecycle controller owns: NoSchedule taints that mirror node
// conditions and spec.unschedulable (doNoScheduleTaintingPass, "taint nodes by condition"),
// and the NoExecute not-ready/unreachable taints that drive eviction (doNoExecuteTaintingPass).
// Taints anyone else put on the node are left alone.

/** condition type → condition status → taint key */
const CONDITION_TAINTS: Record<string, Record<string, string>> = {
  Ready: { False: TAINT_NOT_READY, Unknown: TAINT_UNREACHABLE },
  MemoryPressure: { True: TAINT_MEMORY_PRESSURE },
  DiskPressure: { True: TAINT_DISK_PRESSURE },
  NetworkUnavailable: { True: TAINT_NETWORK_UNAVAILABLE },
  PIDPressure: { True: TAINT_PID_PRESSURE },
};

const NO_SCHEDULE_KEYS = new Set([TAINT_UNSCHEDULABLE, ...Object.values(CONDITION_TAINTS).flatMap((m) => Object.values(m))]);
const NO_EXECUTE_KEYS = new Set([TAINT_NOT_READY, TAINT_UNREACHABLE]);

export function isManagedTaint(t: Taint): boolean {
  if (t.effect === 'NoSchedule') return NO_SCHEDULE_KEYS.has(t.key);
  if (t.effect === 'NoExecute') return NO_EXECUTE_KEYS.has(t.key);
  return false;
}

/**
 * The managed taints a node should carry, given its conditions (with this controller's
 * updates applied), its effective readiness and spec.unschedulable.
 */
export function desiredTaints(conditions: NodeCondition[], ready: ReadyStatus | undefined, unschedulable: boolean): Taint[] {
  const out: Taint[] = [];
  for (const c of conditions) {
    if (c.type === 'Ready') continue;
    const key = CONDITION_TAINTS[c.type]?.[c.status];
    if (key) out.push({ key, effect: 'NoSchedule' });
  }
  const readyKey = ready ? CONDITION_TAINTS.Ready[ready] : undefined;
  if (readyKey) out.unshift({ key: readyKey, effect: 'NoSchedule' });
  if (unschedulable) out.push({ key: TAINT_UNSCHEDULABLE, effect: 'NoSchedule' });
  if (readyKey) out.push({ key: readyKey, effect: 'NoExecute' });
  return out;
}

/**
 * The node's new taint list, or undefined when it already matches: unmanaged taints and
 * wanted managed ones stay as they are (keeping their timeAdded), stale managed ones go,
 * missing ones are appended (NoExecute ones stamped with timeAdded, which eviction counts from).
 */
export function reconcileTaints(current: Taint[], desired: Taint[], now: number): Taint[] | undefined {
  const kept = current.filter((t) => !isManagedTaint(t) || desired.some((d) => sameTaint(d, t)));
  const added = desired
    .filter((d) => !current.some((t) => sameTaint(d, t)))
    .map((d) => (d.effect === 'NoExecute' ? { ...d, timeAdded: rfc3339(now) } : d));
  if (added.length === 0 && kept.length === current.length) return undefined;
  return [...kept, ...added];
}

export function taintsOf(node: Node): Taint[] {
  return (node.spec?.taints ?? []) as Taint[];
}

/** A JSON patch that sets spec.taints only if nobody changed them since we read the node. */
export function taintsPatch(node: Node, next: Taint[]): unknown[] {
  const old = node.spec?.taints;
  if (old === undefined) {
    if (next.length === 0) return [];
    const ops: unknown[] = [{ op: 'test', path: '/metadata/uid', value: node.metadata.uid }];
    if (node.spec === undefined) ops.push({ op: 'add', path: '/spec', value: {} });
    ops.push({ op: 'add', path: '/spec/taints', value: next });
    return ops;
  }
  return [{ op: 'test', path: '/spec/taints', value: old }, next.length ? { op: 'replace', path: '/spec/taints', value: next } : { op: 'remove', path: '/spec/taints' }];
}
