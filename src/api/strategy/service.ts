import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { KObject } from '../types.js';
import { deepEqual } from '../equality.js';
import type { Strategy } from './types.js';

/** Specs as stored (type-checked when written); while preparing an update any field may be absent. */
type ServiceSpec = Partial<IServiceSpec>;

const needsClusterIP = (s: ServiceSpec) => (s.type ?? 'ClusterIP') !== 'ExternalName';
const needsNodePort = (s: ServiceSpec) => s.type === 'NodePort' || s.type === 'LoadBalancer';
const isLB = (s: ServiceSpec) => s.type === 'LoadBalancer';
const needsHCNodePort = (s: ServiceSpec) => isLB(s) && s.externalTrafficPolicy === 'Local';
const externallyAccessible = (s: ServiceSpec) => needsNodePort(s) || (s.externalIPs ?? []).length > 0;

/**
 * When a Service changes type, the fields the old type needed and the user left as they were
 * are dropped, as upstream's dropTypeDependentFields does; otherwise re-applying a manifest
 * that turns a NodePort Service into a ClusterIP one fails validation on stale fields.
 */
export function dropTypeDependentFields(obj: KObject, old: KObject): void {
  const n = (obj.spec ?? {}) as ServiceSpec;
  const o = (old.spec ?? {}) as ServiceSpec;
  if (needsClusterIP(o) && !needsClusterIP(n)) {
    if (n.clusterIP === o.clusterIP && deepEqual(n.clusterIPs, o.clusterIPs)) {
      delete n.clusterIP;
      delete n.clusterIPs;
    }
    if (deepEqual(n.ipFamilies, o.ipFamilies)) delete n.ipFamilies;
    if (n.ipFamilyPolicy === o.ipFamilyPolicy) delete n.ipFamilyPolicy;
  }
  const sameNodePorts = deepEqual(
    (n.ports ?? []).map((p) => p.nodePort ?? 0),
    (o.ports ?? []).map((p) => p.nodePort ?? 0),
  );
  if (needsNodePort(o) && !needsNodePort(n) && sameNodePorts) for (const p of n.ports ?? []) delete p.nodePort;
  if (needsHCNodePort(o) && !needsHCNodePort(n) && n.healthCheckNodePort === o.healthCheckNodePort) delete n.healthCheckNodePort;
  if (isLB(o) && !isLB(n) && n.allocateLoadBalancerNodePorts === o.allocateLoadBalancerNodePorts) delete n.allocateLoadBalancerNodePorts;
  if (!isLB(n) && n.loadBalancerClass === o.loadBalancerClass) delete n.loadBalancerClass;
  if (!externallyAccessible(n) && n.externalTrafficPolicy === o.externalTrafficPolicy) delete n.externalTrafficPolicy;
}

/** Services, after pkg/registry/core/service/strategy.go and storage/storage.go. */
export const serviceStrategy: Strategy = {
  prepareForUpdate: dropTypeDependentFields,
  returnDeletedObject: true,
};
