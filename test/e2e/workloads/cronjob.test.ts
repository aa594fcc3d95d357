// CronJobs on a one-node cluster through the real kubectl: created, printed, run by hand with
// `create job --from`, run by the controller for a scheduled time it missed, suspended by a
// patch, refused with upstream's messages, and deleted with their Jobs and pods. Nothing waits
// for a real minute to pass: the controller's timing is unit-tested against a fake clock.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('cronjob', { nodes: 1 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

interface JobView {
  metadata: { name: string; annotations?: Record<string, string>; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[] };
  status: { conditions?: { type: string; status: string }[] };
}
interface CronJobView {
  metadata: { uid: string };
  spec: Record<string, unknown> & { jobTemplate: { metadata: Record<string, unknown> } };
  status: { active?: { name: string }[]; lastScheduleTime?: string; lastSuccessfulTime?: string };
}

const cronJob = async (name: string): Promise<CronJobView> => JSON.parse(await ok(['get', 'cronjob', name, '-o', 'json'])) as CronJobView;
const jobNames = async (): Promise<string[]> => (JSON.parse(await ok(['get', 'jobs', '-o', 'json'])).items as JobView[]).map((j) => j.metadata.name).sort();
const eventReasons = async (name: string): Promise<string[]> =>
  (JSON.parse(await ok(['get', 'events', '--field-selector', `involvedObject.kind=CronJob,involvedObject.name=${name}`, '-o', 'json'])).items as { reason: string }[]).map((e) => e.reason);

test('kubectl create cronjob: defaults, the columns of get and get -o wide, describe, and the all category', async () => {
  await ok(['create', 'cronjob', 'hello', '--image=busybox', '--schedule=*/1 * * * *', '--', 'echo', 'hello']);
  const cj = await cronJob('hello');
  for (const [k, v] of Object.entries({ concurrencyPolicy: 'Allow', suspend: false, successfulJobsHistoryLimit: 3, failedJobsHistoryLimit: 1, schedule: '*/1 * * * *' })) {
    assert.deepEqual(cj.spec[k], v, k);
  }
  assert.deepEqual(cj.spec.jobTemplate.metadata, { name: 'hello', creationTimestamp: null });
  const table = (await ok(['get', 'cj'])).split('\n');
  assert.match(table[0]!, /^NAME\s+SCHEDULE\s+TIMEZONE\s+SUSPEND\s+ACTIVE\s+LAST SCHEDULE\s+AGE$/);
  // A minute may turn between create and get: then the first Job has started.
  assert.match(table[1]!, /^hello\s+\*\/1 \* \* \* \*\s+<none>\s+False\s+[01]\s+(<none>|\d+s)\s+\d+s$/);
  const wide = (await ok(['get', 'cronjobs', '-o', 'wide'])).split('\n');
  assert.match(wide[0]!, /AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  assert.match(wide[1]!, /\s+hello\s+busybox\s+<none>$/);
  assert.match(await ok(['describe', 'cronjob', 'hello']), /Schedule:\s+\*\/1 \* \* \* \*\nConcurrency Policy:\s+Allow\nSuspend:\s+False/);
  assert.match(await ok(['get', 'all']), /cronjob\.batch\/hello/);
});

test('kubectl create job --from=cronjob runs the template once, and the controller reports the Job it did not start', async () => {
  await ok(['create', 'job', '--from=cronjob/hello', 'manual']);
  await ok(['wait', '--for=condition=complete', 'job/manual', '--timeout=60s']);
  const job = JSON.parse(await ok(['get', 'job', 'manual', '-o', 'json'])) as JobView;
  assert.equal(job.metadata.annotations?.['cronjob.kubernetes.io/instantiate'], 'manual');
  const { uid } = (await cronJob('hello')).metadata;
  assert.deepEqual(job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['CronJob', 'hello', uid, true]]);
  assert.equal((await ok(['logs', 'job/manual'])).trim(), 'hello');
  await waitFor('UnexpectedJob event', async () => (await eventReasons('hello')).includes('UnexpectedJob'));
});

test('kubectl patch suspends a CronJob, and the table says so; set image merges into the template by container name', async () => {
  await ok(['patch', 'cronjob', 'hello', '-p', '{"spec":{"suspend":true}}']);
  assert.equal((await cronJob('hello')).spec.suspend, true);
  assert.match((await ok(['get', 'cj', 'hello', '--no-headers'])).trim(), /^hello\s+\S+ \S+ \S+ \S+ \S+\s+<none>\s+True\s+/);
  await ok(['set', 'image', 'cronjob/hello', 'hello=busybox:1.36']);
  const containers = JSON.parse(await ok(['get', 'cj', 'hello', '-o', 'jsonpath={.spec.jobTemplate.spec.template.spec.containers}'])) as { name: string; image: string; command: string[] }[];
  assert.deepEqual(containers.map((x) => [x.name, x.image, x.command]), [['hello', 'busybox:1.36', ['echo', 'hello']]]);
});

test('a scheduled time missed since the last schedule starts a Job at once: named by its minute, owned, annotated, then seen completed', async () => {
  // The latest 1 January 00:00 UTC has passed; a last schedule before it leaves that time unmet,
  // as after a controller outage, so the controller starts it now instead of at next New Year.
  const year = new Date().getUTCFullYear();
  const due = Date.UTC(year, 0, 1);
  await ok(['apply', '-f', '-'], `apiVersion: batch/v1
kind: CronJob
metadata: {name: yearly}
spec:
  schedule: "0 0 1 1 *"
  timeZone: Etc/UTC
  jobTemplate:
    metadata: {labels: {app: yearly}}
    spec:
      template:
        spec:
          restartPolicy: Never
          containers: [{name: main, image: busybox, command: [sh, -c, "echo once a year"]}]
`);
  await ok(['patch', 'cronjob', 'yearly', '--subresource=status', '--type=merge', '-p', JSON.stringify({ status: { lastScheduleTime: `${year - 1}-12-31T00:00:00Z` } })]);
  const name = `yearly-${due / 60_000}`;
  await waitFor(`Job ${name}`, async () => (await jobNames()).includes(name));
  await ok(['wait', '--for=condition=complete', `job/${name}`, '--timeout=60s']);
  const job = JSON.parse(await ok(['get', 'job', name, '-o', 'json'])) as JobView;
  assert.equal(job.metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp'], `${year}-01-01T00:00:00Z`);
  assert.equal(job.metadata.labels?.app, 'yearly');
  const { uid } = (await cronJob('yearly')).metadata;
  assert.deepEqual(job.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.uid, r.controller]), [['CronJob', 'yearly', uid, true]]);
  await waitFor('the finished Job out of the active list', async () => {
    const s = (await cronJob('yearly')).status;
    return s.active === undefined && s.lastSuccessfulTime !== undefined;
  });
  const s = (await cronJob('yearly')).status;
  assert.equal(s.lastScheduleTime, `${year}-01-01T00:00:00Z`);
  assert.deepEqual((await eventReasons('yearly')).filter((r) => r !== 'UnexpectedJob').sort(), ['SawCompletedJob', 'SuccessfulCreate']);
});

test('kubectl delete cronjob takes its Jobs and their pods with it', async () => {
  await ok(['delete', 'cronjob', 'yearly', 'hello']);
  await waitFor('Jobs and pods gone', async () => (await jobNames()).length === 0 && (await ok(['get', 'pods', '-o', 'name'])).trim() === '', 60_000);
});

test('bad CronJobs are refused with upstream messages', async () => {
  const bad = await c.kubectl(['create', 'cronjob', 'bad', '--image=busybox', '--schedule=61 * * * *']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /CronJob.batch "bad" is invalid: spec.schedule: Invalid value: "61 \* \* \* \*": end of range \(61\) above maximum \(59\): 61/);
  const r = await c.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: batch/v1
kind: CronJob
metadata: {name: bad}
spec:
  schedule: "TZ=Europe/Paris 0 * * * *"
  timeZone: Mars/Olympus
  startingDeadlineSeconds: -5
  concurrencyPolicy: Never
  jobTemplate:
    spec:
      template:
        spec:
          containers: [{name: main, image: busybox}]
`,
  });
  assert.notEqual(r.code, 0);
  assert.equal(r.stderr.trim(), `The CronJob "bad" is invalid: 
* spec.schedule: Invalid value: "TZ=Europe/Paris 0 * * * *": cannot use TZ or CRON_TZ in schedule, use timeZone field instead
* spec.startingDeadlineSeconds: Invalid value: -5: must be greater than or equal to 0
* spec.timeZone: Invalid value: "Mars/Olympus": unknown time zone Mars/Olympus
* spec.concurrencyPolicy: Unsupported value: "Never": supported values: "Allow", "Forbid", "Replace"
* spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"`);
});
