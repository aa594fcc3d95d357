import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isNamespaceTerminating, type ApiClient } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { namespaceIsActive, syncServiceAccounts, type ServiceAccountsApi } from './serviceaccounts.js';
import type { Logger } from '../../log.js';
import { NAMESPACES, SERVICEACCOUNTS } from '../../client/resources.js';


/**
 * The serviceaccounts controller: keys are namespace names. A namespace added or changed
 * while active, and any service account deleted, bring its namespace up for a check.
 */
export function startServiceAccountsController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const nsInformer = informers.informer(NAMESPACES);
  const saInformer = informers.informer(SERVICEACCOUNTS);
  const api: ServiceAccountsApi = {
    exists: (namespace, name) => saInformer.get(namespace, name) !== undefined,
    create: (namespace, sa: KObject) => client.create(SERVICEACCOUNTS, namespace, sa),
    isAlreadyExists,
    isNamespaceTerminating,
  };
  return runController({
    log,
    name: 'serviceaccount',
    informers: [nsInformer, saInformer],
    keyOf: (obj, inf) => {
      if (inf === nsInformer) return namespaceIsActive(obj) ? (obj.metadata.name as string) : undefined;
      // Only a delete can make one go missing, but checking on every change costs a cache lookup.
      return obj.metadata.namespace;
    },
    workers: 2,
    async reconcile(name) {
      await syncServiceAccounts(nsInformer.get(undefined, name), api);
    },
  });
}
