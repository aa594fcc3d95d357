// What the metrics pipeline costs. With N pods on one node (100 by default, BENCH_PODS to
// change), each the one replica of its own Deployment: the private memory of the metrics-server
// process (the lowest sampled over two scrapes), next to a bare Node process with the same flags measured in the same run (the floor
// of any add-on written for Node); the memory the HPA controller adds to the control plane with
// 10 and with N HorizontalPodAutoscalers, one per Deployment, each synced with metrics (the
// control plane's private memory after a full collection, against the same cluster before any
// HPA, split into V8's heap and native memory); the HPAs' failed metric fetches (503s of the
// aggregation layer show there); and the CPU scraping takes, metrics-server's own (its container cgroup over two scrape
// periods) plus the node agent's for rendering /metrics/resource (CPU time per render × renders
// per minute), next to the goal of 1% of one core and the node agent's idle CPU over the same
// window.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { METRICS_SERVER_NODE_FLAGS } from '../src/images/catalog.js';
import { HISTORY_FRESH_MS } from '../src/storage/store.js';
import { startCluster, waitFor, type Cluster } from '../test/e2e/harness.js';
import { privateByRegion, privateKb, procCpuMs as cpuMs, steadyMemory } from './steady-memory.js';

const PODS = Number(process.env.BENCH_PODS ?? 100);
const RESOLUTION_S = 15;
const GOAL_MB = 15;
const GOAL_CPU_PCT = 1;
/** The HPA counts measured: a few, and one per pod. */
const HPA_COUNTS = [...new Set([Math.min(10, PODS), PODS])];

function cgroupCpuNs(rel: string): number {
  try {
    return Number(readFileSync(`/sys/fs/cgroup/cpuacct/${rel}/cpuacct.usage`, 'utf8'));
  } catch {
    return Number(/usage_usec (\d+)/.exec(readFileSync(`/sys/fs/cgroup/${rel}/cpu.stat`, 'utf8'))?.[1] ?? 0) * 1000;
  }
}

function cgroupPids(rel: string): number[] {
  for (const base of ['/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
    try {
      return readFileSync(`${base}/${rel}/cgroup.procs`, 'utf8').split('\n').filter(Boolean).map(Number);
    } catch {
      // The other layout.
    }
  }
  return [];
}

/**
 * The lowest of a memory figure sampled each second for ms: where a process is between its
 * collections, for one the benchmark cannot ask for a collection (metrics-server's inspector
 * would listen inside its pod's network namespace).
 */
async function lowest(sample: () => number, ms: number): Promise<number> {
  let min = sample();
  for (const end = Date.now() + ms; Date.now() < end; ) {
    await new Promise((r) => setTimeout(r, 1000));
    min = Math.min(min, sample());
  }
  return min;
}

/** Deployment idle-<i>: one busybox replica with a CPU request, so that an HPA can compute utilization. */
function deployment(i: number): object {
  const labels = { app: 'idle', idle: String(i) };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: `idle-${i}` },
    spec: {
      replicas: 1,
      selector: { matchLabels: { idle: String(i) } },
      template: {
        metadata: { labels },
        spec: { containers: [{ name: 'sleep', image: 'busybox:1.28', command: ['sleep', '100000'], resources: { requests: { cpu: '5m' } } }] },
      },
    },
  };
}

/** The HPA of Deployment idle-<i>: 50% of the CPU request, between 1 and 2 replicas. */
function autoscaler(i: number): object {
  return {
    apiVersion: 'autoscaling/v2',
    kind: 'HorizontalPodAutoscaler',
    metadata: { name: `idle-${i}` },
    spec: {
      scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: `idle-${i}` },
      minReplicas: 1,
      maxReplicas: 2,
      metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }],
    },
  };
}

function list(items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}

/** Until every HPA has measured its target (status.currentMetrics set). */
async function autoscalersMeasured(c: Cluster, n: number): Promise<void> {
  await waitFor(`${n} HPAs with a measurement`, async () => {
    const out = await c.ok(['get', 'hpa', '-o', 'jsonpath={range .items[*]}{.status.currentMetrics[0].resource.current.averageUtilization}{"\\n"}{end}']);
    return out.split('\n').filter((l) => /^\d+$/.test(l)).length >= n;
  }, 120_000);
}

/** The HPAs' FailedGetResourceMetric events so far, counted by message (event counts included). */
async function failedMetricFetches(c: Cluster): Promise<Map<string, number>> {
  const out = await c.ok(['get', 'events', '--field-selector', 'reason=FailedGetResourceMetric', '-o', 'jsonpath={range .items[*]}{.count}{"\\t"}{.message}{"\\n"}{end}']);
  const byMessage = new Map<string, number>();
  for (const line of out.split('\n').filter(Boolean)) {
    const [count, message] = line.split('\t');
    byMessage.set(message!, (byMessage.get(message!) ?? 0) + (Number(count) || 1));
  }
  return byMessage;
}

async function bareNodePrivateKb(): Promise<number> {
  const child = spawn(process.execPath, [...METRICS_SERVER_NODE_FLAGS, '-e', 'setInterval(() => {}, 1e9)'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 1000));
  const kb = privateKb(child.pid!);
  child.kill();
  return kb;
}

function render(socket: string): Promise<number> {
  return new Promise((resolve, reject) => {
    request({ socketPath: socket, path: '/metrics/resource' }, (res) => {
      let n = 0;
      res.on('data', (c: Buffer) => (n += c.length));
      res.on('end', () => resolve(n));
    })
      .on('error', reject)
      .end();
  });
}

async function main(): Promise<void> {
  const bare = await bareNodePrivateKb();
  const c = await startCluster('benchmetrics', { nodes: 1 });
  try {
    await c.ok(['wait', '--for=condition=Available', 'apiservice/v1beta1.metrics.k8s.io', '--timeout=180s']);
    await c.ok(['apply', '-f', '-'], list(Array.from({ length: PODS }, (_, i) => deployment(i))));
    await c.ok(['wait', '--for=condition=Available', 'deployment', '--all', '--timeout=600s']);
    const podsStarted = Date.now();
    await waitFor('metrics for every idle pod', async () => {
      const r = await c.kubectl(['top', 'pod', '-l', 'app=idle', '--no-headers']);
      return r.code === 0 && r.stdout.trim().split('\n').length === PODS;
    }, 120_000);
    const uid = (await c.ok(['-n', 'kube-system', 'get', 'pods', '-l', 'k8s-app=metrics-server', '-o', 'jsonpath={.items[0].metadata.uid}'])).trim();
    const rel = `skiff.${c.name}/${uid}/${uid}-metrics-server-0`;
    const pids = cgroupPids(rel);
    const serverKb = () => pids.reduce((s, p) => s + privateKb(p), 0);
    const nodeDir = join(c.dir, 'home', 'clusters', c.name, 'nodes', `${c.name}-node-1`);
    const agent = Number(readFileSync(join(nodeDir, 'agent.pid'), 'utf8'));

    // metrics-server's CPU and the agent's over two scrape periods.
    const cpu0 = cgroupCpuNs(rel);
    const agent0 = cpuMs(agent);
    const t0 = Date.now();
    const serverPrivate = await lowest(serverKb, 2 * RESOLUTION_S * 1000);
    const windowMs = Date.now() - t0;
    const serverPct = ((cgroupCpuNs(rel) - cpu0) / 1e6 / windowMs) * 100;
    const agentWindowPct = ((cpuMs(agent) - agent0) / windowMs) * 100;
    // The agent's share: CPU time per render, at one render per resolution.
    const renders = 50;
    const a0 = cpuMs(agent);
    let bytes = 0;
    for (let i = 0; i < renders; i++) bytes = await render(join(nodeDir, 'kubelet.sock'));
    const perRenderMs = (cpuMs(agent) - a0) / renders;
    const agentPct = (perRenderMs / (RESOLUTION_S * 1000)) * 100;

    // The HPA controller's memory: the control plane after a full collection, before any HPA and
    // once each count of HPAs has synced with metrics and then run one more sync period. Before
    // any HPA, the API server's watch history still holds the changes of starting the pods until
    // they are HISTORY_FRESH_MS old (and the next write drops them); it is measured once they have
    // gone, or their going would count as a saving of the HPAs.
    await new Promise((r) => setTimeout(r, Math.max(0, podsStarted + HISTORY_FRESH_MS + 5_000 - Date.now())));
    const controlPlane = Number(/pid[:\s]+(\d+)/i.exec((await c.skiff(['status', '--name', c.name])).stdout)?.[1]);
    const withoutHPAs = await steadyMemory(controlPlane);
    const withHPAs: Awaited<ReturnType<typeof steadyMemory>>[] = [];
    for (const n of HPA_COUNTS) {
      await c.ok(['apply', '-f', '-'], list(Array.from({ length: n }, (_, i) => autoscaler(i))));
      await autoscalersMeasured(c, n);
      await new Promise((r) => setTimeout(r, RESOLUTION_S * 1000));
      withHPAs.push(await steadyMemory(controlPlane));
    }
    const serverWithHPAs = await lowest(serverKb, RESOLUTION_S * 1000);
    const serverRegions = privateByRegion(pids[0]!);
    const failed = await failedMetricFetches(c);
    const hpaMb = (i: number) => (withHPAs[i].privateKb - withoutHPAs.privateKb) / 1024;
    const hpaHeapMb = (i: number) => (withHPAs[i].heapUsedKb - withoutHPAs.heapUsedKb) / 1024;
    const last = HPA_COUNTS.length - 1;

    console.log(`metrics pipeline, ${PODS} pods on one node, --metric-resolution=${RESOLUTION_S}s`);
    console.log(`  metrics-server private    ${(serverPrivate / 1024).toFixed(1)} MB, the lowest over two scrapes   (bare Node with the same flags: ${(bare / 1024).toFixed(1)} MB, ratio ${(serverPrivate / bare).toFixed(2)}; goal with the HPA controller: ${GOAL_MB} MB)`);
    console.log(`  control plane private     ${(withoutHPAs.privateKb / 1024).toFixed(1)} MB without HPAs, after a full GC (V8 heap ${(withoutHPAs.heapUsedKb / 1024).toFixed(1)} MB of it)`);
    HPA_COUNTS.forEach((n, i) =>
      console.log(`  HPA controller, ${String(n).padStart(3)} HPAs ${hpaMb(i).toFixed(1)} MB added (${((hpaMb(i) * 1024) / n).toFixed(1)} KiB per HPA; V8 heap ${hpaHeapMb(i).toFixed(1)} MB, native ${(hpaMb(i) - hpaHeapMb(i)).toFixed(1)} MB)`),
    );
    const regions = (m: Awaited<ReturnType<typeof steadyMemory>>) =>
      `V8 heap used ${(m.heapUsedKb / 1024).toFixed(1)}, committed ${(m.heapTotalKb / 1024).toFixed(1)}, V8's pages ${(m.regions.v8Kb / 1024).toFixed(1)}, malloc main arena ${(m.regions.mainArenaKb / 1024).toFixed(1)}, other anonymous ${(m.regions.mmapKb / 1024).toFixed(1)}, files ${(m.regions.filesKb / 1024).toFixed(1)} MB`;
    console.log(`  metrics-server, by region with HPAs, at the end: V8's pages ${(serverRegions.v8Kb / 1024).toFixed(1)}, malloc main arena ${(serverRegions.mainArenaKb / 1024).toFixed(1)}, other anonymous ${(serverRegions.mmapKb / 1024).toFixed(1)}, files ${(serverRegions.filesKb / 1024).toFixed(1)} MB`);
    console.log(`  control plane, by region  without HPAs: ${regions(withoutHPAs)}`);
    HPA_COUNTS.forEach((n, i) => console.log(`  control plane, by region  ${n} HPAs: ${regions(withHPAs[i])}`));
    // Native memory is malloc's arenas and SQLite's cache as much as the HPAs, and the V8 heap holds
    // the watch history's changes of others: between two samples either can fall by more than the
    // HPAs add. A fall is counted as nothing, never as a saving.
    const counted = (i: number) => Math.max(0, hpaMb(i), hpaHeapMb(i));
    const together = serverWithHPAs / 1024 + counted(last);
    console.log(`  metrics-server + HPAs     ${together.toFixed(1)} MB with ${HPA_COUNTS[last]} HPAs (metrics-server then: ${(serverWithHPAs / 1024).toFixed(1)} MB, the lowest over a scrape; the HPAs ${counted(last).toFixed(1)} MB, native memory counted only if it grew)   (goal ${GOAL_MB} MB)`);
    const failures = [...failed.values()].reduce((a, b) => a + b, 0);
    console.log(`  failed metric fetches     ${failures} over the HPAs' syncs${[...failed].map(([m, n]) => `\n    ${n} × ${m}`).join('')}`);
    console.log(`  metrics-server CPU        ${serverPct.toFixed(2)}% of a core over ${(windowMs / 1000).toFixed(0)} s`);
    console.log(`  kubelet /metrics/resource ${perRenderMs.toFixed(1)} ms CPU per render (${(bytes / 1024).toFixed(0)} KiB) = ${agentPct.toFixed(3)}% of a core`);
    console.log(`  scraping total            ${(serverPct + agentPct).toFixed(2)}% of a core   (goal ${GOAL_CPU_PCT}%; node agent over the same window, all its work: ${agentWindowPct.toFixed(2)}%)`);
  } finally {
    await c.down();
  }
}

main().catch((e: Error) => {
  console.error(e);
  process.exit(1);
});
