import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { kubectlVersionBin, SCENARIOS, startCluster, waitFor, type Cluster, type Result } from '../harness.js';

// The same everyday session with every kubectl minor the project promises (1.32 is the
// default binary and is exercised by the other files), each in its own namespace and with
// its own discovery cache, so each version does its own discovery against the server.

let c: Cluster;
before(async () => {
  c = await startCluster('versions');
});
after(async () => {
  await c?.down();
});

const APP = join(SCENARIOS, '000-www-and-manage', 'app.yaml');

interface Kubectl {
  minor: number;
  run(args: string[], input?: string): Promise<Result>;
  ok(args: string[], input?: string): Promise<string>;
}

function kubectlFor(minor: number, bin: string): Kubectl {
  const cacheDir = join(c.dir, `kubecache-1.${minor}`);
  const run = (args: string[], input?: string) => c.kubectl([`--cache-dir=${cacheDir}`, ...args], { bin, input });
  return {
    minor,
    run,
    async ok(args, input) {
      const r = await run(args, input);
      assert.equal(r.code, 0, `kubectl 1.${minor} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    },
  };
}

async function smoke(k: Kubectl): Promise<void> {
  const ns = `v1-${k.minor}`;
  const n = ['-n', ns];
  assert.match(await k.ok(['create', 'namespace', ns]), new RegExp(`^namespace/${ns} created$`, 'm'));

  const applied = await k.ok(['apply', ...n, '-f', APP]);
  assert.match(applied, /^deployment\.apps\/www created$/m);
  assert.match(applied, /^deployment\.apps\/manage created$/m);
  const again = await k.ok(['apply', ...n, '-f', APP]);
  assert.equal(again, 'deployment.apps/www unchanged\ndeployment.apps/manage unchanged\n');

  // Validation stays on the server: an unknown field is refused there, for every version.
  const unknown = await k.run(['apply', ...n, '-f', '-'], 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: odd}\nspec: {a: 1}\n');
  assert.notEqual(unknown.code, 0);
  assert.match(unknown.stderr, /Error from server \(BadRequest\): error when creating "STDIN": .*strict decoding error: unknown field "spec"/);

  await waitFor(`kubectl 1.${k.minor}: www has 3 Pending pods`, async () => {
    const r = await k.run(['get', 'pods', ...n, '-l', 'app=www', '--field-selector=status.phase=Pending', '-o', 'name']);
    return r.code === 0 && r.stdout.trim().split('\n').filter(Boolean).length === 3;
  });
  const wide = await k.ok(['get', 'deploy', ...n, '-o', 'wide']);
  assert.match(wide, /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\s+CONTAINERS\s+IMAGES\s+SELECTOR$/m);
  assert.match(wide, /^www\s+0\/3\s+3\s+0\s+\S+\s+web\s+registry\.k8s\.io\/echoserver:1\.4\s+app=www$/m);
  const pods = await k.ok(['get', 'pods', ...n, '-o', 'wide']);
  assert.match(pods, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE\s+IP\s+NODE\s+NOMINATED NODE\s+READINESS GATES$/m);
  assert.match(pods, /^www-[a-z0-9]+-[a-z0-9]{5}\s+0\/1\s+Pending\s+0\s+\S+\s+<none>\s+<none>\s+<none>\s+<none>$/m);

  const everywhere = await k.ok(['get', 'deploy', '-A']);
  assert.match(everywhere, /^NAMESPACE\s+NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE$/m);
  assert.match(everywhere, new RegExp(`^${ns}\\s+manage\\s+0/2\\s+2\\s+0\\s+`, 'm'));

  const desc = await k.ok(['describe', 'deployment', 'www', ...n]);
  assert.match(desc, /^Name:\s+www$/m);
  assert.match(desc, new RegExp(`^Namespace:\\s+${ns}$`, 'm'));
  assert.match(desc, /^Replicas:\s+3 desired \| 3 updated \| 3 total \| 0 available \| 3 unavailable$/m);
  assert.match(desc, /^StrategyType:\s+RollingUpdate$/m);
  assert.match(desc, /^NewReplicaSet:\s+www-[a-z0-9]+ \(3\/3 replicas created\)$/m);

  assert.match(await k.ok(['label', 'deployment', 'www', ...n, 'tier=front']), /^deployment\.apps\/www labeled$/m);
  assert.match(
    await k.ok(['patch', 'deployment', 'www', ...n, '--type=merge', '-p', '{"metadata":{"annotations":{"owner":"team-a"}}}']),
    /^deployment\.apps\/www patched$/m,
  );
  const meta = JSON.parse(await k.ok(['get', 'deployment', 'www', ...n, '-o', 'json'])).metadata;
  assert.equal(meta.labels.tier, 'front');
  assert.equal(meta.annotations.owner, 'team-a');

  assert.match(await k.ok(['scale', 'deployment', 'manage', ...n, '--replicas=4']), /^deployment\.apps\/manage scaled$/m);
  await waitFor(`kubectl 1.${k.minor}: manage's ReplicaSet scaled to 4`, async () => {
    const r = await k.run(['get', 'rs', ...n, '-l', 'app=manage', '-o', 'jsonpath={.items[*].spec.replicas}']);
    return r.stdout === '4';
  });

  assert.match(await k.ok(['create', 'deployment', 'extra', ...n, '--image=nginx']), /^deployment\.apps\/extra created$/m);
  const all = await k.ok(['get', 'all', ...n]);
  for (const row of [/^deployment\.apps\/extra\s/m, /^deployment\.apps\/www\s/m, /^replicaset\.apps\/www-[a-z0-9]+\s/m, /^pod\/manage-[a-z0-9]+-[a-z0-9]{5}\s/m]) {
    assert.match(all, row);
  }
  assert.match(await k.ok(['delete', 'deployment', 'extra', ...n]), /^deployment\.apps "extra" deleted$/m);
  const gone = await k.run(['get', 'deployment', 'extra', ...n]);
  assert.equal(gone.stderr.trim(), 'Error from server (NotFound): deployments.apps "extra" not found');

  const ex = await k.ok(['explain', 'deployment.spec.strategy']);
  assert.match(ex, /^KIND:\s+Deployment$/m);
  assert.match(ex, /^FIELD:\s+strategy/m);
  assert.match(ex, /rollingUpdate/);

  const ar = await k.ok(['api-resources']);
  assert.match(ar, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  assert.match(ar, /^namespaces\s+ns\s+v1\s+false\s+Namespace$/m);

  assert.match(await k.ok(['delete', 'namespace', ns]), new RegExp(`^namespace "${ns}" deleted$`, 'm'));
}

const SMOKE_MINORS = [28, 29, 30, 31, 33];

for (const minor of SMOKE_MINORS) {
  const bin = kubectlVersionBin(minor);
  test(`kubectl 1.${minor}: apply, get, describe, label, patch, scale, create, delete, explain, api-resources`, { skip: bin ? false : `kubectl.1.${minor} is not installed` }, async () => {
    await smoke(kubectlFor(minor, bin as string));
  });
}

for (const minor of [28, 29]) {
  const bin = kubectlVersionBin(minor);
  test(`kubectl 1.${minor} is served the v2beta1 form of aggregated discovery`, { skip: bin ? false : `kubectl.1.${minor} is not installed` }, async () => {
    const k = kubectlFor(minor, bin as string);
    const r = await k.run(['-v=8', 'api-resources', '--api-group=apps']);
    assert.equal(r.code, 0, r.stderr);
    const types = [...r.stderr.matchAll(/Content-Type: (application\/json;g=apidiscovery\.k8s\.io;[^\s]+)/g)].map((m) => m[1]);
    assert.ok(types.length >= 2, `discovery responses in: ${r.stderr.slice(0, 2000)}`);
    for (const t of types) assert.equal(t, 'application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList');
    assert.match(r.stdout, /^deployments\s+deploy\s+apps\/v1\s+true\s+Deployment$/m);
  });
}

for (const minor of [32, 33]) {
  const bin = kubectlVersionBin(minor);
  test(`kubectl 1.${minor} autoscale creates an HPA that get hpa prints with an unknown CPU`, { skip: bin ? false : `kubectl.1.${minor} is not installed` }, async () => {
    const k = kubectlFor(minor, bin as string);
    const ns = `hpa-1-${minor}`;
    await k.ok(['create', 'namespace', ns]);
    await k.ok(['create', 'deployment', 'web', '-n', ns, '--image=nginx']);
    const r = await k.run(['-v=8', 'autoscale', 'deployment', 'web', '-n', ns, '--min=2', '--max=5', '--cpu-percent=80']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, 'horizontalpodautoscaler.autoscaling/web autoscaled\n');
    if (minor >= 33) {
      // 1.33 tries autoscaling/v2 first, as protobuf; the server must take it.
      assert.match(
        r.stderr,
        /"Request" verb="POST" url="[^"]*\/apis\/autoscaling\/v2\/namespaces\/hpa-1-33\/horizontalpodautoscalers\?fieldManager=kubectl-autoscale" headers=<\n(?:\t[^\n]*\n)*?\tContent-Type: application\/vnd\.kubernetes\.protobuf\n/,
      );
      assert.match(r.stderr, /"Response" status="201 Created"/);
      assert.doesNotMatch(r.stderr, /autoscaling\/v1\/namespaces/);
    } else {
      // 1.32 POSTs autoscaling/v1 as protobuf.
      assert.match(
        r.stderr,
        /POST https:\/\/\S+\/apis\/autoscaling\/v1\/namespaces\/hpa-1-32\/horizontalpodautoscalers\?fieldManager=kubectl-autoscale\n(?:.*\n)*?.*Content-Type: application\/vnd\.kubernetes\.protobuf\n/,
      );
      assert.match(r.stderr, /Response Status: 201 Created/);
    }
    const hpa = await k.ok(['get', 'hpa', '-n', ns]);
    assert.match(hpa, /^NAME\s+REFERENCE\s+TARGETS\s+MINPODS\s+MAXPODS\s+REPLICAS\s+AGE$/m);
    // REPLICAS is the controller's currentReplicas: 0 until its first sync, then the Deployment's.
    assert.match(hpa, /^web\s+Deployment\/web\s+cpu: <unknown>\/80%\s+2\s+5\s+[0-2]\s+\S+$/m);
    const v2 = JSON.parse(await k.ok(['get', 'hpa.v2.autoscaling', 'web', '-n', ns, '-o', 'json']));
    assert.deepEqual(v2.spec.metrics, [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 80 } } }]);
    assert.deepEqual(v2.spec.scaleTargetRef, { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web' });
  });
}
