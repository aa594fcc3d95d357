import assert from 'node:assert/strict';
import { test } from 'node:test';
import { podOfUser } from '../../../../../src/addons/istio/istiod/authenticate.js';

test('a pod-bound ServiceAccount token names its pod', () => {
  assert.deepEqual(
    podOfUser({ username: 'system:serviceaccount:istio-system:ztunnel', extra: { 'authentication.kubernetes.io/pod-name': ['ztunnel-n1'] } }),
    { pod: 'istio-system/ztunnel-n1' },
  );
});

test('a token bound to no pod, or not a ServiceAccount, is refused with the reason', () => {
  assert.deepEqual(podOfUser({ username: 'system:serviceaccount:default:default' }), { error: 'the token of system:serviceaccount:default:default is not bound to a pod' });
  assert.deepEqual(podOfUser({ username: 'kubernetes-admin', extra: { 'authentication.kubernetes.io/pod-name': ['x'] } }), { error: 'user "kubernetes-admin" is not a service account' });
  assert.deepEqual(podOfUser({}), { error: 'the token is not a service account' });
});
