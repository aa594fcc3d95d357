// How long a VirtualService change takes to reach every proxy, with 1,000 VirtualServices in the
// cluster: on a 2-node cluster (an ingress gateway and a ztunnel per node), BENCH_VIRTUAL_SERVICES
// VirtualServices bound to a Gateway and to the mesh (the first BENCH_SERVICES of them also name
// a Service of their own, so the mesh's configuration carries them too), and one more, `probe`,
// for probe.bench.test and the `web` Service, that sets a response header. Each change patches
// `probe`'s header value through the API (a JSON merge patch, what `kubectl apply` sends for an
// Istio kind) and times, from the moment the request is sent, until the proxy answers with the
// new value: the gateway (asked for probe.bench.test) and each node's ztunnel (a meshed client
// pod on that node asking web's ClusterIP), each watched by a poller every BENCH_POLL_MS inside
// a client pod (route-watch.ts). A few more changes are made with `kubectl apply` and timed from
// the start of the kubectl process, kubectl's own start-up included.
//
// Goal (issue 13): ≤ 100 ms until every proxy serves the change. Also printed: istiod's CPU time
// per change (what a loaded machine does not inflate), and the working set of istiod and of each
// proxy pod before the VirtualServices and with them.
import { Pool } from 'undici';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from '../test/e2e/harness.js';
import { accessFrom } from '../test/e2e/kubeconfig.js';
import { jsonpath } from '../test/e2e/scenarios/net.js';
import { GATEWAY_HTTP_PORT, ISTIO_NS, istioReady, list, podCpuMs, podMemoryMiB, readyPods, type BenchPod } from './istio.js';
import { epochMs, watchRoute, type RouteWatcher } from './route-watch.js';
import { median } from './wrk.js';
import { runBench } from './run.js';

const VIRTUAL_SERVICES = Number(process.env.BENCH_VIRTUAL_SERVICES ?? 1000);
const SERVICES = Number(process.env.BENCH_SERVICES ?? 100);
const CHANGES = Number(process.env.BENCH_CHANGES ?? 20);
const KUBECTL_CHANGES = Number(process.env.BENCH_KUBECTL_CHANGES ?? 5);
const POLL_MS = Number(process.env.BENCH_POLL_MS ?? 2);
const HEADER = 'x-bench-version';
const PROBE_HOST = 'probe.bench.test';
/** How long one change may take before the run is abandoned. */
const CHANGE_TIMEOUT_MS = 30_000;

const VS = (name: string, spec: object) => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name, namespace: 'default' }, spec });

function probe(version: string): object {
  return VS('probe', {
    hosts: [PROBE_HOST, 'web'],
    gateways: ['bench', 'mesh'],
    http: [{ headers: { response: { set: { [HEADER]: version } } }, route: [{ destination: { host: 'web', port: { number: 80 } } }] }],
  });
}

/** VirtualService i of the many: a host on the gateway, and for the first SERVICES its own Service's host in the mesh. */
function filler(i: number): object {
  const svc = `svc-${i % Math.max(1, SERVICES)}`;
  return VS(`vs-${i}`, {
    hosts: [`app-${i}.bench.test`, ...(i < SERVICES ? [svc] : [])],
    gateways: ['bench', 'mesh'],
    http: [
      { match: [{ uri: { prefix: '/v2' } }, { headers: { 'x-canary': { exact: 'yes' } } }], route: [{ destination: { host: svc, port: { number: 80 } } }], timeout: '5s' },
      { route: [{ destination: { host: SERVICES > 0 ? svc : 'web', port: { number: 80 } }, weight: 90 }, { destination: { host: 'web', port: { number: 80 } }, weight: 10 }] },
    ],
  });
}

function services(): object[] {
  return Array.from({ length: SERVICES }, (_, i) => ({
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: `svc-${i}`, namespace: 'default' },
    spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 80 }] },
  }));
}

/** istiod's pushes from its log ("Push: <namespace>/<pod> version …"): the pod's name and when (epoch ms). */
async function pushes(c: Cluster, istiod: BenchPod): Promise<{ pod: string; at: number }[]> {
  const log = await c.ok(['logs', '-n', ISTIO_NS, istiod.name]);
  return [...log.matchAll(/^(\S+)\tinfo\tads\tPush: [^/\s]+\/(\S+) version /gm)].map((m) => ({ pod: m[2]!, at: Date.parse(m[1]!) }));
}

function memory(c: Cluster, pods: BenchPod[]): string {
  return pods.map((p) => `${p.name} ${podMemoryMiB(c, p).toFixed(1)} MiB`).join(', ');
}

async function main(): Promise<void> {
  const c = await startCluster('benchprop', { nodes: 2 });
  const watchers: RouteWatcher[] = [];
  const access = accessFrom(join(c.dir, 'kubeconfig'));
  const api = new Pool(access.server, { connections: 1, connect: { ca: access.ca } });
  try {
    const gateway = await istioReady(c);
    const ztunnels = await readyPods(c, ISTIO_NS, 'app=ztunnel', 2);
    const [istiod] = await readyPods(c, ISTIO_NS, 'app=istiod');
    await c.ok(['create', 'namespace', 'meshed']);
    await c.ok(['label', 'namespace', 'meshed', 'istio-injection=enabled']);
    await c.ok(['create', 'deployment', 'web', '--image=nginx:1.27', '--port=80', '--replicas=2']);
    await c.ok(['expose', 'deployment', 'web', '--port=80']);
    for (const [i, z] of ztunnels.entries()) {
      await c.ok(['run', `client-${i}`, '-n', 'meshed', '--image=busybox:1.36', '--restart=Never', `--overrides=${JSON.stringify({ spec: { nodeName: z.node } })}`, '--', 'sleep', '3600']);
    }
    await c.ok(['rollout', 'status', 'deployment/web', '--timeout=90s']);
    const clients = await readyPods(c, 'meshed', 'run', ztunnels.length);
    await c.ok(['apply', '-f', '-'], list(services()));
    await c.ok(['apply', '-f', '-'], list([{ apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'bench', namespace: 'default' }, spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 80, name: 'http', protocol: 'HTTP' }, hosts: ['*'] }] } }]));
    const proxies = [istiod!, gateway, ...ztunnels];
    const before = memory(c, proxies);

    const t0 = performance.now();
    await c.ok(['apply', '-f', '-'], list([...Array.from({ length: VIRTUAL_SERVICES - 1 }, (_, i) => filler(i)), probe('v0')]));
    const applied = performance.now() - t0;
    const counted = (await c.ok(['get', 'virtualservices', '-o', 'name'])).split('\n').filter(Boolean).length;

    const watched: BenchPod[] = [gateway, ...ztunnels];
    const webIP = await jsonpath(c, ['get', 'svc', 'web'], '{.spec.clusterIP}');
    watchers.push(watchRoute(`gateway ${gateway.name}`, clients[0]!.netns, `http://${gateway.ip}:${GATEWAY_HTTP_PORT}/`, PROBE_HOST, HEADER, POLL_MS));
    for (const z of ztunnels) {
      const client = clients.find((p) => p.node === z.node)!;
      watchers.push(watchRoute(`ztunnel ${z.name}`, client.netns, `http://${webIP}/`, 'web', HEADER, POLL_MS));
    }
    await waitFor('every proxy serving probe v0', async () => watchers.every((w) => w.latest()?.value === 'v0'), 120_000).catch((e: Error) => {
      throw new Error(`${e.message}: ${watchers.map((w) => `${w.name} ${w.latest()?.value}`).join(', ')}`);
    });
    const settled = memory(c, proxies);

    const patch = async (version: string) => {
      const r = await api.request({
        path: '/apis/networking.istio.io/v1/namespaces/default/virtualservices/probe',
        method: 'PATCH',
        headers: { authorization: `Bearer ${access.token}`, 'content-type': 'application/merge-patch+json' },
        body: JSON.stringify({ spec: (probe(version) as { spec: object }).spec }),
      });
      const body = await r.body.text();
      if (r.statusCode !== 200) throw new Error(`patching VirtualService default/probe to ${version}: HTTP ${r.statusCode} ${body}`);
    };
    const everyProxy = async (version: string, since: number) => Promise.all(watchers.map((w) => w.seen(version, since, CHANGE_TIMEOUT_MS).then((at) => at - since)));

    const viaApi: number[][] = [];
    const writes: number[] = [];
    const starts: number[] = [];
    const istiodCpu = podCpuMs(c, istiod!);
    for (let k = 1; k <= CHANGES; k++) {
      const since = epochMs();
      starts.push(since);
      const seen = everyProxy(`v${k}`, since);
      await patch(`v${k}`);
      writes.push(epochMs() - since);
      viaApi.push(await seen);
    }
    const istiodCpuPerChange = (podCpuMs(c, istiod!) - istiodCpu) / CHANGES;
    const viaKubectl: number[][] = [];
    for (let k = CHANGES + 1; k <= CHANGES + KUBECTL_CHANGES; k++) {
      const since = epochMs();
      const seen = everyProxy(`v${k}`, since);
      await c.ok(['apply', '-f', '-'], list([probe(`v${k}`)]));
      viaKubectl.push(await seen);
    }

    // istiod's log has millisecond timestamps: a push in the same millisecond as the write counts.
    const pushed = await pushes(c, istiod!);
    const pushDelay = (pod: string, since: number) => (pushed.find((p) => p.pod === pod && p.at >= Math.floor(since))?.at ?? NaN) - since;
    const all = (rows: number[][]) => rows.map((r) => Math.max(...r));
    const f = (x: number) => `${x.toFixed(1)} ms`;
    console.log(
      `istio propagation: ${counted} VirtualServices (${SERVICES} of them for a Service of their own) applied in ${(applied / 1000).toFixed(1)} s by kubectl apply; ` +
        `a gateway and ${ztunnels.length} ztunnels on ${ztunnels.length} nodes, polled every ${POLL_MS} ms`,
    );
    console.log(`  ${CHANGES} API PATCHes of VirtualService probe (the write itself: median ${f(median(writes))}), until the proxy serves it:`);
    watchers.forEach((w, i) => {
      const pushedAfter = starts.map((since) => pushDelay(watched[i]!.name, since));
      console.log(`    ${w.name.padEnd(52)} median ${f(median(viaApi.map((r) => r[i]!)))}  max ${f(Math.max(...viaApi.map((r) => r[i]!)))}  (istiod's push logged after: median ${f(median(pushedAfter))})`);
    });
    const every = all(viaApi);
    console.log(`    ${'every proxy'.padEnd(52)} median ${f(median(every))}  max ${f(Math.max(...every))}  (goal ≤ 100 ms: ${median(every) <= 100 ? 'met' : 'missed'} at the median, ${Math.max(...every) <= 100 ? 'met' : 'missed'} at the max)`);
    console.log(`  istiod's CPU time per change (its whole pod: watch, builds, pushes): ${f(istiodCpuPerChange)}`);
    if (KUBECTL_CHANGES > 0) {
      const k = all(viaKubectl);
      console.log(`  ${KUBECTL_CHANGES} kubectl apply of probe, from kubectl's start until every proxy serves it: median ${f(median(k))}  max ${f(Math.max(...k))}`);
    }
    console.log(`  memory (working set) before the VirtualServices: ${before}`);
    console.log(`  memory (working set) with them:                  ${settled}`);
  } finally {
    for (const w of watchers) w.stop();
    await api.close();
    await c.down();
  }
}

runBench(main);
