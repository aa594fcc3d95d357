import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Store, StoreError, type WatchEvent } from '../../../src/storage/store.js';

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'skiff-store-'));
}

const cm = (name: string, ns = 'default', data: Record<string, string> = {}) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: ns }, data });

test('one revision counter orders every write across resources', () => {
  const dir = tmp();
  const s = Store.open(dir);
  const r0 = s.revision();
  const a = s.create('core/configmaps', cm('a'));
  const b = s.create('apps/deployments', { metadata: { name: 'd', namespace: 'default' } });
  assert.equal(a.rv, r0 + 1);
  assert.equal(b.rv, r0 + 2);
  assert.equal(JSON.parse(a.json).metadata.resourceVersion, String(r0 + 1));
  s.close();
  rmSync(dir, { recursive: true });
});

test('conflicting updates and duplicate creates are refused', () => {
  const dir = tmp();
  const s = Store.open(dir);
  const a = s.create('core/configmaps', cm('a'));
  assert.throws(() => s.create('core/configmaps', cm('a')), (e: StoreError) => e.code === 'AlreadyExists');
  s.update('core/configmaps', cm('a', 'default', { x: '1' }), a.rv);
  assert.throws(() => s.update('core/configmaps', cm('a', 'default', { x: '2' }), a.rv), (e: StoreError) => e.code === 'Conflict');
  assert.throws(() => s.delete('core/configmaps', 'default', 'zzz'), (e: StoreError) => e.code === 'NotFound');
  s.close();
  rmSync(dir, { recursive: true });
});

test('state and watch history survive reopening', () => {
  const dir = tmp();
  let s = Store.open(dir);
  const first = s.create('core/configmaps', cm('a')).rv;
  s.create('core/configmaps', cm('b'));
  s.delete('core/configmaps', 'default', 'a');
  const rev = s.revision();
  s.close();
  s = Store.open(dir);
  assert.equal(s.revision(), rev);
  assert.deepEqual(s.list('core/configmaps').map((e) => e.name), ['b']);
  const seen: WatchEvent[] = [];
  const stop = s.watch('core/configmaps', undefined, first, (e) => seen.push(e));
  assert.deepEqual(seen.map((e) => `${e.type} ${e.name}`), ['ADDED b', 'DELETED a']);
  s.create('core/configmaps', cm('c'));
  assert.equal(seen.at(-1)?.name, 'c');
  stop();
  s.close();
  rmSync(dir, { recursive: true });
});

test('a watch older than the history window expires with the upstream message', () => {
  const dir = tmp();
  const s = Store.open(dir, { historySize: 3 });
  const start = s.revision();
  for (let i = 0; i < 6; i++) s.create('core/configmaps', cm(`c${i}`));
  assert.throws(
    () => s.watch('core/configmaps', undefined, start, () => {}),
    (e: StoreError) => e.code === 'Expired' && /^too old resource version: \d+ \(\d+\)$/.test(e.message),
  );
  const seen: string[] = [];
  s.watch('core/configmaps', 'default', s.oldestWatchable(), (e) => seen.push(e.name))();
  assert.deepEqual(seen, ['c3', 'c4', 'c5']);
  s.close();
  rmSync(dir, { recursive: true });
});

test('history keeps 75 s of changes, no fewer than its minimum, and drops older ones', () => {
  const dir = tmp();
  let t = 0;
  const s = Store.open(dir, { historySize: 100, minHistory: 2, freshMs: 75_000, now: () => t });
  const start = s.revision();
  const rvs = [0, 1, 2, 3, 4].map((i) => s.create('core/configmaps', cm(`c${i}`)).rv);
  t = 60_000;
  // Still fresh: a watch from before the first change replays all of them.
  const early: string[] = [];
  s.watch('core/configmaps', undefined, start, (e) => early.push(e.name))();
  assert.deepEqual(early, ['c0', 'c1', 'c2', 'c3', 'c4']);
  t = 80_000;
  s.create('core/configmaps', cm('c5'));
  assert.throws(() => s.watch('core/configmaps', undefined, start, () => {}), (e: StoreError) => e.code === 'Expired');
  const late: string[] = [];
  s.watch('core/configmaps', undefined, rvs[3], (e) => late.push(e.name))();
  assert.deepEqual(late, ['c4', 'c5']);
  s.close();
  rmSync(dir, { recursive: true });
});

test('a watch expires only when changes of its own resource were dropped', () => {
  const dir = tmp();
  const s = Store.open(dir, { historySize: 2, minHistory: 1 });
  const start = s.revision();
  const secret = s.create('core/secrets', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 's', namespace: 'default' } }).rv;
  for (const n of ['c0', 'c1', 'c2']) s.create('core/configmaps', cm(n));
  const seen: string[] = [];
  s.watch('core/secrets', undefined, secret, (e) => seen.push(e.name))();
  assert.deepEqual(seen, []);
  assert.throws(() => s.watch('core/secrets', undefined, start, () => {}), (e: StoreError) => e.code === 'Expired' && e.message === `too old resource version: ${start} (${secret})`);
  assert.throws(() => s.watch('core/configmaps', undefined, secret, () => {}), (e: StoreError) => e.code === 'Expired');
  s.close();
  rmSync(dir, { recursive: true });
});

test('lists are sorted by namespace then name and filtered by namespace', () => {
  const dir = tmp();
  const s = Store.open(dir);
  s.create('core/configmaps', cm('b', 'y'));
  s.create('core/configmaps', cm('a', 'y'));
  s.create('core/configmaps', cm('z', 'x'));
  assert.deepEqual(s.list('core/configmaps').map((e) => `${e.namespace}/${e.name}`), ['x/z', 'y/a', 'y/b']);
  assert.deepEqual(s.list('core/configmaps', 'y').map((e) => e.name), ['a', 'b']);
  assert.equal(s.count('core/configmaps', 'y'), 2);
  s.close();
  rmSync(dir, { recursive: true });
});
