import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, type Cluster } from '../harness.js';

// Server-side apply with the real kubectl, compared field by field with the managedFields
// structured-merge-diff records upstream (times left out: they are the only moving part).

let c: Cluster;
let dir: string;
before(async () => {
  c = await startCluster('ssa', { nodes: 0 });
  dir = mkdtempSync(join(tmpdir(), 'skiff-ssa-'));
});
after(async () => {
  await c?.down();
  rmSync(dir, { recursive: true, force: true });
});

function file(name: string, data: Record<string, string>): string {
  const p = join(dir, name);
  const lines = Object.entries(data).map(([k, v]) => `  ${k}: ${JSON.stringify(v)}`);
  writeFileSync(p, `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n${lines.join('\n')}\n`);
  return p;
}

interface Entry {
  manager: string;
  operation: string;
  apiVersion: string;
  fieldsType: string;
  fieldsV1: unknown;
  time?: string;
}

async function live(): Promise<{ data: Record<string, string>; managed: Omit<Entry, 'time'>[] }> {
  const o = JSON.parse(await c.ok(['get', 'configmap', 'cm', '-o', 'json', '--show-managed-fields']));
  const managed = (o.metadata.managedFields as Entry[]).map(({ time, ...e }) => {
    assert.match(time ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    return e;
  });
  return { data: o.data, managed };
}

const entry = (manager: string, operation: 'Apply' | 'Update', keys: string[]) => ({
  apiVersion: 'v1',
  fieldsType: 'FieldsV1',
  fieldsV1: { 'f:data': Object.fromEntries(keys.map((k) => [`f:${k}`, {}])) },
  manager,
  operation,
});

test('apply, edit, diff, re-apply, a second manager, a conflict and --force-conflicts record what upstream records', async () => {
  const cm = file('cm.yaml', { a: '1', b: '2' });
  assert.match(await c.ok(['apply', '--server-side', '-f', cm]), /configmap\/cm serverside-applied/);
  assert.deepEqual((await live()).managed, [entry('kubectl', 'Apply', ['a', 'b'])]);

  // The edited file differs only where kubectl itself owns the fields: no conflict with itself.
  file('cm.yaml', { a: '10', c: '3' });
  const diff = await c.kubectl(['diff', '--server-side', '-f', cm]);
  assert.equal(diff.code, 1, diff.stderr); // 1: differences found, >1: an error
  assert.doesNotMatch(diff.stderr, /conflict/);
  assert.match(diff.stdout, /^-  a: "1"$/m);
  assert.match(diff.stdout, /^\+  a: "10"$/m);
  assert.match(diff.stdout, /^-  b: "2"$/m);
  assert.match(diff.stdout, /^\+  c: "3"$/m);

  await c.ok(['apply', '--server-side', '-f', cm]);
  let now = await live();
  // b is no longer applied by anyone: removed from the object as well as from the entry.
  assert.deepEqual(now.data, { a: '10', c: '3' });
  assert.deepEqual(now.managed, [entry('kubectl', 'Apply', ['a', 'c'])]);

  // A second applier adds its own field and its own entry; kubectl keeps its own.
  await c.ok(['apply', '--server-side', '--field-manager', 'other', '-f', file('other.yaml', { d: '4' })]);
  now = await live();
  assert.deepEqual(now.data, { a: '10', c: '3', d: '4' });
  assert.deepEqual(now.managed, [entry('kubectl', 'Apply', ['a', 'c']), entry('other', 'Apply', ['d'])]);

  // Changing a field kubectl applied conflicts, worded as upstream (appliers carry no version).
  const other = file('other.yaml', { a: '99' });
  const conflict = await c.kubectl(['apply', '--server-side', '--field-manager', 'other', '-f', other]);
  assert.notEqual(conflict.code, 0);
  assert.match(conflict.stderr, /Apply failed with 1 conflict: conflict with "kubectl": \.data\.a/);
  assert.deepEqual((await live()).data, { a: '10', c: '3', d: '4' });

  // Forced, the field changes hands; d, no longer in other's configuration, goes.
  await c.ok(['apply', '--server-side', '--field-manager', 'other', '--force-conflicts', '-f', other]);
  now = await live();
  assert.deepEqual(now.data, { a: '99', c: '3' });
  assert.deepEqual(now.managed, [entry('kubectl', 'Apply', ['c']), entry('other', 'Apply', ['a'])]);

  // An imperative update is recorded as its own Update entry, and appliers keep theirs.
  await c.ok(['label', 'configmap', 'cm', 'tier=web']);
  now = await live();
  assert.deepEqual(now.managed, [
    entry('kubectl', 'Apply', ['c']),
    entry('other', 'Apply', ['a']),
    { apiVersion: 'v1', fieldsType: 'FieldsV1', fieldsV1: { 'f:metadata': { 'f:labels': { '.': {}, 'f:tier': {} } } }, manager: 'kubectl-label', operation: 'Update' },
  ]);

  // Re-applying kubectl's unchanged file keeps sharing nothing it gave up.
  file('cm.yaml', { c: '3' });
  await c.ok(['apply', '--server-side', '-f', cm]);
  assert.equal((await c.kubectl(['diff', '--server-side', '-f', cm])).code, 0);
});

test('the first server-side apply after a client-side apply takes over the fields kubectl applied', async () => {
  const p = join(dir, 'csa.yaml');
  writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\ndata:\n  a: "1"\n');
  await c.ok(['apply', '-f', p]);
  writeFileSync(p, 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: csa\ndata:\n  a: "2"\n');
  // Upstream lets kubectl take over what it applied client-side (lastappliedmanager.go).
  await c.ok(['apply', '--server-side', '-f', p]);
  const o = JSON.parse(await c.ok(['get', 'configmap', 'csa', '-o', 'json', '--show-managed-fields']));
  assert.equal(o.data.a, '2');
  const applied = (o.metadata.managedFields as Entry[]).find((e) => e.manager === 'kubectl' && e.operation === 'Apply');
  assert.ok(applied, JSON.stringify(o.metadata.managedFields));
  assert.deepEqual((applied.fieldsV1 as { 'f:data': unknown })['f:data'], { 'f:a': {} });
  const csa = (o.metadata.managedFields as Entry[]).find((e) => e.manager === 'kubectl-client-side-apply');
  assert.ok(!csa || !JSON.stringify(csa.fieldsV1).includes('"f:a"'), 'the client-side entry no longer owns data.a');
});
