import type { KObject } from '../../api/types.js';

// An Ingress backend (Service + port) resolved to the pod addresses nginx would put in its
// upstream: the ready endpoints of the Service's EndpointSlices on the port whose name matches
// the Service port's, as ingress-nginx's getEndpointsFromSlices.

export interface Endpoint {
  address: string;
  port: number;
  /** `address:port` (IPv6 bracketed), also the key for per-endpoint connection pools. */
  key: string;
}

export interface ServicePortRef {
  name?: string;
  number?: number;
}

interface ServiceLike extends KObject {
  spec?: {
    type?: string;
    clusterIP?: string;
    externalName?: string;
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
  };
}

interface SliceLike extends KObject {
  addressType?: string;
  ports?: { name?: string | null; port?: number | null; protocol?: string | null }[] | null;
  endpoints?: SliceEndpoint[] | null;
}

/** An endpoint of an EndpointSlice, as far as choosing it goes. */
export interface SliceEndpoint {
  addresses: string[];
  conditions?: { ready?: boolean | null } | null;
  targetRef?: { kind?: string; namespace?: string; name?: string } | null;
}

export const SERVICE_NAME_LABEL = 'kubernetes.io/service-name';

/** EndpointSlices indexed by `namespace/service`, built once per route-table build. */
export function indexSlices(slices: KObject[]): Map<string, KObject[]> {
  const out = new Map<string, KObject[]>();
  for (const s of slices) {
    const svc = s.metadata.labels?.[SERVICE_NAME_LABEL];
    if (!svc) continue;
    const key = `${s.metadata.namespace}/${svc}`;
    const list = out.get(key);
    if (list) list.push(s);
    else out.set(key, [s]);
  }
  return out;
}

/** The Service port an Ingress backend names, by number or by name. */
export function servicePortOf(svc: KObject, ref: ServicePortRef): { name?: string; port: number } | undefined {
  const ports = (svc as ServiceLike).spec?.ports ?? [];
  for (const p of ports) {
    if (ref.number !== undefined && p.port === ref.number) return { name: p.name, port: p.port };
    if (ref.name !== undefined && ref.name !== '' && p.name === ref.name) return { name: p.name, port: p.port };
  }
  return undefined;
}

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const IPV4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/**
 * The one endpoint of an ExternalName Service, as ingress-nginx makes it: the external name and
 * the port's targetPort, resolved through the cluster's DNS when a connection is made. Loopback
 * names and invalid DNS names give no endpoint (503), as upstream refuses them.
 */
export function externalNameEndpoint(svc: KObject, ref: ServicePortRef): Endpoint | undefined {
  const spec = (svc as ServiceLike).spec;
  const name = spec?.externalName ?? '';
  const port = (spec?.ports ?? []).find((p) => (ref.number !== undefined && p.port === ref.number) || (ref.name !== undefined && ref.name !== '' && p.name === ref.name));
  // Without ports, ingress-nginx uses the Ingress's port number as it is.
  const target = port ? (typeof port.targetPort === 'number' ? port.targetPort : port.port) : ref.number;
  if (!name || !target) return undefined;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  const ip = IPV4.exec(bare);
  if (bare === 'localhost' || bare === '::1' || (ip && ip[1] === '127')) return undefined;
  if (!ip && !bare.includes(':') && (bare.length > 253 || !DNS1123_SUBDOMAIN.test(bare))) return undefined;
  return { address: bare, port: target, key: endpointKey(bare, target) };
}

export function endpointKey(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Ready endpoints for one Service port (TCP unless `protocol` says), in a stable order, without duplicates; `accept` narrows them (an Istio subset's pods). */
export function readyEndpoints(slices: KObject[] | undefined, portName: string | undefined, accept?: (ep: SliceEndpoint, slice: KObject) => boolean, protocol = 'TCP'): Endpoint[] {
  if (!slices) return [];
  const wanted = portName ?? '';
  const seen = new Set<string>();
  const out: Endpoint[] = [];
  for (const s of slices as SliceLike[]) {
    if (s.addressType === 'FQDN') continue;
    const port = (s.ports ?? []).find((p) => (p.name ?? '') === wanted && (p.protocol ?? 'TCP') === protocol);
    if (!port || typeof port.port !== 'number') continue;
    for (const ep of s.endpoints ?? []) {
      // A nil ready condition means ready (EndpointSlice API contract).
      if (ep.conditions?.ready === false) continue;
      if (accept && !accept(ep, s)) continue;
      for (const address of ep.addresses) {
        const key = endpointKey(address, port.port);
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ address, port: port.port, key });
      }
    }
  }
  out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return out;
}
