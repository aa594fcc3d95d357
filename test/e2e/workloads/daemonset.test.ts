// A DaemonSet on a two-node cluster through the real kubectl: one pod per node, placed by a
// node label, rolled to a new image one node at a time, restarted, and deleted with its pods.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
let nodes: string[] = [];
before(async () => {
  c = await startCluster('daemonset', { nodes: 2 });
  nodes = (await c.ok(['get', 'nodes', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/).sort();
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

const daemonSet = (name: string, image: string, nodeSelector?: Record<string, string>, updateStrategy = '{}') => `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: ${name}}
spec:
  updateStrategy: ${updateStrategy}
  selector: {matchLabels: {app: ${name}}}
  template:
    metadata: {labels: {app: ${name}}}
    spec:
      ${nodeSelector ? `nodeSelector: ${JSON.stringify(nodeSelector)}` : ''}
      containers:
      - name: agent
        image: ${image}
        args: [netexec, --http-port=8080]
        readinessProbe:
          httpGet: {path: /healthz, port: 8080}
          periodSeconds: 1
`;

interface PodView {
  metadata: { name: string; labels: Record<string, string>; annotations?: Record<string, string>; deletionTimestamp?: string; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  spec: { nodeName?: string; containers: { image: string }[]; tolerations?: { key?: string; effect?: string }[]; affinity?: { nodeAffinity?: { requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: { matchFields?: { key: string; operator: string; values: string[] }[] }[] } } } };
}

const pods = async (app: string): Promise<PodView[]> =>
  (JSON.parse(await ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])).items as PodView[]).filter((p) => !p.metadata.deletionTimestamp);
/** Runs `change`, then waits for the rollout; returns every numberAvailable a watch saw meanwhile. */
async function availableDuring(name: string, change: () => Promise<unknown>): Promise<number[]> {
  const watch = spawn('kubectl', ['get', 'ds', name, '-w', '-o', 'jsonpath={.status.numberAvailable}{"\\n"}', '--request-timeout=200s'], { env: c.env });
  let seen = '';
  watch.stdout.on('data', (d) => (seen += d));
  try {
    await waitFor('the watch to start', async () => seen.length > 0);
    await change();
    assert.match(await ok(['rollout', 'status', `ds/${name}`, '--timeout=180s']), new RegExp(`daemon set "${name}" successfully rolled out`));
  } finally {
    watch.kill('SIGTERM');
  }
  // numberAvailable is omitted at 0, which the template prints as an empty line.
  return seen.split('\n').slice(0, -1).map((l) => Number(l || 0));
}

const nodesOf = async (app: string) => (await pods(app)).map((p) => p.spec.nodeName ?? '').sort();

test('one pod per node, pinned by node affinity and bound by the scheduler; get, wide and describe show it', async () => {
  await ok(['apply', '-f', '-'], daemonSet('agent', 'registry.k8s.io/e2e-test-images/agnhost:2.39'));
  assert.match(await ok(['rollout', 'status', 'ds/agent', '--timeout=120s']), /daemon set "agent" successfully rolled out/);
  const list = await pods('agent');
  assert.deepEqual(list.map((p) => p.spec.nodeName).sort(), nodes);
  for (const p of list) {
    assert.deepEqual(p.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['DaemonSet', 'agent', true]]);
    assert.equal(p.metadata.labels['pod-template-generation'], '1');
    assert.match(p.metadata.labels['controller-revision-hash'] ?? '', /^\w+$/);
    assert.deepEqual(p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms, [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: [p.spec.nodeName] }] }]);
    assert.ok(p.spec.tolerations?.some((t) => t.key === 'node.kubernetes.io/not-ready' && t.effect === 'NoExecute'));
  }

  const table = (await ok(['get', 'ds', 'agent'])).trim().split('\n');
  assert.match(table[0], /^NAME\s+DESIRED\s+CURRENT\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+NODE SELECTOR\s+AGE$/);
  assert.match(table[1], /^agent\s+2\s+2\s+2\s+2\s+2\s+<none>\s+\S+$/);
  const wide = (await ok(['get', 'daemonsets', '-o', 'wide'])).trim().split('\n');
  assert.match(wide[0], /AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/);
  assert.match(wide[1], /agent\s+registry\.k8s\.io\/e2e-test-images\/agnhost:2\.39\s+app=agent$/);
  const described = await ok(['describe', 'ds', 'agent']);
  assert.match(described, /Desired Number of Nodes Scheduled: 2/);
  assert.match(described, /Pods Status:\s+2 Running/);
  assert.match(described, /SuccessfulCreate\s+\S+\s+daemonset-controller\s+Created pod: agent-\w+/);
});

test('a nodeSelector follows node labels: a labelled node gets the pod, an unlabelled one loses it', async () => {
  const label = 'skiff.e2e/daemon';
  await ok(['apply', '-f', '-'], daemonSet('picky', 'registry.k8s.io/e2e-test-images/agnhost:2.39', { [label]: 'yes' }));
  await waitFor('picky to be observed with no node to run on', async () => (await ok(['get', 'ds', 'picky', '-o', 'jsonpath={.status.observedGeneration}'])).trim() === '1');
  assert.equal((await ok(['get', 'ds', 'picky', '-o', 'jsonpath={.status.desiredNumberScheduled}'])).trim(), '0');
  assert.deepEqual(await nodesOf('picky'), []);
  assert.match((await ok(['get', 'ds', 'picky'])).split('\n')[1], new RegExp(`${label.replace('.', '\\.')}=yes`));

  await ok(['label', 'node', nodes[0], `${label}=yes`]);
  await waitFor('a picky pod on the labelled node', async () => (await nodesOf('picky')).join() === nodes[0]);
  await ok(['label', 'node', nodes[1], `${label}=yes`]);
  await waitFor('picky pods on both nodes', async () => (await nodesOf('picky')).join() === nodes.join());
  await ok(['label', 'node', nodes[0], `${label}-`]);
  await waitFor('the pod of the unlabelled node to go', async () => (await nodesOf('picky')).join() === nodes[1]);
  assert.match(await ok(['rollout', 'status', 'ds/picky', '--timeout=120s']), /successfully rolled out/);
  assert.equal((await ok(['get', 'ds', 'picky', '-o', 'jsonpath={.status.desiredNumberScheduled}'])).trim(), '1');
  await ok(['label', 'node', nodes[1], `${label}-`]);
  await ok(['delete', 'ds', 'picky']);
});

test('set image rolls the pods over node by node; rollout restart replaces them again', async () => {
  const before = (await pods('agent')).map((p) => p.metadata.name);
  const available = await availableDuring('agent', () => ok(['set', 'image', 'ds/agent', 'agent=registry.k8s.io/e2e-test-images/agnhost:2.40']));
  // maxUnavailable 1 of 2 nodes: one node at a time.
  assert.ok(Math.min(...available) >= 1, `numberAvailable went ${available.join(' → ')}`);
  let list = await pods('agent');
  assert.deepEqual(list.map((p) => p.spec.nodeName).sort(), nodes);
  for (const p of list) {
    assert.equal(p.spec.containers[0].image, 'registry.k8s.io/e2e-test-images/agnhost:2.40');
    assert.equal(p.metadata.labels['pod-template-generation'], '2');
    assert.ok(!before.includes(p.metadata.name));
  }
  const events = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=DaemonSet,involvedObject.name=agent,reason=SuccessfulDelete', '-o', 'jsonpath={.items[*].message}']);
  for (const name of before) assert.match(events, new RegExp(`Deleted pod: ${name}`));

  await ok(['rollout', 'restart', 'ds/agent']);
  assert.match(await ok(['rollout', 'status', 'ds/agent', '--timeout=180s']), /successfully rolled out/);
  list = await pods('agent');
  assert.equal(list.length, 2);
  for (const p of list) assert.ok(p.metadata.annotations?.['kubectl.kubernetes.io/restartedAt'], `${p.metadata.name} carries the restart annotation`);
  assert.equal((await ok(['get', 'ds', 'agent', '-o', 'jsonpath={.metadata.annotations.deprecated\\.daemonset\\.template\\.generation}'])).trim(), '3');
});

test('with maxSurge 1 and maxUnavailable 0 the new pod is ready beside the old before the old goes', async () => {
  await ok(['apply', '-f', '-'], daemonSet('surge', 'registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, '{rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}'));
  assert.match(await ok(['rollout', 'status', 'ds/surge', '--timeout=120s']), /successfully rolled out/);
  const available = await availableDuring('surge', () => ok(['set', 'image', 'ds/surge', 'agent=registry.k8s.io/e2e-test-images/agnhost:2.40']));
  assert.ok(Math.min(...available) >= 2, `numberAvailable went ${available.join(' → ')}`);
  const list = await pods('surge');
  assert.deepEqual(list.map((p) => p.spec.nodeName).sort(), nodes);
  for (const p of list) assert.equal(p.spec.containers[0].image, 'registry.k8s.io/e2e-test-images/agnhost:2.40');
  await ok(['delete', 'ds', 'surge']);
});

test('bad input is refused with the upstream message; deleting the DaemonSet deletes its pods', async () => {
  const bad = daemonSet('bad', 'busybox').replace('metadata: {labels: {app: bad}}', 'metadata: {labels: {app: other}}');
  const r = await c.kubectl(['apply', '-f', '-'], { input: bad });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /The DaemonSet "bad" is invalid: spec.template.metadata.labels: Invalid value: map\[string\]string\{"app":"other"\}: `selector` does not match template `labels`/);

  await ok(['delete', 'ds', 'agent']);
  await waitFor('the agent pods to be deleted with their DaemonSet', async () => JSON.parse(await ok(['get', 'pods', '-l', 'app=agent', '-o', 'json'])).items.length === 0, 60_000);
});
