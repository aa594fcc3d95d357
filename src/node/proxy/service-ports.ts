// From Services and EndpointSlices (plain API JSON) to what the proxy programs per service port:
// its addresses, traffic policies, and the endpoints usable from this node, chosen as upstream's
// CategorizeEndpoints does (ready first; serving-and-terminating ones only when none is ready).
import type { IEndpointSlice } from 'kubernetes-models/discovery.k8s.io/v1/EndpointSlice';
import type { IService } from 'kubernetes-models/v1/Service';
import { ServicePortName, servicePortString } from './chain-names.js';

/** A Service as the proxy reads it: kubernetes-models' spec and status, the metadata it keys on. */
export type ServiceJSON = Pick<IService, 'spec' | 'status'> & { metadata: { namespace?: string; name: string } };

/** An EndpointSlice as the proxy reads it. */
export type EndpointSliceJSON = Partial<Pick<IEndpointSlice, 'addressType' | 'endpoints' | 'ports'>> & {
  metadata: { namespace?: string; name: string; labels?: Record<string, string> };
};

/** What the proxy knows about the node it runs on. */
export interface NodeFacts {
  nodeName: string;
  /** Addresses that accept NodePort traffic (the node's InternalIPs; never 127.0.0.1). */
  nodeIPs: string[];
  /**
   * The cluster's pod network (e.g. 10.244.0.0/16). Traffic to a ClusterIP from outside it is
   * masqueraded, and pods using an externalTrafficPolicy Local address are short-circuited to
   * all endpoints, as upstream's local-traffic detector does. Omitted: no such rules.
   */
  clusterCIDR?: string;
}

export interface Endpoint {
  ip: string;
  port: number;
  /** "ip:port", the DNAT target. */
  address: string;
  ready: boolean;
  serving: boolean;
  terminating: boolean;
  isLocal: boolean;
}

export interface ServicePort {
  name: ServicePortName;
  /** "ns/svc/proto/port": the key of the proxy state. */
  key: string;
  clusterIP: string;
  port: number;
  nodePort: number;
  externalIPs: string[];
  loadBalancerIPs: string[];
  /** 0 when sessionAffinity is None. */
  affinitySeconds: number;
  externalPolicyLocal: boolean;
  internalPolicyLocal: boolean;
  endpoints: Endpoint[];
}

const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';
const DEFAULT_AFFINITY_SECONDS = 10800;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

function sliceKey(namespace: string, service: string): string {
  return `${namespace}/${service}`;
}

export function serviceKey(svc: ServiceJSON): string {
  return sliceKey(svc.metadata.namespace ?? 'default', svc.metadata.name);
}

/** "namespace/name" of the Service an IPv4 slice belongs to; undefined for slices the proxy ignores. */
export function sliceServiceKey(s: EndpointSliceJSON): string | undefined {
  const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
  if (!svc || (s.addressType ?? 'IPv4') !== 'IPv4') return undefined;
  return sliceKey(s.metadata.namespace ?? 'default', svc);
}

/** The IPv4 slices of each Service, by "namespace/name", in list order. */
export function slicesByService(slices: EndpointSliceJSON[]): Map<string, EndpointSliceJSON[]> {
  const out = new Map<string, EndpointSliceJSON[]>();
  for (const s of slices) {
    const k = sliceServiceKey(s);
    if (!k) continue;
    const list = out.get(k);
    if (list) list.push(s);
    else out.set(k, [s]);
  }
  return out;
}

/** The ports of one Service as the proxy programs them, given that Service's slices. */
export function servicePortsOf(svc: ServiceJSON, slices: EndpointSliceJSON[], node: NodeFacts): ServicePort[] {
  const spec = svc.spec ?? {};
  const clusterIP = spec.clusterIP ?? '';
  // ExternalName and headless Services are DNS only; the proxy leaves them alone.
  if (spec.type === 'ExternalName' || !IPV4.test(clusterIP)) return [];
  const namespace = svc.metadata.namespace ?? 'default';
  const externallyTyped = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
  const lbIPs = spec.type === 'LoadBalancer' ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter((ip) => IPV4.test(ip)) : [];
  return (spec.ports ?? []).map((p) => {
    const protocol = (p.protocol ?? 'TCP').toLowerCase();
    const name: ServicePortName = { namespace, name: svc.metadata.name, protocol, port: p.name ?? '' };
    return {
      name,
      key: servicePortString(name),
      clusterIP,
      port: p.port,
      nodePort: externallyTyped ? (p.nodePort ?? 0) : 0,
      externalIPs: (spec.externalIPs ?? []).filter((ip) => IPV4.test(ip)),
      loadBalancerIPs: lbIPs,
      affinitySeconds:
        spec.sessionAffinity === 'ClientIP' ? (spec.sessionAffinityConfig?.clientIP?.timeoutSeconds ?? DEFAULT_AFFINITY_SECONDS) : 0,
      externalPolicyLocal: spec.externalTrafficPolicy === 'Local',
      internalPolicyLocal: spec.internalTrafficPolicy === 'Local',
      endpoints: endpointsFor(slices, name, node.nodeName),
    };
  });
}

function endpointsFor(slices: EndpointSliceJSON[], p: ServicePortName, nodeName: string): Endpoint[] {
  const seen = new Map<string, Endpoint>();
  for (const s of slices) {
    const port = (s.ports ?? []).find((sp) => (sp.name ?? '') === p.port && (sp.protocol ?? 'TCP').toLowerCase() === p.protocol);
    if (!port || port.port == null) continue;
    for (const e of s.endpoints ?? []) {
      const c = e.conditions ?? {};
      // Unset conditions mean ready/serving (EndpointSlice API semantics).
      const ready = c.ready !== false;
      const serving = c.serving ?? ready;
      const terminating = c.terminating === true;
      for (const ip of e.addresses.slice(0, 1)) {
        const address = `${ip}:${port.port}`;
        if (!seen.has(address)) seen.set(address, { ip, port: port.port, address, ready, serving, terminating, isLocal: e.nodeName === nodeName });
      }
    }
  }
  return [...seen.values()].sort((a, b) => compareEndpoints(a, b));
}

function compareEndpoints(a: Endpoint, b: Endpoint): number {
  const ka = a.ip.split('.').map(Number).concat(a.port);
  const kb = b.ip.split('.').map(Number).concat(b.port);
  for (let i = 0; i < ka.length; i++) if (ka[i] !== kb[i]) return ka[i] - kb[i];
  return 0;
}

function usable(eps: Endpoint[]): Endpoint[] {
  const ready = eps.filter((e) => e.ready);
  return ready.length > 0 ? ready : eps.filter((e) => e.serving && e.terminating);
}

export function externallyAccessible(sp: ServicePort): boolean {
  return sp.nodePort !== 0 || sp.externalIPs.length > 0 || sp.loadBalancerIPs.length > 0;
}

export interface CategorizedEndpoints {
  cluster: Endpoint[];
  local: Endpoint[];
  /** Every endpoint this node may DNAT to: the union of the two lists that are in use. */
  reachable: Endpoint[];
  hasEndpoints: boolean;
  usesClusterChain: boolean;
  usesLocalChain: boolean;
}

export function categorizeEndpoints(sp: ServicePort): CategorizedEndpoints {
  const cluster = usable(sp.endpoints);
  const local = usable(sp.endpoints.filter((e) => e.isLocal));
  // The cluster list is also needed with an external Local policy, for the pod short-circuit.
  const usesClusterChain = cluster.length > 0 && (!sp.internalPolicyLocal || externallyAccessible(sp));
  const usesLocalChain = local.length > 0 && (sp.internalPolicyLocal || (sp.externalPolicyLocal && externallyAccessible(sp)));
  const reachable = new Map<string, Endpoint>();
  if (usesClusterChain) for (const e of cluster) reachable.set(e.address, e);
  if (usesLocalChain) for (const e of local) reachable.set(e.address, e);
  return {
    cluster,
    local,
    reachable: [...reachable.values()].sort(compareEndpoints),
    hasEndpoints: cluster.length > 0 || local.length > 0,
    usesClusterChain,
    usesLocalChain,
  };
}
