import { test } from 'node:test';
import assert from 'node:assert/strict';
import { amount, isScalarResource, podRequests } from '../../../src/scheduler/resources.js';

test('quantities become millicores for cpu and whole units otherwise, rounded up', () => {
  assert.equal(amount('cpu', '100m'), 100);
  assert.equal(amount('cpu', '0.1'), 100, 'floating point must not turn 0.1 into 101m');
  assert.equal(amount('cpu', '1.5'), 1500);
  assert.equal(amount('cpu', 2), 2000);
  assert.equal(amount('cpu', '1n'), 1, 'a nanocore still needs one millicore');
  assert.equal(amount('memory', '1Gi'), 1024 ** 3);
  assert.equal(amount('memory', '1.5k'), 1500);
  assert.equal(amount('memory', 'junk'), 0);
});

test('pod requests: containers add up, init containers take the max, sidecars stay, overhead adds', () => {
  const spec = {
    initContainers: [
      { name: 'i1', image: 'x', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'i2', image: 'x', resources: { requests: { cpu: '2', memory: '3G' } } },
    ],
    containers: [
      { name: 'c1', image: 'x', resources: { requests: { cpu: '2', memory: '1G' } } },
      { name: 'c2', image: 'x', resources: { requests: { cpu: '1', memory: '1G' } } },
    ],
  };
  // Upstream's documented example: CPU 3, memory 3G.
  assert.deepEqual(podRequests(spec as never), { cpu: 3000, memory: 3e9 });

  const sidecar = {
    initContainers: [
      { name: 'side', image: 'x', restartPolicy: 'Always', resources: { requests: { cpu: '500m' } } },
      { name: 'setup', image: 'x', resources: { requests: { cpu: '2' } } },
    ],
    containers: [{ name: 'c', image: 'x', resources: { requests: { cpu: '1' } } }],
    overhead: { cpu: '100m' },
  };
  // max(c + side = 1.5, setup + side = 2.5) + overhead
  assert.deepEqual(podRequests(sidecar as never), { cpu: 2600 });
});

test('scoring defaults fill only missing cpu/memory requests', () => {
  const spec = { containers: [{ name: 'a', image: 'x', resources: { requests: { cpu: '0' } } }, { name: 'b', image: 'x' }] };
  const r = podRequests(spec as never, { cpu: 100, memory: 200 });
  assert.equal(r.cpu, 100, 'explicit 0 stays 0, the missing one becomes 100m');
  assert.equal(r.memory, 400);
});

test('scalar resources are extended resources and hugepages, not native ones', () => {
  assert.ok(isScalarResource('example.com/gpu'));
  assert.ok(isScalarResource('hugepages-2Mi'));
  assert.ok(!isScalarResource('cpu'));
  assert.ok(!isScalarResource('kubernetes.io/something'));
  assert.ok(!isScalarResource('requests.example.com/gpu'));
});
