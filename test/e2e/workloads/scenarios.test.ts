import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, SCENARIOS, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('scenarios', { nodes: 2 });
});
after(async () => {
  await c?.down();
});

// Every Deployment of every scenario runs its built-in image to Ready, each scenario in its
// own namespace (two scenarios use the same names).
for (const dir of readdirSync(SCENARIOS).filter((d) => /^\d{3}-/.test(d)).sort()) {
  test(`the workloads of scenario ${dir} roll out on two nodes`, async () => {
    const ns = `s${dir.slice(0, 3)}`;
    await c.ok(['create', 'namespace', ns]);
    const files = readdirSync(join(SCENARIOS, dir)).filter((f) => f.endsWith('.yaml') && f !== 'ingress-invalid.yaml');
    for (const f of files) await c.ok(['apply', '-n', ns, '-f', join(SCENARIOS, dir, f)]);
    const deployments = (await c.ok(['get', 'deployments', '-n', ns, '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').filter(Boolean);
    assert.ok(deployments.length > 0);
    for (const d of deployments) {
      assert.match(await c.ok(['rollout', 'status', '-n', ns, `deployment/${d}`, '--timeout=90s']), /successfully rolled out/);
    }
    const wide = await c.ok(['get', 'pods', '-n', ns, '-o', 'wide', '--no-headers']);
    for (const row of wide.trim().split('\n')) assert.match(row, /\s(\d+)\/\1\s+Running\s/, row);
  });
}
