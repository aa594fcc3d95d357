import type { KObject } from '../../../../api/types.js';

// Where analyzers look a destination host up (pkg/config/analysis/analyzers/util): every
// ServiceEntry host and every Kubernetes Service (as a ServiceEntry of its FQDN), keyed by the
// namespace scope that can see it ("*" for all) and the host's FQDN.

const CLUSTER_LOCAL = 'svc.cluster.local';
const EXPORT_TO_ANNOTATION = 'networking.istio.io/exportTo';
const FQDN = /^(.+)\.(.+)\.svc\.cluster\.local$/;

export interface HostEntry {
  ports: number[];
  workloadSelector?: Record<string, string>;
}

export type HostMap = Map<string, HostEntry>;

/** ConvertHostToFQDN: a short name (no dot, no wildcard) is a Service in the namespace. */
export function hostToFQDN(namespace: string, host: string): string {
  return host.startsWith('*') || host.includes('.') ? host : `${host}.${namespace}.${CLUSTER_LOCAL}`;
}

export function scopedFqdn(scope: string, namespace: string, host: string): string {
  return `${scope}/${hostToFQDN(namespace, host)}`;
}

/** GetResourceNameFromHost: "ns/name" of a Service FQDN, else the host as a name in the default namespace. */
export function resourceNameFromHost(defaultNamespace: string, host: string): string {
  const m = FQDN.exec(host);
  return m ? `${m[2]}/${m[1]}` : `${defaultNamespace}/${host}`;
}

const spec = (o: KObject) => (o.spec ?? {}) as Record<string, unknown>;
const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function serviceHostMap(serviceEntries: KObject[], services: KObject[]): HostMap {
  const out: HostMap = new Map();
  for (const se of serviceEntries) {
    const ns = se.metadata.namespace ?? '';
    const s = spec(se);
    const ports = (Array.isArray(s.ports) ? s.ports : []).map((p: { number?: number }) => p?.number ?? 0);
    const selector = (s.workloadSelector as { labels?: Record<string, string> } | undefined)?.labels;
    const entry: HostEntry = { ports, ...(selector ? { workloadSelector: selector } : {}) };
    const exportTo = strings(s.exportTo);
    for (const h of strings(s.hosts)) {
      if (exportTo.length === 0 || exportTo.includes('*')) {
        out.set(scopedFqdn('*', ns, h), entry);
        continue;
      }
      for (const e of exportTo) out.set(scopedFqdn(e === '.' ? ns : e, ns, h), entry);
    }
  }
  for (const svc of services) {
    const ns = svc.metadata.namespace ?? '';
    const name = svc.metadata.name ?? '';
    const ports = (Array.isArray(spec(svc).ports) ? (spec(svc).ports as { port?: number }[]) : []).map((p) => p.port ?? 0);
    const anno = svc.metadata.annotations?.[EXPORT_TO_ANNOTATION] ?? '';
    const scopes = anno.trim() === '' ? ['*'] : anno.split(',').map((e) => e.trim()).map((e) => (e === '.' ? ns : e));
    for (const scope of scopes) out.set(scopedFqdn(scope, ns, name), { ports });
  }
  return out;
}

/** GetDestinationHost: the entry a host names from a namespace, exact first, then wildcard entries. */
export function destinationHost(sourceNs: string, exportTo: string[], host: string, hosts: HostMap): HostEntry | undefined {
  const all = hosts.get(scopedFqdn('*', sourceNs, host));
  if (all) return all;
  const scopes = exportTo.length === 0 ? [sourceNs] : exportTo.map((e) => (e === '.' ? sourceNs : e));
  for (const scope of scopes) {
    const hit = hosts.get(scopedFqdn(scope, sourceNs, host));
    if (hit) return hit;
  }
  const bare = host.startsWith('*') ? host.slice(1) : host;
  for (const [key, entry] of hosts) {
    const slash = key.indexOf('/');
    const scope = key.slice(0, slash);
    const seHost = key.slice(slash + 1);
    if (!seHost.startsWith('*') || (scope !== '*' && scope !== sourceNs)) continue;
    if (bare.endsWith(seHost.slice(1))) return entry;
  }
  return undefined;
}
