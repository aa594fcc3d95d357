import type { IReplicaSetSpec } from 'kubernetes-models/apps/v1/ReplicaSetSpec';
import type { KObject } from '../../api/types.js';
import type { LabelSelector } from '../../api/selectors.js';
import type { PodTemplate } from './types.js';

// Facts about Deployments and their ReplicaSets (pkg/controller/deployment/util).

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';
export const REVISION_HISTORY_ANNOTATION = 'deployment.kubernetes.io/revision-history';
export const DESIRED_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/desired-replicas';
export const MAX_REPLICAS_ANNOTATION = 'deployment.kubernetes.io/max-replicas';
const ROLLBACK_TO_ANNOTATION = 'deprecated.deployment.rollback.to';
const LAST_APPLIED_ANNOTATION = 'kubectl.kubernetes.io/last-applied-configuration';

/** Annotations never copied from a Deployment to its ReplicaSets. */
const SKIPPED_ANNOTATIONS = new Set([
  LAST_APPLIED_ANNOTATION,
  REVISION_ANNOTATION,
  REVISION_HISTORY_ANNOTATION,
  DESIRED_REPLICAS_ANNOTATION,
  MAX_REPLICAS_ANNOTATION,
  ROLLBACK_TO_ANNOTATION,
]);

// Condition reasons, as upstream spells them.
export const NEW_RS_REASON = 'NewReplicaSetCreated';
export const FOUND_NEW_RS_REASON = 'FoundNewReplicaSet';
export const RS_UPDATED_REASON = 'ReplicaSetUpdated';
export const NEW_RS_AVAILABLE_REASON = 'NewReplicaSetAvailable';
export const TIMED_OUT_REASON = 'ProgressDeadlineExceeded';
export const FAILED_RS_CREATE_REASON = 'ReplicaSetCreateError';
export const PAUSED_REASON = 'DeploymentPaused';
export const RESUMED_REASON = 'DeploymentResumed';
export const MIN_AVAILABLE_REASON = 'MinimumReplicasAvailable';
export const MIN_UNAVAILABLE_REASON = 'MinimumReplicasUnavailable';

export interface DeploymentCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  lastUpdateTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface DeploymentSpec {
  replicas?: number;
  selector?: LabelSelector;
  template?: PodTemplate;
  strategy?: { type?: string; rollingUpdate?: { maxSurge?: number | string; maxUnavailable?: number | string } };
  minReadySeconds?: number;
  revisionHistoryLimit?: number;
  paused?: boolean;
  progressDeadlineSeconds?: number;
}

export interface DeploymentStatus {
  observedGeneration?: number;
  replicas?: number;
  updatedReplicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  unavailableReplicas?: number;
  conditions?: DeploymentCondition[];
  collisionCount?: number;
}

export interface RSStatus {
  replicas?: number;
  readyReplicas?: number;
  availableReplicas?: number;
  observedGeneration?: number;
  conditions?: { type: string; status: string; reason?: string; message?: string }[];
}

export const MAX_INT32 = 2147483647;

export function dspec(d: KObject): DeploymentSpec {
  return (d.spec ?? {}) as DeploymentSpec;
}
export function dstatus(d: KObject): DeploymentStatus {
  if (!d.status) d.status = {};
  return d.status as DeploymentStatus;
}
export function dreplicas(d: KObject): number {
  return dspec(d).replicas ?? 1;
}
export function rsReplicas(rs: KObject): number {
  return (rs.spec as IReplicaSetSpec | undefined)?.replicas ?? 1;
}
export function rsStatus(rs: KObject): RSStatus {
  return (rs.status ?? {}) as RSStatus;
}
export function rsTemplate(rs: KObject): PodTemplate | undefined {
  return ((rs.spec ?? {}) as { template?: PodTemplate }).template;
}

export function timestamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d+Z$/, 'Z');
}

function ctime(o: KObject): number {
  const t = o.metadata.creationTimestamp ? Date.parse(o.metadata.creationTimestamp) : NaN;
  return Number.isNaN(t) ? 0 : t;
}

/** Oldest first; name breaks ties (ReplicaSetsByCreationTimestamp). */
export function byCreation(a: KObject, b: KObject): number {
  return ctime(a) - ctime(b) || String(a.metadata.name).localeCompare(String(b.metadata.name));
}
/** Larger first; among equals, older first (ReplicaSetsBySizeOlder). */
export function bySizeOlder(a: KObject, b: KObject): number {
  return rsReplicas(b) - rsReplicas(a) || byCreation(a, b);
}
/** Larger first; among equals, newer first (ReplicaSetsBySizeNewer). */
export function bySizeNewer(a: KObject, b: KObject): number {
  return rsReplicas(b) - rsReplicas(a) || byCreation(b, a);
}
/** Lower revision first (ReplicaSetsByRevision). */
export function byRevision(a: KObject, b: KObject): number {
  return revisionOf(a) - revisionOf(b) || byCreation(a, b);
}

export function revisionOf(o: KObject): number {
  const v = o.metadata.annotations?.[REVISION_ANNOTATION];
  const n = v === undefined ? 0 : Number.parseInt(v, 10);
  return Number.isNaN(n) ? 0 : n;
}

export function maxRevision(rss: KObject[]): number {
  return rss.reduce((m, rs) => Math.max(m, revisionOf(rs)), 0);
}

export function filterActive(rss: (KObject | undefined)[]): KObject[] {
  return rss.filter((rs): rs is KObject => !!rs && rsReplicas(rs) > 0);
}

/** Sum of spec.replicas (GetReplicaCountForReplicaSets). */
export function specReplicaCount(rss: (KObject | undefined)[]): number {
  return rss.reduce((s, rs) => s + (rs ? rsReplicas(rs) : 0), 0);
}
/** Sum of status.replicas (GetActualReplicaCountForReplicaSets). */
export function actualReplicaCount(rss: (KObject | undefined)[]): number {
  return rss.reduce((s, rs) => s + (rs ? rsStatus(rs).replicas ?? 0 : 0), 0);
}
export function readyReplicaCount(rss: (KObject | undefined)[]): number {
  return rss.reduce((s, rs) => s + (rs ? rsStatus(rs).readyReplicas ?? 0 : 0), 0);
}
export function availableReplicaCount(rss: (KObject | undefined)[]): number {
  return rss.reduce((s, rs) => s + (rs ? rsStatus(rs).availableReplicas ?? 0 : 0), 0);
}

/**
 * An int-or-percent scaled against total (GetScaledValueFromIntOrPercent); percentages
 * round up for surge and down for unavailability, as ResolveFenceposts asks.
 */
export function scaledValue(v: number | string | undefined, total: number, roundUp: boolean, field: string): number {
  if (v === undefined) v = '25%';
  if (typeof v === 'number') return v;
  const m = /^(\d+)%$/.exec(v);
  if (!m) {
    if (/^\d+$/.test(v)) return Number(v);
    throw new Error(`invalid value for IntOrString: invalid type: string is not a percentage (${field}=${JSON.stringify(v)})`);
  }
  const x = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(x) : Math.floor(x);
}

export function isRollingUpdate(d: KObject): boolean {
  return (dspec(d).strategy?.type ?? 'RollingUpdate') === 'RollingUpdate';
}

/** maxSurge and maxUnavailable as numbers; both zero would stall, so unavailable becomes 1. */
export function resolveFenceposts(d: KObject): { surge: number; unavailable: number } {
  const ru = dspec(d).strategy?.rollingUpdate ?? {};
  const desired = dreplicas(d);
  const surge = scaledValue(ru.maxSurge, desired, true, 'maxSurge');
  let unavailable = scaledValue(ru.maxUnavailable, desired, false, 'maxUnavailable');
  if (surge === 0 && unavailable === 0) unavailable = 1;
  return { surge, unavailable };
}

export function maxSurge(d: KObject): number {
  return isRollingUpdate(d) ? resolveFenceposts(d).surge : 0;
}

export function maxUnavailable(d: KObject): number {
  if (!isRollingUpdate(d) || dreplicas(d) === 0) return 0;
  return Math.min(resolveFenceposts(d).unavailable, dreplicas(d));
}

export function hasProgressDeadline(d: KObject): boolean {
  const p = dspec(d).progressDeadlineSeconds ?? 600;
  return p !== MAX_INT32;
}

export function progressDeadlineSeconds(d: KObject): number {
  return dspec(d).progressDeadlineSeconds ?? 600;
}

export function revisionHistoryLimit(d: KObject): number {
  return dspec(d).revisionHistoryLimit ?? 10;
}

// --- conditions -----------------------------------------------------------------------

export function getCondition(st: DeploymentStatus, type: string): DeploymentCondition | undefined {
  return st.conditions?.find((c) => c.type === type);
}

export function newCondition(type: string, status: DeploymentCondition['status'], reason: string, message: string, now: number): DeploymentCondition {
  const t = timestamp(now);
  return { type, status, lastUpdateTime: t, lastTransitionTime: t, reason, message };
}

/** SetDeploymentCondition: a repeat of status and reason changes nothing. */
export function setCondition(st: DeploymentStatus, c: DeploymentCondition): void {
  const cur = getCondition(st, c.type);
  if (cur && cur.status === c.status && cur.reason === c.reason) return;
  if (cur && cur.status === c.status) c.lastTransitionTime = cur.lastTransitionTime;
  st.conditions = [...(st.conditions ?? []).filter((x) => x.type !== c.type), c];
}

export function removeCondition(st: DeploymentStatus, type: string): void {
  if (!st.conditions) return;
  st.conditions = st.conditions.filter((c) => c.type !== type);
  if (!st.conditions.length) delete st.conditions;
}

// --- annotations ----------------------------------------------------------------------

export function setReplicasAnnotations(rs: KObject, desired: number, max: number): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  if (a[DESIRED_REPLICAS_ANNOTATION] !== String(desired)) {
    a[DESIRED_REPLICAS_ANNOTATION] = String(desired);
    changed = true;
  }
  if (a[MAX_REPLICAS_ANNOTATION] !== String(max)) {
    a[MAX_REPLICAS_ANNOTATION] = String(max);
    changed = true;
  }
  return changed;
}

export function replicasAnnotationsNeedUpdate(rs: KObject, desired: number, max: number): boolean {
  const a = rs.metadata.annotations ?? {};
  return a[DESIRED_REPLICAS_ANNOTATION] !== String(desired) || a[MAX_REPLICAS_ANNOTATION] !== String(max);
}

function intAnnotation(rs: KObject, key: string): number | undefined {
  const v = rs.metadata.annotations?.[key];
  if (v === undefined) return undefined;
  const n = Number.parseInt(v, 10);
  return Number.isNaN(n) ? undefined : n;
}

export function desiredReplicasAnnotation(rs: KObject): number | undefined {
  return intAnnotation(rs, DESIRED_REPLICAS_ANNOTATION);
}

/**
 * Copies the deployment's annotations, sets the revision (keeping the replaced one in
 * revision-history, within maxHistoryChars) and, for a new RS, the replicas annotations
 * (SetNewReplicaSetAnnotations). Returns whether anything changed.
 */
export function setNewReplicaSetAnnotations(d: KObject, rs: KObject, newRevision: string, exists: boolean, maxHistoryChars = 2000): boolean {
  const a = (rs.metadata.annotations ??= {});
  let changed = false;
  for (const [k, v] of Object.entries(d.metadata.annotations ?? {})) {
    if (SKIPPED_ANNOTATIONS.has(k) || a[k] === v) continue;
    a[k] = v;
    changed = true;
  }
  const oldRevision = a[REVISION_ANNOTATION] ?? '';
  const oldInt = oldRevision === '' ? 0 : Number.parseInt(oldRevision, 10);
  if (oldRevision !== '' && Number.isNaN(oldInt)) return false;
  const newInt = Number.parseInt(newRevision, 10);
  if (oldInt < newInt) {
    a[REVISION_ANNOTATION] = newRevision;
    changed = true;
  }
  if (oldRevision !== '' && oldInt < newInt) {
    const hist = a[REVISION_HISTORY_ANNOTATION] ?? '';
    if (hist === '') a[REVISION_HISTORY_ANNOTATION] = oldRevision;
    else {
      let olds = hist.split(',');
      let total = hist.length + oldRevision.length + 1;
      let start = 0;
      while (total > maxHistoryChars && start < olds.length) {
        total -= olds[start].length + 1;
        start++;
      }
      if (total <= maxHistoryChars) {
        olds = [...olds.slice(start), oldRevision];
        a[REVISION_HISTORY_ANNOTATION] = olds.join(',');
      }
    }
  }
  if (!exists && setReplicasAnnotations(rs, dreplicas(d), dreplicas(d) + maxSurge(d))) changed = true;
  return changed;
}

// --- rollout facts --------------------------------------------------------------------

/** The new RS runs exactly what is desired, all available (IsSaturated). */
export function isSaturated(d: KObject, rs: KObject | undefined): boolean {
  if (!rs) return false;
  const desired = desiredReplicasAnnotation(rs);
  if (desired === undefined) return false;
  return rsReplicas(rs) === dreplicas(d) && desired === dreplicas(d) && (rsStatus(rs).availableReplicas ?? 0) === dreplicas(d);
}

export function deploymentComplete(d: KObject, st: DeploymentStatus): boolean {
  const want = dreplicas(d);
  return (
    (st.updatedReplicas ?? 0) === want &&
    (st.replicas ?? 0) === want &&
    (st.availableReplicas ?? 0) === want &&
    (st.observedGeneration ?? 0) >= (d.metadata.generation ?? 0)
  );
}

/** Something moved forward since the last recorded status (DeploymentProgressing). */
export function deploymentProgressing(d: KObject, next: DeploymentStatus): boolean {
  const old = (d.status ?? {}) as DeploymentStatus;
  const oldOld = (old.replicas ?? 0) - (old.updatedReplicas ?? 0);
  const newOld = (next.replicas ?? 0) - (next.updatedReplicas ?? 0);
  return (
    (next.updatedReplicas ?? 0) > (old.updatedReplicas ?? 0) ||
    newOld < oldOld ||
    (next.readyReplicas ?? 0) > (old.readyReplicas ?? 0) ||
    (next.availableReplicas ?? 0) > (old.availableReplicas ?? 0)
  );
}

export function deploymentTimedOut(d: KObject, st: DeploymentStatus, now: number): boolean {
  if (!hasProgressDeadline(d)) return false;
  const c = getCondition(st, 'Progressing');
  if (!c) return false;
  if (c.reason === NEW_RS_AVAILABLE_REASON) return false;
  if (c.reason === TIMED_OUT_REASON) return true;
  const from = c.lastUpdateTime ? Date.parse(c.lastUpdateTime) : NaN;
  if (Number.isNaN(from)) return false;
  return from + progressDeadlineSeconds(d) * 1000 < now;
}

/** The newest RS if several are active, the single active one, or the newest (FindActiveOrLatest). */
export function findActiveOrLatest(newRS: KObject | undefined, oldRSs: KObject[]): KObject | undefined {
  if (!newRS && oldRSs.length === 0) return undefined;
  const olds = oldRSs.slice().sort((a, b) => byCreation(b, a));
  const active = filterActive([...olds, newRS]);
  if (active.length === 0) return newRS ?? olds[0];
  if (active.length === 1) return active[0];
  return undefined;
}

/** How many replicas rs gains or loses in a proportional scale (GetProportion). */
export function getProportion(rs: KObject | undefined, d: KObject, toAdd: number, added: number): number {
  if (!rs || rsReplicas(rs) === 0 || toAdd === 0 || toAdd === added) return 0;
  const fraction = replicaSetFraction(rs, d);
  const allowed = toAdd - added;
  return toAdd > 0 ? Math.min(fraction, allowed) : Math.max(fraction, allowed);
}

function replicaSetFraction(rs: KObject, d: KObject): number {
  if (dreplicas(d) === 0) return -rsReplicas(rs);
  const deploymentReplicas = dreplicas(d) + maxSurge(d);
  const annotated = intAnnotation(rs, MAX_REPLICAS_ANNOTATION) ?? ((d.status ?? {}) as DeploymentStatus).replicas ?? 0;
  if (annotated === 0) return 0;
  const size = (rsReplicas(rs) * deploymentReplicas) / annotated;
  // math.Round rounds halves away from zero; size is never negative here.
  return Math.round(size) - rsReplicas(rs);
}
