// How soon a new cluster is usable. Creates a 2-node cluster with `skiff up` (fresh state each
// round) and reads, from its progress lines, the time from the start of `up` until the API
// answers, every node is Ready, cluster DNS answers from inside the cluster network and the
// ingress controller serves on its address. Each is printed next to the same run's API time, as
// a ratio: the API is the part of `up` that was already fast, the rest is what this measures.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SKIFF, freePort, leftovers } from '../test/e2e/harness.js';

const STEPS = ['Control plane', 'Nodes', 'Cluster DNS', 'Ingress controller'] as const;

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t = performance.now();
  return new Promise((resolve) => {
    execFile(process.execPath, [SKIFF, ...args], { env, timeout: 120_000 }, (err, stdout, stderr) => {
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

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function round(i: number): Promise<{ steps: Map<string, number>; total: number }> {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-bench-up-'));
  const name = `benchup-${process.pid}-${i}`;
  const env = { ...process.env, SKIFF_HOME: join(dir, 'home'), KUBECONFIG: join(dir, 'kubeconfig') };
  try {
    const up = await run(['up', '--name', name, '--nodes', '2', '--egress', 'none', '--port', String(await freePort())], env);
    if (up.code !== 0) throw new Error(`skiff up failed (${up.code}):\n${up.stdout}\n${up.stderr}`);
    return { steps: stepTimes(up.stdout), total: up.ms };
  } finally {
    await run(['down', '--name', name], env);
    const left = leftovers(name, dir);
    rmSync(dir, { recursive: true, force: true });
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
  console.log(`  ${'up returned'.padEnd(20)} ${(median(results.map((r) => r.total)) / 1000).toFixed(2).padStart(6)} s   ${(median(results.map((r) => r.total)) / api).toFixed(2)}x`);
}

await main();
