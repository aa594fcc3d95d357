import type { IHorizontalPodAutoscaler as IHPAv1 } from 'kubernetes-models/autoscaling/v1/HorizontalPodAutoscaler';
import type { IHorizontalPodAutoscaler as IHPAv2 } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { IMetricSpec } from 'kubernetes-models/autoscaling/v2/MetricSpec';
import type { IMetricStatus } from 'kubernetes-models/autoscaling/v2/MetricStatus';
import type { IMetricTarget } from 'kubernetes-models/autoscaling/v2/MetricTarget';
import type { IMetricValueStatus } from 'kubernetes-models/autoscaling/v2/MetricValueStatus';
import type { IMetricSpec as IMetricSpecV1 } from 'kubernetes-models/autoscaling/v2beta1/MetricSpec';
import type { IMetricStatus as IMetricStatusV1 } from 'kubernetes-models/autoscaling/v2beta1/MetricStatus';
import type { KObject, ObjectOf } from '../types.js';
import { groupVersionOf } from '../types.js';
import { obj as asObject, type JsonObject } from '../validation/json.js';

// HorizontalPodAutoscaler conversion between autoscaling/v2 (storage), v2beta2 (same schema)
// and v1, as pkg/apis/autoscaling/v1/conversion.go: v1 carries a single CPU utilization target,
// and everything else v2 can express travels in annotations so that v1 round trips lose nothing.

// The objects converted were type-checked in their own version when written (typed decoding),
// so they are read through kubernetes-models types. What the round-trip annotations hold is any
// text a user set: it is parsed as unknown and read through narrowing.

export const METRIC_SPECS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/metrics';
export const METRIC_STATUSES_ANNOTATION = 'autoscaling.alpha.kubernetes.io/current-metrics';
export const CONDITIONS_ANNOTATION = 'autoscaling.alpha.kubernetes.io/conditions';
export const BEHAVIOR_ANNOTATION = 'autoscaling.alpha.kubernetes.io/behavior';
const ROUND_TRIP_ANNOTATIONS = [METRIC_SPECS_ANNOTATION, METRIC_STATUSES_ANNOTATION, CONDITIONS_ANNOTATION, BEHAVIOR_ANNOTATION];

const GROUP = 'autoscaling';

export function convertHPA(obj: KObject, toVersion: string): KObject {
  const from = groupVersionOf(obj.apiVersion ?? `${GROUP}/v2`).version;
  if (!['v1', 'v2', 'v2beta2'].includes(toVersion)) throw new Error(`converting HorizontalPodAutoscaler ${obj.metadata?.name ?? ''}: version ${toVersion} is not served`);
  if (!['v1', 'v2', 'v2beta2'].includes(from)) throw new Error(`converting HorizontalPodAutoscaler ${obj.metadata?.name ?? ''}: unknown version ${from}`);
  const v2 = from === 'v1' ? v1ToV2(obj as ObjectOf<IHPAv1>) : { ...structuredClone(obj), apiVersion: `${GROUP}/v2` };
  if (toVersion === 'v1') return v2ToV1(v2 as ObjectOf<IHPAv2>);
  return { ...v2, apiVersion: `${GROUP}/${toVersion}` };
}

/** o without its undefined fields, so that they are absent rather than null in JSON. */
function defined<T extends object>(o: T): T {
  for (const [k, v] of Object.entries(o)) if (v === undefined) delete (o as JsonObject)[k];
  return o;
}

function renameKeys(v: unknown, rename: (k: string) => string): unknown {
  if (Array.isArray(v)) return v.map((x) => renameKeys(x, rename));
  if (v === null || typeof v !== 'object') return v;
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k ? rename(k) : k, renameKeys(x, rename)]));
}

function isCPUUtilization(m: IMetricSpec): boolean {
  return m?.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource?.target?.averageUtilization === 'number';
}

function v2ToV1(obj: ObjectOf<IHPAv2>): KObject {
  const spec: Partial<IHPAv2['spec'] & object> = obj.spec ?? {};
  const status = obj.status;
  const metadata = structuredClone(obj.metadata);
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  for (const a of ROUND_TRIP_ANNOTATIONS) delete annotations[a];

  const metrics: IMetricSpec[] = Array.isArray(spec.metrics) ? spec.metrics : [];
  const cpu = metrics.find(isCPUUtilization);
  const others = metrics.filter((m) => !isCPUUtilization(m)).map(metricSpecToV1);
  if (others.length) annotations[METRIC_SPECS_ANNOTATION] = JSON.stringify(others);
  const current: IMetricStatus[] = Array.isArray(status?.currentMetrics) ? status.currentMetrics : [];
  if (current.length) annotations[METRIC_STATUSES_ANNOTATION] = JSON.stringify(current.map(metricStatusToV1));
  // Upstream marshals the internal behavior type, which has no json tags: keys are Go field names.
  if (spec.behavior) annotations[BEHAVIOR_ANNOTATION] = JSON.stringify(renameKeys(spec.behavior, (k) => k[0].toUpperCase() + k.slice(1)));
  const conditions = Array.isArray(status?.conditions) ? status.conditions : [];
  if (conditions.length) annotations[CONDITIONS_ANNOTATION] = JSON.stringify(conditions);
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;

  const out: KObject = {
    apiVersion: `${GROUP}/v1`,
    kind: obj.kind ?? 'HorizontalPodAutoscaler',
    metadata,
    spec: defined({
      scaleTargetRef: structuredClone(spec.scaleTargetRef),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      targetCPUUtilizationPercentage: cpu?.resource?.target.averageUtilization,
    }),
  };
  if (status) {
    const cpuNow = current.find((m) => m?.type === 'Resource' && m.resource?.name === 'cpu' && typeof m.resource?.current?.averageUtilization === 'number');
    out.status = defined({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentCPUUtilizationPercentage: cpuNow?.resource?.current.averageUtilization,
    });
  }
  return out;
}

function v1ToV2(obj: ObjectOf<IHPAv1>): KObject {
  const spec: Partial<IHPAv1['spec'] & object> = obj.spec ?? {};
  const status = obj.status;
  const metadata = structuredClone(obj.metadata);
  const annotations: Record<string, string> = { ...(metadata.annotations ?? {}) };
  const parse = (k: string): unknown => {
    if (!(k in annotations)) return undefined;
    try {
      return JSON.parse(annotations[k]);
    } catch {
      // Upstream ignores an annotation it cannot decode.
      return undefined;
    }
  };
  const others = parse(METRIC_SPECS_ANNOTATION);
  const currentMetrics = parse(METRIC_STATUSES_ANNOTATION);
  const conditions = parse(CONDITIONS_ANNOTATION);
  const behavior = parse(BEHAVIOR_ANNOTATION);
  for (const a of ROUND_TRIP_ANNOTATIONS) delete annotations[a];
  if (Object.keys(annotations).length) metadata.annotations = annotations;
  else delete metadata.annotations;

  const metrics: JsonObject[] = Array.isArray(others) ? others.map(metricSpecFromV1) : [];
  if (typeof spec.targetCPUUtilizationPercentage === 'number') {
    metrics.push({ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: spec.targetCPUUtilizationPercentage } } });
  }
  const out: KObject = {
    apiVersion: `${GROUP}/v2`,
    kind: obj.kind ?? 'HorizontalPodAutoscaler',
    metadata,
    spec: defined({
      scaleTargetRef: structuredClone(spec.scaleTargetRef),
      minReplicas: spec.minReplicas,
      maxReplicas: spec.maxReplicas,
      metrics: metrics.length ? metrics : undefined,
      // Go's decoder matches field names case-insensitively, so both spellings are read.
      behavior: behavior && typeof behavior === 'object' ? renameKeys(behavior, (k) => k[0].toLowerCase() + k.slice(1)) : undefined,
    }),
  };
  if (status) {
    let current: JsonObject[] | undefined;
    if (Array.isArray(currentMetrics)) current = currentMetrics.map(metricStatusFromV1);
    else if (typeof status.currentCPUUtilizationPercentage === 'number') {
      current = [{ type: 'Resource', resource: { name: 'cpu', current: { averageUtilization: status.currentCPUUtilizationPercentage } } }];
    }
    out.status = defined({
      observedGeneration: status.observedGeneration,
      lastScaleTime: status.lastScaleTime,
      currentReplicas: status.currentReplicas ?? 0,
      desiredReplicas: status.desiredReplicas ?? 0,
      currentMetrics: current,
      conditions: Array.isArray(conditions) ? conditions : undefined,
    });
  }
  return out;
}

// The v1 metric shapes below are autoscaling/v1's MetricSpec and MetricStatus, which exist
// only inside the round-trip annotations (they are the older v2beta1 layout, whose types serve).

function metricSpecToV1(m: IMetricSpec): IMetricSpecV1 {
  const out: IMetricSpecV1 = { type: m.type };
  const t = (x: { target?: IMetricTarget } | undefined): Partial<IMetricTarget> => x?.target ?? {};
  if (m.object) {
    out.object = defined({
      target: m.object.describedObject, metricName: m.object.metric?.name, targetValue: t(m.object).value ?? '0',
      selector: m.object.metric?.selector, averageValue: t(m.object).averageValue,
    });
  }
  if (m.pods) out.pods = defined({ metricName: m.pods.metric?.name, targetAverageValue: t(m.pods).averageValue ?? '0', selector: m.pods.metric?.selector });
  if (m.resource) {
    out.resource = defined({ name: m.resource.name, targetAverageUtilization: t(m.resource).averageUtilization, targetAverageValue: t(m.resource).averageValue });
  }
  if (m.containerResource) {
    out.containerResource = defined({
      name: m.containerResource.name, targetAverageUtilization: t(m.containerResource).averageUtilization,
      targetAverageValue: t(m.containerResource).averageValue, container: m.containerResource.container,
    });
  }
  if (m.external) {
    out.external = defined({
      metricName: m.external.metric?.name, metricSelector: m.external.metric?.selector, targetValue: t(m.external).value,
      targetAverageValue: t(m.external).averageValue,
    });
  }
  return out;
}

/** A v1 MetricSpec from an annotation (unchecked text) as the v2 JSON that validation then checks. */
function metricSpecFromV1(raw: unknown): JsonObject {
  const m = asObject(raw);
  const out: JsonObject = { type: m.type };
  if (m.object) {
    const o = asObject(m.object);
    out.object = {
      describedObject: o.target,
      target: defined({ type: o.averageValue === undefined ? 'Value' : 'AverageValue', value: o.targetValue, averageValue: o.averageValue }),
      metric: defined({ name: o.metricName, selector: o.selector }),
    };
  }
  if (m.pods) {
    const p = asObject(m.pods);
    out.pods = {
      metric: defined({ name: p.metricName, selector: p.selector }),
      target: { type: 'AverageValue', averageValue: p.targetAverageValue },
    };
  }
  for (const f of ['resource', 'containerResource']) {
    if (!m[f]) continue;
    const r = asObject(m[f]);
    out[f] = defined({
      name: r.name,
      target: defined({
        type: r.targetAverageUtilization === undefined ? 'AverageValue' : 'Utilization',
        averageUtilization: r.targetAverageUtilization,
        averageValue: r.targetAverageValue,
      }),
      container: r.container,
    });
  }
  if (m.external) {
    const e = asObject(m.external);
    out.external = {
      metric: defined({ name: e.metricName, selector: e.metricSelector }),
      target: defined({ type: e.targetAverageValue === undefined ? 'Value' : 'AverageValue', value: e.targetValue, averageValue: e.targetAverageValue }),
    };
  }
  return out;
}

function metricStatusToV1(m: IMetricStatus): IMetricStatusV1 {
  const out: IMetricStatusV1 = { type: m.type };
  const c = (x: { current?: IMetricValueStatus } | undefined): Partial<IMetricValueStatus> => x?.current ?? {};
  if (m.object) {
    out.object = defined({
      target: m.object.describedObject, metricName: m.object.metric?.name, currentValue: c(m.object).value ?? '0',
      selector: m.object.metric?.selector, averageValue: c(m.object).averageValue,
    });
  }
  if (m.pods) out.pods = defined({ metricName: m.pods.metric?.name, currentAverageValue: c(m.pods).averageValue ?? '0', selector: m.pods.metric?.selector });
  if (m.resource) {
    const r = m.resource;
    out.resource = defined({ name: r.name, currentAverageUtilization: c(r).averageUtilization, currentAverageValue: c(r).averageValue ?? '0' });
  }
  if (m.containerResource) {
    const r = m.containerResource;
    out.containerResource = defined({
      name: r.name, currentAverageUtilization: c(r).averageUtilization, currentAverageValue: c(r).averageValue ?? '0', container: r.container,
    });
  }
  if (m.external) {
    out.external = defined({
      metricName: m.external.metric?.name, metricSelector: m.external.metric?.selector, currentValue: c(m.external).value ?? '0',
      currentAverageValue: c(m.external).averageValue,
    });
  }
  return out;
}

/** A v1 MetricStatus from an annotation (unchecked text) as v2 JSON. */
function metricStatusFromV1(raw: unknown): JsonObject {
  const m = asObject(raw);
  const out: JsonObject = { type: m.type };
  if (m.object) {
    const o = asObject(m.object);
    out.object = {
      describedObject: o.target, metric: defined({ name: o.metricName, selector: o.selector }),
      current: defined({ value: o.currentValue, averageValue: o.averageValue }),
    };
  }
  if (m.pods) {
    const p = asObject(m.pods);
    out.pods = { metric: defined({ name: p.metricName, selector: p.selector }), current: { averageValue: p.currentAverageValue } };
  }
  for (const f of ['resource', 'containerResource']) {
    if (!m[f]) continue;
    const r = asObject(m[f]);
    out[f] = defined({
      name: r.name, current: defined({ averageUtilization: r.currentAverageUtilization, averageValue: r.currentAverageValue }), container: r.container,
    });
  }
  if (m.external) {
    const e = asObject(m.external);
    out.external = {
      metric: defined({ name: e.metricName, selector: e.metricSelector }),
      current: defined({ value: e.currentValue, averageValue: e.currentAverageValue }),
    };
  }
  return out;
}
