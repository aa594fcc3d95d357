import type { KObject } from '../../api/types.js';
import { namespaceIsActive } from '../serviceaccount/serviceaccounts.js';

// What the root-ca-cert-publisher does for one Namespace
// (pkg/controller/certificates/rootcacertpublisher/publisher.go): the ConfigMap
// kube-root-ca.crt holds exactly the cluster CA under `ca.crt` and says what it is for in
// one annotation. Edits to either are undone; a deleted one is created again.

export const ROOT_CA_CONFIGMAP = 'kube-root-ca.crt';
export const DESCRIPTION_ANNOTATION = 'kubernetes.io/description';
export const DESCRIPTION =
  'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. ' +
  'No other usage is guaranteed across distributions of Kubernetes clusters.';

export type RootCAAction = { create: KObject } | { update: KObject } | undefined;

function sameData(have: unknown, want: Record<string, string>): boolean {
  if (!have || typeof have !== 'object') return false;
  const h = have as Record<string, unknown>;
  const keys = Object.keys(h);
  return keys.length === Object.keys(want).length && keys.every((k) => h[k] === want[k]);
}

/**
 * The write that brings namespace `ns` in line, given its current kube-root-ca.crt (if
 * any). Upstream compares `data` whole, so extra keys are dropped too; only a missing or
 * empty description annotation is rewritten, other annotations and labels are kept.
 */
export function rootCAAction(ns: KObject | undefined, existing: KObject | undefined, caPem: string): RootCAAction {
  if (!ns || !namespaceIsActive(ns)) return undefined;
  const data = { 'ca.crt': caPem };
  if (!existing) {
    return {
      create: {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: ROOT_CA_CONFIGMAP, namespace: ns.metadata.name, annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
        data,
      },
    };
  }
  const annotations = existing.metadata.annotations ?? {};
  if (sameData(existing.data, data) && annotations[DESCRIPTION_ANNOTATION]) return undefined;
  const updated = structuredClone(existing);
  updated.data = data;
  updated.metadata.annotations = { ...annotations, [DESCRIPTION_ANNOTATION]: DESCRIPTION };
  return { update: updated };
}

/** The calls the sync makes; the controller wires them to its caches and the client. */
export interface RootCAApi {
  create(namespace: string, cm: KObject): Promise<unknown>;
  /** A full update carrying the cached resourceVersion: a stale one earns a conflict and a retry. */
  update(cm: KObject): Promise<unknown>;
  /** The namespace is gone or being deleted: nothing to publish, nothing to retry. */
  isNamespaceGone(e: unknown): boolean;
  /** Our cache lagged a ConfigMap that exists; its informer event brings the namespace back. */
  isAlreadyExists(e: unknown): boolean;
}

/** One reconcile of a namespace; returns what it wrote, throws what the loop should retry. */
export async function syncRootCA(
  ns: KObject | undefined,
  existing: KObject | undefined,
  caPem: string,
  api: RootCAApi,
): Promise<'created' | 'updated' | 'unchanged'> {
  const action = rootCAAction(ns, existing, caPem);
  if (!action) return 'unchanged';
  const namespace = ns!.metadata.name as string;
  if ('create' in action) {
    try {
      await api.create(namespace, action.create);
    } catch (e) {
      if (api.isNamespaceGone(e) || api.isAlreadyExists(e)) return 'unchanged';
      throw e;
    }
    return 'created';
  }
  await api.update(action.update);
  return 'updated';
}
