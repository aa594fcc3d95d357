import type { KObject } from '../../../../api/types.js';
import { hostMatches } from '../../../../api/validation/istio-common.js';
import { conflictingMeshGatewayVirtualServiceHosts, type Finding } from './messages.js';
import { scopedFqdn } from './service-hosts.js';

// ConflictingMeshGatewayHostsAnalyzer: VirtualServices bound to the mesh that define the same
// host for the same namespaces; each such VirtualService is reported once.

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const fullName = (o: KObject) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}`;

function meshHosts(virtualServices: KObject[]): Map<string, KObject[]> {
  const out = new Map<string, KObject[]>();
  for (const vs of virtualServices) {
    const spec = (vs.spec ?? {}) as Record<string, unknown>;
    const gateways = strings(spec.gateways);
    if (gateways.length > 0 && !gateways.includes('mesh')) continue;
    const ns = vs.metadata.namespace ?? '';
    const exportTo = strings(spec.exportTo);
    const scopes = exportTo.length === 0 || exportTo.includes('*') ? ['*'] : [...new Set(exportTo.map((e) => (e === '.' ? ns : e)))];
    for (const scope of scopes) {
      for (const h of strings(spec.hosts)) {
        const key = scopedFqdn(scope, ns, h);
        out.set(key, [...(out.get(key) ?? []), vs]);
      }
    }
  }
  return out;
}

export function analyzeMeshGatewayHosts(virtualServices: KObject[]): Finding[] {
  const hosts = meshHosts(virtualServices);
  const reported = new Set<string>();
  const out: Finding[] = [];
  for (const [key, direct] of hosts) {
    const scope = key.slice(0, key.indexOf('/'));
    const host = key.slice(key.indexOf('/') + 1);
    let all = direct;
    if (scope !== '*') {
      // A namespace-scoped host also conflicts with the same host exported everywhere.
      for (const [other, vss] of hosts) {
        if (other.startsWith('*/') && hostMatches(host, other.slice(2))) all = [...all, ...vss];
      }
    }
    if (all.length < 2) continue;
    const names = all.map(fullName).sort().join(',');
    for (const vs of all) {
      if (reported.has(fullName(vs))) continue;
      reported.add(fullName(vs));
      out.push({ resource: vs, message: conflictingMeshGatewayVirtualServiceHosts(names, key) });
    }
  }
  return out;
}
