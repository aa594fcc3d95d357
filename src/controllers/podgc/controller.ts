import { isNotFound, type ApiClient } from '../../client/client.js';
import type { SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import {
  ORPHAN_MESSAGE,
  ORPHAN_REASON,
  QUARANTINE_MS,
  TERMINATED_POD_THRESHOLD,
  isTerminated,
  planOrphans,
  terminatedOverThreshold,
  terminatingOutOfService,
  unscheduledTerminating,
} from './decide.js';
import { log as defaultLog, type Logger } from '../../log.js';
import { NODES, PODS, type Pod } from '../../client/resources.js';

// The pod garbage collector: one sweep over all pods every 20 s (and when a node goes away)
// that force-deletes pods no kubelet will ever finish.

const KEY = 'podgc';
const GC_PERIOD_MS = 20_000;

export interface PodGCOptions {
  log?: Logger;
  terminatedPodThreshold?: number;
  quarantineMs?: number;
  now?: () => number;
}

function rfc3339(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function startPodGC(client: ApiClient, informers: SharedInformers, opts: PodGCOptions = {}): RunningController {
  const now = opts.now ?? Date.now;
  const log = opts.log ?? defaultLog;
  const podInformer = informers.informer(PODS);
  const nodeInformer = informers.informer(NODES);
  let missingSince = new Map<string, number>();

  /** Fails a pod that has not finished (so its owner sees why) and deletes it with no grace. */
  async function markFailedAndDelete(pod: Pod, condition?: Record<string, unknown>): Promise<void> {
    const ns = pod.metadata.namespace as string;
    const name = pod.metadata.name as string;
    try {
      if (!isTerminated(pod)) {
        const status: Record<string, unknown> = { phase: 'Failed' };
        if (condition) status.conditions = [condition];
        await client.patch(PODS, ns, name, 'strategic', { status }, 'status');
      }
      await client.delete(PODS, ns, name, { gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } });
    } catch (e) {
      if (!isNotFound(e)) throw e;
    }
  }

  /** The informer may not have seen a new node yet: only a 404 from the apiserver proves it gone. */
  async function nodeGone(name: string): Promise<boolean> {
    try {
      await client.get(NODES, undefined, name);
      return false;
    } catch (e) {
      if (isNotFound(e)) return true;
      throw e;
    }
  }

  async function sweep(): Promise<number | undefined> {
    const pods = podInformer.list();
    const nodes = new Map(nodeInformer.list().map((n) => [n.metadata.name as string, n]));
    const t = now();
    let failures = 0;
    const attempt = async (what: string, pod: Pod, step: () => Promise<void>) => {
      try {
        await step();
      } catch (e) {
        failures++;
        log('error', `podgc: ${what} failed`, { pod: `${pod.metadata.namespace}/${pod.metadata.name}`, error: (e as Error).message });
      }
    };

    for (const pod of terminatedOverThreshold(pods, opts.terminatedPodThreshold ?? TERMINATED_POD_THRESHOLD)) {
      await attempt('deleting terminated', pod, () => markFailedAndDelete(pod));
    }
    for (const pod of terminatingOutOfService(pods, nodes)) {
      await attempt('force-deleting out-of-service', pod, () => markFailedAndDelete(pod));
    }
    const orphans = planOrphans(pods, new Set(nodes.keys()), missingSince, t, opts.quarantineMs ?? QUARANTINE_MS);
    missingSince = orphans.missingSince;
    const confirmed = new Map<string, boolean>();
    for (const pod of orphans.orphans) {
      const node = pod.spec?.nodeName ?? '';
      await attempt('deleting orphaned', pod, async () => {
        if (!confirmed.has(node)) confirmed.set(node, await nodeGone(node));
        if (!confirmed.get(node)) return;
        await markFailedAndDelete(pod, { type: 'DisruptionTarget', status: 'True', reason: ORPHAN_REASON, message: ORPHAN_MESSAGE, lastTransitionTime: rfc3339(t) });
      });
    }
    for (const pod of unscheduledTerminating(pods)) {
      await attempt('deleting unscheduled terminating', pod, () => markFailedAndDelete(pod));
    }
    if (failures) throw new Error(`${failures} pod deletion(s) failed`);
    return orphans.nextInMs;
  }

  const ctl = runController({
    name: 'podgc',
    log,
    informers: [podInformer, nodeInformer],
    // The sweep looks at everything; events only matter when a node disappears (below).
    keyOf: () => undefined,
    async reconcile() {
      const next = await sweep();
      return { requeueAfter: Math.min(GC_PERIOD_MS, next ?? GC_PERIOD_MS) };
    },
  });
  nodeInformer.addHandler({ delete: () => ctl.queue.add(KEY) });
  ctl.queue.add(KEY);
  return ctl;
}
