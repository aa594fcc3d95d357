import type { KObject } from '../../api/types.js';
import { isConflict, isNotFound, type ApiClient } from '../../client/client.js';
import { keyOfObject, type SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { JOBS } from '../../client/resources.js';
import { isJobFinished } from '../job/sync.js';
import type { Logger } from '../../log.js';

// The TTL-after-finished controller (pkg/controller/ttlafterfinished): a finished Job with
// spec.ttlSecondsAfterFinished is deleted, with its pods in the foreground, that many seconds
// after its Complete or Failed condition.

/** Milliseconds until the Job is due for deletion (0: now), or undefined when it never is. */
export function timeLeft(job: KObject, now: number): number | undefined {
  const ttl = (job.spec as { ttlSecondsAfterFinished?: number } | undefined)?.ttlSecondsAfterFinished;
  if (ttl == null || job.metadata.deletionTimestamp) return undefined;
  const finished = isJobFinished(job);
  if (!finished) return undefined;
  const at = Date.parse(finished.lastTransitionTime ?? '');
  // A finished condition without a time is upstream's error case; it cannot be timed, so it waits.
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at + ttl * 1000 - now);
}

export function startTTLAfterFinishedController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const jobInformer = informers.informer(JOBS);
  return runController({
    log,
    name: 'ttl-after-finished',
    informers: [jobInformer],
    workers: 1,
    keyOf: keyOfObject,
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const job = jobInformer.get(ns, name);
      if (!job) return;
      const left = timeLeft(job, Date.now());
      if (left === undefined) return;
      if (left > 0) return { requeueAfter: left };
      try {
        // The preconditions make sure the Job deleted is the one whose TTL ran out, unchanged since.
        await client.delete(JOBS, ns, name, {
          propagationPolicy: 'Foreground',
          preconditions: { uid: job.metadata.uid, resourceVersion: job.metadata.resourceVersion },
        });
      } catch (e) {
        if (isNotFound(e) || isConflict(e)) return;
        throw new Error(`deleting Job ${key} after its TTL: ${(e as Error).message}`);
      }
    },
  });
}
