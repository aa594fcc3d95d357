import type { FieldError, KObject } from '../types.js';
import { selectorMatches, type LabelSelector } from '../selectors.js';
import { goIntOrString, intOrPercentValue, percentValue, validatePositiveIntOrPercent } from './apps.js';
import { child, forbidden, GoValue, goQuote, invalid, notSupported, required } from './field.js';
import { goLabelSelector, goMap, validateLabelSelector } from './labels.js';
import { isObject, type JsonObject } from './json.js';
import { validateImmutable, validateNonnegative } from './meta.js';
import { validatePodTemplateSpec } from './pod.js';

// ValidateDaemonSet / ValidateDaemonSetUpdate from pkg/apis/apps/validation, in upstream's order.

export function validateDaemonSet(obj: KObject, old?: KObject): FieldError[] {
  const spec: JsonObject = isObject(obj.spec) ? obj.spec : {};
  const errs = validateDaemonSetSpec(spec, 'spec');
  if (old) {
    const oldSpec: JsonObject = isObject(old.spec) ? old.spec : {};
    errs.push(...validateImmutable(spec.selector ?? null, oldSpec.selector ?? null, child('spec', 'selector'), goLabelSelector));
  }
  return errs;
}

function validateDaemonSetSpec(spec: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const sel = spec.selector;
  const tplPath = child(path, 'template');
  const tpl: JsonObject = isObject(spec.template) ? spec.template : {};
  const labels = isObject(tpl.metadata) && isObject(tpl.metadata.labels) ? tpl.metadata.labels : undefined;
  if (isObject(sel)) errs.push(...validateLabelSelector(sel, child(path, 'selector')));
  // A missing selector selects nothing (LabelSelectorAsSelector(nil)), so the template cannot match it.
  if (!isObject(sel) || !selectorMatches(sel as LabelSelector, labels as Record<string, string> | undefined)) {
    errs.push(invalid(child(tplPath, 'metadata', 'labels'), goMap(labels), '`selector` does not match template `labels`'));
  }
  if (isObject(sel) && Object.keys(isObject(sel.matchLabels) ? sel.matchLabels : {}).length + (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0) {
    errs.push(invalid(child(path, 'selector'), goLabelSelector(sel), 'empty selector is invalid for daemonset'));
  }
  errs.push(...validatePodTemplateSpec(tpl, tplPath));
  const tspec: JsonObject = isObject(tpl.spec) ? tpl.spec : {};
  if ((tspec.restartPolicy ?? 'Always') !== 'Always') {
    errs.push(notSupported(child(tplPath, 'spec', 'restartPolicy'), tspec.restartPolicy, ['Always']));
  }
  if (tspec.activeDeadlineSeconds !== undefined && tspec.activeDeadlineSeconds !== null) {
    errs.push(forbidden(child(tplPath, 'spec', 'activeDeadlineSeconds'), 'activeDeadlineSeconds in DaemonSet is not Supported'));
  }
  errs.push(...validateNonnegative(spec.minReadySeconds, child(path, 'minReadySeconds')));
  errs.push(...validateUpdateStrategy(spec.updateStrategy, child(path, 'updateStrategy')));
  errs.push(...validateNonnegative(spec.revisionHistoryLimit, child(path, 'revisionHistoryLimit')));
  return errs;
}

function validateUpdateStrategy(strategy: unknown, path: string): FieldError[] {
  const s: JsonObject = isObject(strategy) ? strategy : {};
  switch (s.type) {
    case 'OnDelete':
      return [];
    case 'RollingUpdate': {
      if (!isObject(s.rollingUpdate)) return [required(child(path, 'rollingUpdate'), '')];
      return validateRollingUpdate(s.rollingUpdate, child(path, 'rollingUpdate'));
    }
    default: {
      const ru = isObject(s.rollingUpdate) ? '(*apps.RollingUpdateDaemonSet)(...)' : '(*apps.RollingUpdateDaemonSet)(nil)';
      return [notSupported(path, new GoValue(`apps.DaemonSetUpdateStrategy{Type:${goQuote(String(s.type ?? ''))}, RollingUpdate:${ru}}`), ['RollingUpdate', 'OnDelete'])];
    }
  }
}

/** Both bounds non-negative and at most 100%, and exactly one of them non-zero. */
function validateRollingUpdate(ru: JsonObject, path: string): FieldError[] {
  const unavailablePath = child(path, 'maxUnavailable');
  const surgePath = child(path, 'maxSurge');
  const errs = [...validatePositiveIntOrPercent(ru.maxUnavailable, unavailablePath), ...validatePositiveIntOrPercent(ru.maxSurge, surgePath)];
  for (const [v, p] of [[ru.maxUnavailable, unavailablePath], [ru.maxSurge, surgePath]] as const) {
    const pct = percentValue(v);
    if (pct !== undefined && pct > 100) errs.push(invalid(p, goIntOrString(v), 'must not be greater than 100%'));
  }
  const hasUnavailable = intOrPercentValue(ru.maxUnavailable) !== 0;
  const hasSurge = intOrPercentValue(ru.maxSurge) !== 0;
  if (hasUnavailable && hasSurge) errs.push(invalid(surgePath, goIntOrString(ru.maxSurge), 'may not be set when maxUnavailable is non-zero'));
  else if (!hasUnavailable && !hasSurge) errs.push(required(unavailablePath, 'cannot be 0 when maxSurge is 0'));
  return errs;
}
