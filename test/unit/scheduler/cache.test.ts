import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SchedulerCache } from '../../../src/scheduler/cache.js';
import { node, pod } from './fixtures.js';

test('bound pods count against their node; terminal and deleted ones stop counting', () => {
  const c = new SchedulerCache();
  c.setNode(node('n1'));
  const p = pod('a', { nodeName: 'n1', cpu: '500m', phase: 'Running' });
  c.observePod(p);
  assert.equal(c.nodeInfo('n1')?.requested.cpu, 500);
  c.observePod({ ...p, status: { phase: 'Succeeded' } });
  assert.equal(c.nodeInfo('n1')?.requested.cpu, 0);
  assert.equal(c.nodeInfo('n1')?.pods.size, 0);
  c.observePod(p);
  c.deletePod(p);
  assert.equal(c.nodeInfo('n1')?.pods.size, 0);
});

test('assumed pods count until the informer confirms the binding or the binding fails', () => {
  const c = new SchedulerCache();
  c.setNode(node('n1'));
  const p = pod('a', { cpu: '1' });
  c.assume(p, 'n1');
  assert.ok(c.isAssumed('uid-a'));
  c.observePod(p); // a status update of the still-unbound pod arrives: keep the assumption
  assert.equal(c.nodeInfo('n1')?.requested.cpu, 1000);
  c.observePod({ ...p, spec: { ...p.spec!, nodeName: 'n1' } });
  assert.ok(!c.isAssumed('uid-a'), 'confirmed');
  assert.equal(c.nodeInfo('n1')?.requested.cpu, 1000, 'counted once');
  const q = pod('b', { cpu: '1' });
  c.assume(q, 'n1');
  c.forget('uid-b');
  assert.equal(c.nodeInfo('n1')?.requested.cpu, 1000);
});

test('pods bound to a node the cache has not seen yet wait for it; snapshot lists existing nodes by name', () => {
  const c = new SchedulerCache();
  c.observePod(pod('a', { nodeName: 'n2', cpu: '1', phase: 'Running' }));
  assert.deepEqual(c.snapshot().map((n) => n.name), []);
  c.setNode(node('n2'));
  c.setNode(node('n1'));
  assert.deepEqual(c.snapshot().map((n) => n.name), ['n1', 'n2']);
  assert.equal(c.snapshot()[1].requested.cpu, 1000);
  c.removeNode('n2');
  assert.deepEqual(c.snapshot().map((n) => n.name), ['n1']);
});

test('spreading counts pods per controller', () => {
  const c = new SchedulerCache();
  c.setNode(node('n1'));
  c.observePod(pod('a', { nodeName: 'n1', owner: 'rs', phase: 'Running' }));
  c.observePod(pod('b', { nodeName: 'n1', owner: 'rs', phase: 'Running' }));
  assert.equal(c.nodeInfo('n1')?.ownerCount('uid-rs'), 2);
  c.deletePod(pod('a'));
  assert.equal(c.nodeInfo('n1')?.ownerCount('uid-rs'), 1);
});
