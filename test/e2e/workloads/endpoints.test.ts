import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startCluster, waitFor, SCENARIOS, type Cluster } from '../harness.js';

let c: Cluster;
before(async () => {
  c = await startCluster('eps', { nodes: 1 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);

interface Address {
  ip: string;
  nodeName?: string;
  targetRef?: { kind: string; name: string };
}
interface Subset {
  addresses?: Address[];
  notReadyAddresses?: Address[];
  ports?: { name?: string; port: number; protocol: string }[];
}
interface Endpoints {
  metadata: { labels?: Record<string, string> };
  subsets?: Subset[];
}
interface Slice {
  metadata: { name: string; labels?: Record<string, string>; ownerReferences?: { kind: string; name: string; controller?: boolean }[] };
  addressType: string;
  ports?: { name?: string; port: number }[];
  endpoints?: { addresses: string[]; conditions: { ready?: boolean; serving?: boolean; terminating?: boolean }; targetRef?: { name: string } }[];
}

const endpoints = async (name: string): Promise<Endpoints | undefined> => {
  const r = await c.kubectl(['get', 'endpoints', name, '-o', 'json']);
  return r.code === 0 ? JSON.parse(r.stdout) : undefined;
};
const ready = (ep: Endpoints | undefined) => (ep?.subsets ?? []).flatMap((s) => s.addresses ?? []);
const notReady = (ep: Endpoints | undefined) => (ep?.subsets ?? []).flatMap((s) => s.notReadyAddresses ?? []);
const slices = async (service: string): Promise<Slice[]> =>
  JSON.parse(await ok(['get', 'endpointslices', '-l', `kubernetes.io/service-name=${service}`, '-o', 'json'])).items;
const readyPodIPs = async (selector: string): Promise<string[]> => {
  const items = JSON.parse(await ok(['get', 'pods', '-l', selector, '-o', 'json'])).items as {
    metadata: { deletionTimestamp?: string };
    status: { podIP?: string; conditions?: { type: string; status: string }[] };
  }[];
  return items
    .filter((p) => !p.metadata.deletionTimestamp && p.status.conditions?.some((x) => x.type === 'Ready' && x.status === 'True'))
    .map((p) => p.status.podIP as string)
    .sort();
};

test('scenario 000: Endpoints list the three www and the two manage pods on their (named) target ports', async () => {
  const dir = join(SCENARIOS, '000-www-and-manage');
  await ok(['apply', '-f', join(dir, 'app.yaml')]);
  const services = readFileSync(join(dir, 'services.yaml'), 'utf8');
  const applied = await c.kubectl(['apply', '-f', '-'], { input: services });
  if (applied.code !== 0) {
    // Fixed ClusterIPs depend on the allocator; the endpoints do not, so fall back to allocated ones.
    console.error(`applying services.yaml failed (${applied.stderr.trim()}); creating the Services without clusterIP`);
    await ok(['apply', '-f', '-'], services.replace(/^\s*clusterIP: .*$/gm, ''));
  }
  await waitFor('www-service with 3 ready addresses and manage-service with 2', async () => {
    const [www, manage] = await Promise.all([endpoints('www-service'), endpoints('manage-service')]);
    return ready(www).length === 3 && ready(manage).length === 2;
  }, 90_000);

  const www = (await endpoints('www-service'))!;
  assert.deepEqual(ready(www).map((a) => a.ip).sort(), await readyPodIPs('app=www'));
  assert.deepEqual(www.subsets?.[0].ports, [{ port: 8080, protocol: 'TCP' }]);
  assert.equal(www.metadata.labels?.['endpoints.kubernetes.io/managed-by'], 'endpoint-controller');
  for (const a of ready(www)) {
    assert.equal(a.targetRef?.kind, 'Pod');
    assert.match(a.targetRef!.name, /^www-/);
    assert.match(a.nodeName ?? '', /-node-1$/);
  }
  const manage = (await endpoints('manage-service'))!;
  assert.deepEqual(manage.subsets?.[0].ports, [{ name: 'http', port: 8088, protocol: 'TCP' }]);

  const table = await ok(['get', 'endpoints']);
  const row = (name: string) => table.split('\n').find((l) => l.startsWith(`${name} `)) ?? '';
  assert.match(row('www-service'), /^www-service\s+(10\.244\.\d+\.\d+:8080,){2}10\.244\.\d+\.\d+:8080\s+\S+$/);
  assert.match(row('manage-service'), /^manage-service\s+10\.244\.\d+\.\d+:8088,10\.244\.\d+\.\d+:8088\s+\S+$/);
});

test('kubectl get endpointslices -l kubernetes.io/service-name=www-service shows one IPv4 slice owned by the Service', async () => {
  const out = await ok(['get', 'endpointslices', '-l', 'kubernetes.io/service-name=www-service']);
  const rows = out.trim().split('\n');
  assert.match(rows[0], /^NAME\s+ADDRESSTYPE\s+PORTS\s+ENDPOINTS\s+AGE$/);
  assert.equal(rows.length, 2, out);
  assert.match(rows[1], /^www-service-[a-z0-9]{5}\s+IPv4\s+8080\s+10\.244\.\d+\.\d+,10\.244\.\d+\.\d+,10\.244\.\d+\.\d+\s+\S+$/);
  const [s] = await slices('www-service');
  assert.equal(s.metadata.labels?.['endpointslice.kubernetes.io/managed-by'], 'endpointslice-controller.k8s.io');
  assert.deepEqual(s.metadata.ownerReferences?.map((r) => [r.kind, r.name, r.controller]), [['Service', 'www-service', true]]);
  assert.deepEqual(s.ports, [{ name: '', port: 8080, protocol: 'TCP' }]);
  assert.ok(s.endpoints?.every((e) => e.conditions.ready && e.conditions.serving && !e.conditions.terminating));
});

test('scaling www to 5 gives 5 endpoints in the Endpoints and the slice', async () => {
  await ok(['scale', 'deployment', 'www', '--replicas=5']);
  await waitFor('5 www endpoints', async () => {
    const [ep, ss] = await Promise.all([endpoints('www-service'), slices('www-service')]);
    const inSlices = ss.flatMap((s) => s.endpoints ?? []).filter((e) => e.conditions.ready);
    return ready(ep).length === 5 && inSlices.length === 5;
  }, 90_000);
  assert.deepEqual(ready(await endpoints('www-service')).map((a) => a.ip).sort(), await readyPodIPs('app=www'));
  assert.match(await ok(['get', 'endpoints', 'www-service']), /www-service\s+(10\.244\.\d+\.\d+:8080,){2}10\.244\.\d+\.\d+:8080 \+ 2 more\.\.\./);
});

test('a failing readiness probe moves the address to notReadyAddresses and marks the slice endpoint not ready', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Pod
metadata: {name: flaky, labels: {app: flaky}}
spec:
  containers:
  - name: c
    image: busybox
    command: [sh, -c, 'touch /tmp/ok; sleep 3600']
    readinessProbe:
      exec: {command: [cat, /tmp/ok]}
      periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata: {name: flaky}
spec:
  selector: {app: flaky}
  ports: [{port: 80, targetPort: 8080}]
`);
  await waitFor('flaky ready in its Endpoints', async () => ready(await endpoints('flaky')).length === 1, 60_000);
  await ok(['exec', 'flaky', '--', 'rm', '/tmp/ok']);
  await waitFor('the pod NotReady', async () => {
    const p = JSON.parse(await ok(['get', 'pod', 'flaky', '-o', 'json']));
    return p.status.conditions?.some((x: { type: string; status: string }) => x.type === 'Ready' && x.status === 'False');
  }, 30_000);
  // The controllers react to the pod's status, not to a resync (they have none): well within 10 s on a loaded machine.
  await waitFor('the slice endpoint not ready', async () => {
    const e = (await slices('flaky')).flatMap((s) => s.endpoints ?? []);
    return e.length === 1 && e[0].conditions.ready === false && e[0].conditions.serving === false;
  }, 10_000);
  await waitFor('the address in notReadyAddresses', async () => {
    const ep = await endpoints('flaky');
    return ready(ep).length === 0 && notReady(ep).length === 1;
  }, 10_000);
  assert.equal(notReady(await endpoints('flaky'))[0].targetRef?.name, 'flaky');
  await ok(['exec', 'flaky', '--', 'touch', '/tmp/ok']);
  await waitFor('ready again', async () => ready(await endpoints('flaky')).length === 1, 30_000);
});

test('a Service without a selector keeps the Endpoints its user wrote; a deleted Service takes its Endpoints along', async () => {
  await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: external}
spec:
  ports: [{port: 80}]
---
apiVersion: v1
kind: Endpoints
metadata: {name: external}
subsets:
- addresses: [{ip: 192.0.2.10}]
  ports: [{port: 80}]
`);
  // Give the controllers a chance to (wrongly) act: a later selector Service's Endpoints appear meanwhile.
  await ok(['apply', '-f', '-'], `apiVersion: v1
kind: Service
metadata: {name: marker2}
spec: {selector: {app: www}, ports: [{port: 80, targetPort: 8080}]}
`);
  await waitFor('marker2 Endpoints', async () => ready(await endpoints('marker2')).length === 5, 30_000);
  const ext = await endpoints('external');
  assert.deepEqual(ext?.subsets, [{ addresses: [{ ip: '192.0.2.10' }], ports: [{ port: 80, protocol: 'TCP' }] }]);
  assert.equal(ext?.metadata.labels, undefined);
  // (Mirroring user Endpoints into slices is another controller's job upstream.)
  const ours = (await slices('external')).filter((x) => x.metadata.labels?.['endpointslice.kubernetes.io/managed-by'] === 'endpointslice-controller.k8s.io');
  assert.deepEqual(ours, []);

  await ok(['delete', 'service', 'marker2']);
  await waitFor('marker2 Endpoints gone', async () => (await endpoints('marker2')) === undefined, 10_000);
});
