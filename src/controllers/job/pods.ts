import type { KObject } from '../../api/types.js';
import { newControllerRef } from '../../client/controllerref.js';

// The pods a Job makes (pkg/controller/job: podFromTemplate plus the tracking finalizer and,
// for Indexed Jobs, addCompletionIndexEnvVariables / addCompletionIndexAnnotation).

export const JOB_TRACKING_FINALIZER = 'batch.kubernetes.io/job-tracking';
export const JOB_COMPLETION_INDEX_ANNOTATION = 'batch.kubernetes.io/job-completion-index';
export const JOB_INDEX_LABEL = 'batch.kubernetes.io/job-completion-index';
const COMPLETION_INDEX_ENV = 'JOB_COMPLETION_INDEX';

interface Container {
  env?: { name: string; valueFrom?: unknown; value?: string }[];
}

type Template = {
  metadata?: { labels?: Record<string, string>; annotations?: Record<string, string>; finalizers?: string[] };
  spec?: { containers?: Container[]; initContainers?: Container[]; hostname?: string };
};

/** The env variable every container of an Indexed Job's pod reads its index from, unless it sets one itself. */
function addIndexEnv(containers: Container[] | undefined): void {
  for (const c of containers ?? []) {
    if ((c.env ?? []).some((e) => e.name === COMPLETION_INDEX_ENV)) continue;
    c.env = [
      ...(c.env ?? []),
      { name: COMPLETION_INDEX_ENV, valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: `metadata.annotations['${JOB_COMPLETION_INDEX_ANNOTATION}']` } } },
    ];
  }
}

/** A pod for the Job; `index` is its completion index when the Job is Indexed. */
export function jobPod(job: KObject, index?: number): KObject {
  const t = ((job.spec as { template?: Template } | undefined)?.template ?? {}) as Template;
  const meta = t.metadata ?? {};
  const spec = structuredClone(t.spec ?? {});
  const labels: Record<string, string> = { ...(meta.labels ?? {}) };
  const annotations: Record<string, string> = { ...(meta.annotations ?? {}) };
  let generateName = `${job.metadata.name}-`;
  if (index !== undefined) {
    annotations[JOB_COMPLETION_INDEX_ANNOTATION] = String(index);
    labels[JOB_INDEX_LABEL] = String(index);
    generateName = `${job.metadata.name}-${index}-`;
    // Stable hostnames let the pods of an Indexed Job find each other through a headless Service.
    if (!spec.hostname) spec.hostname = `${job.metadata.name}-${index}`;
    addIndexEnv(spec.initContainers);
    addIndexEnv(spec.containers);
  }
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName,
      namespace: job.metadata.namespace,
      labels,
      ...(Object.keys(annotations).length ? { annotations } : {}),
      finalizers: [...(meta.finalizers ?? []), JOB_TRACKING_FINALIZER],
      ownerReferences: [newControllerRef(job, 'batch/v1', 'Job')],
    },
    spec,
  };
}

/** The completion index a pod carries, or undefined when absent or malformed (getCompletionIndex). */
export function completionIndex(pod: KObject): number | undefined {
  const v = pod.metadata.annotations?.[JOB_COMPLETION_INDEX_ANNOTATION];
  return v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

export function hasTrackingFinalizer(pod: KObject): boolean {
  return (pod.metadata.finalizers ?? []).includes(JOB_TRACKING_FINALIZER);
}
