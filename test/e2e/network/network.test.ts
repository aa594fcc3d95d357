// The cluster network for real: namespaces, veths, the CNI bridge plugin, traffic between pods on
// one node and across nodes, no way off the machine, and cleanup that leaves nothing behind.
// Needs root (as in CI). Only touches namespaces and links of its own test clusters.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  clusterNetnsPrefix,
  createClusterNetwork,
  deleteClusterNetwork,
  nodeExecArgv,
  nodeNetns,
  podCIDR,
} from '../../../src/node/network/index.js';
import { fabricVethName } from '../../../src/node/network/names.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const C = `nettest${process.pid}`;
const OTHER = `${C}-b`; // a second cluster side by side
const home = mkdtempSync(join(tmpdir(), 'skiff-network-test-'));
const helper = fileURLToPath(new URL('./pod-network-helper.js', import.meta.url));

after(async () => {
  if (skip) return;
  await deleteClusterNetwork(C).catch((e) => console.error(e));
  await deleteClusterNetwork(OTHER).catch((e) => console.error(e));
  rmSync(home, { recursive: true, force: true });
});

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function sh(cmd: string, args: string[]): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}

const nodeName = (cluster: string, i: number) => `${cluster}-node-${i + 1}`;
const stateDir = (cluster: string, i: number) => join(home, cluster, 'nodes', nodeName(cluster, i));

/** Runs the pod network functions inside node i's namespace, the way the node agent is started. */
function podNetwork(op: 'add' | 'remove', cluster: string, i: number, podUid: string, launcher = nodeExecArgv(cluster, i)): Ran {
  const o = { cluster, node: nodeName(cluster, i), index: i, podUid, stateDir: stateDir(cluster, i) };
  return sh(launcher[0], [...launcher.slice(1), process.execPath, helper, op, JSON.stringify(o)]);
}
function addPod(cluster: string, i: number, podUid: string): { netns: string; ip: string } {
  const r = podNetwork('add', cluster, i, podUid);
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

function ping(fromNetns: string, ip: string): void {
  ok('ip', ['netns', 'exec', fromNetns, 'busybox', 'ping', '-c1', '-W2', ip]);
}

function netnsOf(cluster: string): string[] {
  return ok('ip', ['netns', 'list'])
    .split('\n')
    .map((l) => l.split(' ')[0])
    .filter((n) => n.startsWith(clusterNetnsPrefix(cluster)));
}
function hostLinksOf(cluster: string): string[] {
  const ours = new Set(Array.from({ length: 8 }, (_, i) => fabricVethName(cluster, i)));
  const links = JSON.parse(ok('ip', ['-j', 'link', 'show'])) as { ifname: string; ifalias?: string }[];
  return links.filter((l) => ours.has(l.ifname) || (l.ifalias ?? '').startsWith(clusterNetnsPrefix(cluster))).map((l) => l.ifname);
}
function allocations(cluster: string, i: number): string[] {
  const dir = join(stateDir(cluster, i), 'cni', `skiff-${nodeName(cluster, i)}`);
  return existsSync(dir) ? readdirSync(dir).filter((f) => /^\d+\.\d+\.\d+\.\d+$/.test(f)) : [];
}

test('pods on two nodes reach each other, nothing reaches off the machine, and cleanup is complete', { skip }, async () => {
  await createClusterNetwork(C, 2);
  await createClusterNetwork(C, 2); // idempotent
  assert.deepEqual(netnsOf(C).sort(), [`skiff.${C}.fabric`, `skiff.${C}.n1`, `skiff.${C}.n2`]);
  assert.deepEqual(hostLinksOf(C), [], 'the uplinks live in the cluster namespaces only');

  // Repair: an uplink removed by hand comes back on the next call.
  ok('ip', ['-n', nodeNetns(C, 1), 'link', 'delete', 'eth0']);
  await createClusterNetwork(C, 2);
  ping(nodeNetns(C, 0), '172.18.0.3');
  assert.match(ok('ip', ['-n', nodeNetns(C, 0), 'route', 'show', podCIDR(1)]), /via 172\.18\.0\.3 dev eth0/);
  assert.equal(ok('ip', ['netns', 'exec', nodeNetns(C, 1), 'sysctl', '-n', 'net.ipv4.ip_forward']).trim(), '1');

  const [u1, u2, u3] = [randomUUID(), randomUUID(), randomUUID()];
  const p1 = addPod(C, 0, u1);
  const p2 = addPod(C, 0, u2);
  const p3 = addPod(C, 1, u3);
  assert.equal(p1.netns, `skiff.${C}.p.${u1.slice(0, 13)}`);
  assert.match(p1.ip, /^10\.244\.0\.\d+$/);
  assert.match(p2.ip, /^10\.244\.0\.\d+$/);
  assert.match(p3.ip, /^10\.244\.1\.\d+$/);
  assert.notEqual(p1.ip, p2.ip);
  assert.deepEqual(addPod(C, 0, u1), p1, 'ADD is idempotent per pod UID');

  // A process started with `ip netns exec` gets a private mount namespace; it is refused clearly.
  const refused = podNetwork('add', C, 0, randomUUID(), ['ip', 'netns', 'exec', nodeNetns(C, 0)]);
  assert.notEqual(refused.code, 0);
  assert.match(refused.stderr, /private mount namespace .*nsenter --net=/);

  ping(p1.netns, p2.ip); // same node
  ping(p2.netns, p1.ip);
  ping(p1.netns, p3.ip); // across nodes
  ping(p3.netns, p2.ip);
  ping(p1.netns, p1.ip);

  // The pod's only way out is its gateway, and the node has no route off the machine.
  assert.equal(ok('ip', ['-n', p1.netns, 'route', 'show']).trim().split('\n')[0].trim(), 'default via 10.244.0.1 dev eth0');
  assert.match(ok('ip', ['netns', 'exec', p1.netns, 'ip', 'route', 'get', '8.8.8.8']), /^8\.8\.8\.8 via 10\.244\.0\.1 dev eth0/);
  const nodeRoute = sh('ip', ['-n', nodeNetns(C, 0), 'route', 'get', '8.8.8.8']);
  assert.notEqual(nodeRoute.code, 0);
  assert.match(nodeRoute.stderr, /Network is unreachable/);
  const fromNode = sh('ip', ['netns', 'exec', nodeNetns(C, 0), 'busybox', 'ping', '-c1', '-W2', '10.255.255.1']);
  assert.notEqual(fromNode.code, 0);
  assert.match(fromNode.stderr, /Network is unreachable/);
  // From the pod, the node answers "unreachable" at once (busybox ping ignores that, curl does not).
  const fromPod = sh('ip', ['netns', 'exec', p1.netns, 'curl', '-sS', '--connect-timeout', '2', 'http://10.255.255.1/']);
  // 7, failed to connect: the time-out of --connect-timeout would be 28.
  assert.equal(fromPod.code, 7, fromPod.stderr);

  // A second cluster lives beside the first, and deleting it leaves the first untouched.
  await createClusterNetwork(OTHER, 1);
  const q = addPod(OTHER, 0, randomUUID());
  ping(q.netns, '10.244.0.1');
  await deleteClusterNetwork(OTHER);
  assert.deepEqual(netnsOf(OTHER), []);
  ping(p1.netns, p3.ip);

  // After `skiff stop` the pod namespaces are gone but host-local still holds the addresses.
  ok('ip', ['netns', 'delete', p3.netns]);
  const p3again = addPod(C, 1, u3);
  assert.match(p3again.ip, /^10\.244\.1\.\d+$/);
  assert.deepEqual(allocations(C, 1), [p3again.ip]);
  ping(p1.netns, p3again.ip);

  for (const [i, u] of [[0, u1], [0, u2], [1, u3]] as const) {
    assert.equal(podNetwork('remove', C, i, u).code, 0);
    const again = podNetwork('remove', C, i, u);
    assert.equal(again.code, 0, `a second DEL succeeds: ${again.stderr}`);
  }
  assert.deepEqual(netnsOf(C).filter((n) => n.includes('.p.')), []);
  assert.deepEqual(allocations(C, 0), [], 'addresses are released');
  assert.deepEqual(allocations(C, 1), []);

  // Pods left behind go with the cluster.
  addPod(C, 1, randomUUID());
  await deleteClusterNetwork(C);
  await deleteClusterNetwork(C); // idempotent
  assert.deepEqual(netnsOf(C), []);
  assert.deepEqual(hostLinksOf(C), []);
  assert.ok(!readdirSync('/var/run/netns').some((n) => n.startsWith(clusterNetnsPrefix(C))));
});
