import type { IReplicaSetSpec } from 'kubernetes-models/apps/v1/ReplicaSetSpec';
import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isNamespaceTerminating } from '../../client/client.js';
import { controllerOf, newControllerRef } from '../../client/controllerref.js';
import { computeHash, equalIgnoreHash, POD_TEMPLATE_HASH_LABEL } from './hash.js';
import type { SyncContext } from './types.js';
import {
  actualReplicaCount,
  availableReplicaCount,
  byCreation,
  byRevision,
  bySizeNewer,
  bySizeOlder,
  desiredReplicasAnnotation,
  dreplicas,
  dspec,
  dstatus,
  FAILED_RS_CREATE_REASON,
  filterActive,
  findActiveOrLatest,
  FOUND_NEW_RS_REASON,
  getCondition,
  getProportion,
  hasProgressDeadline,
  isRollingUpdate,
  isSaturated,
  maxRevision,
  maxSurge,
  maxUnavailable,
  MIN_AVAILABLE_REASON,
  MIN_UNAVAILABLE_REASON,
  NEW_RS_REASON,
  newCondition,
  PAUSED_REASON,
  readyReplicaCount,
  replicasAnnotationsNeedUpdate,
  REVISION_ANNOTATION,
  revisionHistoryLimit,
  RESUMED_REASON,
  rsReplicas,
  rsStatus,
  rsTemplate,
  setCondition,
  setNewReplicaSetAnnotations,
  setReplicasAnnotations,
  specReplicaCount,
  TIMED_OUT_REASON,
  type DeploymentStatus,
} from './util.js';

// The scaling, revision and status half of the deployment controller
// (pkg/controller/deployment/sync.go).

/** Writes ctx.d's status and keeps the returned resourceVersion for the next write. */
export async function writeStatus(ctx: SyncContext): Promise<void> {
  const out = await ctx.fx.updateDeploymentStatus(ctx.d);
  if (out?.metadata?.resourceVersion) ctx.d.metadata.resourceVersion = out.metadata.resourceVersion;
}

/** The revision lives in metadata; it is written apart from status so no apiserver drops it. */
async function syncRevision(ctx: SyncContext, revision: string | undefined): Promise<void> {
  if (!revision || ctx.d.metadata.annotations?.[REVISION_ANNOTATION] === revision) return;
  ctx.d.metadata.annotations = { ...(ctx.d.metadata.annotations ?? {}), [REVISION_ANNOTATION]: revision };
  const out = await ctx.fx.patchDeploymentAnnotations(ctx.d, { [REVISION_ANNOTATION]: revision });
  if (out?.metadata?.resourceVersion) ctx.d.metadata.resourceVersion = out.metadata.resourceVersion;
}

export function findNewReplicaSet(d: KObject, rsList: KObject[]): KObject | undefined {
  // The oldest matching one wins, so a hash collision cannot flip the choice.
  return rsList.slice().sort(byCreation).find((rs) => equalIgnoreHash(rsTemplate(rs), dspec(d).template));
}

export function findOldReplicaSets(d: KObject, rsList: KObject[]): { oldRSs: KObject[]; allOldRSs: KObject[] } {
  const newRS = findNewReplicaSet(d, rsList);
  const allOldRSs = rsList.filter((rs) => !newRS || rs.metadata.uid !== newRS.metadata.uid);
  return { oldRSs: allOldRSs.filter((rs) => rsReplicas(rs) !== 0), allOldRSs };
}

/** How big the new RS may be now (NewRSNewReplicas). */
export function newRSNewReplicas(d: KObject, allRSs: KObject[], newRS: KObject): number {
  if (!isRollingUpdate(d)) return dreplicas(d);
  const current = specReplicaCount(allRSs);
  const maxTotal = dreplicas(d) + maxSurge(d);
  if (current >= maxTotal) return rsReplicas(newRS);
  const up = Math.min(maxTotal - current, dreplicas(d) - rsReplicas(newRS));
  return rsReplicas(newRS) + up;
}

export function replaceIn(list: KObject[], rs: KObject): void {
  const i = list.findIndex((x) => x.metadata.uid === rs.metadata.uid);
  if (i >= 0) list[i] = rs;
}

/**
 * The new RS (created when asked and missing, with the next revision) and the old ones
 * (getAllReplicaSetsAndSyncRevision + getNewReplicaSet).
 */
export async function getAllReplicaSetsAndSyncRevision(
  ctx: SyncContext,
  rsList: KObject[],
  createIfNotExisted: boolean,
): Promise<{ newRS?: KObject; oldRSs: KObject[] }> {
  const { d, fx } = ctx;
  const { allOldRSs } = findOldReplicaSets(d, rsList);
  const existing = findNewReplicaSet(d, rsList);
  const newRevision = String(maxRevision(allOldRSs) + 1);
  const now = fx.now();

  if (existing) {
    // Only annotations and spec.minReadySeconds change on the copy: this runs on every sync,
    // and a sync follows every status change of every ReplicaSet of the Deployment.
    const copy: KObject = {
      ...existing,
      metadata: { ...existing.metadata, ...(existing.metadata.annotations ? { annotations: { ...existing.metadata.annotations } } : {}) },
      spec: { ...(existing.spec as object) },
    };
    const annotationsUpdated = setNewReplicaSetAnnotations(d, copy, newRevision, true);
    const spec = copy.spec as IReplicaSetSpec;
    const minReadyNeedsUpdate = (spec.minReadySeconds ?? 0) !== (dspec(d).minReadySeconds ?? 0);
    if (annotationsUpdated || minReadyNeedsUpdate) {
      spec.minReadySeconds = dspec(d).minReadySeconds ?? 0;
      const updated = await fx.updateReplicaSet(copy);
      replaceIn(rsList, updated);
      return { newRS: updated, oldRSs: allOldRSs };
    }
    await syncRevision(ctx, copy.metadata.annotations?.[REVISION_ANNOTATION]);
    if (hasProgressDeadline(d) && !getCondition(dstatus(d), 'Progressing')) {
      setCondition(dstatus(d), newCondition('Progressing', 'True', FOUND_NEW_RS_REASON, `Found new replica set "${copy.metadata.name}"`, now));
      await writeStatus(ctx);
    }
    return { newRS: copy, oldRSs: allOldRSs };
  }
  if (!createIfNotExisted) return { oldRSs: allOldRSs };

  const st = dstatus(d);
  const template = structuredClone(dspec(d).template ?? {});
  const hash = computeHash(template, st.collisionCount);
  template.metadata = { ...(template.metadata ?? {}), labels: { ...(template.metadata?.labels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash } };
  const selector = structuredClone(dspec(d).selector ?? {});
  selector.matchLabels = { ...(selector.matchLabels ?? {}), [POD_TEMPLATE_HASH_LABEL]: hash };
  const newRS: KObject = {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: {
      // Deterministic, so a retried create cannot make a second one.
      name: `${d.metadata.name}-${hash}`,
      namespace: d.metadata.namespace,
      ownerReferences: [newControllerRef(d, 'apps/v1', 'Deployment')],
      labels: { ...(template.metadata.labels as Record<string, string>) },
    },
    spec: { replicas: 0, minReadySeconds: dspec(d).minReadySeconds ?? 0, selector, template },
  };
  const count = newRSNewReplicas(d, [...allOldRSs, newRS], newRS);
  (newRS.spec as IReplicaSetSpec).replicas = count;
  setNewReplicaSetAnnotations(d, newRS, newRevision, false);

  let created: KObject;
  let alreadyExists = false;
  try {
    created = await fx.createReplicaSet(newRS);
  } catch (e) {
    if (isAlreadyExists(e)) {
      alreadyExists = true;
      const rs = fx.getReplicaSet(d.metadata.namespace as string, newRS.metadata.name as string);
      if (!rs) throw e;
      const ref = controllerOf(rs);
      if (!(ref && ref.uid === d.metadata.uid && equalIgnoreHash(dspec(d).template, rsTemplate(rs)))) {
        // A different template hashed to the same name: bump collisionCount and retry.
        st.collisionCount = (st.collisionCount ?? 0) + 1;
        await writeStatus(ctx);
        throw e;
      }
      created = rs;
    } else if (isNamespaceTerminating(e)) {
      throw e;
    } else {
      const msg = `Failed to create new replica set "${newRS.metadata.name}": ${(e as Error).message}`;
      if (hasProgressDeadline(d)) {
        setCondition(st, newCondition('Progressing', 'False', FAILED_RS_CREATE_REASON, msg, now));
        await writeStatus(ctx).catch(() => undefined);
      }
      fx.event(d, 'Warning', FAILED_RS_CREATE_REASON, msg);
      throw e;
    }
  }
  if (!alreadyExists && count > 0) {
    fx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled up replica set ${created.metadata.name} to ${count}`);
  }
  await syncRevision(ctx, newRevision);
  if (!alreadyExists && hasProgressDeadline(d)) {
    setCondition(st, newCondition('Progressing', 'True', NEW_RS_REASON, `Created new replica set "${created.metadata.name}"`, now));
    await writeStatus(ctx);
  }
  rsList.push(created);
  return { newRS: created, oldRSs: allOldRSs };
}

/** Sets rs to newScale (and the replicas annotations); returns the possibly updated RS. */
export async function scaleReplicaSet(ctx: SyncContext, rs: KObject, newScale: number, op?: 'up' | 'down'): Promise<{ scaled: boolean; rs: KObject }> {
  const { d, fx } = ctx;
  const old = rsReplicas(rs);
  const sizeNeedsUpdate = old !== newScale;
  const max = dreplicas(d) + maxSurge(d);
  if (!sizeNeedsUpdate && !replicasAnnotationsNeedUpdate(rs, dreplicas(d), max)) return { scaled: false, rs };
  const copy = structuredClone(rs);
  (copy.spec as IReplicaSetSpec).replicas = newScale;
  setReplicasAnnotations(copy, dreplicas(d), max);
  const updated = await fx.updateReplicaSet(copy);
  if (ctx.rsList) replaceIn(ctx.rsList, updated);
  if (sizeNeedsUpdate) {
    const verb = op ?? (old < newScale ? 'up' : 'down');
    fx.event(d, 'Normal', 'ScalingReplicaSet', `Scaled ${verb} replica set ${rs.metadata.name} to ${newScale} from ${old}`);
  }
  return { scaled: sizeNeedsUpdate, rs: updated };
}

/** scaleReplicaSetAndRecordEvent: a no-op when the size is already right. */
export async function scaleReplicaSetAndRecordEvent(ctx: SyncContext, rs: KObject, newScale: number): Promise<{ scaled: boolean; rs: KObject }> {
  if (rsReplicas(rs) === newScale) return { scaled: false, rs };
  return scaleReplicaSet(ctx, rs, newScale);
}

/**
 * Scaling a deployment mid-rollout spreads the change over the active ReplicaSets in
 * proportion to their size, so neither version's share jumps (scale).
 */
export async function scale(ctx: SyncContext, newRS: KObject | undefined, oldRSs: KObject[]): Promise<void> {
  const { d } = ctx;
  const activeOrLatest = findActiveOrLatest(newRS, oldRSs);
  if (activeOrLatest) {
    if (rsReplicas(activeOrLatest) === dreplicas(d)) return;
    await scaleReplicaSetAndRecordEvent(ctx, activeOrLatest, dreplicas(d));
    return;
  }
  if (isSaturated(d, newRS)) {
    for (const old of filterActive(oldRSs)) await scaleReplicaSetAndRecordEvent(ctx, old, 0);
    return;
  }
  if (!isRollingUpdate(d)) return;
  const all = filterActive([...oldRSs, newRS]);
  const allReplicas = specReplicaCount(all);
  const allowed = dreplicas(d) > 0 ? dreplicas(d) + maxSurge(d) : 0;
  const toAdd = allowed - allReplicas;
  let op: 'up' | 'down' | undefined;
  if (toAdd > 0) {
    all.sort(bySizeNewer);
    op = 'up';
  } else if (toAdd < 0) {
    all.sort(bySizeOlder);
    op = 'down';
  }
  let added = 0;
  const sizes = new Map<KObject, number>();
  for (const rs of all) {
    if (toAdd !== 0) {
      const p = getProportion(rs, d, toAdd, added);
      sizes.set(rs, rsReplicas(rs) + p);
      added += p;
    } else sizes.set(rs, rsReplicas(rs));
  }
  for (let i = 0; i < all.length; i++) {
    const rs = all[i];
    if (i === 0 && toAdd !== 0) sizes.set(rs, Math.max(0, (sizes.get(rs) ?? 0) + toAdd - added));
    await scaleReplicaSet(ctx, rs, sizes.get(rs) ?? 0, op);
  }
}

/** Deletes old, empty ReplicaSets beyond revisionHistoryLimit, oldest revision first. */
export async function cleanupDeployment(ctx: SyncContext, oldRSs: KObject[]): Promise<void> {
  const limit = revisionHistoryLimit(ctx.d);
  const cleanable = oldRSs.filter((rs) => !rs.metadata.deletionTimestamp);
  const diff = cleanable.length - limit;
  if (diff <= 0) return;
  cleanable.sort(byRevision);
  for (let i = 0; i < diff; i++) {
    const rs = cleanable[i];
    const st = rsStatus(rs);
    if ((st.replicas ?? 0) !== 0 || rsReplicas(rs) !== 0 || (rs.metadata.generation ?? 0) > (st.observedGeneration ?? 0)) continue;
    await ctx.fx.deleteReplicaSet(rs);
  }
}

/** The status the ReplicaSets warrant, with Available set (calculateStatus). */
export function calculateStatus(allRSs: (KObject | undefined)[], newRS: KObject | undefined, d: KObject, now: number): DeploymentStatus {
  const available = availableReplicaCount(allRSs);
  const unavailable = Math.max(0, specReplicaCount(allRSs) - available);
  const old = (d.status ?? {}) as DeploymentStatus;
  const st: DeploymentStatus = {};
  // Zero counts are left out, as the Go types' omitempty does.
  const put = (k: keyof DeploymentStatus, v: number | undefined) => {
    if (v) (st as Record<string, unknown>)[k] = v;
  };
  put('observedGeneration', d.metadata.generation);
  put('replicas', actualReplicaCount(allRSs));
  put('updatedReplicas', actualReplicaCount([newRS]));
  put('readyReplicas', readyReplicaCount(allRSs));
  put('availableReplicas', available);
  put('unavailableReplicas', unavailable);
  if (old.conditions) st.conditions = old.conditions.map((c) => ({ ...c }));
  if (old.collisionCount !== undefined) st.collisionCount = old.collisionCount;
  if (available >= dreplicas(d) - maxUnavailable(d)) {
    setCondition(st, newCondition('Available', 'True', MIN_AVAILABLE_REASON, 'Deployment has minimum availability.', now));
  } else {
    setCondition(st, newCondition('Available', 'False', MIN_UNAVAILABLE_REASON, 'Deployment does not have minimum availability.', now));
  }
  return st;
}

export function sameStatus(a: unknown, b: unknown): boolean {
  return isDeepStrictEqual(a ?? {}, b ?? {});
}

export async function syncDeploymentStatus(ctx: SyncContext, allRSs: (KObject | undefined)[], newRS: KObject | undefined): Promise<void> {
  const st = calculateStatus(allRSs, newRS, ctx.d, ctx.fx.now());
  if (sameStatus(ctx.d.status, st)) return;
  ctx.d.status = st;
  await writeStatus(ctx);
}

/** A replicas change shows as an active RS whose desired-replicas annotation disagrees. */
export async function isScalingEvent(ctx: SyncContext, rsList: KObject[]): Promise<boolean> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  for (const rs of filterActive([...oldRSs, newRS])) {
    const desired = desiredReplicasAnnotation(rs);
    if (desired !== undefined && desired !== dreplicas(ctx.d)) return true;
  }
  return false;
}

/** Scaling and paused deployments: no rollout step, only proportional scaling (sync). */
export async function sync(ctx: SyncContext, rsList: KObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  await scale(ctx, newRS, oldRSs);
  // Re-read sizes after scaling from the list the writes updated.
  const fresh = (rs: KObject) => rsList.find((x) => x.metadata.uid === rs.metadata.uid) ?? rs;
  if (dspec(ctx.d).paused) await cleanupDeployment(ctx, oldRSs.map(fresh));
  await syncDeploymentStatus(ctx, [...oldRSs.map(fresh), newRS && fresh(newRS)], newRS && fresh(newRS));
}

export async function syncStatusOnly(ctx: SyncContext, rsList: KObject[]): Promise<void> {
  const { newRS, oldRSs } = await getAllReplicaSetsAndSyncRevision(ctx, rsList, false);
  await syncDeploymentStatus(ctx, [...oldRSs, newRS], newRS);
}

/** Paused/resumed Progressing conditions, so a long pause is not read as a stall. */
export async function checkPausedConditions(ctx: SyncContext): Promise<void> {
  const { d } = ctx;
  if (!hasProgressDeadline(d)) return;
  const st = dstatus(d);
  const cond = getCondition(st, 'Progressing');
  if (cond?.reason === TIMED_OUT_REASON) return;
  const pausedCondExists = cond?.reason === PAUSED_REASON;
  const now = ctx.fx.now();
  if (dspec(d).paused && !pausedCondExists) {
    setCondition(st, newCondition('Progressing', 'Unknown', PAUSED_REASON, 'Deployment is paused', now));
  } else if (!dspec(d).paused && pausedCondExists) {
    setCondition(st, newCondition('Progressing', 'Unknown', RESUMED_REASON, 'Deployment is resumed', now));
  } else return;
  await writeStatus(ctx);
}
