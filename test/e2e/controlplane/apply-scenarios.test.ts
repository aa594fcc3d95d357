import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, SCENARIOS, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('apply');
});
after(async () => {
  await c?.down();
});

function manifests(): string[] {
  const out: string[] = [];
  for (const d of readdirSync(SCENARIOS).sort()) {
    if (!/^\d{3}-/.test(d)) continue;
    for (const f of readdirSync(join(SCENARIOS, d)).sort()) if (f.endsWith('.yaml')) out.push(join(SCENARIOS, d, f));
  }
  return out;
}

test('every scenario manifest applies with default validation, and again is unchanged', async () => {
  const files = manifests().filter((f) => !f.endsWith('ingress-invalid.yaml'));
  assert.ok(files.length >= 10, `found ${files.length} manifests`);
  for (const f of files) {
    const r = await c.kubectl(['apply', '-f', f]);
    assert.equal(r.code, 0, `kubectl apply -f ${f}: ${r.stderr}`);
    assert.match(r.stdout, / (created|configured|unchanged)\n/, r.stdout);
    // Two manifests of scenario 002 describe the same Service, so "again" means right after.
    const again = await c.kubectl(['apply', '-f', f]);
    assert.equal(again.code, 0, `second apply of ${f}: ${again.stderr}`);
    for (const line of again.stdout.trim().split('\n')) assert.match(line, / unchanged$/, `second apply of ${f}: ${line}`);
  }
});

test('the invalid Ingress is refused with the upstream message and stores nothing', async () => {
  const f = manifests().find((x) => x.endsWith('ingress-invalid.yaml'))!;
  assert.equal((await c.kubectl(['create', 'namespace', 'invalid'])).code, 0);
  const r = await c.kubectl(['apply', '-n', 'invalid', '-f', f]);
  assert.notEqual(r.code, 0, r.stdout);
  assert.match(
    r.stderr,
    /The Ingress "my-ingress" is invalid: spec\.rules\[0\]\.http\.paths\[0\]\.path: Invalid value: "\^\/api\/\.\*": must be an absolute path/,
  );
  const g = await c.kubectl(['get', 'ingress', '-n', 'invalid', 'my-ingress']);
  assert.notEqual(g.code, 0);
  assert.match(g.stderr, /ingresses\.networking\.k8s\.io "my-ingress" not found/);
});

test('server-side apply creates and re-applies', async () => {
  const f = join(SCENARIOS, '001-echoserver-nodeport', 'echo.yaml');
  const ns = await c.kubectl(['create', 'namespace', 'ssa']);
  assert.equal(ns.code, 0, ns.stderr);
  // NodePorts are cluster-wide: the echo Service applied above in default holds 30271.
  const freed = await c.kubectl(['delete', 'service', 'echo', '-n', 'default']);
  assert.equal(freed.code, 0, freed.stderr);
  const r = await c.kubectl(['apply', '--server-side', '-n', 'ssa', '-f', f]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /serverside-applied/);
  const again = await c.kubectl(['apply', '--server-side', '-n', 'ssa', '-f', f]);
  assert.equal(again.code, 0, again.stderr);
  const mf = await c.kubectl(['get', 'deploy', '-n', 'ssa', '-o', 'jsonpath={.items[0].metadata.managedFields[*].manager}']);
  assert.match(mf.stdout, /kubectl/);
});
