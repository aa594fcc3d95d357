import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import type { KObject } from '../../api/types.js';
import type { Node } from '../../client/resources.js';
import { isNotFound, type ApiClient } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import type { SharedInformers } from '../../client/informer.js';
import type { Taint } from '../../api/taints.js';
import { runController, type RunningController } from '../../client/loop.js';
import { DISRUPTION_MESSAGE, DISRUPTION_REASON } from './eviction.js';
import { DEFAULT_GRACE_PERIOD_MS, observeProbe, readyOf, rfc3339, type Probe } from './health.js';
import { planNode } from './plan.js';
import { taintsOf, taintsPatch } from './taints.js';
import { log as defaultLog, type Logger } from '../../log.js';
import { LEASES, NODES, PODS } from '../../client/resources.js';

// The node lifecycle controller with its taint eviction: one key per node, reconciled on
// node, Lease and (for nodes in trouble) pod changes, and again when a grace period or a
// toleration is due to run out.

export const NODE_LEASE_NAMESPACE = 'kube-node-lease';

export interface NodeLifecycleRecorders {
  /** component node-controller */
  node: Recorder;
  /** component taint-eviction-controller */
  eviction: Recorder;
}

export interface NodeLifecycleOptions {
  log?: Logger;
  /** How long a kubelet may stay silent before its node is marked Unknown (40 s). */
  gracePeriodMs?: number;
  now?: () => number;
}

function nodeInTrouble(node: Node | undefined): boolean {
  if (!node) return false;
  return readyOf(node) !== 'True' || taintsOf(node).some((t) => t.effect === 'NoExecute');
}

export function startNodeLifecycleController(
  client: ApiClient,
  informers: SharedInformers,
  recorders: NodeLifecycleRecorders,
  opts: NodeLifecycleOptions = {},
): RunningController {
  const now = opts.now ?? Date.now;
  const gracePeriodMs = opts.gracePeriodMs ?? DEFAULT_GRACE_PERIOD_MS;
  const log = opts.log ?? defaultLog;
  const nodeInformer = informers.informer(NODES);
  const leaseInformer = informers.informer(LEASES);
  const podInformer = informers.informer(PODS);
  const probes = new Map<string, Probe>();
  const taintSeen = new Map<string, number>();

  async function markPodNotReady(pod: KObject, at: number): Promise<void> {
    const cond = { type: 'Ready', status: 'False', lastTransitionTime: rfc3339(at) };
    await client.patch(PODS, pod.metadata.namespace, pod.metadata.name as string, 'strategic', { status: { conditions: [cond] } }, 'status');
    recorders.node.event(pod, 'Warning', 'NodeNotReady', 'Node is not ready');
  }

  async function evict(pod: KObject, at: number): Promise<void> {
    const ns = pod.metadata.namespace as string;
    const name = pod.metadata.name as string;
    recorders.eviction.event(pod, 'Normal', 'TaintManagerEviction', `Marking for deletion Pod ${ns}/${name}`);
    const cond = { type: 'DisruptionTarget', status: 'True', reason: DISRUPTION_REASON, message: DISRUPTION_MESSAGE, lastTransitionTime: rfc3339(at) };
    await client.patch(PODS, ns, name, 'strategic', { status: { conditions: [cond] } }, 'status');
    await client.delete(PODS, ns, name, { preconditions: { uid: pod.metadata.uid } });
  }

  /** Runs each step; NotFound means the pod is gone already. Rethrows the first other failure after trying all. */
  async function each(pods: KObject[], step: (p: KObject) => Promise<void>): Promise<void> {
    let first: unknown;
    for (const p of pods) {
      try {
        await step(p);
      } catch (e) {
        if (!isNotFound(e) && first === undefined) first = e;
      }
    }
    if (first !== undefined) throw first;
  }

  return runController({
    name: 'node-lifecycle',
    log,
    informers: [nodeInformer, leaseInformer, podInformer],
    workers: 2,
    keyOf(obj, inf) {
      if (inf === nodeInformer) return obj.metadata.name;
      if (inf === leaseInformer) return obj.metadata.namespace === NODE_LEASE_NAMESPACE ? obj.metadata.name : undefined;
      const nodeName = (obj.spec as IPodSpec | undefined)?.nodeName;
      return nodeName && nodeInTrouble(nodeInformer.get(undefined, nodeName)) ? nodeName : undefined;
    },
    async reconcile(name) {
      const node = nodeInformer.get(undefined, name);
      if (!node) {
        probes.delete(name);
        for (const k of taintSeen.keys()) if (k.startsWith(`${name}|`)) taintSeen.delete(k);
        return;
      }
      const t = now();
      const lease = leaseInformer.get(NODE_LEASE_NAMESPACE, name);
      const probe = observeProbe(probes.get(name), node, lease, t);
      probes.set(name, probe);
      const seen = (taint: Taint) => {
        const k = `${name}|${taint.key}|${taint.effect}`;
        if (!taintSeen.has(k)) taintSeen.set(k, t);
        return taintSeen.get(k) as number;
      };
      const plan = planNode({
        node,
        lease,
        now: t,
        gracePeriodMs,
        probeTime: probe.at,
        pods: () => podInformer.list().filter((p) => p.spec?.nodeName === name),
        taintSeen: seen,
      });
      if (plan.conditionUpdates.length) {
        await client.patch(NODES, undefined, name, 'strategic', { status: { conditions: plan.conditionUpdates } }, 'status');
        if (plan.becameUnknown) recorders.node.event(node, 'Normal', 'NodeNotReady', `Node ${name} status is now: NodeNotReady`);
      }
      if (plan.taints) await client.patch(NODES, undefined, name, 'json', taintsPatch(node, plan.taints));
      await each(plan.markNotReady, (p) => markPodNotReady(p, t));
      await each(plan.evict, (p) => evict(p, t));
      return plan.requeueAfterMs !== undefined ? { requeueAfter: plan.requeueAfterMs } : undefined;
    },
  });
}
