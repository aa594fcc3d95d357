import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../../src/api/errors.js';
import type { CronJob, Job } from '../../../../src/client/resources.js';
import { reconcileCronJob, type CronJobEffects } from '../../../../src/controllers/cronjob/sync.js';

// The CronJob controller's sync against a fake clock and a fake apiserver: which Job it starts
// at which scheduled time, and what it does with the Jobs it finds (cronjob_controllerv2_test.go).

const T = (s: string) => Date.parse(s);
const minutes = (s: string) => Math.floor(T(s) / 60_000);

function cronJob(spec: Record<string, unknown> = {}, status: Record<string, unknown> = {}, created = '2026-12-05T12:00:30Z'): CronJob {
  return {
    apiVersion: 'batch/v1', kind: 'CronJob',
    metadata: { name: 'hello', namespace: 'ns', uid: 'cj-uid', creationTimestamp: created, resourceVersion: '7' },
    spec: {
      schedule: '*/1 * * * *', timeZone: 'UTC', concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1,
      jobTemplate: { metadata: { labels: { app: 'hello' } }, spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] } } } },
      ...spec,
    },
    status,
  } as CronJob;
}

function job(name: string, o: { finished?: 'Complete' | 'Failed'; started?: string; completed?: string; owner?: string } = {}): Job {
  return {
    apiVersion: 'batch/v1', kind: 'Job',
    metadata: { name, namespace: 'ns', uid: `uid-${name}`, ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: o.owner ?? 'cj-uid', controller: true }] },
    spec: { template: {} },
    status: {
      ...(o.started ? { startTime: o.started } : {}),
      ...(o.completed ? { completionTime: o.completed } : {}),
      ...(o.finished ? { conditions: [{ type: o.finished, status: 'True' }] } : {}),
    },
  } as Job;
}

const ref = (j: Job) => ({ kind: 'Job', namespace: 'ns', name: j.metadata.name, uid: j.metadata.uid, apiVersion: 'batch/v1' });

class FakeApi implements CronJobEffects {
  created: Job[] = [];
  deleted: string[] = [];
  statuses: CronJob[] = [];
  events: string[] = [];
  jobs = new Map<string, Job>();
  fresh?: CronJob;
  constructor(private readonly at: number) {}
  now() { return this.at; }
  async getCronJob() { return this.fresh; }
  async getJob(_ns: string, name: string) { return this.jobs.get(name); }
  async createJob(_ns: string, j: Job) {
    if (this.jobs.has(j.metadata.name!)) throw new ApiError(409, { kind: 'Status', apiVersion: 'v1', status: 'Failure', reason: 'AlreadyExists', message: `jobs.batch "${j.metadata.name}" already exists`, code: 409 });
    const made = { ...j, metadata: { ...j.metadata, uid: `uid-${j.metadata.name}`, resourceVersion: '1' } };
    this.created.push(made);
    this.jobs.set(made.metadata.name!, made);
    return made;
  }
  async deleteJob(_ns: string, name: string) { this.deleted.push(name); this.jobs.delete(name); }
  async updateStatus(cj: CronJob) { this.statuses.push(structuredClone(cj)); }
  event(_cj: CronJob, type: string, reason: string, message: string) { this.events.push(`${type} ${reason} ${message}`); }
  get status() { return this.statuses.at(-1)?.status; }
}

test('at its scheduled time a Job named after the minute, owned by the CronJob, annotated with the time; woken again at the next one', async () => {
  const api = new FakeApi(T('2026-12-05T12:01:00.050Z'));
  const requeue = await reconcileCronJob(cronJob(), [], api);
  assert.equal(api.created.length, 1);
  const j = api.created[0]!;
  assert.equal(j.metadata.name, `hello-${minutes('2026-12-05T12:01:00Z')}`);
  assert.deepEqual(j.metadata.ownerReferences, [{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'hello', uid: 'cj-uid', controller: true, blockOwnerDeletion: true }]);
  assert.deepEqual(j.metadata.annotations, { 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-12-05T12:01:00Z' });
  assert.deepEqual(j.metadata.labels, { app: 'hello' });
  assert.equal(j.spec?.template.spec?.restartPolicy, 'OnFailure');
  assert.deepEqual(api.events, [`Normal SuccessfulCreate Created job ${j.metadata.name}`]);
  assert.deepEqual(api.status?.active, [{ ...ref(j), resourceVersion: '1' }]);
  assert.equal(api.status?.lastScheduleTime, '2026-12-05T12:01:00Z');
  assert.equal(requeue, 60_050);
});

test('before its first scheduled time nothing starts, and the controller sleeps until then (plus 100 ms)', async () => {
  const api = new FakeApi(T('2026-12-05T12:00:40Z'));
  assert.equal(await reconcileCronJob(cronJob(), [], api), 20_100);
  assert.deepEqual([api.created, api.statuses, api.events], [[], [], []]);
});

test('a time already started is not started again', async () => {
  const api = new FakeApi(T('2026-12-05T12:01:30Z'));
  const running = job(`hello-${minutes('2026-12-05T12:01:00Z')}`);
  api.jobs.set(running.metadata.name!, running);
  const cj = cronJob({}, { active: [ref(running)], lastScheduleTime: '2026-12-05T12:01:00Z' });
  assert.equal(await reconcileCronJob(cj, [running], api), 30_100);
  assert.deepEqual([api.created, api.statuses, api.events], [[], [], []]);
});

test('the scheduled time in the CronJob time zone names the annotation offset', async () => {
  const api = new FakeApi(T('2026-12-06T00:00:10Z'));
  await reconcileCronJob(cronJob({ schedule: '0 9 * * *', timeZone: 'Asia/Tokyo' }, {}, '2026-12-05T12:00:00Z'), [], api);
  assert.equal(api.created[0]?.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], '2026-12-06T09:00:00+09:00');
});

test('suspended: nothing starts and nothing is scheduled', async () => {
  const api = new FakeApi(T('2026-12-05T12:05:00Z'));
  assert.equal(await reconcileCronJob(cronJob({ suspend: true }), [], api), undefined);
  assert.deepEqual(api.created, []);
});

test('Forbid: a running Job holds the next start back (JobAlreadyActive)', async () => {
  const api = new FakeApi(T('2026-12-05T12:02:00.5Z'));
  const running = job('hello-old');
  api.jobs.set('hello-old', running);
  await reconcileCronJob(cronJob({ concurrencyPolicy: 'Forbid' }, { active: [ref(running)], lastScheduleTime: '2026-12-05T12:01:00Z' }), [running], api);
  assert.deepEqual(api.created, []);
  assert.deepEqual(api.events, ['Normal JobAlreadyActive Not starting job because prior execution is running and concurrency policy is Forbid']);
});

test('Replace: the running Job is deleted and the new one takes its place', async () => {
  const api = new FakeApi(T('2026-12-05T12:02:00.5Z'));
  const running = job('hello-old');
  api.jobs.set('hello-old', running);
  await reconcileCronJob(cronJob({ concurrencyPolicy: 'Replace' }, { active: [ref(running)], lastScheduleTime: '2026-12-05T12:01:00Z' }), [running], api);
  assert.deepEqual(api.deleted, ['hello-old']);
  const name = `hello-${minutes('2026-12-05T12:02:00Z')}`;
  assert.deepEqual(api.events, ['Normal SuccessfulDelete Deleted job hello-old', `Normal SuccessfulCreate Created job ${name}`]);
  assert.deepEqual(api.status?.active?.map((r) => r.name), [name]);
});

test('Allow: a new Job starts beside the running one', async () => {
  const api = new FakeApi(T('2026-12-05T12:02:00.5Z'));
  const running = job('hello-old');
  api.jobs.set('hello-old', running);
  await reconcileCronJob(cronJob({}, { active: [ref(running)], lastScheduleTime: '2026-12-05T12:01:00Z' }), [running], api);
  assert.deepEqual(api.status?.active?.map((r) => r.name), ['hello-old', `hello-${minutes('2026-12-05T12:02:00Z')}`]);
});

test('a finished Job leaves the active list (SawCompletedJob) and its completion is the last successful time', async () => {
  const api = new FakeApi(T('2026-12-05T12:01:40Z'));
  const done = job('hello-1', { finished: 'Complete', started: '2026-12-05T12:01:00Z', completed: '2026-12-05T12:01:20Z' });
  const cj = cronJob({}, { active: [ref(done)], lastScheduleTime: '2026-12-05T12:01:00Z' });
  await reconcileCronJob(cj, [done], api);
  assert.deepEqual(api.events, ['Normal SawCompletedJob Saw completed job: hello-1, condition: Complete']);
  assert.equal(api.status?.active, undefined);
  assert.equal(api.status?.lastSuccessfulTime, '2026-12-05T12:01:20Z');
});

test('history: finished Jobs beyond the limits are deleted, oldest first', async () => {
  const api = new FakeApi(T('2026-12-05T12:10:30Z'));
  const ok = [1, 2, 3, 4, 5].map((i) => job(`ok-${i}`, { finished: 'Complete', started: `2026-12-05T12:0${i}:00Z`, completed: `2026-12-05T12:0${i}:10Z` }));
  const failed = [6, 7].map((i) => job(`failed-${i}`, { finished: 'Failed', started: `2026-12-05T12:0${i}:00Z` }));
  await reconcileCronJob(cronJob({}, { lastScheduleTime: '2026-12-05T12:10:00Z' }), [...ok.reverse(), ...failed], api);
  assert.deepEqual(api.deleted, ['ok-1', 'ok-2', 'failed-6']);
  assert.ok(api.events.includes('Normal SuccessfulDelete Deleted job ok-1'));
  assert.equal(api.status?.lastSuccessfulTime, '2026-12-05T12:05:10Z');
});

test('an active Job that no longer exists is dropped from the list (MissingJob)', async () => {
  const api = new FakeApi(T('2026-12-05T12:01:30Z'));
  const gone = job('hello-gone');
  await reconcileCronJob(cronJob({}, { active: [ref(gone)], lastScheduleTime: '2026-12-05T12:01:00Z' }), [], api);
  assert.deepEqual(api.events, ['Normal MissingJob Active job went missing: hello-gone']);
  assert.equal(api.status?.active, undefined);
});

test('a running Job it did not start, such as kubectl create job --from, is reported (UnexpectedJob)', async () => {
  const api = new FakeApi(T('2026-12-05T12:00:40Z'));
  api.fresh = cronJob();
  await reconcileCronJob(cronJob(), [job('manual')], api);
  assert.deepEqual(api.events, ['Warning UnexpectedJob Saw a job that the controller did not create or forgot: manual']);
});

test('a Job created by an earlier sync whose status write was lost is taken into the active list', async () => {
  const api = new FakeApi(T('2026-12-05T12:01:00.5Z'));
  const name = `hello-${minutes('2026-12-05T12:01:00Z')}`;
  const earlier = job(name);
  api.jobs.set(name, earlier);
  api.fresh = cronJob();
  await reconcileCronJob(cronJob(), [], api);
  assert.deepEqual(api.created, []);
  assert.deepEqual(api.status?.active?.map((r) => r.name), [name]);
});

test('more than 100 missed start times: a warning, and only the most recent one starts', async () => {
  const api = new FakeApi(T('2026-12-05T15:30:30Z'));
  await reconcileCronJob(cronJob(), [], api);
  assert.deepEqual(api.events, [
    'Warning TooManyMissedTimes too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew',
    `Normal SuccessfulCreate Created job hello-${minutes('2026-12-05T15:30:00Z')}`,
  ]);
});

test('startingDeadlineSeconds: only times within the deadline are started', async () => {
  const api = new FakeApi(T('2026-12-05T12:30:30Z'));
  await reconcileCronJob(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }, {}, '2026-12-05T11:00:30Z'), [], api);
  // 12:00 was missed by half an hour: nothing starts, and the controller wakes at 13:00.
  assert.deepEqual(api.created, []);
  const api2 = new FakeApi(T('2026-12-05T12:00:30Z'));
  await reconcileCronJob(cronJob({ schedule: '0 * * * *', startingDeadlineSeconds: 60 }, {}, '2026-12-05T11:00:30Z'), [], api2);
  assert.equal(api2.created.length, 1);
});

test('a schedule that never comes is an InvalidSchedule warning, not a crash', async () => {
  const api = new FakeApi(T('2026-12-05T12:00:30Z'));
  assert.equal(await reconcileCronJob(cronJob({ schedule: '0 0 31 2 *' }), [], api), undefined);
  assert.deepEqual(api.events, ['Warning InvalidSchedule invalid schedule: 0 0 31 2 * : time difference between two schedules is less than 1 second']);
});
