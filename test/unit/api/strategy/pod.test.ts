import { test } from 'node:test';
import assert from 'node:assert/strict';
import { kubeletTarget } from '../../../../src/api/strategy/pod.js';
import { ApiError } from '../../../../src/api/errors.js';

const pod = (containers: string[], nodeName?: string, annotations?: Record<string, string>) => ({
  metadata: { name: 'web', namespace: 'shop', annotations },
  spec: { nodeName, containers: containers.map((name) => ({ name })), initContainers: [{ name: 'init' }] },
});

const bad = (message: string) => (e: unknown) => e instanceof ApiError && e.code === 400 && e.message === message;

test('logs and exec go to the kubelet of the pod node, with the container chosen as upstream', () => {
  assert.deepEqual(kubeletTarget(pod(['app'], 'n1'), 'log', new URLSearchParams('follow=true&tailLines=5')), {
    node: 'n1',
    path: '/containerLogs/shop/web/app?follow=true&tailLines=5',
  });
  assert.equal(kubeletTarget(pod(['a', 'b'], 'n1'), 'exec', new URLSearchParams('container=b&command=ls&command=-l')).path, '/exec/shop/web/b?command=ls&command=-l');
  assert.equal(kubeletTarget(pod(['a', 'b'], 'n1', { 'kubectl.kubernetes.io/default-container': 'b' }), 'log', new URLSearchParams()).path, '/containerLogs/shop/web/b');
  assert.equal(kubeletTarget(pod(['a'], 'n1'), 'log', new URLSearchParams('container=init')).path, '/containerLogs/shop/web/init');
  assert.equal(kubeletTarget(pod(['a'], 'n1'), 'portforward', new URLSearchParams()).path, '/portForward/shop/web');
});

test('pods without a node or with an unknown container are refused with upstream messages', () => {
  assert.throws(() => kubeletTarget(pod(['a']), 'log', new URLSearchParams()), bad('pod web does not have a host assigned'));
  assert.throws(() => kubeletTarget(pod(['a', 'b'], 'n1'), 'log', new URLSearchParams()), bad('a container name must be specified for pod web, choose one of: [a b]'));
  assert.throws(() => kubeletTarget(pod(['a'], 'n1'), 'log', new URLSearchParams('container=zz')), bad('container zz is not valid for pod web'));
});
