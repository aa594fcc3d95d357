import type { INodeSelectorRequirement } from 'kubernetes-models/v1/NodeSelectorRequirement';
import type { INodeSelectorTerm } from 'kubernetes-models/v1/NodeSelectorTerm';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

// nodeSelector and node affinity (k8s.io/component-helpers/scheduling/corev1/nodeaffinity);
// shared by the scheduler and the DaemonSet controller, which decides where its pods belong.

function integer(s: string | undefined): number | undefined {
  return s !== undefined && /^[+-]?\d+$/.test(s) ? Number(s) : undefined;
}

function requirementMatches(r: INodeSelectorRequirement, value: string | undefined): boolean {
  const values = r.values ?? [];
  switch (r.operator) {
    case 'In':
      return value !== undefined && values.includes(value);
    case 'NotIn':
      return value === undefined || !values.includes(value);
    case 'Exists':
      return value !== undefined;
    case 'DoesNotExist':
      return value === undefined;
    case 'Gt':
    case 'Lt': {
      const have = integer(value);
      const want = integer(values[0]);
      if (have === undefined || want === undefined) return false;
      return r.operator === 'Gt' ? have > want : have < want;
    }
    default:
      return false;
  }
}

/** A term matches when all its label expressions and field expressions do; an empty term matches nothing. */
export function termMatches(term: INodeSelectorTerm, labels: Record<string, string>, nodeName: string): boolean {
  const exprs = term.matchExpressions ?? [];
  const fields = term.matchFields ?? [];
  if (exprs.length === 0 && fields.length === 0) return false;
  for (const r of exprs) {
    const has = Object.prototype.hasOwnProperty.call(labels, r.key);
    if (!requirementMatches(r, has ? labels[r.key] : undefined)) return false;
  }
  // metadata.name is the only field a node selector may name.
  for (const r of fields) {
    if (r.key !== 'metadata.name' || !requirementMatches(r, nodeName)) return false;
  }
  return true;
}

/** nodeSelector and requiredDuringSchedulingIgnoredDuringExecution (GetRequiredNodeAffinity().Match). */
export function matchesNodeSelectorAndAffinity(spec: IPodSpec | undefined, labels: Record<string, string>, nodeName: string): boolean {
  for (const [k, v] of Object.entries(spec?.nodeSelector ?? {})) if (labels[k] !== v) return false;
  const required = spec?.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution;
  if (!required) return true;
  return (required.nodeSelectorTerms ?? []).some((t) => termMatches(t, labels, nodeName));
}

/** Sum of the weights of the preferred terms the node matches (an empty term matches nothing, as upstream's code does). */
export function preferredAffinityScore(spec: IPodSpec | undefined, labels: Record<string, string>, nodeName: string): number {
  let sum = 0;
  for (const p of spec?.affinity?.nodeAffinity?.preferredDuringSchedulingIgnoredDuringExecution ?? []) {
    if (!p.weight) continue;
    if (termMatches(p.preference, labels, nodeName)) sum += p.weight;
  }
  return sum;
}
