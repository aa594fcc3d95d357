import type { KObject } from '../api/types.js';
import { deepEqual } from '../api/equality.js';
import { KUBERNETES_SERVICE_IP } from '../cluster/constants.js';
import { parseIPv4 } from '../cluster/ipv4.js';
import { storeResource, type Objects } from './objects.js';
import { log } from '../log.js';

/** Namespaces every cluster has from the start, as upstream's system namespaces controller makes them. */
export const SYSTEM_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

const MANAGER = { fieldManager: 'kube-apiserver' };

/** An address pods can reach the API server at. */
export interface ApiEndpoint {
  ip: string;
  port: number;
}

/**
 * What the API server writes when it starts: the system namespaces, and the `kubernetes`
 * Service with its Endpoints and EndpointSlice, as upstream's bootstrap controller and endpoint
 * reconciler do. They name `podEndpoint` (upstream's --advertise-address: here node 1's relay
 * of the API) or, without one, the server's own listen address (`apiAddress`, host:port).
 */
export function bootstrap(objects: Objects, apiAddress?: string, podEndpoint?: ApiEndpoint): void {
  const ns = objects.reg.kind('', 'Namespace')!;
  for (const name of SYSTEM_NAMESPACES) {
    if (objects.store.get('core/namespaces', '', name)) continue;
    objects.create(ns, { apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels: { 'kubernetes.io/metadata.name': name } } }, MANAGER);
  }
  if (!apiAddress) return;
  try {
    reconcileKubernetesService(objects, podEndpoint ?? apiEndpoint(apiAddress));
  } catch (e) {
    // An old state whose Services took 10.96.0.1 must not stop the server from starting.
    log('error', 'writing the kubernetes Service and its endpoints', { error: String((e as Error)?.message ?? e) });
  }
}

/**
 * The listen address as an endpoint (a wildcard listen is written as 127.0.0.1): what the
 * `kubernetes` Endpoints name in a cluster without nodes, where no pod needs to reach it.
 */
export function apiEndpoint(apiAddress: string): ApiEndpoint {
  const i = apiAddress.lastIndexOf(':');
  const host = apiAddress.slice(0, i).replace(/^\[|\]$/g, '');
  const port = Number(apiAddress.slice(i + 1));
  const ip = parseIPv4(host) !== undefined && host !== '0.0.0.0' ? host : '127.0.0.1';
  return { ip, port };
}

function reconcileKubernetesService(objects: Objects, { ip, port }: ApiEndpoint): void {
  const svcDef = objects.reg.kind('', 'Service')!;
  const servicePorts = [{ name: 'https', port: 443, protocol: 'TCP', targetPort: port }];
  const existing = objects.store.get(storeResource(svcDef), 'default', 'kubernetes');
  if (existing) {
    // Upstream's bootstrap controller also puts the port back when it no longer matches.
    const have = JSON.parse(existing.json) as KObject;
    const spec = (have.spec ?? {}) as { ports?: unknown };
    if (!deepEqual(spec.ports, servicePorts)) objects.update(svcDef, { ...have, spec: { ...spec, ports: servicePorts } }, MANAGER);
  } else {
    objects.create(
      svcDef,
      {
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: 'kubernetes', namespace: 'default', labels: { component: 'apiserver', provider: 'kubernetes' } },
        spec: {
          type: 'ClusterIP',
          clusterIP: KUBERNETES_SERVICE_IP,
          ports: servicePorts,
          sessionAffinity: 'None',
        },
      },
      MANAGER,
    );
  }
  const ports = [{ name: 'https', port, protocol: 'TCP' }];
  upsert(objects, '', 'Endpoints', {
    apiVersion: 'v1',
    kind: 'Endpoints',
    // The mirroring controller must not turn these into a second slice: the slice below is written here too.
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'endpointslice.kubernetes.io/skip-mirror': 'true' } },
    subsets: [{ addresses: [{ ip }], ports }],
  });
  upsert(objects, 'discovery.k8s.io', 'EndpointSlice', {
    apiVersion: 'discovery.k8s.io/v1',
    kind: 'EndpointSlice',
    metadata: { name: 'kubernetes', namespace: 'default', labels: { 'kubernetes.io/service-name': 'kubernetes' } },
    addressType: 'IPv4',
    endpoints: [{ addresses: [ip], conditions: { ready: true } }],
    ports,
  });
}

/** Creates the object, or rewrites its content when the server's address has changed. */
function upsert(objects: Objects, group: string, kind: string, want: KObject): void {
  const def = objects.reg.kind(group, kind)!;
  const cur = objects.store.get(storeResource(def), 'default', want.metadata.name!);
  if (!cur) {
    objects.create(def, want, MANAGER);
    return;
  }
  const have = JSON.parse(cur.json) as KObject;
  const { apiVersion: _a, kind: _k, metadata, ...content } = want;
  const { apiVersion: _b, kind: _l, metadata: haveMeta, ...haveContent } = have;
  if (deepEqual(content, haveContent) && deepEqual(metadata.labels, haveMeta.labels)) return;
  objects.update(def, { ...have, ...content, metadata: { ...haveMeta, labels: metadata.labels } }, MANAGER);
}
