import type { KObject } from '../../api/types.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import type { InformerLike, SharedInformers } from '../../client/informer.js';
import { keyOfObject } from '../../client/informer.js';
import { selectorMatches } from '../../api/selectors.js';
import { controllerOf } from '../../client/controllerref.js';
import { runController, type RunningController } from '../../client/loop.js';
import { metadataListPatch } from '../patches.js';
import { syncDeployment } from './deployment.js';
import type { DeploymentEffects } from './types.js';
import { dspec } from './util.js';
import type { Logger } from '../../log.js';
import { DEPLOYMENTS, PODS, REPLICASETS } from '../../client/resources.js';


export function deploymentEffects(client: ApiClient, recorder: Recorder, rsInformer: InformerLike): DeploymentEffects {
  return {
    createReplicaSet: (rs) => client.create(REPLICASETS, rs.metadata.namespace, rs),
    updateReplicaSet: (rs) => client.update(REPLICASETS, rs),
    async deleteReplicaSet(rs) {
      try {
        await client.delete(REPLICASETS, rs.metadata.namespace, rs.metadata.name as string, { preconditions: { uid: rs.metadata.uid } });
      } catch (e) {
        if (!isNotFound(e)) throw e;
      }
    },
    setReplicaSetOwnerRefs: (rs, refs) =>
      client.patch(REPLICASETS, rs.metadata.namespace, rs.metadata.name as string, 'json', metadataListPatch(rs, 'ownerReferences', refs ?? [])),
    getReplicaSet: (ns, name) => rsInformer.get(ns, name),
    updateDeploymentStatus: (d) => client.updateStatus(DEPLOYMENTS, d),
    patchDeploymentAnnotations: (d, annotations) =>
      client.patch(DEPLOYMENTS, d.metadata.namespace, d.metadata.name as string, 'merge', { metadata: { annotations } }),
    event: (obj, type, reason, message) => recorder.event(obj, type, reason, message),
    now: () => Date.now(),
  };
}

export function startDeploymentController(client: ApiClient, informers: SharedInformers, recorder: Recorder, log?: Logger): RunningController {
  const dInformer = informers.informer(DEPLOYMENTS);
  const rsInformer = informers.informer(REPLICASETS);
  const podInformer = informers.informer(PODS);
  const fx = deploymentEffects(client, recorder, rsInformer);

  const deploymentsForRS = (rs: KObject): string[] => {
    const ref = controllerOf(rs);
    if (ref) return ref.kind === 'Deployment' ? [`${rs.metadata.namespace}/${ref.name}`] : [];
    return dInformer
      .list(rs.metadata.namespace)
      .filter((d) => selectorMatches(dspec(d).selector, rs.metadata.labels))
      .map(keyOfObject);
  };

  // Pods matter only to Recreate, which waits for the old ones to be gone.
  const deploymentsForPod = (pod: KObject): string[] => {
    const ref = controllerOf(pod);
    if (ref?.kind !== 'ReplicaSet') return [];
    const rs = rsInformer.get(pod.metadata.namespace, ref.name);
    if (!rs) return [];
    return deploymentsForRS(rs).filter((k) => {
      const [ns, name] = k.split('/');
      return dspec(dInformer.get(ns, name) ?? { metadata: {} }).strategy?.type === 'Recreate';
    });
  };

  return runController({
    log,
    name: 'deployment',
    informers: [dInformer, rsInformer, podInformer],
    workers: 5,
    keyOf(obj, inf) {
      if (inf === dInformer) return keyOfObject(obj);
      if (inf === rsInformer) return deploymentsForRS(obj);
      return deploymentsForPod(obj);
    },
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const d = dInformer.get(ns, name);
      if (!d) return;
      return syncDeployment(d, rsInformer.list(ns), podInformer.list(ns), fx);
    },
  });
}
