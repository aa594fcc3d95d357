import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('verbs');
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

test('system namespaces exist from the start', async () => {
  const out = await ok(['get', 'ns']);
  assert.match(out, /^NAME\s+STATUS\s+AGE/);
  for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) assert.match(out, new RegExp(`^${n}\\s+Active\\s+`, 'm'));
});

test('create deployment and namespace (protobuf bodies) and get them in every format', async () => {
  assert.match(await ok(['create', 'namespace', 'shop']), /namespace\/shop created/);
  assert.match(await ok(['create', 'deployment', 'web', '--image=nginx', '--replicas=2', '-n', 'shop']), /deployment.apps\/web created/);
  const wide = await ok(['get', 'deploy', '-n', 'shop', '-o', 'wide']);
  assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR/);
  assert.match(wide, /^web\s+\d\/2\s+\d+\s+\d+\s+\S+\s+nginx\s+nginx\s+app=web/m);
  const y = await ok(['get', 'deploy', 'web', '-n', 'shop', '-o', 'yaml']);
  assert.match(y, /apiVersion: apps\/v1/);
  assert.match(y, /kind: Deployment/);
  assert.match(y, /progressDeadlineSeconds: 600/);
  assert.match(y, /uid: [0-9a-f-]{36}/);
  const all = await ok(['get', 'deploy', '-A', '--show-labels']);
  assert.match(all, /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+LABELS/);
  assert.match(all, /^shop\s+web\s+.*app=web$/m);
});

test('label, annotate and the three patch types', async () => {
  await ok(['create', 'configmap', 'cfg', '--from-literal=a=1']);
  assert.match(await ok(['label', 'configmap', 'cfg', 'tier=front']), /configmap\/cfg labeled/);
  assert.match(await ok(['annotate', 'configmap', 'cfg', 'note=hi']), /configmap\/cfg annotated/);
  assert.match(await ok(['patch', 'configmap', 'cfg', '--type=merge', '-p', '{"data":{"b":"2"}}']), /patched/);
  assert.match(await ok(['patch', 'configmap', 'cfg', '--type=json', '-p', '[{"op":"add","path":"/data/c","value":"3"}]']), /patched/);
  await ok(['create', 'deployment', 'api', '--image=nginx']);
  assert.match(
    await ok(['patch', 'deployment', 'api', '-p', '{"spec":{"template":{"spec":{"containers":[{"name":"nginx","image":"nginx:1.27"}]}}}}']),
    /deployment.apps\/api patched/,
  );
  const cm = JSON.parse(await ok(['get', 'configmap', 'cfg', '-o', 'json']));
  assert.deepEqual(cm.data, { a: '1', b: '2', c: '3' });
  assert.equal(cm.metadata.labels.tier, 'front');
  assert.equal(cm.metadata.annotations.note, 'hi');
  const d = JSON.parse(await ok(['get', 'deploy', 'api', '-o', 'json']));
  assert.equal(d.spec.template.spec.containers.length, 1);
  assert.equal(d.spec.template.spec.containers[0].image, 'nginx:1.27');
  assert.equal(d.metadata.generation, 2);
  const shown = await ok(['get', 'cm', '-l', 'tier=front', '--show-labels']);
  assert.match(shown, /^cfg\s+3\s+\S+\s+tier=front$/m);
});

test('scale through the scale subresource, with and without --current-replicas', async () => {
  await ok(['create', 'deployment', 'sc', '--image=nginx']);
  assert.match(await ok(['scale', 'deployment', 'sc', '--replicas=4']), /deployment.apps\/sc scaled/);
  assert.equal(await ok(['get', 'deploy', 'sc', '-o', 'jsonpath={.spec.replicas}']), '4');
  assert.match(await ok(['scale', 'deployment', 'sc', '--current-replicas=4', '--replicas=2']), /scaled/);
  const bad = await c.kubectl(['scale', 'deployment', 'sc', '--current-replicas=7', '--replicas=3']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /Expected replicas to be 7, was 2/);
});

test('wait for a condition and for deletion, describe, and delete with each propagation policy', async () => {
  await ok(['create', 'namespace', 'gone']);
  const w = spawn('kubectl', ['wait', '--for=delete', 'namespace/gone', '--timeout=60s'], { env: c.env });
  const waited = new Promise<number>((r) => w.on('exit', (code) => r(code ?? 1)));
  assert.match(await ok(['delete', 'namespace', 'gone']), /namespace "gone" deleted/);
  assert.equal(await waited, 0);
  await ok(['create', 'configmap', 'orph']);
  for (const cascade of ['background', 'foreground', 'orphan']) {
    await ok(['create', 'deployment', `d-${cascade}`, '--image=nginx']);
    assert.match(await ok(['delete', 'deployment', `d-${cascade}`, `--cascade=${cascade}`]), new RegExp(`deployment.apps "d-${cascade}" deleted`));
    const g = await c.kubectl(['get', 'deployment', `d-${cascade}`]);
    assert.match(g.stderr, /NotFound/);
  }
  const desc = await ok(['describe', 'configmap', 'orph']);
  assert.match(desc, /^Name:\s+orph$/m);
  assert.match(desc, /^Namespace:\s+default$/m);
});

test('get -w streams changes as they happen', async () => {
  const w = spawn('kubectl', ['get', 'configmaps', '-w', '--request-timeout=30s'], { env: c.env });
  let out = '';
  w.stdout.on('data', (d) => (out += d));
  await waitFor('the watch header', async () => /NAME\s+DATA\s+AGE/.test(out));
  await ok(['create', 'configmap', 'watched', '--from-literal=x=y']);
  await waitFor('the watched configmap row', async () => /^watched\s+1\s+/m.test(out));
  w.kill('SIGTERM');
});

test('api-resources, explain, version and get all', async () => {
  const ar = await ok(['api-resources']);
  assert.match(ar, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  assert.match(ar, /^virtualservices\s+vs\s+networking.istio.io\/v1\s+true\s+VirtualService$/m);
  assert.match(ar, /^horizontalpodautoscalers\s+hpa\s+autoscaling\/v2\s+true\s+HorizontalPodAutoscaler$/m);
  const ex = await ok(['explain', 'deployment.spec.replicas']);
  assert.match(ex, /FIELD:\s+replicas/);
  assert.match(ex, /desired pods/i);
  const v = await ok(['version', '-o', 'json']);
  assert.equal(JSON.parse(v).serverVersion.minor, '32');
  await ok(['create', 'deployment', 'allx', '--image=nginx', '-n', 'kube-public']);
  const all = await ok(['get', 'all', '-n', 'kube-public']);
  assert.match(all, /deployment.apps\/allx/);
});

test('errors are Kubernetes Status objects, printed by kubectl as upstream', async () => {
  const nf = await c.kubectl(['get', 'pod', 'nope']);
  assert.equal(nf.stderr.trim(), 'Error from server (NotFound): pods "nope" not found');
  await ok(['create', 'configmap', 'dup']);
  const dup = await c.kubectl(['create', 'configmap', 'dup']);
  assert.equal(dup.stderr.trim(), 'error: failed to create configmap: configmaps "dup" already exists');
  const dupApply = await c.kubectl(['create', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: dup}\n' });
  assert.match(dupApply.stderr, /Error from server \(AlreadyExists\): error when creating "STDIN": configmaps "dup" already exists/);
  const sel = `apiVersion: apps/v1
kind: Deployment
metadata: {name: badsel}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: b}}
    spec: {containers: [{name: c, image: nginx}]}
`;
  const bad = await c.kubectl(['apply', '-f', '-'], { input: sel });
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /The Deployment "badsel" is invalid: spec\.template\.metadata\.labels: Invalid value: map\[string\]string\{"app":"b"\}: `selector` does not match template `labels`/);
  const np = `apiVersion: v1
kind: Service
metadata: {name: badport}
spec:
  type: NodePort
  selector: {app: a}
  ports: [{port: 80, nodePort: 99999}]
`;
  const badPort = await c.kubectl(['apply', '-f', '-'], { input: np });
  assert.notEqual(badPort.code, 0);
  assert.match(badPort.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 99999: provided port is not in the valid range\. The range of valid ports is 30000-32767/);
  const unknown = await c.kubectl(['apply', '-f', '-'], { input: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\nspec: {a: 1}\n' });
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /unknown field "spec"/);
});

test('auth can-i answers for the admin token', async () => {
  assert.equal((await ok(['auth', 'can-i', 'create', 'deployments'])).trim(), 'yes');
  assert.match(await ok(['auth', 'can-i', '--list']), /^\*\.\*\s+\[\]\s+\[\]\s+\[\*\]$/m);
});

test('an unauthenticated kubectl is told to log in', async () => {
  const r = await c.kubectl(['get', 'ns', '--token=wrong']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /You must be logged in to the server/);
});

test('re-applying a changed VirtualService patches it (a merge patch, as for a custom resource)', async () => {
  const vs = (timeout: string) => `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
    timeout: ${timeout}
`;
  assert.match(await ok(['apply', '-f', '-'], vs('10s')), /virtualservice.networking.istio.io\/reviews created/);
  assert.match(await ok(['apply', '-f', '-'], vs('3s')), /virtualservice.networking.istio.io\/reviews configured/);
  assert.equal(await ok(['get', 'vs', 'reviews', '-o', 'jsonpath={.spec.http[0].timeout}']), '3s');
  // A strategic merge patch is still refused, with the media types a custom resource takes.
  const smp = await c.kubectl(['patch', 'vs', 'reviews', '--type=strategic', '-p', '{"spec":{"hosts":["x"]}}']);
  assert.notEqual(smp.code, 0);
  assert.match(smp.stderr, /accepted media types include: application\/json-patch\+json, application\/merge-patch\+json, application\/apply-patch\+yaml/);
});
