import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPod } from '../../../../src/api/admission/pod.js';
import type { KObject } from '../../../../src/api/types.js';

test('a new pod gets the default service account, the two NoExecute tolerations and priority 0', () => {
  const pod = { metadata: { name: 'p' }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  admitPod(pod);
  assert.equal((pod.spec as Record<string, unknown>).serviceAccountName, 'default');
  assert.deepEqual((pod.spec as Record<string, unknown>).tolerations, [
    { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
  ]);
  assert.equal((pod.spec as Record<string, unknown>).priority, 0);
  const again = structuredClone(pod);
  admitPod(again);
  assert.deepEqual(again, pod, 'admission is idempotent');
});

test('tolerations the pod already has are kept, and a wildcard toleration covers both', () => {
  const own = { metadata: {}, spec: { serviceAccountName: 'robot', tolerations: [{ key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 5 }] } };
  admitPod(own);
  assert.equal((own.spec.tolerations as unknown[]).length, 2);
  assert.equal(own.spec.tolerations[0].tolerationSeconds, 5);
  const all = { metadata: {}, spec: { tolerations: [{ operator: 'Exists' }] } };
  admitPod(all);
  assert.equal(all.spec.tolerations.length, 1);
});

test('DefaultIngressClass: an Ingress without a class gets the default one, the newest if several', async () => {
  const { admitIngress } = await import('../../../../src/api/admission/ingress.js');
  const cls = (name: string, created: string, isDefault: boolean): KObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'IngressClass',
    metadata: { name, creationTimestamp: created, annotations: isDefault ? { 'ingressclass.kubernetes.io/is-default-class': 'true' } : {} },
  });
  const ctx = (classes: KObject[]) => ({ list: (r: string) => (r === 'networking.k8s.io/ingressclasses' ? classes : []) });
  const ing = (extra: Record<string, unknown> = {}) => ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: 'i', namespace: 'default' }, spec: {}, ...extra });

  const a = ing();
  admitIngress(a, ctx([cls('other', '2026-01-01T00:00:00Z', false), cls('nginx', '2026-01-01T00:00:00Z', true)]));
  assert.equal((a.spec as { ingressClassName?: string }).ingressClassName, 'nginx');

  const b = ing();
  admitIngress(b, ctx([cls('old', '2026-01-01T00:00:00Z', true), cls('new', '2026-02-01T00:00:00Z', true)]));
  assert.equal((b.spec as { ingressClassName?: string }).ingressClassName, 'new');

  const named = ing({ spec: { ingressClassName: 'other' } });
  admitIngress(named, ctx([cls('nginx', '2026-01-01T00:00:00Z', true)]));
  assert.equal((named.spec as { ingressClassName?: string }).ingressClassName, 'other');

  const legacy = ing({ metadata: { name: 'i', namespace: 'default', annotations: { 'kubernetes.io/ingress.class': 'nginx' } } });
  admitIngress(legacy, ctx([cls('nginx', '2026-01-01T00:00:00Z', true)]));
  assert.equal((legacy.spec as { ingressClassName?: string }).ingressClassName, undefined, 'the legacy annotation counts as a class');

  const none = ing();
  admitIngress(none, ctx([cls('nginx', '2026-01-01T00:00:00Z', false)]));
  assert.equal((none.spec as { ingressClassName?: string }).ingressClassName, undefined);
});
