import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../../api/types.js';
import type { LabelSelector } from '../../api/selectors.js';
import type { Expectations } from '../replicaset/expectations.js';
import { BURST_REPLICAS, claimOwned, createPods, deletePods, keyOf, randomSuffix, type ReplicaSetEffects } from '../replicaset/sync.js';
import { nodeShouldRunDaemonPod, targetNodeName } from './placement.js';
import { daemonPod } from './pods.js';
import { revisionHash, templateGeneration } from './revision.js';
import { rollingUpdate } from './rolling.js';
import { calculateStatus } from './status.js';
import { planNodes, podsByNode } from './sync.js';

// One reconcile of a DaemonSet (syncDaemonSet): claim its pods, create and delete per node,
// replace old pods under RollingUpdate, then write status.

/** The pod calls are a ReplicaSet's (RealPodControl); status goes to the DaemonSet. */
export type DaemonSetEffects = ReplicaSetEffects;

interface DaemonSetSpec {
  selector?: LabelSelector;
  minReadySeconds?: number;
  updateStrategy?: { type?: string };
}

function specOf(ds: KObject): DaemonSetSpec {
  return (ds.spec ?? {}) as DaemonSetSpec;
}

/** syncNodes: creates pods on the nodes and deletes the given pods, at most a burst of each. */
async function syncNodes(ds: KObject, create: string[], remove: KObject[], fx: DaemonSetEffects, exp: Expectations, now: number): Promise<void> {
  const key = keyOf(ds);
  const nodes = create.slice(0, BURST_REPLICAS);
  const victims = remove.slice(0, BURST_REPLICAS);
  if (nodes.length === 0 && victims.length === 0) return;
  const hash = revisionHash(ds);
  const generation = templateGeneration(ds);
  const errors: Error[] = [];
  exp.expect(key, nodes.length, victims.map(keyOf), now);
  if (nodes.length) {
    let next = 0;
    const error = await createPods(ds, nodes.length, () => daemonPod(ds, nodes[next++], `${ds.metadata.name}-${randomSuffix()}`, hash, generation), fx, exp);
    if (error) errors.push(error);
  }
  if (victims.length) {
    const error = await deletePods(ds, victims, fx, exp);
    if (error) errors.push(error);
  }
  if (errors.length) throw new Error(`syncing DaemonSet ${key} on its nodes: ${errors.map((e) => e.message).join('; ')}`);
}

export async function syncDaemonSet(
  ds: KObject,
  nodes: KObject[],
  namespacePods: KObject[],
  fx: DaemonSetEffects,
  exp: Expectations,
  now: number = Date.now(),
): Promise<{ requeueAfter?: number }> {
  // A DaemonSet being deleted leaves its pods to the garbage collector.
  if (ds.metadata.deletionTimestamp) return {};
  const key = keyOf(ds);
  const hash = revisionHash(ds);
  const generation = templateGeneration(ds);
  // getDaemonPods claims finished and terminating pods too: manage replaces failed ones.
  const pods = await claimOwned(ds, 'DaemonSet', specOf(ds).selector, namespacePods, fx);
  const byNode = podsByNode(pods);
  let syncError: Error | undefined;
  if (exp.satisfied(key, now)) {
    try {
      const plan = planNodes(ds, nodes, byNode, hash, now);
      for (const p of plan.failed) {
        fx.event(ds, 'Warning', 'FailedDaemonPod', `Found failed daemon pod ${p.metadata.namespace}/${p.metadata.name} on node ${targetNodeName(p)}, will try to kill it`);
      }
      await syncNodes(ds, plan.create, plan.remove, fx, exp, now);
      if (exp.satisfied(key, now) && specOf(ds).updateStrategy?.type === 'RollingUpdate') {
        const running = new Set(nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).map((n) => n.metadata.name ?? ''));
        const step = rollingUpdate(ds, byNode, running.size, (n) => running.has(n), hash, generation, now);
        await syncNodes(ds, step.create, step.remove, fx, exp, now);
      }
    } catch (e) {
      syncError = e as Error;
    }
  }
  const status = calculateStatus(ds, nodes, byNode, hash, generation, now);
  if (!isDeepStrictEqual(ds.status ?? {}, status)) await fx.updateStatus({ ...ds, status });
  if (syncError) throw syncError;
  const minReady = specOf(ds).minReadySeconds ?? 0;
  // Availability is a matter of time alone now; nothing else will wake us.
  if (minReady > 0 && status.numberReady !== (status.numberAvailable ?? 0)) return { requeueAfter: minReady * 1000 };
  return {};
}
