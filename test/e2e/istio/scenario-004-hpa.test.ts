// Scenario 004, check 4: the whole chain Gateway → VirtualService → DestinationRule → Service →
// Deployment → HPA → Pod. my-app-hpa, written in autoscaling/v2beta2, keeps my-app at its
// minimum of 2 without load; a steady load on /api through the ingress gateway drives the
// measured CPU past 50% of the 200m request and the replicas up; when it stops they return
// to 2. The controller syncs every 5 s through kube-controller-manager's own flag, and the
// scale-down window is shortened through `behavior`, as users do.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SCENARIOS, startCluster, waitFor, type Cluster } from '../harness.js';

const DIR = join(SCENARIOS, '004-istio-gateway-hpa');

let c: Cluster;
before(async () => {
  c = await startCluster('istio-hpa', { nodes: 2, upArgs: ['--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=5s'] });
  await waitFor('the Istio add-on', async () => (await c.kubectl(['get', '-n', 'istio-system', 'deployment/istio-ingressgateway'])).code === 0, 60_000);
  await c.ok(['rollout', 'status', '-n', 'istio-system', 'deployment/istiod', '--timeout=120s']);
  await c.ok(['rollout', 'status', '-n', 'istio-system', 'deployment/istio-ingressgateway', '--timeout=120s']);
});
after(async () => {
  await c?.down();
});

const LOAD = `
apiVersion: v1
kind: Pod
metadata: { name: load }
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: load
    image: busybox
    command: ["/bin/sh", "-c", "while sleep 0.01; do wget -q -O- --header 'Host: example.com' http://istio-ingressgateway.istio-system/api; done"]
`;

const replicas = async () => Number(await c.ok(['get', 'deployment', 'my-app-deployment', '-o', 'jsonpath={.spec.replicas}']));
const events = async () => c.ok(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=my-app-hpa', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}']);

test('check 4: my-app-hpa settles at 2, scales out under load through the gateway, and comes back to 2', async () => {
  await c.ok(['apply', '-f', join(DIR, 'app.yaml'), '-f', join(DIR, 'istio.yaml')]);
  // Accepted as written, and served in both versions.
  for (const v of ['v2beta2', 'v2']) assert.equal(JSON.parse(await c.ok(['get', '--raw', `/apis/autoscaling/${v}/namespaces/default/horizontalpodautoscalers/my-app-hpa`])).apiVersion, `autoscaling/${v}`);
  await c.ok(['patch', 'hpa', 'my-app-hpa', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}']);

  // No load: from the Deployment's 3 down to minReplicas, with real (small) CPU in top.
  await waitFor('settled at minReplicas', async () => (await replicas()) === 2, 180_000);
  await waitFor('kubectl top pods shows my-app', async () => /^my-app-deployment-\S+\s+\d+m\s+\d+Mi\s*$/m.test((await c.kubectl(['top', 'pods', '-l', 'app=my-app'])).stdout), 120_000);

  await c.ok(['apply', '-f', '-'], LOAD);
  await waitFor('scaled out under load', async () => (await replicas()) > 2, 240_000);
  const describe = await c.ok(['describe', 'hpa', 'my-app-hpa']);
  const utilization = Number(/\(as a percentage of request\):\s+(\d+)% \(\d+m\) \/ 50%/.exec(describe)?.[1]);
  assert.ok(utilization > 50, `utilization ${utilization}% under load:\n${describe}`);
  assert.match(await events(), /^SuccessfulRescale New size: \d+; reason: cpu resource utilization \(percentage of request\) above target$/m);

  await c.ok(['delete', 'pod', 'load', '--wait=true']);
  await waitFor('back to minReplicas', async () => (await replicas()) === 2, 240_000);
});
