import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { SCENARIOS, startCluster, type Cluster } from '../harness.js';

// Service allocation as kubectl sees it: ClusterIPs, NodePorts, LoadBalancer addresses and
// the kubernetes Service, with upstream's refusals.

let c: Cluster;
before(async () => {
  c = await startCluster('svc');
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);
const scenario = (path: string) => readFileSync(join(SCENARIOS, path), 'utf8');

/** The `kubectl get svc` row of a Service, as columns. */
async function row(name: string, ns = 'default'): Promise<string[]> {
  const out = await ok(['get', 'svc', name, '-n', ns, '--no-headers']);
  return out.trim().split(/\s+/);
}

async function refused(args: string[], input: string | undefined, message: string): Promise<void> {
  const r = await c.kubectl(args, { input });
  assert.notEqual(r.code, 0, `${args.join(' ')} should have failed`);
  assert.ok(r.stderr.includes(message), `stderr of ${args.join(' ')}:\n${r.stderr}\nwants:\n${message}`);
}

test('the kubernetes Service sits at 10.96.0.1:443 with the API server as its endpoint', async () => {
  assert.deepEqual((await row('kubernetes')).slice(0, 5), ['kubernetes', 'ClusterIP', '10.96.0.1', '<none>', '443/TCP']);
  const ep = JSON.parse(await ok(['get', 'endpoints', 'kubernetes', '-o', 'json']));
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: c.port, protocol: 'TCP' }] }]);
  const slice = JSON.parse(await ok(['get', 'endpointslice', 'kubernetes', '-o', 'json']));
  assert.equal(slice.metadata.labels['kubernetes.io/service-name'], 'kubernetes');
  assert.deepEqual(slice.endpoints[0].addresses, ['127.0.0.1']);
});

test('scenario 000: explicit ClusterIPs are honoured and a taken one is refused', async () => {
  assert.match(await ok(['apply', '-f', '-'], scenario('000-www-and-manage/services.yaml')), /service\/www-service created/);
  assert.deepEqual((await row('www-service')).slice(0, 5), ['www-service', 'ClusterIP', '10.96.1.10', '<none>', '8080/TCP']);
  assert.deepEqual((await row('manage-service')).slice(0, 5), ['manage-service', 'ClusterIP', '10.96.1.20', '<none>', '8088/TCP']);
  // Applying the same manifest again changes nothing.
  assert.match(await ok(['apply', '-f', '-'], scenario('000-www-and-manage/services.yaml')), /service\/www-service unchanged/);
  const copy = scenario('000-www-and-manage/services.yaml').replace('name: www-service', 'name: www-copy');
  await refused(
    ['apply', '-f', '-'],
    copy,
    'The Service "www-copy" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.1.10"}: failed to allocate IP 10.96.1.10: provided IP is already allocated',
  );
  await refused(
    ['create', 'service', 'clusterip', 'far', '--clusterip=10.0.0.10', '--tcp=80:80'],
    undefined,
    'spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  );
  await refused(
    ['patch', 'svc', 'www-service', '-p', '{"spec":{"clusterIP":"10.96.1.11"}}'],
    undefined,
    'The Service "www-service" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.1.11"}: may not change once set',
  );
});

test('scenario 001: the echo NodePort, kept across apply, refused twice', async () => {
  await ok(['apply', '-f', '-'], scenario('001-echoserver-nodeport/echo.yaml'));
  const r = await row('echo');
  assert.equal(r[1], 'NodePort');
  assert.match(r[2], /^10\.\d+\.\d+\.\d+$/);
  assert.equal(r[4], '8080:30271/TCP');
  const dup = `apiVersion: v1
kind: Service
metadata:
  name: echo-copy
spec:
  type: NodePort
  ports:
    - port: 8080
      nodePort: 30271
`;
  await refused(['apply', '-f', '-'], dup, 'The Service "echo-copy" is invalid: spec.ports[0].nodePort: Invalid value: 30271: provided port is already allocated');
  // A client-side apply that drops nodePort from the manifest (the patch sets it to null)
  // keeps the allocated port, and the ClusterIP.
  const relabelled = scenario('001-echoserver-nodeport/echo.yaml')
    .replace('kind: Service\nmetadata:\n  name: echo\n', 'kind: Service\nmetadata:\n  name: echo\n  labels:\n    tier: edge\n')
    .replace(/\n\s*nodePort: 30271/, '');
  assert.doesNotMatch(relabelled, /nodePort/);
  assert.match(await ok(['apply', '-f', '-'], relabelled), /service\/echo configured/);
  const after = await row('echo');
  assert.equal(after[2], r[2]);
  assert.equal(after[4], '8080:30271/TCP');
});

test('scenario 003: every Service type gets what it needs', async () => {
  await ok(['apply', '-f', '-'], scenario('003-selectors-service-types-ingress-regex/services.yaml'));
  const [, type, ip, ext, ports] = await row('my-service');
  assert.deepEqual([type, ext, ports], ['ClusterIP', '<none>', '80/TCP']);
  assert.match(ip, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
  assert.equal((await row('my-nodeport-service'))[4], '80:30000/TCP');
  assert.match((await row('my-auto-nodeport-service'))[4], /^80:3\d{4}\/TCP$/);
  const lb = await row('my-loadbalancer-service');
  assert.equal(lb[1], 'LoadBalancer');
  assert.match(lb[3], /^127\.0\.10\.\d+$/);
  assert.match(lb[4], /^80:3\d{4}\/TCP$/);
  assert.deepEqual((await row('my-externalname-service')).slice(1, 5), ['ExternalName', '<none>', 'example.com', '<none>']);
  assert.deepEqual((await row('my-headless-service')).slice(1, 5), ['ClusterIP', 'None', '<none>', '80/TCP']);
  assert.equal((await row('my-tcp-udp-service'))[4], '80/TCP,53/UDP');
  const all = JSON.parse(await ok(['get', 'svc', '-A', '-o', 'json'])).items as { spec: { clusterIP?: string; ports?: { nodePort?: number }[] } }[];
  const ips = all.map((s) => s.spec.clusterIP).filter((x) => x && x !== 'None');
  assert.equal(new Set(ips).size, ips.length, `ClusterIPs handed out twice: ${ips.join(' ')}`);
  const nodePorts = all.flatMap((s) => (s.spec.ports ?? []).map((p) => p.nodePort).filter(Boolean));
  assert.equal(new Set(nodePorts).size, nodePorts.length, `NodePorts handed out twice: ${nodePorts.join(' ')}`);
});

test('delete releases ClusterIP, NodePort and LoadBalancer address', async () => {
  const lbIP = (await row('my-loadbalancer-service'))[3];
  await ok(['delete', 'svc', 'www-service', 'echo', 'my-loadbalancer-service']);
  await ok(['apply', '-f', '-'], scenario('000-www-and-manage/services.yaml'));
  assert.equal((await row('www-service'))[2], '10.96.1.10');
  await ok(['apply', '-f', '-'], scenario('001-echoserver-nodeport/echo.yaml'));
  assert.equal((await row('echo'))[4], '8080:30271/TCP');
  await ok(['create', 'service', 'loadbalancer', 'front', '--tcp=80:8080']);
  assert.equal((await row('front'))[3], lbIP);
  // Turning the LoadBalancer into a ClusterIP Service gives its address and port back.
  await ok(['patch', 'svc', 'front', '-p', '{"spec":{"type":"ClusterIP"}}']);
  const plain = await row('front');
  assert.deepEqual([plain[1], plain[3], plain[4]], ['ClusterIP', '<none>', '80/TCP']);
  await ok(['create', 'service', 'loadbalancer', 'front2', '--tcp=80:8080']);
  assert.equal((await row('front2'))[3], lbIP);
});
