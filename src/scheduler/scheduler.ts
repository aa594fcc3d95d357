import type { KObject } from '../api/types.js';
import { ApiError, isNotFound, objectPath, type ApiClient } from '../client/client.js';
import { EventRecorder, type Recorder } from '../client/events.js';
import { SharedInformers, keyOfObject, splitKey } from '../client/informer.js';
import { runController } from '../client/loop.js';
import { SchedulerCache } from './cache.js';
import { unschedulableCondition } from './conditions.js';
import {
  DEFAULT_SCHEDULER_NAME,
  isAssigned,
  needsScheduling,
  nodeSchedulingChanged,
  podReleasedNode,
  podSchedulingChanged,
} from './eventhandlers.js';
import { SchedulingBackoff, type BackoffOptions } from './queue.js';
import { schedulePod, truncateMessage } from './schedule.js';
import { log as defaultLog, type Logger } from '../log.js';
import { NODES, PODS, type Pod } from '../client/resources.js';

// The scheduler loop: informers feed the cache and the queue; one worker decides pod after
// pod (each decision sees the previous ones as assumed), bindings run concurrently behind it.


export interface SchedulerOptions {
  log?: Logger;
  /** Share the control plane's informers; otherwise the scheduler starts its own. */
  informers?: SharedInformers;
  recorder?: Recorder;
  backoff?: BackoffOptions;
  schedulerName?: string;
  now?: () => number;
}

export interface RunningScheduler {
  /** Resolves once the informers have synced and the scheduler is deciding. */
  ready: Promise<void>;
  stop(): Promise<void>;
}

export function bindingOf(pod: KObject, nodeName: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: pod.metadata.name, namespace: pod.metadata.namespace, uid: pod.metadata.uid },
    target: { apiVersion: 'v1', kind: 'Node', name: nodeName },
  };
}

export function startScheduler(client: ApiClient, opts: SchedulerOptions = {}): RunningScheduler {
  const log = opts.log ?? defaultLog;
  const schedulerName = opts.schedulerName ?? DEFAULT_SCHEDULER_NAME;
  const now = opts.now ?? Date.now;
  const ownInformers = !opts.informers;
  const informers = opts.informers ?? new SharedInformers(client, log);
  const ownRecorder = !opts.recorder;
  const recorder = opts.recorder ?? new EventRecorder(client, DEFAULT_SCHEDULER_NAME, log);
  const podInformer = informers.informer(PODS);
  const nodeInformer = informers.informer(NODES);
  const cache = new SchedulerCache();
  const backoff = new SchedulingBackoff({ now, ...opts.backoff });
  const bindings = new Set<Promise<void>>();

  const ctl = runController({
    name: 'scheduler',
    log,
    informers: [podInformer, nodeInformer],
    // Keys come from the handlers below, which need to tell old from new.
    keyOf: () => undefined,
    workers: 1,
    reconcile: scheduleOne,
  });

  // SchedulerPopFromBackoffQ (KEP-5142, on by default since 1.34): a scheduler with nothing
  // else to do does not wait out a backoff. A new cluster's add-on pods fail at first with "no
  // nodes available"; the first node's arrival must let them in now, not a second later.
  const moveAll = () => {
    for (const [key, delay] of backoff.moveAll()) ctl.queue.addAfter(key, ctl.queue.length === 0 ? 0 : delay);
  };

  nodeInformer.addHandler({
    add(node) {
      cache.setNode(node);
      moveAll();
    },
    update(old, node) {
      cache.setNode(node);
      if (nodeSchedulingChanged(old, node)) moveAll();
    },
    delete(node) {
      cache.removeNode(node.metadata.name as string);
    },
  });

  podInformer.addHandler({
    add(pod) {
      cache.observePod(pod);
      if (needsScheduling(pod, schedulerName)) ctl.queue.add(keyOfObject(pod));
    },
    update(old, pod) {
      cache.observePod(pod);
      const key = keyOfObject(pod);
      if (needsScheduling(pod, schedulerName)) {
        // A parked pod whose status alone changed (often our own condition write) stays parked.
        if (!backoff.isParked(key) || podSchedulingChanged(old, pod)) ctl.queue.add(key);
      } else {
        backoff.forget(key);
      }
      if (podReleasedNode(old, pod)) moveAll();
    },
    delete(pod) {
      cache.deletePod(pod);
      backoff.forget(keyOfObject(pod));
      if (isAssigned(pod)) moveAll();
    },
  });

  async function scheduleOne(key: string): Promise<void> {
    const { namespace, name } = splitKey(key);
    const pod = podInformer.get(namespace, name);
    if (!pod || !needsScheduling(pod, schedulerName)) {
      backoff.forget(key);
      return;
    }
    if (cache.isAssumed(pod.metadata.uid)) return;
    const attempt = backoff.beginAttempt();
    const result = schedulePod(pod, cache.snapshot());
    if ('node' in result) {
      cache.assume(pod, result.node);
      backoff.forget(key);
      const p = bind(pod, result.node, key);
      bindings.add(p);
      void p.finally(() => bindings.delete(p));
      return;
    }
    ctl.queue.addAfter(key, backoff.failed(key, attempt));
    recorder.event(pod, 'Warning', 'FailedScheduling', truncateMessage(result.message));
    await recordUnschedulable(pod, result.message);
  }

  async function bind(pod: KObject, nodeName: string, key: string): Promise<void> {
    const ns = pod.metadata.namespace as string;
    const name = pod.metadata.name as string;
    try {
      await client.request('POST', objectPath(PODS, ns, name, 'binding'), {
        body: bindingOf(pod, nodeName),
        what: `binding pod ${ns}/${name} to node ${nodeName}`,
      });
      recorder.event(pod, 'Normal', 'Scheduled', `Successfully assigned ${ns}/${name} to ${nodeName}`);
    } catch (e) {
      cache.forget(pod.metadata.uid as string);
      moveAll();
      // Gone, or bound meanwhile by someone else: the informer will tell the rest.
      if (isNotFound(e) || (e instanceof ApiError && e.status === 409)) return;
      log('error', 'scheduler: binding failed', { pod: key, node: nodeName, error: (e as Error).message });
      ctl.queue.addRateLimited(key);
    }
  }

  async function recordUnschedulable(pod: Pod, message: string): Promise<void> {
    const cond = unschedulableCondition(pod, message, now());
    if (!cond) return;
    try {
      await client.patch(PODS, pod.metadata.namespace, pod.metadata.name as string, 'strategic', { status: { conditions: [cond] } }, 'status');
    } catch (e) {
      if (!isNotFound(e)) log('error', 'scheduler: recording PodScheduled=False failed', { pod: keyOfObject(pod), error: (e as Error).message });
    }
  }

  return {
    ready: ctl.ready,
    async stop() {
      await ctl.stop();
      await Promise.all([...bindings]);
      if (ownInformers) await informers.stop();
      if (ownRecorder && recorder instanceof EventRecorder) await recorder.flush();
    },
  };
}
