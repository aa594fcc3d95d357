import type { KObject } from '../../api/types.js';
import { isPodAvailable } from '../podutil.js';
import { isPodUpdated } from './revision.js';

// The RollingUpdate decision without surge (update.go rollingUpdate, maxSurge 0): old pods
// are deleted, at most maxUnavailable nodes at a time counting nodes whose pod is missing or
// not yet available, and manage then creates their successors from the current template.

/** GetScaledValueFromIntOrPercent, rounding up as the DaemonSet controller asks. */
export function scaledValue(v: unknown, total: number): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^\d+%$/.test(v)) return Math.ceil((Number(v.slice(0, -1)) * total) / 100);
  if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v);
  return 0;
}

/** updatedDesiredNodeCounts: maxUnavailable against the nodes that should run the pod; 1 when both bounds come to 0. */
export function maxUnavailable(ds: KObject, desired: number): number {
  const ru = (ds.spec as { updateStrategy?: { rollingUpdate?: { maxUnavailable?: unknown; maxSurge?: unknown } } } | undefined)?.updateStrategy?.rollingUpdate;
  const unavailable = scaledValue(ru?.maxUnavailable, desired);
  const surge = scaledValue(ru?.maxSurge, desired);
  return unavailable === 0 && surge === 0 ? 1 : unavailable;
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

/** The old pods this sync may delete. `byNode` holds the DaemonSet's pods on the nodes that should run it. */
export function rollingUpdateDeletions(
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
