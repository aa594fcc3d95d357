import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bind, kubeletTarget, podStrategy, qosClass } from '../../../../src/api/strategy/pod.js';
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

test('binding assigns the node and marks the pod scheduled; a bound or deleted pod conflicts', () => {
  const unbound = { metadata: { name: 'web', namespace: 'shop' }, spec: { containers: [{ name: 'a' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'False' }] } };
  const bound = bind(unbound, { target: { kind: 'Node', name: 'n1' } }, 'web');
  assert.equal((bound.spec as { nodeName?: string }).nodeName, 'n1');
  const conds = (bound.status as { conditions: { type: string; status: string }[] }).conditions;
  assert.deepEqual(conds.map((c) => [c.type, c.status]), [['PodScheduled', 'True']]);
  assert.equal((unbound.spec as { nodeName?: string }).nodeName, undefined, 'the stored pod is not changed in place');
  const conflict = (message: string) => (e: unknown) => e instanceof ApiError && e.code === 409 && e.message === message;
  assert.throws(() => bind(bound, { target: { name: 'n2' } }, 'web'), conflict('Operation cannot be fulfilled on pods/binding "web": pod web is already assigned to node "n1"'));
  assert.throws(() => bind({ ...unbound, metadata: { ...unbound.metadata, deletionTimestamp: '2026-01-01T00:00:00Z' } }, { target: { name: 'n1' } }, 'web'), conflict('Operation cannot be fulfilled on pods/binding "web": pod web is being deleted, cannot be assigned to a host'));
  assert.throws(() => bind(unbound, { target: {} }, 'web'), (e: unknown) => e instanceof ApiError && e.code === 422 && e.message === 'Binding "web" is invalid: target.name: Required value');
});

test('pods on a node delete gracefully; unscheduled and finished pods at once', () => {
  const grace = podStrategy.gracePeriod!;
  const p = (nodeName?: string, phase?: string, terminationGracePeriodSeconds?: number) => ({ metadata: { name: 'p' }, spec: { nodeName, terminationGracePeriodSeconds }, status: { phase } });
  assert.equal(grace(p('n1', 'Running'), undefined), 30);
  assert.equal(grace(p('n1', 'Running', 5), undefined), 5);
  assert.equal(grace(p('n1', 'Running', 5), 0), 0);
  assert.equal(grace(p(undefined, 'Pending'), 10), 0);
  assert.equal(grace(p('n1', 'Succeeded'), 10), 0);
  assert.equal(podStrategy.returnDeletedObject, true);
});

test('a new pod starts Pending with its QoS class', () => {
  const pod = (resources?: object) => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'a', resources }] }, status: { phase: 'Running' } });
  const created = (obj: ReturnType<typeof pod>) => (podStrategy.prepareForCreate!(obj), obj.status);
  assert.deepEqual(created(pod()), { phase: 'Pending', qosClass: 'BestEffort' });
  assert.equal(qosClass(pod({ requests: { cpu: '1' } })), 'Burstable');
  assert.equal(qosClass(pod({ limits: { cpu: '1', memory: '1Gi' } })), 'Guaranteed');
});

test('log is a plain connect; exec, attach and portforward need an upgrade', () => {
  const subs = podStrategy.subresources!;
  assert.equal(subs.log.upgrade, false);
  for (const s of ['exec', 'attach', 'portforward']) assert.equal(subs[s].upgrade, true, s);
  assert.deepEqual(subs.log.connect!(pod(['a'], 'n1'), new URLSearchParams()), { node: 'n1', path: '/containerLogs/shop/web/a' });
});
