import type { KObject } from '../../api/types.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import type { InformerLike, SharedInformers } from '../../client/informer.js';
import { keyOfObject } from '../../client/informer.js';
import { selectorMatches, type LabelSelector } from '../../api/selectors.js';
import { controllerOf } from '../../client/controllerref.js';
import { runController, type RunningController } from '../../client/loop.js';
import { metadataListPatch } from '../patches.js';
import { Expectations, observePods } from './expectations.js';
import { syncReplicaSet, type ReplicaSetEffects } from './sync.js';
import type { Logger } from '../../log.js';
import { PODS, REPLICASETS } from '../../client/resources.js';


export function replicaSetEffects(client: ApiClient, recorder: Recorder): ReplicaSetEffects {
  return {
    createPod: (ns, pod) => client.create(PODS, ns, pod),
    async deletePod(pod) {
      try {
        await client.delete(PODS, pod.metadata.namespace, pod.metadata.name as string, { preconditions: { uid: pod.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    async setPodOwnerRefs(pod, refs) {
      await client.patch(PODS, pod.metadata.namespace, pod.metadata.name as string, 'json', metadataListPatch(pod, 'ownerReferences', refs));
    },
    updateStatus: (rs) => client.updateStatus(REPLICASETS, rs),
    event: (obj, type, reason, message) => recorder.event(obj, type, reason, message),
  };
}

/**
 * The keys of the controllers of kind `kind` a pod concerns: its controller, or for an orphan
 * every one whose selector matches it (a candidate for adoption).
 */
export function ownersOfPod(pod: KObject, kind: string, owners: InformerLike): string[] {
  const ref = controllerOf(pod);
  if (ref) return ref.kind === kind ? [`${pod.metadata.namespace}/${ref.name}`] : [];
  return owners
    .list(pod.metadata.namespace)
    .filter((o) => selectorMatches((o.spec as { selector?: LabelSelector } | undefined)?.selector, pod.metadata.labels))
    .map(keyOfObject);
}

export function startReplicaSetController(client: ApiClient, informers: SharedInformers, recorder: Recorder, log?: Logger): RunningController {
  const rsInformer = informers.informer(REPLICASETS);
  const podInformer = informers.informer(PODS);
  const exp = new Expectations();
  const fx = replicaSetEffects(client, recorder);

  // Expectations learn from the pod stream before the loop computes keys.
  observePods(podInformer, exp, 'ReplicaSet');
  rsInformer.addHandler({ delete: (rs) => exp.delete(keyOfObject(rs)) });

  return runController({
    log,
    name: 'replicaset',
    informers: [rsInformer, podInformer],
    workers: 5,
    keyOf: (obj, inf) => (inf === podInformer ? ownersOfPod(obj, 'ReplicaSet', rsInformer) : keyOfObject(obj)),
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const rs = rsInformer.get(ns, name);
      if (!rs) return;
      return syncReplicaSet(rs, podInformer.list(ns), fx, exp);
    },
  });
}
