import { deepEqual } from '../../api/equality.js';
import { matchesRequirements, parseLabelSelector, type Requirement } from '../../api/selectors.js';
import type { KObject } from '../../api/types.js';
import { isConflict } from '../../client/client.js';
import type { Recorder } from '../../client/events.js';
import { rfc3339, setCondition, type HPACondition } from './conditions.js';
import type { MetricsClient } from './metrics.js';
import type { Behavior, ScalingHistory } from './normalize.js';
import { binaryMilliQuantity, decimalMilliQuantity, milliValue } from './quantity.js';
import { plainMetricReplicas, resourceReplicas, type CalculatorOptions } from './replica-calculator.js';
import { apiMessage, type Scale, type ScaleClient, type ScaleTargetRef } from './scale.js';

// reconcileAutoscaler of pkg/controller/podautoscaler/horizontal.go: one sync of one HPA.
// Reads the target's scale, proposes a count per metric, normalizes it, writes the scale and
// the status, and records upstream's events and conditions on the way.

interface MetricTarget {
  type?: string;
  averageUtilization?: number;
  averageValue?: string | number;
  value?: string | number;
}

interface MetricSpec {
  type: string;
  resource?: { name: string; target: MetricTarget };
  containerResource?: { name: string; container: string; target: MetricTarget };
}

interface HPASpec {
  scaleTargetRef: ScaleTargetRef;
  minReplicas?: number;
  maxReplicas: number;
  metrics?: MetricSpec[];
  behavior?: Behavior;
}

interface HPAStatus {
  observedGeneration?: number;
  lastScaleTime?: string;
  currentReplicas?: number;
  desiredReplicas?: number;
  currentMetrics?: Record<string, unknown>[];
  conditions?: HPACondition[];
}

export interface AutoscalerDeps {
  scales: ScaleClient;
  metrics: MetricsClient;
  /** The pods of namespace the selector matches (the controller's pod lister). */
  pods(namespace: string, selector: Requirement[]): KObject[];
  /** Other HPAs of the namespace whose selector matches one of the pods (the selector tracker). */
  otherHPAsSelecting(key: string, namespace: string, pods: KObject[]): string[];
  /** Records the selector an HPA's target currently has. */
  trackSelector(key: string, selector: Requirement[]): void;
  recorder: Recorder;
  history: ScalingHistory;
  calculator: CalculatorOptions;
  updateStatus(hpa: KObject): Promise<void>;
  now(): number;
}

/** An HPA being reconciled: a private copy of the cached object whose status is rebuilt. */
class Sync {
  readonly spec: HPASpec;
  status: HPAStatus;
  conditions: HPACondition[];

  constructor(
    readonly hpa: KObject,
    private readonly now: number,
  ) {
    this.spec = hpa.spec as HPASpec;
    this.status = structuredClone((hpa.status ?? {}) as HPAStatus);
    this.conditions = this.status.conditions ?? [];
  }

  set(type: string, status: string, reason: string, message: string): void {
    this.conditions = setCondition(this.conditions, type, status, reason, message, this.now);
  }

  /** setStatus: currentMetrics are rebuilt every sync; lastScaleTime moves on a rescale. */
  setStatus(currentReplicas: number, desiredReplicas: number, metrics: Record<string, unknown>[] | undefined, rescale: boolean): void {
    const s: HPAStatus = {};
    const generation = this.hpa.metadata.generation;
    if (generation !== undefined) s.observedGeneration = generation;
    const lastScaleTime = rescale ? rfc3339(this.now) : this.status.lastScaleTime;
    if (lastScaleTime) s.lastScaleTime = lastScaleTime;
    s.currentReplicas = currentReplicas;
    s.desiredReplicas = desiredReplicas;
    if (metrics) s.currentMetrics = metrics;
    s.conditions = this.conditions;
    this.status = s;
  }
}

class MetricError extends Error {
  constructor(
    message: string,
    readonly condition: { reason: string; message: string },
  ) {
    super(message);
  }
}

interface Proposal {
  replicas: number;
  metric: string;
  status: Record<string, unknown>;
}

function validQuantity(q: unknown): number | undefined {
  return q === undefined || q === null ? undefined : milliValue(q);
}

/** computeStatusForResourceMetricGeneric: a Resource or ContainerResource metric. */
async function resourceProposal(
  deps: AutoscalerDeps,
  sync: Sync,
  spec: MetricSpec,
  currentReplicas: number,
  selector: string,
  pods: KObject[],
): Promise<Proposal> {
  const container = spec.type === 'ContainerResource';
  const src = container ? spec.containerResource : spec.resource;
  const failReason = container ? 'FailedGetContainerResourceMetric' : 'FailedGetResourceMetric';
  const wrap = (err: string) => {
    deps.recorder.event(sync.hpa, 'Warning', failReason, err);
    const what = container ? `failed to get ${spec.containerResource?.container} container metric value` : `failed to get ${src?.name} resource metric value`;
    return new MetricError(`${what}: ${err}`, { reason: failReason, message: `the HPA was unable to compute the replica count: ${err}` });
  };
  if (!src) throw wrap(`invalid ${container ? 'container ' : ''}resource metric source: neither an average utilization target nor an average value (usage) target was set`);
  const resource = src.name;
  const containerName = container ? (spec.containerResource?.container ?? '') : '';
  const format = resource === 'memory' ? binaryMilliQuantity : decimalMilliQuantity;
  const statusOf = (current: Record<string, unknown>) =>
    container
      ? { type: 'ContainerResource', containerResource: { name: resource, container: containerName, current } }
      : { type: 'Resource', resource: { name: resource, current } };
  const now = deps.now();
  const fetch = async () => {
    try {
      return (await deps.metrics.getResourceMetric(resource, sync.hpa.metadata.namespace as string, selector, containerName)).metrics;
    } catch (e) {
      throw new Error(`unable to get metrics for resource ${resource}: ${(e as Error).message}`);
    }
  };

  const averageValue = validQuantity(src.target.averageValue);
  if (averageValue !== undefined) {
    let r: { replicas: number; usage: number };
    try {
      r = plainMetricReplicas(currentReplicas, averageValue, resource, pods, await fetch(), deps.calculator, now);
    } catch (e) {
      throw wrap(`failed to get ${resource} usage: ${(e as Error).message}`);
    }
    return { replicas: r.replicas, metric: `${resource} resource`, status: statusOf({ averageValue: format(r.usage) }) };
  }
  const target = src.target.averageUtilization;
  if (target === undefined || target === null) {
    throw wrap('invalid resource metric source: neither an average utilization target nor an average value (usage) target was set');
  }
  let r: { replicas: number; utilization: number; rawUtilization: number };
  try {
    r = resourceReplicas(currentReplicas, target, resource, containerName, pods, await fetch(), deps.calculator, now);
  } catch (e) {
    throw wrap(`failed to get ${resource} utilization: ${(e as Error).message}`);
  }
  const metric = container ? `${resource} container resource utilization (percentage of request)` : `${resource} resource utilization (percentage of request)`;
  return { replicas: r.replicas, metric, status: statusOf({ averageUtilization: r.utilization, averageValue: format(r.rawUtilization) }) };
}

interface MetricsResult {
  replicas: number;
  metric: string;
  statuses: Record<string, unknown>[];
  /** Set when some metric failed; with replicas -1 when nothing could be computed. */
  error?: Error;
}

/** computeReplicasForMetrics: the highest proposal; failures block a scale-down, not a scale-up. */
async function computeReplicasForMetrics(deps: AutoscalerDeps, sync: Sync, key: string, scale: Scale): Promise<MetricsResult> {
  const hpa = sync.hpa;
  const namespace = hpa.metadata.namespace as string;
  let requirements: Requirement[];
  if (!scale.selector) {
    const msg = 'selector is required';
    deps.recorder.event(hpa, 'Warning', 'SelectorRequired', msg);
    sync.set('ScalingActive', 'False', 'InvalidSelector', "the HPA target's scale is missing a selector");
    return { replicas: -1, metric: '', statuses: [], error: new Error(msg) };
  }
  try {
    requirements = parseLabelSelector(scale.selector);
  } catch (e) {
    const msg = `couldn't convert selector into a corresponding internal selector object: ${(e as Error).message}`;
    deps.recorder.event(hpa, 'Warning', 'InvalidSelector', msg);
    sync.set('ScalingActive', 'False', 'InvalidSelector', msg);
    return { replicas: -1, metric: '', statuses: [], error: new Error(msg) };
  }
  deps.trackSelector(key, requirements);
  const pods = deps.pods(namespace, requirements);
  const others = deps.otherHPAsSelecting(key, namespace, pods);
  if (others.length > 0) {
    const msg = `pods by selector ${scale.selector} are controlled by more than one HPA (e.g. [${[key, ...others].slice(0, 2).join(' ')}])`;
    deps.recorder.event(hpa, 'Warning', 'AmbiguousSelector', msg);
    sync.set('ScalingActive', 'False', 'AmbiguousSelector', msg);
    return { replicas: -1, metric: '', statuses: [], error: new Error(msg) };
  }

  const specs = sync.spec.metrics ?? [];
  // A metric that fails keeps an empty status at its position, as upstream's zero MetricStatus.
  const statuses: Record<string, unknown>[] = specs.map(() => ({ type: '' }));
  let replicas = 0;
  let metric = '';
  let invalid = 0;
  let firstError: MetricError | undefined;
  for (const [i, spec] of specs.entries()) {
    try {
      if (spec.type !== 'Resource' && spec.type !== 'ContainerResource') {
        const err = `unknown metric source type "${spec.type}"`;
        deps.recorder.event(hpa, 'Warning', 'InvalidMetricSourceType', err);
        throw new MetricError(err, { reason: 'InvalidMetricSourceType', message: `the HPA was unable to compute the replica count: ${err}` });
      }
      const p = await resourceProposal(deps, sync, spec, scale.specReplicas, scale.selector, pods);
      statuses[i] = p.status;
      if (replicas === 0 || p.replicas > replicas) {
        replicas = p.replicas;
        metric = p.metric;
      }
    } catch (e) {
      if (!(e instanceof MetricError)) throw e;
      if (invalid === 0) firstError = e;
      invalid++;
    }
  }
  const error = firstError ? new Error(`invalid metrics (${invalid} invalid out of ${specs.length}), first error is: ${firstError.message}`) : undefined;
  if (firstError && (invalid >= specs.length || replicas < scale.specReplicas)) {
    sync.set('ScalingActive', 'False', firstError.condition.reason, firstError.condition.message);
    return { replicas: -1, metric: '', statuses, error };
  }
  sync.set('ScalingActive', 'True', 'ValidMetricFound', `the HPA was able to successfully calculate a replica count from ${metric}`);
  return { replicas, metric, statuses, error };
}

async function updateStatusIfNeeded(deps: AutoscalerDeps, sync: Sync, original: unknown): Promise<void> {
  if (deepEqual(original ?? {}, sync.status)) return;
  const next: KObject = { ...sync.hpa, status: sync.status as Record<string, unknown> };
  try {
    await deps.updateStatus(next);
  } catch (e) {
    deps.recorder.event(sync.hpa, 'Warning', 'FailedUpdateStatus', apiMessage(e));
    throw new Error(`failed to update status for ${sync.hpa.metadata.name}: ${apiMessage(e)}`);
  }
}

const CONFLICT_RETRIES = 5;

/** Writes the count through the scale subresource, re-reading the scale after a conflict (retry.RetryOnConflict). */
async function rescale(deps: AutoscalerDeps, namespace: string, ref: ScaleTargetRef, scale: Scale, replicas: number): Promise<void> {
  let current = scale;
  for (let attempt = 1; ; attempt++) {
    try {
      await deps.scales.update(namespace, current, replicas);
      return;
    } catch (e) {
      if (!isConflict(e) || attempt >= CONFLICT_RETRIES) throw e;
      current = await deps.scales.get(namespace, ref).catch(() => current);
    }
  }
}

/**
 * One sync of one HPA. Rejects with the error upstream's reconcileAutoscaler returns (after
 * writing what status it could); the caller logs it and syncs again after the period.
 */
export async function reconcileAutoscaler(hpaShared: KObject, key: string, deps: AutoscalerDeps): Promise<void> {
  const now = deps.now();
  const sync = new Sync(hpaShared, now);
  const original = hpaShared.status;
  const hpa = sync.hpa;
  const spec = sync.spec;
  const namespace = hpa.metadata.namespace as string;
  const ref = spec.scaleTargetRef;
  const reference = `${ref.kind}/${namespace}/${ref.name}`;

  let scale: Scale;
  try {
    scale = await deps.scales.get(namespace, ref);
  } catch (e) {
    const msg = apiMessage(e);
    deps.recorder.event(hpa, 'Warning', 'FailedGetScale', msg);
    sync.set('AbleToScale', 'False', 'FailedGetScale', `the HPA controller was unable to get the target's current scale: ${msg}`);
    sync.status = { ...sync.status, conditions: sync.conditions };
    await updateStatusIfNeeded(deps, sync, original);
    throw new Error(`failed to query scale subresource for ${reference}: ${msg}`);
  }
  sync.set('AbleToScale', 'True', 'SucceededGetScale', "the HPA controller was able to get the target's current scale");
  const currentReplicas = scale.specReplicas;
  deps.history.recordInitial(key, currentReplicas, now);

  const minReplicas = spec.minReplicas ?? 1;
  let desiredReplicas = 0;
  let rescaleReason = '';
  let statuses: Record<string, unknown>[] | undefined;
  let doRescale = true;
  let retErr: Error | undefined;

  if (currentReplicas === 0 && minReplicas !== 0) {
    // Autoscaling is off while someone holds the target at zero.
    doRescale = false;
    sync.set('ScalingActive', 'False', 'ScalingDisabled', 'scaling is disabled since the replica count of the target is zero');
  } else if (currentReplicas > spec.maxReplicas) {
    rescaleReason = 'Current number of replicas above Spec.MaxReplicas';
    desiredReplicas = spec.maxReplicas;
  } else if (currentReplicas < minReplicas) {
    rescaleReason = 'Current number of replicas below Spec.MinReplicas';
    desiredReplicas = minReplicas;
  } else {
    const r = await computeReplicasForMetrics(deps, sync, key, scale);
    statuses = r.statuses;
    if (r.error && r.replicas === -1) {
      sync.setStatus(currentReplicas, sync.status.desiredReplicas ?? 0, r.statuses.length ? r.statuses : undefined, false);
      await updateStatusIfNeeded(deps, sync, original);
      deps.recorder.event(hpa, 'Warning', 'FailedComputeMetricsReplicas', r.error.message);
      throw new Error(`failed to compute desired number of replicas based on listed metrics for ${reference}: ${r.error.message}`);
    }
    retErr = r.error;
    let rescaleMetric = '';
    if (r.replicas > desiredReplicas) {
      desiredReplicas = r.replicas;
      rescaleMetric = r.metric;
    }
    if (desiredReplicas > currentReplicas) rescaleReason = `${rescaleMetric} above target`;
    if (desiredReplicas < currentReplicas) rescaleReason = 'All metrics below target';
    const input = { key, currentReplicas, desiredReplicas, minReplicas, maxReplicas: spec.maxReplicas };
    const n = spec.behavior ? deps.history.normalizeWithBehavior(input, spec.behavior, now) : deps.history.normalize(input, now);
    sync.set('AbleToScale', 'True', n.ableToScale.reason, n.ableToScale.message);
    sync.set('ScalingLimited', n.scalingLimited.limited ? 'True' : 'False', n.scalingLimited.reason, n.scalingLimited.message);
    desiredReplicas = n.replicas;
    doRescale = desiredReplicas !== currentReplicas;
  }

  if (doRescale) {
    try {
      await rescale(deps, namespace, ref, scale, desiredReplicas);
    } catch (e) {
      const msg = apiMessage(e);
      deps.recorder.event(hpa, 'Warning', 'FailedRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}; error: ${msg}`);
      sync.set('AbleToScale', 'False', 'FailedUpdateScale', `the HPA controller was unable to update the target scale: ${msg}`);
      sync.setStatus(currentReplicas, sync.status.desiredReplicas ?? 0, statuses, false);
      await updateStatusIfNeeded(deps, sync, original);
      throw new Error(`failed to rescale ${reference}: ${msg}`);
    }
    sync.set('AbleToScale', 'True', 'SucceededRescale', `the HPA controller was able to update the target scale to ${desiredReplicas}`);
    deps.recorder.event(hpa, 'Normal', 'SuccessfulRescale', `New size: ${desiredReplicas}; reason: ${rescaleReason}`);
    deps.history.storeScaleEvent(key, spec.behavior, currentReplicas, desiredReplicas, now);
  } else {
    desiredReplicas = currentReplicas;
  }
  sync.setStatus(currentReplicas, desiredReplicas, statuses, doRescale);
  await updateStatusIfNeeded(deps, sync, original);
  if (retErr) throw retErr;
}

/** The selector tracker's check, for the controller: does any of these pods match `selector`? */
export function selectsAny(selector: Requirement[], pods: KObject[]): boolean {
  return pods.some((p) => matchesRequirements(selector, p.metadata.labels as Record<string, string> | undefined));
}
