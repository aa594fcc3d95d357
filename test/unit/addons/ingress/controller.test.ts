import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseControllerArgs } from '../../../../src/addons/ingress/args.js';
import { publishedAddresses, statusUpdates } from '../../../../src/addons/ingress/status.js';
import type { KObject } from '../../../../src/api/types.js';
import { ingress } from './fixtures.js';

test('upstream\'s controller flags are read, others accepted and ignored', () => {
  const a = parseControllerArgs([
    '/nginx-ingress-controller',
    '--publish-service=ingress-nginx/ingress-nginx-controller',
    '--election-id=ingress-nginx-leader',
    '--controller-class=k8s.io/ingress-nginx',
    '--ingress-class=nginx',
    '--configmap=ingress-nginx/ingress-nginx-controller',
    '--validating-webhook=:8443',
    '--enable-metrics=false',
    '--watch-ingress-without-class',
  ]);
  assert.equal(a.publishService, 'ingress-nginx/ingress-nginx-controller');
  assert.equal(a.ingressClass, 'nginx');
  assert.equal(a.controllerClass, 'k8s.io/ingress-nginx');
  assert.deepEqual([a.httpPort, a.httpsPort, a.healthzPort], [80, 443, 10254]);
  assert.throws(() => parseControllerArgs(['--http-port=99999']), /port must be/);
});

test('status: the publish Service\'s load-balancer address goes to every served Ingress that lacks it', () => {
  const svc: KObject = { metadata: { name: 'ingress-nginx-controller', namespace: 'ingress-nginx' }, status: { loadBalancer: { ingress: [{ ip: '127.0.10.2', ipMode: 'VIP' }] } } };
  const addresses = publishedAddresses(svc);
  assert.deepEqual(addresses, [{ ip: '127.0.10.2' }]);
  const fresh = ingress('a', []);
  const done = { ...ingress('b', []), status: { loadBalancer: { ingress: [{ ip: '127.0.10.2' }] } } };
  const served = [{ namespace: 'default', name: 'a' }, { namespace: 'default', name: 'b' }];
  const updates = statusUpdates(served, [fresh, done], addresses);
  assert.deepEqual(updates.map((u) => u.metadata.name), ['a']);
  assert.deepEqual((updates[0] as unknown as { status: unknown }).status, { loadBalancer: { ingress: [{ ip: '127.0.10.2' }] } });
  assert.deepEqual(publishedAddresses(undefined), []);
});

test('worker count: the environment, else one per two CPUs, at most 4', async () => {
  const { workerCount } = await import('../../../../src/addons/ingress/workers.js');
  assert.equal(workerCount({ SKIFF_INGRESS_WORKERS: '3' }, 2), 3);
  assert.equal(workerCount({}, 2), 1);
  assert.equal(workerCount({}, 1), 1);
  assert.equal(workerCount({}, 8), 4);
  assert.equal(workerCount({}, 32), 4);
});
