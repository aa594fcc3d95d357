import type { KObject } from '../api/types.js';
import { keyOfObject, type InformerLike } from './informer.js';
import { WorkQueue } from './workqueue.js';
import { isConflict, isNotFound } from './client.js';
import { log as defaultLog, type Logger } from '../log.js';

const QUIET_RETRIES = 3;

// The controller loop of ARCHITECTURE rule 2: informer events become keys in a work
// queue, workers reconcile keys, failures come back with per-key exponential backoff.

export interface ReconcileResult {
  /** Reconcile the key again after this many milliseconds even if nothing changes. */
  requeueAfter?: number;
  /**
   * Reconcile the key again after its rate limiter's backoff (controller-runtime's
   * Result.Requeue, client-go's AddRateLimited): "look again now" without a busy loop that
   * would hold the event loop, since a reconcile answered from caches never waits on I/O.
   */
  requeue?: boolean;
}

export type KeyFunc = (obj: KObject, informer: InformerLike) => string | string[] | undefined | null;

export interface ControllerSpec {
  name: string;
  informers: InformerLike[];
  /** Which keys an object's change concerns; called with both old and new on updates. */
  keyOf: KeyFunc;
  reconcile(key: string): Promise<ReconcileResult | void>;
  workers?: number;
  log?: Logger;
}

export interface RunningController {
  readonly name: string;
  readonly queue: WorkQueue;
  /** Resolves once every informer has listed and the workers are running. */
  readonly ready: Promise<void>;
  stop(): Promise<void>;
}

export function runController(spec: ControllerSpec): RunningController {
  const log = spec.log ?? defaultLog;
  const queue = new WorkQueue();
  let stopped = false;

  const enqueue = (obj: KObject, inf: InformerLike) => {
    let keys: string | string[] | undefined | null;
    try {
      keys = spec.keyOf(obj, inf);
    } catch (e) {
      log('error', 'controller: mapping an object to keys failed', { controller: spec.name, kind: obj.kind, object: keyOfObject(obj), error: (e as Error).message });
      return;
    }
    if (keys == null) return;
    for (const k of Array.isArray(keys) ? keys : [keys]) queue.add(k);
  };

  for (const inf of spec.informers) {
    inf.addHandler({
      add: (o) => enqueue(o, inf),
      update: (o, n) => {
        enqueue(o, inf);
        enqueue(n, inf);
      },
      delete: (o) => enqueue(o, inf),
    });
  }

  const worker = async () => {
    for (;;) {
      const key = await queue.get();
      if (key === undefined) return;
      try {
        const res = await spec.reconcile(key);
        if (res?.requeue) {
          if (!stopped) queue.addRateLimited(key);
        } else {
          queue.forget(key);
          if (res && res.requeueAfter !== undefined && !stopped) queue.addAfter(key, res.requeueAfter);
        }
      } catch (e) {
        const n = queue.numRequeues(key);
        // A conflict or a vanished object usually means our cache lagged one of our own
        // writes; the retry sorts it out, so only persistent ones are worth a log line.
        const routine = (isConflict(e) || isNotFound(e)) && n < QUIET_RETRIES;
        if (!routine) log('error', 'controller: reconcile failed', { controller: spec.name, key, attempt: n + 1, error: (e as Error).message });
        if (!stopped) queue.addRateLimited(key);
      } finally {
        queue.done(key);
      }
    }
  };

  for (const inf of spec.informers) inf.start();
  let workers: Promise<void>[] = [];
  const ready = Promise.all(spec.informers.map((i) => i.waitForSync())).then(() => {
    if (stopped) return;
    workers = Array.from({ length: Math.max(1, spec.workers ?? 1) }, () => worker());
  });

  return {
    name: spec.name,
    queue,
    ready,
    async stop() {
      stopped = true;
      queue.shutDown();
      await Promise.all(workers);
    },
  };
}
