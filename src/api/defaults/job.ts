import type { KObject } from '../types.js';
import { defaultPodTemplate } from './pod.js';
import { ensureObject, isObject, setDefault, type JsonObject } from './util.js';

// batch/v1 SetDefaults_Job (JobPodReplacementPolicy is on by default since 1.29).

const MAX_INT32 = 2147483647;

export function defaultJob(job: KObject): void {
  const spec = ensureObject(job, 'spec');
  // A non-parallel Job may leave both unset: one pod, run to one success.
  if (spec.completions == null && spec.parallelism == null) {
    spec.completions = 1;
    spec.parallelism = 1;
  }
  setDefault(spec, 'parallelism', 1);
  setDefault(spec, 'backoffLimit', spec.backoffLimitPerIndex != null ? MAX_INT32 : 6);
  const template = isObject(spec.template) ? spec.template : undefined;
  const templateLabels = template && isObject(template.metadata) && isObject(template.metadata.labels) ? template.metadata.labels : undefined;
  if (templateLabels && Object.keys(job.metadata.labels ?? {}).length === 0) job.metadata.labels = { ...(templateLabels as Record<string, string>) };
  setDefault(spec, 'completionMode', 'NonIndexed');
  setDefault(spec, 'suspend', false);
  setDefault(spec, 'podReplacementPolicy', spec.podFailurePolicy != null ? 'Failed' : 'TerminatingOrFailed');
  setDefault(spec, 'manualSelector', false);
  defaultJobSpecMembers(spec);
}

/**
 * The defaults a JobSpec gets wherever it is embedded (SetObjectDefaults_CronJob applies these
 * to the jobTemplate, and SetDefaults_Job's own only to Jobs).
 */
export function defaultJobSpecMembers(spec: JsonObject): void {
  if (isObject(spec.podFailurePolicy) && Array.isArray(spec.podFailurePolicy.rules)) {
    for (const rule of spec.podFailurePolicy.rules) {
      if (!isObject(rule) || !Array.isArray(rule.onPodConditions)) continue;
      for (const pattern of rule.onPodConditions) if (isObject(pattern)) setDefault(pattern, 'status', 'True');
    }
  }
  if (isObject(spec.template)) defaultPodTemplate(spec.template);
}
