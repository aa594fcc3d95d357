// What the Istio benchmarks share: the add-on made ready for load from inside the cluster (its
// gateway Service turned ClusterIP, so that concurrent clusters on the machine do not fight for
// the host's LoadBalancer address), pods looked up by label, and a pod's memory as the kubelet
// reports it.
import { detectCgroups, podCgroupStats } from '../src/node/kubelet/runtime/cgroups.js';
import { netnsPath, podNetns } from '../src/node/network/names.js';
import { waitFor, type Cluster } from '../test/e2e/harness.js';
import { jsonpath } from '../test/e2e/scenarios/net.js';

export const ISTIO_NS = 'istio-system';
const GATEWAY = 'istio-ingressgateway';
/** The gateway pod's container port for its Service's port 80 (istio-ingressgateway's http2 → 8080). */
export const GATEWAY_HTTP_PORT = 8080;

export interface BenchPod {
  name: string;
  ip: string;
  uid: string;
  node: string;
  /** The path of the pod's network namespace, for nsenter. */
  netns: string;
}

/** The pods matching `selector` in `ns`, once `count` of them are Ready. */
export async function readyPods(c: Cluster, ns: string, selector: string, count = 1): Promise<BenchPod[]> {
  const args = ['get', 'pods', '-n', ns, '-l', selector];
  await waitFor(`${count} Ready pods ${selector} in ${ns}`, async () => {
    const ready = (await jsonpath(c, args, '{.items[*].status.conditions[?(@.type=="Ready")].status}')).split(' ').filter((s) => s === 'True');
    return ready.length === count;
  }, 180_000);
  const rows = await jsonpath(c, args, '{range .items[*]}{.metadata.name} {.status.podIP} {.metadata.uid} {.spec.nodeName}{"\\n"}{end}');
  return rows
    .split('\n')
    .filter(Boolean)
    .map((r) => {
      const [name, ip, uid, node] = r.split(' ') as [string, string, string, string];
      return { name, ip, uid, node, netns: netnsPath(podNetns(c.name, uid)) };
    });
}

/** istiod and the ingress gateway Ready, the gateway's Service ClusterIP; the gateway pod. */
export async function istioReady(c: Cluster): Promise<BenchPod> {
  await waitFor(`the ${GATEWAY} Service`, async () => (await c.kubectl(['get', '-n', ISTIO_NS, 'svc', GATEWAY])).code === 0, 120_000);
  await c.ok(['patch', '-n', ISTIO_NS, 'svc', GATEWAY, '--type=merge', '-p', '{"spec":{"type":"ClusterIP"}}']);
  await c.ok(['rollout', 'status', '-n', ISTIO_NS, 'deployment/istiod', '--timeout=180s']);
  await c.ok(['rollout', 'status', '-n', ISTIO_NS, `deployment/${GATEWAY}`, '--timeout=180s']);
  return (await readyPods(c, ISTIO_NS, 'istio=ingressgateway'))[0]!;
}

/** A pod's working set in MiB (its cgroup's usage less inactive file cache, as `kubectl top` shows it). */
export function podMemoryMiB(c: Cluster, pod: BenchPod): number {
  const u = podCgroupStats(detectCgroups(), c.name, pod.uid);
  if (!u) throw new Error(`reading the memory of pod ${pod.name}: no cgroup for uid ${pod.uid} in cluster ${c.name}`);
  return u.memoryBytes / (1 << 20);
}

/** The CPU time a pod's cgroup has used so far, in ms (all its processes: a figure the machine's load does not inflate). */
export function podCpuMs(c: Cluster, pod: BenchPod): number {
  const u = podCgroupStats(detectCgroups(), c.name, pod.uid);
  if (!u) throw new Error(`reading the CPU time of pod ${pod.name}: no cgroup for uid ${pod.uid} in cluster ${c.name}`);
  return u.cpuUsageNanos / 1e6;
}

/** Istio's networking objects as one List for `kubectl apply -f -`. */
export function list(items: object[]): string {
  return JSON.stringify({ apiVersion: 'v1', kind: 'List', items });
}
