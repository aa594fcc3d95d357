import { isNotFound, type ApiClient } from '../../client/client.js';
import { controllerOf } from '../../client/controllerref.js';
import type { Recorder } from '../../client/events.js';
import { keyOfObject, type SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import type { KObject } from '../../api/types.js';
import { CRONJOBS, JOBS, type Job } from '../../client/resources.js';
import type { Logger } from '../../log.js';
import { reconcileCronJob, type CronJobEffects } from './sync.js';

// The CronJob controller's loop (cronjob_controllerv2.go): CronJobs and the Jobs they control
// feed one queue of CronJob keys, and each sync asks to be woken at the next scheduled time
// rather than the CronJobs being polled.

async function orUndefined<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export function cronJobEffects(client: ApiClient, recorder: Recorder): CronJobEffects {
  return {
    now: () => Date.now(),
    getCronJob: (ns, name) => orUndefined(client.get(CRONJOBS, ns, name)),
    getJob: (ns, name) => orUndefined(client.get(JOBS, ns, name)),
    createJob: async (ns, job) => (await client.create(JOBS, ns, job)) as Job,
    async deleteJob(ns, name) {
      await client.delete(JOBS, ns, name, { propagationPolicy: 'Background' });
    },
    async updateStatus(cj) {
      await client.updateStatus(CRONJOBS, cj);
    },
    event: (cj, type, reason, message) => recorder.event(cj, type, reason, message),
  };
}

/** The CronJob key a Job concerns: its controller's, when that is a CronJob. */
function ownerKey(job: KObject): string | undefined {
  const ref = controllerOf(job);
  return ref?.kind === 'CronJob' ? `${job.metadata.namespace}/${ref.name}` : undefined;
}

export function startCronJobController(client: ApiClient, informers: SharedInformers, recorder: Recorder, log?: Logger): RunningController {
  const cronJobInformer = informers.informer(CRONJOBS);
  const jobInformer = informers.informer(JOBS);
  const fx = cronJobEffects(client, recorder);
  return runController({
    log,
    name: 'cronjob',
    informers: [cronJobInformer, jobInformer],
    workers: 5,
    keyOf: (obj, inf) => (inf === jobInformer ? ownerKey(obj) : keyOfObject(obj)),
    async reconcile(key) {
      const [ns, name] = key.split('/') as [string, string];
      const cj = cronJobInformer.get(ns, name);
      if (!cj) return;
      // getJobsToBeReconciled: the Jobs whose controller is a CronJob of this name.
      const jobs = jobInformer.list(ns).filter((j) => ownerKey(j) === key);
      const requeueAfter = await reconcileCronJob(cj, jobs, fx);
      return requeueAfter === undefined ? undefined : { requeueAfter };
    },
  });
}
