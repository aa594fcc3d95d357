import type { KObject } from '../../api/types.js';
import { resolveServiceEndpoint, type ServiceEndpoint, type ServiceRef } from '../../client/service-dial.js';

// kube-aggregator's AvailableConditionController decision: an APIService without a Service is
// Local and always Available; one with a Service needs the Service, a ready endpoint on its port
// and a successful discovery request to that endpoint.

export interface AvailableCondition {
  type: 'Available';
  status: 'True' | 'False' | 'Unknown';
  lastTransitionTime?: string;
  reason: string;
  message: string;
}

export type Decision = { condition: AvailableCondition } | { check: ServiceEndpoint };

export function serviceRefOf(a: KObject): ServiceRef | undefined {
  const ref = (a.spec as { service?: ServiceRef | null } | undefined)?.service;
  return ref?.name ? ref : undefined;
}

/** What is known without dialling: a settled condition, or the endpoint the discovery check must reach. */
export function decide(a: KObject, service: KObject | undefined, slices: KObject[]): Decision {
  const ref = serviceRefOf(a);
  if (!ref) return { condition: { type: 'Available', status: 'True', reason: 'Local', message: 'Local APIServices are always available' } };
  const ep = resolveServiceEndpoint(ref, service, slices);
  if ('reason' in ep) return { condition: { type: 'Available', status: 'False', reason: ep.reason, message: ep.message } };
  return { check: ep };
}

/** The condition after the discovery check (`GET /apis/<group>/<version>`) answered `error` or nothing. */
export function discoveryResult(a: KObject, ep: ServiceEndpoint, error: string | undefined): AvailableCondition {
  if (!error) return { type: 'Available', status: 'True', reason: 'Passed', message: 'all checks passed' };
  const spec = (a.spec ?? {}) as { group?: string; version?: string };
  return {
    type: 'Available',
    status: 'False',
    reason: 'FailedDiscoveryCheck',
    message: `failing or missing response from https://${ep.ip}:${ep.port}/apis/${spec.group}/${spec.version}: ${error}`,
  };
}

/** The status of the APIService's Available condition, undefined before the first check. */
export function availableStatus(a: KObject): AvailableCondition['status'] | undefined {
  return ((a.status ?? {}) as { conditions?: AvailableCondition[] }).conditions?.find((c) => c.type === 'Available')?.status;
}

/** The status with `next` in place of the old Available condition; undefined when nothing changes. */
export function withCondition(a: KObject, next: AvailableCondition, now: string): Record<string, unknown> | undefined {
  const status = (a.status ?? {}) as { conditions?: AvailableCondition[] };
  const conditions = status.conditions ?? [];
  const old = conditions.find((c) => c.type === 'Available');
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return undefined;
  const cond = { ...next, lastTransitionTime: old && old.status === next.status ? old.lastTransitionTime : now };
  return { ...status, conditions: [...conditions.filter((c) => c.type !== 'Available'), cond] };
}
