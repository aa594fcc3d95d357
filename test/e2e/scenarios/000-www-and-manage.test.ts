// Scenario 000 (checks 1–3, 5, 6): two web apps with fixed ClusterIPs calling each other by name,
// scaling, and an ExternalName for the outside site.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { execOk, podNames, scenario } from './net.js';

const DIR = '000-www-and-manage';
let c: Cluster;

before(async () => {
  c = await startCluster('s000', { nodes: 2 });
  await c.ok(['apply', '-f', scenario(DIR, 'app.yaml'), '-f', scenario(DIR, 'services.yaml'), '-f', scenario(DIR, 'external.yaml')]);
  for (const d of ['www', 'manage']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
  await c.ok(['rollout', 'status', '-n', 'kube-system', 'deployment/coredns', '--timeout=90s']);
});
after(async () => {
  await c?.down();
});

interface PodRow {
  name: string;
  ip: string;
  ready: boolean;
  phase: string;
  ports: number[];
}

async function podRows(app: string): Promise<PodRow[]> {
  const list = JSON.parse(await c.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'json'])) as {
    items: {
      metadata: { name: string };
      spec: { containers: { ports?: { containerPort: number }[] }[] };
      status: { podIP?: string; phase: string; conditions?: { type: string; status: string }[] };
    }[];
  };
  return list.items.map((p) => ({
    name: p.metadata.name,
    ip: p.status.podIP ?? '',
    phase: p.status.phase,
    ready: p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false,
    ports: p.spec.containers.flatMap((k) => (k.ports ?? []).map((q) => q.containerPort)),
  }));
}

test('1. 3 www and 2 manage pods Running and Ready, each with its own pod IP; all www on 8080', async () => {
  const www = await podRows('www');
  const manage = await podRows('manage');
  assert.equal(www.length, 3);
  assert.equal(manage.length, 2);
  const all = [...www, ...manage];
  for (const p of all) {
    assert.equal(p.phase, 'Running', p.name);
    assert.ok(p.ready, `${p.name} Ready`);
    assert.match(p.ip, /^10\.244\.\d+\.\d+$/, p.name);
  }
  assert.equal(new Set(all.map((p) => p.ip)).size, all.length, 'distinct pod IPs');
  for (const p of www) assert.deepEqual(p.ports, [8080]);
  const wide = await c.ok(['get', 'pods', '-o', 'wide', '--no-headers']);
  for (const p of all) assert.match(wide, new RegExp(`^${p.name}\\s+1/1\\s+Running\\s+\\d+\\s+\\S+\\s+${p.ip.replace(/\./g, '\\.')}\\s`, 'm'));
});

test('2. the Services have their fixed ClusterIPs and the endpoints list the pods', async () => {
  const svc = await c.ok(['get', 'svc', '--no-headers']);
  assert.match(svc, /^www-service\s+ClusterIP\s+10\.96\.1\.10\s+<none>\s+8080\/TCP\s/m);
  assert.match(svc, /^manage-service\s+ClusterIP\s+10\.96\.1\.20\s+<none>\s+8088\/TCP\s/m);
  const want = async (app: string, port: number) => (await podRows(app)).map((p) => `${p.ip}:${port}`).sort();
  await waitFor('endpoints of both Services', async () => {
    const eps = await c.ok(['get', 'endpoints', '--no-headers']);
    const col = (name: string) => (new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(eps)?.[1] ?? '').split(',').sort();
    return (
      JSON.stringify(col('www-service')) === JSON.stringify(await want('www', 8080)) &&
      JSON.stringify(col('manage-service')) === JSON.stringify(await want('manage', 8088))
    );
  });
});

test('3. www and manage call each other by name and by ClusterIP', async () => {
  const manage = (await podNames(c, 'app=manage')).sort();
  const calls = await execOk(c, 'deploy/www', ['sh', '-c', 'for i in $(seq 30); do curl -s http://manage-service:8088/hostname; echo; done']);
  assert.deepEqual([...new Set(calls.split('\n').filter(Boolean))].sort(), manage, 'repeated calls reach both manage pods');
  const page = await execOk(c, 'deploy/manage', ['wget', '-qO-', 'http://www-service:8080/']);
  assert.match(page, /^CLIENT VALUES:/);
  assert.match(page, /^host=www-service:8080$/m);
  assert.ok(manage.includes((await execOk(c, 'deploy/www', ['curl', '-s', 'http://10.96.1.20:8088/hostname'])).trim()));
});

test('5. scaled to 5, requests through www-service reach all 5 pods', async () => {
  await c.ok(['scale', 'deployment', 'www', '--replicas=5']);
  await c.ok(['rollout', 'status', 'deployment/www', '--timeout=90s']);
  const www = await podNames(c, 'app=www');
  assert.equal(www.length, 5);
  // Which pod answered is in its access log: each request carries a path of its own.
  const tag = `scale-${Date.now()}`;
  const reached = async () => {
    const hit: string[] = [];
    for (const p of www) if ((await c.ok(['logs', p])).includes(tag)) hit.push(p);
    return hit.sort();
  };
  await waitFor('requests through www-service to reach all 5 pods', async () => {
    await execOk(c, 'deploy/manage', ['sh', '-c', `for i in $(seq 20); do wget -qO- http://www-service:8080/${tag} >/dev/null; done`]);
    return (await reached()).length === 5;
  });
  assert.deepEqual(await reached(), [...www].sort());
});

test('6. nslookup abc answers with a CNAME to abc.svc1.com.', async () => {
  const out = (await c.kubectl(['exec', 'deploy/www', '--', 'nslookup', 'abc'])).stdout;
  assert.match(out, /abc\.default\.svc\.cluster\.local\s+canonical name = abc\.svc1\.com/);
});
