import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { IPodStatus } from 'kubernetes-models/v1/PodStatus';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { KObject } from '../../api/types.js';
import { selectorMatches } from '../../api/selectors.js';

// The Service and Pod facts both endpoint controllers share (pkg/controller/util/endpoint,
// pkg/api/v1/pod FindPort, staging endpointslice utils).

// The endpoint controllers read objects from typed informers and from tests alike, so these
// take any KObject and read it as the kind the API serves.
export function serviceSpec(svc: KObject): IServiceSpec {
  return (svc.spec ?? {}) as IServiceSpec;
}

export function podSpec(pod: KObject): Partial<IPodSpec> {
  return (pod.spec ?? {}) as IPodSpec;
}

function podStatus(pod: KObject): IPodStatus {
  return (pod.status ?? {}) as IPodStatus;
}

/**
 * Whether the endpoint controllers manage this Service's endpoints: ExternalName Services
 * get none, and Services without a selector get the ones their users write.
 */
export function managesEndpoints(svc: KObject): boolean {
  const spec = serviceSpec(svc);
  if (spec.type === 'ExternalName') return false;
  // A selector `{}` does not survive a round trip through the API (omitempty), so an
  // empty selector is the same as none.
  return !!spec.selector && Object.keys(spec.selector).length > 0;
}

export function serviceSelects(svc: KObject, pod: KObject): boolean {
  return managesEndpoints(svc) && selectorMatches({ matchLabels: serviceSpec(svc).selector }, pod.metadata.labels);
}

/** helper.IsServiceIPSet: a ClusterIP other than None. */
export function isServiceIPSet(svc: KObject): boolean {
  const ip = serviceSpec(svc).clusterIP;
  return !!ip && ip !== 'None';
}

/**
 * ShouldPodBeInEndpoints: not terminal, has an IP, and (unless terminating pods are
 * included) not being deleted.
 */
export function shouldPodBeInEndpoints(pod: KObject, includeTerminating: boolean): boolean {
  const st = podStatus(pod);
  if (st.phase === 'Succeeded' || st.phase === 'Failed') return false;
  if (!st.podIP && !(st.podIPs ?? []).length) return false;
  if (!includeTerminating && pod.metadata.deletionTimestamp) return false;
  return true;
}

export function ipFamilyOf(ip: string): 'IPv4' | 'IPv6' {
  return ip.includes(':') ? 'IPv6' : 'IPv4';
}

/** The pod's addresses of one IP family (status.podIPs, falling back to podIP). */
export function podIPsOfFamily(pod: KObject, family: string): string[] {
  const st = podStatus(pod);
  const all = (st.podIPs ?? []).map((p) => p.ip).filter(Boolean);
  if (!all.length && st.podIP) all.push(st.podIP);
  return all.filter((ip) => ipFamilyOf(ip) === family);
}

/** ShouldSetHostname: the pod asks for a hostname under this Service's subdomain. */
export function shouldSetHostname(pod: KObject, svc: KObject): boolean {
  const spec = podSpec(pod);
  return !!spec.hostname && spec.subdomain === svc.metadata.name && pod.metadata.namespace === svc.metadata.namespace;
}

/**
 * FindPort: the pod port a Service port's targetPort means. A number is taken as is; a
 * name is looked up among the ports of the pod's containers (and restartable init
 * containers) with the same protocol. Undefined when the pod has no such named port.
 */
export function findPort(pod: KObject, sp: IServicePort): number | undefined {
  const target = sp.targetPort ?? sp.port;
  if (typeof target === 'number') return target;
  if (/^[0-9]+$/.test(target)) return Number(target);
  const protocol = sp.protocol ?? 'TCP';
  const spec = podSpec(pod);
  const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
  for (const c of containers) {
    for (const p of c.ports ?? []) {
      if (p.name === target && (p.protocol ?? 'TCP') === protocol) return p.containerPort;
    }
  }
  return undefined;
}

/** Address families the Service's endpoints are published for. */
export function serviceAddressTypes(svc: KObject): string[] {
  const spec = serviceSpec(svc);
  if (spec.ipFamilies?.length) return [...new Set(spec.ipFamilies)];
  if (isServiceIPSet(svc)) return [ipFamilyOf(spec.clusterIP as string)];
  return ['IPv4'];
}
