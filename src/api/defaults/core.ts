import type { KObject } from '../types.js';
import { each, ensureObject, isObject, setDefault } from './util.js';

// Defaults of the small core/v1 kinds: Secret, Namespace, Endpoints, Node.

/** SetDefaults_Secret, and the v1 conversion that folds stringData into data. */
export function defaultSecret(secret: KObject): void {
  setDefault(secret, 'type', 'Opaque');
  if (isObject(secret.stringData)) {
    const data = ensureObject(secret, 'data');
    for (const [k, v] of Object.entries(secret.stringData)) data[k] = Buffer.from(String(v), 'utf8').toString('base64');
  }
  delete secret.stringData;
}

/**
 * SetDefaults_Namespace (the kubernetes.io/metadata.name label), SetDefaults_NamespaceStatus,
 * and the `kubernetes` finalizer the namespace strategy adds on create.
 */
export function defaultNamespace(ns: KObject): void {
  if (ns.metadata?.name) {
    ns.metadata.labels = { ...(isObject(ns.metadata.labels) ? ns.metadata.labels : {}), 'kubernetes.io/metadata.name': ns.metadata.name };
  }
  const spec = ensureObject(ns, 'spec');
  if (!Array.isArray(spec.finalizers)) spec.finalizers = ['kubernetes'];
  setDefault(ensureObject(ns, 'status'), 'phase', 'Active');
}

export function defaultEndpoints(ep: KObject): void {
  each(ep.subsets, (s) => each(s.ports, (p) => setDefault(p, 'protocol', 'TCP')));
}

/** SetDefaults_NodeStatus: allocatable starts as a copy of capacity. */
export function defaultNode(node: KObject): void {
  const status = node.status;
  if (isObject(status) && isObject(status.capacity) && !isObject(status.allocatable)) status.allocatable = { ...status.capacity };
}
