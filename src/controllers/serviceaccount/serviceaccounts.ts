import type { INamespaceStatus } from 'kubernetes-models/v1/NamespaceStatus';
import type { KObject } from '../../api/types.js';

// What the serviceaccounts controller does for one Namespace
// (pkg/controller/serviceaccount/serviceaccounts_controller.go): every active namespace
// holds the service accounts the cluster promises, `default` among them; one that goes
// missing is created again. Nothing is created in a namespace that is not Active.

/** The service accounts every namespace gets (DefaultServiceAccountsControllerOptions). */
export const DEFAULT_SERVICE_ACCOUNTS: readonly string[] = ['default'];

/** The calls the sync makes; the controller wires them to its cache and the client. */
export interface ServiceAccountsApi {
  /** Whether the service account is known to exist (the informer cache). */
  exists(namespace: string, name: string): boolean;
  /** Creates it; rejects with the API error as the client does. */
  create(namespace: string, sa: KObject): Promise<unknown>;
  /** The create failed because it already exists: our cache lagged, nothing to do. */
  isAlreadyExists(e: unknown): boolean;
  /** The create was refused because the namespace is being deleted. */
  isNamespaceTerminating(e: unknown): boolean;
}

/** Upstream acts only on `status.phase: Active`; a deletionTimestamp means the phase is about to flip. */
export function namespaceIsActive(ns: KObject): boolean {
  const phase = (ns.status as INamespaceStatus | undefined)?.phase;
  return phase === 'Active' && !ns.metadata.deletionTimestamp;
}

/** The service accounts to create in `ns`, given which already exist. */
export function missingServiceAccounts(
  ns: KObject | undefined,
  exists: (namespace: string, name: string) => boolean,
  wanted: readonly string[] = DEFAULT_SERVICE_ACCOUNTS,
): KObject[] {
  if (!ns || !namespaceIsActive(ns)) return [];
  const namespace = ns.metadata.name as string;
  return wanted
    .filter((name) => !exists(namespace, name))
    .map((name) => ({ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name, namespace } }));
}

/**
 * One reconcile of a namespace: creates what is missing. A namesake that appeared meanwhile
 * or a namespace that started terminating is not a failure; anything else is thrown, naming
 * every service account that could not be created, so the loop retries with backoff.
 */
export async function syncServiceAccounts(
  ns: KObject | undefined,
  api: ServiceAccountsApi,
  wanted: readonly string[] = DEFAULT_SERVICE_ACCOUNTS,
): Promise<{ created: string[] }> {
  const created: string[] = [];
  const failures: string[] = [];
  for (const sa of missingServiceAccounts(ns, (n, name) => api.exists(n, name), wanted)) {
    const namespace = sa.metadata.namespace as string;
    try {
      await api.create(namespace, sa);
      created.push(sa.metadata.name as string);
    } catch (e) {
      if (api.isAlreadyExists(e) || api.isNamespaceTerminating(e)) continue;
      failures.push(`creating serviceaccount ${namespace}/${sa.metadata.name}: ${(e as Error).message}`);
    }
  }
  if (failures.length) throw new Error(failures.join('; '));
  return { created };
}
