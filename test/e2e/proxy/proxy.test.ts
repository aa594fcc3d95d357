// The Service proxy for real, in a little world of its own: a node namespace with a bridge, two
// "pods" serving their names with busybox httpd, and a client pod. The rules are applied inside
// the node namespace (as the node agent does) and checked with curl and ping from the client.
// Needs root (as in CI). Touches only namespaces named skiff.proxytest<pid>.* and the nft table
// inside them; the host's own nftables are left alone (checked at the end).
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ServiceProxy } from '../../../src/node/proxy/apply.js';
import type { EndpointSliceJSON, ServiceJSON } from '../../../src/node/proxy/rules.js';

const skip = process.getuid?.() !== 0 ? 'needs root' : false;
const PREFIX = `skiff.proxytest${process.pid}`;
const NODE = `${PREFIX}.n1`;
const NODE_IP = '172.18.0.2';
const pods = { a: '10.244.0.2', b: '10.244.0.3', c: '10.244.0.4' } as const;
type PodName = keyof typeof pods;
const podNetns = (p: PodName) => `${PREFIX}.p.${p}`;
const dir = mkdtempSync(join(tmpdir(), 'skiff-proxy-e2e-'));
const servers: ChildProcess[] = [];

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}
function sh(cmd: string, args: string[], timeout = 20_000): Ran {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout });
  return { code: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function ok(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}${r.stdout}`);
  return r.stdout;
}
const nftTables = () => (skip ? '' : ok('nft', ['list', 'tables']));
const hostTablesBefore = nftTables();

after(() => {
  if (skip) return;
  for (const s of servers) if (s.exitCode === null && s.signalCode === null) s.kill('SIGKILL');
  for (const ns of [...(Object.keys(pods) as PodName[]).map(podNetns), NODE]) sh('ip', ['netns', 'delete', ns]);
  rmSync(dir, { recursive: true, force: true });
  const left = sh('ip', ['netns', 'list']).stdout.split('\n').filter((l) => l.startsWith(PREFIX));
  assert.deepEqual(left, [], 'all test namespaces are gone');
  assert.equal(nftTables(), hostTablesBefore, 'the host netns nftables tables are untouched');
});

function buildWorld(): void {
  ok('ip', ['netns', 'add', NODE]);
  ok('ip', ['-n', NODE, 'link', 'set', 'lo', 'up']);
  ok('ip', ['-n', NODE, 'link', 'add', 'cni0', 'type', 'bridge']);
  ok('ip', ['-n', NODE, 'addr', 'add', '10.244.0.1/24', 'dev', 'cni0']);
  ok('ip', ['-n', NODE, 'link', 'set', 'cni0', 'up']);
  // The node's own address, on a veth pair whose both ends stay in this namespace (no dummy
  // module on CI machines): nothing leaves it.
  ok('ip', ['-n', NODE, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0-peer']);
  ok('ip', ['-n', NODE, 'link', 'set', 'eth0-peer', 'up']);
  ok('ip', ['-n', NODE, 'addr', 'add', `${NODE_IP}/16`, 'dev', 'eth0']);
  ok('ip', ['-n', NODE, 'link', 'set', 'eth0', 'up']);
  ok('ip', ['netns', 'exec', NODE, 'sysctl', '-qw', 'net.ipv4.ip_forward=1']);
  for (const p of Object.keys(pods) as PodName[]) {
    const ns = podNetns(p);
    ok('ip', ['netns', 'add', ns]);
    ok('ip', ['-n', NODE, 'link', 'add', `veth-${p}`, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
    ok('ip', ['-n', NODE, 'link', 'set', `veth-${p}`, 'master', 'cni0', 'up']);
    ok('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
    ok('ip', ['-n', ns, 'addr', 'add', `${pods[p]}/24`, 'dev', 'eth0']);
    ok('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
    ok('ip', ['-n', ns, 'route', 'add', 'default', 'via', '10.244.0.1']);
  }
  for (const p of ['a', 'b'] as const) {
    const root = join(dir, p);
    mkdirSync(root);
    writeFileSync(join(root, 'index.html'), `pod-${p}\n`);
    const s = spawn('ip', ['netns', 'exec', podNetns(p), 'busybox', 'httpd', '-f', '-p', '8080', '-h', root], { stdio: 'ignore' });
    servers.push(s);
  }
}

function curl(from: PodName, url: string, timeoutSeconds = 3): Ran {
  return sh('ip', ['netns', 'exec', podNetns(from), 'curl', '-sS', '--max-time', String(timeoutSeconds), url]);
}

/** Polls until the pod's server answers (bounded by a deadline, not a guessed sleep). */
async function waitServing(p: PodName): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const r = curl('c', `http://${pods[p]}:8080/`, 1);
    if (r.code === 0) return assert.equal(r.stdout, `pod-${p}\n`);
    if (Date.now() > deadline) assert.fail(`httpd in pod ${p} never answered: ${r.stderr}`);
    await new Promise((res) => setTimeout(res, 50));
  }
}

function backendsSeen(url: string, tries: number): Map<string, number> {
  const seen = new Map<string, number>();
  for (let i = 0; i < tries; i++) {
    const r = curl('c', url);
    assert.equal(r.code, 0, `curl ${url}: ${r.stderr}`);
    seen.set(r.stdout.trim(), (seen.get(r.stdout.trim()) ?? 0) + 1);
  }
  return seen;
}

function web(extra: Partial<NonNullable<ServiceJSON['spec']>> = {}): ServiceJSON {
  return {
    metadata: { namespace: 'default', name: 'web' },
    spec: { type: 'NodePort', clusterIP: '10.96.0.50', ports: [{ name: 'http', protocol: 'TCP', port: 80, nodePort: 30080 }], ...extra },
  };
}
const empty: ServiceJSON = { metadata: { namespace: 'default', name: 'empty' }, spec: { clusterIP: '10.96.0.51', ports: [{ name: 'http', protocol: 'TCP', port: 80 }] } };
function webSlice(ips: string[]): EndpointSliceJSON {
  return {
    metadata: { namespace: 'default', name: 'web-x1', labels: { 'kubernetes.io/service-name': 'web' } },
    addressType: 'IPv4',
    endpoints: ips.map((ip) => ({ addresses: [ip], conditions: { ready: true }, nodeName: 'proxytest-node-1' })),
    ports: [{ name: 'http', protocol: 'TCP', port: 8080 }],
  };
}

test('ClusterIP, reject without endpoints, session affinity, NodePort, no ping reply', { skip, timeout: 120_000 }, async () => {
  buildWorld();
  await waitServing('a');
  await waitServing('b');

  // nft runs in the node namespace, as it does under the node agent.
  const wrapper = join(dir, 'nft-in-node');
  writeFileSync(wrapper, `#!/bin/sh\nexec nsenter --net=/var/run/netns/${NODE} nft "$@"\n`);
  chmodSync(wrapper, 0o755);
  const logs: string[] = [];
  const proxy = new ServiceProxy(
    { nodeName: 'proxytest-node-1', nodeIPs: [NODE_IP], clusterCIDR: '10.244.0.0/16' },
    { nft: wrapper, conntrack: null, log: (m) => logs.push(m) },
  );
  await proxy.start([web(), empty], [webSlice([pods.a, pods.b])]);
  assert.match(ok('ip', ['netns', 'exec', NODE, 'nft', 'list', 'tables']), /table ip skiff-proxy/);

  // Random choice: both backends answer (40 tries: missing one by chance is 2^-39).
  const seen = backendsSeen('http://10.96.0.50/', 40);
  assert.deepEqual([...seen.keys()].sort(), ['pod-a', 'pod-b'], JSON.stringify([...seen]));

  // No endpoints: refused (curl's 7), not a timeout (28).
  const refused = curl('c', 'http://10.96.0.51/');
  assert.equal(refused.code, 7, refused.stderr);
  // Only the listed ports of a ClusterIP are served.
  assert.notEqual(curl('c', 'http://10.96.0.50:81/', 2).code, 0);

  // NodePort on the node's address.
  const np = backendsSeen(`http://${NODE_IP}:30080/`, 20);
  assert.deepEqual([...np.keys()].sort(), ['pod-a', 'pod-b']);

  // A ClusterIP is on no interface: ping gets no reply.
  const ping = sh('ip', ['netns', 'exec', podNetns('c'), 'busybox', 'ping', '-c1', '-W1', '10.96.0.50']);
  assert.notEqual(ping.code, 0, ping.stdout);
  assert.doesNotMatch(ping.stdout, /bytes from/);

  // Session affinity (an incremental update): every request from c goes to the same backend.
  assert.equal(await proxy.sync([web({ sessionAffinity: 'ClientIP' }), empty], [webSlice([pods.a, pods.b])]), true);
  const sticky = backendsSeen('http://10.96.0.50/', 20);
  assert.equal(sticky.size, 1, JSON.stringify([...sticky]));

  // An endpoint goes away: traffic goes to the other one only.
  assert.equal(await proxy.sync([web(), empty], [webSlice([pods.b])]), true);
  assert.deepEqual([...backendsSeen('http://10.96.0.50/', 10).keys()], ['pod-b']);
  // The empty service gets an endpoint and answers.
  const emptySlice: EndpointSliceJSON = { ...webSlice([pods.a]), metadata: { namespace: 'default', name: 'empty-x1', labels: { 'kubernetes.io/service-name': 'empty' } } };
  assert.equal(await proxy.sync([web(), empty], [webSlice([pods.b]), emptySlice]), true);
  assert.equal(curl('c', 'http://10.96.0.51/').stdout, 'pod-a\n');
  assert.equal(await proxy.sync([web(), empty], [webSlice([pods.b]), emptySlice]), false, 'no change, nothing written');
  assert.deepEqual(logs, [], 'no incremental sync fell back to a rebuild');

  await proxy.stop();
  assert.doesNotMatch(ok('ip', ['netns', 'exec', NODE, 'nft', 'list', 'tables']), /skiff-proxy/);
});
