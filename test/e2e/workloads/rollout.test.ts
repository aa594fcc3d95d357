import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('rollout', { nodes: 1 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

const MANIFEST = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  replicas: 3
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: registry.k8s.io/e2e-test-images/agnhost:2.39
        args: [netexec, --http-port=8080]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
`;

test('set image rolls the Deployment over without dropping below the available count, and undo brings the old ReplicaSet back', async () => {
  await ok(['apply', '-f', '-'], MANIFEST);
  assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']), /successfully rolled out/);
  const first = (await ok(['get', 'rs', '-l', 'app=web', '-o', 'jsonpath={.items[0].metadata.name}'])).trim();

  // Every change of availableReplicas during the rollout, as a watch sees it.
  const watch = spawn('kubectl', ['get', 'deploy', 'web', '-w', '-o', 'jsonpath={.status.availableReplicas}{"\\n"}', '--request-timeout=120s'], { env: c.env });
  let seen = '';
  watch.stdout.on('data', (d) => (seen += d));
  try {
    await waitFor('the watch to start', async () => seen.length > 0);
    await ok(['set', 'image', 'deployment/web', 'web=registry.k8s.io/e2e-test-images/agnhost:2.40']);
    assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']), /successfully rolled out/);
  } finally {
    watch.kill('SIGTERM');
  }
  const values = seen.trim().split('\n').filter(Boolean).map(Number);
  assert.ok(values.length >= 1);
  assert.ok(values.every((v) => v >= 3), `availableReplicas during the rollout: ${values.join(' ')}`);
  await waitFor('only new pods left', async () => {
    const out = await ok(['get', 'pods', '-l', 'app=web', '-o', 'jsonpath={range .items[*]}{.spec.containers[0].image}{"\\n"}{end}']);
    return out.trim().split('\n').every((i) => i.endsWith(':2.40'));
  }, 60_000);

  assert.match(await ok(['rollout', 'undo', 'deployment/web']), /rolled back/);
  assert.match(await ok(['rollout', 'status', 'deployment/web', '--timeout=90s']), /successfully rolled out/);
  const rs = JSON.parse(await ok(['get', 'rs', '-l', 'app=web', '-o', 'json'])).items as { metadata: { name: string }; spec: { replicas: number } }[];
  assert.equal(rs.length, 2, 'undo reuses the first ReplicaSet instead of making a third');
  assert.equal(rs.find((r) => r.metadata.name === first)?.spec.replicas, 3);
});
