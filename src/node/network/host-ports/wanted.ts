// Which host listeners a set of Services asks for. This is the whole decision of the host-port
// publisher, kept pure: Services (plain API JSON) + where to publish -> listeners and the claims
// that lost to an earlier Service. Binding, forwarding and events live elsewhere.
import { LOAD_BALANCER_POOL } from '../../../cluster/constants.js';
import { parseIPv4 } from '../../../cluster/ipv4.js';

/** The address NodePorts are published on: the host's loopback, as kind and minikube users expect. */
export const NODE_PORT_HOST_ADDRESS = '127.0.0.1';

export interface HostPortService {
  metadata: { namespace?: string; name: string; uid?: string; resourceVersion?: string; creationTimestamp?: string };
  spec?: {
    type?: string;
    clusterIP?: string;
    ports?: { name?: string; protocol?: string; port: number; nodePort?: number }[];
    loadBalancerIP?: string;
  };
  status?: { loadBalancer?: { ingress?: { ip?: string }[] } };
}

export interface Target {
  host: string;
  port: number;
}

/** One listening socket on the host and where its connections go inside the node namespace. */
export interface Listener {
  /** "address:port", unique on the host. */
  key: string;
  address: string;
  port: number;
  target: Target;
  /** "namespace/name" of the Service. */
  service: string;
  serviceUID: string;
  serviceType: 'NodePort' | 'LoadBalancer';
  /** The Service port this listener serves: its name, or its number when unnamed. */
  servicePort: string;
  /** Why this address: the node port on loopback, the LoadBalancer address, or the publish address. */
  role: 'nodePort' | 'loadBalancer';
}

/** A listener a Service asked for that an earlier Service already holds. */
export interface Conflict {
  wanted: Listener;
  /** "namespace/name" of the Service that holds the address and port. */
  heldBy: string;
}

export interface PublishOptions {
  /** Node 1's address on the fabric: where node ports are reached from inside its namespace. */
  nodeAddress: string;
  /** An extra host address (for a LAN) on which node ports and LoadBalancer ports are published too. */
  publishAddress?: string;
}

export function listenerKey(address: string, port: number): string {
  return `${address}:${port}`;
}

const poolFirst = parseIPv4(LOAD_BALANCER_POOL.first)!;
const poolLast = parseIPv4(LOAD_BALANCER_POOL.last)!;

/** Only addresses the built-in pool handed out are ours to publish; another LoadBalancer class publishes its own. */
export function isPoolAddress(ip: string): boolean {
  const n = parseIPv4(ip);
  return n !== undefined && n >= poolFirst && n <= poolLast;
}

function serviceName(svc: HostPortService): string {
  return `${svc.metadata.namespace ?? 'default'}/${svc.metadata.name}`;
}

/** Older Services claim first; the name breaks ties so every run decides the same way. */
function byAge(a: HostPortService, b: HostPortService): number {
  const ta = a.metadata.creationTimestamp ?? '';
  const tb = b.metadata.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const na = serviceName(a);
  const nb = serviceName(b);
  return na < nb ? -1 : na > nb ? 1 : 0;
}

/** The listeners one Service asks for, in port order (node ports before LoadBalancer ports). */
export function listenersOfService(svc: HostPortService, opts: PublishOptions): Listener[] {
  const spec = svc.spec ?? {};
  const type = spec.type;
  if (type !== 'NodePort' && type !== 'LoadBalancer') return [];
  const base = { service: serviceName(svc), serviceUID: svc.metadata.uid ?? '', serviceType: type } as const;
  const hostAddresses = (extra: string) => (opts.publishAddress && opts.publishAddress !== extra ? [extra, opts.publishAddress] : [extra]);
  const out: Listener[] = [];
  // Only TCP: a userspace hop cannot keep UDP's or SCTP's semantics honestly.
  const ports = (spec.ports ?? []).filter((p) => (p.protocol ?? 'TCP') === 'TCP');
  for (const p of ports) {
    if (!p.nodePort) continue;
    const target = { host: opts.nodeAddress, port: p.nodePort };
    for (const address of hostAddresses(NODE_PORT_HOST_ADDRESS)) {
      out.push({ ...base, key: listenerKey(address, p.nodePort), address, port: p.nodePort, target, servicePort: p.name || String(p.port), role: 'nodePort' });
    }
  }
  if (type === 'LoadBalancer') {
    const ips = (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? '').filter(isPoolAddress);
    for (const p of ports) {
      // Through the node port when there is one, as a cloud balancer sends to nodes; without
      // (allocateLoadBalancerNodePorts: false) through the ClusterIP, as an in-cluster one does.
      const target = p.nodePort ? { host: opts.nodeAddress, port: p.nodePort } : spec.clusterIP && spec.clusterIP !== 'None' ? { host: spec.clusterIP, port: p.port } : undefined;
      if (!target) continue;
      const addresses = [...ips, ...(ips.length > 0 && opts.publishAddress ? [opts.publishAddress] : [])];
      for (const address of addresses) {
        out.push({ ...base, key: listenerKey(address, p.port), address, port: p.port, target, servicePort: p.name || String(p.port), role: 'loadBalancer' });
      }
    }
  }
  return out;
}

/**
 * Every listener the Services ask for. Two claims on one address and port (LoadBalancer ports
 * on the publish address, or a LoadBalancer port equal to a node port there) go to the older
 * Service; the rest are returned as conflicts to report.
 */
export function wantedListeners(services: readonly HostPortService[], opts: PublishOptions): { listeners: Listener[]; conflicts: Conflict[] } {
  const held = new Map<string, Listener>();
  const conflicts: Conflict[] = [];
  for (const svc of [...services].sort(byAge)) {
    for (const l of listenersOfService(svc, opts)) {
      const holder = held.get(l.key);
      if (!holder) held.set(l.key, l);
      // A Service naming one port twice (e.g. a node port equal to its own LoadBalancer port) is no conflict.
      else if (holder.service !== l.service) conflicts.push({ wanted: l, heldBy: holder.service });
    }
  }
  return { listeners: [...held.values()], conflicts };
}
