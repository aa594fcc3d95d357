import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { LOAD_GENERATOR, PHP_APACHE } from './php-apache.js';

// Kubernetes' HorizontalPodAutoscaler walkthrough on a real node: php-apache (the built-in
// hpa-example burns CPU per request), `kubectl autoscale`, a busybox load generator, and the
// way back down once the load stops. Measured CPU comes from the cgroups through the kubelet's
// /metrics/resource, metrics-server and the aggregation layer. The controller syncs every 5 s
// through kube-controller-manager's own flag; the way down is shortened through `behavior`,
// as users do, not through a changed default.

let c: Cluster;
before(async () => {
  c = await startCluster('walk', { nodes: 1, upArgs: ['--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=5s'] });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);



const replicas = async () => Number(await ok(['get', 'deployment', 'php-apache', '-o', 'jsonpath={.spec.replicas}']));
const events = async () => ok(['get', 'events', '--field-selector', 'involvedObject.kind=HorizontalPodAutoscaler,involvedObject.name=php-apache', '-o', 'jsonpath={range .items[*]}{.reason} {.message}{"\\n"}{end}']);

test('php-apache scales out under load on measured CPU and back to minReplicas after it', async () => {
  await ok(['apply', '-f', '-'], PHP_APACHE);
  await ok(['rollout', 'status', 'deployment/php-apache', '--timeout=90s']);
  assert.match(await ok(['autoscale', 'deployment', 'php-apache', '--cpu-percent=50', '--min=1', '--max=10']), /horizontalpodautoscaler.autoscaling\/php-apache autoscaled/);

  // Idle: a measured utilization far below the target, and no scaling.
  let row = '';
  await waitFor('a measured utilization in kubectl get hpa', async () => {
    row = (await ok(['get', 'hpa', 'php-apache', '--no-headers'])).trim();
    return /cpu: \d+%\/50%/.test(row);
  }, 120_000);
  assert.match(row, /^php-apache\s+Deployment\/php-apache\s+cpu: \d+%\/50%\s+1\s+10\s+1\s+/);
  assert.equal(await replicas(), 1);

  await ok(['apply', '-f', '-'], LOAD_GENERATOR);
  await waitFor('scaled out under load', async () => (await replicas()) > 1, 180_000);
  const describe = await ok(['describe', 'hpa', 'php-apache']);
  assert.match(describe, /resource cpu on pods\s+\(as a percentage of request\):\s+(\d+)% \(\d+m\) \/ 50%/);
  const utilization = Number(/\(as a percentage of request\):\s+(\d+)%/.exec(describe)![1]);
  assert.ok(utilization > 50, `utilization ${utilization}% under load`);
  assert.match(await events(), /^SuccessfulRescale New size: \d+; reason: cpu resource utilization \(percentage of request\) above target$/m);

  await ok(['delete', 'pod', 'load-generator', '--wait=true']);
  await ok(['patch', 'hpa', 'php-apache', '--type=merge', '-p', '{"spec":{"behavior":{"scaleDown":{"stabilizationWindowSeconds":0}}}}']);
  await waitFor('back to minReplicas', async () => (await replicas()) === 1, 180_000);
  assert.match(await events(), /^SuccessfulRescale New size: 1; reason: All metrics below target$/m);
});
