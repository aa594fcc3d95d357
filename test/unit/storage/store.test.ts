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
