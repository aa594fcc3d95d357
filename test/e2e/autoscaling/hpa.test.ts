import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// The HPA controller in a real cluster without nodes: metrics-server is installed only once the
// cluster's DNS and ingress controller run, so metrics.k8s.io is not served and the controller
// reports upstream's failure, while min/max clamping still scales. walkthrough.test.ts scales
// on measured CPU.
// The sync period is shortened with kube-controller-manager's own flag.

let c: Cluster;
before(async () => {
  c = await startCluster('hpa', { upArgs: ['--kube-controller-manager-arg=horizontal-pod-autoscaler-sync-period=2s'] });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);
const NO_METRICS = 'unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server could not find the requested resource (get pods.metrics.k8s.io)';

function deployment(name: string, cpuRequest?: string): string {
  const resources = cpuRequest ? `\n        resources: {requests: {cpu: ${cpuRequest}}}` : '';
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: ${name}}
spec:
  replicas: 1
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      containers:
      - name: c
        image: busybox
        command: [sleep, '3600']${resources}
`;
}

interface HPA {
  status?: { currentReplicas?: number; desiredReplicas?: number; conditions?: { type: string; status: string; reason: string; message: string }[] };
}

const hpaOf = async (name: string): Promise<HPA> => JSON.parse(await ok(['get', 'hpa', name, '-o', 'json']));
const condition = (h: HPA, type: string) => h.status?.conditions?.find((x) => x.type === type);
const events = async (name: string) => ok(['get', 'events', '--field-selector', `involvedObject.name=${name},involvedObject.kind=HorizontalPodAutoscaler`, '-o', 'jsonpath={range .items[*]}{.type} {.reason} {.message}{"\\n"}{end}']);

test('kubectl autoscale: min clamping scales the Deployment up, then ScalingActive False FailedGetResourceMetric without a metrics API', async () => {
  await ok(['apply', '-f', '-'], deployment('php', '200m'));
  assert.match(await ok(['autoscale', 'deployment', 'php', '--cpu-percent=50', '--min=2', '--max=10']), /horizontalpodautoscaler.autoscaling\/php autoscaled/);

  await waitFor('the Deployment scaled to minReplicas', async () => (await ok(['get', 'deployment', 'php', '-o', 'jsonpath={.spec.replicas}'])) === '2', 30_000);
  await waitFor('ScalingActive False', async () => condition(await hpaOf('php'), 'ScalingActive')?.status === 'False', 30_000);
  const h = await hpaOf('php');
  assert.equal(h.status?.currentReplicas, 2);
  const active = condition(h, 'ScalingActive')!;
  assert.equal(active.reason, 'FailedGetResourceMetric');
  assert.equal(active.message, `the HPA was unable to compute the replica count: failed to get cpu utilization: ${NO_METRICS}`);
  assert.equal(condition(h, 'AbleToScale')?.reason, 'SucceededGetScale');

  const ev = await events('php');
  assert.match(ev, /^Normal SuccessfulRescale New size: 2; reason: Current number of replicas below Spec\.MinReplicas$/m);
  assert.ok(ev.includes(`Warning FailedGetResourceMetric failed to get cpu utilization: ${NO_METRICS}`), ev);
  assert.ok(ev.includes(`Warning FailedComputeMetricsReplicas invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: failed to get cpu utilization: ${NO_METRICS}`), ev);

  const table = await ok(['get', 'hpa', 'php']);
  assert.match(table, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
  assert.match(table, /^php\s+Deployment\/php\s+cpu: <unknown>\/50%\s+2\s+10\s+2\s+\S+$/m);

  const describe = await ok(['describe', 'hpa', 'php']);
  assert.match(describe, /resource cpu on pods\s+\(as a percentage of request\):\s+<unknown> \/ 50%/);
  assert.match(describe, /Deployment pods:\s+2 current \/ 2 desired/);
  assert.match(describe, /ScalingActive\s+False\s+FailedGetResourceMetric\s+the HPA was unable to compute the replica count/);
  assert.match(describe, /Normal\s+SuccessfulRescale\s+.*New size: 2; reason: Current number of replicas below Spec\.MinReplicas/);
});

test('a Deployment without cpu requests gets the warning and is not scaled; max clamping scales down', async () => {
  await ok(['apply', '-f', '-'], deployment('norequest'));
  await ok(['scale', 'deployment', 'norequest', '--replicas=3']);
  await ok(['apply', '-f', '-'], `apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata: {name: norequest}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: norequest}
  minReplicas: 1
  maxReplicas: 3
  metrics:
  - type: Resource
    resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}
`);
  await waitFor('FailedGetResourceMetric', async () => /Warning FailedGetResourceMetric failed to get cpu utilization: /.test(await events('norequest')), 30_000);
  assert.equal(await ok(['get', 'deployment', 'norequest', '-o', 'jsonpath={.spec.replicas}']), '3');

  // Lowering maxReplicas is a spec change: the next sync scales the target down to it.
  await ok(['patch', 'hpa', 'norequest', '--type=merge', '-p', '{"spec":{"maxReplicas":2}}']);
  await waitFor('the Deployment scaled to maxReplicas', async () => (await ok(['get', 'deployment', 'norequest', '-o', 'jsonpath={.spec.replicas}'])) === '2', 30_000);
  assert.match(await events('norequest'), /^Normal SuccessfulRescale New size: 2; reason: Current number of replicas above Spec\.MaxReplicas$/m);
});

test('a target that does not exist: AbleToScale False FailedGetScale', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: ghost}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: ghost}
  maxReplicas: 3
  targetCPUUtilizationPercentage: 50
`);
  await waitFor('AbleToScale False', async () => condition(await hpaOf('ghost'), 'AbleToScale')?.status === 'False', 30_000);
  const able = condition(await hpaOf('ghost'), 'AbleToScale')!;
  assert.equal(able.reason, 'FailedGetScale');
  assert.equal(able.message, `the HPA controller was unable to get the target's current scale: deployments.apps "ghost" not found`);
  assert.match(await events('ghost'), /^Warning FailedGetScale deployments.apps "ghost" not found$/m);
});
