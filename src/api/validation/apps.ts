import type { FieldError, KObject } from '../types.js';
import { child, forbidden, GoValue, goQuote, invalid, notSupported, required } from './field.js';
import { goLabelSelector, goMap, validateLabelSelector } from './labels.js';
import { selectorMatches, type LabelSelector } from '../selectors.js';
import { arr, isObject, obj as asObject, type JsonObject } from './json.js';
import { validateImmutable, validateNonnegative } from './meta.js';
import { isValidPercent } from './names.js';
import { validatePodTemplateSpec } from './pod.js';

// Deployment and ReplicaSet rules from pkg/apis/apps/validation and the apps/v1 strategies.

export function validateDeployment(obj: KObject, old?: KObject): FieldError[] {
  const spec = asObject(obj.spec);
  const errs = validateReplicatedSpec(spec, 'spec', 'deployment');
  errs.push(...validateStrategy(spec.strategy, child('spec', 'strategy')));
  errs.push(...validateNonnegative(spec.minReadySeconds, child('spec', 'minReadySeconds')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child('spec', 'revisionHistoryLimit')));
  if (typeof spec.progressDeadlineSeconds === 'number') {
    errs.push(...validateNonnegative(spec.progressDeadlineSeconds, child('spec', 'progressDeadlineSeconds')));
    if (spec.progressDeadlineSeconds <= Number(spec.minReadySeconds ?? 0)) {
      errs.push(invalid(child('spec', 'progressDeadlineSeconds'), spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
    }
  }
  if (old) errs.push(...validateSelectorUnchanged(spec, old));
  return errs;
}

export function validateReplicaSet(obj: KObject, old?: KObject): FieldError[] {
  const spec = asObject(obj.spec);
  const errs = validateReplicatedSpec(spec, 'spec', 'deployment');
  errs.push(...validateNonnegative(spec.minReadySeconds, child('spec', 'minReadySeconds')));
  if (old) errs.push(...validateSelectorUnchanged(spec, old));
  return errs;
}

/** Selector immutability, which the apps/v1 strategies add on update. */
function validateSelectorUnchanged(spec: JsonObject, old: KObject): FieldError[] {
  const oldSpec = asObject(old.spec);
  return validateImmutable(spec.selector ?? null, oldSpec.selector ?? null, child('spec', 'selector'), goLabelSelector);
}

/**
 * Replicas, selector and template shared by Deployment and ReplicaSet. Upstream reports an
 * empty selector as "invalid for deployment" for ReplicaSets too; the wording is kept.
 */
function validateReplicatedSpec(spec: JsonObject, path: string, what: string): FieldError[] {
  const errs = validateNonnegative(spec.replicas, child(path, 'replicas'));
  const sel = spec.selector;
  if (!isObject(sel)) {
    errs.push(required(child(path, 'selector'), ''));
  } else {
    errs.push(...validateLabelSelector(sel, child(path, 'selector')));
    const n = Object.keys(asObject(sel.matchLabels)).length + arr(sel.matchExpressions).length;
    if (n === 0) errs.push(invalid(child(path, 'selector'), goLabelSelector(sel), `empty selector is invalid for ${what}`));
  }
  const tplPath = child(path, 'template');
  const tpl = spec.template;
  if (!isObject(tpl)) {
    errs.push(required(tplPath, ''));
    return errs;
  }
  const labels = isObject(tpl.metadata) && isObject(tpl.metadata.labels) ? tpl.metadata.labels : undefined;
  const selectorEmpty = !isObject(sel) || (Object.keys(asObject(sel.matchLabels)).length === 0 && arr(sel.matchExpressions).length === 0);
  // Matching compares values with ===, so a label of the wrong type just fails to match.
  if (!selectorEmpty && !selectorMatches(sel as LabelSelector, labels as Record<string, string> | undefined)) {
    errs.push(invalid(child(tplPath, 'metadata', 'labels'), goMap(labels), '`selector` does not match template `labels`'));
  }
  errs.push(...validatePodTemplateSpec(tpl, tplPath));
  const tspec = asObject(tpl.spec);
  if (tspec.restartPolicy !== undefined && tspec.restartPolicy !== 'Always') {
    errs.push(notSupported(child(tplPath, 'spec', 'restartPolicy'), tspec.restartPolicy, ['Always']));
  }
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(tplPath, 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in ReplicaSet is not Supported'));
  }
  return errs;
}

/** Go's %#v of an intstr.IntOrString, the value printed for maxSurge/maxUnavailable errors. */
export function goIntOrString(v: unknown): GoValue {
  if (typeof v === 'number') return new GoValue(`intstr.IntOrString{Type:0, IntVal:${v}, StrVal:""}`);
  return new GoValue(`intstr.IntOrString{Type:1, IntVal:0, StrVal:${goQuote(String(v ?? ''))}}`);
}

export function percentValue(v: unknown): number | undefined {
  return typeof v === 'string' && isValidPercent(v).length === 0 ? Number(v.slice(0, -1)) : undefined;
}

export function intOrPercentValue(v: unknown): number {
  const p = percentValue(v);
  if (p !== undefined) return p;
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : 0;
}

export function validatePositiveIntOrPercent(v: unknown, path: string): FieldError[] {
  if (typeof v === 'string') return isValidPercent(v).map((m) => invalid(path, goIntOrString(v), m));
  if (typeof v === 'number') return validateNonnegative(v, path);
  if (v === undefined || v === null) return [];
  return [invalid(path, goIntOrString(String(v)), "must be an integer or percentage (e.g '5%%')")];
}

function validateStrategy(strategy: unknown, path: string): FieldError[] {
  const s = asObject(strategy);
  switch (s.type) {
    case 'Recreate':
      return isObject(s.rollingUpdate) ? [forbidden(child(path, 'rollingUpdate'), "may not be specified when strategy `type` is 'Recreate'")] : [];
    case 'RollingUpdate': {
      const ru = s.rollingUpdate;
      if (!isObject(ru)) return [required(child(path, 'rollingUpdate'), 'this should be defaulted and never be nil')];
      const p = child(path, 'rollingUpdate');
      const errs = [
        ...validatePositiveIntOrPercent(ru.maxUnavailable, child(p, 'maxUnavailable')),
        ...validatePositiveIntOrPercent(ru.maxSurge, child(p, 'maxSurge')),
      ];
      if (intOrPercentValue(ru.maxUnavailable) === 0 && intOrPercentValue(ru.maxSurge) === 0) {
        errs.push(invalid(child(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable ?? 0), 'may not be 0 when `maxSurge` is 0'));
      }
      const pct = percentValue(ru.maxUnavailable);
      if (pct !== undefined && pct > 100) errs.push(invalid(child(p, 'maxUnavailable'), goIntOrString(ru.maxUnavailable), 'must not be greater than 100%'));
      return errs;
    }
    default:
      return [notSupported(path, new GoValue(goStrategy(s)), ['Recreate', 'RollingUpdate'])];
  }
}

function goStrategy(s: JsonObject): string {
  const ru = isObject(s.rollingUpdate) ? '(*apps.RollingUpdateDeployment)(...)' : '(*apps.RollingUpdateDeployment)(nil)';
  return `apps.DeploymentStrategy{Type:${goQuote(String(s.type ?? ''))}, RollingUpdate:${ru}}`;
}
