import type { IVirtualService } from '@kubernetes-models/istio/networking.istio.io/v1beta1/VirtualService';
import { policyTable } from '../../../api/networkpolicy/verdict.js';
import type { KObject } from '../../../api/types.js';
import { CLUSTER_DNS_IP, ISTIO_STATUS_PORT } from '../../../cluster/constants.js';
import { readyEndpoints, SERVICE_NAME_LABEL } from '../../proxy/endpoints.js';
import { byCreation, ClusterBuilder, registryOf, ROOT_NAMESPACE, type MeshSnapshot } from './gateway.js';
import { CLUSTER_DOMAIN, hostCovers, resolveShortName } from './hosts.js';
import { DEFAULT_RETRY, MESH_GATEWAY, translateTcpRoutes } from './routes.js';
import { RouteTranslations } from './translations.js';
import { exportedNamespaces, type EntryService, type SEPort } from './service-entry.js';
import { PASSTHROUGH_CLUSTER, type DnsEndpoint, type DnsTable, type Listener, type ProxyConfig } from './types.js';
import { versioned } from './version.js';

// The per-node mesh proxy's configuration (the ztunnel + waypoint of Istio's ambient mode in
// one): a listener per Service port number; on it, each ClusterIP (and each ServiceEntry VIP,
// service-entry.ts) is a virtual host whose routes
// are those of the one VirtualService bound to `mesh` that names the Service's host (the oldest,
// as pilot keeps one per host in the mesh), or a default route to the Service. A port that does
// not carry HTTP/1.1 by Istio's protocol selection is passed through as TCP, by that
// VirtualService's `tcp` routes or else to the Service's endpoints; an unnamed one is sniffed.
// Port 15021 is the proxy's own status port, left out.

type VSSpec = NonNullable<IVirtualService['spec']>;

interface ServicePort {
  name?: string;
  port: number;
  protocol?: string;
  appProtocol?: string;
}

interface ServiceLike extends KObject {
  spec?: { clusterIP?: string; type?: string; ports?: ServicePort[] };
}

export type PortProtocol = 'HTTP' | 'TCP' | 'AUTO';

/**
 * Istio's protocol selection for a Service port (pkg/config/kube/conversion.go): appProtocol,
 * else the name's prefix before `-`. HTTP/2 and gRPC are passed through as TCP: the mesh proxy
 * speaks HTTP/1.1 only.
 */
export function portProtocol(p: ServicePort): PortProtocol {
  if ((p.protocol ?? 'TCP') !== 'TCP') return 'TCP';
  const name = (p.appProtocol ?? p.name ?? '').toLowerCase();
  if (!name) return 'AUTO';
  const prefix = name.split('-')[0]!;
  if (prefix === 'http' || name === 'http') return 'HTTP';
  // Names Istio does not know leave the protocol to detection.
  const known = ['http2', 'https', 'grpc', 'grpc-web', 'h2c', 'tcp', 'tls', 'mongo', 'redis', 'mysql', 'udp'];
  return known.includes(prefix) || known.includes(name) ? 'TCP' : 'AUTO';
}

function fqdnOf(s: KObject): string {
  return `${s.metadata.name}.${s.metadata.namespace}.svc.${CLUSTER_DOMAIN}`;
}

/**
 * The hosts the VirtualServices bound to `mesh` name, resolved once per build rather than once
 * per Service: exact names, each to the oldest VirtualService naming it, and wildcards in order.
 */
interface MeshHosts {
  exact: Map<string, KObject>;
  wildcards: { host: string; vs: KObject }[];
}

function indexHosts(meshVSs: KObject[]): MeshHosts {
  const out: MeshHosts = { exact: new Map(), wildcards: [] };
  for (const vs of meshVSs) {
    const ns = vs.metadata.namespace ?? '';
    for (const h of ((vs as IVirtualService).spec as VSSpec | undefined)?.hosts ?? []) {
      const host = resolveShortName(h, ns);
      if (host.startsWith('*')) out.wildcards.push({ host, vs });
      else if (!out.exact.has(host)) out.exact.set(host, vs);
    }
  }
  return out;
}

/** The VirtualService bound to `mesh` that names a host: an exact name first, then the narrowest wildcard, each oldest first. */
function virtualServiceFor(fqdn: string, hosts: MeshHosts): KObject | undefined {
  const exact = hosts.exact.get(fqdn);
  if (exact) return exact;
  let best: { vs: KObject; width: number } | undefined;
  for (const { host, vs } of hosts.wildcards) {
    if (!hostCovers(host, fqdn)) continue;
    const width = host === '*' ? Infinity : 1 / host.length;
    if (!best || width < best.width) best = { vs, width };
  }
  return best?.vs;
}

/** Istio's protocol of a ServiceEntry port: its `protocol` field, as a Service port's appProtocol; its name when unset. */
function entryPortProtocol(p: SEPort): PortProtocol {
  return portProtocol({ port: p.number ?? 0, ...(p.name ? { name: p.name } : {}), ...(p.protocol ? { appProtocol: p.protocol } : {}) });
}

interface MeshDestination {
  /** The address meshed pods connect to: a ClusterIP, or a ServiceEntry's VIP. */
  ip: string;
  port: number;
  protocol: PortProtocol;
  /** The registry host (Service FQDN or ServiceEntry host) and the namespace it is defined in. */
  host: string;
  namespace: string;
}

/**
 * The ztunnels' DNS table (pilot's BuildNameTable for ServiceEntries): every host of an entry
 * that has addresses, by its name, seen by the namespaces the entry is exported to. Services
 * are left to the cluster DNS, which gives the same answers.
 */
function dnsTable(entries: Iterable<EntryService>): DnsTable {
  const out: DnsTable = {};
  for (const e of entries) {
    if (e.host.startsWith('*') || e.addresses.length === 0) continue;
    const only = exportedNamespaces(e.spec.exportTo, e.namespace);
    out[e.host.toLowerCase()] = only ? { addresses: e.addresses, exportTo: only } : { addresses: e.addresses };
  }
  return out;
}

/** The ready endpoints of the cluster DNS Service's port 53, UDP and TCP. */
function clusterDnsEndpoints(snap: MeshSnapshot): DnsEndpoint[] {
  const svc = (snap.services as ServiceLike[]).find((s) => s.spec?.clusterIP === CLUSTER_DNS_IP);
  if (!svc) return [];
  const slices = snap.endpointSlices.filter((s) => s.metadata.namespace === svc.metadata.namespace && s.metadata.labels?.[SERVICE_NAME_LABEL] === svc.metadata.name);
  const out: DnsEndpoint[] = [];
  for (const port of svc.spec?.ports ?? []) {
    const protocol = port.protocol ?? 'TCP';
    if (port.port !== 53 || (protocol !== 'UDP' && protocol !== 'TCP')) continue;
    for (const ep of readyEndpoints(slices, port.name, undefined, protocol)) out.push({ address: ep.address, port: ep.port, protocol: protocol === 'UDP' ? 'udp' : 'tcp' });
  }
  return out;
}

/** `translations`: the routes of earlier builds, for the VirtualServices that did not change since. */
export function buildMeshConfig(snap: MeshSnapshot, translations = new RouteTranslations()): ProxyConfig {
  translations.begin(registryOf(snap));
  const clusters = new ClusterBuilder(snap, { namespace: ROOT_NAMESPACE, labels: {} }, translations, true);
  const meshHosts = indexHosts(
    byCreation(snap.virtualServices).filter((vs) => {
      const gws = ((vs as IVirtualService).spec as VSSpec | undefined)?.gateways ?? [];
      return gws.length === 0 || gws.includes(MESH_GATEWAY);
    }),
  );
  const listeners = new Map<number, Listener>();
  const add = (d: MeshDestination) => {
    const l = listeners.get(d.port) ?? { port: d.port, serverPort: d.port, protocol: 'HTTP' as const, virtualHosts: [], mesh: { tcp: {}, sniff: {} } };
    listeners.set(d.port, l);
    const direct = clusters.resolve({ host: d.host, port: { number: d.port } }, d.namespace) ?? '';
    const vs = virtualServiceFor(d.host, meshHosts);
    if (d.protocol !== 'HTTP') {
      const tcp = ((vs as IVirtualService | undefined)?.spec as VSSpec | undefined)?.tcp;
      const routes = tcp ? translateTcpRoutes(tcp, { namespace: vs!.metadata.namespace ?? '' }, { port: d.port, gateway: MESH_GATEWAY, resolve: clusters.resolve }) : [];
      if (routes.length > 0) (l.mesh!.tcpRoutes ??= {})[d.ip] = routes;
    }
    if (d.protocol === 'TCP') {
      l.mesh!.tcp[d.ip] = direct;
      return;
    }
    if (d.protocol === 'AUTO') l.mesh!.sniff[d.ip] = direct;
    const routes = vs ? translations.routes(vs, ((vs as IVirtualService).spec as VSSpec).http ?? [], `${MESH_GATEWAY}|${d.port}`, { port: d.port, gateway: MESH_GATEWAY, resolve: clusters.resolve, has: clusters.has }) : [];
    const vh = translations.virtualHost(`${d.port}|${d.ip}`, [routes, direct], () => ({
      domains: [d.ip],
      // Pilot's default route for a host no VirtualService routes: its own cluster.
      routes: routes.length > 0 ? routes : [{ name: 'default', matches: [], action: { kind: 'route', clusters: [{ cluster: direct, weight: 100 }], retry: DEFAULT_RETRY } }],
    }));
    l.virtualHosts.push(vh);
  };
  const taken = new Set<string>();
  for (const svc of snap.services as ServiceLike[]) {
    const ip = svc.spec?.clusterIP;
    if (!ip || ip === 'None' || svc.spec?.type === 'ExternalName') continue;
    for (const port of svc.spec?.ports ?? []) {
      if ((port.protocol ?? 'TCP') !== 'TCP' || port.port === ISTIO_STATUS_PORT) continue;
      taken.add(`${ip}:${port.port}`);
      add({ ip, port: port.port, protocol: portProtocol(port), host: fqdnOf(svc), namespace: svc.metadata.namespace ?? '' });
    }
  }
  // ServiceEntry VIPs (single IPv4 addresses, the entry's own or those istiod allocated to the
  // host; a CIDR is not captured), which the node captures as
  // it does ClusterIPs (src/node/mesh/capture.ts); an address and port a Service has stay the
  // Service's. The node proxy serves every namespace, so an entry's exportTo is applied per
  // connection, by the calling workload's namespace (Listener.mesh.exportTo).
  for (const entry of clusters.entries.values()) {
    for (const ip of entry.addresses) {
      for (const port of entry.spec.ports ?? []) {
        if (!port.number || port.number === ISTIO_STATUS_PORT || taken.has(`${ip}:${port.number}`)) continue;
        taken.add(`${ip}:${port.number}`);
        add({ ip, port: port.number, protocol: entryPortProtocol(port), host: entry.host, namespace: entry.namespace });
        const only = exportedNamespaces(entry.spec.exportTo, entry.namespace);
        if (only) {
          const mesh = listeners.get(port.number)!.mesh!;
          (mesh.exportTo ??= {})[ip] = only;
          clusters.clusters[PASSTHROUGH_CLUSTER] = { endpoints: [], lb: 'PASSTHROUGH', originalDst: true };
        }
      }
    }
  }
  const workloads: NonNullable<ProxyConfig['workloads']> = {};
  for (const p of snap.pods) {
    const ip = (p.status as { podIP?: string } | undefined)?.podIP;
    if (ip && !(p.spec as { hostNetwork?: boolean } | undefined)?.hostNetwork) workloads[ip] = { namespace: p.metadata.namespace ?? '', labels: p.metadata.labels ?? {} };
  }
  const policies = policyTable(snap.networkPolicies ?? [], snap.pods, snap.namespaces ?? []);
  const body = {
    listeners: [...listeners.values()].sort((a, b) => a.port - b.port),
    clusters: clusters.clusters,
    secrets: {},
    workloads,
    dns: dnsTable(clusters.entries.values()),
    ...(policies ? { policies, dnsEndpoints: clusterDnsEndpoints(snap) } : {}),
  };
  return versioned(body);
}
