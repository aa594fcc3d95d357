import { test } from 'node:test';
import assert from 'node:assert/strict';
import { admitPod } from '../../../src/api/admission/pod.js';

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
