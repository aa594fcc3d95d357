import { KINDS } from '../../api/kinds.js';
import type { KObject } from '../../api/types.js';
import { isNotFound, resourceOf, type ApiClient, type Resource } from '../../client/client.js';
import type { Lister, SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { syncNamespace, type NamespaceContentApi } from './deleter.js';
import type { Logger } from '../../log.js';
import { NAMESPACES, PODS } from '../../client/resources.js';


/** Every namespaced kind the cluster serves: what a namespace deletion must empty. */
export function namespacedResources(): Resource[] {
  return KINDS.filter((d) => d.namespaced && (d.verbs ?? []).includes('delete')).map((d) => resourceOf(d));
}

export function namespaceContentApi(client: ApiClient): NamespaceContentApi {
  return {
    async list(res, namespace) {
      return (await client.list(res, namespace)).items ?? [];
    },
    async delete(res, namespace, obj) {
      try {
        await client.delete(res, namespace, obj.metadata.name as string, {
          propagationPolicy: 'Background',
          preconditions: obj.metadata.uid ? { uid: obj.metadata.uid } : undefined,
        });
      } catch (e) {
        // Gone already, or replaced by a namesake we must not touch: either way not ours.
        if (isNotFound(e) || (e as { status?: number }).status === 409) return;
        throw e;
      }
    },
    updateStatus: (ns: KObject) => client.updateStatus(NAMESPACES, ns),
    finalize: (ns: KObject) => client.update(NAMESPACES, ns, 'finalize'),
  };
}

/**
 * The terminating namespace of a pod that is gone (no longer in the pods' cache, which drops it
 * before telling its handlers), so that the namespace is looked at again as soon as one of its
 * pods goes rather than only after the estimate of its pods' grace periods (upstream's only
 * trigger): pods that exit at once on SIGTERM leave it ready to finalize within a second, not
 * 30. A pod's other events bring nothing: each look lists every namespaced resource.
 */
export function namespaceOfGonePod(pod: KObject, namespaces: Lister, pods: Lister): string | undefined {
  const namespace = pod.metadata.namespace;
  if (!namespace || pods.get(namespace, pod.metadata.name as string)) return undefined;
  return namespaces.get(undefined, namespace)?.metadata.deletionTimestamp ? namespace : undefined;
}

export function startNamespaceController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const nsInformer = informers.informer(NAMESPACES);
  const podInformer = informers.informer(PODS);
  const api = namespaceContentApi(client);
  const resources = namespacedResources();
  return runController({
    log,
    name: 'namespace',
    informers: [nsInformer, podInformer],
    keyOf: (obj, inf) => (inf === podInformer ? namespaceOfGonePod(obj, nsInformer, podInformer) : obj.metadata.deletionTimestamp ? (obj.metadata.name as string) : undefined),
    workers: 2,
    async reconcile(name) {
      // Read through the API: a stale cached resourceVersion would only earn a conflict.
      let ns: KObject;
      try {
        ns = await client.get(NAMESPACES, undefined, name);
      } catch (e) {
        if (isNotFound(e)) return;
        throw e;
      }
      const r = await syncNamespace(ns, resources, api);
      return r.requeueAfter !== undefined ? { requeueAfter: r.requeueAfter } : undefined;
    },
  });
}
