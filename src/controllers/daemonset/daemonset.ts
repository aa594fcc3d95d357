import { isDeepStrictEqual } from 'node:util';
import type { KObject } from '../../api/types.js';
import type { LabelSelector } from '../../api/selectors.js';
import { isNamespaceTerminating } from '../../client/client.js';
import { claim, newControllerRef } from '../../client/controllerref.js';
import type { Expectations } from '../replicaset/expectations.js';
import { keyOf, randomSuffix, slowStartBatch, BURST_REPLICAS, type ReplicaSetEffects } from '../replicaset/sync.js';
import { nodeShouldRunDaemonPod } from './placement.js';
import { daemonPod } from './pods.js';
import { revisionHash, templateGeneration } from './revision.js';
import { rollingUpdateDeletions } from './rolling.js';
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

/** getDaemonPods: every pod of the namespace the DaemonSet owns after adoption and release. */
async function claimPods(ds: KObject, pods: KObject[], fx: DaemonSetEffects): Promise<KObject[]> {
  const owned: KObject[] = [];
  for (const p of pods) {
    const c = claim(ds, specOf(ds).selector, p);
    if (c === 'owned') owned.push(p);
    else if (c === 'adopt') {
      await fx.setPodOwnerRefs(p, [...(p.metadata.ownerReferences ?? []), newControllerRef(ds, 'apps/v1', 'DaemonSet')]);
      owned.push(p);
    } else if (c === 'release') {
      await fx.setPodOwnerRefs(p, (p.metadata.ownerReferences ?? []).filter((r) => r.uid !== ds.metadata.uid));
    }
  }
  return owned;
}

/** syncNodes: creates pods on the nodes in slow-start batches and deletes the given pods, with events as RealPodControl records them. */
async function syncNodes(ds: KObject, create: string[], remove: KObject[], fx: DaemonSetEffects, exp: Expectations, now: number): Promise<void> {
  const key = keyOf(ds);
  const nodes = create.slice(0, BURST_REPLICAS);
  const victims = remove.slice(0, BURST_REPLICAS);
  if (nodes.length === 0 && victims.length === 0) return;
  const hash = revisionHash(ds);
  const generation = templateGeneration(ds);
  const errors: Error[] = [];
  if (nodes.length) {
    exp.expectCreations(key, nodes.length, now);
    let next = 0;
    const { attempted, error } = await slowStartBatch(nodes.length, 1, async () => {
      const pod = daemonPod(ds, nodes[next++], `${ds.metadata.name}-${randomSuffix()}`, hash, generation);
      try {
        const created = await fx.createPod(ds.metadata.namespace as string, pod);
        fx.event(ds, 'Normal', 'SuccessfulCreate', `Created pod: ${created.metadata.name}`);
      } catch (e) {
        exp.creationObserved(key);
        if (isNamespaceTerminating(e)) return;
        fx.event(ds, 'Warning', 'FailedCreate', `Error creating: ${(e as Error).message}`);
        throw e;
      }
    });
    for (let i = attempted; i < nodes.length; i++) exp.creationObserved(key);
    if (error) errors.push(error);
  }
  if (victims.length) {
    // Expectations are replaced, not added to: deletions are expected only when nothing was created.
    if (!nodes.length) exp.expectDeletions(key, victims.map(keyOf), now);
    const results = await Promise.allSettled(
      victims.map(async (p) => {
        try {
          await fx.deletePod(p);
          fx.event(ds, 'Normal', 'SuccessfulDelete', `Deleted pod: ${p.metadata.name}`);
        } catch (e) {
          exp.deletionObserved(key, keyOf(p));
          fx.event(ds, 'Warning', 'FailedDelete', `Error deleting: ${(e as Error).message}`);
          throw e;
        }
      }),
    );
    for (const r of results) if (r.status === 'rejected') errors.push(r.reason as Error);
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
  const pods = await claimPods(ds, namespacePods, fx);
  const byNode = podsByNode(pods);
  let syncError: Error | undefined;
  if (exp.satisfied(key, now)) {
    try {
      const plan = planNodes(ds, nodes, byNode);
      await syncNodes(ds, plan.create, plan.remove, fx, exp, now);
      if (exp.satisfied(key, now) && specOf(ds).updateStrategy?.type === 'RollingUpdate') {
        const desired = nodes.filter((n) => nodeShouldRunDaemonPod(n, ds).shouldRun).length;
        await syncNodes(ds, [], rollingUpdateDeletions(ds, byNode, desired, hash, generation, now), fx, exp, now);
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
