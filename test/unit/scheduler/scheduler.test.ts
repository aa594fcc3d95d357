import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient } from '../../../src/client/client.js';
import { startScheduler } from '../../../src/scheduler/index.js';
import { FakeApi, until } from './fakeapi.js';
import { node, pod } from './fixtures.js';

const quiet = () => {};
const nodeOf = (api: FakeApi, name: string) => (api.get('pods', 'default', name)?.spec as { nodeName?: string } | undefined)?.nodeName;

test('binds pending pods through the binding subresource, spreading replicas, with Scheduled events', async () => {
  const api = new FakeApi();
  api.put('nodes', node('n1'));
  api.put('nodes', node('n2'));
  for (const n of ['a', 'b', 'c', 'd']) api.put('pods', pod(n, { owner: 'rs', cpu: '100m' }));
  api.put('pods', pod('other-scheduler', { owner: 'rs' }));
  (api.get('pods', 'default', 'other-scheduler')!.spec as { schedulerName: string }).schedulerName = 'custom';
  const s = startScheduler(api as unknown as ApiClient, { log: quiet });
  await s.ready;
  await until(() => ['a', 'b', 'c', 'd'].every((n) => nodeOf(api, n)), 'all pods bound');
  const placed = ['a', 'b', 'c', 'd'].map((n) => nodeOf(api, n));
  assert.equal(placed.filter((n) => n === 'n1').length, 2, `spread evenly: ${placed}`);
  assert.equal(nodeOf(api, 'other-scheduler'), undefined, 'pods for another scheduler are left alone');
  const bind = api.calls.find((c) => c.path === '/api/v1/namespaces/default/pods/a/binding');
  assert.deepEqual(bind?.body, {
    apiVersion: 'v1',
    kind: 'Binding',
    metadata: { name: 'a', namespace: 'default', uid: 'uid-a' },
    target: { apiVersion: 'v1', kind: 'Node', name: nodeOf(api, 'a') },
  });
  await until(() => api.events.length === 4, 'four events');
  const ev = api.events.find((e) => (e.involvedObject as { name: string }).name === 'a')!;
  assert.equal(ev.reason, 'Scheduled');
  assert.equal(ev.type, 'Normal');
  assert.equal(ev.message, `Successfully assigned default/a to ${nodeOf(api, 'a')}`);
  assert.deepEqual(ev.source, { component: 'default-scheduler' });
  await s.stop();
});

test('an unschedulable pod gets FailedScheduling and PodScheduled=False, and is bound once a node fits', async () => {
  const api = new FakeApi();
  api.put('nodes', node('small', { cpu: '1' }));
  api.put('pods', pod('big', { cpu: '2' }));
  const s = startScheduler(api as unknown as ApiClient, { log: quiet, backoff: { initialMs: 1, maxMs: 1 } });
  await s.ready;
  const ev = await until(() => api.events.find((e) => e.reason === 'FailedScheduling'), 'FailedScheduling event');
  const msg = '0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.';
  assert.equal(ev.type, 'Warning');
  assert.equal(ev.message, msg);
  const cond = await until(
    () => ((api.get('pods', 'default', 'big')?.status as { conditions?: Record<string, unknown>[] }).conditions ?? []).find((c) => c.type === 'PodScheduled'),
    'PodScheduled condition',
  );
  assert.equal(cond.status, 'False');
  assert.equal(cond.reason, 'Unschedulable');
  assert.equal(cond.message, msg);
  const patches = api.calls.filter((c) => c.method === 'PATCH' && c.path === 'pods/default/big/status').length;
  assert.equal(patches, 1);
  // Our own status write must not trigger another attempt while nothing else changed.
  await new Promise((r) => setImmediate(r));
  assert.equal(api.events.filter((e) => e.reason === 'FailedScheduling').length, 1);

  api.put('nodes', node('large', { cpu: '4' }));
  await until(() => nodeOf(api, 'big') === 'large', 'bound to the new node');
  await s.stop();
});

test('with nothing else queued, a node\'s arrival lets a waiting pod in without waiting out its backoff (SchedulerPopFromBackoffQ)', async () => {
  const api = new FakeApi();
  api.put('pods', pod('early'));
  // A backoff this long would outlast the test: the pod must be bound because the queue was idle.
  const s = startScheduler(api as unknown as ApiClient, { log: quiet, backoff: { initialMs: 600_000, maxMs: 600_000 } });
  await s.ready;
  await until(() => api.events.find((e) => e.reason === 'FailedScheduling'), 'no nodes yet');
  api.put('nodes', node('first'));
  await until(() => nodeOf(api, 'early') === 'first', 'bound once the first node is there');
  await s.stop();
});

test('a failed binding releases the assumed resources and retries', async () => {
  const api = new FakeApi();
  api.put('nodes', node('n1'));
  api.put('pods', pod('p'));
  let failures = 1;
  const { ApiError } = await import('../../../src/client/client.js');
  api.fail = (c) => (c.path.endsWith('/binding') && failures-- > 0 ? new ApiError(500, { message: 'etcd hiccup' }, 'binding') : undefined);
  const logs: Record<string, unknown>[] = [];
  const s = startScheduler(api as unknown as ApiClient, { log: (level, msg, fields) => logs.push({ level, msg, ...fields }) });
  await s.ready;
  await until(() => nodeOf(api, 'p') === 'n1', 'bound on retry');
  assert.equal(api.calls.filter((c) => c.path.endsWith('/binding')).length, 2);
  assert.equal(logs[0]!.msg, 'scheduler: binding failed');
  assert.match(String(logs[0]!.error), /binding: etcd hiccup/);
  await s.stop();
});
