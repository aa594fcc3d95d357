import type { KObject } from '../types.js';
import { defaultJobSpecMembers } from './job.js';
import { ensureObject, setDefault } from './util.js';

// batch/v1 SetObjectDefaults_CronJob: SetDefaults_CronJob, then the jobTemplate's embedded defaults.

export function defaultCronJob(cj: KObject): void {
  const spec = ensureObject(cj, 'spec');
  setDefault(spec, 'concurrencyPolicy', 'Allow');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'successfulJobsHistoryLimit', 3);
  setDefault(spec, 'failedJobsHistoryLimit', 1);
  // Go writes a JobTemplateSpec's metadata and spec even when empty, and a template's zero creationTimestamp as null.
  const template = ensureObject(spec, 'jobTemplate');
  const meta = ensureObject(template, 'metadata');
  if (!('creationTimestamp' in meta)) meta.creationTimestamp = null;
  defaultJobSpecMembers(ensureObject(template, 'spec'));
}
