import type { KObject } from '../../api/types.js';
import { milliValue } from './quantity.js';

// pkg/controller/podautoscaler/replica_calculator.go and metrics/utilization.go: from per-pod
// samples and the pods' requests to a replica count. Pure: the caller fetches metrics and pods.

export interface PodMetric {
  /** milli-units: millicores for cpu, millibytes for memory, as upstream's MilliValue(). */
  value: number;
  /** When the sample was taken (ms since the epoch). */
  timestamp: number;
  /** The window the sample averages over (ms). */
  windowMs: number;
}

export type PodMetricsInfo = Map<string, PodMetric>;

export interface CalculatorOptions {
  /** --horizontal-pod-autoscaler-tolerance */
  tolerance: number;
  /** --horizontal-pod-autoscaler-cpu-initialization-period */
  cpuInitializationPeriodMs: number;
  /** --horizontal-pod-autoscaler-initial-readiness-delay */
  delayOfInitialReadinessStatusMs: number;
}

interface Condition {
  type: string;
  status: string;
  lastTransitionTime?: string;
}

interface Container {
  name: string;
  restartPolicy?: string;
  resources?: { requests?: Record<string, unknown> };
}

function podStatus(pod: KObject): { phase?: string; startTime?: string; conditions?: Condition[] } {
  return (pod.status ?? {}) as { phase?: string; startTime?: string; conditions?: Condition[] };
}

function time(s: string | undefined): number | undefined {
  if (!s) return undefined;
  const t = Date.parse(s);
  return Number.isNaN(t) ? undefined : t;
}

export interface PodGroups {
  readyPodCount: number;
  unreadyPods: Set<string>;
  missingPods: Set<string>;
  ignoredPods: Set<string>;
}

/**
 * groupPods: deleted and terminal pods are ignored; pending pods, and for cpu pods that are
 * unready or whose sample predates their readiness while within the initialization period,
 * are unready; pods without a sample are missing.
 */
export function groupPods(pods: KObject[], metrics: PodMetricsInfo, resource: string, opts: CalculatorOptions, now: number): PodGroups {
  const g: PodGroups = { readyPodCount: 0, unreadyPods: new Set(), missingPods: new Set(), ignoredPods: new Set() };
  for (const pod of pods) {
    const name = pod.metadata.name as string;
    const st = podStatus(pod);
    if (pod.metadata.deletionTimestamp || st.phase === 'Failed' || st.phase === 'Succeeded') {
      g.ignoredPods.add(name);
      continue;
    }
    if (st.phase === 'Pending') {
      g.unreadyPods.add(name);
      continue;
    }
    const metric = metrics.get(name);
    if (!metric) {
      g.missingPods.add(name);
      continue;
    }
    if (resource === 'cpu') {
      const condition = st.conditions?.find((c) => c.type === 'Ready');
      const start = time(st.startTime);
      let unready: boolean;
      if (!condition || start === undefined) {
        unready = true;
      } else {
        const transition = time(condition.lastTransitionTime) ?? 0;
        if (start + opts.cpuInitializationPeriodMs > now) {
          // Within the initialization period a sample counts only once a whole window of it follows readiness.
          unready = condition.status === 'False' || metric.timestamp < transition + metric.windowMs;
        } else {
          // Afterwards only a pod that never became ready is left out.
          unready = condition.status === 'False' && start + opts.delayOfInitialReadinessStatusMs > transition;
        }
      }
      if (unready) {
        g.unreadyPods.add(name);
        continue;
      }
    }
    g.readyPodCount++;
  }
  return g;
}

/**
 * calculateRequests: each pod's request in milli-units, the sum over its containers (and
 * restartable init containers), or only the named container's.
 */
export function calculateRequests(pods: KObject[], container: string, resource: string): Map<string, number> {
  const requests = new Map<string, number>();
  for (const pod of pods) {
    const spec = (pod.spec ?? {}) as { containers?: Container[]; initContainers?: Container[] };
    const containers = [...(spec.containers ?? []), ...(spec.initContainers ?? []).filter((c) => c.restartPolicy === 'Always')];
    let request = 0;
    let found = false;
    for (const c of containers) {
      if (container === '' || container === c.name) {
        const q = c.resources?.requests?.[resource];
        const v = q === undefined ? undefined : milliValue(q);
        if (v === undefined) throw new Error(`missing request for ${resource} in container ${c.name} of Pod ${pod.metadata.name}`);
        request += v;
      }
      if (container === c.name) {
        found = true;
        break;
      }
    }
    if (container !== '' && !found) throw new Error(`container ${container} not found in Pod ${pod.metadata.name}`);
    requests.set(pod.metadata.name as string, request);
  }
  return requests;
}

export interface UtilizationRatio {
  ratio: number;
  /** Whole percent of the requests, rounded down. */
  utilization: number;
  /** The average sample in milli-units, rounded down. */
  rawAverage: number;
}

/** GetResourceUtilizationRatio: samples of pods without a known request are extraneous and skipped. */
export function resourceUtilizationRatio(metrics: PodMetricsInfo, requests: Map<string, number>, targetUtilization: number): UtilizationRatio {
  let metricsTotal = 0;
  let requestsTotal = 0;
  let entries = 0;
  for (const [name, m] of metrics) {
    const request = requests.get(name);
    if (request === undefined) continue;
    metricsTotal += m.value;
    requestsTotal += request;
    entries++;
  }
  if (requestsTotal === 0) throw new Error('no metrics returned matched known pods');
  const utilization = Math.trunc((metricsTotal * 100) / requestsTotal);
  return { ratio: utilization / targetUtilization, utilization, rawAverage: Math.trunc(metricsTotal / entries) };
}

/** GetMetricUsageRatio: the plain average of the samples against the target average. */
export function metricUsageRatio(metrics: PodMetricsInfo, targetUsage: number): { ratio: number; usage: number } {
  let total = 0;
  for (const m of metrics.values()) total += m.value;
  const usage = Math.trunc(total / metrics.size);
  return { ratio: usage / targetUsage, usage };
}

function withinTolerance(ratio: number, tolerance: number): boolean {
  return Math.abs(1 - ratio) <= tolerance;
}

/**
 * The shared tail of GetResourceReplicas and calcPlainMetricReplicas. With every pod measured
 * and ready the ratio scales the ready pods; otherwise missing pods are assumed to use
 * `missingOnScaleDown` on a scale-down and nothing on a scale-up, unready pods nothing on a
 * scale-up, and the recomputed ratio is used unless it is within tolerance or flips direction.
 */
function replicasFromSamples(
  currentReplicas: number,
  g: PodGroups,
  metrics: PodMetricsInfo,
  ratio: () => number,
  missingOnScaleDown: (pod: string) => number,
  tolerance: number,
): number {
  const first = ratio();
  const scaleUpWithUnready = g.unreadyPods.size > 0 && first > 1;
  if (!scaleUpWithUnready && g.missingPods.size === 0) {
    if (withinTolerance(first, tolerance)) return currentReplicas;
    // The ratio times the ready pods, not times currentReplicas: pods not counted are not measured.
    return Math.ceil(first * g.readyPodCount);
  }
  const assume = (pod: string, value: number) => metrics.set(pod, { value, timestamp: 0, windowMs: 0 });
  if (first < 1) for (const n of g.missingPods) assume(n, missingOnScaleDown(n));
  else if (first > 1) for (const n of g.missingPods) assume(n, 0);
  if (scaleUpWithUnready) for (const n of g.unreadyPods) assume(n, 0);

  const next = ratio();
  if (withinTolerance(next, tolerance) || (first < 1 && next > 1) || (first > 1 && next < 1)) return currentReplicas;
  const replicas = Math.ceil(next * metrics.size);
  if ((next < 1 && replicas > currentReplicas) || (next > 1 && replicas < currentReplicas)) return currentReplicas;
  return replicas;
}

/** Groups the pods and drops the samples of ignored and unready ones. */
function measuredGroups(pods: KObject[], metrics: PodMetricsInfo, resource: string, opts: CalculatorOptions, now: number): PodGroups {
  if (pods.length === 0) throw new Error('no pods returned by selector while calculating replica count');
  const g = groupPods(pods, metrics, resource, opts, now);
  for (const n of [...g.ignoredPods, ...g.unreadyPods]) metrics.delete(n);
  if (metrics.size === 0) throw new Error('did not receive metrics for targeted pods (pods might be unready)');
  return g;
}

export interface ResourceReplicas {
  replicas: number;
  /** Whole percent of the requests, before any assumed samples. */
  utilization: number;
  /** The average sample in milli-units, before any assumed samples. */
  rawUtilization: number;
}

/**
 * GetResourceReplicas for a Utilization target. `pods` are the pods the target's selector
 * matches; `metrics` is consumed (missing and unready pods get assumed samples).
 */
export function resourceReplicas(
  currentReplicas: number,
  targetUtilization: number,
  resource: string,
  container: string,
  pods: KObject[],
  metrics: PodMetricsInfo,
  opts: CalculatorOptions,
  now: number,
): ResourceReplicas {
  const g = measuredGroups(pods, metrics, resource, opts, now);
  const requests = calculateRequests(pods, container, resource);
  const first = resourceUtilizationRatio(metrics, requests, targetUtilization);
  // A missing pod on a scale-down uses its whole request, or the target when that is higher.
  const fallback = Math.max(100, targetUtilization);
  const replicas = replicasFromSamples(
    currentReplicas,
    g,
    metrics,
    () => resourceUtilizationRatio(metrics, requests, targetUtilization).ratio,
    (pod) => Math.trunc(((requests.get(pod) ?? 0) * fallback) / 100),
    opts.tolerance,
  );
  return { replicas, utilization: first.utilization, rawUtilization: first.rawAverage };
}

/** calcPlainMetricReplicas, for AverageValue targets: `metrics` is consumed as in resourceReplicas. */
export function plainMetricReplicas(
  currentReplicas: number,
  targetUsage: number,
  resource: string,
  pods: KObject[],
  metrics: PodMetricsInfo,
  opts: CalculatorOptions,
  now: number,
): { replicas: number; usage: number } {
  const g = measuredGroups(pods, metrics, resource, opts, now);
  const { usage } = metricUsageRatio(metrics, targetUsage);
  const replicas = replicasFromSamples(currentReplicas, g, metrics, () => metricUsageRatio(metrics, targetUsage).ratio, () => targetUsage, opts.tolerance);
  return { replicas, usage };
}
