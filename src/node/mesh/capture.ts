// What the node captures for the mesh, decided from the API's objects alone (no sockets): which
// pods on this node are in the mesh, where this node's mesh proxy (ztunnel) is, which Service
// addresses and ServiceEntry VIPs their TCP connections to are redirected to it. The rules
// (rules.ts) and the loop (loop.ts) act on this.
import type { KObject } from '../../api/types.js';
import { entryIPv4Addresses } from '../../api/istio-addresses.js';
import { ISTIO_STATUS_PORT } from '../../cluster/constants.js';

/** The namespace the mesh's control plane and node proxies live in; never captured itself. */
export const ISTIO_NAMESPACE = 'istio-system';
/** ztunnel pods' `app` label (the Istio add-on's per-node pods). */
export const ZTUNNEL_APP = 'ztunnel';
/** istio-cni's mark of a pod whose traffic is redirected (ambient mode). */
export const REDIRECTION_ANNOTATION = 'ambient.istio.io/redirection';

interface PodLike extends KObject {
  spec?: { nodeName?: string; hostNetwork?: boolean };
  status?: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[] };
}

interface ServiceLike extends KObject {
  spec?: { clusterIP?: string; clusterIPs?: string[]; type?: string; ports?: { port: number; protocol?: string }[] };
}

/**
 * Istio's enrolment rules: a pod label decides first (`istio.io/dataplane-mode`, or
 * `sidecar.istio.io/inject` as sidecar mode writes it), then its namespace's labels
 * (`istio.io/dataplane-mode=ambient`, or `istio-injection=enabled`).
 */
export function inMesh(pod: KObject, namespaceLabels: Record<string, string> | undefined): boolean {
  if (pod.metadata.namespace === ISTIO_NAMESPACE || (pod as PodLike).spec?.hostNetwork) return false;
  const l = pod.metadata.labels ?? {};
  const mode = l['istio.io/dataplane-mode'];
  if (mode === 'none' || l['sidecar.istio.io/inject'] === 'false') return false;
  if (mode === 'ambient' || l['sidecar.istio.io/inject'] === 'true') return true;
  const ns = namespaceLabels ?? {};
  if (ns['istio.io/dataplane-mode'] === 'none') return false;
  return ns['istio.io/dataplane-mode'] === 'ambient' || ns['istio-injection'] === 'enabled';
}

export interface MeshCapture {
  /** This node's ready ztunnel: its address and uid (its network namespace is named after the uid). */
  ztunnel?: { ip: string; uid: string; name: string };
  /** Without a ready one, the name of a ztunnel this node has that is not ready yet (starting, or failing its probe). */
  ztunnelStarting?: string;
  /** Meshed pods on this node with an address. */
  members: { ip: string; pod: KObject }[];
  /** `clusterIP . port` of every TCP Service port but the proxies' own status port, and `vip . port` of every ServiceEntry port. */
  destinations: string[];
  /** The ServiceEntry addresses among the destinations, which the ztunnel must take as local (rules.ts). */
  vips: string[];
}

interface ServiceEntryLike extends KObject {
  spec?: { ports?: { number?: number }[] };
}

function ready(p: PodLike): boolean {
  return p.status?.phase === 'Running' && !!p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True');
}

/** A pod whose network the kubelet has just attached, by uid: its address, before the API has it. */
export type StartingPods = ReadonlyMap<string, { ip: string; pod: KObject }>;

export function meshCapture(o: {
  nodeName: string;
  pods: KObject[];
  namespaces: KObject[];
  services: KObject[];
  serviceEntries?: KObject[];
  starting?: StartingPods;
}): MeshCapture {
  const nsLabels = new Map(o.namespaces.map((n) => [n.metadata.name ?? '', n.metadata.labels ?? {}]));
  const out: MeshCapture = { members: [], destinations: [], vips: [] };
  const listed = new Set<string>();
  for (const p of o.pods as PodLike[]) {
    if (p.spec?.nodeName !== o.nodeName) continue;
    const starting = o.starting?.get(p.metadata.uid ?? '');
    if (starting) listed.add(p.metadata.uid ?? '');
    if (p.metadata.deletionTimestamp) continue;
    if (p.metadata.namespace === ISTIO_NAMESPACE && p.metadata.labels?.app === ZTUNNEL_APP) {
      if (p.status?.podIP && ready(p)) out.ztunnel = { ip: p.status.podIP, uid: p.metadata.uid ?? '', name: p.metadata.name ?? '' };
      else out.ztunnelStarting ??= p.metadata.name ?? '';
      continue;
    }
    // A starting pod is captured from its sandbox on, before its status says Running with an address.
    const ip = p.status?.podIP || starting?.ip;
    if (!ip || (p.status?.phase !== 'Running' && !starting)) continue;
    if (inMesh(p, nsLabels.get(p.metadata.namespace ?? ''))) out.members.push({ ip, pod: p });
  }
  if (out.ztunnel) delete out.ztunnelStarting;
  // The API's watch can lag behind the kubelet's own copy of a pod it is starting.
  for (const [uid, s] of o.starting ?? []) {
    if (!listed.has(uid) && inMesh(s.pod, nsLabels.get(s.pod.metadata.namespace ?? ''))) out.members.push(s);
  }
  const dest = new Set<string>();
  for (const s of o.services as ServiceLike[]) {
    const ip = s.spec?.clusterIP;
    if (!ip || ip === 'None' || s.spec?.type === 'ExternalName' || ip.includes(':')) continue;
    for (const port of s.spec?.ports ?? []) if ((port.protocol ?? 'TCP') === 'TCP' && port.port !== ISTIO_STATUS_PORT) dest.add(`${ip} . ${port.port}`);
  }
  // ServiceEntry VIPs, their own or istiod's allocated ones, as istiod gives them listeners
  // (addons/istio/config/mesh.ts): single IPv4 addresses only.
  const vips = new Set<string>();
  for (const e of (o.serviceEntries ?? []) as ServiceEntryLike[]) {
    const ports = (e.spec?.ports ?? []).map((p) => p.number).filter((n): n is number => !!n && n !== ISTIO_STATUS_PORT);
    if (ports.length === 0) continue;
    for (const ip of entryIPv4Addresses(e)) {
      vips.add(ip);
      for (const port of ports) dest.add(`${ip} . ${port}`);
    }
  }
  out.vips = [...vips].sort();
  out.destinations = [...dest].sort();
  out.members.sort((a, b) => (a.ip < b.ip ? -1 : 1));
  return out;
}
