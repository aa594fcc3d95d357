import type { KObject } from '../../api/types.js';
import { selectorIsEmpty } from '../../api/selectors.js';
import { claim, controllerOf, newControllerRef } from '../../client/controllerref.js';
import { rolloutRecreate, type PodMap } from './recreate.js';
import { rolloutRolling } from './rolling.js';
import { checkPausedConditions, isScalingEvent, sync, syncStatusOnly, writeStatus } from './sync.js';
import type { DeploymentEffects, SyncContext } from './types.js';
import { dspec, dstatus } from './util.js';

// One reconcile of a Deployment (syncDeployment in deployment_controller.go): pick the
// ReplicaSets it controls, then status only, paused/scaling sync, or a rollout step.

/** Adopts matching orphans and releases owned ReplicaSets that stopped matching. */
export async function claimReplicaSets(ctx: SyncContext, rsInNamespace: KObject[]): Promise<KObject[]> {
  const { d, fx } = ctx;
  const out: KObject[] = [];
  for (const rs of rsInNamespace) {
    const c = claim(d, dspec(d).selector, rs);
    if (c === 'owned') out.push(rs);
    else if (c === 'adopt') out.push(await fx.setReplicaSetOwnerRefs(rs, [...(rs.metadata.ownerReferences ?? []), newControllerRef(d, 'apps/v1', 'Deployment')]));
    else if (c === 'release') await fx.setReplicaSetOwnerRefs(rs, (rs.metadata.ownerReferences ?? []).filter((r) => r.uid !== d.metadata.uid));
  }
  return out;
}

export function podMapFor(rsList: KObject[], pods: KObject[]): PodMap {
  const m: PodMap = new Map(rsList.map((rs) => [rs.metadata.uid as string, [] as KObject[]]));
  for (const p of pods) {
    const ref = controllerOf(p);
    if (ref && m.has(ref.uid)) m.get(ref.uid)!.push(p);
  }
  return m;
}

export async function syncDeployment(
  cached: KObject,
  rsInNamespace: KObject[],
  podsInNamespace: KObject[],
  fx: DeploymentEffects,
): Promise<{ requeueAfter?: number; requeue?: boolean }> {
  // Upstream mutates its copy of the deployment step by step; the cache stays untouched.
  const d = structuredClone(cached);
  const ctx: SyncContext = { fx, d };
  if (selectorIsEmpty(dspec(d).selector)) {
    fx.event(d, 'Warning', 'SelectingAll', 'This deployment is selecting all pods. A non-empty selector is required.');
    const st = dstatus(d);
    if ((st.observedGeneration ?? 0) < (d.metadata.generation ?? 0)) {
      st.observedGeneration = d.metadata.generation;
      await writeStatus(ctx);
    }
    return {};
  }
  const rsList = await claimReplicaSets(ctx, rsInNamespace);
  ctx.rsList = rsList;
  if (d.metadata.deletionTimestamp) {
    await syncStatusOnly(ctx, rsList);
    return {};
  }
  await checkPausedConditions(ctx);
  if (dspec(d).paused) {
    await sync(ctx, rsList);
    return {};
  }
  if (await isScalingEvent(ctx, rsList)) {
    await sync(ctx, rsList);
    return {};
  }
  if (dspec(d).strategy?.type === 'Recreate') await rolloutRecreate(ctx, rsList, podMapFor(rsList, podsInNamespace));
  else await rolloutRolling(ctx, rsList);
  if (ctx.requeue) return { requeue: true };
  return ctx.requeueAfter !== undefined ? { requeueAfter: ctx.requeueAfter } : {};
}
