import type { KObject } from '../types.js';
import { each, ensureObject, isObject, isOneOf, obj, setDefault } from './util.js';

// core/v1 SetDefaults_Service, plus the fields the Service REST storage fills before its
// allocators run on a single-stack IPv4 cluster (clusterIPs from clusterIP, IP families).

export const DEFAULT_CLIENT_IP_AFFINITY_SECONDS = 10800;

export function defaultService(svc: KObject): void {
  const spec = ensureObject(svc, 'spec');
  setDefault(spec, 'sessionAffinity', 'None');
  if (spec.sessionAffinity === 'None') delete spec.sessionAffinityConfig;
  if (spec.sessionAffinity === 'ClientIP' && typeof obj(obj(spec.sessionAffinityConfig).clientIP).timeoutSeconds !== 'number') {
    spec.sessionAffinityConfig = { clientIP: { timeoutSeconds: DEFAULT_CLIENT_IP_AFFINITY_SECONDS } };
  }
  setDefault(spec, 'type', 'ClusterIP');
  each(spec.ports, (p) => {
    setDefault(p, 'protocol', 'TCP');
    if (p.targetPort === undefined || p.targetPort === null || p.targetPort === 0 || p.targetPort === '') p.targetPort = p.port;
  });
  const externallyAccessible =
    spec.type === 'LoadBalancer' || spec.type === 'NodePort' || (spec.type === 'ClusterIP' && Array.isArray(spec.externalIPs) && spec.externalIPs.length > 0);
  if (externallyAccessible) setDefault(spec, 'externalTrafficPolicy', 'Cluster');
  if (isOneOf(spec.type, ['NodePort', 'LoadBalancer', 'ClusterIP'])) setDefault(spec, 'internalTrafficPolicy', 'Cluster');
  if (spec.type === 'LoadBalancer') setDefault(spec, 'allocateLoadBalancerNodePorts', true);

  if (spec.type === 'ExternalName') return;
  if (spec.clusterIP && !(Array.isArray(spec.clusterIPs) && spec.clusterIPs.length > 0)) spec.clusterIPs = [spec.clusterIP];
  const headlessWithoutSelector = spec.clusterIP === 'None' && !(isObject(spec.selector) && Object.keys(spec.selector).length > 0);
  setDefault(spec, 'ipFamilyPolicy', headlessWithoutSelector ? 'RequireDualStack' : 'SingleStack');
  if (!(Array.isArray(spec.ipFamilies) && spec.ipFamilies.length > 0)) spec.ipFamilies = ['IPv4'];
}
