import type { KObject } from '../../../../src/api/types.js';

export const NODE = 'n1';

export function pod(
  namespace: string,
  name: string,
  labels: Record<string, string>,
  ip: string,
  o: { node?: string; ports?: { name?: string; containerPort: number; protocol?: string }[]; hostNetwork?: boolean; phase?: string } = {},
): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, labels, uid: `${namespace}-${name}`, resourceVersion: '1' },
    spec: { nodeName: o.node ?? NODE, hostNetwork: o.hostNetwork, containers: [{ name: 'c', image: 'x', ports: o.ports }] },
    status: { phase: o.phase ?? 'Running', podIP: ip, podIPs: [{ ip }] },
  } as KObject;
}

export function namespace(name: string, labels: Record<string, string> = {}): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name, ...labels } } } as KObject;
}

export function policy(namespace: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { namespace, name }, spec } as KObject;
}
