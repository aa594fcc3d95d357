import type { KObject } from '../../../../src/api/types.js';
import type { ClusterView } from '../../../../src/addons/dns/records.js';

export function ns(name: string): KObject {
  return { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
}

export function service(namespace: string, name: string, spec: Record<string, unknown>): KObject {
  return { apiVersion: 'v1', kind: 'Service', metadata: { namespace, name }, spec };
}

export interface Ep {
  ip: string;
  hostname?: string;
  ready?: boolean;
}

export function slice(namespace: string, svc: string, eps: Ep[], ports: Record<string, unknown>[] = []): KObject {
  return {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { namespace, name: `${svc}-abcde`, labels: { 'kubernetes.io/service-name': svc } },
    addressType: 'IPv4',
    endpoints: eps.map((e) => ({
      addresses: [e.ip],
      ...(e.hostname ? { hostname: e.hostname } : {}),
      conditions: e.ready === undefined ? {} : { ready: e.ready },
    })),
    ports,
  };
}

export function pod(namespace: string, name: string, ip: string): KObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { namespace, name }, spec: {}, status: { podIP: ip, podIPs: [{ ip }] } };
}

/** A small cluster covering every record shape of the specification. */
export function fixtureView(): ClusterView {
  return {
    serial: 42,
    namespaces: [ns('default'), ns('kube-system'), ns('other')],
    services: [
      service('default', 'kubernetes', { type: 'ClusterIP', clusterIP: '10.96.0.1', clusterIPs: ['10.96.0.1'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }] }),
      service('kube-system', 'kube-dns', {
        clusterIP: '10.96.0.10',
        ports: [
          { name: 'dns', port: 53, protocol: 'UDP' },
          { name: 'dns-tcp', port: 53, protocol: 'TCP' },
        ],
      }),
      service('default', 'web', { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] }),
      service('default', 'single', { clusterIP: '10.96.0.30', ports: [{ port: 9000, protocol: 'TCP' }] }),
      service('default', 'db', { clusterIP: 'None', ports: [{ name: 'mysql', port: 3306, protocol: 'TCP' }] }),
      service('default', 'empty', { clusterIP: 'None', ports: [{ name: 'x', port: 1, protocol: 'TCP' }] }),
      service('default', 'early', { clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ name: 'p', port: 7000, protocol: 'TCP' }] }),
      service('default', 'ext', { type: 'ExternalName', externalName: 'www.example.com' }),
      service('default', 'alias', { type: 'ExternalName', externalName: 'web.default.svc.cluster.local' }),
    ],
    endpointSlices: [
      slice('default', 'web', [{ ip: '10.244.1.2', ready: true }], [{ name: 'http', port: 8080, protocol: 'TCP' }]),
      slice(
        'default',
        'db',
        [
          { ip: '10.244.0.5', hostname: 'db-0', ready: true },
          { ip: '10.244.0.6', ready: true },
          { ip: '10.244.0.7', hostname: 'db-2', ready: false },
        ],
        [{ name: 'mysql', port: 3306, protocol: 'TCP' }],
      ),
      slice('default', 'empty', [{ ip: '10.244.0.9', ready: false }], [{ name: 'x', port: 1, protocol: 'TCP' }]),
      slice('default', 'early', [{ ip: '10.244.0.11', hostname: 'early-0', ready: false }], [{ name: 'p', port: 7000, protocol: 'TCP' }]),
    ],
    pods: [pod('default', 'db-0', '10.244.0.5'), pod('default', 'web-1', '10.244.1.2')],
  };
}
