import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject, OwnerReference } from '../../../../src/api/types.js';
import { Expectations } from '../../../../src/controllers/replicaset/expectations.js';
import {
  calculateStatus,
  podsToDelete,
  slowStartBatch,
  syncReplicaSet,
  type ReplicaSetEffects,
} from '../../../../src/controllers/replicaset/sync.js';

const NOW = Date.parse('2030-01-01T00:10:00Z');

function rs(replicas: number, extra: Record<string, unknown> = {}): KObject {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-abc', namespace: 'ns', uid: 'rs-uid', generation: 2 },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web', tier: 'fe' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } },
      ...extra,
    },
    status: { replicas: 0 },
  };
}

let podSeq = 0;
function pod(opts: { ready?: string; node?: string; owned?: boolean; labels?: Record<string, string>; created?: string } = {}): KObject {
  const name = `p${podSeq++}`;
  return {
    metadata: {
      name,
      namespace: 'ns',
      uid: `uid-${name}`,
      labels: opts.labels ?? { app: 'web', tier: 'fe' },
      creationTimestamp: opts.created ?? '2030-01-01T00:00:00Z',
      ownerReferences: opts.owned === false ? undefined : [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true }],
    },
    spec: opts.node ? { nodeName: opts.node } : {},
    status: opts.ready
      ? { phase: 'Running', conditions: [{ type: 'Ready', status: 'True', lastTransitionTime: opts.ready }] }
      : { phase: 'Pending' },
  };
}

class FakeFx implements ReplicaSetEffects {
  created: KObject[] = [];
  deleted: string[] = [];
  statuses: KObject[] = [];
  events: string[] = [];
  ownerRefs = new Map<string, OwnerReference[]>();
  failCreatesAfter = Infinity;
  async createPod(_ns: string, p: KObject) {
    if (this.created.length >= this.failCreatesAfter) throw new Error('pods "x" is forbidden: exceeded quota');
    this.created.push(p);
    return p;
  }
  async deletePod(p: KObject) {
    this.deleted.push(p.metadata.name as string);
  }
  async setPodOwnerRefs(p: KObject, refs: OwnerReference[]) {
    this.ownerRefs.set(p.metadata.name as string, refs);
  }
  async updateStatus(r: KObject) {
    this.statuses.push(r);
    return r;
  }
  event(_o: KObject, type: string, reason: string, message: string) {
    this.events.push(`${type} ${reason} ${message}`);
  }
}

test('creates missing pods from the template with a controller reference', async () => {
  const fx = new FakeFx();
  const exp = new Expectations();
  await syncReplicaSet(rs(3), [], fx, exp, NOW);
  assert.equal(fx.created.length, 3);
  const p = fx.created[0];
  assert.match(p.metadata.name as string, /^web-abc-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(p.metadata.generateName, 'web-abc-');
  assert.deepEqual(p.metadata.labels, { app: 'web', tier: 'fe' });
  assert.deepEqual(p.metadata.ownerReferences, [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web-abc', uid: 'rs-uid', controller: true, blockOwnerDeletion: true },
  ]);
  assert.deepEqual(p.spec, { containers: [{ name: 'c', image: 'nginx' }] });
  assert.ok(fx.events.every((e) => /^Normal SuccessfulCreate Created pod: web-abc-\w{5}$/.test(e)));
  assert.deepEqual(fx.statuses.at(-1)!.status, { replicas: 0, observedGeneration: 2 });

  // Until the informer shows the three pods, a second sync must not create more.
  await syncReplicaSet(rs(3), [], fx, exp, NOW);
  assert.equal(fx.created.length, 3);
  for (let i = 0; i < 3; i++) exp.creationObserved('ns/web-abc');
  await syncReplicaSet(rs(3), fx.created, fx, exp, NOW);
  assert.equal(fx.created.length, 3);
});

test('creation stops after the first failing batch and is reported in status', async () => {
  const fx = new FakeFx();
  fx.failCreatesAfter = 1;
  const exp = new Expectations();
  await assert.rejects(syncReplicaSet(rs(10), [], fx, exp, NOW), /syncing ReplicaSet ns\/web-abc: pods "x" is forbidden/);
  // Batches 1 then 2: one success, then the batch of two fails.
  assert.equal(fx.created.length, 1);
  assert.ok(fx.events.includes('Warning FailedCreate Error creating: pods "x" is forbidden: exceeded quota'));
  const st = fx.statuses.at(-1)!.status as { conditions: { type: string; reason: string; message: string }[] };
  assert.equal(st.conditions[0].type, 'ReplicaFailure');
  assert.equal(st.conditions[0].reason, 'FailedCreate');
  // Expectations were lowered for everything that will never show up.
  exp.creationObserved('ns/web-abc');
  assert.ok(exp.satisfied('ns/web-abc', NOW));
});

test('slowStartBatch doubles batch sizes', async () => {
  const sizes: number[] = [];
  let inFlight = 0;
  const r = await slowStartBatch(10, 1, async () => {
    inFlight++;
    sizes.push(inFlight);
    await Promise.resolve();
    inFlight--;
  });
  assert.equal(r.successes, 10);
  assert.equal(Math.max(...sizes), 4);
});

test('deletes the excess, unscheduled and not-ready pods first', async () => {
  const fx = new FakeFx();
  const readyOld = pod({ ready: '2030-01-01T00:00:00Z', node: 'n1' });
  const readyNew = pod({ ready: '2030-01-01T00:05:00Z', node: 'n1' });
  const pending = pod({ node: 'n1' });
  const unscheduled = pod();
  await syncReplicaSet(rs(2), [readyOld, readyNew, pending, unscheduled], fx, new Expectations(), NOW);
  assert.deepEqual(fx.deleted.sort(), [pending.metadata.name, unscheduled.metadata.name].sort());
  assert.ok(fx.events.includes(`Normal SuccessfulDelete Deleted pod: ${pending.metadata.name}`));
  assert.deepEqual(podsToDelete([readyOld, readyNew], 1), [readyNew], 'ready for less time goes first');
});

test('adopts matching orphans, releases owned pods that no longer match, ignores others', async () => {
  const fx = new FakeFx();
  const orphan = pod({ owned: false });
  const strayed = pod({ labels: { app: 'other' } });
  const foreign = pod({ owned: false, labels: { app: 'web' } });
  foreign.metadata.ownerReferences = [{ apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'x', uid: 'other', controller: true }];
  await syncReplicaSet(rs(1), [orphan, strayed, foreign], fx, new Expectations(), NOW);
  assert.equal(fx.ownerRefs.get(orphan.metadata.name as string)![0].uid, 'rs-uid');
  assert.deepEqual(fx.ownerRefs.get(strayed.metadata.name as string), []);
  assert.ok(!fx.ownerRefs.has(foreign.metadata.name as string));
  assert.equal(fx.created.length, 0);
  assert.equal(fx.deleted.length, 0);
});

test('status counts labeled, ready and available pods with minReadySeconds, and requeues', async () => {
  const r = rs(3, { minReadySeconds: 30 });
  const pods = [
    pod({ ready: '2030-01-01T00:00:00Z' }), // available
    pod({ ready: '2030-01-01T00:09:50Z' }), // ready 10 s: not yet available
    pod({ ready: '2030-01-01T00:00:00Z', labels: { app: 'web' } }), // not fully labeled
  ];
  assert.deepEqual(calculateStatus(r, pods, undefined, NOW), {
    replicas: 3,
    fullyLabeledReplicas: 2,
    readyReplicas: 3,
    availableReplicas: 2,
    observedGeneration: 2,
  });
  const fx = new FakeFx();
  const res = await syncReplicaSet(r, pods, fx, new Expectations(), NOW);
  assert.deepEqual(res, { requeueAfter: 30_000 });
  // A second sync with the same world writes nothing.
  const again = { ...r, status: fx.statuses[0].status };
  await syncReplicaSet(again, pods, fx, new Expectations(), NOW);
  assert.equal(fx.statuses.length, 1);
});

test('terminal and terminating pods do not count', async () => {
  const done = pod({ ready: '2030-01-01T00:00:00Z' });
  (done.status as { phase: string }).phase = 'Succeeded';
  const going = pod();
  going.metadata.deletionTimestamp = '2030-01-01T00:00:00Z';
  const fx = new FakeFx();
  await syncReplicaSet(rs(1), [done, going], fx, new Expectations(), NOW);
  assert.equal(fx.created.length, 1);
});
