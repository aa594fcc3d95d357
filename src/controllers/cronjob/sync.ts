import { CronError } from '../../api/cron.js';
import { rfc1123z, TimeZone } from '../../api/timezone.js';
import type { IObjectReference } from 'kubernetes-models/v1/ObjectReference';
import { newControllerRef } from '../../client/controllerref.js';
import { isAlreadyExists, isNamespaceTerminating } from '../../client/client.js';
import type { EventType } from '../../client/events.js';
import type { CronJob, Job } from '../../client/resources.js';
import { isJobFinished } from '../job/sync.js';
import { nextScheduleTime, nextScheduleTimeDuration, parseCronJobSchedule } from './schedule.js';

// The CronJob controller's decisions (pkg/controller/cronjob/cronjob_controllerv2.go, 1.32):
// the active list reconciled with the Jobs that exist, finished Jobs pruned to the history
// limits, and at most one Job started per sync, for the latest scheduled time that is due.

const SCHEDULED_TIMESTAMP_ANNOTATION = 'batch.kubernetes.io/cronjob-scheduled-timestamp';

/** What a sync does to the world, and how it reads what its cache may not have seen yet. */
export interface CronJobEffects {
  now(): number;
  /** The CronJob as the apiserver has it now. */
  getCronJob(namespace: string, name: string): Promise<CronJob | undefined>;
  /** The Job as the apiserver has it now; undefined when it does not exist. */
  getJob(namespace: string, name: string): Promise<Job | undefined>;
  createJob(namespace: string, job: Job): Promise<Job>;
  /** Deletes with background propagation, as the controller's jobControl does. */
  deleteJob(namespace: string, name: string): Promise<void>;
  updateStatus(cj: CronJob): Promise<void>;
  event(cj: CronJob, type: EventType, reason: string, message: string): void;
}

/** The Complete or Failed condition a finished Job carries (jobutil.FinishedCondition). */
const finishedCondition = (job: Job): string | undefined => isJobFinished(job)?.type;

const inActiveList = (cj: CronJob, uid: string | undefined) => (cj.status?.active ?? []).some((r) => r.uid === uid);

function deleteFromActiveList(cj: CronJob, uid: string | undefined): void {
  const { active, ...rest } = cj.status ?? {};
  const left = (active ?? []).filter((r) => r.uid !== uid);
  // An empty list is omitted, as Go's omitempty writes it.
  cj.status = left.length ? { ...rest, active: left } : rest;
}

/** getJobName: one name per scheduled minute, so that a repeated sync cannot start a time twice. */
const jobNameFor = (cj: CronJob, scheduled: number) => `${cj.metadata.name}-${Math.floor(scheduled / 60_000)}`;

/** getJobFromTemplate2 */
function jobFromTemplate(cj: CronJob, scheduled: number): Job {
  const template = cj.spec?.jobTemplate;
  const zone = TimeZone.load(cj.spec?.timeZone ?? '') ?? TimeZone.UTC;
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobNameFor(cj, scheduled),
      namespace: cj.metadata.namespace,
      labels: { ...template?.metadata?.labels },
      annotations: { ...template?.metadata?.annotations, [SCHEDULED_TIMESTAMP_ANNOTATION]: zone.rfc3339(scheduled) },
      ownerReferences: [newControllerRef(cj, 'batch/v1', 'CronJob')],
    },
    spec: structuredClone(template?.spec ?? { template: {} }),
  } as Job;
}

function jobRef(job: Job): IObjectReference {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid, apiVersion: 'batch/v1', resourceVersion: job.metadata.resourceVersion };
}

/** deleteJob: the Job, then its entry in the active list. */
async function deleteJob(cj: CronJob, job: Job, fx: CronJobEffects): Promise<boolean> {
  try {
    await fx.deleteJob(job.metadata.namespace as string, job.metadata.name as string);
  } catch (e) {
    fx.event(cj, 'Warning', 'FailedDelete', `Deleted job: ${(e as Error).message}`);
    return false;
  }
  deleteFromActiveList(cj, job.metadata.uid);
  fx.event(cj, 'Normal', 'SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  return true;
}

/** byJobStartTime: oldest first, Jobs not yet started last, ties by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (sa == null && sb != null) return 1;
  if (sa != null && sb == null) return -1;
  if (sa != null && sb != null && sa !== sb) return Date.parse(sa) - Date.parse(sb);
  const [na, nb] = [a.metadata.name ?? '', b.metadata.name ?? ''];
  return na < nb ? -1 : na > nb ? 1 : 0;
}

async function removeOldestJobs(cj: CronJob, jobs: Job[], max: number, fx: CronJobEffects): Promise<boolean> {
  let changed = false;
  const sorted = [...jobs].sort(byStartTime);
  for (const job of sorted.slice(0, Math.max(0, sorted.length - max))) if (await deleteJob(cj, job, fx)) changed = true;
  return changed;
}

/** cleanupFinishedJobs: finished Jobs beyond the history limits go, oldest first. */
export async function cleanupFinishedJobs(cj: CronJob, jobs: Job[], fx: CronJobEffects): Promise<boolean> {
  const { successfulJobsHistoryLimit: okLimit, failedJobsHistoryLimit: failedLimit } = cj.spec ?? {};
  const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete');
  const failed = jobs.filter((j) => finishedCondition(j) === 'Failed');
  let changed = false;
  if (okLimit != null && (await removeOldestJobs(cj, succeeded, okLimit, fx))) changed = true;
  if (failedLimit != null && (await removeOldestJobs(cj, failed, failedLimit, fx))) changed = true;
  return changed;
}

interface SyncResult {
  cj: CronJob;
  requeueAfter?: number;
  updateStatus: boolean;
}

/** The active list against the Jobs that exist, and lastSuccessfulTime from the latest success. */
async function reconcileActive(cj: CronJob, jobs: Job[], fx: CronJobEffects): Promise<{ cj: CronJob; updateStatus: boolean }> {
  let updateStatus = false;
  const children = new Set<string | undefined>();
  for (const job of jobs) {
    children.add(job.metadata.uid);
    const found = inActiveList(cj, job.metadata.uid);
    const finished = finishedCondition(job);
    if (!found && !finished) {
      // Our status write may be newer than the cache: read it again before calling the Job unexpected.
      const fresh = await fx.getCronJob(cj.metadata.namespace as string, cj.metadata.name as string);
      if (fresh && inActiveList(fresh, job.metadata.uid)) {
        // In place: the caller's copy is what gets written, also when the sync fails later.
        const { metadata, spec, status } = structuredClone(fresh);
        Object.assign(cj, { metadata, spec, status });
        continue;
      }
      fx.event(cj, 'Warning', 'UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
    } else if (finished) {
      if (found) {
        deleteFromActiveList(cj, job.metadata.uid);
        fx.event(cj, 'Normal', 'SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
        updateStatus = true;
      }
      if (finished !== 'Complete') continue;
      // A Job need not be active to count: any success moves the time forward.
      const completed = job.status?.completionTime;
      const last = cj.status?.lastSuccessfulTime;
      if (completed && (last == null || Date.parse(completed) > Date.parse(last))) {
        cj.status = { ...cj.status, lastSuccessfulTime: completed };
        updateStatus = true;
      }
    }
  }
  // A Job gone from the cache may only be late in it: ask the apiserver before forgetting it.
  for (const ref of cj.status?.active ?? []) {
    if (children.has(ref.uid)) continue;
    if (await fx.getJob(ref.namespace ?? (cj.metadata.namespace as string), ref.name as string)) continue;
    fx.event(cj, 'Normal', 'MissingJob', `Active job went missing: ${ref.name}`);
    deleteFromActiveList(cj, ref.uid);
    updateStatus = true;
  }
  return { cj, updateStatus };
}

/** syncCronJob */
export async function syncCronJob(cronJob: CronJob, jobs: Job[], fx: CronJobEffects): Promise<SyncResult> {
  const now = fx.now();
  const reconciled = await reconcileActive(cronJob, jobs, fx);
  const cj = reconciled.cj;
  let updateStatus = reconciled.updateStatus;
  const done = (requeueAfter?: number): SyncResult => ({ cj, requeueAfter, updateStatus });

  // A CronJob being deleted only has its status kept true.
  if (cj.metadata.deletionTimestamp) return done();
  const tz = cj.spec?.timeZone;
  if (tz != null && !TimeZone.load(tz)) {
    fx.event(cj, 'Warning', 'UnknownTimeZone', `invalid timeZone: ${JSON.stringify(tz)}: unknown time zone ${tz}`);
    return done();
  }
  if (cj.spec?.suspend === true) return done();
  const scheduleText = cj.spec?.schedule ?? '';
  if (scheduleText.includes('TZ')) {
    fx.event(cj, 'Warning', 'UnsupportedSchedule', `CRON_TZ or TZ used in schedule ${JSON.stringify(scheduleText)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`);
  }
  let schedule;
  try {
    schedule = parseCronJobSchedule(cj);
  } catch (e) {
    if (!(e instanceof CronError)) throw e;
    // A user's error in the spec: nothing to do until the spec changes.
    fx.event(cj, 'Warning', 'UnparseableSchedule', `unparseable schedule: ${JSON.stringify(scheduleText)} : ${e.message}`);
    return done();
  }
  const next = nextScheduleTime(cj, now, schedule);
  if (next.manyMissed) {
    fx.event(cj, 'Warning', 'TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
  }
  if (next.error) {
    fx.event(cj, 'Warning', 'InvalidSchedule', `invalid schedule: ${scheduleText} : ${next.error}`);
    return done();
  }
  const requeue = () => done(nextScheduleTimeDuration(cj, now, schedule));
  const scheduled = next.time;
  if (scheduled === undefined) return requeue();

  const deadline = cj.spec?.startingDeadlineSeconds;
  if (deadline != null && scheduled + deadline * 1000 < now) {
    fx.event(cj, 'Warning', 'MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduled)}`);
    return requeue();
  }
  const name = jobNameFor(cj, scheduled);
  const last = cj.status?.lastScheduleTime;
  if ((cj.status?.active ?? []).some((r) => r.name === name) || (last != null && Date.parse(last) === scheduled)) return requeue();
  if (cj.spec?.concurrencyPolicy === 'Forbid' && (cj.status?.active ?? []).length > 0) {
    fx.event(cj, 'Normal', 'JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
    return requeue();
  }
  if (cj.spec?.concurrencyPolicy === 'Replace') {
    for (const ref of [...(cj.status?.active ?? [])]) {
      const job = await fx.getJob(ref.namespace ?? (cj.metadata.namespace as string), ref.name as string);
      if (!job) {
        fx.event(cj, 'Warning', 'FailedGet', `Get job: jobs.batch "${ref.name}" not found`);
        throw new Error(`replacing Job ${ref.namespace}/${ref.name} of CronJob ${cj.metadata.namespace}/${cj.metadata.name}: not found`);
      }
      if (!(await deleteJob(cj, job, fx))) throw new Error(`could not replace job ${job.metadata.namespace}/${job.metadata.name}`);
      updateStatus = true;
    }
  }

  const request = jobFromTemplate(cj, scheduled);
  let created: Job;
  try {
    created = await fx.createJob(cj.metadata.namespace as string, request);
    fx.event(cj, 'Normal', 'SuccessfulCreate', `Created job ${created.metadata.name}`);
  } catch (e) {
    if (isNamespaceTerminating(e)) throw e;
    if (!isAlreadyExists(e)) {
      fx.event(cj, 'Warning', 'FailedCreate', `Error creating job: ${(e as Error).message}`);
      throw e;
    }
    // Created by an earlier sync whose status write was lost, or by someone else.
    const existing = await fx.getJob(cj.metadata.namespace as string, name);
    if (!existing) throw e;
    const owner = (existing.metadata.ownerReferences ?? []).find((r) => r.controller === true);
    if (owner?.uid !== cj.metadata.uid || inActiveList(cj, existing.metadata.uid)) return done();
    created = existing;
  }
  cj.status = { ...cj.status, active: [...(cj.status?.active ?? []), jobRef(created)], lastScheduleTime: TimeZone.UTC.rfc3339(scheduled) };
  updateStatus = true;
  return requeue();
}

/** sync: syncCronJob, then cleanup of the object it returns, then one status write for both. */
export async function reconcileCronJob(cronJob: CronJob, jobs: Job[], fx: CronJobEffects): Promise<number | undefined> {
  const copy = structuredClone(cronJob);
  let result: SyncResult | undefined;
  let syncError: unknown;
  try {
    result = await syncCronJob(copy, jobs, fx);
  } catch (e) {
    syncError = e;
  }
  const cj = result?.cj ?? copy;
  const cleaned = await cleanupFinishedJobs(cj, jobs, fx);
  if (cleaned || result?.updateStatus) await fx.updateStatus(cj);
  if (syncError) throw syncError;
  return result?.requeueAfter;
}
