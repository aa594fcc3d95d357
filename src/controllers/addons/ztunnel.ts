import type { KObject } from '../../api/types.js';
import { isAlreadyExists, isNamespaceTerminating, isNotFound, type ApiClient } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { NODES, PODS, SERVICEACCOUNTS } from '../../client/resources.js';
import type { Logger } from '../../log.js';
import { ISTIO_NAMESPACE, ZTUNNEL_NAME, ztunnelPod } from './istio.js';

// One mesh node proxy per node, as the DaemonSet controller keeps Istio's ztunnel: a node
// without a live ztunnel pod gets one bound to it, and a pod whose node is gone is deleted.
// The whole set is one key: the decision looks at every node and every ztunnel pod at once.

const KEY = 'ztunnel';
/** While istio-system does not exist yet (the add-on is installing), look again this soon. */
const WAIT_NAMESPACE_MS = 1000;

export interface ZtunnelPlan {
  create: string[];
  /** Names of pods to delete. */
  remove: string[];
}

/** Which nodes need a ztunnel pod and which pods have lost their node. */
export function planZtunnels(nodes: KObject[], pods: KObject[]): ZtunnelPlan {
  const nodeNames = new Set(nodes.map((n) => n.metadata.name ?? ''));
  const covered = new Set<string>();
  const remove: string[] = [];
  for (const p of pods) {
    const node = (p.spec as { nodeName?: string } | undefined)?.nodeName ?? '';
    if (!nodeNames.has(node)) {
      if (!p.metadata.deletionTimestamp) remove.push(p.metadata.name ?? '');
      continue;
    }
    // A pod on its way out still holds its name; its successor is made once it is gone.
    covered.add(node);
  }
  return { create: [...nodeNames].filter((n) => !covered.has(n)).sort(), remove: remove.sort() };
}

/**
 * Like a DaemonSet that exists once the Istio add-on is installed: nothing is made before the
 * add-on's ztunnel ServiceAccount, whose arrival starts the first round.
 */
export function startZtunnelController(client: ApiClient, informers: SharedInformers, log?: Logger): RunningController {
  const nodes = informers.informer(NODES);
  const pods = informers.informer(PODS);
  const accounts = informers.informer(SERVICEACCOUNTS);
  const ours = (p: KObject) => p.metadata.namespace === ISTIO_NAMESPACE && p.metadata.labels?.app === ZTUNNEL_NAME;
  const isAccount = (a: KObject) => a.metadata.namespace === ISTIO_NAMESPACE && a.metadata.name === ZTUNNEL_NAME;
  const running = runController({
    log,
    name: 'ztunnel-controller',
    informers: [nodes, pods, accounts],
    keyOf: (obj, inf) => (inf === nodes || (inf === accounts ? isAccount(obj) : ours(obj)) ? KEY : undefined),
    async reconcile() {
      if (!accounts.get(ISTIO_NAMESPACE, ZTUNNEL_NAME)) return;
      const plan = planZtunnels(nodes.list(), pods.list().filter(ours));
      for (const node of plan.create) {
        try {
          await client.create(PODS, ISTIO_NAMESPACE, ztunnelPod(node));
        } catch (e) {
          if (isAlreadyExists(e)) continue;
          if (isNotFound(e) || isNamespaceTerminating(e)) return { requeueAfter: WAIT_NAMESPACE_MS };
          throw new Error(`creating the ztunnel pod of node ${node}: ${(e as Error).message}`, { cause: e });
        }
      }
      for (const name of plan.remove) {
        try {
          await client.delete(PODS, ISTIO_NAMESPACE, name);
        } catch (e) {
          if (!isNotFound(e)) throw new Error(`deleting ztunnel pod ${ISTIO_NAMESPACE}/${name}, whose node is gone: ${(e as Error).message}`, { cause: e });
        }
      }
    },
  });
  return running;
}
