import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { startCluster, waitFor, SCENARIOS, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('pods', { nodes: 1 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

interface Pod {
  metadata: { name: string; labels?: Record<string, string>; deletionTimestamp?: string };
  status: { phase?: string; podIP?: string; conditions?: { type: string; status: string }[]; containerStatuses?: { ready: boolean; restartCount: number; state: Record<string, { reason?: string }> }[] };
}
const pods = async (selector: string): Promise<Pod[]> => JSON.parse(await ok(['get', 'pods', '-l', selector, '-o', 'json'])).items;
const ready = (p: Pod) => p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True') ?? false;
const allReady = async (selector: string, n: number) => {
  const ps = (await pods(selector)).filter((p) => !p.metadata.deletionTimestamp);
  return ps.length === n && ps.every(ready);
};

test('scenario 000 pods run and are Ready, each with its own IP; three www pods share container port 8080', async () => {
  await ok(['apply', '-f', join(SCENARIOS, '000-www-and-manage', 'app.yaml')]);
  await waitFor('3 www and 2 manage pods Ready', async () => (await allReady('app=www', 3)) && (await allReady('app=manage', 2)), 60_000);
  const wide = await ok(['get', 'pods', '-o', 'wide']);
  const rows = wide.trim().split('\n').slice(1);
  assert.equal(rows.length, 5);
  const ips = rows.map((r) => r.split(/\s+/)[5]);
  for (const r of rows) assert.match(r, /^(www|manage)-\S+\s+1\/1\s+Running\s+0\s+\S+\s+10\.244\.\d+\.\d+\s+\S+-node-1\s/);
  assert.equal(new Set(ips).size, 5, `distinct IPs: ${ips.join(' ')}`);
});

test('kubectl exec prints the pod its own name and address; pods reach each other', async () => {
  const [www] = await pods('app=www');
  assert.equal((await ok(['exec', www.metadata.name, '--', 'hostname'])).trim(), www.metadata.name);
  assert.match(await ok(['exec', www.metadata.name, '--', 'ip', 'addr', 'show', 'eth0']), new RegExp(`inet ${www.status.podIP!.replace(/\./g, '\\.')}/24`));
  const [manage] = await pods('app=manage');
  const name = await ok(['exec', www.metadata.name, '--', 'curl', '-s', `http://${manage.status.podIP}:8088/hostname`]);
  assert.equal(name.trim(), manage.metadata.name);
  const page = await ok(['exec', manage.metadata.name, '--', 'wget', '-qO-', `http://${www.status.podIP}:8080/`]);
  assert.match(page, /CLIENT VALUES:/);
  assert.equal((await ok(['exec', 'deploy/www', '--', 'hostname'])).trim().startsWith('www-'), true);
});

test('a deleted pod is replaced by one with a new name and a new IP', async () => {
  const [victim] = await pods('app=manage');
  await ok(['delete', 'pod', victim.metadata.name]);
  await waitFor('a replacement manage pod', async () => {
    const ps = await pods('app=manage');
    return ps.length === 2 && ps.every(ready) && !ps.some((p) => p.metadata.name === victim.metadata.name);
  }, 60_000);
  const now = await pods('app=manage');
  assert.ok(now.every((p) => p.status.podIP !== victim.status.podIP || p.metadata.name !== victim.metadata.name));
});

test('a container that exits is restarted with a growing count and CrashLoopBackOff', async () => {
  await ok(['run', 'crash', '--image=busybox', '--', 'sh', '-c', 'echo boom; exit 1']);
  await waitFor('CrashLoopBackOff with restarts', async () => {
    const [p] = await pods('run=crash');
    const cs = p?.status.containerStatuses?.[0];
    return !!cs && cs.restartCount >= 1 && cs.state.waiting?.reason === 'CrashLoopBackOff';
  }, 60_000);
  const row = await ok(['get', 'pod', 'crash']);
  assert.match(row, /crash\s+0\/1\s+(CrashLoopBackOff|Error)\s+[1-9]/);
  assert.match(await ok(['logs', 'crash', '--previous']), /boom/);
  const ev = await ok(['get', 'events', '--field-selector', 'involvedObject.name=crash,reason=BackOff']);
  assert.match(ev, /Back-off restarting failed container crash in pod crash_default/);
});

test('a failing readiness probe makes the pod NotReady without restarting it', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: unready}
spec:
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'touch /tmp/ok; sleep 3600']
    readinessProbe:
      exec: {command: [cat, /tmp/ok]}
      periodSeconds: 1
`);
  await waitFor('unready Ready', async () => ready(JSON.parse(await ok(['get', 'pod', 'unready', '-o', 'json']))), 30_000);
  await ok(['exec', 'unready', '--', 'rm', '/tmp/ok']);
  await waitFor('unready NotReady', async () => !ready(JSON.parse(await ok(['get', 'pod', 'unready', '-o', 'json']))), 30_000);
  const p: Pod = JSON.parse(await ok(['get', 'pod', 'unready', '-o', 'json']));
  assert.equal(p.status.phase, 'Running');
  assert.equal(p.status.containerStatuses![0].restartCount, 0);
  assert.match(await ok(['get', 'events', '--field-selector', 'involvedObject.name=unready,reason=Unhealthy']), /Readiness probe failed/);
});

test('an image nobody maps waits in ImagePullBackOff with an event saying how to map it', async () => {
  await ok(['run', 'nope', '--image=example.com/nobody/nothing:1']);
  await waitFor('ImagePullBackOff', async () => {
    const [p] = await pods('run=nope');
    return p?.status.containerStatuses?.[0]?.state.waiting?.reason === 'ImagePullBackOff';
  }, 60_000);
  const ev = await ok(['get', 'events', '--field-selector', 'involvedObject.name=nope']);
  assert.match(ev, /Failed to pull image "example.com\/nobody\/nothing:1"/);
  assert.match(ev, /images\.yaml/);
});

test('logs of a deployment, with --tail and --timestamps', async () => {
  await ok(['create', 'deployment', 'talker', '--image=busybox', '--', 'sh', '-c', 'for i in 1 2 3; do echo line $i; done; sleep 3600']);
  await waitFor('talker Ready', async () => allReady('app=talker', 1), 30_000);
  await waitFor('three lines', async () => (await ok(['logs', 'deploy/talker'])).includes('line 3'));
  assert.equal((await ok(['logs', 'deploy/talker', '--tail=1'])).trim(), 'line 3');
  assert.match(await ok(['logs', 'deploy/talker', '--timestamps', '--tail=1']), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z line 3$/m);
});

test('pods outlive a killed node agent and control plane; the restarted agent adopts them without restarts', async () => {
  const before = (await pods('app=www')).map((p) => ({ name: p.metadata.name, ip: p.status.podIP, restarts: p.status.containerStatuses![0].restartCount }));
  const home = c.env.SKIFF_HOME!;
  const { readFileSync } = await import('node:fs');
  const agentPid = Number(readFileSync(join(home, 'clusters', c.name, 'nodes', `${c.name}-node-1`, 'agent.pid'), 'utf8'));
  const cpPid = Number(readFileSync(join(home, 'clusters', c.name, 'control-plane.pid'), 'utf8'));
  process.kill(agentPid, 'SIGKILL');
  process.kill(cpPid, 'SIGKILL');
  // With nothing of the control plane left, a pod still answers another pod (no kubectl here).
  const { spawnSync } = await import('node:child_process');
  const www = before[0];
  const probe = spawnSync('nsenter', [`--net=/var/run/netns/skiff.${c.name}.n1`, 'curl', '-s', '-m', '5', `http://${www.ip}:8080/`], { encoding: 'utf8' });
  assert.match(probe.stdout, /CLIENT VALUES:/, probe.stderr);
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  await waitFor('www pods Ready again', async () => allReady('app=www', 3), 60_000);
  const after = (await pods('app=www')).map((p) => ({ name: p.metadata.name, ip: p.status.podIP, restarts: p.status.containerStatuses![0].restartCount }));
  assert.deepEqual(after.sort((a, b) => a.name.localeCompare(b.name)), before.sort((a, b) => a.name.localeCompare(b.name)));
});

test('after skiff stop and up the pods run again, in new sandboxes', async () => {
  const stop = await c.skiff(['stop', '--name', c.name]);
  assert.equal(stop.code, 0, stop.stderr);
  const { spawnSync } = await import('node:child_process');
  assert.doesNotMatch(spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout, new RegExp(`skiff\\.${c.name}\\.`), 'stop removes the namespaces');
  const up = await c.skiff(['up', '--name', c.name]);
  assert.equal(up.code, 0, up.stderr);
  // The API still shows the status from before the stop until the new agent has restarted the containers.
  const restarted = async (sel: string, n: number) => {
    const ps = await pods(sel);
    return ps.length === n && ps.every((p) => ready(p) && (p.status.containerStatuses?.[0]?.restartCount ?? 0) >= 1);
  };
  await waitFor('www and manage pods restarted and Ready', async () => (await restarted('app=www', 3)) && (await restarted('app=manage', 2)), 90_000);
  const [www] = await pods('app=www');
  assert.equal((await ok(['exec', www.metadata.name, '--', 'hostname'])).trim(), www.metadata.name);
});
