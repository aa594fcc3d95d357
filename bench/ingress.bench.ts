// Throughput and latency through the ingress controller, next to Debian's nginx configured as the
// equivalent reverse proxy to the same pod, and next to the pod directly: same load tool (wrk from
// a client pod's network namespace), same run, bounded load (ROUNDS × 3 paths × SECONDS).
//
// The nginx reference (nginx.ts) runs where ingress-nginx's nginx would: in the controller pod's
// network namespace and cgroups (pods get the cluster cgroup's share, wrk and the bench run
// outside it). Target (issue 5): ingress ≥ 0.8 of nginx's req/s, < 1 ms added p99.
import { netnsPath, podNetns } from '../src/node/network/names.js';
import { waitFor } from '../test/e2e/harness.js';
import { jsonpath } from '../test/e2e/scenarios/net.js';
import { startIngressCluster } from '../test/e2e/ingress/ingress.js';
import { NGINX_WORKERS, requireNginx, startNginx, type ReferenceNginx } from './nginx.js';
import { figures, loadInTurn, wrk, type WrkResult } from './wrk.js';
import { runBench } from './run.js';
import { webBehindIngress } from './web.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
/** The controller's worker processes (SKIFF_INGRESS_WORKERS on its Deployment); its own default otherwise. */
const INGRESS_WORKERS = process.env.BENCH_INGRESS_WORKERS;
const HOST = 'bench.test';

function load(netns: string, url: string): WrkResult {
  return wrk(url, { connections: CONNECTIONS, seconds: SECONDS, netnsPath: netnsPath(netns), headers: [`Host: ${HOST}`] });
}

async function main(): Promise<void> {
  requireNginx();
  const { c } = await startIngressCluster('benching', 1);
  let nginx: ReferenceNginx | undefined;
  try {
    await webBehindIngress(c, HOST);
    if (INGRESS_WORKERS) {
      await c.ok(['set', 'env', '-n', 'ingress-nginx', 'deployment/ingress-nginx-controller', `SKIFF_INGRESS_WORKERS=${INGRESS_WORKERS}`]);
      await c.ok(['rollout', 'status', '-n', 'ingress-nginx', 'deployment/ingress-nginx-controller', '--timeout=90s']);
      await waitFor('one controller pod', async () => (await jsonpath(c, ['get', 'pods', '-n', 'ingress-nginx'], '{.items[*].metadata.name}')).split(' ').length === 1);
    }

    const podIP = await jsonpath(c, ['get', 'pods', '-l', 'app=web'], '{.items[0].status.podIP}');
    const ingressIP = await jsonpath(c, ['get', 'pods', '-n', 'ingress-nginx'], '{.items[0].status.podIP}');
    const ingressUid = await jsonpath(c, ['get', 'pods', '-n', 'ingress-nginx'], '{.items[0].metadata.uid}');
    const uid = await jsonpath(c, ['get', 'pods', '-l', 'app=client'], '{.items[0].metadata.uid}');
    const clientNetns = podNetns(c.name, uid);
    nginx = startNginx(c.name, ingressUid, HOST, `${podIP}:80`);

    const paths: [string, string][] = [
      ['direct pod IP', `http://${podIP}/`],
      ['nginx (Debian)', `http://${ingressIP}:${nginx.port}/`],
      ['skiff ingress', `http://${ingressIP}/`],
    ];
    const answers = async (url: string) =>
      (await c.kubectl(['exec', 'deploy/client', '--', 'wget', '-qO-', '--header', `Host: ${HOST}`, url])).stdout.includes('Welcome to nginx!');
    for (const [name, url] of paths) await waitFor(`${name} answering ${url}`, () => answers(url));

    const medians = loadInTurn(paths, ROUNDS, (url) => load(clientNetns, url));
    const summary = (name: string) => medians.get(name)!;
    const direct = summary('direct pod IP');
    const ref = summary('nginx (Debian)');
    const ing = summary('skiff ingress');
    console.log(
      `ingress: wrk -t1 -c${CONNECTIONS} ${SECONDS}s × ${ROUNDS} rounds from a client pod to one nginx:1.27 pod (medians); nginx worker_processes ${NGINX_WORKERS}, ingress workers ${INGRESS_WORKERS ?? 'default'}`,
    );
    for (const [name] of paths) {
      const s = summary(name);
      const vs = (base: WrkResult, label: string) => `${label} ratio ${(s.rps / base.rps).toFixed(3)}, added p99 ${(s.p99 - base.p99).toFixed(3)} ms`;
      console.log(
        `  ${figures(name, s)}` +
          (name === 'direct pod IP' ? '  (reference)' : `  ${vs(direct, 'vs direct:')}${name === 'skiff ingress' ? `; ${vs(ref, 'vs nginx:')}` : ''}`),
      );
    }
    const ratio = ing.rps / ref.rps;
    const added = ing.p99 - ref.p99;
    console.log(`  target: ≥ 0.8 of nginx's throughput (${ratio.toFixed(3)}: ${ratio >= 0.8 ? 'met' : 'missed'}), < 1 ms added p99 (${added.toFixed(3)} ms: ${added < 1 ? 'met' : 'missed'})`);
  } finally {
    await nginx?.stop();
    await c.down();
  }
}

runBench(main);
