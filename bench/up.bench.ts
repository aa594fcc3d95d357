// How soon a new cluster is usable. Creates a 2-node cluster with `skiff up` (fresh state each
// round) and reads, from its progress lines, the time from the start of `up` until the API
// answers, every node is Ready, cluster DNS answers from inside the cluster network and the
// ingress controller serves on its address. Each is printed next to the same run's API time, as
// a ratio: the API is the part of `up` that was already fast, the rest is what this measures.
// Then, as the issue tries it, a new busybox pod right after `up` returns: the time from the start
// of `up` until `kubectl exec` of nslookup in it resolves kubernetes.default (kubectl run, then
// exec again while the container is not yet there). The name is written in full: busybox's
// nslookup, as the busybox:1.36 image's, applies no search path to a name with a dot.
// Also the CPU time every process of the cluster spent until `up` returned (the command, the
// control plane, the agents and everything they ran, and the pods): on two cores `up` is bound
// by it, and unlike the wall times it barely moves when other work shares the machine.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clusterCgroupName, detectCgroups } from '../src/node/kubelet/runtime/cgroups.js';
import { SKIFF, freePort, leftovers } from '../test/e2e/harness.js';

const STEPS = ['Control plane', 'Nodes', 'Cluster DNS', 'Ingress controller'] as const;

/** cpuacct (v1) or cpu.stat (v2) usage of a cgroup directory, in ms; 0 when it is gone. */
function cgroupCpuMs(dir: string, v2: boolean): number {
  try {
    if (v2) return Number(/^usage_usec (\d+)/m.exec(readFileSync(join(dir, 'cpu.stat'), 'utf8'))![1]) / 1000;
    return Number(readFileSync(join(dir, 'cpuacct.usage'), 'utf8')) / 1e6;
  } catch {
    return 0;
  }
}

/** The cgroup `up` runs in, so that every process it starts (detached ones too) is counted. */
function cpuCgroup(name: string): { dir: string; v2: boolean } {
  const d = detectCgroups();
  const dir = d.version === 2 ? join(d.root, `skiff-bench-up-${name}`) : join(d.roots.cpuacct, `skiff-bench-up-${name}`);
  mkdirSync(dir);
  return { dir, v2: d.version === 2 };
}

function podsCgroup(cluster: string): { dir: string; v2: boolean } {
  const d = detectCgroups();
  return d.version === 2 ? { dir: join(d.root, clusterCgroupName(cluster)), v2: true } : { dir: join(d.roots.cpuacct, clusterCgroupName(cluster)), v2: false };
}

function run(args: string[], env: NodeJS.ProcessEnv, cgroupProcs?: string): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t = performance.now();
  // In the cgroup from its first instruction: the shell moves itself, then becomes node.
  const [cmd, argv] = cgroupProcs
    ? ['/bin/sh', ['-c', 'echo $$ > "$0" && exec "$@"', cgroupProcs, process.execPath, SKIFF, ...args]]
    : [process.execPath, [SKIFF, ...args]];
  return new Promise((resolve) => {
    execFile(cmd, argv, { env, timeout: 120_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr, ms: performance.now() - t });
    });
  });
}

/** Seconds per step from lines like ` ✓ Nodes (0.91s): 2 of 2 Ready`. */
export function stepTimes(stdout: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const m of stdout.matchAll(/^ ✓ (.+?) \((\d+(?:\.\d+)?)s\)/gm)) out.set(m[1]!, Number(m[2]) * 1000);
  return out;
}

const PROBE_STEP = 'a new pod resolves';

/** ms from `started` until a busybox pod created now resolves kubernetes.default.svc.cluster.local. */
function probePodResolves(env: NodeJS.ProcessEnv, started: number): number {
  const kubectl = (...args: string[]) => execFileSync('kubectl', args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  kubectl('run', 'probe', '--image=busybox', '--', 'sleep', '3600');
  for (const deadline = performance.now() + 60_000; performance.now() < deadline; ) {
    try {
      kubectl('exec', 'probe', '--', 'nslookup', 'kubernetes.default.svc.cluster.local');
      return performance.now() - started;
    } catch {
      // not started yet: asked again at once, as a user's loop would
    }
  }
  throw new Error('the probe pod did not resolve kubernetes.default within 60 s');
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function round(i: number): Promise<{ steps: Map<string, number>; total: number; cpu: { all: number; pods: number } }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-up-'));
  const name = `benchup-${process.pid}-${i}`;
  const env = { ...process.env, SKIFF_HOME: join(dir, 'home'), KUBECONFIG: join(dir, 'kubeconfig') };
  const cg = cpuCgroup(name);
  try {
    const started = performance.now();
    const up = await run(['up', '--name', name, '--nodes', '2', '--egress', 'none', '--port', String(await freePort())], env, join(cg.dir, 'cgroup.procs'));
    if (up.code !== 0) throw new Error(`skiff up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    const pods = podsCgroup(name);
    const podsMs = cgroupCpuMs(pods.dir, pods.v2);
    const cpu = { all: cgroupCpuMs(cg.dir, cg.v2) + podsMs, pods: podsMs };
    const steps = stepTimes(up.stdout);
    steps.set(PROBE_STEP, probePodResolves(env, started));
    return { steps, total: up.ms, cpu };
  } finally {
    await run(['down', '--name', name], env);
    const left = leftovers(name, dir);
    rmSync(dir, { recursive: true, force: true });
    // Empty once `down` ended the cluster's processes (the last may still be exiting).
    for (let t = 0; existsSync(cg.dir); t++) {
      try {
        rmdirSync(cg.dir);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EBUSY' || t >= 100) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    if (left.length) throw new Error(`skiff down left behind:\n  ${left.join('\n  ')}`);
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
  const results = [];
  for (let i = 0; i < rounds; i++) results.push(await round(i));
  const api = median(results.map((r) => r.steps.get('Control plane')!));
  console.log(`skiff up --nodes 2, ${rounds} rounds, medians from the start of up (ratio: x the API's time)`);
  for (const step of STEPS) {
    const ms = median(results.map((r) => r.steps.get(step) ?? NaN));
    console.log(`  ${step.padEnd(20)} ${(ms / 1000).toFixed(2).padStart(6)} s   ${(ms / api).toFixed(2)}x`);
  }
  const total = median(results.map((r) => r.total));
  console.log(`  ${'up returned'.padEnd(20)} ${(total / 1000).toFixed(2).padStart(6)} s   ${(total / api).toFixed(2)}x`);
  const probe = median(results.map((r) => r.steps.get(PROBE_STEP)!));
  console.log(`  ${PROBE_STEP.padEnd(20)} ${(probe / 1000).toFixed(2).padStart(6)} s   ${(probe / api).toFixed(2)}x   (kubectl run busybox after up, then exec nslookup kubernetes.default.svc.cluster.local until it answers)`);
  const cpu = median(results.map((r) => r.cpu.all));
  const pods = median(results.map((r) => r.cpu.pods));
  console.log(`  CPU time of the whole cluster until up returned: ${(cpu / 1000).toFixed(2)} s (pods ${(pods / 1000).toFixed(2)} s), ${(cpu / total).toFixed(2)} cores busy on average while up ran`);
}

await main();
