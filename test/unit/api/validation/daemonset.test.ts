import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kindKey } from '../../../../src/api/kinds.js';
import type { KObject } from '../../../../src/api/types.js';
import { defaulters } from '../../../../src/api/defaults/index.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

// Messages as pkg/apis/apps/validation ValidateDaemonSet words them.

const key = kindKey('apps', 'DaemonSet');

function check(obj: KObject, old?: KObject): string[] {
  defaulters[key](obj);
  if (old) defaulters[key](old);
  return validators[key](obj, old).map(formatFieldError);
}

const ds = (over: Record<string, unknown> = {}): KObject => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
  spec: {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'busybox' }] } },
    ...over,
  },
});

test('DaemonSet defaults: RollingUpdate with maxUnavailable 1 and maxSurge 0, ten revisions, pod template defaults', () => {
  const d = ds();
  defaulters[key](d);
  const spec = d.spec as any;
  assert.deepEqual(spec.updateStrategy, { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: 0 } });
  assert.equal(spec.revisionHistoryLimit, 10);
  assert.equal(spec.template.spec.restartPolicy, 'Always');
  const onDelete = ds({ updateStrategy: { type: 'OnDelete' } });
  defaulters[key](onDelete);
  assert.deepEqual((onDelete.spec as any).updateStrategy, { type: 'OnDelete' });
});

test('DaemonSet: the selector must match the template labels and may not be empty', () => {
  assert.deepEqual(check(ds()), []);
  const d = ds();
  (d.spec as any).template.metadata.labels = { app: 'x' };
  assert.deepEqual(check(d), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"x"}: `selector` does not match template `labels`']);
  assert.deepEqual(check(ds({ selector: {} })), ['spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string(nil), MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: empty selector is invalid for daemonset']);
  const noSel = ds();
  delete (noSel.spec as any).selector;
  assert.deepEqual(check(noSel), ['spec.template.metadata.labels: Invalid value: map[string]string{"app":"agent"}: `selector` does not match template `labels`']);
});

test('DaemonSet: restartPolicy Always only, no activeDeadlineSeconds, non-negative counts', () => {
  const d = ds();
  Object.assign((d.spec as any).template.spec, { restartPolicy: 'Never', activeDeadlineSeconds: 5 });
  assert.deepEqual(check(d), [
    'spec.template.spec.restartPolicy: Unsupported value: "Never": supported values: "Always"',
    'spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in DaemonSet is not Supported',
  ]);
  assert.deepEqual(check(ds({ minReadySeconds: -1, revisionHistoryLimit: -2 })), [
    'spec.minReadySeconds: Invalid value: -1: must be greater than or equal to 0',
    'spec.revisionHistoryLimit: Invalid value: -2: must be greater than or equal to 0',
  ]);
});

test('DaemonSet: update strategy type and rolling bounds', () => {
  assert.deepEqual(check(ds({ updateStrategy: { type: 'OnDelete' } })), []);
  assert.deepEqual(check(ds({ updateStrategy: { type: 'Sometimes' } })), [
    'spec.updateStrategy: Unsupported value: apps.DaemonSetUpdateStrategy{Type:"Sometimes", RollingUpdate:(*apps.RollingUpdateDaemonSet)(nil)}: supported values: "RollingUpdate", "OnDelete"',
  ]);
  assert.deepEqual(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 0 } } })), [
    'spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0',
  ]);
  assert.deepEqual(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1, maxSurge: '10%' } } })), [
    'spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"10%"}: may not be set when maxUnavailable is non-zero',
  ]);
  assert.deepEqual(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '150%' } } })), [
    'spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: intstr.IntOrString{Type:1, IntVal:0, StrVal:"150%"}: must not be greater than 100%',
  ]);
  assert.deepEqual(check(ds({ updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } })), []);
});

test('DaemonSet: the selector is immutable', () => {
  const old = ds();
  const d = ds({ selector: { matchLabels: { app: 'agent', tier: 'node' } } });
  (d.spec as any).template.metadata.labels.tier = 'node';
  assert.deepEqual(check(d, old), [
    'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"agent", "tier":"node"}, MatchExpressions:[]v1.LabelSelectorRequirement(nil)}: field is immutable',
  ]);
});
