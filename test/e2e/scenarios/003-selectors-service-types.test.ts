// Scenario 003 (checks 1–10): label selectors and every Service type, on two nodes.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { exec, execOk, hostAnswers, hostHttp, jsonpath, podNames, scenario } from './net.js';

const DIR = '003-selectors-service-types-ingress-regex';
let c: Cluster;
let pods: string[] = [];
const CLIENT = 'deploy/client';

before(async () => {
  c = await startCluster('s003', { nodes: 2 });
  await c.ok(['apply', '-f', scenario(DIR, 'deployment.yaml'), '-f', scenario(DIR, 'services.yaml')]);
  await c.ok(['create', 'deployment', 'client', '--image=busybox:1.36', '--', 'sleep', '3600']);
  for (const d of ['my-deployment', 'client']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
  await c.ok(['rollout', 'status', '-n', 'kube-system', 'deployment/coredns', '--timeout=90s']);
  pods = (await podNames(c, 'app=my-app')).sort();
});
after(async () => {
  await c?.down();
});

/** Pod names answering `/hostname` on url, over n requests made in one exec. */
async function hostnames(url: string, n: number): Promise<Set<string>> {
  const out = await execOk(c, CLIENT, ['sh', '-c', `for i in $(seq ${n}); do timeout 5 wget -qO- ${url}; echo; done`]);
  return new Set(out.split('\n').filter(Boolean));
}

async function refusedAtOnce(url: string): Promise<void> {
  const r = await exec(c, CLIENT, ['timeout', '20', 'wget', '-qO-', url]);
  assert.notEqual(r.code, 0, `${url} answered: ${r.stdout}`);
  assert.match(r.stderr, /Connection refused/, `${url}: ${r.stderr}`);
}

test('1. the Deployment carries app=my-app-2, its pods app=my-app', async () => {
  assert.match(await c.ok(['get', 'deploy', 'my-deployment', '--show-labels', '--no-headers']), /\sapp=my-app-2\s*$/);
  assert.equal(pods.length, 3);
  for (const p of pods) assert.equal(await jsonpath(c, ['get', 'pod', p], '{.metadata.labels.app}'), 'my-app');
});

test('2. a Service selecting the Deployment label has no endpoints and refuses at once', async () => {
  const row = (await c.ok(['get', 'endpoints', 'selects-deployment-label', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[1], '<none>');
  const ip = await jsonpath(c, ['get', 'svc', 'selects-deployment-label'], '{.spec.clusterIP}');
  await refusedAtOnce(`http://${ip}/`);
});

test('3. my-service lists the 3 pod IPs on 8080 and spreads requests over them', async () => {
  const ips = (await jsonpath(c, ['get', 'pods', '-l', 'app=my-app'], '{.items[*].status.podIP}')).split(' ').sort();
  await waitFor('3 endpoints of my-service', async () => {
    const eps = (await jsonpath(c, ['get', 'endpoints', 'my-service'], '{.subsets[*].addresses[*].ip}')).split(' ').filter(Boolean);
    return eps.length === 3;
  });
  const row = (await c.ok(['get', 'endpoints', 'my-service', '--no-headers'])).trim().split(/\s+/)[1];
  assert.deepEqual(row.split(',').sort(), ips.map((ip) => `${ip}:8080`));
  const seen = await hostnames('http://my-service/hostname', 40);
  assert.deepEqual([...seen].sort(), pods);
  // From one of the pods, the Service also leads back to that very pod (hairpin).
  const out = await execOk(c, `pod/${pods[0]}`, ['sh', '-c', 'for i in $(seq 40); do wget -qO- http://my-service/hostname; echo; done']);
  assert.deepEqual([...new Set(out.split('\n').filter(Boolean))].sort(), pods);
});

test('4. ClusterIP: my-service answers on port 80 inside the cluster and has no node port', async () => {
  assert.equal(await jsonpath(c, ['get', 'svc', 'my-service'], '{.spec.type}'), 'ClusterIP');
  assert.equal(await jsonpath(c, ['get', 'svc', 'my-service'], '{.spec.ports[0].nodePort}'), '');
  const ip = await jsonpath(c, ['get', 'svc', 'my-service'], '{.spec.clusterIP}');
  assert.ok(pods.includes((await execOk(c, CLIENT, ['wget', '-qO-', `http://${ip}:80/hostname`])).trim()));
});

test('5. NodePort: 30000 on the host and on every node address; the auto port resolves targetPort http', async () => {
  const row = (await c.ok(['get', 'svc', 'my-nodeport-service', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[1], 'NodePort');
  assert.equal(row[4], '80:30000/TCP');
  await waitFor('localhost:30000 on the host', () => hostAnswers('http://localhost:30000/hostname'));
  assert.ok(pods.includes((await hostHttp('http://localhost:30000/hostname')).body.trim()));
  const nodeIPs = (await jsonpath(c, ['get', 'nodes'], '{.items[*].status.addresses[?(@.type=="InternalIP")].address}')).split(' ');
  assert.equal(nodeIPs.length, 2);
  for (const ip of nodeIPs) assert.ok(pods.includes((await execOk(c, CLIENT, ['wget', '-qO-', `http://${ip}:30000/hostname`])).trim()), ip);

  const auto = Number(await jsonpath(c, ['get', 'svc', 'my-auto-nodeport-service'], '{.spec.ports[0].nodePort}'));
  assert.ok(auto >= 30000 && auto <= 32767, `nodePort ${auto}`);
  const ports = (await jsonpath(c, ['get', 'endpoints', 'my-auto-nodeport-service'], '{.subsets[*].ports[*].port}')).split(' ');
  assert.deepEqual([...new Set(ports)], ['8080']);
  assert.ok(pods.includes((await execOk(c, CLIENT, ['wget', '-qO-', `http://${nodeIPs[1]}:${auto}/hostname`])).trim()));
});

test('6. LoadBalancer: an EXTERNAL-IP, reachable from the host on port 80, and a node port', async () => {
  let ip = '';
  await waitFor('an EXTERNAL-IP for my-loadbalancer-service', async () => {
    ip = await jsonpath(c, ['get', 'svc', 'my-loadbalancer-service'], '{.status.loadBalancer.ingress[0].ip}');
    return ip !== '';
  });
  const row = (await c.ok(['get', 'svc', 'my-loadbalancer-service', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[1], 'LoadBalancer');
  assert.equal(row[3], ip);
  assert.match(row[4], /^80:3\d{4}\/TCP$/);
  await waitFor(`http://${ip}/ on the host`, () => hostAnswers(`http://${ip}/hostname`));
  assert.ok(pods.includes((await hostHttp(`http://${ip}/hostname`)).body.trim()));
});

test('7. ExternalName: no ClusterIP, no endpoints, a CNAME to example.com', async () => {
  const row = (await c.ok(['get', 'svc', 'my-externalname-service', '--no-headers'])).trim().split(/\s+/);
  assert.deepEqual(row.slice(1, 4), ['ExternalName', '<none>', 'example.com']);
  assert.equal((await c.kubectl(['get', 'endpoints', 'my-externalname-service'])).code, 1);
  const r = await exec(c, CLIENT, ['nslookup', 'my-externalname-service']);
  assert.match(r.stdout, /my-externalname-service\.default\.svc\.cluster\.local\s+canonical name = example\.com/);
});

test('8. headless: CLUSTER-IP None, one A record per ready pod, NXDOMAIN with none', async () => {
  assert.equal((await c.ok(['get', 'svc', 'my-headless-service', '--no-headers'])).trim().split(/\s+/)[2], 'None');
  const ips = (await jsonpath(c, ['get', 'pods', '-l', 'app=my-app'], '{.items[*].status.podIP}')).split(' ').sort();
  const answered = async () => {
    const out = (await exec(c, CLIENT, ['nslookup', '-type=a', 'my-headless-service'])).stdout;
    return [...out.split(/Name:/).slice(1).join('\n').matchAll(/Address:?\s+(\d+\.\d+\.\d+\.\d+)/g)].map((m) => m[1]).sort();
  };
  assert.deepEqual(await answered(), ips);
  await c.ok(['scale', 'deployment', 'my-deployment', '--replicas=0']);
  try {
    await waitFor('NXDOMAIN for my-headless-service', async () =>
      /NXDOMAIN|can't find/.test((await exec(c, CLIENT, ['nslookup', '-type=a', 'my-headless-service.default.svc.cluster.local'])).stdout),
    );
  } finally {
    await c.ok(['scale', 'deployment', 'my-deployment', '--replicas=3']);
    await c.ok(['rollout', 'status', 'deployment/my-deployment', '--timeout=90s']);
    pods = (await podNames(c, 'app=my-app')).sort();
  }
});

test('9. TCP and UDP on one Service: 80/TCP and 53/UDP both reach the pods', async () => {
  assert.equal((await c.ok(['get', 'svc', 'my-tcp-udp-service', '--no-headers'])).trim().split(/\s+/)[4], '80/TCP,53/UDP');
  const ip = await jsonpath(c, ['get', 'svc', 'my-tcp-udp-service'], '{.spec.clusterIP}');
  await waitFor('my-tcp-udp-service endpoints', async () => (await jsonpath(c, ['get', 'endpoints', 'my-tcp-udp-service'], '{.subsets[*].addresses[*].ip}')).split(' ').filter(Boolean).length === 3);
  assert.ok(pods.includes((await execOk(c, CLIENT, ['wget', '-qO-', `http://${ip}/hostname`])).trim()));
  // agnhost netexec's /dial asks over UDP from inside a pod and reports who answered.
  const via = pods[0];
  const dial = await execOk(c, `pod/${via}`, ['wget', '-qO-', `http://127.0.0.1:8080/dial?request=hostname&protocol=udp&host=${ip}&port=53&tries=1`]);
  const answers = (JSON.parse(dial) as { responses: string[] }).responses;
  assert.equal(answers.length, 1, dial);
  assert.ok(pods.includes(answers[0]), dial);
});

test('10. a targetPort nobody listens on: connection refused, not a hang', async () => {
  const ip = await jsonpath(c, ['get', 'svc', 'my-service'], '{.spec.clusterIP}');
  await c.ok(['patch', 'svc', 'my-service', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/targetPort","value":9999}]']);
  try {
    await waitFor('endpoints of my-service on 9999', async () =>
      (await jsonpath(c, ['get', 'endpoints', 'my-service'], '{.subsets[*].ports[*].port}')).split(' ').every((p) => p === '9999'),
    );
    await waitFor('the proxy to send my-service to port 9999', async () => (await exec(c, CLIENT, ['timeout', '20', 'wget', '-qO-', `http://${ip}/hostname`])).code !== 0);
    await refusedAtOnce(`http://${ip}/hostname`);
  } finally {
    await c.ok(['patch', 'svc', 'my-service', '--type=json', '-p', '[{"op":"replace","path":"/spec/ports/0/targetPort","value":8080}]']);
  }
});
