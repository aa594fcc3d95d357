// Pod start and per-pod overhead on one node. Prints, for Deployments of 1, 10 and 100
// replicas, the time from the Deployment's creation until each pod is Ready (p50/p99, pods/s),
// next to the time the same machine takes to start the same process directly (the reference).
// Then the memory the runtime adds per pod (shim, log stamper and supervisor, PSS) next to the
// pod's own process. bench/runtime.bench.ts compares one container's start with runc by hand.
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { findServeProcesses } from '../src/cli/control-plane-process.js';
import { findAgents } from '../src/cli/node-agents.js';
import { startCluster } from '../test/e2e/harness.js';
import { settled } from './settled.js';
import { procCpuMs } from './steady-memory.js';
import { accessFrom } from '../test/e2e/kubeconfig.js';

/** A process's CPU with the children it has waited for (the agent's sandbox helpers and CNI plugins). */
const cpuMs = (pid: number) => procCpuMs(pid, true);

/**
 * 100 replicas Ready on this 2-core machine with the runtime before containment (host processes
 * in an overlay of the host's /, no runc), as measured at commit 5f94bbe with this benchmark.
 */
const BEFORE_RUNC_100_MS = 4400;


function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))];
}

function pss(pid: number): number {
  try {
    return Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))![1]);
  } catch {
    return 0;
  }
}

/**
 * The agent's CPU with that of the programs it ran to their end (the sandbox helper, the CNI
 * plugin), which its launcher (helper --launcher, alive) waits for; not the shims, which live on.
 */
function agentCpuMs(agent: number): number {
  let kids: number[] = [];
  try {
    kids = readFileSync(`/proc/${agent}/task/${agent}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return NaN;
  }
  const launchers = kids.filter((k) => {
    try {
      return readFileSync(`/proc/${k}/cmdline`, 'utf8').split('\0').includes('--launcher');
    } catch {
      return false;
    }
  });
  return cpuMs(agent) + launchers.reduce((sum, k) => sum + cpuMs(k), 0);
}

/** Median time to fork+exec the same command straight on the host: what a pod start cannot beat. */
async function directStartMs(): Promise<number> {
  const times: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t = performance.now();
    await new Promise((r) => spawn('/usr/bin/busybox', ['true']).on('exit', r));
    times.push(performance.now() - t);
  }
  return pct(times.sort((a, b) => a - b), 50);
}

async function main(): Promise<void> {
  const c = await startCluster('benchpods', { nodes: 1 });
  try {
    const a = accessFrom(join(c.dir, 'kubeconfig'));
    const dispatcher = new Agent({ connect: { ca: a.ca } });
    const auth = { authorization: `Bearer ${a.token}` };
    const direct = await directStartMs();
    while (!/\sReady\s/.test((await c.kubectl(['get', 'nodes'])).stdout)) await new Promise((r) => setTimeout(r, 100));
    await settled(c);

    const agent = findAgents(c.env.SKIFF_HOME!, c.name)[0]?.pid;
    const controlPlane = findServeProcesses(c.env.SKIFF_HOME!, c.name)[0];
    const cpu = () => ({ agent: agent ? agentCpuMs(agent) : NaN, controlPlane: controlPlane ? cpuMs(controlPlane) : NaN });
    for (const n of (process.env.BENCH_PODS ?? "1,10,100").split(",").map(Number)) {
      const name = `bench-${n}`;
      const list = JSON.parse(
        await (await request(`${a.server}/api/v1/namespaces/default/pods?labelSelector=app%3D${name}`, { headers: auth, dispatcher })).body.text(),
      );
      const watch = await request(`${a.server}/api/v1/namespaces/default/pods?watch=true&labelSelector=app%3D${name}&resourceVersion=${list.metadata.resourceVersion}`, {
        headers: auth,
        dispatcher,
      });
      const readyAt = new Map<string, number>();
      const cpu0 = cpu();
      const t0 = performance.now();
      const done = (async () => {
        let buf = '';
        for await (const chunk of watch.body) {
          buf += chunk.toString();
          let i: number;
          while ((i = buf.indexOf('\n')) >= 0) {
            const ev = JSON.parse(buf.slice(0, i));
            buf = buf.slice(i + 1);
            const p = ev.object;
            if (p.status?.conditions?.some((x: { type: string; status: string }) => x.type === 'Ready' && x.status === 'True') && !readyAt.has(p.metadata.name)) {
              readyAt.set(p.metadata.name, performance.now() - t0);
            }
            if (readyAt.size >= n) return;
          }
        }
      })();
      const create = await c.kubectl(['create', 'deployment', name, '--image=busybox', `--replicas=${n}`, '--', 'sleep', '3600']);
      if (create.code !== 0) throw new Error(create.stderr);
      await Promise.race([done, new Promise((_, rej) => setTimeout(() => rej(new Error(`${n} pods not Ready within 120 s`)), 120_000))]);
      const cpu1 = cpu();
      watch.body.destroy();
      const all = [...readyAt.values()].sort((x, y) => x - y);
      const total = all[all.length - 1];
      // Each size starts on an empty node: 1 + 10 + 100 pods would pass the node's 110-pod limit.
      if (n < 100) {
        await c.kubectl(['delete', 'deployment', name, '--wait']);
        while (JSON.parse((await c.kubectl(['get', 'pods', '-l', `app=${name}`, '-o', 'json'])).stdout).items.length > 0) await new Promise((r) => setTimeout(r, 100));
      }
      console.log(
        `${n} replicas: all Ready in ${total.toFixed(0)} ms (${((n / total) * 1000).toFixed(1)} pods/s); per pod p50 ${pct(all, 50).toFixed(0)} ms, p99 ${pct(all, 99).toFixed(0)} ms; ` +
          `direct process start ${direct.toFixed(1)} ms; ratio p50/direct ${(pct(all, 50) / direct).toFixed(0)} (target: 100 pods Ready < 5000 ms)` +
          (n === 100 ? `; against the runtime before runc (${BEFORE_RUNC_100_MS} ms): ratio ${(total / BEFORE_RUNC_100_MS).toFixed(2)}` : ''),
      );
      console.log(
        `${n} replicas: CPU per pod until all Ready: node agent ${((cpu1.agent - cpu0.agent) / n).toFixed(1)} ms, control plane ${((cpu1.controlPlane - cpu0.controlPlane) / n).toFixed(1)} ms ` +
          '(the agent with the sandbox helpers and CNI plugins it ran, not the shims and runc)',
      );
    }

    // Per-pod overhead: the shim and log stamper of each container, against the container's own process.
    const podsDir = join(c.env.SKIFF_HOME!, 'clusters', c.name, 'nodes', `${c.name}-node-1`, 'pods');
    const overhead: number[] = [];
    const own: number[] = [];
    for (const uid of readdirSync(podsDir)) {
      const cdir = join(podsDir, uid, 'containers');
      let containers: string[] = [];
      try {
        containers = readdirSync(cdir);
      } catch {
        continue;
      }
      for (const name of containers) {
        for (const attempt of readdirSync(join(cdir, name))) {
          const d = join(cdir, name, attempt);
          let shim = 0;
          let pid = 0;
          try {
            shim = Number(readFileSync(join(d, 'shim.pid'), 'utf8'));
            pid = Number(readFileSync(join(d, 'pid'), 'utf8'));
          } catch {
            continue;
          }
          let kids: number[] = [];
          try {
            kids = readFileSync(`/proc/${shim}/task/${shim}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
          } catch {
            continue;
          }
          const helpers = kids.filter((k) => k !== pid);
          overhead.push(pss(shim) + helpers.reduce((s, k) => s + pss(k), 0));
          own.push(pss(pid));
        }
      }
    }
    const avg = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    console.log(
      `memory per pod beside its own processes: ${(avg(overhead) / 1024).toFixed(2)} MB PSS over ${overhead.length} pods; ` +
        `the pod's own process (busybox sleep): ${(avg(own) / 1024).toFixed(2)} MB; ratio ${(avg(overhead) / Math.max(1, avg(own))).toFixed(2)} (target < 2 MB)`,
    );
    await dispatcher.close();
  } finally {
    await c.down();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
