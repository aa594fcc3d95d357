// What the API server's watch history holds when objects change often: 100 HorizontalPodAutoscalers
// under load, each writing its status every 15 s sync (currentMetrics moves with every
// measurement, so upstream's controller writes too), for 30 minutes of the store's clock. The
// figure is the V8 heap the store holds after a full collection, beyond the 100 objects
// themselves: the history as it is now (75 s of changes, at least 100, at most 10,000, as
// upstream's watch cache keeps them), against the history of the previous version (the last
// 10,000 changes whatever their age), measured in the same run.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import type { KObject } from '../src/api/types.js';
import { Store, type StoreOptions } from '../src/storage/store.js';
import { runBench } from './run.js';

const HPAS = 100;
const SYNC_MS = 15_000;
const MINUTES = 30;
const RESOURCE = 'autoscaling/horizontalpodautoscalers';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** An HPA as kubectl apply and the controller leave it, its status at one measurement. */
function hpa(i: number, sync: number): KObject {
  const name = `app-${i}`;
  const spec = {
    scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name },
    minReplicas: 2,
    maxReplicas: 10,
    metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
  };
  const condition = (type: string, status: string, reason: string, message: string) => ({ type, status, lastTransitionTime: '2026-12-06T03:01:00Z', reason, message });
  const conditionFields = { '.': {}, 'f:lastTransitionTime': {}, 'f:message': {}, 'f:reason': {}, 'f:status': {}, 'f:type': {} };
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: {
      name,
      namespace: 'default',
      uid: `7f0c1d8e-2b7a-4c55-9d0e-${String(i).padStart(12, '0')}`,
      generation: 1,
      creationTimestamp: '2026-12-06T03:00:00Z',
      annotations: { 'kubectl.kubernetes.io/last-applied-configuration': JSON.stringify({ apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name, namespace: 'default' }, spec }) },
      managedFields: [
        { manager: 'kubectl-client-side-apply', operation: 'Update', apiVersion: 'autoscaling/v2', time: '2026-12-06T03:00:00Z', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:annotations': { '.': {}, 'f:kubectl.kubernetes.io/last-applied-configuration': {} } }, 'f:spec': { 'f:maxReplicas': {}, 'f:metrics': {}, 'f:minReplicas': {}, 'f:scaleTargetRef': {} } } },
        {
          manager: 'kube-controller-manager',
          operation: 'Update',
          apiVersion: 'autoscaling/v2',
          time: '2026-12-06T03:05:00Z',
          fieldsType: 'FieldsV1',
          subresource: 'status',
          fieldsV1: { 'f:status': { 'f:conditions': { '.': {}, 'k:{"type":"AbleToScale"}': conditionFields, 'k:{"type":"ScalingActive"}': conditionFields, 'k:{"type":"ScalingLimited"}': conditionFields }, 'f:currentMetrics': {}, 'f:currentReplicas': {}, 'f:desiredReplicas': {} } },
        },
      ],
    },
    spec,
    status: {
      currentReplicas: 4,
      desiredReplicas: 4,
      currentMetrics: [{ type: 'Resource', resource: { name: 'cpu', current: { averageValue: `${100 + sync}m`, averageUtilization: 50 + (sync % 40) } } }],
      conditions: [
        condition('AbleToScale', 'True', 'ReadyForNewScale', 'recommended size matches current size'),
        condition('ScalingActive', 'True', 'ValidMetricFound', 'the HPA was able to successfully calculate a replica count from cpu resource utilization (percentage of request)'),
        condition('ScalingLimited', 'False', 'DesiredWithinRange', 'the desired count is within the acceptable range'),
      ],
    },
  };
}

/** The heap (MB) the store holds beyond its objects after MINUTES of status writes, and the changes its history keeps then. */
function measure(opts: StoreOptions): { mb: number; kept: number } {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-watch-history-'));
  let now = 0;
  const store = Store.open(dir, { ...opts, now: () => now });
  try {
    for (let i = 0; i < HPAS; i++) store.create(RESOURCE, hpa(i, 0));
    gc();
    gc();
    const base = process.memoryUsage().heapUsed;
    const start = store.revision();
    for (let sync = 1; sync <= (MINUTES * 60_000) / SYNC_MS; sync++) {
      now = sync * SYNC_MS;
      for (let i = 0; i < HPAS; i++) store.update(RESOURCE, hpa(i, sync));
    }
    gc();
    gc();
    const mb = (process.memoryUsage().heapUsed - base) / 1048576;
    return { mb, kept: store.revision() - Math.max(start, store.oldestWatchableOf(RESOURCE)) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

runBench(async () => {
  const bytes = JSON.stringify(hpa(0, 1)).length;
  const previous = measure({ minHistory: 10_000 });
  const now = measure({});
  console.log(`watch history: ${HPAS} HPAs writing their status every ${SYNC_MS / 1000} s for ${MINUTES} min (${bytes} bytes each), V8 heap held beyond the objects`);
  console.log(`  previous version (last 10,000 changes)  ${previous.mb.toFixed(1).padStart(5)} MB, ${previous.kept} changes kept`);
  console.log(`  now (75 s, at least 100, at most 10,000) ${now.mb.toFixed(1).padStart(5)} MB, ${now.kept} changes kept   (ratio ${(now.mb / previous.mb).toFixed(2)})`);
});
