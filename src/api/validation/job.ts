import type { FieldError, KObject } from '../types.js';
import { selectorMatches, type LabelSelector } from '../selectors.js';
import { CONTROLLER_UID_LABEL, LEGACY_CONTROLLER_UID_LABEL } from '../strategy/job.js';
import { child, GoValue, invalid, key, notSupported, required } from './field.js';
import { goLabelSelector, goMap, validateLabelSelector } from './labels.js';
import { isObject, jsonEqual, type JsonObject } from './json.js';
import { FIELD_IMMUTABLE, validateImmutable, validateNonnegative } from './meta.js';
import { isDNS1123Label } from './names.js';
import { validatePodTemplateSpec } from './pod.js';

// ValidateJob / ValidateJobUpdate from pkg/apis/batch/validation, in upstream's order.

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100000;

function specOf(job: KObject): JsonObject {
  return isObject(job.spec) ? job.spec : {};
}

function templateLabels(spec: JsonObject): Record<string, string> | undefined {
  const tpl = isObject(spec.template) ? spec.template : {};
  return isObject(tpl.metadata) && isObject(tpl.metadata.labels) ? (tpl.metadata.labels as Record<string, string>) : undefined;
}

export function validateJob(job: KObject, old?: KObject): FieldError[] {
  const spec = specOf(job);
  const errs: FieldError[] = [];
  if (!old) errs.push(...validateGeneratedSelector(job, spec));
  errs.push(...validateJobSpec(spec, 'spec'));
  if (!old && spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    // Pods of an Indexed Job are named and hostnamed `<job>-<index>`.
    const hostname = `${job.metadata.name ?? ''}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length) {
      errs.push(invalid(child('metadata', 'name'), job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  if (old) errs.push(...validateJobSpecUpdate(spec, specOf(old)));
  return errs;
}

/** Unless the selector is manual, it and the pod labels must carry this Job's uid. */
function validateGeneratedSelector(job: KObject, spec: JsonObject): FieldError[] {
  if (spec.manualSelector === true || !isObject(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  if (!uid) errs.push(required(child('metadata', 'uid'), ''));
  const expected: Record<string, string> = { [CONTROLLER_UID_LABEL]: uid };
  const matchLabels = isObject(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  if (LEGACY_CONTROLLER_UID_LABEL in matchLabels) expected[LEGACY_CONTROLLER_UID_LABEL] = uid;
  const labels = templateLabels(spec);
  const metaPath = child('spec', 'template', 'metadata', 'labels');
  for (const [k, v] of Object.entries(expected)) {
    if (!labels || !(k in labels)) errs.push(required(key(metaPath, k), `must be '${v}'`));
    else if (labels[k] !== v) errs.push(invalid(key(metaPath, k), goMap(labels), `must be '${v}'`));
    if (!selectorMatches(spec.selector as LabelSelector, { [k]: v })) {
      errs.push(invalid(child('spec', 'selector'), goLabelSelector(spec.selector), '`selector` not auto-generated'));
    }
  }
  return errs;
}

function validateJobSpec(spec: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished']) {
    errs.push(...validateNonnegative(spec[f], child(path, f)));
  }
  if (spec.completionMode != null) {
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      errs.push(notSupported(child(path, 'completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
    }
    if (spec.completionMode === 'Indexed') {
      if (spec.completions == null) errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
      if (typeof spec.parallelism === 'number' && spec.parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
        errs.push(invalid(child(path, 'parallelism'), spec.parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
      }
    }
  }
  errs.push(...validatePodReplacementPolicy(spec, child(path, 'podReplacementPolicy')));
  const sel = spec.selector;
  if (!isObject(sel)) errs.push(required(child(path, 'selector'), ''));
  else errs.push(...validateLabelSelector(sel, child(path, 'selector')));
  // Generated or manual, the selector must match the pods the Job will make.
  const labels = templateLabels(spec);
  if (isObject(sel) && !selectorMatches(sel as LabelSelector, labels)) {
    errs.push(invalid(child(path, 'template', 'metadata', 'labels'), goMap(labels), '`selector` does not match template `labels`'));
  }
  const tpl = isObject(spec.template) ? spec.template : {};
  errs.push(...validatePodTemplateSpec(tpl, child(path, 'template')));
  const restartPolicy = isObject(tpl.spec) ? tpl.spec.restartPolicy : undefined;
  const policyPath = child(path, 'template', 'spec', 'restartPolicy');
  // Defaulting turns an unset restartPolicy into Always, so both read as "not chosen".
  if (restartPolicy === 'Always' || restartPolicy == null || restartPolicy === '') {
    errs.push(required(policyPath, 'valid values: "OnFailure", "Never"'));
  } else if (restartPolicy !== 'OnFailure' && restartPolicy !== 'Never') {
    errs.push(notSupported(policyPath, restartPolicy, ['OnFailure', 'Never']));
  } else if (spec.podFailurePolicy != null && restartPolicy !== 'Never') {
    errs.push(invalid(policyPath, restartPolicy, 'only "Never" is supported when podFailurePolicy is specified'));
  }
  return errs;
}

function validatePodReplacementPolicy(spec: JsonObject, path: string): FieldError[] {
  const p = spec.podReplacementPolicy;
  if (p == null) return [];
  if (spec.podFailurePolicy != null) return p === 'Failed' ? [] : [notSupported(path, p, ['Failed'])];
  return p === 'Failed' || p === 'TerminatingOrFailed' ? [] : [notSupported(path, p, ['Failed', 'TerminatingOrFailed'])];
}

/**
 * ValidateJobSpecUpdate. Completions may change only for an "elastic" Indexed Job, whose
 * completions track its parallelism; the template only while the Job is suspended and has
 * never started, and then only in its scheduling directives (not supported here: immutable).
 */
function validateJobSpecUpdate(spec: JsonObject, old: JsonObject): FieldError[] {
  const errs: FieldError[] = [];
  const elastic = spec.completionMode === 'Indexed' && spec.completions === spec.parallelism && old.completions === old.parallelism;
  if (!elastic) errs.push(...validateImmutable(spec.completions ?? null, old.completions ?? null, child('spec', 'completions')));
  errs.push(...validateImmutable(spec.selector ?? null, old.selector ?? null, child('spec', 'selector'), goLabelSelector));
  if (!jsonEqual(spec.template ?? null, old.template ?? null)) {
    errs.push(invalid(child('spec', 'template'), new GoValue('core.PodTemplateSpec{...}'), FIELD_IMMUTABLE));
  }
  errs.push(...validateImmutable(spec.completionMode ?? null, old.completionMode ?? null, child('spec', 'completionMode')));
  errs.push(...validateImmutable(spec.podFailurePolicy ?? null, old.podFailurePolicy ?? null, child('spec', 'podFailurePolicy'), () => new GoValue('&batch.PodFailurePolicy{...}')));
  errs.push(...validateImmutable(spec.backoffLimitPerIndex ?? null, old.backoffLimitPerIndex ?? null, child('spec', 'backoffLimitPerIndex')));
  errs.push(...validateImmutable(spec.managedBy ?? null, old.managedBy ?? null, child('spec', 'managedBy')));
  return errs;
}
