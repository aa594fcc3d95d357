// The container runtime on a real machine: a fake cluster's network (fabric + one node namespace)
// is created, and the runtime steps run inside the node namespace like the node agent.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createClusterNetwork, deleteClusterNetwork, nodeExecArgv } from '../../../src/node/network/index.js';
import { detectCgroups, podCgroupDirs, cgroupPids, removeClusterCgroups, clusterCgroupName } from '../../../src/node/kubelet/runtime/cgroups.js';

const root = process.getuid?.() === 0;
const canRun = root && existsSync('/usr/lib/cni/bridge') && existsSync('/usr/bin/busybox');
const cluster = `rt${process.pid.toString(36)}`;
const dir = mkdtempSync(join(tmpdir(), 'skiff-runtime-'));

/** Kills what a failed run may have left: processes whose command line names our temp dir, then pod cgroups. */
function sweep(): void {
  for (const p of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    if (Number(p) === process.pid) continue;
    try {
      if (readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(dir)) process.kill(Number(p), 'SIGKILL');
    } catch {
      // Gone.
    }
  }
  try {
    const cg = detectCgroups();
    const parents = cg.version === 2 ? [cg.root] : [...new Set(Object.values(cg.roots))];
    for (const parent of parents) {
      const base = join(parent, clusterCgroupName(cluster));
      if (!existsSync(base)) continue;
      for (const uid of readdirSync(base, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name)) {
        for (const d of podCgroupDirs(cg, cluster, uid)) for (const pid of cgroupPids([d])) try { process.kill(pid, 'SIGKILL'); } catch { /* gone */ }
        for (const d of podCgroupDirs(cg, cluster, uid)) {
          for (let i = 0; i < 100 && existsSync(d); i++) {
            try { rmSync(d, { recursive: false }); } catch { spawnSync('sleep', ['0.05']); try { spawnSync('rmdir', [d]); } catch { /* retry */ } }
          }
        }
      }
    }
    removeClusterCgroups(cg, cluster);
  } catch {
    // No cgroups to clean.
  }
}

after(async () => {
  if (!canRun) return;
  sweep();
  await deleteClusterNetwork(cluster);
  rmSync(dir, { recursive: true, force: true });
  const left = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').filter((l) => l.startsWith(`skiff.${cluster}.`));
  assert.deepEqual(left, []);
});

test('container runtime inside a node namespace', { skip: !canRun && 'needs root, busybox and the CNI plugins' }, async () => {
  await createClusterNetwork(cluster, 1);
  const inner = fileURLToPath(new URL('./node/runtime-in-node.js', import.meta.url));
  const argv = [...nodeExecArgv(cluster, 0), process.execPath, '--test', '--test-reporter=spec', inner];
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8',
    timeout: 300_000,
    // Without the outer runner's NODE_TEST_CONTEXT, which would make the inner runner skip its file.
    env: { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NODE_TEST_CONTEXT')), SKIFF_RT_CLUSTER: cluster, SKIFF_RT_DIR: dir },
  });
  process.stdout.write(r.stdout);
  process.stderr.write(r.stderr);
  assert.equal(r.status, 0, 'the runtime steps in the node namespace failed (see output above)');
  assert.match(r.stdout, /ℹ pass [1-9]/);
  assert.match(r.stdout, /ℹ fail 0/);
});
