import type { KObject } from '../../../../api/types.js';
import { destinationRuleSubsetNotSelectPods, unknownDestinationRuleHost, type Finding } from './messages.js';
import { destinationHost, type HostMap } from './service-hosts.js';

// SubsetSelectPodAnalyzer (analyzers/destinationrule/subset.go): a DestinationRule whose host
// is no known service, and subsets whose labels (with the ServiceEntry's workload selector)
// match no pod.

type Spec = Record<string, unknown>;

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

/** Pods by each of their labels ("k=v"), so that a subset's selector looks at the pods of its rarest label only. */
export class PodLabels {
  private readonly byLabel = new Map<string, Record<string, string>[]>();
  private readonly any: boolean;

  constructor(pods: KObject[]) {
    this.any = pods.length > 0;
    for (const p of pods) {
      const labels = p.metadata.labels ?? {};
      for (const [k, v] of Object.entries(labels)) {
        const key = `${k}=${v}`;
        const list = this.byLabel.get(key);
        if (list) list.push(labels);
        else this.byLabel.set(key, [labels]);
      }
    }
  }

  /** Whether any pod carries every label of the selector. */
  selects(selector: Record<string, string>): boolean {
    const pairs = Object.entries(selector);
    if (pairs.length === 0) return this.any;
    // The rarest label's pods are the fewest to check.
    let fewest: Record<string, string>[] | undefined;
    for (const [k, v] of pairs) {
      const list = this.byLabel.get(`${k}=${v}`) ?? [];
      if (!fewest || list.length < fewest.length) fewest = list;
    }
    return fewest!.some((labels) => pairs.every(([pk, pv]) => labels[pk] === pv));
  }
}

export function analyzeSubsetPods(dr: KObject, hosts: HostMap, pods: PodLabels): Finding[] {
  const spec = (dr.spec ?? {}) as Spec;
  const host = typeof spec.host === 'string' ? spec.host : '';
  const entry = destinationHost(dr.metadata.namespace ?? '', strings(spec.exportTo), host, hosts);
  if (!entry) return [{ resource: dr, message: unknownDestinationRuleHost(host) }];
  const out: Finding[] = [];
  for (const subset of Array.isArray(spec.subsets) ? (spec.subsets as Spec[]) : []) {
    const selector = { ...(entry.workloadSelector ?? {}), ...((subset?.labels ?? {}) as Record<string, string>) };
    if (!pods.selects(selector)) {
      out.push({ resource: dr, message: destinationRuleSubsetNotSelectPods(typeof subset?.name === 'string' ? subset.name : '') });
    }
  }
  return out;
}
