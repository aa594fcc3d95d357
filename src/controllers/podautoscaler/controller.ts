import { matchesRequirements, type Requirement } from '../../api/selectors.js';
import type { ApiClient } from '../../client/client.js';
import { HORIZONTALPODAUTOSCALERS as HPAS, PODS } from '../../client/resources.js';
import { log as defaultLog, type Logger } from '../../log.js';
import type { Recorder } from '../../client/events.js';
import { keyOfObject, splitKey, type SharedInformers } from '../../client/informer.js';
import { runController, type RunningController } from '../../client/loop.js';
import { reconcileAutoscaler, selectsAny } from './horizontal.js';
import { RestMetricsClient, type MetricsClient } from './metrics.js';
import { ScalingHistory } from './normalize.js';
import { DEFAULT_HPA_OPTIONS, type HPAOptions } from './options.js';
import { RestScaleClient, type ScaleClient } from './scale.js';

// The horizontal-pod-autoscaler controller: every HPA is synced once per sync period. A new
// HPA or a spec change (a new generation) is synced at once; other updates, such as our own
// status writes, wait for the period, so a rescale is never followed by a second one on stale
// pods (upstream's rate-limited enqueue, kubernetes#42715).


export interface HorizontalControllerOptions {
  log?: Logger;
  hpa?: Partial<HPAOptions>;
  /** Defaults to the metrics.k8s.io client over the controller's own connection. */
  metrics?: MetricsClient;
  scales?: ScaleClient;
  now?: () => number;
}

export function startHorizontalController(client: ApiClient, informers: SharedInformers, recorder: Recorder, opts: HorizontalControllerOptions = {}): RunningController {
  const o: HPAOptions = { ...DEFAULT_HPA_OPTIONS, ...opts.hpa };
  const log = opts.log ?? defaultLog;
  const now = opts.now ?? Date.now;
  const hpaInformer = informers.informer(HPAS);
  const podInformer = informers.informer(PODS);
  const history = new ScalingHistory(o.downscaleStabilizationMs);
  const selectors = new Map<string, Requirement[]>();
  const metrics = opts.metrics ?? new RestMetricsClient(client);
  const scales = opts.scales ?? new RestScaleClient(client);

  const controller = runController({
    name: 'horizontal-pod-autoscaler',
    log,
    informers: [hpaInformer, podInformer],
    // Keys are queued by the handler below, which tells adds from updates.
    keyOf: () => undefined,
    async reconcile(key) {
      const { namespace, name } = splitKey(key);
      const hpa = hpaInformer.get(namespace, name);
      if (!hpa) {
        history.forget(key);
        selectors.delete(key);
        return;
      }
      try {
        await reconcileAutoscaler(hpa, key, {
          scales,
          metrics,
          recorder,
          history,
          calculator: { tolerance: o.tolerance, cpuInitializationPeriodMs: o.cpuInitializationPeriodMs, delayOfInitialReadinessStatusMs: o.initialReadinessDelayMs },
          now,
          pods: (ns, sel) => podInformer.list(ns).filter((p) => matchesRequirements(sel, p.metadata.labels as Record<string, string> | undefined)),
          trackSelector: (k, sel) => selectors.set(k, sel),
          otherHPAsSelecting: (k, ns, pods) => [...selectors].filter(([other, sel]) => other !== k && splitKey(other).namespace === ns && selectsAny(sel, pods)).map(([other]) => other),
          updateStatus: async (obj) => {
            await client.updateStatus(HPAS, obj);
          },
        });
      } catch (e) {
        // Upstream reports the error and syncs again after the period, not with backoff.
        log('error', 'syncing HorizontalPodAutoscaler', { controller: 'horizontal-pod-autoscaler', key, error: (e as Error).message });
      }
      return { requeueAfter: o.syncPeriodMs };
    },
  });

  hpaInformer.addHandler({
    add: (hpa) => controller.queue.add(keyOfObject(hpa)),
    update: (old, cur) => {
      if (old.metadata.generation !== cur.metadata.generation) controller.queue.add(keyOfObject(cur));
      else controller.queue.addAfter(keyOfObject(cur), o.syncPeriodMs);
    },
    delete: (hpa) => controller.queue.add(keyOfObject(hpa)),
  });
  return controller;
}
