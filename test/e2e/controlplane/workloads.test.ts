import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// Deployment behaviour a user sees through kubectl when no pod ever runs (there are no
// nodes): ReplicaSets, revisions, rollouts, conditions, events, dry runs and watches.

let c: Cluster;
before(async () => {
  c = await startCluster('workloads');
});
after(async () => {
  await c?.down();
});

const REVISION = 'deployment.kubernetes.io/revision';

interface Obj {
  metadata: {
    name: string;
    uid: string;
    generation?: number;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    ownerReferences?: { kind: string; name: string; uid: string; controller?: boolean }[];
  };
  spec: {
    replicas?: number;
    paused?: boolean;
    selector?: { matchLabels?: Record<string, string> };
    template?: { metadata?: { labels?: Record<string, string> }; spec?: { containers?: { image: string }[] } };
  };
  status?: {
    phase?: string;
    observedGeneration?: number;
    replicas?: number;
    conditions?: { type: string; status: string; reason: string; message: string }[];
  };
}

const ok = (args: string[], input?: string) => c.ok(args, input);
const get = async (args: string[]): Promise<Obj> => JSON.parse(await ok(['get', ...args, '-o', 'json']));
const list = async (args: string[]): Promise<Obj[]> => (JSON.parse(await ok(['get', ...args, '-o', 'json'])).items as Obj[]);
const revisionOf = (o: Obj) => o.metadata.annotations?.[REVISION];
const imageOf = (o: Obj) => o.spec.template?.spec?.containers?.[0]?.image;
const byRevision = (a: Obj, b: Obj) => Number(revisionOf(a)) - Number(revisionOf(b));

/** Waits until the controller has seen the deployment's latest spec, then returns it. */
async function observed(name: string): Promise<Obj> {
  let d: Obj | undefined;
  await waitFor(`deployment ${name} to be observed`, async () => {
    d = await get(['deployment', name]);
    return d.status?.observedGeneration === d.metadata.generation;
  });
  return d as Obj;
}

async function replicaSets(app: string): Promise<Obj[]> {
  return (await list(['rs', '-l', `app=${app}`])).sort(byRevision);
}

let first: Obj;
let second: Obj;

test('create deployment makes a ReplicaSet <deploy>-<hash> with the hash label, revision 1, and Pending pods', async () => {
  assert.equal(await ok(['create', 'deployment', 'web', '--image=nginx:1.25', '--replicas=3']), 'deployment.apps/web created\n');
  let pods: Obj[] = [];
  await waitFor('web to have one ReplicaSet with 3 Pending pods', async () => {
    const rss = await replicaSets('web');
    pods = await list(['pods', '-l', 'app=web']);
    first = rss[0];
    return rss.length === 1 && pods.length === 3 && pods.every((p) => p.status?.phase === 'Pending');
  });
  const hash = first.metadata.labels?.['pod-template-hash'] as string;
  assert.match(hash, /^[a-z0-9]{1,10}$/);
  assert.equal(first.metadata.name, `web-${hash}`);
  assert.equal(first.spec.selector?.matchLabels?.['pod-template-hash'], hash);
  assert.equal(first.spec.template?.metadata?.labels?.['pod-template-hash'], hash);
  assert.equal(revisionOf(first), '1');
  assert.equal(first.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
  assert.equal(first.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
  for (const p of pods) {
    assert.match(p.metadata.name, new RegExp(`^web-${hash}-[a-z0-9]{5}$`));
    assert.equal(p.metadata.labels?.['pod-template-hash'], hash);
  }
  const d = await observed('web');
  assert.equal(revisionOf(d), '1');

  const out = await ok(['get', 'rs,pods', '-l', 'app=web']);
  assert.match(out, /^NAME\s+DESIRED\s+CURRENT\s+READY\s+AGE$/m);
  assert.match(out, new RegExp(`^replicaset\\.apps/web-${hash}\\s+3\\s+3\\s+0\\s+\\S+$`, 'm'));
  assert.match(out, /^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE$/m);
  assert.equal(out.match(new RegExp(`^pod/web-${hash}-[a-z0-9]{5}\\s+0/1\\s+Pending\\s+0\\s+\\S+$`, 'gm'))?.length, 3, out);
});

test('set image makes revision 2; rollout undo brings the first ReplicaSet back as revision 3', async () => {
  assert.equal(await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.27']), 'deployment.apps/web image updated\n');
  await waitFor('a second ReplicaSet with revision 2, surged to 1', async () => {
    const rss = await replicaSets('web');
    second = rss[1];
    return rss.length === 2 && revisionOf(second) === '2' && second.spec.replicas === 1;
  });
  assert.notEqual(second.metadata.name, first.metadata.name);
  assert.equal(imageOf(second), 'nginx:1.27');
  // No pod is ever available, so the old ReplicaSet may not shrink (maxUnavailable 0).
  assert.equal((await get(['rs', first.metadata.name])).spec.replicas, 3);
  assert.equal(revisionOf(await observed('web')), '2');

  const history = await ok(['rollout', 'history', 'deployment/web']);
  assert.match(history, /^deployment\.apps\/web $/m);
  assert.match(history, /^REVISION\s+CHANGE-CAUSE$/m);
  assert.deepEqual(history.match(/^\d+(?=\s+<none>$)/gm), ['1', '2']);
  const rev1 = await ok(['rollout', 'history', 'deployment/web', '--revision=1']);
  assert.match(rev1, /^deployment\.apps\/web with revision #1$/m);
  assert.match(rev1, /^\s+Image:\s+nginx:1\.25$/m);

  assert.equal(await ok(['rollout', 'undo', 'deployment/web']), 'deployment.apps/web rolled back\n');
  await waitFor('the first ReplicaSet to become revision 3', async () => revisionOf(await get(['rs', first.metadata.name])) === '3');
  const d = await observed('web');
  assert.equal(revisionOf(d), '3');
  assert.equal(imageOf(d), 'nginx:1.25');
  const rss = await replicaSets('web');
  assert.deepEqual(
    rss.map((r) => [r.metadata.name, revisionOf(r)]),
    [
      [second.metadata.name, '2'],
      [first.metadata.name, '3'],
    ],
  );
  assert.equal(rss[1].metadata.uid, first.metadata.uid);
  assert.equal(rss[1].metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
  assert.deepEqual((await ok(['rollout', 'history', 'deployment/web'])).match(/^\d+(?=\s+<none>$)/gm), ['2', '3']);
});

test('describe deployment shows the conditions and the ScalingReplicaSet events', async () => {
  let desc = '';
  await waitFor('both ScalingReplicaSet events in describe', async () => {
    desc = await ok(['describe', 'deployment', 'web']);
    return desc.includes(`Scaled up replica set ${second.metadata.name} to 1`);
  });
  assert.match(desc, /^Replicas:\s+3 desired \| 3 updated \| 4 total \| 0 available \| 4 unavailable$/m);
  assert.match(desc, /^Conditions:\n\s+Type\s+Status\s+Reason\n\s+----\s+------\s+------\n/m);
  assert.match(desc, /^\s+Available\s+False\s+MinimumReplicasUnavailable$/m);
  assert.match(desc, /^\s+Progressing\s+True\s+ReplicaSetUpdated$/m);
  assert.match(desc, new RegExp(`^OldReplicaSets:\\s+${second.metadata.name} \\(1/1 replicas created\\)$`, 'm'));
  assert.match(desc, new RegExp(`^NewReplicaSet:\\s+${first.metadata.name} \\(3/3 replicas created\\)$`, 'm'));
  assert.match(desc, /^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n/m);
  assert.match(desc, new RegExp(`^\\s+Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set ${first.metadata.name} to 3$`, 'm'));
  assert.match(desc, new RegExp(`^\\s+Normal\\s+ScalingReplicaSet\\s+\\S+\\s+deployment-controller\\s+Scaled up replica set ${second.metadata.name} to 1$`, 'm'));
});

test('scaling writes "Scaled down … to N from M" and "Scaled up … to N from M" events', async () => {
  await ok(['create', 'deployment', 'solo', '--image=nginx', '--replicas=3']);
  let rs: Obj | undefined;
  await waitFor('solo to have its ReplicaSet at 3', async () => {
    rs = (await replicaSets('solo'))[0];
    return rs?.spec.replicas === 3;
  });
  const name = (rs as Obj).metadata.name;
  await ok(['scale', 'deployment', 'solo', '--replicas=1']);
  await waitFor('solo scaled down to 1', async () => (await get(['rs', name])).spec.replicas === 1);
  await ok(['scale', 'deployment', 'solo', '--replicas=2']);
  await waitFor('solo scaled up to 2', async () => (await get(['rs', name])).spec.replicas === 2);

  const rows = (out: string) => out.trim().split('\n').slice(1);
  let out = '';
  await waitFor('the scaling events of solo', async () => {
    out = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment,involvedObject.name=solo']);
    return rows(out).length === 3;
  });
  assert.match(out, /^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$/m);
  assert.match(out, new RegExp(`^\\S+\\s+Normal\\s+ScalingReplicaSet\\s+deployment/solo\\s+Scaled up replica set ${name} to 3$`, 'm'));
  assert.match(out, new RegExp(`^\\S+\\s+Normal\\s+ScalingReplicaSet\\s+deployment/solo\\s+Scaled down replica set ${name} to 1 from 3$`, 'm'));
  assert.match(out, new RegExp(`^\\S+\\s+Normal\\s+ScalingReplicaSet\\s+deployment/solo\\s+Scaled up replica set ${name} to 2 from 1$`, 'm'));

  const deployments = await ok(['get', 'events', '--field-selector', 'involvedObject.kind=Deployment']);
  assert.ok(rows(deployments).length >= 5, deployments);
  for (const row of rows(deployments)) assert.match(row, /\sdeployment\/(web|solo)\s/);
  const replicaSetEvents = await ok(['get', 'events', '--field-selector', `involvedObject.kind=ReplicaSet,involvedObject.name=${name}`]);
  assert.match(replicaSetEvents, new RegExp(`^\\S+\\s+Normal\\s+SuccessfulCreate\\s+replicaset/${name}\\s+Created pod: ${name}-[a-z0-9]{5}$`, 'm'));
  assert.match(replicaSetEvents, new RegExp(`^\\S+\\s+Normal\\s+SuccessfulDelete\\s+replicaset/${name}\\s+Deleted pod: ${name}-[a-z0-9]{5}$`, 'm'));
});

test('rollout pause holds a template change; rollout resume rolls it out as revision 4', async () => {
  assert.equal(await ok(['rollout', 'pause', 'deployment/web']), 'deployment.apps/web paused\n');
  const again = await c.kubectl(['rollout', 'pause', 'deployment/web']);
  assert.notEqual(again.code, 0);
  assert.equal(again.stderr.trim(), 'error: deployments.apps "web" is already paused');
  await ok(['set', 'image', 'deployment/web', 'nginx=nginx:1.28']);
  const paused = await observed('web');
  assert.equal(paused.spec.paused, true);
  const progressing = paused.status?.conditions?.find((x) => x.type === 'Progressing');
  assert.deepEqual([progressing?.status, progressing?.reason, progressing?.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
  assert.equal((await replicaSets('web')).length, 2);

  assert.equal(await ok(['rollout', 'resume', 'deployment/web']), 'deployment.apps/web resumed\n');
  let rss: Obj[] = [];
  await waitFor('a third ReplicaSet with revision 4', async () => {
    rss = await replicaSets('web');
    return rss.length === 3 && revisionOf(rss[2]) === '4';
  });
  assert.equal(imageOf(rss[2]), 'nginx:1.28');
  assert.equal(revisionOf(await observed('web')), '4');
});

const API = (image: string, replicas: number) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: api
  labels: {app: api}
spec:
  replicas: ${replicas}
  selector:
    matchLabels: {app: api}
  template:
    metadata:
      labels: {app: api}
    spec:
      containers:
      - name: api
        image: ${image}
`;

test('apply --dry-run=server changes nothing; kubectl diff shows the change and nothing after it', async () => {
  assert.equal(await ok(['apply', '-f', '-'], API('nginx:1.25', 2)), 'deployment.apps/api created\n');
  await waitFor('api to have its ReplicaSet', async () => (await replicaSets('api')).length === 1);
  const before = await observed('api');

  assert.equal(await ok(['apply', '--dry-run=server', '-f', '-'], API('nginx:1.27', 4)), 'deployment.apps/api configured (server dry run)\n');
  const after = await get(['deployment', 'api']);
  assert.equal(after.metadata.generation, before.metadata.generation);
  assert.equal(after.spec.replicas, 2);
  assert.equal(imageOf(after), 'nginx:1.25');
  assert.equal(after.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration'], before.metadata.annotations?.['kubectl.kubernetes.io/last-applied-configuration']);
  assert.equal((await replicaSets('api')).length, 1);

  assert.equal(await ok(['apply', '--dry-run=server', '-f', '-'], API('nginx:1.25', 2).replace('name: api\n', 'name: api-new\n')), 'deployment.apps/api-new created (server dry run)\n');
  const missing = await c.kubectl(['get', 'deployment', 'api-new']);
  assert.equal(missing.stderr.trim(), 'Error from server (NotFound): deployments.apps "api-new" not found');

  const diff = await c.kubectl(['diff', '-f', '-'], { input: API('nginx:1.27', 4) });
  assert.equal(diff.code, 1, `kubectl diff exits 1 when there are differences: ${diff.stderr}`);
  assert.match(diff.stdout, /^-  replicas: 2$/m);
  assert.match(diff.stdout, /^\+  replicas: 4$/m);
  assert.match(diff.stdout, /^-      - image: nginx:1\.25$/m);
  assert.match(diff.stdout, /^\+      - image: nginx:1\.27$/m);
  assert.match(diff.stdout, /^-  generation: 1$/m);
  assert.match(diff.stdout, /^\+  generation: 2$/m);
  const same = await c.kubectl(['diff', '-f', '-'], { input: API('nginx:1.25', 2) });
  assert.equal(same.code, 0, same.stderr);
  assert.equal(same.stdout, '');
});

test('get deploy -w prints a row and a new one on change; a deleted pod is replaced under a new name', async () => {
  const w = spawn('kubectl', ['get', 'deploy', 'solo', '-w'], { env: c.env });
  let out = '';
  w.stdout.on('data', (d) => (out += d));
  try {
    await waitFor('the watch to print solo', async () => /^NAME\s+READY\s+UP-TO-DATE\s+AVAILABLE\s+AGE\nsolo\s+0\/2\s+2\s+0\s+\S+$/m.test(out));
    await ok(['scale', 'deployment', 'solo', '--replicas=3']);
    await waitFor('the watch to print solo at 3', async () => /^solo\s+0\/3\s+/m.test(out));
  } finally {
    w.kill('SIGTERM');
  }

  let pods: Obj[] = [];
  await waitFor('solo to have 3 pods', async () => (pods = await list(['pods', '-l', 'app=solo'])).length === 3);
  const victim = pods[0];
  assert.equal(await ok(['delete', 'pod', victim.metadata.name]), `pod "${victim.metadata.name}" deleted\n`);
  let now: Obj[] = [];
  await waitFor('a replacement pod', async () => {
    now = await list(['pods', '-l', 'app=solo']);
    return now.length === 3 && now.every((p) => p.metadata.name !== victim.metadata.name);
  });
  const fresh = now.filter((p) => !pods.some((o) => o.metadata.uid === p.metadata.uid));
  assert.equal(fresh.length, 1);
  assert.equal(fresh[0].metadata.ownerReferences?.[0]?.uid, victim.metadata.ownerReferences?.[0]?.uid);
  assert.equal(fresh[0].status?.phase, 'Pending');
});
