import type { KObject } from '../../api/types.js';
import { syncRolloutStatus } from './progress.js';
import { cleanupDeployment, getAllReplicaSetsAndSyncRevision, newRSNewReplicas, replaceIn, scaleReplicaSetAndRecordEvent } from './sync.js';
import type { SyncContext } from './types.js';
import { availableReplicaCount, byCreation, deploymentComplete, dreplicas, dstatus, filterActive, maxUnavailable, rsReplicas, rsStatus, specReplicaCount } from './util.js';

// RollingUpdate (pkg/controller/deployment/rolling.go): grow the new ReplicaSet within
// maxSurge, shrink old ones within maxUnavailable, one step per sync.

export async function rolloutRolling(ctx: SyncContext, rsList: KObject[]): Promise<void> {
  const { newRS: created, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, true);
  let newRS = created as KObject;
  const allRSs = () => [...oldRSs, newRS];

  const up = await reconcileNewReplicaSet(ctx, allRSs(), newRS);
  newRS = up.rs;
  if (up.scaled) return syncRolloutStatus(ctx, allRSs(), newRS);

  const scaledDown = await reconcileOldReplicaSets(ctx, allRSs(), filterActive(oldRSs), newRS, oldRSs);
  if (scaledDown) return syncRolloutStatus(ctx, allRSs(), newRS);

  if (deploymentComplete(ctx.d, dstatus(ctx.d))) await cleanupDeployment(ctx, oldRSs);
  return syncRolloutStatus(ctx, allRSs(), newRS);
}

export async function reconcileNewReplicaSet(ctx: SyncContext, allRSs: KObject[], newRS: KObject): Promise<{ scaled: boolean; rs: KObject }> {
  const want = dreplicas(ctx.d);
  if (rsReplicas(newRS) === want) return { scaled: false, rs: newRS };
  if (rsReplicas(newRS) > want) return scaleReplicaSetAndRecordEvent(ctx, newRS, want);
  return scaleReplicaSetAndRecordEvent(ctx, newRS, newRSNewReplicas(ctx.d, allRSs, newRS));
}

/** Scales old ReplicaSets down as far as availability allows; oldRSs entries are replaced by the written ones. */
export async function reconcileOldReplicaSets(
  ctx: SyncContext,
  allRSs: KObject[],
  activeOld: KObject[],
  newRS: KObject,
  oldRSs: KObject[],
): Promise<boolean> {
  if (specReplicaCount(activeOld) === 0) return false;
  const d = ctx.d;
  const minAvailable = dreplicas(d) - maxUnavailable(d);
  const newUnavailable = rsReplicas(newRS) - (rsStatus(newRS).availableReplicas ?? 0);
  const maxScaledDown = specReplicaCount(allRSs) - minAvailable - newUnavailable;
  if (maxScaledDown <= 0) return false;

  // Unhealthy replicas go first: removing them costs no availability.
  const { cleaned, count: cleanedCount } = await cleanupUnhealthyReplicas(ctx, activeOld, maxScaledDown, oldRSs);
  const scaledDown = await scaleDownOldReplicaSetsForRollingUpdate(ctx, [...cleaned, newRS], cleaned, oldRSs);
  return cleanedCount + scaledDown > 0;
}

async function cleanupUnhealthyReplicas(ctx: SyncContext, old: KObject[], maxCleanup: number, oldRSs: KObject[]): Promise<{ cleaned: KObject[]; count: number }> {
  const sorted = old.slice().sort(byCreation);
  let total = 0;
  for (let i = 0; i < sorted.length; i++) {
    const rs = sorted[i];
    if (total >= maxCleanup) break;
    const replicas = rsReplicas(rs);
    const available = rsStatus(rs).availableReplicas ?? 0;
    if (replicas === 0 || replicas === available) continue;
    const n = Math.min(maxCleanup - total, replicas - available);
    const r = await scaleReplicaSetAndRecordEvent(ctx, rs, replicas - n);
    sorted[i] = r.rs;
    replaceIn(oldRSs, r.rs);
    total += n;
  }
  return { cleaned: sorted, count: total };
}

async function scaleDownOldReplicaSetsForRollingUpdate(ctx: SyncContext, allRSs: KObject[], old: KObject[], oldRSs: KObject[]): Promise<number> {
  const d = ctx.d;
  const minAvailable = dreplicas(d) - maxUnavailable(d);
  const available = availableReplicaCount(allRSs);
  if (available <= minAvailable) return 0;
  const totalToScaleDown = available - minAvailable;
  let total = 0;
  for (const rs of old.slice().sort(byCreation)) {
    if (total >= totalToScaleDown) break;
    const replicas = rsReplicas(rs);
    if (replicas === 0) continue;
    const n = Math.min(replicas, totalToScaleDown - total);
    const r = await scaleReplicaSetAndRecordEvent(ctx, rs, replicas - n);
    replaceIn(oldRSs, r.rs);
    total += n;
  }
  return total;
}
