// The ingress-nginx add-on as a cluster installs it: the objects of upstream's cloud deploy.yaml
// (minus RBAC and webhook) as soon as the control plane runs, the controller Ready behind its LoadBalancer, a
// deleted part coming back and a user's edit left alone.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';
import { CONTROLLER, INGRESS_NS, curl, servedCertificate, startIngressCluster } from './ingress.js';

let c: Cluster;
let lb = '';

before(async () => {
  ({ c, lb } = await startIngressCluster('ing-addon', 1));
});
after(async () => {
  await c?.down();
});

test('a cluster without nodes gets the add-on at once, as kubeadm installs it; its pod waits for a node', async () => {
  const bare = await startCluster('ing-bare');
  try {
    await waitFor('the add-on installed', async () => (await bare.kubectl(['get', 'deployment', CONTROLLER, '-n', INGRESS_NS])).code === 0, 30_000);
    assert.equal((await bare.ok(['get', 'ingressclass', '-o', 'name'])).trim(), 'ingressclass.networking.k8s.io/nginx');
    await waitFor('the controller pod unschedulable', async () => {
      const reason = await bare.ok(['get', 'pods', '-n', INGRESS_NS, '-o', 'jsonpath={.items[0].status.conditions[?(@.type=="PodScheduled")].reason}']);
      return reason === 'Unschedulable';
    }, 30_000);
  } finally {
    await bare.down();
  }
});

test('the add-on objects: namespace, account, ConfigMap, Deployment Ready, LoadBalancer Service, default IngressClass', async () => {
  const all = await c.ok(['get', 'serviceaccount,configmap,deployment,service', '-n', INGRESS_NS, '-o', 'name']);
  for (const o of ['serviceaccount/ingress-nginx', `configmap/${CONTROLLER}`, `deployment.apps/${CONTROLLER}`, `service/${CONTROLLER}`]) {
    assert.match(all, new RegExp(`^${o}$`, 'm'));
  }
  const svc = (await c.ok(['get', 'svc', '-n', INGRESS_NS, CONTROLLER, '--no-headers'])).trim().split(/\s+/);
  assert.equal(svc[1], 'LoadBalancer');
  assert.equal(svc[3], lb);
  assert.match(svc[4], /^80:3\d{4}\/TCP,443:3\d{4}\/TCP$/);
  const cls = (await c.ok(['get', 'ingressclass', '--no-headers'])).trim().split(/\s+/);
  assert.deepEqual(cls.slice(0, 3), ['nginx', 'k8s.io/ingress-nginx', '<none>']);
  assert.equal(await jsonpath(c, ['get', 'ingressclass', 'nginx'], '{.metadata.annotations.ingressclass\\.kubernetes\\.io/is-default-class}'), 'true');
  const ready = await jsonpath(c, ['get', 'pods', '-n', INGRESS_NS, '-l', 'app.kubernetes.io/component=controller'], '{.items[*].status.conditions[?(@.type=="Ready")].status}');
  assert.equal(ready, 'True');
  // Nothing is routed yet: the controller's default backend answers 404 on the address.
  const r = await curl(['-H', 'Host: nothing.test', `http://${lb}/`]);
  assert.equal(r.status, 404);
});

test('a deleted part comes back; an edited one keeps the edit', async () => {
  await c.ok(['delete', 'ingressclass', 'nginx']);
  await waitFor('IngressClass nginx back', async () => (await c.kubectl(['get', 'ingressclass', 'nginx'])).code === 0);
  await c.ok(['patch', 'configmap', '-n', INGRESS_NS, CONTROLLER, '--type=merge', '-p', '{"data":{"proxy-body-size":"8m"}}']);
  await c.ok(['delete', 'serviceaccount', '-n', INGRESS_NS, 'ingress-nginx']);
  await waitFor('ServiceAccount ingress-nginx back', async () => (await c.kubectl(['get', 'serviceaccount', '-n', INGRESS_NS, 'ingress-nginx'])).code === 0);
  assert.equal(await jsonpath(c, ['get', 'configmap', '-n', INGRESS_NS, CONTROLLER], '{.data.proxy-body-size}'), '8m');
});

test('with two worker processes (SKIFF_INGRESS_WORKERS=2) both serve, and present the one default certificate the primary made', async () => {
  await c.ok(['set', 'env', '-n', INGRESS_NS, `deployment/${CONTROLLER}`, 'SKIFF_INGRESS_WORKERS=2']);
  await c.ok(['rollout', 'status', '-n', INGRESS_NS, `deployment/${CONTROLLER}`, '--timeout=120s']);
  await waitFor('both workers synced', async () => {
    const logs = await c.ok(['logs', '-n', INGRESS_NS, `deployment/${CONTROLLER}`]);
    return /controller worker 0 synced/.test(logs) && /controller worker 1 synced/.test(logs);
  });
  // The kernel spreads connections over the workers; each handshake reaches one of them.
  const seen = new Set<string>();
  await waitFor('the default certificate over HTTPS', async () => (await servedCertificate(lb, 'unknown.test').catch(() => '')) !== '');
  for (let i = 0; i < 20; i++) seen.add(await servedCertificate(lb, 'unknown.test'));
  assert.equal(seen.size, 1, `certificates presented: ${[...seen].join(', ')}`);
  const r = await curl(['-k', '-H', 'Host: nothing.test', `https://${lb}/`]);
  assert.equal(r.status, 404);
});
