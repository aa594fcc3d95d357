import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { clusterPaths } from '../../../src/cluster/home.js';
import { readPidFile } from '../../../src/cli/control-plane-process.js';
import { startCluster, type Cluster } from '../harness.js';
import { accessFrom, raw, type Access } from '../kubeconfig.js';

let c: Cluster;
let a: Access;
before(async () => {
  c = await startCluster('crash');
  a = accessFrom(join(c.dir, 'kubeconfig'));
});
after(async () => {
  await c?.down();
});

test('a write loop killed with kill -9 mid-way loses nothing acknowledged, and watches resume', async () => {
  const pid = readPidFile(clusterPaths(c.env.SKIFF_HOME!, c.name))!;
  assert.ok(pid > 0);
  const start = JSON.parse((await raw(a, 'GET', '/api/v1/namespaces/default/configmaps')).body).metadata.resourceVersion as string;

  const acked: string[] = [];
  let killed = false;
  let stop = false;
  // Eight writers; the control plane is killed once 400 writes are acknowledged, with others in flight.
  const writer = async (w: number) => {
    for (let i = 0; !stop; i++) {
      const name = `w${w}-${i}`;
      try {
        const r = await raw(a, 'POST', '/api/v1/namespaces/default/configmaps', {
          body: JSON.stringify({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name }, data: { i: String(i) } }),
          headers: { 'content-type': 'application/json' },
        });
        if (r.status === 201) acked.push(name);
        else if (!killed) throw new Error(`create ${name}: HTTP ${r.status} ${r.body}`);
      } catch (e) {
        if (!killed) throw e;
        stop = true;
      }
      if (!killed && acked.length >= 400) {
        killed = true;
        process.kill(pid, 'SIGKILL');
      }
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, w) => writer(w)));
  assert.ok(killed);

  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  const list = JSON.parse((await raw(a, 'GET', '/api/v1/namespaces/default/configmaps')).body);
  const have = new Set<string>(list.items.map((i: { metadata: { name: string } }) => i.metadata.name));
  const lost = acked.filter((n) => !have.has(n));
  assert.deepEqual(lost, [], `${lost.length} of ${acked.length} acknowledged writes lost`);

  // A watch from before the crash replays every acknowledged create after the restart.
  const w = await raw(a, 'GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${start}&timeoutSeconds=1`);
  assert.equal(w.status, 200);
  const added = new Set(
    w.body
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .filter((e) => e.type === 'ADDED')
      .map((e) => e.object.metadata.name),
  );
  assert.deepEqual(acked.filter((n) => !added.has(n)), []);
});
