import type { KObject } from '../types.js';
import { each, ensureObject, isObject, obj, setDefault } from './util.js';

// networking.k8s.io/v1 and discovery.k8s.io/v1 defaults.

export function defaultNetworkPolicy(np: KObject): void {
  const spec = ensureObject(np, 'spec');
  for (const [dir] of [['ingress'], ['egress']]) each(spec[dir], (rule) => each(rule.ports, (p) => setDefault(p, 'protocol', 'TCP')));
  if (!Array.isArray(spec.policyTypes) || spec.policyTypes.length === 0) {
    const types = ['Ingress'];
    if (Array.isArray(spec.egress) && spec.egress.length > 0) types.push('Egress');
    spec.policyTypes = types;
  }
}

export function defaultIngressClass(ic: KObject): void {
  const params = obj(ic.spec).parameters;
  if (isObject(params)) setDefault(params, 'scope', 'Cluster');
}

/** SetDefaults_EndpointPort: name "" and protocol TCP. */
export function defaultEndpointSlice(slice: KObject): void {
  each(slice.ports, (p) => {
    if (p.name === undefined || p.name === null) p.name = '';
    setDefault(p, 'protocol', 'TCP');
  });
}
