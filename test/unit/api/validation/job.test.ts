import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { strategies } from '../../../../src/api/strategy/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

// Defaults of batch/v1 SetDefaults_Job, the selector the job strategy generates, and messages
// as pkg/apis/batch/validation words them.

const key = kindKey('batch', 'Job');

const job = (spec: Record<string, unknown> = {}, template: Record<string, unknown> = { restartPolicy: 'Never' }): KObject => ({
  apiVersion: 'batch/v1', kind: 'Job', metadata: { name: 'pi', namespace: 'default', uid: 'u-1' },
  spec: { template: { spec: { containers: [{ name: 'pi', image: 'busybox' }], ...template } }, ...spec },
});

/** As the apiserver does a create: PrepareForCreate, defaults, then validation. */
function create(obj: KObject): string[] {
  strategies[key].prepareForCreate?.(obj);
  defaulters[key](obj);
  return validators[key](obj).map(formatFieldError);
}

test('Job defaults: one pod to one success, backoff limit 6, NonIndexed, not suspended, TerminatingOrFailed, labels from the template', () => {
  const j = job();
  assert.deepEqual(create(j), []);
  const spec = j.spec as Record<string, unknown>;
  assert.deepEqual(
    { parallelism: spec.parallelism, completions: spec.completions, backoffLimit: spec.backoffLimit, completionMode: spec.completionMode, suspend: spec.suspend, manualSelector: spec.manualSelector, podReplacementPolicy: spec.podReplacementPolicy },
    { parallelism: 1, completions: 1, backoffLimit: 6, completionMode: 'NonIndexed', suspend: false, manualSelector: false, podReplacementPolicy: 'TerminatingOrFailed' },
  );
  const labels = { 'batch.kubernetes.io/controller-uid': 'u-1', 'batch.kubernetes.io/job-name': 'pi', 'controller-uid': 'u-1', 'job-name': 'pi' };
  assert.deepEqual((spec.template as { metadata: { labels: unknown } }).metadata.labels, labels);
  assert.deepEqual(spec.selector, { matchLabels: { 'batch.kubernetes.io/controller-uid': 'u-1' } });
  assert.deepEqual(j.metadata.labels, labels);
  assert.deepEqual(j.status, {});
});

test('Job defaults: parallelism alone leaves completions unset; a pod failure policy means podReplacementPolicy Failed', () => {
  const j = job({ parallelism: 3, podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } });
  defaulters[key](j);
  const spec = j.spec as Record<string, any>;
  assert.equal(spec.completions, undefined);
  assert.equal(spec.podReplacementPolicy, 'Failed');
  assert.equal(spec.podFailurePolicy.rules[0].onPodConditions[0].status, 'True');
  const perIndex = job({ backoffLimitPerIndex: 1, completionMode: 'Indexed', completions: 2 });
  defaulters[key](perIndex);
  assert.equal((perIndex.spec as Record<string, unknown>).backoffLimit, 2147483647);
});

test('restartPolicy must be OnFailure or Never', () => {
  assert.deepEqual(create(job({}, {})), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  assert.deepEqual(create(job({}, { restartPolicy: 'Always' })), ['spec.template.spec.restartPolicy: Required value: valid values: "OnFailure", "Never"']);
  assert.deepEqual(create(job({}, { restartPolicy: 'OnFailure' })), []);
});

test('counts must not be negative; completionMode and podReplacementPolicy are enums; Indexed needs completions', () => {
  assert.deepEqual(create(job({ parallelism: -1, backoffLimit: -2, ttlSecondsAfterFinished: -3 })), [
    'spec.parallelism: Invalid value: -1: must be greater than or equal to 0',
    'spec.backoffLimit: Invalid value: -2: must be greater than or equal to 0',
    'spec.ttlSecondsAfterFinished: Invalid value: -3: must be greater than or equal to 0',
  ]);
  assert.deepEqual(create(job({ completionMode: 'Sorted' })), ['spec.completionMode: Unsupported value: "Sorted": supported values: "NonIndexed", "Indexed"']);
  assert.deepEqual(create(job({ podReplacementPolicy: 'Always' })), ['spec.podReplacementPolicy: Unsupported value: "Always": supported values: "Failed", "TerminatingOrFailed"']);
  assert.deepEqual(create(job({ completionMode: 'Indexed', parallelism: 2 })), ['spec.completions: Required value: when completion mode is Indexed']);
});

test('a manual selector must match the template; a generated one must carry the uid', () => {
  const manual = job({ manualSelector: true, selector: { matchLabels: { app: 'x' } } });
  (manual.spec as any).template.metadata = { labels: { app: 'y' } };
  assert.deepEqual(create(manual), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"y"}: `selector` does not match template `labels`']);
  const forged = job({ selector: { matchLabels: { 'batch.kubernetes.io/controller-uid': 'other' } } });
  assert.deepEqual(create(forged), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"batch.kubernetes.io/controller-uid":"other"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: `selector` not auto-generated',
    'spec.template.metadata.labels: Invalid value: map[string]string{"batch.kubernetes.io/controller-uid":"u-1", "batch.kubernetes.io/job-name":"pi", "controller-uid":"u-1", "job-name":"pi"}: `selector` does not match template `labels`',
  ]);
});

test('an Indexed Job whose last pod name would not be a DNS label is refused', () => {
  const j = job({ completionMode: 'Indexed', completions: 10 });
  j.metadata.name = 'a'.repeat(62);
  assert.deepEqual(create(j), [`metadata.name: Invalid value: "${'a'.repeat(62)}": will not able to create pod with invalid DNS label: ${'a'.repeat(62)}-9`]);
});

test('on update the selector, template, completions and completionMode are immutable; elastic Indexed Jobs may scale', () => {
  const old = job();
  create(old);
  const next = structuredClone(old);
  (next.spec as any).completions = 2;
  (next.spec as any).completionMode = 'Indexed';
  (next.spec as any).template.spec.containers[0].image = 'nginx';
  assert.deepEqual(validators[key](next, old).map(formatFieldError), [
    'spec.completions: Invalid value: 2: can only be modified in tandem with spec.parallelism',
    'spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable',
    'spec.completionMode: Invalid value: "Indexed": field is immutable',
  ]);
  const elastic = job({ completionMode: 'Indexed', completions: 2, parallelism: 2 });
  create(elastic);
  const scaled = structuredClone(elastic);
  Object.assign(scaled.spec as object, { completions: 4, parallelism: 4 });
  assert.deepEqual(validators[key](scaled, elastic), []);
});

test('pod failure policy rules as upstream validates them', () => {
  const rules = [
    { action: 'FailJob', onExitCodes: { containerName: 'other', operator: 'In', values: [3, 0, 3] } },
    { action: 'Restart', onPodConditions: [{ type: 'DisruptionTarget', status: 'Maybe' }] },
    { action: 'Ignore' },
    { action: 'FailIndex', onExitCodes: { operator: 'NotIn', values: [] }, onPodConditions: [{ type: 'DisruptionTarget' }] },
  ];
  assert.deepEqual(create(job({ podFailurePolicy: { rules } })), [
    'spec.podFailurePolicy.rules[0].onExitCodes.containerName: Invalid value: "other": must be one of the container or initContainer names in the pod template',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[1]: Invalid value: 0: must not be 0 for the In operator',
    'spec.podFailurePolicy.rules[0].onExitCodes.values[2]: Duplicate value: 3',
    'spec.podFailurePolicy.rules[0].onExitCodes.values: Invalid value: []int32{3, 0, 3}: must be ordered',
    'spec.podFailurePolicy.rules[1].action: Unsupported value: "Restart": supported values: "Count", "FailIndex", "FailJob", "Ignore"',
    'spec.podFailurePolicy.rules[1].onPodConditions[0].status: Unsupported value: "Maybe": supported values: "False", "True", "Unknown"',
    'spec.podFailurePolicy.rules[2]: Invalid value: specifying one of OnExitCodes and OnPodConditions is required',
    'spec.podFailurePolicy.rules[3].action: Invalid value: "FailIndex": requires the backoffLimitPerIndex to be set',
    'spec.podFailurePolicy.rules[3].onExitCodes.values: Invalid value: []int32{}: at least one value is required',
    'spec.podFailurePolicy.rules[3]: Invalid value: specifying both OnExitCodes and OnPodConditions is not supported',
  ]);
  assert.deepEqual(create(job({ podFailurePolicy: { rules: [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget' }] }] } }, { restartPolicy: 'OnFailure' })), [
    'spec.template.spec.restartPolicy: Invalid value: "OnFailure": only "Never" is supported when podFailurePolicy is specified',
  ]);
});

test('backoffLimitPerIndex and maxFailedIndexes need Indexed completion', () => {
  assert.deepEqual(create(job({ maxFailedIndexes: 1 })), [
    'spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified',
    'spec.maxFailedIndexes: Invalid value: 1: requires indexed completion mode',
  ]);
  assert.deepEqual(create(job({ completionMode: 'Indexed', completions: 2, backoffLimitPerIndex: 1, maxFailedIndexes: 3 })), [
    'spec.maxFailedIndexes: Invalid value: 3: must be less than or equal to completions',
  ]);
});

test('a suspended Job that never started may change its scheduling directives, nothing else of its template', () => {
  const old = job({ suspend: true });
  create(old);
  const next = structuredClone(old);
  const tpl = (next.spec as any).template;
  tpl.spec.nodeSelector = { zone: 'a' };
  tpl.spec.tolerations = [{ key: 'k', operator: 'Exists' }];
  tpl.metadata.annotations = { queue: 'q' };
  tpl.spec.affinity = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] }] } } };
  assert.deepEqual(validators[key](next, old), []);
  tpl.spec.containers[0].image = 'nginx';
  assert.deepEqual(validators[key](next, old).map(formatFieldError), ['spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable']);
  const started = structuredClone(old);
  started.status = { startTime: '2030-01-01T00:00:00Z' };
  const moved = structuredClone(started);
  (moved.spec as any).template.spec.nodeSelector = { zone: 'a' };
  assert.deepEqual(validators[key](moved, started).map(formatFieldError), ['spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable']);
});

test('spec.managedBy is a domain-prefixed path of at most 63 characters', () => {
  assert.deepEqual(create(job({ managedBy: 'kueue.x-k8s.io/multikueue' })), []);
  assert.deepEqual(create(job({ managedBy: 'kueue' })), ['spec.managedBy: Invalid value: "kueue": must be a domain-prefixed path (such as "acme.io/foo")']);
  assert.deepEqual(create(job({ managedBy: `example.com/${'a'.repeat(60)}` })), ['spec.managedBy: Too long: must have at most 63 bytes']);
});

test('successPolicy: Indexed only, rules with indexes in increasing order below completions and counts they can reach', () => {
  assert.deepEqual(create(job({ successPolicy: { rules: [{ succeededCount: 1 }] } })), [
    'spec.successPolicy: Invalid value: batch.SuccessPolicy{...}: requires indexed completion mode',
  ]);
  const indexed = (rules: unknown[]) => job({ completionMode: 'Indexed', completions: 5, parallelism: 5, successPolicy: { rules } });
  assert.deepEqual(create(indexed([{ succeededIndexes: '0,2-4', succeededCount: 4 }])), []);
  assert.deepEqual(create(indexed([])), ['spec.successPolicy.rules: Required value: at least one rules must be specified when the successPolicy is specified']);
  assert.deepEqual(create(indexed([{}, { succeededIndexes: '3,1' }, { succeededIndexes: '1-2-3' }, { succeededIndexes: '0-7' }, { succeededIndexes: '0-1', succeededCount: 3 }, { succeededCount: 6 }])), [
    'spec.successPolicy.rules[0]: Required value: at least one of succeededCount or succeededIndexes must be specified',
    'spec.successPolicy.rules[1].succeededIndexes: Invalid value: "3,1": error parsing succeededIndexes: non-increasing order, previous: 3, current: 1',
    'spec.successPolicy.rules[2].succeededIndexes: Invalid value: "1-2-3": error parsing succeededIndexes: the fragment "1-2-3" violates the requirement that an index interval can have at most two parts separated by \'-\'',
    'spec.successPolicy.rules[3].succeededIndexes: Invalid value: "0-7": error parsing succeededIndexes: too large index: "7"',
    'spec.successPolicy.rules[4].succeededCount: Invalid value: 3: must be less than or equal to 2 (the number of indexes in the specified succeededIndexes field)',
    'spec.successPolicy.rules[5].succeededCount: Invalid value: 6: must be less than or equal to 5 (the number of specified completions)',
  ]);
});
