import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { KObject } from '../../api/types.js';
import { isPodReady } from '../podutil.js';
import { canonical } from '../endpointslice/canonical.js';
import {
  findPort,
  isServiceIPSet,
  podIPsOfFamily,
  podSpec,
  serviceAddressTypes,
  serviceSpec,
  shouldPodBeInEndpoints,
  shouldSetHostname,
} from '../endpointslice/service.js';

// The subsets of a Service's legacy Endpoints object (pkg/controller/endpoint syncService):
// one address per selected pod, ready or not, packed so that addresses sharing the same
// ports share a subset (RepackSubsets), and capped at 1000 addresses.

export const MAX_CAPACITY = 1000;

export interface EndpointAddress {
  ip: string;
  hostname?: string;
  nodeName?: string;
  targetRef?: { kind: string; namespace?: string; name: string; uid?: string };
}

export interface EndpointPort {
  name?: string;
  port: number;
  protocol: string;
  appProtocol?: string;
}

export interface EndpointSubset {
  addresses?: EndpointAddress[];
  notReadyAddresses?: EndpointAddress[];
  ports?: EndpointPort[];
}

/** podToEndpointAddressForService: the pod's IP of the Service's (first) family. */
export function podToAddress(svc: KObject, pod: KObject): EndpointAddress | undefined {
  const family = serviceAddressTypes(svc)[0];
  const ip = podIPsOfFamily(pod, family)[0];
  if (!ip) return undefined;
  const spec = podSpec(pod);
  const addr: EndpointAddress = { ip };
  if (shouldSetHostname(pod, svc)) addr.hostname = spec.hostname;
  if (spec.nodeName) addr.nodeName = spec.nodeName;
  addr.targetRef = { kind: 'Pod', namespace: pod.metadata.namespace, name: pod.metadata.name as string, uid: pod.metadata.uid };
  return addr;
}

function endpointPort(sp: IServicePort, port: number): EndpointPort {
  const p: EndpointPort = { port, protocol: sp.protocol ?? 'TCP' };
  if (sp.name) p.name = sp.name;
  if (sp.appProtocol !== undefined) p.appProtocol = sp.appProtocol;
  return p;
}

function compareAddress(a: EndpointAddress, b: EndpointAddress): number {
  const ka = ipSortKey(a.ip), kb = ipSortKey(b.ip);
  if (ka !== kb) return ka < kb ? -1 : 1;
  const ua = a.targetRef?.uid ?? '', ub = b.targetRef?.uid ?? '';
  return ua < ub ? -1 : ua > ub ? 1 : 0;
}

/** IPv4 addresses sort numerically so 10.0.0.9 precedes 10.0.0.10. */
function ipSortKey(ip: string): string {
  const parts = ip.split('.');
  if (parts.length === 4 && parts.every((p) => /^\d+$/.test(p))) return parts.map((p) => p.padStart(3, '0')).join('.');
  return ip;
}

function comparePort(a: EndpointPort, b: EndpointPort): number {
  const na = a.name ?? '', nb = b.name ?? '';
  if (na !== nb) return na < nb ? -1 : 1;
  if (a.port !== b.port) return a.port - b.port;
  return a.protocol < b.protocol ? -1 : a.protocol > b.protocol ? 1 : 0;
}

/** Subsets in one order however they were built, so equal content compares equal. */
export function sortSubsets(subsets: EndpointSubset[]): EndpointSubset[] {
  const out = subsets.map((s) => {
    const n: EndpointSubset = {};
    if (s.addresses?.length) n.addresses = [...s.addresses].sort(compareAddress);
    if (s.notReadyAddresses?.length) n.notReadyAddresses = [...s.notReadyAddresses].sort(compareAddress);
    if (s.ports?.length) n.ports = [...s.ports].sort(comparePort);
    return n;
  });
  const first = (s: EndpointSubset) => ipSortKey((s.addresses ?? s.notReadyAddresses ?? [{ ip: '' }])[0].ip);
  return out.sort((a, b) => {
    const fa = first(a), fb = first(b);
    if (fa !== fb) return fa < fb ? -1 : 1;
    const ca = canonical(a), cb = canonical(b);
    return ca < cb ? -1 : ca > cb ? 1 : 0;
  });
}

interface Entry {
  addr: EndpointAddress;
  ready: boolean;
}

/**
 * RepackSubsets: gathers, for each port, the addresses offering it, then gives every
 * distinct set of (address, readiness) one subset listing all the ports it offers.
 * Addresses without ports (headless Services without ports) use a port-less subset.
 */
export function repack(entries: { addr: EndpointAddress; ready: boolean; port?: EndpointPort }[]): EndpointSubset[] {
  const byPort = new Map<string, { port?: EndpointPort; addrs: Map<string, Entry> }>();
  for (const e of entries) {
    const pk = e.port ? canonical(e.port) : '';
    let g = byPort.get(pk);
    if (!g) byPort.set(pk, (g = { port: e.port, addrs: new Map() }));
    g.addrs.set(`${e.addr.ip}/${e.addr.targetRef?.uid ?? ''}`, { addr: e.addr, ready: e.ready });
  }
  const bySet = new Map<string, { addrs: Entry[]; ports: EndpointPort[] }>();
  for (const g of byPort.values()) {
    const addrs = [...g.addrs.values()];
    const sk = addrs.map((a) => `${a.ready ? 'r' : 'n'}:${canonical(a.addr)}`).sort().join('|');
    let s = bySet.get(sk);
    if (!s) bySet.set(sk, (s = { addrs, ports: [] }));
    if (g.port) s.ports.push(g.port);
  }
  return sortSubsets(
    [...bySet.values()].map((s) => ({
      addresses: s.addrs.filter((a) => a.ready).map((a) => a.addr),
      notReadyAddresses: s.addrs.filter((a) => !a.ready).map((a) => a.addr),
      ports: s.ports,
    })),
  );
}

/** The subsets the Service's Endpoints should hold, before truncation. */
export function desiredSubsets(svc: KObject, pods: KObject[]): EndpointSubset[] {
  const spec = serviceSpec(svc);
  const tolerateUnready = spec.publishNotReadyAddresses === true;
  const entries: { addr: EndpointAddress; ready: boolean; port?: EndpointPort }[] = [];
  for (const pod of pods) {
    if (!shouldPodBeInEndpoints(pod, tolerateUnready)) continue;
    const addr = podToAddress(svc, pod);
    if (!addr) continue;
    const ready = tolerateUnready || isPodReady(pod);
    const ports = spec.ports ?? [];
    if (!ports.length) {
      // Only a headless Service may go without ports.
      if (!isServiceIPSet(svc)) entries.push({ addr, ready });
      continue;
    }
    for (const sp of ports) {
      const port = findPort(pod, sp);
      if (port !== undefined) entries.push({ addr, ready, port: endpointPort(sp, port) });
    }
  }
  return repack(entries);
}

export function countAddresses(subsets: EndpointSubset[]): number {
  return subsets.reduce((n, s) => n + (s.addresses?.length ?? 0) + (s.notReadyAddresses?.length ?? 0), 0);
}

/**
 * truncateEndpoints: beyond 1000 addresses, not-ready ones go first; if the ready ones
 * alone are too many, every subset keeps its proportional share of them. Returns the
 * subsets and whether anything was cut.
 */
export function truncate(subsets: EndpointSubset[], max = MAX_CAPACITY): { subsets: EndpointSubset[]; truncated: boolean } {
  const totalReady = subsets.reduce((n, s) => n + (s.addresses?.length ?? 0), 0);
  const totalNotReady = subsets.reduce((n, s) => n + (s.notReadyAddresses?.length ?? 0), 0);
  if (totalReady + totalNotReady <= max) return { subsets, truncated: false };
  const truncateReady = totalReady > max;
  const limit = truncateReady ? max : max - totalReady;
  const total = truncateReady ? totalReady : totalNotReady;
  let room = limit;
  const out = subsets.map((s) => {
    const list = (truncateReady ? s.addresses : s.notReadyAddresses) ?? [];
    const share = Math.min(Math.ceil((list.length / total) * limit), room);
    const kept = list.slice(0, share);
    room -= kept.length;
    const n: EndpointSubset = { ...s };
    if (truncateReady) {
      n.addresses = kept;
      delete n.notReadyAddresses;
    } else n.notReadyAddresses = kept;
    if (!n.addresses?.length) delete n.addresses;
    if (!n.notReadyAddresses?.length) delete n.notReadyAddresses;
    return n;
  });
  return { subsets: out, truncated: true };
}
