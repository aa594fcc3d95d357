import type { KObject } from '../../api/types.js';
import { semanticEqual } from '../endpointslice/canonical.js';
import { isServiceIPSet } from '../endpointslice/service.js';
import { MAX_CAPACITY, countAddresses, desiredSubsets, sortSubsets, truncate, type EndpointSubset } from './subsets.js';

// Whether and how a Service's Endpoints object must be written (the decision half of the
// endpoints controller's syncService).

export const ANNOTATION_OVER_CAPACITY = 'endpoints.kubernetes.io/over-capacity';
export const ANNOTATION_TRIGGER_TIME = 'endpoints.kubernetes.io/last-change-trigger-time';
export const LABEL_HEADLESS = 'service.kubernetes.io/headless';
/** Marks Endpoints the control plane wrote (set since Kubernetes 1.33, already deprecated). */
export const LABEL_MANAGED_BY = 'endpoints.kubernetes.io/managed-by';
export const CONTROLLER_NAME = 'endpoint-controller';
/** Endpoints carrying this annotation are leader-election records, not a Service's. */
export const ANNOTATION_LEADER = 'control-plane.alpha.kubernetes.io/leader';

export type EndpointsPlan = { action: 'none' } | { action: 'create' | 'update'; endpoints: KObject };

function withoutKey(m: Record<string, string> | undefined, key: string): Record<string, string> {
  const out = { ...(m ?? {}) };
  delete out[key];
  return out;
}

/**
 * The write that makes `current` (the cached Endpoints of the Service's name, if any)
 * list the Service's selected pods, or none when it already does. The Endpoints take the
 * Service's labels, the managed-by label, and the headless marker for a Service without
 * a ClusterIP.
 */
export function planEndpoints(svc: KObject, pods: KObject[], current: KObject | undefined): EndpointsPlan {
  const { subsets, truncated } = truncate(desiredSubsets(svc, pods));
  const labels = { ...(svc.metadata.labels ?? {}) };
  if (isServiceIPSet(svc)) delete labels[LABEL_HEADLESS];
  else labels[LABEL_HEADLESS] = '';
  labels[LABEL_MANAGED_BY] = CONTROLLER_NAME;

  const annotations = withoutKey(current?.metadata.annotations, ANNOTATION_OVER_CAPACITY);
  // This controller keeps no trigger times; a stale one would mislead latency measurements.
  delete annotations[ANNOTATION_TRIGGER_TIME];
  if (truncated) annotations[ANNOTATION_OVER_CAPACITY] = 'truncated';

  if (current) {
    const have = sortSubsets((current.subsets ?? []) as EndpointSubset[]);
    const overCapacityOk = (current.metadata.annotations?.[ANNOTATION_OVER_CAPACITY] !== undefined) === truncated;
    if (
      semanticEqual(have, subsets) &&
      semanticEqual(current.metadata.labels ?? {}, labels) &&
      overCapacityOk &&
      current.metadata.annotations?.[ANNOTATION_TRIGGER_TIME] === undefined &&
      countAddresses(have) <= MAX_CAPACITY
    ) {
      return { action: 'none' };
    }
  }

  const endpoints: KObject = {
    apiVersion: 'v1',
    kind: 'Endpoints',
    metadata: current
      ? { ...current.metadata, labels, annotations }
      : { name: svc.metadata.name, namespace: svc.metadata.namespace, labels, ...(Object.keys(annotations).length ? { annotations } : {}) },
  };
  if (subsets.length) endpoints.subsets = subsets;
  return { action: current ? 'update' : 'create', endpoints };
}
