import type { KObject } from '../../api/types.js';
import { calculateStatus, sameStatus, writeStatus } from './sync.js';
import type { SyncContext } from './types.js';
import {
  deploymentComplete,
  deploymentProgressing,
  deploymentTimedOut,
  getCondition,
  hasProgressDeadline,
  NEW_RS_AVAILABLE_REASON,
  newCondition,
  progressDeadlineSeconds,
  removeCondition,
  RS_UPDATED_REASON,
  rsStatus,
  setCondition,
  TIMED_OUT_REASON,
  type DeploymentStatus,
} from './util.js';

// The Progressing condition and the progress deadline (pkg/controller/deployment/progress.go).

/** A ReplicaFailure condition copied from the first failing RS, new one first. */
function replicaFailure(allRSs: (KObject | undefined)[], newRS: KObject | undefined) {
  const ordered = newRS ? [newRS, ...allRSs.filter((r) => r && r !== newRS)] : allRSs;
  for (const rs of ordered) {
    if (!rs) continue;
    const c = rsStatus(rs).conditions?.find((x) => x.type === 'ReplicaFailure' && x.status === 'True');
    if (c) return c;
  }
  return undefined;
}

export async function syncRolloutStatus(ctx: SyncContext, allRSs: (KObject | undefined)[], newRS: KObject | undefined): Promise<void> {
  const { d, fx } = ctx;
  const now = fx.now();
  const next = calculateStatus(allRSs, newRS, d, now);
  if (!hasProgressDeadline(d)) removeCondition(next, 'Progressing');

  const current = getCondition(next, 'Progressing');
  const isComplete = next.replicas === next.updatedReplicas && current?.reason === NEW_RS_AVAILABLE_REASON;
  if (hasProgressDeadline(d) && !isComplete) {
    if (deploymentComplete(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" has successfully progressed.` : 'Deployment has successfully progressed.';
      setCondition(next, newCondition('Progressing', 'True', NEW_RS_AVAILABLE_REASON, msg, now));
    } else if (deploymentProgressing(d, next)) {
      const msg = newRS ? `ReplicaSet "${newRS.metadata.name}" is progressing.` : 'Deployment is progressing.';
      const cond = newCondition('Progressing', 'True', RS_UPDATED_REASON, msg, now);
      // Progress refreshes lastUpdateTime (the deadline clock) even when the reason repeats.
      if (current) {
        if (current.status === 'True') cond.lastTransitionTime = current.lastTransitionTime;
        removeCondition(next, 'Progressing');
      }
      setCondition(next, cond);
    } else if (deploymentTimedOut(d, next, now)) {
      const msg = newRS
        ? `ReplicaSet "${newRS.metadata.name}" has timed out progressing.`
        : `Deployment "${d.metadata.name}" has timed out progressing.`;
      setCondition(next, newCondition('Progressing', 'False', TIMED_OUT_REASON, msg, now));
    }
  }

  const failure = replicaFailure(allRSs, newRS);
  if (failure) {
    setCondition(next, newCondition('ReplicaFailure', failure.status as 'True', failure.reason ?? '', failure.message ?? '', now));
  } else removeCondition(next, 'ReplicaFailure');

  if (sameStatus(d.status, next)) {
    requeueStuckDeployment(ctx, next);
    return;
  }
  d.status = next;
  await writeStatus(ctx);
}

/** Looks again when the deadline would pass with nothing else happening (requeueStuckDeployment). */
export function requeueStuckDeployment(ctx: SyncContext, st: DeploymentStatus): void {
  const { d } = ctx;
  const cond = getCondition(st, 'Progressing');
  if (!hasProgressDeadline(d) || !cond) return;
  if (deploymentComplete(d, st) || cond.reason === TIMED_OUT_REASON) return;
  const from = cond.lastUpdateTime ? Date.parse(cond.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return;
  const after = from + progressDeadlineSeconds(d) * 1000 - ctx.fx.now();
  // Upstream's enqueueRateLimited for a deadline under a second away: a completed rollout whose
  // pods became unavailable (reason NewReplicaSetAvailable, which never times out) stays here
  // for good, and a requeue at 0 ms would reconcile it without ever yielding the event loop.
  if (after < 1000) ctx.requeue = true;
  else ctx.requeueAfter = after + 1000;
}
