// One mesh hop against the plain ClusterIP path, at a fixed rate: a meshed client pod's requests
// to a Service are captured on its node and go through the node's ztunnel (L7: routes, retries,
// load balancing) to the Service's pod; an unmeshed client pod's requests to the same ClusterIP
// take kube-proxy's nftables path straight to the same pod. Both clients run the same
// constant-rate generator (open-loop.ts) inside their pod's network namespace, RATE requests/s
// for SECONDS each, ROUNDS times. Within a round the two take turns second by second (one
// second plain, one second meshed, …; never both at once), so that both paths meet the same
// minutes of a shared machine: when each path had ten seconds of its own, a busy stretch moved
// one path's p99 in a round by up to 200 ms while the other path's was untouched.
// One node, one nginx:1.27 backend pod.
//
// The reference: the same plain client through one more proxy process that does no mesh work,
// Debian's nginx as a reverse proxy (nginx.ts) in a pod of its own with the ztunnel's CPU
// request, to the backend pod's address as the ztunnel dials it, measured in each round against
// the plain path the same way. Both hops put one more process between the two pods, so the
// nginx hop's cost is what any proxy there costs on this machine, and the ztunnel's is printed as
// a ratio of it. The medians of the rounds' percentiles are printed with their differences,
// then every round with the machine's load average and each hop's cost in that round, whose
// spread says how far one figure can be trusted.
//
// Goal (issue 13): at most +0.25 ms p90 and +0.3 ms p99 for the mesh hop (Istio ambient's
// published figure is +0.17/+0.20 ms). No threshold fails the run.
import { loadavg } from 'node:os';
import { startCluster, waitFor } from '../test/e2e/harness.js';
import { jsonpath } from '../test/e2e/scenarios/net.js';
import { ISTIO_NS, list, podCpuMs, readyPods } from './istio.js';
import { requireNginx, startNginx, type ReferenceNginx } from './nginx.js';
import { runOpenLoop, runOpenLoopsInTurns, type OpenLoopResult } from './open-loop.js';
import { median } from './wrk.js';
import { runBench } from './run.js';

const RATE = Number(process.env.BENCH_RATE ?? 1000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
/** The length of each path's turn within a round. */
const TURN_MS = 1000;

/** The pod the reference nginx runs in: nothing of its own, the ztunnel DaemonSet's CPU request. */
const HOP_POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'hop', namespace: 'plain', labels: { app: 'hop' } },
  spec: { containers: [{ name: 'hop', image: 'busybox:1.36', command: ['sleep', '3600'], resources: { requests: { cpu: '200m' } } }] },
};

async function main(): Promise<void> {
  requireNginx();
  const c = await startCluster('benchmesh', { nodes: 1 });
  let nginx: ReferenceNginx | undefined;
  try {
    const [ztunnel] = await readyPods(c, ISTIO_NS, 'app=ztunnel');
    await c.ok(['create', 'namespace', 'meshed']);
    await c.ok(['label', 'namespace', 'meshed', 'istio-injection=enabled']);
    await c.ok(['create', 'namespace', 'plain']);
    await c.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=80']);
    await c.ok(['expose', 'deployment', 'web', '--port=80']);
    for (const ns of ['meshed', 'plain']) await c.ok(['run', 'client', '-n', ns, '--image=busybox:1.36', '--restart=Never', '--', 'sleep', '3600']);
    await c.ok(['apply', '-f', '-'], list([HOP_POD]));
    await c.ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const [meshed] = await readyPods(c, 'meshed', 'run=client');
    const [plain] = await readyPods(c, 'plain', 'run=client');
    const [web] = await readyPods(c, 'default', 'app=web');
    const [hop] = await readyPods(c, 'plain', 'app=hop');
    nginx = startNginx(c.name, hop!.uid, hop!.ip, `${web!.ip}:80`);
    const hopUrl = `http://${hop!.ip}:${nginx.port}/`;
    await waitFor('the meshed client enrolled', async () => (await jsonpath(c, ['get', 'pod', '-n', 'meshed', 'client'], '{.metadata.annotations.ambient\\.istio\\.io/redirection}')) === 'enabled', 60_000);
    const url = `http://${await jsonpath(c, ['get', 'svc', 'web'], '{.spec.clusterIP}')}/`;
    // Until the capture rules and the ztunnel's route for the Service are in place, the meshed client still takes the plain path.
    await waitFor('the meshed client going through ztunnel', async () => {
      const r = runOpenLoop(meshed!.netns, url, 100, 20);
      return r.proxied === r.requests && r.errors === 0;
    }, 60_000);
    const probe = runOpenLoop(plain!.netns, url, 100, 20);
    if (probe.proxied !== 0 || probe.errors !== 0) throw new Error(`the unmeshed client should reach the Service directly: ${JSON.stringify(probe)}`);
    await waitFor('the reference nginx answering', async () => runOpenLoop(plain!.netns, hopUrl, 100, 20).errors === 0, 30_000);

    const count = RATE * SECONDS;
    type Path = { name: string; netns: string; url: string };
    const plainPath: Path = { name: 'ClusterIP (plain)', netns: plain!.netns, url };
    const meshPath: Path = { name: 'mesh (ztunnel)', netns: meshed!.netns, url };
    const nginxPath: Path = { name: 'nginx hop', netns: plain!.netns, url: hopUrl };
    // Each hop is measured against the plain path in turns of its own, so that each proxy sits
    // idle for the same second between its turns (a third path in the same turns left each
    // proxy idle for two, which cost the ztunnel's first requests after it more than nginx's).
    // Each hop's proxy runs in a pod whose cgroup only that hop's requests reach (nginx joins its pod's).
    const hops = [
      { path: meshPath, proxy: ztunnel!, cpuMs: 0 },
      { path: nginxPath, proxy: hop!, cpuMs: 0 },
    ];
    const pairs: [Path, Path][] = hops.map((h) => [plainPath, h.path]);
    for (const p of [plainPath, meshPath, nginxPath]) runOpenLoop(p.netns, p.url, RATE, Math.min(count, 2 * RATE)); // warm-up: JIT, pools, conntrack
    /** Per pair, per round: [plain, hop]. */
    const results: [OpenLoopResult, OpenLoopResult][][] = pairs.map(() => []);
    const loads: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      loads.push(loadavg()[0]!);
      for (const [i, pair] of pairs.entries()) {
        const before = podCpuMs(c, hops[i]!.proxy);
        const round = await runOpenLoopsInTurns(pair.map((p) => ({ netns: p.netns, url: p.url })), RATE, count, TURN_MS);
        hops[i]!.cpuMs += podCpuMs(c, hops[i]!.proxy) - before;
        results[i]!.push(round as [OpenLoopResult, OpenLoopResult]);
      }
    }
    type Figure = 'p50' | 'p90' | 'p99' | 'rate' | 'lagP99';
    /** The median over the rounds of pair i's path j (0 plain, 1 the hop). */
    const med = (i: number, j: 0 | 1, k: Figure) => median(results[i]!.map((x) => x[j][k]));
    const sum = (i: number, j: 0 | 1, k: 'errors' | 'proxied') => results[i]!.reduce((a, x) => a + x[j][k], 0);
    const d = (i: number, k: 'p50' | 'p90' | 'p99') => med(i, 1, k) - med(i, 0, k);
    const sign = (x: number) => `${x >= 0 ? '+' : ''}${x.toFixed(3)} ms`;
    const met = (ok: boolean) => (ok ? 'met' : 'missed');
    console.log(
      `mesh: ${RATE} req/s open loop × ${SECONDS}s per path × ${ROUNDS} rounds, from a client pod to one nginx:1.27 pod; each hop in turns of ${TURN_MS} ms ` +
        `with the plain path to the pod's ClusterIP (medians of the rounds)`,
    );
    for (const [i, [a, b]] of pairs.entries()) {
      for (const [j, p] of [a, b].entries() as Iterable<[0 | 1, Path]>) {
        console.log(
          `  ${(j === 0 ? `${p.name} beside the ${b.name}` : p.name).padEnd(35)} p50 ${med(i, j, 'p50').toFixed(3)} ms  p90 ${med(i, j, 'p90').toFixed(3)} ms  p99 ${med(i, j, 'p99').toFixed(3)} ms  ` +
            `rate ${med(i, j, 'rate').toFixed(0)}/s  send lag p99 ${med(i, j, 'lagP99').toFixed(3)} ms  errors ${sum(i, j, 'errors')}  through an Istio proxy ${sum(i, j, 'proxied')}/${count * ROUNDS}`,
        );
      }
    }
    const perRequestUs = (i: number) => ((1000 * hops[i]!.cpuMs) / (count * ROUNDS)).toFixed(1);
    const adds = (i: number) => `p50 ${sign(d(i, 'p50'))}, p90 ${sign(d(i, 'p90'))}, p99 ${sign(d(i, 'p99'))}`;
    console.log(`  mesh hop adds: ${adds(0)}; ztunnel's CPU time per request ${perRequestUs(0)} µs`);
    console.log(
      `  nginx hop adds: ${adds(1)}; nginx's CPU time per request ${perRequestUs(1)} µs; ` +
        // A short or noisy run can leave the nginx hop's p99 at or under the plain path's: no ratio then.
        (d(1, 'p99') > 0 ? `the mesh hop's p99 cost is ${(d(0, 'p99') / d(1, 'p99')).toFixed(2)}× the nginx hop's` : `the nginx hop added nothing at p99 in this run`) +
        `; the ztunnel's CPU time is ${(hops[0]!.cpuMs / hops[1]!.cpuMs).toFixed(2)}× nginx's`,
    );
    const paired = (i: number, k: 'p90' | 'p99', r: number) => results[i]![r]![1][k] - results[i]![r]![0][k];
    for (let r = 0; r < ROUNDS; r++) {
      const at = (x: OpenLoopResult) => `p90 ${x.p90.toFixed(3)} p99 ${x.p99.toFixed(3)} max ${x.max.toFixed(1)} ms`;
      const [[pm, m], [pn, n]] = [results[0]![r]!, results[1]![r]!];
      console.log(
        `  round ${r + 1} (load ${loads[r]!.toFixed(1)}): plain ${at(pm)}, mesh ${at(m)}: the mesh hop adds p90 ${sign(paired(0, 'p90', r))}, p99 ${sign(paired(0, 'p99', r))}; ` +
          `plain ${at(pn)}, nginx hop ${at(n)}: p99 ${sign(paired(1, 'p99', r))}`,
      );
    }
    const rounds = [...Array(ROUNDS).keys()];
    const spread = (i: number, k: 'p90' | 'p99') => {
      const v = rounds.map((r) => paired(i, k, r)).sort((a, b) => a - b);
      return `${sign(median(v))} (${sign(v[0]!)} to ${sign(v[v.length - 1]!)})`;
    };
    console.log(`  paired by round, the mesh hop adds: p90 ${spread(0, 'p90')}, p99 ${spread(0, 'p99')}; the nginx hop p99 ${spread(1, 'p99')} (median, least to most)`);
    console.log(`  goal: ≤ +0.25 ms p90 (${met(d(0, 'p90') <= 0.25)}), ≤ +0.3 ms p99 (${met(d(0, 'p99') <= 0.3)}); Istio ambient publishes +0.17/+0.20 ms`);
  } finally {
    await nginx?.stop();
    await c.down();
  }
}

runBench(main);
