import type { KObject } from '../../api/types.js';
import { isPodAvailable, isPodReady } from '../podutil.js';
import { nodeShouldRunDaemonPod } from './placement.js';
import { isPodUpdated } from './revision.js';
import { byCreationAndPhase } from './sync.js';

// updateDaemonSetStatus: counted per node, from the first of each node's daemon pods.

export interface DaemonSetStatus {
  currentNumberScheduled: number;
  numberMisscheduled: number;
  desiredNumberScheduled: number;
  numberReady: number;
  observedGeneration?: number;
  updatedNumberScheduled?: number;
  numberAvailable?: number;
  numberUnavailable?: number;
  collisionCount?: number;
  conditions?: unknown[];
}

export function calculateStatus(ds: KObject, nodes: KObject[], byNode: Map<string, KObject[]>, hash: string, generation: string | undefined, now: number): DaemonSetStatus {
  const minReady = (ds.spec as { minReadySeconds?: number } | undefined)?.minReadySeconds ?? 0;
  const old = (ds.status ?? {}) as DaemonSetStatus;
  let desired = 0, current = 0, misscheduled = 0, ready = 0, available = 0, updated = 0;
  for (const node of nodes) {
    const pods = (byNode.get(node.metadata.name ?? '') ?? []).slice().sort(byCreationAndPhase);
    const scheduled = pods.length > 0;
    if (nodeShouldRunDaemonPod(node, ds).shouldRun) {
      desired++;
      if (!scheduled) continue;
      current++;
      const pod = pods[0];
      if (isPodReady(pod)) {
        ready++;
        if (isPodAvailable(pod, minReady, now)) available++;
      }
      if (isPodUpdated(pod, hash, generation)) updated++;
    } else if (scheduled) {
      misscheduled++;
    }
  }
  // The four counts are always written; the rest are omitempty in the Go type.
  const st: DaemonSetStatus = { currentNumberScheduled: current, numberMisscheduled: misscheduled, desiredNumberScheduled: desired, numberReady: ready };
  const gen = ds.metadata.generation ?? old.observedGeneration;
  if (gen) st.observedGeneration = gen;
  if (updated) st.updatedNumberScheduled = updated;
  if (available) st.numberAvailable = available;
  if (desired - available) st.numberUnavailable = desired - available;
  if (old.collisionCount) st.collisionCount = old.collisionCount;
  if (old.conditions?.length) st.conditions = old.conditions;
  return st;
}
