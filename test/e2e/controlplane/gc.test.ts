import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';

// Owner references with the real controllers: the deployment and replicaset controllers
// make the owners and dependents, the garbage collector and the namespace controller
// remove them. Pods stay Pending (there are no nodes), which is all ownership needs.

let c: Cluster;
before(async () => {
  c = await startCluster('gc');
});
after(async () => {
  await c?.down();
});

interface Meta {
  name: string;
  uid: string;
  deletionTimestamp?: string;
  finalizers?: string[];
  ownerReferences?: { apiVersion: string; kind: string; name: string; uid: string; controller?: boolean; blockOwnerDeletion?: boolean }[];
}
interface Obj {
  metadata: Meta;
  status?: { phase?: string };
}

const ok = (args: string[], input?: string) => c.ok(args, input);
const list = async (args: string[]): Promise<Obj[]> => JSON.parse(await ok(['get', ...args, '-o', 'json'])).items;
const getOrUndefined = async (args: string[]): Promise<Obj | undefined> => {
  const r = await c.kubectl(['get', ...args, '-o', 'json']);
  if (r.code !== 0 && /NotFound/.test(r.stderr)) return undefined;
  assert.equal(r.code, 0, `kubectl get ${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout);
};

/** A Deployment with its ReplicaSet and `replicas` Pending pods, all linked by controller references. */
async function deploymentWithPods(name: string, replicas: number, ns = 'default') {
  await ok(['create', 'deployment', name, '--image=nginx', `--replicas=${replicas}`, '-n', ns]);
  const d = JSON.parse(await ok(['get', 'deployment', name, '-n', ns, '-o', 'json'])) as Obj;
  let rs: Obj | undefined;
  let pods: Obj[] = [];
  await waitFor(`${name}: a ReplicaSet with ${replicas} Pending pods`, async () => {
    const rss = await list(['rs', '-n', ns, '-l', `app=${name}`]);
    pods = await list(['pods', '-n', ns, '-l', `app=${name}`]);
    rs = rss[0];
    return rss.length === 1 && pods.length === replicas && pods.every((p) => p.status?.phase === 'Pending');
  });
  const rsObj = rs as Obj;
  assert.deepEqual(
    rsObj.metadata.ownerReferences,
    [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: d.metadata.uid, controller: true, blockOwnerDeletion: true }],
  );
  for (const p of pods) {
    assert.deepEqual(
      p.metadata.ownerReferences,
      [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: rsObj.metadata.name, uid: rsObj.metadata.uid, controller: true, blockOwnerDeletion: true }],
    );
  }
  return { d, rs: rsObj, pods };
}

async function gone(what: string, args: string[]): Promise<void> {
  await waitFor(what, async () => (await list(args)).length === 0);
}

test('delete --cascade=background removes the ReplicaSet and its pods', async () => {
  await deploymentWithPods('bg', 2);
  assert.match(await ok(['delete', 'deployment', 'bg', '--cascade=background']), /^deployment\.apps "bg" deleted$/m);
  assert.equal(await getOrUndefined(['deployment', 'bg']), undefined);
  await gone('the ReplicaSet and pods of bg', ['rs,pods', '-l', 'app=bg']);
});

test('delete --cascade=foreground keeps the deployment, marked, until its dependents are gone', async () => {
  const { rs, pods } = await deploymentWithPods('fg', 2);
  // A finalizer of our own holds one pod, so the wait can be seen rather than raced.
  const held = pods[0].metadata.name;
  await ok(['patch', 'pod', held, '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);

  assert.match(await ok(['delete', 'deployment', 'fg', '--cascade=foreground', '--wait=false']), /^deployment\.apps "fg" deleted$/m);
  await waitFor('the ReplicaSet of fg to be deleted in the foreground and the free pod to go', async () => {
    const r = await getOrUndefined(['rs', rs.metadata.name]);
    const left = await list(['pods', '-l', 'app=fg']);
    return !!r?.metadata.deletionTimestamp && left.length === 1;
  });
  const d = await getOrUndefined(['deployment', 'fg']);
  assert.ok(d, 'the deployment must stay while a dependent is left');
  assert.ok(d.metadata.deletionTimestamp, 'the deployment carries a deletionTimestamp');
  assert.deepEqual(d.metadata.finalizers, ['foregroundDeletion']);
  const r = (await getOrUndefined(['rs', rs.metadata.name])) as Obj;
  assert.deepEqual(r.metadata.finalizers, ['foregroundDeletion']);
  const p = (await getOrUndefined(['pod', held])) as Obj;
  assert.ok(p.metadata.deletionTimestamp, 'the held pod is being deleted');
  assert.match(await ok(['get', 'deployment', 'fg']), /^fg\s+0\/2\s+/m);

  await ok(['patch', 'pod', held, '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  const w = await c.kubectl(['wait', '--for=delete', 'deployment/fg', '--timeout=30s']);
  assert.equal(w.code, 0, w.stderr);
  assert.deepEqual(await list(['rs,pods', '-l', 'app=fg']), []);
});

test('delete --cascade=orphan keeps the ReplicaSet and pods without the owner reference', async () => {
  const { rs, pods } = await deploymentWithPods('orph', 2);
  assert.match(await ok(['delete', 'deployment', 'orph', '--cascade=orphan']), /^deployment\.apps "orph" deleted$/m);
  assert.equal(await getOrUndefined(['deployment', 'orph']), undefined);
  await waitFor('the ReplicaSet of orph to lose its owner reference', async () => {
    const r = await getOrUndefined(['rs', rs.metadata.name]);
    return !!r && (r.metadata.ownerReferences ?? []).length === 0;
  });
  const kept = (await getOrUndefined(['rs', rs.metadata.name])) as Obj;
  assert.equal(kept.metadata.uid, rs.metadata.uid);
  assert.equal(kept.metadata.deletionTimestamp, undefined);
  assert.equal(kept.metadata.finalizers, undefined);
  const now = await list(['pods', '-l', 'app=orph']);
  assert.deepEqual(now.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort());
  for (const p of now) assert.equal(p.metadata.ownerReferences?.[0]?.uid, rs.metadata.uid);
  // The orphaned ReplicaSet still owns its pods.
  await ok(['delete', 'rs', rs.metadata.name]);
  await gone('the pods of the orphaned ReplicaSet', ['pods', '-l', 'app=orph']);
});

test('pods orphaned with their ReplicaSet are adopted by the one the deployment makes again', async () => {
  const { d, rs, pods } = await deploymentWithPods('adopt', 2);
  // --wait=false: kubectl (up to 1.34 at least) hangs for good when the object is deleted and
  // made again under the same name between the GET and the LIST of its deletion wait
  // (kubernetes/kubernetes#135562), which is exactly what the deployment controller does here.
  // The wait below sees the deletion instead: a new uid under the name means the old
  // ReplicaSet, and so its orphan finalizer, is gone.
  assert.match(await ok(['delete', 'rs', rs.metadata.name, '--cascade=orphan', '--wait=false']), new RegExp(`^replicaset\\.apps "${rs.metadata.name}" deleted$`, 'm'));
  let again: Obj | undefined;
  await waitFor('a new ReplicaSet of the same name to adopt both pods', async () => {
    again = await getOrUndefined(['rs', rs.metadata.name]);
    if (!again || again.metadata.uid === rs.metadata.uid) return false;
    const now = await list(['pods', '-l', 'app=adopt']);
    return now.length === 2 && now.every((p) => p.metadata.ownerReferences?.[0]?.uid === again?.metadata.uid);
  });
  assert.equal(again?.metadata.ownerReferences?.[0]?.uid, d.metadata.uid);
  const now = await list(['pods', '-l', 'app=adopt']);
  assert.deepEqual(now.map((p) => p.metadata.uid).sort(), pods.map((p) => p.metadata.uid).sort(), 'no pod is replaced');
  for (const p of now) assert.equal(p.metadata.ownerReferences?.[0]?.controller, true);
  await ok(['delete', 'deployment', 'adopt']);
  await gone('the ReplicaSet and pods of adopt', ['rs,pods', '-l', 'app=adopt']);
});

test('a namespace deleted with content is Terminating until its content is gone, then disappears', async () => {
  await ok(['create', 'namespace', 'doomed']);
  await deploymentWithPods('app', 2, 'doomed');
  await ok(['create', 'configmap', 'held', '-n', 'doomed', '--from-literal=a=1']);
  await ok(['patch', 'configmap', 'held', '-n', 'doomed', '--type=merge', '-p', '{"metadata":{"finalizers":["example.com/hold"]}}']);

  assert.match(await ok(['delete', 'namespace', 'doomed', '--wait=false']), /^namespace "doomed" deleted$/m);
  await waitFor('the deployment, ReplicaSet and pods of doomed to go', async () => (await list(['deploy,rs,pods', '-n', 'doomed'])).length === 0);
  assert.match(await ok(['get', 'namespace', 'doomed']), /^doomed\s+Terminating\s+/m);
  const ns = JSON.parse(await ok(['get', 'namespace', 'doomed', '-o', 'json']));
  assert.equal(ns.status.phase, 'Terminating');
  assert.ok(ns.metadata.deletionTimestamp);
  assert.deepEqual(ns.spec.finalizers, ['kubernetes']);
  await waitFor('the namespace to report the finalizer that holds its content', async () => {
    const n = JSON.parse(await ok(['get', 'namespace', 'doomed', '-o', 'json']));
    const cond = (n.status.conditions ?? []).find((x: { type: string }) => x.type === 'NamespaceFinalizersRemaining');
    return cond?.status === 'True' && /example\.com\/hold in 1 resource instances/.test(cond.message);
  });

  const refused = await c.kubectl(['create', 'configmap', 'late', '-n', 'doomed']);
  assert.notEqual(refused.code, 0);
  assert.equal(
    refused.stderr.trim(),
    'error: failed to create configmap: configmaps "late" is forbidden: unable to create new content in namespace doomed because it is being terminated',
  );

  const waiter = c.kubectl(['wait', '--for=delete', 'namespace/doomed', '--timeout=30s']);
  await ok(['patch', 'configmap', 'held', '-n', 'doomed', '--type=json', '-p', '[{"op":"remove","path":"/metadata/finalizers"}]']);
  const w = await waiter;
  assert.equal(w.code, 0, w.stderr);
  const after = await c.kubectl(['get', 'namespace', 'doomed']);
  assert.equal(after.stderr.trim(), 'Error from server (NotFound): namespaces "doomed" not found');
  assert.deepEqual(await list(['configmaps', '-n', 'doomed']), []);
});

test('an object whose owner uid no longer exists is collected; one with a live owner stays', async () => {
  await ok(['create', 'configmap', 'owner']);
  const oldUid = JSON.parse(await ok(['get', 'configmap', 'owner', '-o', 'json'])).metadata.uid as string;
  await ok(['delete', 'configmap', 'owner']);
  // The same name again is a different owner: references go by uid.
  await ok(['create', 'configmap', 'owner']);
  const newUid = JSON.parse(await ok(['get', 'configmap', 'owner', '-o', 'json'])).metadata.uid as string;
  assert.notEqual(newUid, oldUid);

  const dependent = (name: string, uid: string) =>
    `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ${name}\n  ownerReferences:\n  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: ${uid}}\ndata: {a: "1"}\n`;
  await ok(['apply', '-f', '-'], dependent('kept', newUid));
  await ok(['apply', '-f', '-'], dependent('stale', oldUid));
  const w = await c.kubectl(['wait', '--for=delete', 'configmap/stale', '--timeout=30s']);
  assert.equal(w.code, 0, w.stderr);

  // Deleting the live owner then takes its dependent with it.
  const kept = await getOrUndefined(['configmap', 'kept']);
  assert.ok(kept, 'the dependent of a live owner stays');
  assert.equal(kept.metadata.ownerReferences?.[0]?.uid, newUid);
  await ok(['delete', 'configmap', 'owner']);
  const w2 = await c.kubectl(['wait', '--for=delete', 'configmap/kept', '--timeout=30s']);
  assert.equal(w2.code, 0, w2.stderr);
});
