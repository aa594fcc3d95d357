// Throughput and latency through the Istio ingress gateway, next to the ingress controller and
// to Debian's nginx on the same path (a Host-routed reverse proxy in front of the same nginx:1.27
// pod), and to the pod directly: same load tool (wrk from a client pod's network namespace), same
// run, bounded load (ROUNDS × 4 paths × SECONDS of wrk, BENCH_CONNECTIONS connections).
//
// The gateway routes by a Gateway (selector istio: ingressgateway, port 80, the bench host) and
// a VirtualService bound to it, as a user would write them; the ingress by an Ingress for the
// same host. The nginx reference (nginx.ts) runs in the gateway pod's network namespace and
// cgroups, where Envoy would be. Goal (issue 13): the gateway at least the ingress's throughput
// (which is ≥ 0.84× nginx today; aim ≥ 1.0× nginx), p99 ≤ nginx's + 0.3 ms. No threshold fails
// the run: the figures and the goals are printed side by side.
import { startIngressCluster } from '../test/e2e/ingress/ingress.js';
import { waitFor } from '../test/e2e/harness.js';
import { GATEWAY_HTTP_PORT, istioReady, list, podCpuMs, readyPods, type BenchPod } from './istio.js';
import { NGINX_WORKERS, requireNginx, startNginx, type ReferenceNginx } from './nginx.js';
import { figures, loadInTurn, wrk, type WrkResult } from './wrk.js';
import { runBench } from './run.js';
import { webBehindIngress } from './web.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const HOST = 'bench.test';

const ISTIO_OBJECTS = [
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'bench', namespace: 'default' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: [HOST] }] },
  },
  {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'bench', namespace: 'default' },
    spec: { hosts: [HOST], gateways: ['bench'], http: [{ route: [{ destination: { host: 'web', port: { number: 80 } } }] }] },
  },
];

async function main(): Promise<void> {
  requireNginx();
  const { c } = await startIngressCluster('benchgw', 1);
  let nginx: ReferenceNginx | undefined;
  try {
    const gateway = await istioReady(c);
    await webBehindIngress(c, HOST);
    await c.ok(['apply', '-f', '-'], list(ISTIO_OBJECTS));

    const [web] = await readyPods(c, 'default', 'app=web');
    const [client] = await readyPods(c, 'default', 'app=client');
    const [controller] = await readyPods(c, 'ingress-nginx', 'app.kubernetes.io/component=controller');
    nginx = startNginx(c.name, gateway.uid, HOST, `${web!.ip}:80`);
    const paths: [string, string][] = [
      ['direct pod IP', `http://${web!.ip}/`],
      ['nginx (Debian)', `http://${gateway.ip}:${nginx.port}/`],
      ['skiff ingress', `http://${controller!.ip}/`],
      ['istio gateway', `http://${gateway.ip}:${GATEWAY_HTTP_PORT}/`],
    ];
    const answers = async (url: string) =>
      (await c.kubectl(['exec', 'deploy/client', '--', 'wget', '-qO-', '--header', `Host: ${HOST}`, url])).stdout.includes('Welcome to nginx!');
    for (const [name, url] of paths) await waitFor(`${name} answering ${url}`, () => answers(url), 60_000);

    // CPU time per request of the pod doing the proxying (nginx runs in the gateway pod's cgroup): unlike req/s and latency, not inflated by the machine's load.
    const proxyPod = new Map<string, BenchPod>([
      ['direct pod IP', web!],
      ['nginx (Debian)', gateway],
      ['skiff ingress', controller!],
      ['istio gateway', gateway],
    ]);
    const cpu = new Map<string, { ms: number; requests: number }>();
    const load = (url: string) => {
      const name = paths.find(([, u]) => u === url)![0];
      const pod = proxyPod.get(name)!;
      const before = podCpuMs(c, pod);
      const r = wrk(url, { connections: CONNECTIONS, seconds: SECONDS, netnsPath: client!.netns, headers: [`Host: ${HOST}`] });
      const sum = cpu.get(name) ?? { ms: 0, requests: 0 };
      cpu.set(name, { ms: sum.ms + podCpuMs(c, pod) - before, requests: sum.requests + r.rps * SECONDS });
      return r;
    };
    const medians = loadInTurn(paths, ROUNDS, load);
    const usPerRequest = (name: string) => (1000 * cpu.get(name)!.ms) / cpu.get(name)!.requests;
    const summary = (name: string) => medians.get(name)!;
    const direct = summary('direct pod IP');
    const ref = summary('nginx (Debian)');
    const ing = summary('skiff ingress');
    const gw = summary('istio gateway');
    console.log(`istio gateway: wrk -t1 -c${CONNECTIONS} ${SECONDS}s × ${ROUNDS} rounds from a client pod to one nginx:1.27 pod (medians); nginx worker_processes ${NGINX_WORKERS}`);
    const vs = (s: WrkResult, base: WrkResult, label: string) => `${label} ${(s.rps / base.rps).toFixed(3)}× req/s, p99 ${s.p99 - base.p99 >= 0 ? '+' : ''}${(s.p99 - base.p99).toFixed(3)} ms`;
    for (const [name] of paths) {
      const s = summary(name);
      const against = name === 'direct pod IP' ? '(reference)' : name === 'istio gateway' ? `${vs(s, ref, 'vs nginx')}; ${vs(s, ing, 'vs ingress')}` : vs(s, direct, 'vs direct');
      console.log(`  ${figures(name, s)}  ${against}`);
    }
    console.log(`  CPU per request in the serving pod: ${paths.map(([name]) => `${name} ${usPerRequest(name).toFixed(1)} µs`).join(', ')}`);
    const met = (ok: boolean) => (ok ? 'met' : 'missed');
    const added = gw.p99 - ref.p99;
    console.log(
      `  goal: gateway ≥ ingress's throughput: ${(gw.rps / ing.rps).toFixed(3)}× (${met(gw.rps >= ing.rps)}); ` +
        `aim ≥ 1.0× nginx: ${(gw.rps / ref.rps).toFixed(3)}× (${met(gw.rps >= ref.rps)}; ingress is ${(ing.rps / ref.rps).toFixed(3)}×); ` +
        `p99 ≤ nginx's + 0.3 ms: ${added >= 0 ? '+' : ''}${added.toFixed(3)} ms (${met(added <= 0.3)})`,
    );
  } finally {
    await nginx?.stop();
    await c.down();
  }
}

runBench(main);
