import type { KObject } from '../../../../api/types.js';
import { hostMatches } from '../../../../api/validation/istio-common.js';
import { referencedResourceNotFound, virtualServiceHostNotFoundInGateway, type Finding } from './messages.js';
import { destinationHost, resourceNameFromHost, type HostMap } from './service-hosts.js';

// The VirtualService analyzers of pkg/config/analysis/analyzers/virtualservice: destination
// hosts (DestinationHostAnalyzer), subsets (DestinationRuleAnalyzer) and gateways
// (GatewayAnalyzer).

interface Destination {
  host: string;
  subset: string;
}

type Spec = Record<string, unknown>;

const list = (v: unknown): Spec[] => (Array.isArray(v) ? v.filter((x): x is Spec => typeof x === 'object' && x !== null) : []);
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const destination = (d: unknown): Destination => {
  const o = (d ?? {}) as Spec;
  return { host: typeof o.host === 'string' ? o.host : '', subset: typeof o.subset === 'string' ? o.subset : '' };
};
const fullName = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

/** getRouteDestinations: the route destinations of the http, tcp and tls rules. */
function routeDestinations(spec: Spec): Destination[] {
  const out: Destination[] = [];
  for (const rules of [spec.http, spec.tcp, spec.tls]) {
    for (const rule of list(rules)) for (const r of list(rule.route)) out.push(destination(r.destination));
  }
  return out;
}

/** getHTTPMirrorDestinations: mirror, then mirrors, of each http rule. */
function mirrorDestinations(spec: Spec): Destination[] {
  const out: Destination[] = [];
  for (const rule of list(spec.http)) {
    if (rule.mirror) out.push(destination(rule.mirror));
    for (const m of list(rule.mirrors)) out.push(destination(m.destination));
  }
  return out;
}

export function analyzeDestinationHosts(vs: KObject, hosts: HostMap): Finding[] {
  const spec = (vs.spec ?? {}) as Spec;
  const ns = vs.metadata.namespace ?? '';
  const exportTo = strings(spec.exportTo);
  const out: Finding[] = [];
  for (const d of routeDestinations(spec)) {
    if (!destinationHost(ns, exportTo, d.host, hosts)) out.push({ resource: vs, message: referencedResourceNotFound('host', d.host) });
  }
  for (const d of mirrorDestinations(spec)) {
    if (!destinationHost(ns, exportTo, d.host, hosts)) out.push({ resource: vs, message: referencedResourceNotFound('mirror host', d.host) });
  }
  return out;
}

/** The "ns/host" + subset pairs the DestinationRules define. */
export function destinationSubsets(destinationRules: KObject[]): Set<string> {
  const out = new Set<string>();
  for (const dr of destinationRules) {
    const spec = (dr.spec ?? {}) as Spec;
    const host = resourceNameFromHost(dr.metadata.namespace ?? '', typeof spec.host === 'string' ? spec.host : '');
    for (const s of list(spec.subsets)) out.add(`${host}+${typeof s.name === 'string' ? s.name : ''}`);
  }
  return out;
}

export function analyzeDestinationSubsets(vs: KObject, subsets: Set<string>): Finding[] {
  const spec = (vs.spec ?? {}) as Spec;
  const ns = vs.metadata.namespace ?? '';
  const known = (d: Destination) => d.subset === '' || subsets.has(`${resourceNameFromHost(ns, d.host)}+${d.subset}`);
  const out: Finding[] = [];
  for (const d of routeDestinations(spec)) {
    if (!known(d)) out.push({ resource: vs, message: referencedResourceNotFound('host+subset in destinationrule', `${d.host}+${d.subset}`) });
  }
  for (const d of mirrorDestinations(spec)) {
    if (!known(d)) out.push({ resource: vs, message: referencedResourceNotFound('mirror+subset in destinationrule', `${d.host}+${d.subset}`) });
  }
  return out;
}

/** The hosts a Gateway's servers serve, with "./" and "*\/" resolved as sanitizeServerHostNamespace does. */
function gatewayHosts(gw: KObject): string[] {
  const ns = gw.metadata.namespace ?? '';
  const out: string[] = [];
  for (const server of list(((gw.spec ?? {}) as Spec).servers)) {
    for (const h of strings(server.hosts)) {
      const slash = h.indexOf('/');
      if (slash < 0) out.push(h);
      else if (h.slice(0, slash) === '.') out.push(`${ns}/${h.slice(slash + 1)}`);
      else if (h.slice(0, slash) === '*') out.push(h.slice(slash + 1));
      else out.push(h);
    }
  }
  return out;
}

/** host.NamesForNamespace: the hosts visible to a namespace, namespace prefixes removed. */
function namesForNamespace(hosts: string[], namespace: string): string[] {
  const out: string[] = [];
  for (const h of hosts) {
    const slash = h.indexOf('/');
    if (slash < 0) out.push(h);
    else if (h.slice(0, slash) === namespace || h.slice(0, slash) === '*') out.push(h.slice(slash + 1));
  }
  return out;
}

export function analyzeGateways(vs: KObject, gateways: Map<string, KObject>): Finding[] {
  const spec = (vs.spec ?? {}) as Spec;
  const ns = vs.metadata.namespace ?? '';
  const vsHosts = strings(spec.hosts);
  const out: Finding[] = [];
  for (const name of strings(spec.gateways)) {
    if (name === 'mesh') continue;
    const gwName = name.includes('/') ? name : `${ns}/${name}`;
    const gw = gateways.get(gwName);
    if (!gw) out.push({ resource: vs, message: referencedResourceNotFound('gateway', name) });
    const served = gw ? namesForNamespace(gatewayHosts(gw), ns) : [];
    if (!served.some((g) => vsHosts.some((h) => hostMatches(g, h)))) {
      out.push({ resource: vs, message: virtualServiceHostNotFoundInGateway(vsHosts, fullName(vs), gwName) });
    }
  }
  return out;
}
