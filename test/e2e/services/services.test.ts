import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { run, startCluster, waitFor, type Cluster, type Result } from '../harness.js';

// Services as pods see them on a real two-node cluster: the node agents' nftables proxy (ClusterIP,
// NodePort, UDP, affinity, traffic policies, no-endpoint rejects) and the pods' way to the API
// through the kubernetes Service. Everything is driven with kubectl and `kubectl exec` into
// agnhost and curl pods; traffic policies seen from outside the pod network use curl inside a
// node's network namespace (what a client on the node's network would do).

const AGNHOST = 'registry.k8s.io/e2e-test-images/agnhost:2.45';
let c: Cluster;
let node1 = '';
let node2 = '';
const NODE1_IP = '172.18.0.2';
const NODE2_IP = '172.18.0.3';

const ok = (args: string[], input?: string) => c.ok(args, input);
const apply = (yaml: string) => ok(['apply', '-f', '-'], yaml);

function webPod(name: string, node: string, labels = 'app: web'): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name}, labels: { ${labels} } }
spec:
  nodeName: ${node}
  containers:
  - name: agnhost
    image: ${AGNHOST}
    args: [netexec, --http-port=8080, --udp-port=8081]
    ports: [{ name: http, containerPort: 8080 }, { name: udp, containerPort: 8081, protocol: UDP }]
    readinessProbe: { httpGet: { path: /hostname, port: 8080 }, periodSeconds: 1 }
`;
}

function clientPod(name: string, node: string): string {
  return `
apiVersion: v1
kind: Pod
metadata: { name: ${name} }
spec:
  nodeName: ${node}
  containers:
  - name: curl
    image: curlimages/curl
    command: [sleep, '3600']
    # The image runs as curl_user; busybox's ping needs a raw socket (root's NET_RAW).
    securityContext: { runAsUser: 0 }
    volumeMounts: [{ name: ca, mountPath: /etc/kube-ca }]
  volumes: [{ name: ca, configMap: { name: kube-root-ca.crt } }]
`;
}

function service(name: string, spec: string, selector = 'app: web'): string {
  return `
apiVersion: v1
kind: Service
metadata: { name: ${name} }
spec:
  selector: { ${selector} }
${spec}
`;
}

before(async () => {
  c = await startCluster('svcproxy', { nodes: 2 });
  node1 = `${c.name}-node-1`;
  node2 = `${c.name}-node-2`;
  await waitFor('two Ready nodes', async () => {
    const r = await c.kubectl(['get', 'nodes', '--no-headers']);
    return r.code === 0 && (r.stdout.match(/\bReady\b/g) ?? []).length === 2;
  }, 60_000);
  await apply([webPod('web-1', node1), webPod('web-2', node2), clientPod('client', node1), clientPod('client2', node2)].join('---'));
  await ok(['wait', '--for=condition=Ready', 'pod/web-1', 'pod/web-2', 'pod/client', 'pod/client2', '--timeout=120s']);
});
after(async () => {
  await c?.down();
});

const clusterIP = async (svc: string) => (await ok(['get', 'svc', svc, '-o', 'jsonpath={.spec.clusterIP}'])).trim();
const nodePort = async (svc: string) => Number((await ok(['get', 'svc', svc, '-o', 'jsonpath={.spec.ports[0].nodePort}'])).trim());
const podIP = async (pod: string) => (await ok(['get', 'pod', pod, '-o', 'jsonpath={.status.podIP}'])).trim();

/** curl from inside a pod; the exit code is curl's (kubectl exec passes it on). */
function curl(pod: string, url: string, extra: string[] = []): Promise<Result> {
  return c.kubectl(['exec', pod, '--', 'curl', '-sS', '--max-time', '5', ...extra, url]);
}

/** n requests from a pod in one exec; the answers, one per request ('' for a failure). */
async function answers(pod: string, url: string, n: number): Promise<string[]> {
  const script = `for i in $(seq ${n}); do curl -sS --max-time 3 '${url}' 2>/dev/null; echo; done`;
  const out = await ok(['exec', pod, '--', 'sh', '-c', script]);
  return out.split('\n').slice(0, n);
}
const distinct = (xs: string[]) => [...new Set(xs)].sort();

/** curl in a node's network namespace: a client on the node network, outside the pod CIDR. */
function curlOnNode(index: number, url: string): Promise<Result> {
  return run('nsenter', [`--net=/var/run/netns/skiff.${c.name}.n${index + 1}`, 'curl', '-sS', '--max-time', '5', url], c.env);
}

/** Waits until a request through the Service answers at all (the proxy has its rules). */
async function serving(pod: string, url: string): Promise<void> {
  await waitFor(`${url} answering from ${pod}`, async () => (await curl(pod, url, ['--max-time', '2'])).code === 0, 30_000);
}

test('a ClusterIP answers by IP from pods on both nodes, through a named targetPort, spreading over the endpoints', async () => {
  await apply(service('web', '  ports: [{ name: web, port: 80, targetPort: http }]'));
  const ip = await clusterIP('web');
  await serving('client', `http://${ip}/hostname`);
  assert.deepEqual(distinct(await answers('client', `http://${ip}/hostname`, 40)), ['web-1', 'web-2']);
  // (No -T: the host busybox 1.35's wget crashes with a timeout set.)
  const wget = await c.kubectl(['exec', 'client2', '--', 'wget', '-qO-', `http://${ip}/hostname`]);
  assert.equal(wget.code, 0, wget.stderr);
  assert.match(wget.stdout, /^web-[12]$/);
});

test('ping to a ClusterIP gets no reply, ping to a pod IP does', async () => {
  await apply(service('web', '  ports: [{ name: web, port: 80, targetPort: http }]'));
  const ip = await clusterIP('web');
  const toService = await c.kubectl(['exec', 'client', '--', 'ping', '-c', '1', '-W', '1', ip]);
  assert.notEqual(toService.code, 0, toService.stdout);
  assert.doesNotMatch(toService.stdout, /bytes from/);
  const toPod = await c.kubectl(['exec', 'client', '--', 'ping', '-c', '1', '-W', '5', await podIP('web-2')]);
  assert.equal(toPod.code, 0, toPod.stdout + toPod.stderr);
  assert.match(toPod.stdout, /bytes from/);
});

test('a NodePort answers on every node address from a pod', async () => {
  await apply(service('web-np', '  type: NodePort\n  ports: [{ port: 80, targetPort: 8080 }]'));
  const np = await nodePort('web-np');
  assert.ok(np >= 30000 && np <= 32767, String(np));
  for (const nodeIP of [NODE1_IP, NODE2_IP]) {
    await serving('client', `http://${nodeIP}:${np}/hostname`);
    assert.deepEqual(distinct(await answers('client', `http://${nodeIP}:${np}/hostname`, 30)), ['web-1', 'web-2'], `via ${nodeIP}`);
  }
});

test('a Service without endpoints refuses: connection refused, not a timeout', async () => {
  await apply(service('nothing', '  ports: [{ port: 80, targetPort: 8080 }]', 'app: nobody'));
  const ip = await clusterIP('nothing');
  await waitFor('the reject rule for the empty Service', async () => (await curl('client', `http://${ip}/`)).code === 7, 30_000);
  const r = await curl('client', `http://${ip}/`);
  // curl's exit code 7 is "failed to connect" (a drop would end in 28, a timeout).
  assert.equal(r.code, 7, r.stderr);
});

test('UDP through a ClusterIP reaches agnhost netexec, which answers its hostname', async () => {
  await apply(service('web-udp', '  ports: [{ name: dns, port: 53, protocol: UDP, targetPort: udp }]'));
  const ip = await clusterIP('web-udp');
  const dial = `http://${await podIP('web-1')}:8080/dial?request=hostname&protocol=udp&host=${ip}&port=53&tries=10`;
  let last = '';
  await waitFor('ten UDP answers through the ClusterIP', async () => {
    const r = await curl('client', dial);
    last = r.stdout + r.stderr;
    if (r.code !== 0) return false;
    const body = JSON.parse(r.stdout) as { responses?: string[]; errors?: string[] };
    return (body.responses ?? []).length === 10;
  }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
  const body = JSON.parse(last) as { responses: string[] };
  for (const name of body.responses) assert.match(name, /^web-[12]$/);
});

test('sessionAffinity ClientIP sends every request of a client to the same pod', async () => {
  await apply(service('web-sticky', '  sessionAffinity: ClientIP\n  ports: [{ port: 80, targetPort: 8080 }]'));
  const ip = await clusterIP('web-sticky');
  await serving('client', `http://${ip}/hostname`);
  const seen = await answers('client', `http://${ip}/hostname`, 30);
  assert.equal(distinct(seen).length, 1, JSON.stringify(distinct(seen)));
  assert.match(seen[0], /^web-[12]$/);
});

test('kubectl scale --replicas=5 spreads requests over the five pods once they are Ready', async () => {
  await apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: spread }
spec:
  replicas: 1
  selector: { matchLabels: { app: spread } }
  template:
    metadata: { labels: { app: spread } }
    spec:
      containers:
      - name: agnhost
        image: ${AGNHOST}
        args: [netexec, --http-port=8080]
        readinessProbe: { httpGet: { path: /hostname, port: 8080 }, periodSeconds: 1 }
---${service('spread', '  ports: [{ port: 80, targetPort: 8080 }]', 'app: spread')}`);
  await ok(['scale', 'deployment/spread', '--replicas=5']);
  await ok(['wait', '--for=jsonpath={.status.readyReplicas}=5', 'deployment/spread', '--timeout=120s']);
  const pods = distinct((await ok(['get', 'pods', '-l', 'app=spread', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/));
  assert.equal(pods.length, 5);
  const ip = await clusterIP('spread');
  // The proxy follows the EndpointSlice within moments; 100 random picks miss one of five
  // ready pods with probability 5 * 0.8^100 (about 1e-9).
  let seen: string[] = [];
  await waitFor('requests reaching all five pods', async () => {
    seen = distinct(await answers('client', `http://${ip}/hostname`, 100));
    return seen.length === 5;
  }, 60_000).catch((e: Error) => assert.fail(`${e.message}: saw ${JSON.stringify(seen)}`));
  assert.deepEqual(seen, pods);
});

test('externalTrafficPolicy Local keeps the client address and uses node-local endpoints only; Cluster masquerades', async () => {
  await apply(service('web-local', '  type: NodePort\n  externalTrafficPolicy: Local\n  ports: [{ port: 80, targetPort: 8080 }]'));
  await apply(service('web-np', '  type: NodePort\n  ports: [{ port: 80, targetPort: 8080 }]'));
  const np = await nodePort('web-local');
  await waitFor('the Local NodePort answering on node 2', async () => (await curlOnNode(0, `http://${NODE2_IP}:${np}/hostname`)).code === 0, 30_000);
  for (let i = 0; i < 10; i++) {
    const r = await curlOnNode(0, `http://${NODE2_IP}:${np}/hostname`);
    assert.equal(r.stdout, 'web-2', `request ${i} from node 1 to node 2's NodePort: ${r.stderr}`);
  }
  const fromNode1 = await curlOnNode(0, `http://${NODE2_IP}:${np}/clientip`);
  assert.match(fromNode1.stdout, new RegExp(`^${NODE1_IP.replace(/\./g, '\\.')}:\\d+$`), fromNode1.stderr);
  for (let i = 0; i < 10; i++) {
    const r = await curlOnNode(1, `http://${NODE1_IP}:${np}/hostname`);
    assert.equal(r.stdout, 'web-1', `request ${i} from node 2 to node 1's NodePort: ${r.stderr}`);
  }
  assert.match((await curlOnNode(1, `http://${NODE1_IP}:${np}/clientip`)).stdout, new RegExp(`^${NODE2_IP.replace(/\./g, '\\.')}:\\d+$`));

  // The same from a Cluster-policy NodePort: the endpoint sees the forwarding node, not the client.
  const clusterNp = await nodePort('web-np');
  const masq = await curlOnNode(0, `http://${NODE2_IP}:${clusterNp}/clientip`);
  assert.equal(masq.code, 0, masq.stderr);
  assert.doesNotMatch(masq.stdout, new RegExp(`^${NODE1_IP.replace(/\./g, '\\.')}:`));
});

test('internalTrafficPolicy Local sends pods only to endpoints on their own node', async () => {
  await apply(service('web-itp', '  internalTrafficPolicy: Local\n  ports: [{ port: 80, targetPort: 8080 }]'));
  const ip = await clusterIP('web-itp');
  await serving('client', `http://${ip}/hostname`);
  await serving('client2', `http://${ip}/hostname`);
  assert.deepEqual(distinct(await answers('client', `http://${ip}/hostname`, 20)), ['web-1']);
  assert.deepEqual(distinct(await answers('client2', `http://${ip}/hostname`, 20)), ['web-2']);
});

test("changing a Service's targetPort to a closed port gives connection refused", async () => {
  await apply(service('web-move', '  ports: [{ port: 80, targetPort: 8080 }]'));
  const ip = await clusterIP('web-move');
  await serving('client', `http://${ip}/hostname`);
  await ok(['patch', 'service', 'web-move', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9999}]']);
  let last: Result | undefined;
  await waitFor('requests refused after the targetPort change', async () => {
    last = await curl('client', `http://${ip}/hostname`);
    return last.code === 7;
  }, 30_000).catch((e: Error) => assert.fail(`${e.message}: ${last?.code} ${last?.stderr}`));
});

test('pods reach the API server at https://10.96.0.1 with the cluster CA from kube-root-ca.crt', async () => {
  const r = await curl('client', 'https://10.96.0.1/version', ['--cacert', '/etc/kube-ca/ca.crt']);
  assert.equal(r.code, 0, r.stderr);
  const version = JSON.parse(r.stdout) as { gitVersion?: string };
  const server = JSON.parse(await ok(['version', '-o', 'json'])) as { serverVersion: { gitVersion: string } };
  assert.equal(version.gitVersion, server.serverVersion.gitVersion);
  // From the other node too, and the name in the certificate checks out.
  const r2 = await curl('client2', 'https://kubernetes.default.svc/version', ['--cacert', '/etc/kube-ca/ca.crt', '--resolve', 'kubernetes.default.svc:443:10.96.0.1']);
  assert.equal(r2.code, 0, r2.stderr);
  assert.equal((JSON.parse(r2.stdout) as { gitVersion?: string }).gitVersion, server.serverVersion.gitVersion);
  const ep = JSON.parse(await ok(['get', 'endpoints', 'kubernetes', '-o', 'json'])) as { subsets: unknown };
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: NODE1_IP }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
});

test("an endpoint's readiness change reaches the proxy: refused while its only pod is not ready, answered when ready again", async () => {
  const flag = `/tmp/${c.name}-ready`;
  await apply(`
apiVersion: v1
kind: Pod
metadata: { name: flip, labels: { app: flip } }
spec:
  nodeName: ${node2}
  containers:
  - name: agnhost
    image: ${AGNHOST}
    args: [netexec, --http-port=8080]
    readinessProbe: { exec: { command: [cat, '${flag}'] }, periodSeconds: 1, failureThreshold: 1 }
---${service('flip', '  ports: [{ port: 80, targetPort: 8080 }]', 'app: flip')}`);
  await waitFor('the flip pod running', async () => (await c.kubectl(['exec', 'flip', '--', 'touch', flag])).code === 0, 60_000);
  await ok(['wait', '--for=condition=Ready', 'pod/flip', '--timeout=60s']);
  const ip = await clusterIP('flip');
  await waitFor('the flip Service answering from node 1', async () => (await curlOnNode(0, `http://${ip}/hostname`)).code === 0, 30_000);

  // Not ready: the proxy drops its only endpoint, so the Service refuses (curl's 7) rather than
  // answering from it or timing out (28). Ready again: the pod answers.
  await ok(['exec', 'flip', '--', 'rm', flag]);
  await ok(['wait', '--for=condition=Ready=false', 'pod/flip', '--timeout=30s']);
  await waitFor('the Service refusing once its only pod is not ready', async () => (await curlOnNode(0, `http://${ip}/hostname`)).code === 7, 30_000);
  await ok(['exec', 'flip', '--', 'touch', flag]);
  await ok(['wait', '--for=condition=Ready', 'pod/flip', '--timeout=30s']);
  await waitFor('the Service answering once the pod is ready again', async () => {
    const r = await curlOnNode(0, `http://${ip}/hostname`);
    return r.code === 0 && r.stdout === 'flip';
  }, 30_000);
});

test('deleting pods one by one under steady load through a ClusterIP loses no request', async () => {
  await apply(`
apiVersion: apps/v1
kind: Deployment
metadata: { name: steady }
spec:
  replicas: 3
  selector: { matchLabels: { app: steady } }
  template:
    metadata: { labels: { app: steady } }
    spec:
      containers:
      - name: agnhost
        image: ${AGNHOST}
        args: [netexec, --http-port=8080]
        readinessProbe: { httpGet: { path: /hostname, port: 8080 }, periodSeconds: 1 }
        # The usual graceful drain: keep serving while the endpoint leaves every node's rules.
        lifecycle: { preStop: { exec: { command: [sleep, '3'] } } }
---${service('steady', '  ports: [{ port: 80, targetPort: 8080 }]', 'app: steady')}`);
  await ok(['wait', '--for=jsonpath={.status.readyReplicas}=3', 'deployment/steady', '--timeout=120s']);
  const ip = await clusterIP('steady');
  await serving('client', `http://${ip}/hostname`);
  const original = (await ok(['get', 'pods', '-l', 'app=steady', '-o', 'jsonpath={.items[*].metadata.name}'])).trim().split(/\s+/);
  assert.equal(original.length, 3);

  // Requests one after another until the deletions below are over (a stop file in the client
  // pod ends the loop), bounded in number.
  const MAX = 20_000;
  const stop = '/tmp/stop-steady-load';
  const load = c.kubectl(
    [
      'exec',
      'client',
      '--',
      'sh',
      '-c',
      `ok=0; bad=0; i=0; while [ ! -e ${stop} ] && [ $i -lt ${MAX} ]; do i=$((i+1)); if curl -sf --max-time 3 -o /dev/null http://${ip}/hostname; then ok=$((ok+1)); else bad=$((bad+1)); fi; done; echo "ok=$ok bad=$bad"`,
    ],
    { timeoutMs: 300_000 },
  );
  let loadDone = false;
  void load.then(() => (loadDone = true));
  for (const pod of original) {
    await ok(['delete', 'pod', pod, '--wait=false']);
    await ok(['wait', '--for=jsonpath={.status.readyReplicas}=3', 'deployment/steady', '--timeout=120s']);
    await waitFor(`3 ready endpoints for steady after deleting ${pod}`, async () => {
      const slices = JSON.parse(await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=steady', '-o', 'json'])) as {
        items: { endpoints?: { conditions: { ready?: boolean } }[] }[];
      };
      return slices.items.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready).length === 3;
    }, 60_000);
  }
  const spanned = !loadDone;
  await ok(['exec', 'client', '--', 'touch', stop]);
  const r = await load;
  assert.equal(r.code, 0, r.stderr);
  const m = /^ok=(\d+) bad=(\d+)$/.exec(r.stdout.trim());
  assert.ok(m, r.stdout);
  assert.equal(Number(m[2]), 0, `${m[2]} of ${Number(m[1]) + Number(m[2])} requests failed`);
  assert.ok(Number(m[1]) > 0);
  assert.ok(spanned, `the load ended (${MAX} requests) before the three deletions did`);
  await ok(['exec', 'client', '--', 'rm', '-f', stop]);
});
