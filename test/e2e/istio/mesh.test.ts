// Scenario 004 check 5 inside the mesh: with the default namespace labelled
// istio-injection=enabled, a pod's requests to the greet Service go through its node's ztunnel,
// which applies the VirtualService bound to `mesh` (90/10 by weight, all v2 with x-canary) and
// the DestinationRule's subsets; a pod outside the mesh keeps plain Service routing. On a
// 2-node cluster with the real kubectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { SCENARIOS, startCluster, waitFor, type Cluster } from '../harness.js';
import { jsonpath } from '../scenarios/net.js';

const DIR = join(SCENARIOS, '004-istio-gateway-hpa');
let c: Cluster;

before(async () => {
  c = await startCluster('istio-mesh', { nodes: 2 });
  // Before the mesh is ready (istiod starts, then the ztunnels get its configuration): a meshed
  // pod that connects at once, to a Service without endpoints, which ztunnel answers with 503
  // where the plain path refuses the connection.
  await c.ok(['create', 'namespace', 'early']);
  await c.ok(['label', 'namespace', 'early', 'istio-injection=enabled']);
  await c.ok(['create', 'service', 'clusterip', 'nothing', '-n', 'early', '--tcp=80:8080']);
  await c.ok(['run', 'early', '-n', 'early', '--image=busybox', '--restart=Never', '--', 'wget', '-q', '-T', '5', '-O-', 'http://nothing/']);
  await waitFor('a ready ztunnel on both nodes', async () => {
    const ready = await jsonpath(c, ['get', 'pods', '-n', 'istio-system', '-l', 'app=ztunnel'], '{.items[*].status.conditions[?(@.type=="Ready")].status}');
    return ready === 'True True';
  }, 180_000);
  await c.ok(['create', 'namespace', 'outside']);
  await c.ok(['label', 'namespace', 'default', 'istio-injection=enabled']);
  await c.ok(['apply', '-f', join(DIR, 'canary.yaml')]);
  await c.ok(['run', 'client', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
  await c.ok(['run', 'client', '-n', 'outside', '--image=busybox', '--restart=Never', '--', 'sleep', '3600']);
  await c.ok(['rollout', 'status', 'deployment/greet-v1', '--timeout=120s']);
  await c.ok(['rollout', 'status', 'deployment/greet-v2', '--timeout=120s']);
  await c.ok(['wait', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
  await c.ok(['wait', '-n', 'outside', '--for=condition=Ready', 'pod/client', '--timeout=120s']);
});
after(async () => {
  await c?.down();
});

/** `n` requests from a pod, one answer per line. */
async function answers(ns: string, n: number, header = ''): Promise<string[]> {
  const h = header ? `--header '${header}' ` : '';
  const out = await c.ok(['exec', '-n', ns, 'client', '--', 'sh', '-c', `for i in $(seq ${n}); do wget -q -T 5 -O- ${h}http://greet.default/greet || echo FAILED; done`]);
  return out.split('\n').filter(Boolean);
}

test('a pod of the labelled namespace is enrolled: annotation and event', async () => {
  await waitFor('the redirection annotation', async () => (await jsonpath(c, ['get', 'pod', 'client'], '{.metadata.annotations.ambient\\.istio\\.io/redirection}')) === 'enabled', 60_000);
  const events = await c.ok(['get', 'events', '--field-selector', 'involvedObject.name=client,reason=Enrolled', '-o', 'jsonpath={.items[*].message}']);
  assert.match(events, /Pod enrolled in the ambient mesh: its connections to Services go through ztunnel ztunnel-\S+ on node \S+/);
  assert.equal(await jsonpath(c, ['get', 'pod', '-n', 'outside', 'client'], '{.metadata.annotations}'), '');
  const ready = (await c.ok(['get', 'pod', 'client', '--no-headers'])).trim().split(/\s+/)[1];
  assert.equal(ready, '1/1');
});

test('check 5 in the mesh: 90/10 by weight, x-canary: yes always v2', async () => {
  // The VirtualService reaches the ztunnels; until then the Service answers as plain kube-proxy (1/3 v2, path /greet answered too).
  let got: string[] = [];
  try {
    await waitFor('the mesh route (x-canary to v2)', async () => {
      got = await answers('default', 20, 'x-canary: yes');
      return got.every((a) => a === 'v2');
    }, 60_000);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last answers: ${got.join(' ')}`);
  }
  const n = 1000;
  got = await answers('default', n);
  assert.equal(got.length, n);
  const v1 = got.filter((a) => a === 'v1').length;
  const v2 = got.filter((a) => a === 'v2').length;
  assert.equal(v1 + v2, n, `unexpected answers: ${got.filter((a) => a !== 'v1' && a !== 'v2').slice(0, 5).join(' | ')}`);
  assert.ok(Math.abs(v1 / n - 0.9) <= 0.03, `v1 ${v1} of ${n}`);
  assert.ok(Math.abs(v2 / n - 0.1) <= 0.03, `v2 ${v2} of ${n}`);
  assert.deepEqual(new Set(await answers('default', 50, 'x-canary: yes')), new Set(['v2']));
  // Every listener opened: none clashes with the ztunnel's own status port.
  const logs = await c.ok(['logs', '-n', 'istio-system', '-l', 'app=ztunnel', '--tail=-1']);
  assert.doesNotMatch(logs, /error: listener/);
});

test("a meshed pod made before its node's ztunnel is ready waits for it: its first connection goes through ztunnel", async () => {
  await waitFor('pod early to finish', async () => /^(Succeeded|Failed)$/.test(await jsonpath(c, ['get', 'pod', '-n', 'early', 'early'], '{.status.phase}')), 60_000);
  assert.match(await c.ok(['logs', '-n', 'early', 'early']), /server returned error: HTTP\/1\.1 503 Service Unavailable/);
  await c.ok(['delete', 'namespace', 'early', '--wait=false']);
});

test("a meshed pod's first connections are captured: it is enrolled before its containers start", async () => {
  const loop = "for i in $(seq 10); do wget -q -T 5 -O- --header 'x-canary: yes' http://greet.default/greet || echo FAILED; done";
  await c.ok(['run', 'first', '--image=busybox', '--restart=Never', '--', 'sh', '-c', loop]);
  await waitFor('pod first to finish', async () => (await jsonpath(c, ['get', 'pod', 'first'], '{.status.phase}')) === 'Succeeded', 60_000);
  // Plain Service routing would answer v1 for two requests in three.
  assert.deepEqual((await c.ok(['logs', 'first'])).split('\n').filter(Boolean), Array(10).fill('v2'));
  await c.ok(['delete', 'pod', 'first']);
});

// The greet pods behind a port Istio's protocol selection takes as TCP (its name), and a
// VirtualService whose tcp route sends every connection to the v2 subset.
const TCP_ROUTE = `
apiVersion: v1
kind: Service
metadata: { name: greet-tcp }
spec:
  selector: { app: greet }
  ports: [{ name: tcp-greet, port: 7000, targetPort: 8080 }]
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: greet-tcp }
spec:
  host: greet-tcp
  subsets: [{ name: v1, labels: { version: v1 } }, { name: v2, labels: { version: v2 } }]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: greet-tcp }
spec:
  hosts: [greet-tcp]
  tcp: [{ match: [{ port: 7000 }], route: [{ destination: { host: greet-tcp, subset: v2 } }] }]
`;

test("a TCP port follows the VirtualService's tcp routes in the mesh; outside it, plain Service routing", async () => {
  await c.ok(['apply', '-f', '-'], TCP_ROUTE);
  try {
    const get = async (ns: string) => (await c.ok(['exec', '-n', ns, 'client', '--', 'sh', '-c', 'for i in $(seq 12); do wget -q -T 5 -O- http://greet-tcp.default:7000/greet || echo FAILED; done'])).split('\n').filter(Boolean);
    let got: string[] = [];
    await waitFor('the tcp route (all v2)', async () => (got = await get('default')).every((a) => a === 'v2'), 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; last answers: ${got.join(' ')}`);
    });
    const outside = await get('outside');
    assert.ok(outside.includes('v1') && outside.every((a) => a === 'v1' || a === 'v2'), outside.join(' '));
  } finally {
    await c.ok(['delete', '-f', '-'], TCP_ROUTE);
  }
});

test('outside the mesh: plain Service routing, no VirtualService applied', async () => {
  const got = await answers('outside', 60, 'x-canary: yes');
  // kube-proxy spreads over all three greet pods, two of them v1.
  assert.ok(got.includes('v1'), got.join(' '));
});

test('a Service without endpoints: 503 no healthy upstream from ztunnel in the mesh, refused outside it', async () => {
  await c.ok(['create', 'service', 'clusterip', 'nobody', '--tcp=80:8080']);
  const call = async (ns: string) => (await c.kubectl(['exec', '-n', ns, 'client', '--', 'wget', '-q', '-T', '5', '-O-', 'http://nobody.default/'])).stderr;
  let inside = '';
  await waitFor('ztunnel to route the new Service', async () => {
    inside = await call('default');
    return /503/.test(inside);
  }, 60_000).catch((e: Error) => {
    throw new Error(`${e.message}; last answer: ${inside}`);
  });
  assert.match(inside, /server returned error: HTTP\/1\.1 503 Service Unavailable/);
  assert.match(await call('outside'), /Connection refused/);
  await c.ok(['delete', 'service', 'nobody']);
});

// NetworkPolicy between meshed pods: greet takes callers labelled role=frontend only, and the
// frontend may call greet's v1 pods only (then all of greet's pods), and DNS. Both legs of a
// meshed connection (pod to ztunnel, ztunnel to pod) carry the wrong pair of addresses for the
// node to judge, so ztunnel applies both pods' policies itself.
const POLICIES = (egressTo: string) => `
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: greet-from-frontend }
spec:
  podSelector: { matchLabels: { app: greet } }
  ingress: [{ from: [{ podSelector: { matchLabels: { role: frontend } } }], ports: [{ port: 8080 }] }]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: { name: frontend-out }
spec:
  podSelector: { matchLabels: { role: frontend } }
  policyTypes: [Egress]
  egress:
    - to: [{ podSelector: { matchLabels: ${egressTo} } }]
      ports: [{ port: 8080 }]
    - to: [{ namespaceSelector: { matchLabels: { kubernetes.io/metadata.name: kube-system } } }]
      ports: [{ port: 53, protocol: UDP }, { port: 53, protocol: TCP }]
`;

test('NetworkPolicy holds between meshed pods: both pods\' policies apply to the connection ztunnel makes', async () => {
  await c.ok(['run', 'frontend', '--image=busybox', '--labels=role=frontend', '--restart=Never', '--', 'sleep', '3600']);
  await c.ok(['wait', '--for=condition=Ready', 'pod/frontend', '--timeout=120s']);
  // One canary request (always v2 in the mesh); a dropped SYN leaves wget waiting, so `timeout` ends it.
  const call = async (ns: string, pod: string) => {
    const r = await c.kubectl(['exec', '-n', ns, pod, '--', 'timeout', '3', 'wget', '-q', '-O-', '--header', 'x-canary: yes', 'http://greet.default/greet'], { timeoutMs: 30_000 });
    return r.code === 0 ? r.stdout.trim() : 'no answer';
  };
  const expect = async (what: string, ns: string, pod: string, answer: string) => {
    let got = '';
    await waitFor(what, async () => (got = await call(ns, pod)) === answer, 60_000).catch((e: Error) => {
      throw new Error(`${e.message}; last answer: ${got}`);
    });
  };
  try {
    await c.ok(['apply', '-f', '-'], POLICIES('{ app: greet, version: v1 }'));
    await expect("the frontend's egress refusing greet's v2 pod", 'default', 'frontend', 'no answer');
    await c.ok(['apply', '-f', '-'], POLICIES('{ app: greet }'));
    await expect("the frontend reaching greet's v2 pod by the mesh route, as its egress policy now allows", 'default', 'frontend', 'v2');
    await expect("greet's ingress refusing a meshed pod without the label", 'default', 'client', 'no answer');
    await expect('the node refusing a pod outside the mesh as before', 'outside', 'client', 'no answer');
    assert.equal(await call('default', 'frontend'), 'v2');
  } finally {
    await c.ok(['delete', 'networkpolicy', 'greet-from-frontend', 'frontend-out', '--ignore-not-found']);
    await c.ok(['delete', 'pod', 'frontend', '--wait=false']);
  }
  await expect('greet open to every pod again', 'default', 'client', 'v2');
});

test("while its node's ztunnel is not ready, a meshed pod waits in ContainerCreating, and its events say why", async () => {
  const bothReady = async () => (await jsonpath(c, ['get', 'pods', '-n', 'istio-system', '-l', 'app=ztunnel'], '{.items[*].status.conditions[?(@.type=="Ready")].status}')) === 'True True';
  await c.ok(['scale', '-n', 'istio-system', 'deployment/istiod', '--replicas=0']);
  try {
    await c.ok(['wait', '-n', 'istio-system', '--for=delete', 'pod', '-l', 'app=istiod', '--timeout=60s']);
    // A new ztunnel gets no configuration without istiod, and is not ready.
    const [ztunnel, node] = (await jsonpath(c, ['get', 'pods', '-n', 'istio-system', '-l', 'app=ztunnel'], '{.items[0].metadata.name} {.items[0].spec.nodeName}')).split(' ');
    await c.ok(['delete', 'pod', '-n', 'istio-system', ztunnel!]);
    await c.ok(['run', 'late', '--image=busybox', '--restart=Never', `--overrides={"spec":{"nodeSelector":{"kubernetes.io/hostname":"${node}"}}}`, '--', 'sleep', '3600']);
    const said = new RegExp(`Failed to create pod sandbox: enrolling pod default/late \\(\\S+\\) in the mesh: ztunnel ztunnel-\\S+ on node ${node} is not ready`);
    await waitFor('the FailedCreatePodSandBox event naming the ztunnel', async () => said.test(await jsonpath(c, ['get', 'events', '--field-selector', 'involvedObject.name=late,reason=FailedCreatePodSandBox'], '{.items[*].message}')), 60_000);
    assert.equal(await jsonpath(c, ['get', 'pod', 'late'], '{.status.phase} {.status.containerStatuses[0].state.waiting.reason}'), 'Pending ContainerCreating');
  } finally {
    await c.ok(['delete', 'pod', 'late', '--ignore-not-found']);
    await c.ok(['scale', '-n', 'istio-system', 'deployment/istiod', '--replicas=1']);
    await waitFor('a ready ztunnel on both nodes again', bothReady, 120_000);
  }
});
