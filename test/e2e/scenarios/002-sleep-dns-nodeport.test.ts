// Scenario 002 (checks 1–6): traffic inside the cluster by ClusterIP and name, DNS, and the same
// Service turned into a NodePort answering on the host's loopback.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { exec, execOk, hostAnswers, hostHttp, jsonpath, podNames, scenario } from './net.js';

const DIR = '002-sleep-dns-nodeport-ingress';
const WELCOME = /<title>Welcome to nginx!<\/title>/;
let c: Cluster;
let clusterIP = '';

before(async () => {
  c = await startCluster('s002', { nodes: 2 });
  await c.ok(['apply', '-f', scenario(DIR, 'sleep.yaml'), '-f', scenario(DIR, 'sleep2-service.yaml')]);
  for (const d of ['sleep-1', 'sleep-2']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
  clusterIP = await jsonpath(c, ['get', 'svc', 'sleep-2'], '{.spec.clusterIP}');
  // The DNS add-on is a pod too: the checks below need it answering.
  await c.ok(['rollout', 'status', '-n', 'kube-system', 'deployment/coredns', '--timeout=90s']);
});
after(async () => {
  await c?.down();
});

test('1. sleep-2 is a ClusterIP Service with an address from the service range', async () => {
  const row = (await c.ok(['get', 'svc', 'sleep-2', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[0], 'sleep-2');
  assert.equal(row[1], 'ClusterIP');
  assert.match(row[2], /^10\.(9[6-9]|10[0-9]|11[01])\.\d+\.\d+$/, 'CLUSTER-IP in 10.96.0.0/12');
  assert.equal(row[3], '<none>');
  assert.equal(row[4], '80/TCP');
});

test('2. ping resolves sleep-2 to the ClusterIP but gets no reply; the pod IP replies', async () => {
  const r = await exec(c, 'deploy/sleep-1', ['ping', '-c', '1', '-W', '2', 'sleep-2']);
  assert.notEqual(r.code, 0, 'ping to a ClusterIP must fail');
  assert.match(r.stdout.split('\n')[0], new RegExp(`^PING sleep-2 \\(${clusterIP.replace(/\./g, '\\.')}\\)`));
  assert.match(r.stdout, /1 packets transmitted, 0 packets received/);
  const podIP = await jsonpath(c, ['get', 'pods', '-l', 'app=sleep-2'], '{.items[0].status.podIP}');
  const p = await exec(c, 'deploy/sleep-1', ['ping', '-c', '1', '-W', '2', podIP]);
  assert.equal(p.code, 0, p.stdout + p.stderr);
  assert.match(p.stdout, /1 packets transmitted, 1 packets received/);
});

test('3. wget reaches nginx by short name, namespace name, FQDN and ClusterIP', async () => {
  for (const host of ['sleep-2', 'sleep-2.default', 'sleep-2.default.svc.cluster.local', clusterIP]) {
    assert.match(await execOk(c, 'deploy/sleep-1', ['wget', '-qO-', `http://${host}`]), WELCOME, host);
  }
});

test('4. nslookup answers the ClusterIP; resolv.conf points at cluster DNS with the search path', async () => {
  const out = await execOk(c, 'deploy/sleep-1', ['nslookup', 'sleep-2.default.svc.cluster.local']);
  assert.match(out, new RegExp(`Address:?\\s+${clusterIP.replace(/\./g, '\\.')}\\b`));
  const dnsIP = await jsonpath(c, ['get', 'svc', '-n', 'kube-system', 'kube-dns'], '{.spec.clusterIP}');
  const resolv = await execOk(c, 'deploy/sleep-1', ['cat', '/etc/resolv.conf']);
  assert.match(resolv, new RegExp(`^nameserver ${dnsIP.replace(/\./g, '\\.')}$`, 'm'));
  assert.match(resolv, /^search default\.svc\.cluster\.local svc\.cluster\.local cluster\.local\b/m);
  assert.match(resolv, /^options ndots:5$/m);
});

test('5. a replaced sleep-2 pod has a new IP; the name and ClusterIP keep working', async () => {
  const [oldPod] = await podNames(c, 'app=sleep-2');
  const oldIP = await jsonpath(c, ['get', 'pod', oldPod], '{.status.podIP}');
  await c.ok(['delete', 'pod', '-l', 'app=sleep-2']);
  await c.ok(['rollout', 'status', 'deployment/sleep-2', '--timeout=90s']);
  let newIP = '';
  await waitFor('a new Ready sleep-2 pod', async () => {
    const names = await podNames(c, 'app=sleep-2');
    if (names.length !== 1 || names[0] === oldPod) return false;
    newIP = await jsonpath(c, ['get', 'pod', names[0]], '{.status.podIP}');
    return newIP !== '';
  });
  assert.notEqual(newIP, oldIP);
  await waitFor('wget http://sleep-2 to answer from the new pod', async () => WELCOME.test((await exec(c, 'deploy/sleep-1', ['timeout', '5', 'wget', '-qO-', 'http://sleep-2'])).stdout));
  assert.equal(await jsonpath(c, ['get', 'svc', 'sleep-2'], '{.spec.clusterIP}'), clusterIP);
});

test('6. the same Service as NodePort 30080 keeps its ClusterIP and answers on the host', async () => {
  await c.ok(['apply', '-f', scenario(DIR, 'sleep2-nodeport.yaml')]);
  const row = (await c.ok(['get', 'svc', 'sleep-2', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[1], 'NodePort');
  assert.equal(row[2], clusterIP);
  assert.equal(row[4], '80:30080/TCP');
  await waitFor('http://localhost:30080/ on the host', () => hostAnswers('http://localhost:30080/', WELCOME));
  const r = await hostHttp('http://localhost:30080/');
  assert.equal(r.status, 200);
  assert.match(r.body, WELCOME);
});
