import type { KObject } from '../types.js';
import { defaultJobSpecMembers } from './job.js';
import { ensureObject, isObject, setDefault } from './util.js';

// batch/v1 SetObjectDefaults_CronJob: SetDefaults_CronJob, then the jobTemplate's embedded defaults.

export function defaultCronJob(cj: KObject): void {
  const spec = ensureObject(cj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  if (isObject(spec.jobTemplate) && isObject(spec.jobTemplate.spec)) defaultJobSpecMembers(spec.jobTemplate.spec);
}
