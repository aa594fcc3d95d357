import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { podCgroupUids } from '../../../src/node/cleanup.js';

test('pod cgroups of a cluster are found in every v1 hierarchy (named ones too), and none of another cluster', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
  for (const d of ['cpu/skiff.a/pod1', 'memory/skiff.a/pod2', 'memory/skiff.a-b/pod3', 'pids/skiff.a', 'systemd/skiff.a/pod4']) mkdirSync(join(root, d), { recursive: true });
  // A hierarchy is a directory with cgroup.procs; runc also uses the named ones (systemd).
  for (const h of ['cpu', 'memory', 'pids', 'systemd']) writeFileSync(join(root, h, 'cgroup.procs'), '');
  const v1 = { version: 1 as const, roots: { cpu: join(root, 'cpu'), cpuacct: join(root, 'cpu'), memory: join(root, 'memory'), pids: join(root, 'pids') } };
  assert.deepEqual(podCgroupUids(v1, 'a').sort(), ['pod1', 'pod2', 'pod4']);
  assert.deepEqual(podCgroupUids(v1, 'a-b'), ['pod3']);
  assert.deepEqual(podCgroupUids({ version: 2, root }, 'zz'), []);
  rmSync(root, { recursive: true });
});
