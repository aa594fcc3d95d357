import type { KObject } from '../../api/types.js';
import type { ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import type { InformerLike, SharedInformers } from '../../client/informer.js';
import { keyOfObject } from '../../client/informer.js';
import { selectorMatches, type LabelSelector } from '../../api/selectors.js';
import { controllerOf } from '../../client/controllerref.js';
import { runController, type RunningController } from '../../client/loop.js';
import { DAEMONSETS, NODES, PODS } from '../../client/resources.js';
import type { Logger } from '../../log.js';
import { Expectations, observePods } from '../replicaset/expectations.js';
import { replicaSetEffects } from '../replicaset/controller.js';
import { syncDaemonSet, type DaemonSetEffects } from './daemonset.js';

// The DaemonSet controller's loop: DaemonSets, their pods and every node feed one queue of
// DaemonSet keys; a node's change concerns every DaemonSet, since it may now fit or not.

function daemonSetEffects(client: ApiClient, recorder: Recorder): DaemonSetEffects {
  return { ...replicaSetEffects(client, recorder), updateStatus: (ds) => client.updateStatus(DAEMONSETS, ds) };
}

/** The DaemonSets a pod concerns: its controller, or for an orphan every DaemonSet that selects it. */
function daemonSetsForPod(pod: KObject, dsInformer: InformerLike): string[] {
  const ref = controllerOf(pod);
  if (ref) return ref.kind === 'DaemonSet' ? [`${pod.metadata.namespace}/${ref.name}`] : [];
  return dsInformer
    .list(pod.metadata.namespace)
    .filter((ds) => selectorMatches((ds.spec as { selector?: LabelSelector } | undefined)?.selector, pod.metadata.labels))
    .map(keyOfObject);
}

export function startDaemonSetController(client: ApiClient, informers: SharedInformers, recorder: Recorder, log?: Logger): RunningController {
  const dsInformer = informers.informer(DAEMONSETS);
  const podInformer = informers.informer(PODS);
  const nodeInformer = informers.informer(NODES);
  const exp = new Expectations();
  const fx = daemonSetEffects(client, recorder);

  // Expectations learn from the pod stream before the loop computes keys.
  observePods(podInformer, exp, 'DaemonSet');
  dsInformer.addHandler({ delete: (ds) => exp.delete(keyOfObject(ds)) });

  return runController({
    log,
    name: 'daemonset',
    informers: [dsInformer, podInformer, nodeInformer],
    workers: 2,
    keyOf: (obj, inf) => {
      if (inf === podInformer) return daemonSetsForPod(obj, dsInformer);
      if (inf === nodeInformer) return dsInformer.list().map(keyOfObject);
      return keyOfObject(obj);
    },
    async reconcile(key) {
      const [ns, name] = key.split('/');
      const ds = dsInformer.get(ns, name);
      if (!ds) return;
      return syncDaemonSet(ds, nodeInformer.list(), podInformer.list(ns), fx, exp);
    },
  });
}
