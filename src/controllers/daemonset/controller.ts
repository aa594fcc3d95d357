import type { ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import type { SharedInformers } from '../../client/informer.js';
import { keyOfObject } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { DAEMONSETS, NODES, PODS } from '../../client/resources.js';
import type { Logger } from '../../log.js';
import { Expectations, observePods } from '../replicaset/expectations.js';
import { ownersOfPod, replicaSetEffects } from '../replicaset/controller.js';
import { syncDaemonSet, type DaemonSetEffects } from './daemonset.js';

// The DaemonSet controller's loop: DaemonSets, their pods and every node feed one queue of
// DaemonSet keys; a node's change concerns every DaemonSet, since it may now fit or not.

function daemonSetEffects(client: ApiClient, recorder: Recorder): DaemonSetEffects {
  return { ...replicaSetEffects(client, recorder), updateStatus: (ds) => client.updateStatus(DAEMONSETS, ds) };
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
      if (inf === podInformer) return ownersOfPod(obj, 'DaemonSet', dsInformer);
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
