// Scenario 000 (checks 6 and 7, the outside site): abc.svc1.com is a host in a network namespace
// this test makes, on a veth to the host namespace (198.18.7.0/24, from the benchmarking range
// 198.18.0.0/15). The cluster may send egress to that network only, and publishes its
// LoadBalancer ports (the ingress controller's 80 and 443) on the host's address there, which is
// what the outside site calls, by the public names www.svc.com and manage.svc.com over HTTPS.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { applyTLSSecret, makeCert } from '../ingress/ingress.js';
import { exec, execOk, scenario } from './net.js';

const DIR = '000-www-and-manage';
const OUTSIDE_NS = `skiff-s000out${process.pid}`;
const OUTSIDE_VETH = `s0o${process.pid}`.slice(0, 15);
const HOST_SIDE = '198.18.7.1';
const SITE = '198.18.7.2';
const PORT = 8080;

let c: Cluster;
let server: ChildProcess | undefined;
let cert: ReturnType<typeof makeCert> | undefined;

function sh(cmd: string, args: string[]): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}
function ok(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return r.stdout;
}

function removeOutside(): void {
  if (server?.pid !== undefined && server.exitCode === null) server.kill('SIGKILL');
  if (sh('ip', ['netns', 'list']).stdout.split('\n').some((l) => l.split(' ')[0] === OUTSIDE_NS)) sh('ip', ['netns', 'delete', OUTSIDE_NS]);
  sh('ip', ['link', 'delete', OUTSIDE_VETH]);
}

before(async () => {
  const routed = ok('ip', ['-4', 'route', 'show', 'match', SITE]).split('\n').filter((l) => l && !l.startsWith('default'));
  assert.deepEqual(routed, [], `the host already routes ${SITE}; this test needs 198.18.7.0/24 free`);
  removeOutside();
  ok('ip', ['netns', 'add', OUTSIDE_NS]);
  ok('ip', ['link', 'add', OUTSIDE_VETH, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', OUTSIDE_NS]);
  ok('ip', ['addr', 'add', `${HOST_SIDE}/24`, 'dev', OUTSIDE_VETH]);
  ok('ip', ['link', 'set', OUTSIDE_VETH, 'up']);
  ok('ip', ['-n', OUTSIDE_NS, 'addr', 'add', `${SITE}/24`, 'dev', 'eth0']);
  ok('ip', ['-n', OUTSIDE_NS, 'link', 'set', 'eth0', 'up']);
  ok('ip', ['-n', OUTSIDE_NS, 'link', 'set', 'lo', 'up']);
  // The outside site: says who called it and which name was asked for.
  const script = `require('http').createServer((q, s) => s.end('abc.svc1.com saw ' + q.socket.remoteAddress.replace(/^::ffff:/, '') + ' asking for ' + q.headers.host)).listen(${PORT}, '0.0.0.0')`;
  server = spawn('ip', ['netns', 'exec', OUTSIDE_NS, process.execPath, '-e', script], { stdio: 'ignore' });
  await waitFor('the outside site', async () => sh('curl', ['-s', '--max-time', '1', `http://${SITE}:${PORT}/`]).code === 0);

  c = await startCluster('s000o', { nodes: 1, upArgs: ['--egress', '198.18.7.0/24', '--publish-address', HOST_SIDE] });
  await c.ok(['apply', '-f', scenario(DIR, 'app.yaml'), '-f', scenario(DIR, 'services.yaml'), '-f', scenario(DIR, 'external.yaml')]);
  cert = makeCert(['www.svc.com', 'manage.svc.com']);
  await applyTLSSecret(c, 'svc-com-tls', cert);
  await c.ok(['apply', '-f', scenario(DIR, 'ingress.yaml')]);
  for (const d of ['www', 'manage']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=90s']);
  await c.ok(['rollout', 'status', '-n', 'ingress-nginx', 'deployment/ingress-nginx-controller', '--timeout=120s']);
  await c.ok(['rollout', 'status', '-n', 'kube-system', 'deployment/coredns', '--timeout=90s']);
});
after(async () => {
  try {
    await c?.down();
  } finally {
    removeOutside();
    cert?.cleanup();
  }
});

test('6. abc is a CNAME to abc.svc1.com; a pod calls the outside site through the node, with the node address as source', async () => {
  const ns = await exec(c, 'deploy/manage', ['nslookup', 'abc']);
  assert.match(ns.stdout, /abc\.default\.svc\.cluster\.local\s+canonical name = abc\.svc1\.com/);
  const reply = await execOk(c, 'deploy/www', ['curl', '-sS', '--max-time', '5', '-H', 'Host: abc.svc1.com', `http://${SITE}:${PORT}/`]);
  assert.match(reply, /^abc\.svc1\.com saw \S+ asking for abc\.svc1\.com$/);
  const podIP = (await c.ok(['get', 'pods', '-l', 'app=www', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ');
  assert.ok(!podIP.some((ip) => reply.includes(` ${ip} `)), 'the pod address does not leave the cluster');
  // Leaving the node, the connection was rewritten to the node's address: conntrack in the node
  // namespace shows the reply coming back to it.
  const nodeIP = (await c.ok(['get', 'nodes', '-o', 'jsonpath={.items[0].status.addresses[?(@.type=="InternalIP")].address}'])).trim();
  const ct = ok('nsenter', [`--net=/var/run/netns/skiff.${c.name}.n1`, 'conntrack', '-L', '-p', 'tcp', '--orig-dst', SITE]);
  assert.match(ct, new RegExp(`src=10\\.244\\.\\d+\\.\\d+ dst=${SITE.replace(/\./g, '\\.')} .*src=${SITE.replace(/\./g, '\\.')} dst=${nodeIP.replace(/\./g, '\\.')} `));
});

test('7. the outside site calls the cluster through the ingress by its public names, never a ClusterIP', async () => {
  const call = (args: string[]) => sh('ip', ['netns', 'exec', OUTSIDE_NS, 'curl', '-sS', '--max-time', '5', ...args]);
  const https = (host: string, path: string) => call(['--cacert', cert!.crt, '--resolve', `${host}:443:${HOST_SIDE}`, `https://${host}${path}`]);
  await waitFor(`https://www.svc.com/ through ${HOST_SIDE}:443 from the outside site`, async () => /^CLIENT VALUES:/.test(https('www.svc.com', '/').stdout), 60_000);
  const r = https('www.svc.com', '/');
  assert.match(r.stdout, /^host=www\.svc\.com$/m);
  const manage = (await c.ok(['get', 'pods', '-l', 'app=manage', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
  assert.ok(manage.includes(https('manage.svc.com', '/hostname').stdout.trim()));
  // The outside network has no route to the cluster's Service addresses.
  const clusterIP = call(['http://10.96.1.10:8080/']);
  assert.notEqual(clusterIP.code, 0);
  assert.match(clusterIP.stderr, /unreachable|Couldn't connect|Failed to connect/i);
});
