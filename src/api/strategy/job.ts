import type { KObject } from '../types.js';
import { isObject, type JsonObject } from '../validation/json.js';
import type { Strategy } from './types.js';

// pkg/registry/batch/job/strategy.go: a new Job starts with an empty status and, unless its
// selector is manual, gets the selector and pod labels that tie its pods to its uid alone.

export const CONTROLLER_UID_LABEL = 'batch.kubernetes.io/controller-uid';
export const LEGACY_CONTROLLER_UID_LABEL = 'controller-uid';
export const JOB_NAME_LABEL = 'batch.kubernetes.io/job-name';
export const LEGACY_JOB_NAME_LABEL = 'job-name';

function object(o: JsonObject, k: string): JsonObject {
  if (!isObject(o[k])) o[k] = {};
  return o[k] as JsonObject;
}

/** generateSelector: labels the user set are kept, and a conflict is left to validation. */
export function generateSelector(job: KObject): void {
  const spec = object(job as unknown as JsonObject, 'spec');
  const labels = object(object(object(spec, 'template'), 'metadata'), 'labels');
  const name = job.metadata.name ?? '';
  const uid = job.metadata.uid ?? '';
  for (const k of [LEGACY_JOB_NAME_LABEL, JOB_NAME_LABEL]) if (!(k in labels)) labels[k] = name;
  for (const k of [LEGACY_CONTROLLER_UID_LABEL, CONTROLLER_UID_LABEL]) if (!(k in labels)) labels[k] = uid;
  const matchLabels = object(object(spec, 'selector'), 'matchLabels');
  if (!(CONTROLLER_UID_LABEL in matchLabels)) matchLabels[CONTROLLER_UID_LABEL] = uid;
}

export const jobStrategy: Strategy = {
  prepareForCreate(obj) {
    obj.status = {};
    if ((obj.spec as { manualSelector?: boolean } | undefined)?.manualSelector !== true) generateSelector(obj);
  },
};
