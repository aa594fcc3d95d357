import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../src/api/types.js';
import { ApiError } from '../../../src/client/client.js';
import { EventRecorder } from '../../../src/client/events.js';
import { selectorMatches, formatLabelSelector as selectorToString } from '../../../src/api/selectors.js';

const deploy: KObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'ns', uid: 'u1', resourceVersion: '5' } };

test('records a core/v1 Event for the object and counts repeats with a patch', async () => {
  const created: KObject[] = [];
  const patches: unknown[] = [];
  const client = {
    create: async (_r: unknown, _ns: string | undefined, o: KObject) => (created.push(o), o),
    patch: async (_r: unknown, ns: string | undefined, name: string, type: string, body: unknown) => (patches.push({ ns, name, type, body }), {} as KObject),
  };
  const rec = new EventRecorder(client as never, 'deployment-controller');
  rec.event(deploy, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc from 0 to 3');
  await rec.flush();
  rec.event(deploy, 'Normal', 'ScalingReplicaSet', 'Scaled up replica set web-abc from 0 to 3');
  await rec.flush();
  assert.equal(created.length, 1);
  const ev = created[0];
  assert.match(ev.metadata.name as string, /^web\.[0-9a-f]+$/);
  assert.equal(ev.metadata.namespace, 'ns');
  assert.deepEqual(ev.involvedObject, { kind: 'Deployment', namespace: 'ns', name: 'web', uid: 'u1', apiVersion: 'apps/v1', resourceVersion: '5' });
  assert.equal(ev.reason, 'ScalingReplicaSet');
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.count, 1);
  assert.deepEqual(ev.source, { component: 'deployment-controller' });
  assert.equal(patches.length, 1);
  assert.deepEqual((patches[0] as { body: { count: number } }).body.count, 2);
});

test('a failed event write is logged, never thrown; a terminating namespace is not even logged', async () => {
  const logs: Record<string, unknown>[] = [];
  let fail: Error = new Error('boom');
  const client = { create: async () => Promise.reject(fail), patch: async () => ({}) };
  const rec = new EventRecorder(client as never, 'x', (level, msg, fields) => logs.push({ level, msg, ...fields }));
  rec.event(deploy, 'Warning', 'FailedCreate', 'm1');
  await rec.flush();
  fail = new ApiError(403, { message: 'unable to create new content in namespace ns because it is being terminated', details: { causes: [{ type: 'NamespaceTerminating' }] } }, 'creating');
  rec.event(deploy, 'Warning', 'FailedCreate', 'm2');
  await rec.flush();
  assert.equal(logs.length, 1);
  assert.deepEqual(logs[0], { level: 'error', msg: 'event recorder: recording an event failed', component: 'x', reason: 'FailedCreate', kind: 'Deployment', object: 'ns/web', error: 'boom' });
});

test('label selectors: matchLabels, expressions, missing vs empty', () => {
  const sel = { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['fe', 'be'] }, { key: 'canary', operator: 'DoesNotExist' }] };
  assert.ok(selectorMatches(sel, { app: 'web', tier: 'fe' }));
  assert.ok(!selectorMatches(sel, { app: 'web', tier: 'db' }));
  assert.ok(!selectorMatches(sel, { app: 'web', tier: 'fe', canary: '1' }));
  assert.ok(selectorMatches({}, { any: 'thing' }));
  assert.ok(!selectorMatches(undefined, { any: 'thing' }));
  assert.equal(selectorToString(sel), 'app=web,!canary,tier in (be,fe)');
});
