import type { FieldError, KObject } from '../types.js';
import { selectorMatches, type LabelSelector } from '../selectors.js';
import { CONTROLLER_UID_LABEL, JOB_NAME_LABEL, LEGACY_CONTROLLER_UID_LABEL, LEGACY_JOB_NAME_LABEL } from '../strategy/job.js';
import { child, duplicate, GoValue, goQuote, index, invalid, key, notSupported, OMIT_VALUE, required, tooLong, tooMany } from './field.js';
import { goLabelSelector, goMap, validateLabelSelector } from './labels.js';
import { arr, isObject, jsonEqual, type JsonObject } from './json.js';
import { FIELD_IMMUTABLE, validateImmutable, validateNonnegative } from './meta.js';
import { httpPathError, isDNS1123Label, isDNS1123Subdomain, isQualifiedName } from './names.js';
import { validatePodTemplateSpec } from './pod.js';

// ValidateJob / ValidateJobUpdate from pkg/apis/batch/validation, in upstream's order.

const MAX_PARALLELISM_FOR_INDEXED_JOB = 100_000;
const MAX_FAILED_INDEXES = 100_000;
const COMPLETIONS_SOFT_LIMIT = 100_000;
const HIGH_COMPLETIONS_LIMIT = 10_000;
const MAX_POD_FAILURE_POLICY_RULES = 20;
const MAX_POD_FAILURE_POLICY_PATTERNS = 20;
const MAX_EXIT_CODE_VALUES = 255;

function specOf(job: KObject): JsonObject {
  return isObject(job.spec) ? job.spec : {};
}

function templateLabels(spec: JsonObject): Record<string, string> | undefined {
  const tpl = isObject(spec.template) ? spec.template : {};
  return isObject(tpl.metadata) && isObject(tpl.metadata.labels) ? (tpl.metadata.labels as Record<string, string>) : undefined;
}

/** ValidateJob, and on update ValidateJobUpdate after it, as the job strategy runs them both. */
export function validateJob(job: KObject, old?: KObject): FieldError[] {
  const spec = specOf(job);
  // Jobs from before the prefixed labels keep validating without them.
  const prefixed = !old || templateLabels(specOf(old))?.[CONTROLLER_UID_LABEL] !== undefined;
  const errs = validateGeneratedSelector(job, spec, prefixed);
  errs.push(...validateJobSpec(spec, 'spec'));
  if (spec.completionMode === 'Indexed' && typeof spec.completions === 'number' && spec.completions > 0) {
    // Pods of an Indexed Job are named and hostnamed `<job>-<index>`.
    const hostname = `${job.metadata.name ?? ''}-${spec.completions - 1}`;
    if (isDNS1123Label(hostname).length) {
      errs.push(invalid(child('metadata', 'name'), job.metadata.name ?? '', `will not able to create pod with invalid DNS label: ${hostname}`));
    }
  }
  if (old) errs.push(...validateJobSpec(spec, 'spec'), ...validateJobSpecUpdate(spec, old));
  return errs;
}

/**
 * Unless the selector is manual, the pod labels must be the generated ones and the selector
 * must select them (validateGeneratedSelector).
 */
function validateGeneratedSelector(job: KObject, spec: JsonObject, prefixed: boolean): FieldError[] {
  if (spec.manualSelector === true || !isObject(spec.selector)) return [];
  const errs: FieldError[] = [];
  const uid = job.metadata.uid ?? '';
  const name = job.metadata.name ?? '';
  if (!uid) errs.push(required(child('metadata', 'uid'), ''));
  const expected: [string, string][] = [
    [LEGACY_CONTROLLER_UID_LABEL, uid],
    [LEGACY_JOB_NAME_LABEL, name],
    ...(prefixed ? ([[CONTROLLER_UID_LABEL, uid], [JOB_NAME_LABEL, name]] as [string, string][]) : []),
  ];
  const labels = templateLabels(spec);
  const labelsPath = child('spec', 'template', 'metadata', 'labels');
  for (const [k, v] of expected) {
    if (!labels || !(k in labels)) errs.push(required(key(labelsPath, k), `must be '${v}'`));
    else if (labels[k] !== v) errs.push(invalid(key(labelsPath, k), goMap(labels), `must be '${v}'`));
  }
  if (!selectorMatches(spec.selector as LabelSelector, Object.fromEntries(expected))) {
    errs.push(invalid(child('spec', 'selector'), goLabelSelector(spec.selector), '`selector` not auto-generated'));
  }
  return errs;
}

/** ValidateJobSpec: the spec's own rules, then the selector and whether it selects the template. */
function validateJobSpec(spec: JsonObject, path: string): FieldError[] {
  const errs = validateJobSpecFields(spec, path);
  const sel = spec.selector;
  if (!isObject(sel)) errs.push(required(child(path, 'selector'), ''));
  else errs.push(...validateLabelSelector(sel, child(path, 'selector')));
  // Generated or manual, the selector must match the pods the Job will make.
  const labels = templateLabels(spec);
  if (isObject(sel) && !selectorMatches(sel as LabelSelector, labels)) {
    errs.push(invalid(child(path, 'template', 'metadata', 'labels'), goMap(labels), '`selector` does not match template `labels`'));
  }
  return errs;
}

/** Upstream's unexported validateJobSpec: every rule of a Job spec but its selector, shared with a CronJob's jobTemplate. */
export function validateJobSpecFields(spec: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  for (const f of ['parallelism', 'completions', 'activeDeadlineSeconds', 'backoffLimit', 'ttlSecondsAfterFinished', 'backoffLimitPerIndex']) {
    errs.push(...validateNonnegative(spec[f], child(path, f)));
  }
  if (spec.maxFailedIndexes != null) {
    errs.push(...validateNonnegative(spec.maxFailedIndexes, child(path, 'maxFailedIndexes')));
    if (spec.backoffLimitPerIndex == null) errs.push(required(child(path, 'backoffLimitPerIndex'), 'when maxFailedIndexes is specified'));
  }
  if (spec.managedBy != null) errs.push(...validateManagedBy(String(spec.managedBy), child(path, 'managedBy')));
  if (spec.completionMode != null) {
    if (spec.completionMode !== 'NonIndexed' && spec.completionMode !== 'Indexed') {
      errs.push(notSupported(child(path, 'completionMode'), spec.completionMode, ['NonIndexed', 'Indexed']));
    }
    if (spec.completionMode === 'Indexed') errs.push(...validateIndexedLimits(spec, path));
  }
  if (spec.completionMode == null || spec.completionMode === 'NonIndexed') {
    for (const f of ['backoffLimitPerIndex', 'maxFailedIndexes']) {
      if (spec[f] != null) errs.push(invalid(child(path, f), spec[f], 'requires indexed completion mode'));
    }
  }
  if (isObject(spec.podFailurePolicy)) errs.push(...validatePodFailurePolicy(spec, spec.podFailurePolicy, child(path, 'podFailurePolicy')));
  if (isObject(spec.successPolicy)) {
    if (spec.completionMode !== 'Indexed') errs.push(invalid(child(path, 'successPolicy'), new GoValue('batch.SuccessPolicy{...}'), 'requires indexed completion mode'));
    else errs.push(...validateSuccessPolicy(spec, spec.successPolicy, child(path, 'successPolicy')));
  }
  errs.push(...validatePodReplacementPolicy(spec, child(path, 'podReplacementPolicy')));
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

const MAX_MANAGED_BY_LENGTH = 63;

/** IsDomainPrefixedPath, then the length limit: the controller that runs the Job, named as "acme.io/foo". */
function validateManagedBy(value: string, path: string): FieldError[] {
  if (value === '') return [required(path, '')];
  const slash = value.indexOf('/');
  const errs: FieldError[] = [];
  if (slash < 1 || slash === value.length - 1) errs.push(invalid(path, value, 'must be a domain-prefixed path (such as "acme.io/foo")'));
  else {
    const host = value.slice(0, slash);
    for (const m of isDNS1123Subdomain(host)) errs.push(invalid(path, host, m));
    const rest = value.slice(slash + 1);
    const pathError = httpPathError(rest);
    if (pathError) errs.push(invalid(path, rest, pathError));
  }
  if (value.length > MAX_MANAGED_BY_LENGTH) errs.push(tooLong(path, MAX_MANAGED_BY_LENGTH));
  return errs;
}

/** The bounds of an Indexed Job, which keeps per-index state for every completion. */
function validateIndexedLimits(spec: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const num = (v: unknown) => (typeof v === 'number' ? v : undefined);
  const completions = num(spec.completions);
  const parallelism = num(spec.parallelism);
  const maxFailed = num(spec.maxFailedIndexes);
  if (spec.completions == null) errs.push(required(child(path, 'completions'), 'when completion mode is Indexed'));
  if (parallelism !== undefined && parallelism > MAX_PARALLELISM_FOR_INDEXED_JOB) {
    errs.push(invalid(child(path, 'parallelism'), parallelism, `must be less than or equal to ${MAX_PARALLELISM_FOR_INDEXED_JOB} when completion mode is Indexed`));
  }
  if (completions !== undefined && maxFailed !== undefined && maxFailed > completions) {
    errs.push(invalid(child(path, 'maxFailedIndexes'), maxFailed, 'must be less than or equal to completions'));
  }
  if (maxFailed !== undefined && maxFailed > MAX_FAILED_INDEXES) errs.push(invalid(child(path, 'maxFailedIndexes'), maxFailed, `must be less than or equal to ${MAX_FAILED_INDEXES}`));
  if (completions !== undefined && completions > COMPLETIONS_SOFT_LIMIT && spec.backoffLimitPerIndex != null) {
    const high = `when completions are above ${COMPLETIONS_SOFT_LIMIT} and used with backoff limit per index`;
    if (maxFailed === undefined) errs.push(required(child(path, 'maxFailedIndexes'), `must be specified when completions is above ${COMPLETIONS_SOFT_LIMIT}`));
    if (parallelism !== undefined && parallelism > HIGH_COMPLETIONS_LIMIT) errs.push(invalid(child(path, 'parallelism'), parallelism, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${high}`));
    if (maxFailed !== undefined && maxFailed > HIGH_COMPLETIONS_LIMIT) errs.push(invalid(child(path, 'maxFailedIndexes'), maxFailed, `must be less than or equal to ${HIGH_COMPLETIONS_LIMIT} ${high}`));
  }
  return errs;
}

const MAX_SUCCESS_POLICY_RULES = 20;
const MAX_SUCCEEDED_INDEXES_LENGTH = 64 * 1024;

function validateSuccessPolicy(spec: JsonObject, policy: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rulesPath = child(path, 'rules');
  const rules = arr(policy.rules);
  if (rules.length === 0) errs.push(required(rulesPath, 'at least one rules must be specified when the successPolicy is specified'));
  if (rules.length > MAX_SUCCESS_POLICY_RULES) errs.push(tooMany(rulesPath, rules.length, MAX_SUCCESS_POLICY_RULES));
  const completions = typeof spec.completions === 'number' ? spec.completions : 0;
  rules.forEach((raw, i) => {
    const rule: JsonObject = isObject(raw) ? raw : {};
    const rulePath = index(rulesPath, i);
    if (rule.succeededCount == null && rule.succeededIndexes == null) {
      errs.push(required(rulePath, 'at least one of succeededCount or succeededIndexes must be specified'));
    }
    let total = 0;
    if (rule.succeededIndexes != null) {
      const indexesPath = child(rulePath, 'succeededIndexes');
      const text = String(rule.succeededIndexes);
      if (text.length > MAX_SUCCEEDED_INDEXES_LENGTH) errs.push(tooLong(indexesPath, MAX_SUCCEEDED_INDEXES_LENGTH));
      const parsed = countIndexes(text, completions);
      if (typeof parsed === 'string') errs.push(invalid(indexesPath, text, `error parsing succeededIndexes: ${parsed}`));
      else total = parsed;
    }
    if (typeof rule.succeededCount === 'number') {
      const countPath = child(rulePath, 'succeededCount');
      errs.push(...validateNonnegative(rule.succeededCount, countPath));
      if (rule.succeededCount > completions) {
        errs.push(invalid(countPath, rule.succeededCount, `must be less than or equal to ${completions} (the number of specified completions)`));
      }
      if (rule.succeededIndexes != null && rule.succeededCount > total) {
        errs.push(invalid(countPath, rule.succeededCount, `must be less than or equal to ${total} (the number of indexes in the specified succeededIndexes field)`));
      }
    }
  });
  return errs;
}

/** validateIndexesFormat: how many indexes "1,3-5" names, or what is wrong with it. */
export function countIndexes(text: string, completions: number): number | string {
  if (text === '') return 0;
  const int = (s: string) => (/^[+-]?\d+$/.test(s) && Math.abs(Number(s)) < 2 ** 31 ? Number(s) : undefined);
  let last: number | undefined;
  let total = 0;
  for (const interval of text.split(',')) {
    const limits = interval.split('-');
    if (limits.length > 2) return `the fragment "${interval}" violates the requirement that an index interval can have at most two parts separated by '-'`;
    for (const [j, limit] of limits.entries()) {
      const x = int(limit);
      if (x === undefined) return `cannot convert string to integer for index: "${limit}"`;
      if (x >= completions) return `too large index: "${limit}"`;
      if (last !== undefined && last >= x) return `non-increasing order, previous: ${last}, current: ${x}`;
      total += j === 0 ? 1 : x - (last ?? x);
      last = x;
    }
  }
  return total;
}

const POD_FAILURE_POLICY_ACTIONS = ['Count', 'FailIndex', 'FailJob', 'Ignore'];
const EXIT_CODE_OPERATORS = ['In', 'NotIn'];
const CONDITION_STATUSES = ['False', 'True', 'Unknown'];

/** Go's %q of a []string: `["a" "b"]`. */
function goQuotedList(values: string[]): string {
  return `[${values.map(goQuote).join(' ')}]`;
}

function containerNames(spec: JsonObject): Set<string> {
  const tpl = isObject(spec.template) && isObject(spec.template.spec) ? spec.template.spec : {};
  const names = new Set<string>();
  for (const list of [tpl.containers, tpl.initContainers]) for (const c of arr(list)) if (isObject(c) && typeof c.name === 'string') names.add(c.name);
  return names;
}

function validatePodFailurePolicy(spec: JsonObject, policy: JsonObject, path: string): FieldError[] {
  const errs: FieldError[] = [];
  const rulesPath = child(path, 'rules');
  const rules = arr(policy.rules);
  if (rules.length > MAX_POD_FAILURE_POLICY_RULES) errs.push(tooMany(rulesPath, rules.length, MAX_POD_FAILURE_POLICY_RULES));
  const names = containerNames(spec);
  rules.forEach((raw, i) => {
    const rule: JsonObject = isObject(raw) ? raw : {};
    const rulePath = index(rulesPath, i);
    const actionPath = child(rulePath, 'action');
    if (rule.action == null || rule.action === '') errs.push(required(actionPath, `valid values: ${goQuotedList(POD_FAILURE_POLICY_ACTIONS)}`));
    else if (rule.action === 'FailIndex') {
      if (spec.backoffLimitPerIndex == null) errs.push(invalid(actionPath, rule.action, 'requires the backoffLimitPerIndex to be set'));
    } else if (!POD_FAILURE_POLICY_ACTIONS.includes(String(rule.action))) errs.push(notSupported(actionPath, rule.action, POD_FAILURE_POLICY_ACTIONS));
    const onExitCodes = isObject(rule.onExitCodes) ? rule.onExitCodes : undefined;
    const onPodConditions = arr(rule.onPodConditions);
    if (onExitCodes) errs.push(...validateOnExitCodes(onExitCodes, child(rulePath, 'onExitCodes'), names));
    if (onPodConditions.length) errs.push(...validateOnPodConditions(onPodConditions, child(rulePath, 'onPodConditions')));
    if (onExitCodes && onPodConditions.length) errs.push(invalid(rulePath, OMIT_VALUE, 'specifying both OnExitCodes and OnPodConditions is not supported'));
    if (!onExitCodes && !onPodConditions.length) errs.push(invalid(rulePath, OMIT_VALUE, 'specifying one of OnExitCodes and OnPodConditions is required'));
  });
  return errs;
}

function validateOnPodConditions(patterns: unknown[], path: string): FieldError[] {
  const errs: FieldError[] = [];
  if (patterns.length > MAX_POD_FAILURE_POLICY_PATTERNS) errs.push(tooMany(path, patterns.length, MAX_POD_FAILURE_POLICY_PATTERNS));
  patterns.forEach((raw, j) => {
    const pattern: JsonObject = isObject(raw) ? raw : {};
    const patternPath = index(path, j);
    const type = String(pattern.type ?? '');
    for (const m of isQualifiedName(type)) errs.push(invalid(child(patternPath, 'type'), type, m));
    const statusPath = child(patternPath, 'status');
    if (pattern.status == null || pattern.status === '') errs.push(required(statusPath, `valid values: ${goQuotedList(CONDITION_STATUSES)}`));
    else if (!CONDITION_STATUSES.includes(String(pattern.status))) errs.push(notSupported(statusPath, pattern.status, CONDITION_STATUSES));
  });
  return errs;
}

function validateOnExitCodes(req: JsonObject, path: string, names: Set<string>): FieldError[] {
  const errs: FieldError[] = [];
  const operatorPath = child(path, 'operator');
  if (req.operator == null || req.operator === '') errs.push(required(operatorPath, `valid values: ${goQuotedList(EXIT_CODE_OPERATORS)}`));
  else if (!EXIT_CODE_OPERATORS.includes(String(req.operator))) errs.push(notSupported(operatorPath, req.operator, EXIT_CODE_OPERATORS));
  if (req.containerName != null && !names.has(String(req.containerName))) {
    errs.push(invalid(child(path, 'containerName'), req.containerName, 'must be one of the container or initContainer names in the pod template'));
  }
  const valuesPath = child(path, 'values');
  const values = arr(req.values).map(Number);
  const goValues = new GoValue(Array.isArray(req.values) ? `[]int32{${values.join(', ')}}` : '[]int32(nil)');
  if (values.length === 0) errs.push(invalid(valuesPath, goValues, 'at least one value is required'));
  else if (values.length > MAX_EXIT_CODE_VALUES) errs.push(tooMany(valuesPath, values.length, MAX_EXIT_CODE_VALUES));
  const seen = new Set<number>();
  let ordered = true;
  values.forEach((v, j) => {
    if (req.operator === 'In' && v === 0) errs.push(invalid(index(valuesPath, j), v, 'must not be 0 for the In operator'));
    if (seen.has(v)) errs.push(duplicate(index(valuesPath, j), v));
    else seen.add(v);
    if (j > 0 && values[j - 1] > v) ordered = false;
  });
  if (!ordered) errs.push(invalid(valuesPath, goValues, 'must be ordered'));
  return errs;
}

function validatePodReplacementPolicy(spec: JsonObject, path: string): FieldError[] {
  const p = spec.podReplacementPolicy;
  if (p == null) return [];
  if (spec.podFailurePolicy != null) return p === 'Failed' ? [] : [notSupported(path, p, ['Failed'])];
  return p === 'Failed' || p === 'TerminatingOrFailed' ? [] : [notSupported(path, p, ['Failed', 'TerminatingOrFailed'])];
}

/**
 * ValidateJobSpecUpdate. An Indexed Job's completions change only together with its
 * parallelism (elastic Indexed Jobs); the template only in its scheduling directives, and only
 * while the Job is suspended and has never started (validatePodTemplateUpdate).
 */
function validateJobSpecUpdate(spec: JsonObject, oldJob: KObject): FieldError[] {
  const old = specOf(oldJob);
  const errs: FieldError[] = [];
  const completionsPath = child('spec', 'completions');
  if (spec.completionMode !== 'Indexed') errs.push(...validateImmutable(spec.completions ?? null, old.completions ?? null, completionsPath));
  else if (spec.completions != null && spec.completions !== old.completions && spec.completions !== spec.parallelism) {
    errs.push(invalid(completionsPath, spec.completions, 'can only be modified in tandem with spec.parallelism'));
  }
  errs.push(...validateImmutable(spec.selector ?? null, old.selector ?? null, child('spec', 'selector'), goLabelSelector));
  const notStarted = !(oldJob.status as { startTime?: string } | undefined)?.startTime;
  const oldTemplate = old.suspend === true && notStarted ? withSchedulingDirectivesOf(old.template, spec.template) : old.template;
  if (!jsonEqual(spec.template ?? null, oldTemplate ?? null)) {
    errs.push(invalid(child('spec', 'template'), new GoValue('core.PodTemplateSpec{...}'), FIELD_IMMUTABLE));
  }
  errs.push(...validateImmutable(spec.completionMode ?? null, old.completionMode ?? null, child('spec', 'completionMode')));
  errs.push(...validateImmutable(spec.podFailurePolicy ?? null, old.podFailurePolicy ?? null, child('spec', 'podFailurePolicy'), () => new GoValue('&batch.PodFailurePolicy{...}')));
  errs.push(...validateImmutable(spec.backoffLimitPerIndex ?? null, old.backoffLimitPerIndex ?? null, child('spec', 'backoffLimitPerIndex')));
  errs.push(...validateImmutable(spec.managedBy ?? null, old.managedBy ?? null, child('spec', 'managedBy')));
  errs.push(...validateImmutable(spec.successPolicy ?? null, old.successPolicy ?? null, child('spec', 'successPolicy'), () => new GoValue('&batch.SuccessPolicy{...}')));
  return errs;
}

/** The old template with the new one's node affinity, node selector, tolerations, labels, annotations and scheduling gates. */
function withSchedulingDirectivesOf(oldTemplate: unknown, template: unknown): unknown {
  const next: JsonObject = isObject(template) ? template : {};
  const nextMeta: JsonObject = isObject(next.metadata) ? next.metadata : {};
  const nextSpec: JsonObject = isObject(next.spec) ? next.spec : {};
  const out = structuredClone(isObject(oldTemplate) ? oldTemplate : {}) as JsonObject;
  const meta = (out.metadata = isObject(out.metadata) ? out.metadata : {}) as JsonObject;
  const podSpec = (out.spec = isObject(out.spec) ? out.spec : {}) as JsonObject;
  const assign = (o: JsonObject, k: string, v: unknown) => (v === undefined ? delete o[k] : (o[k] = structuredClone(v)));
  assign(meta, 'labels', nextMeta.labels);
  assign(meta, 'annotations', nextMeta.annotations);
  for (const k of ['nodeSelector', 'tolerations', 'schedulingGates']) assign(podSpec, k, nextSpec[k]);
  const affinity: JsonObject | undefined = isObject(podSpec.affinity) ? podSpec.affinity : undefined;
  const nextAffinity: JsonObject | undefined = isObject(nextSpec.affinity) ? nextSpec.affinity : undefined;
  if (!nextAffinity && affinity) {
    // Clearing affinity is allowed when node affinity was all it held.
    delete affinity.nodeAffinity;
    if (Object.keys(affinity).length === 0) delete podSpec.affinity;
  } else if (nextAffinity) {
    podSpec.affinity = { ...(affinity ?? {}), nodeAffinity: nextAffinity.nodeAffinity };
    if (nextAffinity.nodeAffinity === undefined) delete (podSpec.affinity as JsonObject).nodeAffinity;
  }
  return out;
}
