import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { ApiError } from '../../../../src/client/client.js';
import { syncDeployment } from '../../../../src/controllers/deployment/deployment.js';
import { computeHash, equalIgnoreHash, fnv32a, safeEncodeString } from '../../../../src/controllers/deployment/hash.js';
import type { DeploymentEffects } from '../../../../src/controllers/deployment/types.js';
import { resolveFenceposts, timestamp } from '../../../../src/controllers/deployment/util.js';

const T0 = Date.parse('2030-01-01T00:00:00Z');

function template(image: string) {
  return { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image }] } };
}

function deployment(extra: Record<string, unknown> = {}, image = 'nginx:1'): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'ns', uid: 'd-uid', generation: 1 },
    spec: {
      replicas: 3,
      selector: { matchLabels: { app: 'web' } },
      template: template(image),
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } },
      revisionHistoryLimit: 10,
      progressDeadlineSeconds: 600,
      ...extra,
    },
  };
}

/** An apiserver plus an instant ReplicaSet controller, in memory. */
class World implements DeploymentEffects {
  rs = new Map<string, KObject>();
  events: string[] = [];
  t = T0;
  seq = 0;
  /** When false, pods never become ready. */
  podsBecomeReady = true;
  constructor(public d: KObject) {}

  async createReplicaSet(rs: KObject) {
    const name = rs.metadata.name as string;
    if (this.rs.has(name)) throw new ApiError(409, { reason: 'AlreadyExists', code: 409 }, 'creating');
    const c = structuredClone(rs);
    c.metadata.uid = `rs-${this.seq++}`;
    c.metadata.generation = 1;
    c.metadata.creationTimestamp = timestamp(this.t + this.seq * 1000);
    this.rs.set(name, c);
    return structuredClone(c);
  }
  async updateReplicaSet(rs: KObject) {
    const c = structuredClone(rs);
    const prev = this.rs.get(rs.metadata.name as string)!;
    if (JSON.stringify(prev.spec) !== JSON.stringify(c.spec)) c.metadata.generation = (prev.metadata.generation ?? 1) + 1;
    this.rs.set(rs.metadata.name as string, c);
    return structuredClone(c);
  }
  async deleteReplicaSet(rs: KObject) {
    this.rs.delete(rs.metadata.name as string);
  }
  async setReplicaSetOwnerRefs(rs: KObject, refs: KObject['metadata']['ownerReferences']) {
    const c = this.rs.get(rs.metadata.name as string)!;
    c.metadata.ownerReferences = refs;
    return structuredClone(c);
  }
  getReplicaSet(_ns: string, name: string) {
    return this.rs.get(name);
  }
  async updateDeploymentStatus(d: KObject) {
    this.d.status = structuredClone(d.status);
    return this.d;
  }
  async patchDeploymentAnnotations(_d: KObject, a: Record<string, string>) {
    this.d.metadata.annotations = { ...(this.d.metadata.annotations ?? {}), ...a };
    return this.d;
  }
  event(_o: KObject, type: string, reason: string, message: string) {
    this.events.push(`${type} ${reason} ${message}`);
  }
  now() {
    return this.t;
  }

  /** The ReplicaSet controller's effect: pods exist (and are available) at once. */
  settle() {
    for (const rs of this.rs.values()) {
      const n = (rs.spec as { replicas: number }).replicas;
      const ready = this.podsBecomeReady ? n : 0;
      rs.status = { replicas: n, readyReplicas: ready, availableReplicas: ready, observedGeneration: rs.metadata.generation };
    }
  }

  async step() {
    const r = await syncDeployment(this.d, [...this.rs.values()].map((x) => structuredClone(x)), [], this);
    this.t += 1000;
    this.settle();
    return r;
  }

  async converge(check?: () => void, max = 30) {
    for (let i = 0; i < max; i++) {
      const before = JSON.stringify([this.d, [...this.rs.values()]]);
      await this.step();
      check?.();
      if (JSON.stringify([this.d, [...this.rs.values()]]) === before) return;
    }
    assert.fail('did not converge');
  }

  sizes(): Record<string, number> {
    return Object.fromEntries([...this.rs.values()].map((r) => [r.metadata.name, (r.spec as { replicas: number }).replicas]));
  }
}

function status(d: KObject) {
  return d.status as {
    observedGeneration: number;
    replicas: number;
    updatedReplicas: number;
    readyReplicas: number;
    availableReplicas: number;
    unavailableReplicas?: number;
    conditions: { type: string; status: string; reason: string; message: string }[];
  };
}

test('hash: fnv32a, SafeEncodeString and collision count', () => {
  assert.equal(fnv32a(new TextEncoder().encode('')), 0x811c9dc5);
  assert.equal(fnv32a(new TextEncoder().encode('a')), 0xe40c292c);
  assert.equal(safeEncodeString('0123'), '2456'.split('').map((_, i) => 'bcdfghjklmnpqrstvwxz2456789'['0123'.charCodeAt(i) % 27]).join(''));
  const h = computeHash(template('nginx:1'));
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]+$/);
  assert.equal(h, computeHash(template('nginx:1')));
  assert.notEqual(h, computeHash(template('nginx:2')));
  assert.notEqual(h, computeHash(template('nginx:1'), 1));
});

test('templates compare semantically, ignoring the hash label and empty values', () => {
  const live = { metadata: { labels: { app: 'web', 'pod-template-hash': 'abc' } }, spec: { containers: [{ name: 'c', image: 'nginx:1' }] } };
  const fromUndo = { metadata: { creationTimestamp: null, labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1', resources: {} }] } };
  assert.ok(equalIgnoreHash(live, fromUndo));
  assert.ok(!equalIgnoreHash(live, template('nginx:2')));
  assert.equal(computeHash(live), computeHash(fromUndo));
});

test('maxSurge rounds up and maxUnavailable down; both zero make unavailable 1', () => {
  const d = (replicas: number, maxSurge: unknown, maxUnavailable: unknown) =>
    deployment({ replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge, maxUnavailable } } });
  assert.deepEqual(resolveFenceposts(d(10, '25%', '25%')), { surge: 3, unavailable: 2 });
  assert.deepEqual(resolveFenceposts(d(3, '25%', '25%')), { surge: 1, unavailable: 0 });
  assert.deepEqual(resolveFenceposts(d(5, 0, '0%')), { surge: 0, unavailable: 1 });
  assert.deepEqual(resolveFenceposts(d(5, 2, 1)), { surge: 2, unavailable: 1 });
});

test('a new deployment gets a ReplicaSet named by the template hash, with revision, annotations and status', async () => {
  const w = new World(deployment());
  await w.converge();
  assert.equal(w.rs.size, 1);
  const rs = [...w.rs.values()][0];
  const hash = computeHash(template('nginx:1'));
  assert.equal(rs.metadata.name, `web-${hash}`);
  assert.deepEqual(rs.metadata.labels, { app: 'web', 'pod-template-hash': hash });
  assert.deepEqual((rs.spec as { selector: unknown }).selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
  assert.deepEqual(rs.metadata.annotations, {
    'deployment.kubernetes.io/revision': '1',
    'deployment.kubernetes.io/desired-replicas': '3',
    'deployment.kubernetes.io/max-replicas': '4',
  });
  assert.deepEqual(rs.metadata.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: 'd-uid', controller: true, blockOwnerDeletion: true },
  ]);
  assert.equal(w.d.metadata.annotations!['deployment.kubernetes.io/revision'], '1');
  assert.deepEqual(w.events, [`Normal ScalingReplicaSet Scaled up replica set web-${hash} to 3`]);
  const st = status(w.d);
  assert.deepEqual(
    { ...st, conditions: undefined },
    { observedGeneration: 1, replicas: 3, updatedReplicas: 3, readyReplicas: 3, availableReplicas: 3, conditions: undefined },
  );
  const byType = Object.fromEntries(st.conditions.map((c) => [c.type, c]));
  assert.deepEqual([byType.Available.status, byType.Available.reason, byType.Available.message], ['True', 'MinimumReplicasAvailable', 'Deployment has minimum availability.']);
  assert.deepEqual(
    [byType.Progressing.status, byType.Progressing.reason, byType.Progressing.message],
    ['True', 'NewReplicaSetAvailable', `ReplicaSet "web-${hash}" has successfully progressed.`],
  );
});

test('a rolling update stays within maxSurge and maxUnavailable and ends on the new ReplicaSet', async () => {
  const w = new World(deployment({ replicas: 4 }));
  await w.converge();
  const oldName = [...w.rs.keys()][0];
  w.events = [];
  w.d.spec = { ...(w.d.spec as object), template: template('nginx:2') };
  w.d.metadata.generation = 2;
  await w.converge(() => {
    const total = Object.values(w.sizes()).reduce((a, b) => a + b, 0);
    assert.ok(total <= 5, `surge exceeded: ${JSON.stringify(w.sizes())}`);
    const available = [...w.rs.values()].reduce((a, r) => a + ((r.status as { availableReplicas: number }).availableReplicas ?? 0), 0);
    assert.ok(available >= 3, `availability fell to ${available}`);
  });
  const newName = `web-${computeHash(template('nginx:2'))}`;
  assert.deepEqual(w.sizes(), { [oldName]: 0, [newName]: 4 });
  assert.equal(w.rs.get(newName)!.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  assert.equal(w.d.metadata.annotations!['deployment.kubernetes.io/revision'], '2');
  assert.equal(w.events[0], `Normal ScalingReplicaSet Scaled up replica set ${newName} to 1`);
  assert.ok(w.events.includes(`Normal ScalingReplicaSet Scaled down replica set ${oldName} to 3 from 4`));
  assert.equal(status(w.d).updatedReplicas, 4);
  assert.equal(status(w.d).observedGeneration, 2);

  // rollout undo: the old template comes back and its ReplicaSet is re-used.
  w.d.spec = { ...(w.d.spec as object), template: { ...template('nginx:1'), metadata: { creationTimestamp: null, labels: { app: 'web' } } } };
  w.d.metadata.generation = 3;
  await w.converge();
  assert.equal(w.rs.size, 2);
  assert.deepEqual(w.sizes(), { [oldName]: 4, [newName]: 0 });
  const reused = w.rs.get(oldName)!;
  assert.equal(reused.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
  assert.equal(reused.metadata.annotations!['deployment.kubernetes.io/revision-history'], '1');
  assert.equal(w.d.metadata.annotations!['deployment.kubernetes.io/revision'], '3');
});

test('Recreate scales old pods to zero before the new ReplicaSet appears', async () => {
  const w = new World(deployment({ strategy: { type: 'Recreate' } }));
  await w.converge();
  w.d.spec = { ...(w.d.spec as object), template: template('nginx:2') };
  w.d.metadata.generation = 2;
  await w.step();
  assert.equal(w.rs.size, 1, 'no new ReplicaSet while old pods run');
  assert.deepEqual(Object.values(w.sizes()), [0]);
  await w.converge();
  assert.equal(w.rs.size, 2);
  assert.deepEqual(Object.values(w.sizes()).sort(), [0, 3]);
});

test('a replicas change scales the active ReplicaSet and is recorded', async () => {
  const w = new World(deployment());
  await w.converge();
  w.events = [];
  (w.d.spec as { replicas: number }).replicas = 5;
  w.d.metadata.generation = 2;
  await w.converge();
  const name = [...w.rs.keys()][0];
  assert.deepEqual(w.sizes(), { [name]: 5 });
  assert.deepEqual(w.events, [`Normal ScalingReplicaSet Scaled up replica set ${name} to 5 from 3`]);
  assert.equal(w.rs.get(name)!.metadata.annotations!['deployment.kubernetes.io/desired-replicas'], '5');
});

test('a paused deployment does not roll out and says so', async () => {
  const w = new World(deployment());
  await w.converge();
  (w.d.spec as Record<string, unknown>).paused = true;
  w.d.spec = { ...(w.d.spec as object), template: template('nginx:2') };
  await w.converge();
  assert.equal(w.rs.size, 1);
  const p = status(w.d).conditions.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.status, p.reason, p.message], ['Unknown', 'DeploymentPaused', 'Deployment is paused']);
});

test('old ReplicaSets beyond revisionHistoryLimit are deleted, oldest revision first', async () => {
  const w = new World(deployment({ revisionHistoryLimit: 1 }));
  for (const image of ['nginx:1', 'nginx:2', 'nginx:3']) {
    w.d.spec = { ...(w.d.spec as object), template: template(image) };
    await w.converge();
  }
  assert.deepEqual(Object.keys(w.sizes()).sort(), [`web-${computeHash(template('nginx:2'))}`, `web-${computeHash(template('nginx:3'))}`].sort());
});

test('a complete rollout whose pods became unavailable past the deadline is looked at again through the rate limiter', async () => {
  const w = new World(deployment());
  await w.converge();
  assert.equal(status(w.d).conditions.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
  w.podsBecomeReady = false;
  w.settle();
  w.t += 601_000;
  await w.step();
  assert.equal(status(w.d).unavailableReplicas, 3);
  // NewReplicaSetAvailable never times out (upstream's DeploymentTimedOut), so every sync lands
  // here: upstream's enqueueRateLimited, not a requeue at 0 ms.
  assert.deepEqual(await w.step(), { requeue: true });
  assert.deepEqual(await w.step(), { requeue: true });
  assert.equal(status(w.d).conditions.find((c) => c.type === 'Progressing')!.reason, 'NewReplicaSetAvailable');
});

test('no progress within progressDeadlineSeconds is ProgressDeadlineExceeded', async () => {
  const w = new World(deployment());
  w.podsBecomeReady = false;
  await w.step();
  const hash = computeHash(template('nginx:1'));
  let p = status(w.d).conditions.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.reason, p.message], ['NewReplicaSetCreated', `Created new replica set "web-${hash}"`]);
  // Pods appearing (not ready) is still progress.
  await w.step();
  p = status(w.d).conditions.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.reason, p.message], ['ReplicaSetUpdated', `ReplicaSet "web-${hash}" is progressing.`]);
  const again = await w.step();
  assert.ok(again.requeueAfter! > 590_000, `requeue for the deadline, got ${again.requeueAfter}`);
  w.t += 601_000;
  await w.step();
  p = status(w.d).conditions.find((c) => c.type === 'Progressing')!;
  assert.deepEqual([p.status, p.reason, p.message], ['False', 'ProgressDeadlineExceeded', `ReplicaSet "web-${hash}" has timed out progressing.`]);
  const a = status(w.d).conditions.find((c) => c.type === 'Available')!;
  assert.deepEqual([a.status, a.reason, a.message], ['False', 'MinimumReplicasUnavailable', 'Deployment does not have minimum availability.']);
  assert.equal(status(w.d).unavailableReplicas, 3);
});

test('an empty selector is refused with a SelectingAll event', async () => {
  const w = new World(deployment({ selector: {} }));
  await w.step();
  assert.equal(w.rs.size, 0);
  assert.deepEqual(w.events, ['Warning SelectingAll This deployment is selecting all pods. A non-empty selector is required.']);
  assert.equal(status(w.d).observedGeneration, 1);
});
