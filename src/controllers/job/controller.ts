import type { KObject } from '../../api/types.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import { controllerOf } from '../../client/controllerref.js';
import { keyOfObject, type SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { JOBS, PODS } from '../../client/resources.js';
import type { Logger } from '../../log.js';
import { metadataListPatch } from '../patches.js';
import { Expectations, observePods } from '../replicaset/expectations.js';
import { ownersOfPod, replicaSetEffects } from '../replicaset/controller.js';
import type { BackoffRecord } from './backoff.js';
import { hasTrackingFinalizer, JOB_TRACKING_FINALIZER } from './pods.js';
import { releaseTrackedPods, syncJob, type JobEffects, type JobMemory } from './sync.js';

// The Job controller's loop: Jobs and their pods feed one queue of Job keys. A pod whose Job
// is gone (or was replaced by another of the same name) still carries the tracking finalizer;
// the Job's key then releases it, as upstream's orphan-pod cleanup does.

function jobEffects(client: ApiClient, recorder: Recorder): JobEffects {
  return {
    ...replicaSetEffects(client, recorder),
    updateStatus: (job) => client.updateStatus(JOBS, job),
    async removeTrackingFinalizer(pod) {
      const rest = (pod.metadata.finalizers ?? []).filter((f) => f !== JOB_TRACKING_FINALIZER);
      try {
        await client.patch(PODS, pod.metadata.namespace, pod.metadata.name as string, 'json', metadataListPatch(pod, 'finalizers', rest));
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
  };
}

export const JOB_CONTROLLER_NAME = 'kubernetes.io/job-controller';

export function isManagedByJobController(job: KObject): boolean {
  const managedBy = (job.spec as { managedBy?: string } | undefined)?.managedBy;
  return managedBy == null || managedBy === JOB_CONTROLLER_NAME;
}

/** Pods controlled by a Job named `name` that is not `job` (deleted, or replaced by a namesake). */
function orphansOf(pods: KObject[], name: string, job: KObject | undefined): KObject[] {
  return pods.filter((p) => {
    const ref = controllerOf(p);
    return ref?.kind === 'Job' && ref.name === name && ref.uid !== job?.metadata.uid && hasTrackingFinalizer(p);
  });
}

export function startJobController(client: ApiClient, informers: SharedInformers, recorder: Recorder, log?: Logger): RunningController {
  const jobInformer = informers.informer(JOBS);
  const podInformer = informers.informer(PODS);
  const memory: JobMemory = { exp: new Expectations(), finalizerRemovals: new Set<string>(), backoff: new Map<string, BackoffRecord>() };
  const fx = jobEffects(client, recorder);

  // Expectations learn from the pod stream before the loop computes keys.
  observePods(podInformer, memory.exp, 'Job');
  podInformer.addHandler({
    update(_old, pod) {
      if (!hasTrackingFinalizer(pod)) memory.finalizerRemovals.delete(pod.metadata.uid ?? '');
    },
    delete: (pod) => memory.finalizerRemovals.delete(pod.metadata.uid ?? ''),
  });
  jobInformer.addHandler({
    delete(job) {
      memory.exp.delete(keyOfObject(job));
      memory.backoff.delete(keyOfObject(job));
    },
  });

  return runController({
    log,
    name: 'job',
    informers: [jobInformer, podInformer],
    workers: 5,
    keyOf: (obj, inf) => (inf === podInformer ? ownersOfPod(obj, 'Job', jobInformer) : keyOfObject(obj)),
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const job = jobInformer.get(ns, name);
      const pods = podInformer.list(ns);
      await releaseTrackedPods(orphansOf(pods, name, job), fx, memory);
      // A Job whose spec.managedBy names another controller is that controller's to run.
      if (!job || !isManagedByJobController(job)) return;
      return syncJob(job, pods, fx, memory);
    },
  });
}
