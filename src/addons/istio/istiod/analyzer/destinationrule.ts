import type { KObject } from '../../../../api/types.js';
import { destinationRuleSubsetNotSelectPods, unknownDestinationRuleHost, type Finding } from './messages.js';
import { destinationHost, type HostMap } from './service-hosts.js';

// SubsetSelectPodAnalyzer (analyzers/destinationrule/subset.go): a DestinationRule whose host
// is no known service, and subsets whose labels (with the ServiceEntry's workload selector)
// match no pod.

type Spec = Record<string, unknown>;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

function selects(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

export function analyzeSubsetPods(dr: KObject, hosts: HostMap, pods: KObject[]): Finding[] {
  const spec = (dr.spec ?? {}) as Spec;
  const host = typeof spec.host === 'string' ? spec.host : '';
  const entry = destinationHost(dr.metadata.namespace ?? '', strings(spec.exportTo), host, hosts);
  if (!entry) return [{ resource: dr, message: unknownDestinationRuleHost(host) }];
  const out: Finding[] = [];
  for (const subset of Array.isArray(spec.subsets) ? (spec.subsets as Spec[]) : []) {
    const selector = { ...(entry.workloadSelector ?? {}), ...((subset?.labels ?? {}) as Record<string, string>) };
    if (!pods.some((p) => selects(selector, p.metadata.labels ?? {}))) {
      out.push({ resource: dr, message: destinationRuleSubsetNotSelectPods(typeof subset?.name === 'string' ? subset.name : '') });
    }
  }
  return out;
}
