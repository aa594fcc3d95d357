import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { after, test } from 'node:test';
import type { KObject } from '../../../../src/api/types.js';
import type { MeshCapture } from '../../../../src/node/mesh/capture.js';
import { meshTableScript, ztunnelRoutingCommands } from '../../../../src/node/mesh/rules.js';

const member = (ip: string) => ({ ip, pod: { apiVersion: 'v1', kind: 'Pod', metadata: { name: ip } } as KObject });
const capture: MeshCapture = {
  ztunnel: { ip: '10.244.1.2', uid: 'u', name: 'ztunnel-n1' },
  members: [member('10.244.1.5'), member('10.244.1.9')],
  destinations: ['10.96.0.20 . 80', '10.96.0.30 . 443'],
  vips: [],
};

test('the table marks meshed pods to captured Service ports before the service proxy, and keeps their destination', () => {
  const s = meshTableScript(capture);
  assert.match(s, /^add table ip skiff-mesh\ndelete table ip skiff-mesh\n/);
  assert.match(s, /add chain ip skiff-mesh mangle-prerouting \{ type filter hook prerouting priority -150 ; \}/);
  assert.match(s, /add rule ip skiff-mesh mangle-prerouting ip saddr @meshed-pods ip daddr \. tcp dport @captured meta mark set meta mark or 0x80000/);
  assert.match(s, /add rule ip skiff-mesh nat-prerouting meta mark & 0x80000 == 0x80000 dnat ip to ip daddr/);
  // Their DNS queries to the cluster DNS go to the ztunnel's DNS proxy, before the marked traffic keeps its address,
  // and are marked, every packet, so that the node's NetworkPolicy check leaves them to the proxy.
  const dns = s.indexOf('add rule ip skiff-mesh nat-prerouting ip saddr @meshed-pods ip daddr 10.96.0.10 meta l4proto { tcp, udp } th dport 53 dnat ip to 10.244.1.2:15053');
  assert.ok(dns > 0 && dns < s.indexOf('nat-prerouting meta mark'), s);
  assert.match(s, /add rule ip skiff-mesh mangle-prerouting ip saddr @meshed-pods ip daddr 10\.96\.0\.10 meta l4proto \{ tcp, udp \} th dport 53 meta mark set meta mark or 0x80000/);
  assert.doesNotMatch(meshTableScript({ ...capture, ztunnel: undefined }), /dport 53/);
  assert.match(s, /add element ip skiff-mesh meshed-pods \{ 10\.244\.1\.5, 10\.244\.1\.9 \}/);
  assert.match(s, /add element ip skiff-mesh captured \{ 10\.96\.0\.20 \. 80, 10\.96\.0\.30 \. 443 \}/);
});

test('without a ready ztunnel, or with no members, nothing is captured', () => {
  for (const c of [{ ...capture, ztunnel: undefined }, { ...capture, members: [] }, { ...capture, destinations: [] }]) {
    assert.doesNotMatch(meshTableScript(c), /add element/);
  }
});

test("the ztunnel's routing: local Service range, its own traffic first through the main table, once", () => {
  const fresh = '0:\tfrom all lookup local\n32766:\tfrom all lookup main\n32767:\tfrom all lookup default\n';
  assert.deepEqual(ztunnelRoutingCommands('10.96.0.0/12', fresh), [
    ['route', 'replace', 'local', '10.96.0.0/12', 'dev', 'lo'],
    ['rule', 'add', 'priority', '50', 'iif', 'lo', 'to', '10.96.0.0/12', 'lookup', 'main'],
    ['rule', 'add', 'priority', '100', 'lookup', 'local'],
    ['rule', 'delete', 'priority', '0'],
  ]);
  const done = '50:\tfrom all to 10.96.0.0/12 iif lo lookup main\n100:\tfrom all lookup local\n32766:\tfrom all lookup main\n';
  assert.deepEqual(ztunnelRoutingCommands('10.96.0.0/12', done), [['route', 'replace', 'local', '10.96.0.0/12', 'dev', 'lo']]);
});

test("ServiceEntry VIPs are local in the ztunnel's namespace too, its own connections to them go out; a VIP gone loses both", () => {
  const done = '50:\tfrom all to 10.96.0.0/12 iif lo lookup main\n50:\tfrom all to 192.0.2.9 iif lo lookup main\n100:\tfrom all lookup local\n32766:\tfrom all lookup main\n';
  assert.deepEqual(ztunnelRoutingCommands('10.96.0.0/12', done, ['192.0.2.2']), [
    ['route', 'replace', 'local', '10.96.0.0/12', 'dev', 'lo'],
    ['route', 'replace', 'local', '192.0.2.2', 'dev', 'lo'],
    ['rule', 'add', 'priority', '50', 'iif', 'lo', 'to', '192.0.2.2', 'lookup', 'main'],
    ['rule', 'delete', 'priority', '50', 'iif', 'lo', 'to', '192.0.2.9', 'lookup', 'main'],
    ['route', 'delete', 'local', '192.0.2.9', 'dev', 'lo'],
  ]);
});

// With root: the table loads, and in a scratch pair of namespaces standing for a ztunnel and
// its node, the routing does what rules.ts says: Service addresses arriving from the pod network
// are local, the ztunnel's own connections to them leave through the node, and packets from a
// ClusterIP source (istiod's answers) are not martians.
const root = process.getuid?.() === 0 && spawnSync('nft', ['--version']).status === 0 && spawnSync('ip', ['-V']).status === 0;
const NS = { z: `skiff.meshtest${process.pid}.z`, n: `skiff.meshtest${process.pid}.n` };
const LINK = `mt${process.pid % 100000}`;
after(() => {
  if (root) for (const ns of Object.values(NS)) spawnSync('ip', ['netns', 'delete', ns]);
});

function sh(args: string[], input?: string): string {
  const r = spawnSync(args[0]!, args.slice(1), { input, encoding: 'utf8' });
  assert.equal(r.status, 0, `${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

test('the table and the routing really load and route so', { skip: !root && 'needs root, nft and ip' }, () => {
  for (const ns of Object.values(NS)) sh(['ip', 'netns', 'add', ns]);
  sh(['ip', 'netns', 'exec', NS.n, 'nft', '-f', '-'], meshTableScript(capture));
  sh(['ip', 'netns', 'exec', NS.n, 'nft', '-f', '-'], meshTableScript(capture));
  assert.match(sh(['ip', 'netns', 'exec', NS.n, 'nft', 'list', 'set', 'ip', 'skiff-mesh', 'captured']), /10\.96\.0\.20 \. 80/);

  sh(['ip', 'link', 'add', `${LINK}z`, 'netns', NS.z, 'type', 'veth', 'peer', 'name', `${LINK}n`, 'netns', NS.n]);
  sh(['ip', '-n', NS.z, 'addr', 'add', '10.244.1.2/24', 'dev', `${LINK}z`]);
  sh(['ip', '-n', NS.n, 'addr', 'add', '10.244.1.1/24', 'dev', `${LINK}n`]);
  for (const [ns, dev] of [[NS.z, `${LINK}z`], [NS.z, 'lo'], [NS.n, `${LINK}n`]] as const) sh(['ip', '-n', ns, 'link', 'set', dev, 'up']);
  sh(['ip', '-n', NS.z, 'route', 'add', 'default', 'via', '10.244.1.1']);
  const apply = () => {
    const cmds = ztunnelRoutingCommands('10.96.0.0/12', sh(['ip', '-n', NS.z, 'rule', 'show']));
    sh(['ip', '-n', NS.z, '-batch', '-'], cmds.map((c) => c.join(' ')).join('\n') + '\n');
  };
  apply();
  apply();
  const get = (...a: string[]) => sh(['ip', '-n', NS.z, 'route', 'get', ...a]);
  assert.match(get('10.96.0.20', 'from', '10.244.1.5', 'iif', `${LINK}z`), /^local 10\.96\.0\.20 /);
  assert.match(get('10.96.0.10'), /^10\.96\.0\.10 via 10\.244\.1\.1 /);
  assert.match(get('10.244.1.2', 'from', '10.96.0.10', 'iif', `${LINK}z`), /^local 10\.244\.1\.2 /);
  assert.match(get('10.244.1.5', 'from', '10.96.0.20'), /^10\.244\.1\.5 from 10\.96\.0\.20 dev /);
});
