import { test } from 'node:test';
import assert from 'node:assert/strict';
import { StepFailed, waitForStep, type ReadyStep } from '../../../src/cli/cluster-ready.js';

test('a step is polled until it holds, and its detail is returned', async () => {
  let checks = 0;
  const step: ReadyStep = {
    title: 'Nodes',
    async check() {
      checks++;
      return checks < 3 ? { done: false, reason: `${checks - 1} of 2 registered` } : { done: true, detail: '2 of 2 Ready' };
    },
    diagnose: async () => assert.fail('a step that holds is not diagnosed'),
  };
  assert.equal(await waitForStep(step, Date.now() + 60_000, '1m'), '2 of 2 Ready');
  assert.equal(checks, 3);
});

test('a step that does not hold by the deadline fails with its last reason and its diagnosis', async () => {
  const step: ReadyStep = {
    title: 'Cluster DNS',
    check: async () => ({ done: false, reason: 'DNS A kubernetes.default over UDP: no reply within 100 ms' }),
    diagnose: async () => 'pods and events:\n  pod kube-system/coredns-1: Pending',
  };
  await assert.rejects(waitForStep(step, Date.now(), '2s'), (err: unknown) => {
    assert.ok(err instanceof StepFailed);
    assert.equal(err.step, 'Cluster DNS');
    assert.equal(
      err.message,
      'Cluster DNS: not ready within 2s (last: DNS A kubernetes.default over UDP: no reply within 100 ms)\npods and events:\n  pod kube-system/coredns-1: Pending',
    );
    return true;
  });
});

test('a check that throws counts as not done, with the error as the reason', async () => {
  const step: ReadyStep = {
    title: 'Ingress controller',
    check: async () => {
      throw new Error('connect ECONNREFUSED /var/lib/skiff/clusters/x/api.sock');
    },
    diagnose: async () => {
      throw new Error('the API is gone');
    },
  };
  await assert.rejects(waitForStep(step, Date.now(), '1s'), {
    message: 'Ingress controller: not ready within 1s (last: connect ECONNREFUSED /var/lib/skiff/clusters/x/api.sock)\n(could not gather diagnostics: the API is gone)',
  });
});
