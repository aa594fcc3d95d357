import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, OwnerReference } from '../../../../src/api/types.js';
import { Expectations } from '../../../../src/controllers/replicaset/expectations.js';
import { syncJob, type JobEffects, type JobMemory, type JobStatus } from '../../../../src/controllers/job/sync.js';
import { JOB_TRACKING_FINALIZER } from '../../../../src/controllers/job/pods.js';
import type { BackoffRecord } from '../../../../src/controllers/job/backoff.js';

// syncJob's decisions against upstream's pkg/controller/job behaviour, without an apiserver.

const NOW = Date.parse('2030-01-01T00:10:00Z');
const iso = (ms: number) => new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');

function job(spec: Record<string, unknown> = {}, status: JobStatus = {}): KObject {
  return {
    metadata: { name: 'pi', namespace: 'ns', uid: 'job-uid', resourceVersion: '5' },
    spec: {
      parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, podReplacementPolicy: 'TerminatingOrFailed',
      selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } },
      template: { metadata: { labels: { 'batch.kubernetes.io/controller-uid': 'job-uid' } }, spec: { restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] } },
      ...spec,
    },
    status,
  };
}

let seq = 0;
function pod(phase: string, o: { finishedAt?: number; deleting?: boolean; index?: number; ready?: boolean; tracked?: boolean } = {}): KObject {
  const name = `pi-${seq++}`;
  return {
    metadata: {
      name, namespace: 'ns', uid: `uid-${name}`,
      labels: { 'batch.kubernetes.io/controller-uid': 'job-uid' },
      ...(o.index !== undefined ? { annotations: { 'batch.kubernetes.io/job-completion-index': String(o.index) } } : {}),
      ...(o.tracked === false ? {} : { finalizers: [JOB_TRACKING_FINALIZER] }),
      ...(o.deleting ? { deletionTimestamp: iso(NOW - 1000) } : {}),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'Job', name: 'pi', uid: 'job-uid', controller: true }],
    },
    spec: {},
    status: {
      phase,
      conditions: o.ready ? [{ type: 'Ready', status: 'True' }] : [],
      ...(o.finishedAt !== undefined ? { containerStatuses: [{ state: { terminated: { finishedAt: iso(o.finishedAt) } } }] } : {}),
    },
  };
}

class FakeFx implements JobEffects {
  created: KObject[] = [];
  deleted: string[] = [];
  released: string[] = [];
  statuses: JobStatus[] = [];
  events: string[] = [];
  async createPod(_ns: string, p: KObject) { this.created.push(p); return { ...p, metadata: { ...p.metadata, name: `${p.metadata.generateName}x` } }; }
  async deletePod(p: KObject) { this.deleted.push(p.metadata.name!); }
  async setPodOwnerRefs(p: KObject, refs: OwnerReference[]) { p.metadata.ownerReferences = refs; }
  async removeTrackingFinalizer(p: KObject) { this.released.push(p.metadata.name!); }
  async updateStatus(o: KObject) { this.statuses.push(structuredClone(o.status as JobStatus)); return o; }
  event(_o: KObject, type: string, reason: string, message: string) { this.events.push(`${type} ${reason} ${message}`); }
}

const memory = (backoff: [string, BackoffRecord][] = []): JobMemory => ({ exp: new Expectations(), finalizerRemovals: new Set(), backoff: new Map(backoff) });
const last = (fx: FakeFx) => fx.statuses[fx.statuses.length - 1];
const types = (s: JobStatus) => (s.conditions ?? []).map((c) => `${c.type}=${c.status}:${c.reason}`);

test('a new Job gets one pod with the tracking finalizer and a status with startTime, active, ready and terminating', async () => {
  const fx = new FakeFx();
  await syncJob(job(), [], fx, memory(), NOW);
  assert.equal(fx.created.length, 1);
  const p = fx.created[0];
  assert.equal(p.metadata.generateName, 'pi-');
  assert.deepEqual(p.metadata.finalizers, [JOB_TRACKING_FINALIZER]);
  assert.deepEqual(p.metadata.ownerReferences?.map((r) => [r.apiVersion, r.kind, r.name, r.controller]), [['batch/v1', 'Job', 'pi', true]]);
  assert.deepEqual(fx.events, ['Normal SuccessfulCreate Created pod: pi-x']);
  assert.deepEqual(fx.statuses, [{ startTime: iso(NOW), active: 1, ready: 0, terminating: 0, uncountedTerminatedPods: {} }]);
});

test('a succeeded pod is first recorded as uncounted with SuccessCriteriaMet, then counted once its finalizer is gone, then Complete', async () => {
  const fx = new FakeFx();
  const done = pod('Succeeded', { finishedAt: NOW - 1000 });
  await syncJob(job({}, { startTime: iso(NOW - 5000), active: 1 }), [done], fx, memory(), NOW);
  assert.equal(fx.statuses.length, 2);
  assert.deepEqual(fx.statuses[0].uncountedTerminatedPods, { succeeded: [done.metadata.uid] });
  assert.deepEqual(types(fx.statuses[0]), ['SuccessCriteriaMet=True:CompletionsReached']);
  assert.equal(fx.statuses[0].succeeded, undefined);
  assert.deepEqual(fx.released, [done.metadata.name]);
  const s = fx.statuses[1];
  assert.equal(s.succeeded, 1);
  assert.deepEqual(s.uncountedTerminatedPods, {});
  assert.deepEqual(types(s), ['SuccessCriteriaMet=True:CompletionsReached', 'Complete=True:CompletionsReached']);
  assert.equal(s.completionTime, iso(NOW));
  assert.equal(s.active, undefined);
  assert.deepEqual(fx.events, ['Normal Completed Job completed']);
  assert.equal(fx.created.length, 0);
});

test('a finished Job only releases the finalizers its pods still carry', async () => {
  const fx = new FakeFx();
  const finished = job({}, { conditions: [{ type: 'Complete', status: 'True' }], succeeded: 1 });
  await syncJob(finished, [pod('Succeeded'), pod('Succeeded', { tracked: false })], fx, memory(), NOW);
  assert.equal(fx.released.length, 1);
  assert.deepEqual(fx.statuses, []);
});

test('failures beyond backoffLimit: FailureTarget then Failed with BackoffLimitExceeded and a warning', async () => {
  const fx = new FakeFx();
  const failed = pod('Failed', { finishedAt: NOW - 1000 });
  await syncJob(job({ backoffLimit: 1 }, { startTime: iso(NOW - 60_000), failed: 1 }), [failed], fx, memory(), NOW);
  const s = last(fx);
  assert.equal(s.failed, 2);
  assert.deepEqual(types(s), ['FailureTarget=True:BackoffLimitExceeded', 'Failed=True:BackoffLimitExceeded']);
  assert.equal(s.conditions?.[1].message, 'Job has reached the specified backoff limit');
  assert.equal(s.completionTime, undefined);
  assert.deepEqual(fx.events, ['Warning BackoffLimitExceeded Job has reached the specified backoff limit']);
  assert.equal(fx.created.length, 0);
});

test('a failed pod is replaced only after the backoff: 10 s after the first failure, doubling after each further one', async () => {
  const fx = new FakeFx();
  const m = memory();
  const r = await syncJob(job({}, { startTime: iso(NOW - 60_000) }), [pod('Failed', { finishedAt: NOW - 4000 })], fx, m, NOW);
  assert.equal(fx.created.length, 0);
  assert.equal(r.requeueAfter, 6000);
  assert.equal(last(fx).failed, 1);
  assert.deepEqual(m.backoff.get('ns/pi'), { failuresAfterLastSuccess: 1, lastFailureTime: NOW - 4000 });

  const fx2 = new FakeFx();
  const r2 = await syncJob(job({}, { startTime: iso(NOW - 60_000), failed: 1 }), [pod('Failed', { finishedAt: NOW - 1000 })], fx2, m, NOW);
  assert.equal(r2.requeueAfter, 19_000);
  assert.equal(fx2.created.length, 0);

  const fx3 = new FakeFx();
  await syncJob(job({}, { startTime: iso(NOW - 60_000), failed: 2 }), [], fx3, m, NOW + 19_000);
  assert.equal(fx3.created.length, 1);
});

test('past activeDeadlineSeconds the active pod is deleted and counted failed; the Job is Failed only once nothing is terminating', async () => {
  const fx = new FakeFx();
  const running = pod('Running', { ready: true });
  const r = await syncJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(NOW - 31_000), active: 1, ready: 1 }), [running], fx, memory(), NOW);
  assert.deepEqual(fx.deleted, [running.metadata.name]);
  assert.deepEqual(fx.events, [`Normal SuccessfulDelete Deleted pod: ${running.metadata.name}`]);
  // A failing Job counts the pods it stops as failed at once, and releases them.
  assert.deepEqual(fx.statuses[0].uncountedTerminatedPods, { failed: [running.metadata.uid] });
  assert.deepEqual(fx.released, [running.metadata.name]);
  const s = last(fx);
  assert.deepEqual(types(s), ['FailureTarget=True:DeadlineExceeded']);
  assert.equal(s.failed, 1);
  assert.equal(s.terminating, 1);
  assert.equal(s.active, undefined);
  assert.deepEqual(s.uncountedTerminatedPods, {});
  assert.equal(r.requeueAfter, undefined);

  // Still terminating: not Failed yet.
  const fx2 = new FakeFx();
  const gone = { ...running, metadata: { ...running.metadata, finalizers: undefined, deletionTimestamp: iso(NOW) } };
  await syncJob(job({ activeDeadlineSeconds: 30 }, { ...s }), [gone], fx2, memory(), NOW + 1000);
  assert.deepEqual(fx2.statuses, []);
  const fx3 = new FakeFx();
  await syncJob(job({ activeDeadlineSeconds: 30 }, { ...s }), [], fx3, memory(), NOW + 2000);
  assert.deepEqual(types(last(fx3)), ['FailureTarget=True:DeadlineExceeded', 'Failed=True:DeadlineExceeded']);
  assert.equal(last(fx3).failed, 1);
  assert.equal(last(fx3).terminating, 0);
  assert.deepEqual(fx3.events, ['Warning DeadlineExceeded Job was active longer than specified deadline']);
});

test('before the deadline the Job is synced again when it runs out', async () => {
  const fx = new FakeFx();
  const r = await syncJob(job({ activeDeadlineSeconds: 30 }, { startTime: iso(NOW - 10_000), active: 1 }), [pod('Running')], fx, memory(), NOW);
  assert.equal(r.requeueAfter, 20_000);
});

test('suspending deletes the active pods and sets Suspended; resuming restarts the clock', async () => {
  const fx = new FakeFx();
  const running = pod('Running');
  await syncJob(job({ suspend: true }, { startTime: iso(NOW - 10_000), active: 1 }), [running], fx, memory(), NOW);
  assert.deepEqual(fx.deleted, [running.metadata.name]);
  assert.deepEqual(types(last(fx)), ['Suspended=True:JobSuspended']);
  assert.ok(fx.events.includes('Normal Suspended Job suspended'));
  const fx2 = new FakeFx();
  await syncJob(job({}, { ...last(fx) }), [], fx2, memory(), NOW + 5000);
  assert.deepEqual(types(last(fx2)), ['Suspended=False:JobResumed']);
  assert.equal(last(fx2).startTime, iso(NOW + 5000));
  assert.ok(fx2.events.includes('Normal Resumed Job resumed'));
  assert.equal(fx2.created.length, 1);
});

test('parallelism without completions: pods up to parallelism; one success ends it once the rest finish', async () => {
  const fx = new FakeFx();
  await syncJob(job({ completions: null, parallelism: 3 }), [], fx, memory(), NOW);
  assert.equal(fx.created.length, 3);
  const fx2 = new FakeFx();
  await syncJob(job({ completions: null, parallelism: 3 }, { startTime: iso(NOW) }), [pod('Succeeded'), pod('Running')], fx2, memory(), NOW);
  assert.equal(fx2.created.length, 0);
  assert.deepEqual(types(last(fx2)), []);
  assert.equal(last(fx2).succeeded, 1);
  assert.equal(last(fx2).active, 1);
});

test('an Indexed Job makes one pod per pending index with its annotation, label, hostname and JOB_COMPLETION_INDEX', async () => {
  const fx = new FakeFx();
  const spec = { completionMode: 'Indexed', completions: 3, parallelism: 3 };
  await syncJob(job(spec, { startTime: iso(NOW) }), [pod('Succeeded', { index: 1 }), pod('Running', { index: 1 })], fx, memory(), NOW);
  // The second pod of index 1, which is done, goes; indexes 0 and 2 get a pod each.
  assert.equal(fx.deleted.length, 1);
  assert.deepEqual(fx.created.map((p) => p.metadata.annotations?.['batch.kubernetes.io/job-completion-index']), ['0', '2']);
  const p = fx.created[0];
  assert.equal(p.metadata.generateName, 'pi-0-');
  assert.equal(p.metadata.labels?.['batch.kubernetes.io/job-completion-index'], '0');
  const podSpec = p.spec as { hostname?: string; containers: { env?: unknown[] }[] };
  assert.equal(podSpec.hostname, 'pi-0');
  assert.deepEqual(podSpec.containers[0].env, [
    { name: 'JOB_COMPLETION_INDEX', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']" } } },
  ]);
  assert.equal(fx.statuses[0].completedIndexes, '1');
  assert.equal(fx.statuses[0].succeeded, 1);
  assert.deepEqual(fx.statuses[0].uncountedTerminatedPods, {});
});

test('pods still being created are not created twice: expectations hold the next sync back', async () => {
  const fx = new FakeFx();
  const m = memory();
  await syncJob(job({ parallelism: 2, completions: 2 }), [], fx, m, NOW);
  await syncJob(job({ parallelism: 2, completions: 2 }, { startTime: iso(NOW) }), [], fx, m, NOW);
  assert.equal(fx.created.length, 2);
});

function exited(code: number, container = 'c'): KObject {
  const p = pod('Failed');
  (p.status as Record<string, unknown>).containerStatuses = [{ name: container, state: { terminated: { exitCode: code, finishedAt: iso(NOW - 1000) } } }];
  return p;
}

const policySpec = (rules: unknown[]) => ({ podReplacementPolicy: 'Failed', podFailurePolicy: { rules } });

test('a pod failure policy FailJob rule fails the Job with reason PodFailurePolicy and upstream message', async () => {
  const fx = new FakeFx();
  const p = exited(42);
  const running = pod('Running');
  await syncJob(job(policySpec([{ action: 'FailJob', onExitCodes: { operator: 'In', values: [42] } }]), { startTime: iso(NOW) }), [p, running], fx, memory(), NOW);
  assert.deepEqual(fx.deleted, [running.metadata.name]);
  const target = last(fx).conditions?.find((c) => c.type === 'FailureTarget');
  assert.equal(target?.reason, 'PodFailurePolicy');
  assert.equal(target?.message, `Container c for pod ns/${p.metadata.name} failed with exit code 42 matching FailJob rule at index 0`);
  assert.equal(last(fx).failed, 2);
});

test('a pod failure policy Ignore rule releases the pod without counting it as failed', async () => {
  const fx = new FakeFx();
  const p = exited(3);
  await syncJob(job(policySpec([{ action: 'Ignore', onExitCodes: { operator: 'In', values: [3] } }]), { startTime: iso(NOW) }), [p], fx, memory(), NOW);
  assert.equal(last(fx).failed, undefined);
  assert.deepEqual(fx.released, [p.metadata.name]);
});

test('without a matching rule a failure counts toward backoffLimit', async () => {
  const fx = new FakeFx();
  await syncJob(job({ ...policySpec([{ action: 'Ignore', onExitCodes: { containerName: 'c', operator: 'In', values: [3] } }]), backoffLimit: 0 }, { startTime: iso(NOW) }), [exited(4)], fx, memory(), NOW);
  assert.equal(last(fx).failed, 1);
  assert.deepEqual(types(last(fx)), ['FailureTarget=True:BackoffLimitExceeded', 'Failed=True:BackoffLimitExceeded']);
});

test('a Job managed by another controller is left to it', async () => {
  const { isManagedByJobController } = await import('../../../../src/controllers/job/controller.js');
  assert.equal(isManagedByJobController(job()), true);
  assert.equal(isManagedByJobController(job({ managedBy: 'kubernetes.io/job-controller' })), true);
  assert.equal(isManagedByJobController(job({ managedBy: 'kueue.x-k8s.io/multikueue' })), false);
});

test('an Indexed Job whose successPolicy is met stops its other pods and completes with reason SuccessPolicy once they are gone', async () => {
  const spec = { completionMode: 'Indexed', completions: 3, parallelism: 3, successPolicy: { rules: [{ succeededIndexes: '0' }] } };
  const fx = new FakeFx();
  const running = pod('Running', { index: 1 });
  await syncJob(job(spec, { startTime: iso(NOW) }), [pod('Succeeded', { index: 0 }), running], fx, memory(), NOW);
  assert.deepEqual(fx.deleted, [running.metadata.name]);
  assert.equal(fx.created.length, 0);
  const s = last(fx);
  assert.deepEqual(types(s), ['SuccessCriteriaMet=True:SuccessPolicy']);
  assert.equal(s.conditions?.[0].message, 'Matched rules at index 0');
  assert.equal(s.completedIndexes, '0');
  assert.equal(s.terminating, 1);
  const fx2 = new FakeFx();
  await syncJob(job(spec, { ...s }), [], fx2, memory(), NOW + 1000);
  assert.deepEqual(types(last(fx2)), ['SuccessCriteriaMet=True:SuccessPolicy', 'Complete=True:SuccessPolicy']);
  assert.deepEqual(fx2.events, ['Normal Completed Job completed']);
});
