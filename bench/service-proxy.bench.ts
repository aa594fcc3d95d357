// Throughput and latency through a ClusterIP and through a NodePort, next to the same load sent
// straight to the pod's IP in the same run (the reference). wrk runs inside a client pod's
// network namespace, so every request crosses the same veths and bridge; the only difference
// between the paths is the Service proxy's nftables rules. One backend pod, so "direct" and
// "through the Service" reach the same server. Bounded: ROUNDS × 3 paths × SECONDS of wrk.
// The host's NodePort on 127.0.0.1 (the userspace publisher) is printed last for comparison.
import { startCluster, type Cluster } from '../test/e2e/harness.js';
import { summarize, wrk, type WrkResult } from './wrk.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);

function load(netns: string | undefined, url: string): WrkResult {
  return wrk(url, { connections: CONNECTIONS, seconds: SECONDS, netnsPath: netns ? `/var/run/netns/${netns}` : undefined });
}

async function jsonpath(c: Cluster, args: string[], path: string): Promise<string> {
  return (await c.ok([...args, '-o', `jsonpath=${path}`])).trim();
}

async function main(): Promise<void> {
  const c = await startCluster('benchsvc', { nodes: 1 });
  try {
    await c.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=80']);
    await c.ok(['expose', 'deployment', 'web', '--port=80', '--type=NodePort']);
    await c.ok(['create', 'deployment', 'client', '--image=busybox:1.36', '--', 'sleep', '3600']);
    for (const d of ['web', 'client']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
    const podIP = await jsonpath(c, ['get', 'pods', '-l', 'app=web'], '{.items[0].status.podIP}');
    const clusterIP = await jsonpath(c, ['get', 'svc', 'web'], '{.spec.clusterIP}');
    const nodePort = await jsonpath(c, ['get', 'svc', 'web'], '{.spec.ports[0].nodePort}');
    const nodeIP = await jsonpath(c, ['get', 'nodes'], '{.items[0].status.addresses[?(@.type=="InternalIP")].address}');
    const uid = await jsonpath(c, ['get', 'pods', '-l', 'app=client'], '{.items[0].metadata.uid}');
    const netns = `skiff.${c.name}.p.${uid.slice(0, 13)}`;
    const paths: [string, string][] = [
      ['direct pod IP', `http://${podIP}/`],
      ['ClusterIP', `http://${clusterIP}/`],
      ['NodePort', `http://${nodeIP}:${nodePort}/`],
    ];
    load(netns, paths[0][1]); // warm-up: JIT of the server, ARP, conntrack
    const results = new Map<string, WrkResult[]>(paths.map(([p]) => [p, []]));
    for (let r = 0; r < ROUNDS; r++) for (const [name, url] of paths) results.get(name)!.push(load(netns, url));
    const summary = (name: string) => summarize(results.get(name)!);
    const direct = summary('direct pod IP');
    console.log(`service proxy: wrk -c${CONNECTIONS} ${SECONDS}s × ${ROUNDS} rounds from a pod to one nginx pod (medians)`);
    for (const [name] of paths) {
      const s = summary(name);
      console.log(
        `  ${name.padEnd(14)} ${s.rps.toFixed(0).padStart(7)} req/s  p50 ${s.p50.toFixed(3)} ms  p99 ${s.p99.toFixed(3)} ms  errors ${s.errors}` +
          (name === 'direct pod IP' ? '  (reference)' : `  throughput ratio ${(s.rps / direct.rps).toFixed(3)}, added p99 ${(s.p99 - direct.p99).toFixed(3)} ms`),
      );
    }
    const host = load(undefined, `http://127.0.0.1:${nodePort}/`);
    console.log(
      `  host 127.0.0.1:${nodePort} (userspace publisher) ${host.rps.toFixed(0)} req/s  p50 ${host.p50.toFixed(3)} ms  p99 ${host.p99.toFixed(3)} ms  ` +
        `ratio ${(host.rps / direct.rps).toFixed(3)} of direct-from-a-pod`,
    );
  } finally {
    await c.down();
  }
}

main().catch((e: Error) => {
  console.error(e.message);
  process.exit(1);
});
