// One container's start by the runtime against `runc run -d` of the same bundle by hand, in the
// same run: the runtime's Runtime.startContainer (spec, shim, overlay root, supervisor, runc, the
// wait for the pid) for a busybox `sleep`, then runc alone on a copy of the bundle the runtime
// wrote (its config.json, an overlay of the same image root). Then 100 containers, two at a
// time, both ways. Prints medians and the ratios (goal: a single container at most 1.5x runc).
import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerImage, imageRootsDir, resolveImage } from '../src/images/index.js';
import { Runtime } from '../src/node/kubelet/runtime/index.js';
import { attemptLayout, podLayout } from '../src/node/kubelet/runtime/layout.js';
import { startCluster } from '../test/e2e/harness.js';

const ROUNDS = 15;
const MANY = 100;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Runs a command with no stdio: a container `runc run -d` leaves behind would hold a pipe open. */
function run(cmd: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}`))));
  });
}

/** Runs `jobs` with at most `width` at a time; the wall time in ms. */
async function wide(jobs: Array<() => Promise<void>>, width: number): Promise<number> {
  const t0 = performance.now();
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) await jobs[next++]();
  }));
  return performance.now() - t0;
}

async function main(): Promise<void> {
  // A cluster for its node network namespace and helper; the runtime here is a second one with
  // its own node directory and a hostNetwork sandbox, so the cluster's agent never sees it.
  const c = await startCluster('benchrt', { nodes: 1 });
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-rt-'));
  const clusterDir = join(c.env.SKIFF_HOME!, 'clusters', c.name);
  const nodeDir = join(dir, 'node');
  const rt = new Runtime({ cluster: c.name, clusterDir, node: `${c.name}-node-1`, index: 0, nodeDir });
  const podUid = randomUUID();
  const handState = join(dir, 'runc-hand');
  const handIds: string[] = [];
  try {
    const resolved = resolveImage('busybox', { home: c.env.SKIFF_HOME!, clusterDir });
    if (!resolved.ok) throw new Error(resolved.message);
    const img = containerImage(resolved.image, imageRootsDir(clusterDir));
    const image = { rootfs: img.rootfs, mounts: img.mounts.map((m) => ({ hostPath: m.source, containerPath: m.destination, readOnly: true })) };
    await rt.runSandbox({ podUid, namespace: 'bench', name: 'bench', hostname: 'bench', hostsFile: '', resolvConf: '', hostNetwork: true });
    let n = 0;
    const start = async () => {
      const name = `c${n++}`;
      await rt.startContainer({ podUid, name, attempt: 0, argv: ['sleep', '3600'], env: {}, mounts: [], image, security: { seccomp: { type: 'RuntimeDefault' } } });
    };
    // The first start builds the helper and reads the host's facts.
    await start();
    const runtimeMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await start();
      runtimeMs.push(performance.now() - t);
    }

    // The same bundle by hand: the runtime's config.json with a fresh overlay root.
    const spec = readFileSync(attemptLayout(podLayout(nodeDir, podUid), 'c1', 0).spec, 'utf8');
    let h = 0;
    const hand = async () => {
      const id = `bench-hand-${process.pid}-${h++}`;
      const b = join(dir, id);
      for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(b, d), { recursive: true });
      writeFileSync(join(b, 'config.json'), spec.replace(/"cgroupsPath":"[^"]*"/, `"cgroupsPath":"/skiff-bench-hand/${id}"`));
      await run('mount', ['-t', 'overlay', 'bench', '-o', `lowerdir=${img.rootfs},upperdir=${join(b, 'upper')},workdir=${join(b, 'work')}`, join(b, 'rootfs')]);
      handIds.push(id);
      await run('runc', ['--root', handState, 'run', '-d', '--pid-file', join(b, 'pid'), '--bundle', b, id]);
    };
    const handMs: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      const t = performance.now();
      await hand();
      handMs.push(performance.now() - t);
    }
    const one = median(runtimeMs);
    const ref = median(handMs);
    console.log(`one container: runtime ${one.toFixed(1)} ms, runc run -d by hand (with its overlay mount) ${ref.toFixed(1)} ms (median of ${ROUNDS}); ratio ${(one / ref).toFixed(2)} (goal <= 1.5)`);

    // Many, two at a time (the machine's cores), each way: by hand first, while the sandbox whose
    // namespaces the bundle joins is there, then the runtime in a fresh sandbox.
    for (const id of handIds.splice(0)) cleanupHand(handState, dir, id);
    const manyHand = await wide(Array.from({ length: MANY }, () => hand), 2);
    for (const id of handIds.splice(0)) cleanupHand(handState, dir, id);
    await rt.removeSandbox(podUid);
    await rt.runSandbox({ podUid, namespace: 'bench', name: 'bench', hostname: 'bench', hostsFile: '', resolvConf: '', hostNetwork: true });
    const manyRuntime = await wide(Array.from({ length: MANY }, () => start), 2);
    console.log(`${MANY} containers, 2 at a time: runtime ${manyRuntime.toFixed(0)} ms, runc by hand ${manyHand.toFixed(0)} ms; ratio ${(manyRuntime / manyHand).toFixed(2)}`);
  } finally {
    await rt.removeSandbox(podUid).catch(() => undefined);
    for (const id of handIds) cleanupHand(handState, dir, id);
    spawnSync('sh', ['-c', 'for h in /sys/fs/cgroup/*/; do rmdir "$h/skiff-bench-hand" 2>/dev/null; done']);
    rmSync(dir, { recursive: true, force: true });
    await c.down();
  }
}

function cleanupHand(state: string, dir: string, id: string): void {
  spawnSync('runc', ['--root', state, 'delete', '-f', id]);
  spawnSync('umount', ['-l', join(dir, id, 'rootfs')]);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
