import type { FieldError, KObject } from '../types.js';
import { child, forbidden, index, invalid, notSupported, required } from './field.js';
import { arr, isObject, isOneOf, obj, type JsonObject } from './json.js';
import { isValidPathSegmentName } from './names.js';
import { parseQuantity } from './quantity.js';

// HorizontalPodAutoscaler (autoscaling/v2, the storage version) rules from
// pkg/apis/autoscaling/validation.

const METRIC_SOURCE_TYPES = ['ContainerResource', 'External', 'Object', 'Pods', 'Resource'];
const SOURCE_FIELD: Record<string, string> = {
  ContainerResource: 'containerResource', External: 'external', Object: 'object', Pods: 'pods', Resource: 'resource',
};
const MAX_PERIOD_SECONDS = 1800;
const MAX_STABILIZATION_WINDOW_SECONDS = 3600;

export function validateHPA(hpa: KObject): FieldError[] {
  const spec = obj(hpa.spec);
  const sp = 'spec';
  const errs: FieldError[] = [];
  const min = spec.minReplicas;
  const max = spec.maxReplicas;
  if (typeof min === 'number' && min < 1) errs.push(invalid(child(sp, 'minReplicas'), min, 'must be greater than 0'));
  if (typeof max !== 'number' || max < 1) errs.push(invalid(child(sp, 'maxReplicas'), max ?? 0, 'must be greater than 0'));
  if (typeof min === 'number' && typeof max === 'number' && max < min) errs.push(invalid(child(sp, 'maxReplicas'), max, 'must be greater than or equal to `minReplicas`'));
  errs.push(...validateCrossVersionObjectReference(spec.scaleTargetRef, child(sp, 'scaleTargetRef')));
  arr(spec.metrics).forEach((m: unknown, i: number) => errs.push(...validateMetricSpec(m, index(child(sp, 'metrics'), i))));
  if (isObject(spec.behavior)) errs.push(...validateBehavior(spec.behavior, child(sp, 'behavior')));
  return errs;
}

export function validateCrossVersionObjectReference(ref: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['kind', 'name']) {
    const v = isObject(ref) && typeof ref[f] === 'string' ? ref[f] : '';
    if (!v) errs.push(required(child(path, f), ''));
    else for (const m of isValidPathSegmentName(v)) errs.push(invalid(child(path, f), v, m));
  }
  return errs;
}

function validateMetricSpec(raw: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const m = obj(raw);
  const type = typeof m.type === 'string' ? m.type : '';
  if (!type) errs.push(required(child(path, 'type'), 'must specify a metric source type'));
  if (!METRIC_SOURCE_TYPES.includes(type)) errs.push(notSupported(child(path, 'type'), type, METRIC_SOURCE_TYPES));
  const present = Object.values(SOURCE_FIELD).filter((f) => isObject(m[f]));
  if (present.length >= 1) {
    const first = present[0];
    const src = obj(m[first]);
    const fp = child(path, first);
    switch (first) {
      case 'resource':
      case 'containerResource':
        if (!src.name) errs.push(required(child(fp, 'name'), 'must specify a resource name'));
        if (first === 'containerResource' && !src.container) errs.push(required(child(fp, 'container'), 'must specify a container'));
        errs.push(...validateMetricTarget(src.target, child(fp, 'target')));
        break;
      case 'pods':
      case 'external':
        errs.push(...validateMetricIdentifier(src.metric, child(fp, 'metric')));
        errs.push(...validateMetricTarget(src.target, child(fp, 'target')));
        break;
      case 'object':
        errs.push(...validateCrossVersionObjectReference(src.describedObject, child(fp, 'describedObject')));
        errs.push(...validateMetricIdentifier(src.metric, child(fp, 'metric')));
        errs.push(...validateMetricTarget(src.target, child(fp, 'target')));
        break;
    }
  }
  const expected = SOURCE_FIELD[type] ?? type.toLowerCase();
  if (!present.includes(expected)) errs.push(required(child(path, expected), 'must populate information for the given metric source'));
  if (present.length !== 1) {
    for (const f of present.filter((f) => f !== expected)) errs.push(forbidden(child(path, f), 'must populate the given metric source only'));
  }
  return errs;
}

function validateMetricIdentifier(id: unknown, path: string): FieldError[] {
  return isObject(id) && id.name ? [] : [required(child(path, 'name'), 'must specify a metric name')];
}

function validateMetricTarget(t: unknown, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const target = obj(t);
  if (!target.type) errs.push(required(child(path, 'type'), 'must specify a metric target type'));
  if (!isOneOf(target.type, ['Utilization', 'Value', 'AverageValue'])) {
    errs.push(invalid(child(path, 'type'), target.type ?? '', 'must be either Utilization, Value, or AverageValue'));
  }
  for (const f of ['value', 'averageValue']) {
    if (target[f] === undefined || target[f] === null) continue;
    const q = parseQuantity(target[f]);
    if (q === undefined || q <= 0) errs.push(invalid(child(path, f), String(target[f]), 'must be positive'));
  }
  if (typeof target.averageUtilization === 'number' && target.averageUtilization < 1) {
    errs.push(invalid(child(path, 'averageUtilization'), target.averageUtilization, 'must be greater than 0'));
  }
  return errs;
}

function validateBehavior(b: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const dir of ['scaleUp', 'scaleDown']) {
    const rules = b[dir];
    if (!isObject(rules)) continue;
    const rp = child(path, dir);
    const w = rules.stabilizationWindowSeconds;
    if (typeof w === 'number' && w < 0) errs.push(invalid(child(rp, 'stabilizationWindowSeconds'), w, 'must be greater than or equal to zero'));
    if (typeof w === 'number' && w > MAX_STABILIZATION_WINDOW_SECONDS) {
      errs.push(invalid(child(rp, 'stabilizationWindowSeconds'), w, `must be less than or equal to ${MAX_STABILIZATION_WINDOW_SECONDS}`));
    }
    if (rules.selectPolicy !== undefined && !isOneOf(rules.selectPolicy, ['Max', 'Min', 'Disabled'])) {
      errs.push(notSupported(child(rp, 'selectPolicy'), rules.selectPolicy, ['Disabled', 'Max', 'Min']));
    }
    const policies = arr(rules.policies);
    if (Array.isArray(rules.policies) && policies.length === 0) errs.push(required(child(rp, 'policies'), 'must specify at least one Policy'));
    policies.forEach((rawPolicy, i) => {
      const p = obj(rawPolicy);
      const pp = index(child(rp, 'policies'), i);
      if (p.type !== 'Pods' && p.type !== 'Percent') errs.push(notSupported(child(pp, 'type'), p.type ?? '', ['Percent', 'Pods']));
      if (typeof p.value !== 'number' || p.value <= 0) errs.push(invalid(child(pp, 'value'), p.value ?? 0, 'must be greater than zero'));
      if (typeof p.periodSeconds !== 'number' || p.periodSeconds <= 0) errs.push(invalid(child(pp, 'periodSeconds'), p.periodSeconds ?? 0, 'must be greater than zero'));
      else if (p.periodSeconds > MAX_PERIOD_SECONDS) errs.push(invalid(child(pp, 'periodSeconds'), p.periodSeconds, `must be less than or equal to ${MAX_PERIOD_SECONDS}`));
    });
  }
  return errs;
}
