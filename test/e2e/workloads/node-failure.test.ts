import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  // A node silent for 4 s is NotReady (upstream's default is 40 s).
  c = await startCluster('nodefail', { nodes: 2, env: { SKIFF_NODE_MONITOR_GRACE_PERIOD: '4' } });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

interface Pod {
  metadata: { name: string; deletionTimestamp?: string };
  spec: { nodeName?: string };
  status: { conditions?: { type: string; status: string }[] };
}

test('when a node agent stops, its node goes NotReady and its pods move to the other node after their toleration', async () => {
  await waitFor('two Ready nodes', async () => (await ok(['get', 'nodes'])).split('\n').filter((l) => /\sReady\s/.test(l)).length === 2, 30_000);
  await ok(['apply', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata: {name: spread}
spec:
  replicas: 2
  selector: {matchLabels: {app: spread}}
  template:
    metadata: {labels: {app: spread}}
    spec:
      # sleep as PID 1 ignores SIGTERM: without this the evicted pods' end waits out the default 30 s.
      terminationGracePeriodSeconds: 1
      tolerations:
      - {key: node.kubernetes.io/unreachable, operator: Exists, effect: NoExecute, tolerationSeconds: 2}
      containers:
      - {name: c, image: busybox, command: [sleep, '3600']}
`);
  assert.match(await ok(['rollout', 'status', 'deployment/spread', '--timeout=60s']), /successfully rolled out/);
  const pods = async (): Promise<Pod[]> => JSON.parse(await ok(['get', 'pods', '-l', 'app=spread', '-o', 'json'])).items;
  const before = await pods();
  const node2 = `${c.name}-node-2`;
  assert.deepEqual(new Set(before.map((p) => p.spec.nodeName)), new Set([`${c.name}-node-1`, node2]), 'replicas are spread over both nodes');

  const pid = Number(readFileSync(join(c.env.SKIFF_HOME!, 'clusters', c.name, 'nodes', node2, 'agent.pid'), 'utf8'));
  process.kill(pid, 'SIGTERM');
  await waitFor(`${node2} NotReady`, async () => new RegExp(`^${node2}\\s+NotReady`, 'm').test(await ok(['get', 'nodes'])), 30_000);
  const taints = await ok(['get', 'node', node2, '-o', 'jsonpath={.spec.taints[*].key}']);
  assert.match(taints, /node\.kubernetes\.io\/unreachable/);
  await waitFor('two Ready replicas on node 1', async () => {
    const live = (await pods()).filter((p) => !p.metadata.deletionTimestamp);
    return live.length === 2 && live.every((p) => p.spec.nodeName === `${c.name}-node-1` && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'));
  }, 60_000);

  // The agent comes back with `skiff up`, adopts what it finds, and finishes the evicted pods' deletion.
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  await waitFor(`${node2} Ready again`, async () => new RegExp(`^${node2}\\s+Ready`, 'm').test(await ok(['get', 'nodes'])), 30_000);
  await waitFor('the evicted pods gone', async () => (await pods()).length === 2, 60_000);
});
