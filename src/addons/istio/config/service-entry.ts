import type { IServiceEntry } from '@kubernetes-models/istio/networking.istio.io/v1beta1/ServiceEntry';
import { hostIPv4Addresses } from '../../../api/istio-addresses.js';
import type { KObject } from '../../../api/types.js';
import type { Endpoint } from '../../proxy/endpoints.js';
import { resolveShortName } from './hosts.js';

// ServiceEntries as pilot's serviceentry controller converts them
// (pilot/pkg/serviceregistry/serviceentry/conversion.go): each host is a service of the mesh's
// registry, with the entry's ports, addresses (VIPs), resolution and location; its endpoints
// are the entry's `endpoints`, or the pods its workloadSelector picks in its namespace, or, with
// `resolution: DNS` and neither, the host itself resolved when a connection is made. An
// endpoint's port is its `ports[<port name>]`, else the port's targetPort, else its number.
// `location` changes nothing here: in Istio it decides mTLS and telemetry, which these proxies
// do not do.

export type SESpec = NonNullable<IServiceEntry['spec']>;
export type SEPort = NonNullable<SESpec['ports']>[number];
export type Resolution = NonNullable<SESpec['resolution']>;

/** One host of a ServiceEntry, as the registry holds it. */
export interface EntryService {
  host: string;
  namespace: string;
  name: string;
  spec: SESpec;
  resolution: Resolution;
  /** Its single IPv4 VIPs: the entry's addresses, else those istiod allocated to this host. */
  addresses: string[];
}

interface PodLike extends KObject {
  spec?: { hostNetwork?: boolean };
  status?: { podIP?: string; phase?: string; conditions?: { type: string; status: string }[] };
}

/**
 * Whether an object exported with `exportTo` is visible from `namespace` (the proxy's):
 * empty or `*` is everywhere, `.` its own namespace, else the listed namespaces.
 */
export function exportedTo(exportTo: string[] | undefined, own: string, namespace: string): boolean {
  const only = exportedNamespaces(exportTo, own);
  return !only || only.includes(namespace);
}

/** The namespaces an exportTo names (`.` as the object's own), or undefined when it is exported everywhere. */
export function exportedNamespaces(exportTo: string[] | undefined, own: string): string[] | undefined {
  if (!exportTo || exportTo.length === 0 || exportTo.includes('*')) return undefined;
  return [...new Set(exportTo.map((e) => (e === '.' ? own : e)))].sort();
}

/**
 * The registry's ServiceEntry hosts seen from a namespace (undefined: from every proxy of the
 * mesh), by host; for a host two entries name, the oldest wins, as pilot keeps the first.
 */
export function entryServices(entries: KObject[], from?: string): Map<string, EntryService> {
  const out = new Map<string, EntryService>();
  const sorted = [...entries].sort((a, b) => ((a.metadata.creationTimestamp ?? '') < (b.metadata.creationTimestamp ?? '') ? -1 : (a.metadata.creationTimestamp ?? '') > (b.metadata.creationTimestamp ?? '') ? 1 : 0));
  for (const e of sorted) {
    const spec = (e as IServiceEntry).spec;
    const namespace = e.metadata.namespace ?? '';
    if (!spec || (from !== undefined && !exportedTo(spec.exportTo, namespace, from))) continue;
    for (const h of spec.hosts ?? []) {
      const host = resolveShortName(h, namespace);
      if (!out.has(host)) out.set(host, { host, namespace, name: e.metadata.name ?? '', spec, resolution: spec.resolution ?? 'NONE', addresses: hostIPv4Addresses(e, h) });
    }
  }
  return out;
}

function readyPod(p: PodLike): boolean {
  return !!p.status?.podIP && p.status.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function gcd(a: number, b: number): number {
  return b === 0 ? a : gcd(b, a % b);
}

/** Weights repeat an endpoint in the list the load balancer picks from (Envoy's load_balancing_weight), reduced by their common divisor. */
function weighted(list: { ep: Endpoint; weight: number }[]): Endpoint[] {
  if (list.every((e) => e.weight === list[0]!.weight)) return list.map((e) => e.ep);
  const d = list.reduce((g, e) => gcd(g, e.weight), 0);
  return list.flatMap((e) => Array.from({ length: e.weight / d }, () => e.ep));
}

function endpoint(address: string, port: number): Endpoint {
  return { address, port, key: address.includes(':') ? `[${address}]:${port}` : `${address}:${port}` };
}

/**
 * The endpoints of one port of an entry's host, narrowed to those carrying `labels` (a
 * DestinationRule subset's). Resolution NONE has none: its connections go to their original
 * destination (Cluster.originalDst).
 */
export function entryEndpoints(svc: EntryService, port: SEPort, pods: KObject[], labels: Record<string, string> = {}): Endpoint[] {
  if (svc.resolution === 'NONE') return [];
  const target = (ports: Record<string, number> | undefined) => (port.name ? ports?.[port.name] : undefined) ?? port.targetPort ?? port.number ?? 0;
  const list: { ep: Endpoint; weight: number }[] = [];
  const selector = svc.spec.workloadSelector?.labels;
  if (selector && Object.keys(selector).length > 0) {
    for (const p of pods as PodLike[]) {
      const podLabels = p.metadata.labels ?? {};
      if (p.metadata.namespace !== svc.namespace || p.spec?.hostNetwork || !readyPod(p) || !matches(selector, podLabels) || !matches(labels, podLabels)) continue;
      list.push({ ep: endpoint(p.status!.podIP!, target(undefined)), weight: 1 });
    }
  } else if ((svc.spec.endpoints ?? []).length > 0) {
    for (const e of svc.spec.endpoints ?? []) {
      if (!e.address || !matches(labels, e.labels ?? {})) continue;
      // An endpoint's weight is 1 unless it says otherwise; 0 counts as unset, as in the API.
      list.push({ ep: endpoint(e.address, target(e.ports)), weight: e.weight && e.weight > 0 ? e.weight : 1 });
    }
  } else if ((svc.resolution === 'DNS' || svc.resolution === 'DNS_ROUND_ROBIN') && !svc.host.startsWith('*') && Object.keys(labels).length === 0) {
    list.push({ ep: endpoint(svc.host, target(undefined)), weight: 1 });
  }
  return list.length > 0 ? weighted(list) : [];
}
