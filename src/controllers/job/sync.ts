import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../../api/types.js';
import type { LabelSelector } from '../../api/selectors.js';
import type { Expectations } from '../replicaset/expectations.js';
import { BURST_REPLICAS, claimOwned, createPods, deletePods, keyOf, podsToDelete, type ReplicaSetEffects } from '../replicaset/sync.js';
import { isPodActive, isPodReady } from '../podutil.js';
import { nextBackoffRecord, remainingBackoff, type BackoffRecord } from './backoff.js';
import { formatIndexes, parseIndexes } from './indexes.js';
import { matchSuccessPolicy, type SuccessPolicy } from './successpolicy.js';
import { matchPodFailurePolicy, type PodFailurePolicy } from './podfailurepolicy.js';
import { completionIndex, hasTrackingFinalizer, jobPod } from './pods.js';

// One reconcile of a Job (syncJob in pkg/controller/job/job_controller.go, 1.32): count the
// pods that finished, decide whether the Job has failed or succeeded, create or delete pods
// toward parallelism, then record finished pods in status.uncountedTerminatedPods before
// removing their tracking finalizers, and only then in the counts and the final condition.

export interface JobEffects extends ReplicaSetEffects {
  /** Resolves when the pod is gone already. */
  removeTrackingFinalizer(pod: KObject): Promise<void>;
}

/** What the controller remembers between syncs: pod expectations, finalizers being removed, backoff. */
export interface JobMemory {
  exp: Expectations;
  /** uids of pods whose finalizer removal the informer has not shown yet; they are counted already. */
  finalizerRemovals: Set<string>;
  backoff: Map<string, BackoffRecord>;
}

export interface JobCondition {
  type: string;
  status: string;
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  uncountedTerminatedPods?: { succeeded?: string[]; failed?: string[] };
  ready?: number;
}

interface JobSpec {
  parallelism?: number;
  completions?: number | null;
  activeDeadlineSeconds?: number;
  backoffLimit?: number;
  selector?: LabelSelector;
  completionMode?: string;
  suspend?: boolean;
  podReplacementPolicy?: string;
  podFailurePolicy?: PodFailurePolicy;
  successPolicy?: SuccessPolicy;
  template?: { spec?: { restartPolicy?: string } };
}

function specOf(job: KObject): JobSpec {
  return (job.spec ?? {}) as JobSpec;
}

export function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

function phase(pod: KObject): string | undefined {
  return (pod.status as { phase?: string } | undefined)?.phase;
}

function findCondition(status: JobStatus, type: string): JobCondition | undefined {
  return (status.conditions ?? []).find((c) => c.type === type && c.status === 'True');
}

/** The Job has its Complete or Failed condition (IsJobFinished). */
export function isJobFinished(job: KObject): JobCondition | undefined {
  const status = (job.status ?? {}) as JobStatus;
  return findCondition(status, 'Complete') ?? findCondition(status, 'Failed');
}

function newCondition(type: string, status: string, reason: string, message: string, now: number): JobCondition {
  const t = rfc3339(now);
  return { type, status, lastProbeTime: t, lastTransitionTime: t, reason, message };
}

/** ensureJobConditionStatus: sets a condition, adding it only when it is not False; true when it changed. */
function ensureCondition(status: JobStatus, type: string, value: string, reason: string, message: string, now: number): boolean {
  const list = status.conditions ?? [];
  const i = list.findIndex((c) => c.type === type);
  if (i >= 0) {
    const c = list[i];
    if (c.status === value && c.reason === reason && c.message === message) return false;
    status.conditions = list.map((x, j) => (j === i ? newCondition(type, value, reason, message, now) : x));
    return true;
  }
  if (value === 'False') return false;
  status.conditions = [...list, newCondition(type, value, reason, message, now)];
  return true;
}

/** Only Failed pods are replaced, not terminating ones (onlyReplaceFailedPods). */
function onlyReplaceFailedPods(job: KObject): boolean {
  const spec = specOf(job);
  return spec.podReplacementPolicy === 'Failed' || spec.podFailurePolicy != null;
}

/** Failed, or (unless only Failed pods count) deleted before it could succeed (isPodFailed). */
export function isPodFailed(pod: KObject, job: KObject): boolean {
  if (phase(pod) === 'Failed') return true;
  if (onlyReplaceFailedPods(job)) return false;
  return !!pod.metadata.deletionTimestamp && phase(pod) !== 'Succeeded';
}

function isTerminating(pod: KObject): boolean {
  return !!pod.metadata.deletionTimestamp && phase(pod) !== 'Succeeded' && phase(pod) !== 'Failed';
}

/** With restartPolicy OnFailure, failures show as container restarts (pastBackoffLimitOnFailure). */
function pastBackoffLimitOnFailure(job: KObject, active: KObject[]): boolean {
  const spec = specOf(job);
  if (spec.template?.spec?.restartPolicy !== 'OnFailure') return false;
  let restarts = 0;
  for (const p of active) {
    const st = (p.status ?? {}) as { containerStatuses?: { restartCount?: number }[]; initContainerStatuses?: { restartCount?: number }[] };
    for (const c of [...(st.initContainerStatuses ?? []), ...(st.containerStatuses ?? [])]) restarts += c.restartCount ?? 0;
  }
  const limit = spec.backoffLimit ?? 6;
  return limit === 0 ? restarts > 0 : restarts >= limit;
}

function pastActiveDeadline(job: KObject, now: number): boolean {
  const spec = specOf(job);
  const start = Date.parse((job.status as JobStatus | undefined)?.startTime ?? '');
  if (spec.activeDeadlineSeconds == null || Number.isNaN(start) || spec.suspend) return false;
  return now - start >= spec.activeDeadlineSeconds * 1000;
}

interface Decision {
  requeueAfter?: number;
  error?: Error;
}

/** Removes the tracking finalizer from pods that no longer count toward any Job. */
export async function releaseTrackedPods(pods: KObject[], fx: JobEffects, memory: JobMemory): Promise<void> {
  for (const p of pods) {
    if (!hasTrackingFinalizer(p) || memory.finalizerRemovals.has(p.metadata.uid ?? '')) continue;
    memory.finalizerRemovals.add(p.metadata.uid ?? '');
    try {
      await fx.removeTrackingFinalizer(p);
    } catch (e) {
      memory.finalizerRemovals.delete(p.metadata.uid ?? '');
      throw new Error(`removing the tracking finalizer of pod ${keyOf(p)}: ${(e as Error).message}`);
    }
  }
}

export async function syncJob(job: KObject, namespacePods: KObject[], fx: JobEffects, memory: JobMemory, now: number = Date.now()): Promise<{ requeueAfter?: number }> {
  const key = keyOf(job);
  const spec = specOf(job);
  const owned = await claimOwned(job, 'Job', spec.selector, namespacePods, fx, 'batch/v1');
  // A finished or deleted Job counts nothing more; its pods need only lose their finalizer.
  if (isJobFinished(job) || job.metadata.deletionTimestamp) {
    memory.backoff.delete(key);
    await releaseTrackedPods(owned, fx, memory);
    return {};
  }
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const status = structuredClone((job.status ?? {}) as JobStatus);
  const original = structuredClone(status);
  const uncounted = {
    succeeded: new Set(status.uncountedTerminatedPods?.succeeded ?? []),
    failed: new Set(status.uncountedTerminatedPods?.failed ?? []),
  };
  if (!status.startTime && !spec.suspend) status.startTime = rfc3339(now);

  const tracked = owned.filter((p) => hasTrackingFinalizer(p) && !memory.finalizerRemovals.has(p.metadata.uid ?? ''));
  const fresh = (p: KObject) => !uncounted.succeeded.has(p.metadata.uid ?? '') && !uncounted.failed.has(p.metadata.uid ?? '');
  const newSucceeded = tracked.filter((p) => phase(p) === 'Succeeded' && fresh(p));
  const newFailed = tracked.filter((p) => phase(p) !== 'Succeeded' && isPodFailed(p, job) && fresh(p));
  let activePods = owned.filter(isPodActive);
  let terminating = owned.filter(isTerminating).length;
  const policy = spec.podFailurePolicy;
  const failed = (status.failed ?? 0) + uncounted.failed.size + newFailed.filter((p) => matchPodFailurePolicy(policy, p).countFailed).length;

  const prevIndexes = indexed ? parseIndexes(status.completedIndexes, completions ?? 0) : new Set<number>();
  // calculateSucceededIndexes: the recorded ones and those of every succeeded pod.
  const succeededIndexes = new Set(prevIndexes);
  if (indexed) {
    for (const p of owned) {
      const ix = completionIndex(p);
      if (phase(p) === 'Succeeded' && ix !== undefined && ix < (completions ?? 0)) succeededIndexes.add(ix);
    }
  }
  const succeeded = indexed ? succeededIndexes.size : (status.succeeded ?? 0) + uncounted.succeeded.size + newSucceeded.length;
  const backoff = nextBackoffRecord(memory.backoff.get(key) ?? { failuresAfterLastSuccess: 0 }, newSucceeded, newFailed, now);

  const decision: Decision = {};
  let finished: JobCondition | undefined = findCondition(status, 'SuccessCriteriaMet');
  if (!finished) {
    const target = findCondition(status, 'FailureTarget');
    if (target) finished = newCondition('Failed', 'True', target.reason ?? '', target.message ?? '', now);
  }
  if (!finished && policy) {
    // The interim FailureTarget records the failure before the finalizers let the pods go.
    const message = owned.filter((p) => isPodFailed(p, job)).map((p) => matchPodFailurePolicy(policy, p).failJobMessage).find((m) => m !== undefined);
    if (message) finished = newCondition('FailureTarget', 'True', 'PodFailurePolicy', message, now);
  }
  if (!finished) {
    if (failed > (spec.backoffLimit ?? 6) || pastBackoffLimitOnFailure(job, activePods)) {
      finished = newCondition('FailureTarget', 'True', 'BackoffLimitExceeded', 'Job has reached the specified backoff limit', now);
    } else if (pastActiveDeadline(job, now)) {
      finished = newCondition('FailureTarget', 'True', 'DeadlineExceeded', 'Job was active longer than specified deadline', now);
    } else if (spec.activeDeadlineSeconds != null && !spec.suspend) {
      const start = Date.parse(status.startTime ?? '');
      decision.requeueAfter = Math.max(0, spec.activeDeadlineSeconds * 1000 - (now - start));
    }
  }
  if (!finished && indexed && spec.successPolicy) {
    const message = matchSuccessPolicy(spec.successPolicy, completions ?? 0, succeededIndexes);
    if (message) finished = newCondition('SuccessCriteriaMet', 'True', 'SuccessPolicy', message, now);
  }

  const satisfied = memory.exp.satisfied(key, now);
  let suspendChanged = false;
  let created = 0;
  if (finished) {
    // A failing Job stops its running pods, without expectations (deleteActivePods); it is not
    // finished until they are all gone.
    const error = await deletePods(job, activePods, fx, memory.exp);
    if (error) decision.error = error;
    const deleted = error ? 0 : activePods.length;
    if (deleted !== activePods.length || !satisfied) finished = undefined;
    terminating += deleted;
    if (deleted) activePods = [];
  } else {
    let managed = false;
    if (satisfied) {
      const m = await manageJob(job, activePods, { succeeded, succeededIndexes, terminating, backoff }, fx, memory, now, decision);
      activePods = m.remaining;
      created = m.created;
      managed = true;
    }
    const active = activePods.length + created;
    const complete = completions === undefined ? succeeded > 0 && active === 0 : succeeded >= completions && active === 0;
    if (complete) {
      finished = newCondition('SuccessCriteriaMet', 'True', 'CompletionsReached', 'Reached expected number of succeeded pods', now);
    } else if (managed) {
      if (spec.suspend) {
        suspendChanged = ensureCondition(status, 'Suspended', 'True', 'JobSuspended', 'Job suspended', now);
        if (suspendChanged) fx.event(job, 'Normal', 'Suspended', 'Job suspended');
      } else {
        suspendChanged = ensureCondition(status, 'Suspended', 'False', 'JobResumed', 'Job resumed', now);
        if (suspendChanged) {
          fx.event(job, 'Normal', 'Resumed', 'Job resumed');
          // activeDeadlineSeconds counts the time the Job is continuously active.
          status.startTime = rfc3339(now);
        }
      }
    }
  }
  status.active = activePods.length + created;
  status.ready = activePods.filter(isPodReady).length;
  status.terminating = terminating;

  await trackStatusAndRemoveFinalizers(job, status, original, { tracked, uncounted, finished, succeededIndexes, backoff }, fx, memory, now);
  if (decision.error) throw decision.error;
  return decision.requeueAfter === undefined ? {} : { requeueAfter: decision.requeueAfter };
}

interface Counts {
  succeeded: number;
  succeededIndexes: Set<number>;
  terminating: number;
  backoff: BackoffRecord;
}

/** manageJob: deletes the extra active pods and creates the missing ones; the pods left and the number made. */
async function manageJob(
  job: KObject,
  active: KObject[],
  counts: Counts,
  fx: JobEffects,
  memory: JobMemory,
  now: number,
  decision: Decision,
): Promise<{ remaining: KObject[]; created: number }> {
  const key = keyOf(job);
  const spec = specOf(job);
  const parallelism = spec.parallelism ?? 1;
  if (spec.suspend) {
    memory.exp.expectDeletions(key, active.map(keyOf), now);
    const error = await deletePods(job, active, fx, memory.exp);
    if (error) decision.error = error;
    return { remaining: error ? active : [], created: 0 };
  }
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  let wantActive: number;
  if (completions === undefined) wantActive = counts.succeeded > 0 ? active.length : parallelism;
  else wantActive = Math.max(0, Math.min(completions - counts.succeeded, parallelism));

  // Indexed pods that duplicate another's index, or whose index is done or out of range, go first.
  const extra: KObject[] = [];
  if (indexed) {
    const seen = new Set<number>();
    for (const p of active) {
      const ix = completionIndex(p);
      if (ix === undefined || ix >= (completions ?? 0) || counts.succeededIndexes.has(ix) || seen.has(ix)) extra.push(p);
      else seen.add(ix);
    }
  }
  const rest = active.filter((p) => !extra.includes(p));
  const victims = [...extra, ...podsToDelete(rest, Math.max(0, active.length - extra.length - wantActive))].slice(0, BURST_REPLICAS);
  if (victims.length) {
    memory.exp.expectDeletions(key, victims.map(keyOf), now);
    const error = await deletePods(job, victims, fx, memory.exp);
    if (error) {
      decision.error = error;
      return { remaining: active, created: 0 };
    }
    active = active.filter((p) => !victims.includes(p));
  }
  if (active.length >= wantActive) return { remaining: active, created: 0 };

  const wait = remainingBackoff(counts.backoff, now);
  if (wait > 0) {
    decision.requeueAfter = Math.min(decision.requeueAfter ?? wait, wait);
    return { remaining: active, created: 0 };
  }
  let diff = wantActive - active.length;
  // Under podReplacementPolicy Failed a terminating pod is replaced only once it has failed.
  if (onlyReplaceFailedPods(job)) diff -= counts.terminating;
  diff = Math.min(diff, BURST_REPLICAS);
  if (diff <= 0) return { remaining: active, created: 0 };
  let make = () => jobPod(job);
  if (indexed) {
    const busy = new Set(active.map(completionIndex));
    const pending: number[] = [];
    for (let i = 0; i < (completions ?? 0) && pending.length < diff; i++) if (!counts.succeededIndexes.has(i) && !busy.has(i)) pending.push(i);
    diff = pending.length;
    let next = 0;
    make = () => jobPod(job, pending[next++]);
  }
  if (diff === 0) return { remaining: active, created: 0 };
  memory.exp.expectCreations(key, diff, now);
  const error = await createPods(job, diff, make, fx, memory.exp);
  if (error) decision.error = error;
  // The new pods are active now even though the cache has not shown them yet.
  return { remaining: active, created: error ? 0 : diff };
}

interface Tracking {
  tracked: KObject[];
  uncounted: { succeeded: Set<string>; failed: Set<string> };
  finished: JobCondition | undefined;
  succeededIndexes: Set<number>;
  backoff: BackoffRecord;
}

function uncountedOf(u: Tracking['uncounted']): NonNullable<JobStatus['uncountedTerminatedPods']> {
  const out: NonNullable<JobStatus['uncountedTerminatedPods']> = {};
  if (u.succeeded.size) out.succeeded = [...u.succeeded];
  if (u.failed.size) out.failed = [...u.failed];
  return out;
}

/** Go's omitempty on the int32 counts and the completed indexes. */
function tidy(status: JobStatus): JobStatus {
  for (const k of ['active', 'succeeded', 'failed'] as const) if (!status[k]) delete status[k];
  if (!status.completedIndexes) delete status.completedIndexes;
  return status;
}

/**
 * trackJobStatusAndRemoveFinalizers: finished pods are first written to
 * uncountedTerminatedPods (with the interim FailureTarget or SuccessCriteriaMet condition),
 * then lose their finalizer, then move into the counts; the terminal condition comes last,
 * once nothing is uncounted or terminating.
 */
async function trackStatusAndRemoveFinalizers(
  job: KObject,
  status: JobStatus,
  original: JobStatus,
  t: Tracking,
  fx: JobEffects,
  memory: JobMemory,
  now: number,
): Promise<void> {
  const key = keyOf(job);
  const spec = specOf(job);
  const indexed = spec.completionMode === 'Indexed';
  const completions = spec.completions ?? undefined;
  const toRelease: KObject[] = [];
  let finished = t.finished;
  const failing = finished !== undefined && finished.type !== 'SuccessCriteriaMet';
  for (const p of t.tracked) {
    const uid = p.metadata.uid ?? '';
    const considerFailed = isPodFailed(p, job);
    if (phase(p) !== 'Succeeded' && !considerFailed && !finished) continue;
    toRelease.push(p);
    const ix = completionIndex(p);
    const inRange = ix !== undefined && ix < (completions ?? 0);
    if (phase(p) === 'Succeeded' && !t.uncounted.failed.has(uid)) {
      // An index is recorded as soon as a pod of it succeeds: that alone prevents counting it twice.
      if (!indexed) t.uncounted.succeeded.add(uid);
    } else if ((considerFailed || failing) && (!indexed || inRange)) {
      // A Job that failed counts every pod it did not let finish as failed; an ignored failure counts nowhere.
      if (matchPodFailurePolicy(specOf(job).podFailurePolicy, p).countFailed) t.uncounted.failed.add(uid);
    }
  }
  if (indexed) {
    status.completedIndexes = formatIndexes(t.succeededIndexes);
    status.succeeded = t.succeededIndexes.size;
  }
  if (finished?.type === 'FailureTarget') {
    status.conditions = [...(status.conditions ?? []), finished];
    finished = newCondition('Failed', 'True', finished.reason ?? '', finished.message ?? '', now);
  } else if (finished?.type === 'SuccessCriteriaMet') {
    if (!findCondition(status, 'SuccessCriteriaMet')) status.conditions = [...(status.conditions ?? []), finished];
    finished = newCondition('Complete', 'True', finished.reason ?? '', finished.message ?? '', now);
  }
  status.uncountedTerminatedPods = uncountedOf(t.uncounted);
  let current = job;
  if (!isDeepStrictEqual(tidy(status), original)) current = await fx.updateStatus({ ...job, status });
  memory.backoff.set(key, t.backoff);

  const released = new Set<string>();
  let releaseError: Error | undefined;
  for (const p of toRelease) {
    try {
      await releaseTrackedPods([p], fx, memory);
      released.add(p.metadata.uid ?? '');
    } catch (e) {
      releaseError ??= e as Error;
    }
  }
  // A pod no longer tracked has already lost its finalizer (or is gone): its count can move.
  const stillTracked = new Set(t.tracked.map((p) => p.metadata.uid ?? ''));
  const movable = (uid: string) => released.has(uid) || !stillTracked.has(uid);
  const before = structuredClone(status);
  for (const uid of [...t.uncounted.succeeded]) {
    if (!movable(uid)) continue;
    t.uncounted.succeeded.delete(uid);
    status.succeeded = (status.succeeded ?? 0) + 1;
  }
  for (const uid of [...t.uncounted.failed]) {
    if (!movable(uid)) continue;
    t.uncounted.failed.delete(uid);
    status.failed = (status.failed ?? 0) + 1;
  }
  status.uncountedTerminatedPods = uncountedOf(t.uncounted);
  let finishedNow = false;
  if (finished && t.uncounted.succeeded.size + t.uncounted.failed.size === 0 && (status.terminating ?? 0) === 0) {
    ensureCondition(status, finished.type, finished.status, finished.reason ?? '', finished.message ?? '', now);
    if (finished.type === 'Complete') status.completionTime = findCondition(status, 'Complete')?.lastTransitionTime;
    finishedNow = true;
  }
  if (!isDeepStrictEqual(tidy(status), before)) await fx.updateStatus({ ...current, status });
  if (finishedNow && finished) {
    if (finished.type === 'Complete') {
      if (completions !== undefined && (status.succeeded ?? 0) > completions) {
        fx.event(job, 'Warning', 'TooManySucceededPods', 'Too many succeeded pods running after completion count reached');
      }
      fx.event(job, 'Normal', 'Completed', 'Job completed');
    } else fx.event(job, 'Warning', finished.reason ?? '', finished.message ?? '');
  }
  if (releaseError) throw releaseError;
}
