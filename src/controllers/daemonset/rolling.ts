import type { KObject } from '../../api/types.js';
import { isPodAvailable } from '../podutil.js';
import { isPodUpdated } from './revision.js';

// The RollingUpdate decision (update.go rollingUpdate). Without surge, old pods are deleted,
// at most maxUnavailable nodes at a time counting nodes whose pod is missing or not yet
// available, and manage then creates their successors. With surge, a new pod is created beside
// the old one on at most maxSurge nodes at a time, and the old one goes once the new is available.

/** GetScaledValueFromIntOrPercent, rounding up as the DaemonSet controller asks. */
export function scaledValue(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Math.ceil((Number(v.slice(0, -1)) * total) / 100);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

function rollingUpdateOf(ds: KObject): { maxUnavailable?: unknown; maxSurge?: unknown } | undefined {
  const strategy = (ds.spec as { updateStrategy?: { type?: string; rollingUpdate?: { maxUnavailable?: unknown; maxSurge?: unknown } } } | undefined)?.updateStrategy;
  return strategy?.type === 'RollingUpdate' ? strategy.rollingUpdate : undefined;
}

/** maxSurge against the nodes that should run the pod; above 0, the update surges (AllowsSurge). */
export function maxSurge(ds: KObject, desired: number): number {
  return scaledValue(rollingUpdateOf(ds)?.maxSurge, desired);
}

/** updatedDesiredNodeCounts: maxUnavailable against the nodes that should run the pod; 1 when both bounds come to 0. */
export function maxUnavailable(ds: KObject, desired: number): number {
  const unavailable = scaledValue(rollingUpdateOf(ds)?.maxUnavailable, desired);
  return unavailable === 0 && maxSurge(ds, desired) === 0 ? 1 : unavailable;
}

/** findUpdatedPodsOnNode: the node's one new and one old pod, or undefined when it has more of either. */
function updatedPodsOnNode(pods: KObject[], hash: string, generation: string | undefined): { newPod?: KObject; oldPod?: KObject } | undefined {
  let newPod: KObject | undefined, oldPod: KObject | undefined;
  for (const p of pods) {
    if (p.metadata.deletionTimestamp) continue;
    if (isPodUpdated(p, hash, generation)) {
      if (newPod) return undefined;
      newPod = p;
    } else {
      if (oldPod) return undefined;
      oldPod = p;
    }
  }
  return { newPod, oldPod };
}

export interface RollingStep {
  /** Nodes that get a new pod beside their old one (surge only). */
  create: string[];
  remove: KObject[];
}

/**
 * What this sync does for the update. `byNode` holds the DaemonSet's pods by node; `shouldRun`
 * says whether a node should run the pod now.
 */
export function rollingUpdate(
  ds: KObject,
  byNode: Map<string, KObject[]>,
  desired: number,
  shouldRun: (node: string) => boolean,
  hash: string,
  generation: string | undefined,
  now: number,
): RollingStep {
  const surge = maxSurge(ds, desired);
  if (surge === 0) return { create: [], remove: rollingUpdateDeletions(ds, byNode, desired, hash, generation, now) };
  const minReady = (ds.spec as { minReadySeconds?: number } | undefined)?.minReadySeconds ?? 0;
  let surging = 0;
  const remove: KObject[] = [];
  const replacements: string[] = [];
  const candidates: string[] = [];
  for (const node of [...byNode.keys()].sort()) {
    const found = updatedPodsOnNode(byNode.get(node) ?? [], hash, generation);
    // manage settles duplicates; until then the node counts against the surge.
    if (!found) {
      surging++;
      continue;
    }
    const { newPod, oldPod } = found;
    if (!oldPod) continue;
    if (!newPod) {
      if (!isPodAvailable(oldPod, minReady, now)) {
        // An unavailable old pod is replaced at once, where the pod still belongs.
        if (shouldRun(node)) replacements.push(node);
      } else if (surging < surge) {
        candidates.push(node);
      }
      continue;
    }
    if (!isPodAvailable(newPod, minReady, now)) surging++;
    else remove.push(oldPod);
  }
  const room = Math.min(Math.max(0, surge - surging), candidates.length);
  return { create: [...replacements, ...candidates.slice(0, room)], remove };
}

/** Without surge: the old pods this sync may delete. */
function rollingUpdateDeletions(
  ds: KObject,
  byNode: Map<string, KObject[]>,
  desired: number,
  hash: string,
  generation: string | undefined,
  now: number,
): KObject[] {
  const minReady = (ds.spec as { minReadySeconds?: number } | undefined)?.minReadySeconds ?? 0;
  const budget = maxUnavailable(ds, desired);
  let unavailable = 0;
  const replacements: KObject[] = [];
  const candidates: KObject[] = [];
  for (const node of [...byNode.keys()].sort()) {
    const found = updatedPodsOnNode(byNode.get(node) ?? [], hash, generation);
    // Duplicates and half-replaced nodes are manage's to settle; until then the node counts as unavailable.
    if (!found || (found.newPod === undefined) === (found.oldPod === undefined)) {
      unavailable++;
      continue;
    }
    if (found.newPod) {
      if (!isPodAvailable(found.newPod, minReady, now)) unavailable++;
      continue;
    }
    const old = found.oldPod as KObject;
    if (!isPodAvailable(old, minReady, now)) replacements.push(old);
    else if (unavailable < budget) candidates.push(old);
  }
  const room = Math.min(Math.max(0, budget - unavailable), candidates.length);
  return [...replacements, ...candidates.slice(0, room)];
}
