// Jobs on a one-node cluster through the real kubectl: created, waited for, listed, described,
// logged and deleted with their pods; a failing Job stopped by its backoff limit, one stopped by
// its deadline, an Indexed Job, a Job removed by its TTL, and a manifest refused as upstream does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('job', { nodes: 1 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

interface JobView {
  metadata: { uid: string; labels?: Record<string, string> };
  spec: { selector: { matchLabels: Record<string, string> }; template: { metadata: { labels: Record<string, string> } } } & Record<string, unknown>;
  status: { conditions?: Condition[]; succeeded?: number; failed?: number; active?: number; ready?: number; terminating?: number; startTime?: string; completionTime?: string; completedIndexes?: string; uncountedTerminatedPods?: object };
}

interface PodView {
  metadata: { name: string; finalizers?: string[]; annotations?: Record<string, string>; labels?: Record<string, string>; deletionTimestamp?: string };
  spec: { hostname?: string; containers: { env?: { name: string }[] }[] };
  status: { phase?: string };
}

const job = async (name: string): Promise<JobView> => JSON.parse(await ok(['get', 'job', name, '-o', 'json'])) as JobView;
const podsOf = async (name: string): Promise<PodView[]> => JSON.parse(await ok(['get', 'pods', '-l', `job-name=${name}`, '-o', 'json'])).items as PodView[];
/** Applies a Job of one busybox container `main` running `command`; `spec` and `podSpec` are YAML lines at their place. */
const applyJob = (name: string, spec: string, command: string, o: { restartPolicy?: string; podSpec?: string } = {}) =>
  ok(['apply', '-f', '-'], `apiVersion: batch/v1
kind: Job
metadata: {name: ${name}}
spec:
${spec}  template:
    spec:
      restartPolicy: ${o.restartPolicy ?? 'Never'}
${o.podSpec ?? ''}      containers:
      - {name: main, image: busybox, command: ${command}}
`);

/** Waits for the Job's Complete or Failed condition, then reads it. */
const finished = async (name: string, condition: 'complete' | 'failed'): Promise<JobView> => {
  await ok(['wait', `--for=condition=${condition}`, `job/${name}`, '--timeout=120s']);
  return job(name);
};
const reasonOf = (j: JobView, type: string) => {
  const c = j.status.conditions?.find((x) => x.type === type);
  return [c?.reason, c?.message];
};
const types = (j: JobView) => (j.status.conditions ?? []).filter((x) => x.status === 'True').map((x) => x.type);

test('kubectl create job runs it to completion: wait, get, wide, logs, describe, events, then delete takes its pods', async () => {
  await ok(['create', 'job', 'pi', '--image=busybox', '--', 'sh', '-c', 'echo hi']);
  const j = await finished('pi', 'complete');
  assert.deepEqual(types(j), ['SuccessCriteriaMet', 'Complete']);
  assert.deepEqual(reasonOf(j, 'Complete'), ['CompletionsReached', 'Reached expected number of succeeded pods']);
  assert.equal(j.status.succeeded, 1);
  assert.equal(j.status.failed, undefined);
  assert.equal(j.status.ready, 0);
  assert.equal(j.status.terminating, 0);
  assert.deepEqual(j.status.uncountedTerminatedPods, {});
  assert.ok(j.status.startTime && j.status.completionTime && j.status.completionTime >= j.status.startTime);
  // Defaults and the generated selector, as upstream stores them.
  for (const [k, v] of Object.entries({ parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed' })) {
    assert.deepEqual(j.spec[k], v, k);
  }
  assert.deepEqual(j.spec.selector.matchLabels, { 'batch.kubernetes.io/controller-uid': j.metadata.uid });
  const want = { 'batch.kubernetes.io/controller-uid': j.metadata.uid, 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': j.metadata.uid, 'job-name': 'pi' };
  assert.deepEqual(j.spec.template.metadata.labels, want);
  assert.deepEqual(j.metadata.labels, want);

  const pods = await podsOf('pi');
  assert.equal(pods.length, 1);
  assert.equal(pods[0].status.phase, 'Succeeded');
  // Counted, so the tracking finalizer is gone.
  assert.deepEqual(pods[0].metadata.finalizers ?? [], []);

  const table = (await ok(['get', 'jobs'])).trim().split('\n');
  assert.match(table[0], /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE$/);
  assert.match(table[1], /^pi\s+Complete\s+1\/1\s+\d+s\s+\S+$/);
  const wide = (await ok(['get', 'job', 'pi', '-o', 'wide'])).trim().split('\n');
  assert.match(wide[0], /^NAME\s+STATUS\s+COMPLETIONS\s+DURATION\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  assert.match(wide[1], new RegExp(`^pi\\s+Complete\\s+1/1\\s+\\S+\\s+\\S+\\s+pi\\s+busybox\\s+batch.kubernetes.io/controller-uid=${j.metadata.uid}$`));

  assert.equal((await ok(['logs', 'job/pi'])).trim(), 'hi');

  const described = await ok(['describe', 'job', 'pi']);
  assert.match(described, /Completions:\s+1/);
  assert.match(described, /Pods Statuses:\s+0 Active \(0 Ready\) \/ 1 Succeeded \/ 0 Failed/);
  assert.match(described, /Normal\s+SuccessfulCreate\s+\S+\s+job-controller\s+Created pod: pi-\w+/);
  assert.match(described, /Normal\s+Completed\s+\S+\s+job-controller\s+Job completed/);

  await ok(['delete', 'job', 'pi']);
  await waitFor('the Job pods to go', async () => (await podsOf('pi')).length === 0, 60_000);
});

test('a failing Job replaces its pod after the backoff and fails with BackoffLimitExceeded', async () => {
  await applyJob('fails', `  backoffLimit: 1
`, `[sh, -c, 'exit 3']`);
  const j = await finished('fails', 'failed');
  assert.deepEqual(types(j), ['FailureTarget', 'Failed']);
  assert.deepEqual(reasonOf(j, 'Failed'), ['BackoffLimitExceeded', 'Job has reached the specified backoff limit']);
  assert.equal(j.status.failed, 2);
  assert.equal(j.status.completionTime, undefined);
  const pods = await podsOf('fails');
  assert.deepEqual(pods.map((p) => p.status.phase), ['Failed', 'Failed']);
  assert.match((await ok(['get', 'job', 'fails'])).trim().split('\n')[1], /^fails\s+Failed\s+0\/1\s+\S+\s+\S+$/);
  const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=fails,involvedObject.kind=Job', '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}']);
  assert.match(events, /^Warning BackoffLimitExceeded Job has reached the specified backoff limit$/m);
  assert.equal(events.match(/^Normal SuccessfulCreate /gm)?.length, 2);
});

test('activeDeadlineSeconds stops a running Job: its pod is deleted and counted failed, then Failed with DeadlineExceeded', async () => {
  await applyJob('slow', `  activeDeadlineSeconds: 3
`, `[sleep, '300']`, { podSpec: `      terminationGracePeriodSeconds: 1
` });
  const j = await finished('slow', 'failed');
  assert.deepEqual(reasonOf(j, 'Failed'), ['DeadlineExceeded', 'Job was active longer than specified deadline']);
  assert.equal(j.status.failed, 1);
  assert.equal(j.status.active, undefined);
  await waitFor('the deleted pod to go', async () => (await podsOf('slow')).length === 0, 60_000);
});

test('an Indexed Job runs one pod per index with JOB_COMPLETION_INDEX and records the completed indexes', async () => {
  await applyJob('idx', `  completions: 3
  parallelism: 3
  completionMode: Indexed
`, `[sh, -c, 'echo "index=$JOB_COMPLETION_INDEX host=$(hostname)"']`);
  const j = await finished('idx', 'complete');
  assert.equal(j.status.completedIndexes, '0-2');
  assert.equal(j.status.succeeded, 3);
  const pods = await podsOf('idx');
  const seen = [];
  for (const p of pods) {
    const ix = p.metadata.annotations?.['batch.kubernetes.io/job-completion-index'];
    assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], ix);
    assert.equal(p.spec.hostname, `idx-${ix}`);
    assert.match(p.metadata.name, new RegExp(`^idx-${ix}-\\w+$`));
    seen.push((await ok(['logs', p.metadata.name])).trim());
  }
  assert.deepEqual(seen.sort(), ['index=0 host=idx-0', 'index=1 host=idx-1', 'index=2 host=idx-2']);
  assert.match((await ok(['get', 'job', 'idx'])).trim().split('\n')[1], /^idx\s+Complete\s+3\/3\s+/);
});

test('ttlSecondsAfterFinished removes a finished Job and its pods', async () => {
  await applyJob('brief', `  ttlSecondsAfterFinished: 1
`, `['true']`, { restartPolicy: 'OnFailure' });
  await waitFor('the Job to be removed after its TTL', async () => (await c.kubectl(['get', 'job', 'brief'])).stderr.includes('NotFound'), 120_000);
  await waitFor('its pods to go', async () => (await podsOf('brief')).length === 0, 60_000);
});

test('a suspended Job makes no pods until an apply resumes it; the update keeps the generated selector and labels', async () => {
  const apply = (suspend: boolean) => applyJob('later', `  suspend: ${suspend}\n`, `['true']`);
  await apply(true);
  await waitFor('the Suspended condition', async () => types(await job('later')).includes('Suspended'));
  assert.equal((await podsOf('later')).length, 0);
  assert.match((await ok(['get', 'job', 'later'])).trim().split('\n')[1], /^later\s+Suspended\s+0\/1\s+\s+\S+$/);
  await apply(false);
  const j = await finished('later', 'complete');
  const suspended = j.status.conditions?.find((x) => x.type === 'Suspended');
  assert.deepEqual([suspended?.status, suspended?.reason, suspended?.message], ['False', 'JobResumed', 'Job resumed']);
  const events = await ok(['get', 'events', '--field-selector', 'involvedObject.name=later,involvedObject.kind=Job', '-o', 'jsonpath={range .items[*]}{.reason}{"\\n"}{end}']);
  assert.deepEqual(events.trim().split('\n').filter((r) => r === 'Suspended' || r === 'Resumed'), ['Suspended', 'Resumed']);
});

test('a podFailurePolicy FailJob rule fails the Job on the matching exit code, without retries', async () => {
  await applyJob('policy', `  backoffLimit: 6
  podFailurePolicy:
    rules:
    - action: FailJob
      onExitCodes: {containerName: main, operator: In, values: [42]}
`, `[sh, -c, 'exit 42']`);
  const j = await finished('policy', 'failed');
  const pods = await podsOf('policy');
  assert.equal(pods.length, 1);
  assert.deepEqual(reasonOf(j, 'Failed'), ['PodFailurePolicy', `Container main for pod default/${pods[0].metadata.name} failed with exit code 42 matching FailJob rule at index 0`]);
  assert.equal(j.spec.podReplacementPolicy, 'Failed');
});

test('a Job whose pods would restart forever is refused with upstream message', async () => {
  const r = await c.kubectl(['apply', '-f', '-'], {
    input: `apiVersion: batch/v1
kind: Job
metadata: {name: bad}
spec:
  template:
    spec:
      containers:
      - {name: main, image: busybox}
`,
  });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The Job "bad" is invalid: spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"/);
});
