import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterCgroupDirs } from '../../../src/node/cleanup.js';

test('the cluster cgroups are found under a v2 root and under each v1 controller, and no other cluster', () => {
  const root = mkdtempSync(join(tmpdir(), 'skiff-cg-'));
  for (const d of ['cpu/skiff.a/pod1', 'memory/skiff.a', 'memory/skiff.a-b', 'pids/other', 'skiff.a']) mkdirSync(join(root, d), { recursive: true });
  assert.deepEqual(clusterCgroupDirs('a', root).sort(), [join(root, 'cpu/skiff.a'), join(root, 'memory/skiff.a'), join(root, 'skiff.a')].sort());
  assert.deepEqual(clusterCgroupDirs('a-b', root), [join(root, 'memory/skiff.a-b')]);
  rmSync(root, { recursive: true });
});
