import type { ILoadBalancerIngress } from 'kubernetes-models/v1/LoadBalancerIngress';
import type { IServicePort } from 'kubernetes-models/v1/ServicePort';
import type { IServiceSpec } from 'kubernetes-models/v1/ServiceSpec';
import type { IServiceStatus } from 'kubernetes-models/v1/ServiceStatus';
import type { Printer } from '../types.js';
import { translateTimestampSince } from './age.js';
import { AGE_COLUMN, NAME_COLUMN, column, wide } from './columns.js';
import { DOC } from './descriptions.js';
import { asArray, asInt, asObject, asString, formatLabels, sortedSet } from './format.js';

// printService from kubernetes pkg/printers/internalversion/printers.go. The apiserver always
// generates the wide form, so load-balancer addresses are never elided.

type ServicePort = Partial<IServicePort>;
type ServiceSpec = Partial<IServiceSpec>;

/** loadBalancerStatusStringer (wide): distinct ingress IPs, else hostnames, sorted and comma-joined. */
export function loadBalancerAddresses(status: unknown): string {
  const ingress = asArray<Partial<ILoadBalancerIngress>>(asObject(asObject<IServiceStatus>(status).loadBalancer).ingress);
  const values: string[] = [];
  for (const i of ingress) {
    if (i.ip) values.push(i.ip);
    else if (i.hostname) values.push(i.hostname);
  }
  return sortedSet(values).join(',');
}

function externalIP(spec: ServiceSpec, status: unknown): string {
  const externalIPs = asArray<string>(spec.externalIPs);
  switch (spec.type) {
    case 'ClusterIP':
    case 'NodePort':
      return externalIPs.length > 0 ? externalIPs.join(',') : '<none>';
    case 'LoadBalancer': {
      const lb = loadBalancerAddresses(status);
      if (externalIPs.length > 0) return [...(lb ? lb.split(',') : []), ...externalIPs].join(',');
      return lb || '<pending>';
    }
    case 'ExternalName':
      return asString(spec.externalName);
  }
  return '<unknown>';
}

/** makePortString: `80/TCP,443:30443/TCP`. */
export function servicePorts(ports: unknown): string {
  return asArray<ServicePort>(ports)
    .map((p) => (asInt(p.nodePort) > 0 ? `${asInt(p.port)}:${asInt(p.nodePort)}/${asString(p.protocol)}` : `${asInt(p.port)}/${asString(p.protocol)}`))
    .join(',');
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', DOC.svcType),
    column('Cluster-IP', 'string', DOC.svcClusterIP),
    column('External-IP', 'string', DOC.svcExternalIPs),
    column('Port(s)', 'string', DOC.svcPorts),
    AGE_COLUMN,
    wide('Selector', 'string', DOC.svcSelector),
  ],
  cells(svc, now) {
    const spec = asObject<IServiceSpec>(svc.spec);
    // The internal type only has clusterIPs; converting from v1 fills it from clusterIP.
    const clusterIP = asArray<string>(spec.clusterIPs)[0] ?? (asString(spec.clusterIP) || undefined);
    return [
      svc.metadata.name ?? '',
      asString(spec.type),
      clusterIP ?? '<none>',
      externalIP(spec, svc.status),
      servicePorts(spec.ports) || '<none>',
      translateTimestampSince(svc.metadata.creationTimestamp, now),
      formatLabels(spec.selector),
    ];
  },
};
