import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { KObject } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, scaleReplicaSetAndRecordEvent } from './sync.js';
import type { SyncContext } from './types.js';
import { actualReplicaCount, deploymentComplete, dreplicas, dstatus, filterActive } from './util.js';

// Recreate (pkg/controller/deployment/recreate.go): all old pods gone before any new one.

/** Pods by the uid of the ReplicaSet controlling them. */
export type PodMap = Map<string, KObject[]>;

export function oldPodsRunning(newRS: KObject | undefined, oldRSs: KObject[], podMap: PodMap): boolean {
  if (actualReplicaCount(oldRSs) > 0) return true;
  for (const [uid, pods] of podMap) {
    if (newRS && uid === newRS.metadata.uid) continue;
    for (const p of pods) {
      const phase = (p.status as IPodStatus | undefined)?.phase;
      // Finished pods hold nothing; anything else, Unknown included, may still run.
      if (phase === 'Failed' || phase === 'Succeeded') continue;
      return true;
    }
  }
  return false;
}

export async function rolloutRecreate(ctx: SyncContext, rsList: KObject[], podMap: PodMap): Promise<void> {
  let { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  const all = () => [...oldRSs, newRS];

  let scaledDown = false;
  for (const rs of filterActive(oldRSs)) {
    const r = await scaleReplicaSetAndRecordEvent(ctx, rs, 0);
    if (r.scaled) scaledDown = true;
  }
  if (scaledDown) return syncRolloutStatus(ctx, all(), newRS);
  if (oldPodsRunning(newRS, oldRSs, podMap)) return syncRolloutStatus(ctx, all(), newRS);

  if (!newRS) ({ newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, true));
  if (newRS) newRS = (await scaleReplicaSetAndRecordEvent(ctx, newRS, dreplicas(ctx.d))).rs;

  if (deploymentComplete(ctx.d, dstatus(ctx.d))) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, all(), newRS);
}
