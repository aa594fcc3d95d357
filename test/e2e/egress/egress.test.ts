import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCluster, type Cluster } from '../harness.js';
import { hostRoutes as routedBy, ok, startOutsideHost, type OutsideHost } from '../outside-host.js';
import { hostEgressTable, hostEgressVethName, recordedForwarding } from '../../../src/node/network/egress-rules.js';
import { nodeNetns } from '../../../src/node/network/names.js';
import { createClusterNetwork, deleteClusterNetwork } from '../../../src/node/network/index.js';

// `skiff up --egress`: pods reach an "outside" host through the node, the fabric and the host
// namespace. The outside is a namespace this test creates, linked to the host namespace by a veth
// and holding two TEST-NET addresses: 198.51.100.2 (allowed to cluster A) and 203.0.113.2 (not).
// A server there answers every request with the source address it sees.

const OUTSIDE_NS = `skiff-egresstest${process.pid}`;
const OUTSIDE_VETH = `egt${process.pid}`.slice(0, 15);
const ALLOWED = '198.51.100.2';
const DENIED = '203.0.113.2';
const PORT = 8080;

const root = process.getuid?.() === 0;
const skip = root ? false : 'needs root';

const ipForward = () => readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
const hostTables = () => ok('nft', ['list', 'tables', 'ip']);
const skiffEgressTables = () => hostTables().split('\n').filter((l) => /^table ip skiff-.*-egress$/.test(l.trim()));
const hostRoutes = () => JSON.parse(ok('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])) as { dst: string; dev?: string }[];
const hostLinks = () => JSON.parse(ok('ip', ['-j', 'link', 'show'])) as { ifname: string; ifalias?: string }[];

/** `skiff down` must succeed (its message says what failed); the harness then checks for leftovers. */
async function down(c: Cluster): Promise<void> {
  const r = await c.skiff(['down', '--name', c.name]);
  assert.equal(r.code, 0, `skiff down --name ${c.name}: ${r.stdout}${r.stderr}`);
  await c.down();
}

/** What the cluster may have left in the host namespace: its egress link, table and routes. */
function hostLeftovers(c: Cluster): string[] {
  const veth = hostEgressVethName(c.name);
  const out: string[] = [];
  for (const l of hostLinks()) if (l.ifname === veth || (l.ifalias ?? '').startsWith(`skiff.${c.name}.`)) out.push(`link ${l.ifname}`);
  if (hostTables().includes(`table ip ${hostEgressTable(c.name)}`)) out.push(`nft table ip ${hostEgressTable(c.name)}`);
  for (const r of hostRoutes()) if (r.dev === veth) out.push(`route ${r.dst} dev ${r.dev}`);
  return out;
}

let outside: OutsideHost | undefined;
let forwardBefore = '';
let a: Cluster | undefined; // --egress 198.51.100.0/24
let b: Cluster | undefined; // egress none (the harness default)
let all: Cluster | undefined; // --egress all

before(async () => {
  if (!root) return;
  // ip_forward as it was before skiff: what a running skiff cluster with egress recorded, if any.
  const recorded = skiffEgressTables()
    .map((l) => recordedForwarding(ok('nft', ['list', 'table', 'ip', l.trim().split(' ')[2]])))
    .find((v) => v !== undefined);
  forwardBefore = recorded ?? ipForward();
  for (const net of ['198.51.100.0/24', '203.0.113.0/24']) assert.equal(routedBy(net), '', `the host already routes ${net}; this test needs it free`);
  outside = await startOutsideHost({
    netns: OUTSIDE_NS,
    veth: OUTSIDE_VETH,
    hostAddresses: ['198.51.100.1/24', '203.0.113.1/24'],
    addresses: [`${ALLOWED}/24`, `${DENIED}/24`],
    script: `require('http').createServer((q, s) => s.end(q.socket.remoteAddress.replace(/^::ffff:/, ''))).listen(${PORT}, '0.0.0.0')`,
    ready: { url: `http://${DENIED}:${PORT}/`, body: '203.0.113.1' },
  });

  [a, b, all] = await Promise.all([
    startCluster('egr', { nodes: 1, upArgs: ['--egress', '198.51.100.0/24'] }),
    startCluster('egn', { nodes: 1 }),
    startCluster('ega', { nodes: 1, upArgs: ['--egress', 'all'] }),
  ]);
  const pod = `
apiVersion: v1
kind: Pod
metadata: { name: bb }
spec:
  terminationGracePeriodSeconds: 0
  containers: [{ name: bb, image: curlimages/curl, command: [sleep, '3600'] }]
`;
  for (const c of [a, b, all]) await c.ok(['apply', '-f', '-'], pod);
  for (const c of [a, b, all]) await c.ok(['wait', '--for=condition=Ready', 'pod/bb', '--timeout=60s']);
});

after(async () => {
  const errors: unknown[] = [];
  for (const c of [a, b, all]) await c?.down().catch((e) => errors.push(e));
  outside?.remove();
  if (errors.length) throw errors[0];
});

/** curl from the pod (the curl image's); exit code 7 is "could not connect", 28 a timeout. */
async function fetchFromPod(c: Cluster, address: string): Promise<{ code: number; body: string; stderr: string }> {
  const r = await c.kubectl(['exec', 'bb', '--', 'curl', '-sS', '--max-time', '3', `http://${address}:${PORT}/`], { timeoutMs: 30_000 });
  return { code: r.code, body: r.stdout, stderr: r.stderr };
}

test('a pod reaches an allowed outside address, which sees the host address of its link as the source', { skip }, async () => {
  const r = await fetchFromPod(a!, ALLOWED);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.body, '198.51.100.1');
  assert.equal(ipForward(), '1');
  const veth = hostEgressVethName(a!.name);
  const link = hostLinks().find((l) => l.ifname === veth);
  assert.equal(link?.ifalias, `skiff.${a!.name}.egress`);
  assert.match(hostTables(), new RegExp(`^table ip ${hostEgressTable(a!.name)}$`, 'm'));
  // The node has a route for the allowed CIDR only.
  const node = nodeNetns(a!.name, 0);
  assert.match(ok('ip', ['-n', node, 'route', 'show', '198.51.100.0/24']), /via 172\.18\.0\.1 dev eth0/);
  assert.equal(ok('ip', ['-n', node, 'route', 'show', 'default']).trim(), '');
});

test('a destination outside the listed CIDRs is not reachable: refused, not timed out', { skip }, async () => {
  const r = await fetchFromPod(a!, DENIED);
  assert.equal(r.code, 7, `got ${r.body} ${r.stderr}`);
});

test('with --egress none nothing leaves the cluster, and nothing of egress exists', { skip }, async () => {
  const r = await fetchFromPod(b!, ALLOWED);
  assert.equal(r.code, 7, `got ${r.body} ${r.stderr}`);
  const node = nodeNetns(b!.name, 0);
  assert.equal(ok('ip', ['-n', node, 'route', 'show', 'default']).trim(), '');
  assert.equal(ok('ip', ['-n', `skiff.${b!.name}.fabric`, 'route', 'show', 'default']).trim(), '');
  assert.doesNotMatch(ok('ip', ['netns', 'exec', node, 'nft', 'list', 'tables']), /skiff-egress/);
  assert.deepEqual(hostLeftovers(b!), []);
});

test('with --egress all, every destination the host routes is reachable through a default route', { skip }, async () => {
  for (const [dst, src] of [[ALLOWED, '198.51.100.1'], [DENIED, '203.0.113.1']]) {
    const r = await fetchFromPod(all!, dst);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.body, src);
  }
  assert.match(ok('ip', ['-n', nodeNetns(all!.name, 0), 'route', 'show', 'default']), /^default via 172\.18\.0\.1 dev eth0/);
  await down(all!);
  const c = all!;
  all = undefined;
  assert.deepEqual(hostLeftovers(c), []);
  assert.equal(ipForward(), '1', 'cluster A still needs forwarding');
});

test('skiff up on a running cluster repairs egress without changing it', { skip }, async () => {
  const veth = hostEgressVethName(a!.name);
  const routesBefore = hostRoutes().filter((r) => r.dev === veth);
  ok('ip', ['link', 'delete', veth]); // both ends go
  ok('ip', ['-n', nodeNetns(a!.name, 0), 'route', 'delete', '198.51.100.0/24']);
  const up = await a!.skiff(['up', '--name', a!.name]);
  assert.equal(up.code, 0, up.stderr);
  assert.deepEqual(hostRoutes().filter((r) => r.dev === veth), routesBefore, 'the same link address (chosen by the cluster name)');
  const r = await fetchFromPod(a!, ALLOWED);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.body, '198.51.100.1');
  assert.match(ok('nft', ['list', 'table', 'ip', hostEgressTable(a!.name)]), /net\.ipv4\.ip_forward before skiff: [01]"/);
});

test('what a crash leaves in the host namespace goes with the network delete', { skip }, async () => {
  // The network alone, without a control plane: its namespaces vanish as in a crash, and only
  // the host's part (link end, table, forwarding) is left for cleanup to find by the cluster name.
  const name = `egcrash${process.pid}`;
  const fake = { name } as Cluster;
  try {
    await createClusterNetwork(name, 1, '198.51.100.0/24');
    assert.match(hostTables(), new RegExp(`^table ip ${hostEgressTable(name)}$`, 'm'));
    ok('ip', ['netns', 'delete', nodeNetns(name, 0)]);
    ok('ip', ['link', 'set', hostEgressVethName(name), 'nomaster']); // still there: its peer is in the fabric
    assert.notDeepEqual(hostLeftovers(fake), []);
    await deleteClusterNetwork(name);
    await deleteClusterNetwork(name); // idempotent
    assert.deepEqual(hostLeftovers(fake), []);
    assert.equal(ipForward(), '1', 'cluster A still needs forwarding');
  } finally {
    await deleteClusterNetwork(name).catch(() => {});
  }
});

test('the host namespace never gets a route into the fabric', { skip }, async () => {
  const fabric = hostRoutes().filter((r) => /^172\.18\./.test(r.dst));
  assert.deepEqual(fabric, []);
});

test('two clusters side by side: removing one leaves the other working; removing the last restores the host', { skip }, async () => {
  await down(b!);
  b = undefined;
  const r = await fetchFromPod(a!, ALLOWED);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.body, '198.51.100.1');

  const c = a!;
  await down(c);
  a = undefined;
  assert.deepEqual(hostLeftovers(c), []);
  if (skiffEgressTables().length === 0) {
    assert.equal(ipForward(), forwardBefore, 'net.ipv4.ip_forward is back to its value before skiff');
  } else {
    // Another skiff cluster with egress runs on this machine and still needs forwarding.
    assert.equal(ipForward(), '1');
  }
});
