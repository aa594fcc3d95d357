import type { KObject } from '../../api/types.js';
import { isPodAvailable, isPodReady } from '../podutil.js';
import { nodeShouldRunDaemonPod, targetNodeName } from './placement.js';
import { REVISION_HASH_LABEL } from './revision.js';
import { maxSurge } from './rolling.js';

// The manage decision of the DaemonSet controller (daemon_controller.go: getNodesToDaemonPods,
// podsShouldBeOnNode): which nodes need a daemon pod and which daemon pods must go.

export interface NodesPlan {
  /** Nodes that should run a daemon pod and have none. */
  create: string[];
  /** Pods to delete: failed ones, extras beyond one per node, and those on nodes they may not stay on. */
  remove: KObject[];
  /** The failed pods among those removed, which upstream reports in an event. */
  failed: KObject[];
}

function creationTime(p: KObject): number {
  const t = p.metadata.creationTimestamp ? Date.parse(p.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** podByCreationTimestampAndPhase: running pods first, then the oldest, then by name. */
export function byCreationAndPhase(a: KObject, b: KObject): number {
  const ra = (a.status as { phase?: string } | undefined)?.phase === 'Running';
  const rb = (b.status as { phase?: string } | undefined)?.phase === 'Running';
  if (ra !== rb) return ra ? -1 : 1;
  const ta = creationTime(a), tb = creationTime(b);
  if (ta !== tb) return ta - tb;
  return (a.metadata.name ?? '').localeCompare(b.metadata.name ?? '');
}

/** The DaemonSet's pods by the node each is bound or pinned to; pods with neither are left out. */
export function podsByNode(pods: KObject[]): Map<string, KObject[]> {
  const out = new Map<string, KObject[]>();
  for (const p of pods) {
    const node = targetNodeName(p);
    if (!node) continue;
    const list = out.get(node);
    if (list) list.push(p);
    else out.set(node, [p]);
  }
  return out;
}

function phase(p: KObject): string | undefined {
  return (p.status as { phase?: string } | undefined)?.phase;
}

/**
 * With surge a node may hold two pods, the oldest of the current revision and the oldest of an
 * older one, while the new is not yet available and the old still ready; all others go.
 */
function surplusWithSurge(running: KObject[], hash: string, minReady: number, now: number): KObject[] {
  let oldestNew: KObject | undefined, oldestOld: KObject | undefined;
  const out: KObject[] = [];
  for (const p of running) {
    const current = p.metadata.labels?.[REVISION_HASH_LABEL] === hash;
    if (current && !oldestNew) oldestNew = p;
    else if (!current && !oldestOld) oldestOld = p;
    else out.push(p);
  }
  if (oldestNew && oldestOld && (!isPodReady(oldestOld) || isPodAvailable(oldestNew, minReady, now))) out.push(oldestOld);
  return out;
}

/** What one sync does on each node, and to pods whose node is gone. */
export function planNodes(ds: KObject, nodes: KObject[], byNode: Map<string, KObject[]>, hash: string, now: number): NodesPlan {
  const surge = maxSurge(ds, nodes.length) > 0;
  const minReady = (ds.spec as { minReadySeconds?: number } | undefined)?.minReadySeconds ?? 0;
  const create: string[] = [];
  const remove: KObject[] = [];
  const failed: KObject[] = [];
  const seen = new Set<string>();
  for (const node of nodes) {
    const name = node.metadata.name ?? '';
    seen.add(name);
    const pods = byNode.get(name) ?? [];
    const { shouldRun, shouldContinueRunning } = nodeShouldRunDaemonPod(node, ds);
    if (shouldRun && pods.length === 0) {
      create.push(name);
    } else if (shouldContinueRunning) {
      const running: KObject[] = [];
      for (const p of pods) {
        if (p.metadata.deletionTimestamp) continue;
        // A finished daemon pod is replaced; its successor is made once it is gone.
        if (phase(p) === 'Failed') failed.push(p);
        if (phase(p) === 'Failed' || phase(p) === 'Succeeded') remove.push(p);
        else running.push(p);
      }
      if (surge) remove.push(...surplusWithSurge(running.sort(byCreationAndPhase), hash, minReady, now));
      // Without surge, one pod per node: the oldest running one stays.
      else if (running.length > 1) remove.push(...running.sort(byCreationAndPhase).slice(1));
    } else {
      remove.push(...pods.filter((p) => !p.metadata.deletionTimestamp));
    }
  }
  // getUnscheduledPodsWithoutNode: a pod pinned to a node that is gone would wait for the
  // scheduler forever, and the pod GC only collects pods bound to a node.
  for (const [name, pods] of byNode) {
    if (!seen.has(name)) remove.push(...pods.filter((p) => !(p.spec as { nodeName?: string } | undefined)?.nodeName && !p.metadata.deletionTimestamp));
  }
  return { create: create.sort(), remove, failed };
}
