import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ApiClient } from '../../../../src/client/client.js';
import { SharedInformers } from '../../../../src/client/informer.js';
import { startPodGC } from '../../../../src/controllers/podgc/controller.js';
import { planOrphans, terminatedOverThreshold, terminatingOutOfService, unscheduledTerminating } from '../../../../src/controllers/podgc/decide.js';
import { FakeApi, until } from '../../scheduler/fakeapi.js';
import { node, pod } from '../../scheduler/fixtures.js';

const names = (pods: { metadata: { name?: string } }[]) => pods.map((p) => p.metadata.name);

test('terminated pods beyond the threshold go, evicted first, then oldest first', () => {
  const pods = [
    pod('new', { phase: 'Succeeded', created: '2024-01-03T00:00:00Z' }),
    pod('old', { phase: 'Failed', created: '2024-01-01T00:00:00Z' }),
    pod('mid', { phase: 'Succeeded', created: '2024-01-02T00:00:00Z' }),
    pod('running', { phase: 'Running', created: '2023-01-01T00:00:00Z' }),
    { ...pod('evicted', { phase: 'Failed', created: '2024-01-04T00:00:00Z' }), status: { phase: 'Failed' as const, reason: 'Evicted' } },
  ];
  assert.deepEqual(names(terminatedOverThreshold(pods, 4)), []);
  assert.deepEqual(names(terminatedOverThreshold(pods, 2)), ['evicted', 'old']);
  assert.equal(terminatedOverThreshold(pods).length, 0, 'upstream threshold is 12500');
});

test('orphans: pods of a missing node are deleted only after the quarantine', () => {
  const pods = [pod('a', { nodeName: 'gone' }), pod('b', { nodeName: 'here' }), pod('c')];
  const first = planOrphans(pods, new Set(['here']), new Map(), 1000, 40_000);
  assert.deepEqual(first.orphans, []);
  assert.deepEqual([...first.missingSince], [['gone', 1000]]);
  assert.equal(first.nextInMs, 40_000);
  const later = planOrphans(pods, new Set(['here']), first.missingSince, 41_000, 40_000);
  assert.deepEqual(names(later.orphans), ['a']);
  const back = planOrphans(pods, new Set(['here', 'gone']), later.missingSince, 42_000, 40_000);
  assert.deepEqual([...back.missingSince], [], 'a node that came back is forgotten');
});

test('terminating pods nobody will finish', () => {
  const pods = [pod('u', { deleting: true }), pod('s', { deleting: true, nodeName: 'dead' }), pod('live', { deleting: true, nodeName: 'ok' }), pod('quiet', { nodeName: 'dead' })];
  assert.deepEqual(names(unscheduledTerminating(pods)), ['u']);
  const nodes = new Map([
    ['dead', node('dead', { ready: 'Unknown', taints: [{ key: 'node.kubernetes.io/out-of-service', value: 'nodeshutdown', effect: 'NoExecute' }] })],
    ['ok', node('ok', { taints: [{ key: 'node.kubernetes.io/out-of-service', effect: 'NoExecute' }] })],
  ]);
  assert.deepEqual(names(terminatingOutOfService(pods, nodes)), ['s']);
});

test('controller: orphaned pods are failed with DisruptionTarget and force-deleted once the node is really gone', async () => {
  const api = new FakeApi();
  api.put('nodes', node('n1'));
  api.put('pods', pod('orphan', { nodeName: 'gone', phase: 'Running' }));
  api.put('pods', pod('fine', { nodeName: 'n1', phase: 'Running' }));
  // The informer says the node is missing, but a direct GET proves it exists: keep the pod.
  api.put('pods', pod('lagging', { nodeName: 'racing', phase: 'Running' }));
  const client = {
    list: api.list.bind(api),
    watch: api.watch.bind(api),
    patch: api.patch.bind(api),
    delete: api.delete.bind(api),
    async get(_res: unknown, _ns: unknown, name: string) {
      if (name === 'racing') return node('racing');
      const { ApiError } = await import('../../../../src/client/client.js');
      throw new ApiError(404, { reason: 'NotFound', message: `nodes "${name}" not found` }, 'getting');
    },
  } as unknown as ApiClient;
  const informers = new SharedInformers(client, () => {});
  const ctl = startPodGC(client, informers, { quarantineMs: 0, log: () => {} });
  informers.start();
  await ctl.ready;
  await until(() => api.get('pods', 'default', 'orphan') === undefined, 'orphan deleted');
  const patch = api.calls.find((c) => c.path === 'pods/default/orphan/status');
  const body = (patch?.body as { body: { status: { phase: string; conditions: Record<string, unknown>[] } } }).body;
  assert.equal(body.status.phase, 'Failed');
  assert.equal(body.status.conditions[0].type, 'DisruptionTarget');
  assert.equal(body.status.conditions[0].reason, 'DeletionByPodGC');
  assert.equal(body.status.conditions[0].message, 'PodGC: node no longer exists');
  const del = api.calls.find((c) => c.method === 'DELETE' && c.path === 'pods/default/orphan');
  assert.deepEqual(del?.body, { gracePeriodSeconds: 0, preconditions: { uid: 'uid-orphan' } });
  assert.ok(api.get('pods', 'default', 'fine'));
  assert.ok(api.get('pods', 'default', 'lagging'), 'a node the apiserver still has is not gone');
  await ctl.stop();
  await informers.stop();
});
