import { isAlreadyExists, isNamespaceTerminating, isNotFound, type ApiClient } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { namespaceIsActive } from '../serviceaccount/serviceaccounts.js';
import { ROOT_CA_CONFIGMAP, syncRootCA, type RootCAApi } from './publisher.js';
import type { Logger } from '../../log.js';
import { CONFIGMAPS, NAMESPACES } from '../../client/resources.js';


/**
 * The root-ca-cert-publisher: keys are namespace names. An active namespace, and any
 * change to or deletion of its kube-root-ca.crt, bring the namespace up for a check.
 */
export function startRootCACertPublisher(
  client: ApiClient,
  informers: SharedInformers,
  caPem: string,
  log?: Logger,
): RunningController {
  const nsInformer = informers.informer(NAMESPACES);
  const cmInformer = informers.informer(CONFIGMAPS);
  const api: RootCAApi = {
    create: (namespace, cm) => client.create(CONFIGMAPS, namespace, cm),
    update: (cm) => client.update(CONFIGMAPS, cm),
    isNamespaceGone: (e) => isNotFound(e) || isNamespaceTerminating(e),
    isAlreadyExists,
  };
  return runController({
    log,
    name: 'root-ca-cert-publisher',
    informers: [nsInformer, cmInformer],
    keyOf: (obj, inf) => {
      if (inf === nsInformer) return namespaceIsActive(obj) ? (obj.metadata.name as string) : undefined;
      return obj.metadata.name === ROOT_CA_CONFIGMAP ? obj.metadata.namespace : undefined;
    },
    workers: 2,
    async reconcile(name) {
      await syncRootCA(nsInformer.get(undefined, name), cmInformer.get(name, ROOT_CA_CONFIGMAP), caPem, api);
    },
  });
}
