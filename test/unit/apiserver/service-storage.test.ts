import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../../src/api/registry.js';
import type { KObject } from '../../../src/api/types.js';
import { Store } from '../../../src/storage/store.js';
import { Objects } from '../../../src/apiserver/objects.js';
import { bootstrap } from '../../../src/apiserver/bootstrap.js';
import { ApiError } from '../../../src/api/errors.js';
import { hostListeningAddresses } from '../../../src/apiserver/allocators/host-listeners.js';

// The allocators as the API's write path runs them: Service create, update and delete.

interface Cluster {
  objects: Objects;
  svc: ReturnType<Registry['kind']> & object;
  close(): void;
  reopen(apiAddress?: string): Cluster;
}

const dirs: string[] = [];
after(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'skiff-alloc-'));
  dirs.push(d);
  return d;
}

function open(dir = tmp(), apiAddress = '127.0.0.1:6443'): Cluster {
  const store = Store.open(dir);
  const reg = new Registry();
  const objects = new Objects(store, reg);
  bootstrap(objects, apiAddress);
  return {
    objects,
    svc: reg.kind('', 'Service')!,
    close: () => store.close(),
    reopen(address?: string) {
      store.close();
      return open(dir, address);
    },
  };
}

const svc = (name: string, spec: Record<string, unknown>): KObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec });
const port80 = { port: 80, targetPort: 8080 };

function create(c: Cluster, o: KObject, dryRun = false): KObject {
  return c.objects.create(c.svc, structuredClone(o), { dryRun });
}
function get(c: Cluster, name: string): KObject {
  return c.objects.get(c.svc, 'default', name);
}
const spec = (o: KObject) => o.spec as { clusterIP?: string; clusterIPs?: string[]; ports: { nodePort?: number; port: number; name?: string }[]; healthCheckNodePort?: number; type?: string };
/** The pool's lowest addresses nothing on this machine listens on: other clusters' are skipped. */
function freePool(n: number): string[] {
  const held = hostListeningAddresses();
  const out: string[] = [];
  for (let i = 1; out.length < n; i++) if (!held.has(`127.0.10.${i}`)) out.push(`127.0.10.${i}`);
  return out;
}
const ingress = (o: KObject) => (o.status as { loadBalancer?: { ingress?: { ip: string; ipMode?: string }[] } }).loadBalancer?.ingress;

function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, 422);
    assert.equal(e.message, message);
    return true;
  });
}

test('the kubernetes Service and its endpoints are written at bootstrap', () => {
  const c = open();
  const k = get(c, 'kubernetes');
  assert.equal(spec(k).clusterIP, '10.96.0.1');
  assert.deepEqual(spec(k).clusterIPs, ['10.96.0.1']);
  assert.deepEqual(spec(k).ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 6443 }]);
  const ep = c.objects.get(c.objects.reg.kind('', 'Endpoints')!, 'default', 'kubernetes');
  assert.deepEqual(ep.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }]);
  const slice = c.objects.get(c.objects.reg.kind('discovery.k8s.io', 'EndpointSlice')!, 'default', 'kubernetes');
  assert.deepEqual((slice as { endpoints?: unknown }).endpoints, [{ addresses: ['127.0.0.1'], conditions: { ready: true } }]);
  // A restart on another port rewrites the endpoints and keeps the Service.
  const again = c.reopen('127.0.0.1:7443');
  assert.equal(get(again, 'kubernetes').metadata.uid, k.metadata.uid);
  assert.equal(spec(get(again, 'kubernetes')).clusterIP, '10.96.0.1');
  assert.deepEqual(spec(get(again, 'kubernetes')).ports, [{ name: 'https', port: 443, protocol: 'TCP', targetPort: 7443 }]);
  const ep2 = again.objects.get(again.objects.reg.kind('', 'Endpoints')!, 'default', 'kubernetes');
  assert.deepEqual(ep2.subsets, [{ addresses: [{ ip: '127.0.0.1' }], ports: [{ name: 'https', port: 7443, protocol: 'TCP' }] }]);
  again.close();
});

test('ClusterIPs: allocated, explicit honoured, taken and out-of-range refused, released on delete', () => {
  const c = open();
  const auto = create(c, svc('auto', { selector: { app: 'a' }, ports: [port80] }));
  assert.match(spec(auto).clusterIP!, /^10\.(9[6-9]|10\d|11[01])\.\d+\.\d+$/);
  assert.deepEqual(spec(auto).clusterIPs, [spec(auto).clusterIP]);
  const www = create(c, svc('www', { clusterIP: '10.96.1.10', selector: { app: 'www' }, ports: [{ port: 8080 }] }));
  assert.equal(spec(www).clusterIP, '10.96.1.10');
  assert.deepEqual(spec(www).clusterIPs, ['10.96.1.10']);
  refused(
    () => create(c, svc('www2', { clusterIP: '10.96.1.10', ports: [{ port: 8080 }] })),
    'Service "www2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.1.10"}: failed to allocate IP 10.96.1.10: provided IP is already allocated',
  );
  refused(
    () => create(c, svc('far', { clusterIP: '10.0.0.10', ports: [{ port: 8080 }] })),
    'Service "far" is invalid: spec.clusterIPs: Invalid value: []string{"10.0.0.10"}: failed to allocate IP 10.0.0.10: the provided IP (10.0.0.10) is not in the valid range. The range of valid IPs is 10.96.0.0/12',
  );
  const headless = create(c, svc('headless', { clusterIP: 'None', selector: { app: 'a' }, ports: [port80] }));
  assert.deepEqual(spec(headless).clusterIPs, ['None']);
  const ext = create(c, svc('ext', { type: 'ExternalName', externalName: 'example.com' }));
  assert.equal(spec(ext).clusterIP, undefined);
  // Immutable on update.
  const changed = structuredClone(get(c, 'www'));
  spec(changed).clusterIP = '10.96.1.11';
  refused(() => c.objects.update(c.svc, changed), 'Service "www" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.1.11"}: may not change once set');
  // Dry run shows an address but reserves nothing.
  const dry = create(c, svc('dry', { clusterIP: '10.96.1.30', ports: [port80] }), true);
  assert.equal(spec(dry).clusterIP, '10.96.1.30');
  create(c, svc('real', { clusterIP: '10.96.1.30', ports: [port80] }));
  c.objects.delete(c.svc, 'default', 'www');
  assert.equal(spec(create(c, svc('www', { clusterIP: '10.96.1.10', ports: [{ port: 8080 }] }))).clusterIP, '10.96.1.10');
  c.close();
});

test('allocation state survives a restart: it is read back from the stored Services', () => {
  let c = open();
  create(c, svc('a', { clusterIP: '10.96.2.2', type: 'NodePort', ports: [{ port: 80, nodePort: 30271 }] }));
  c = c.reopen();
  refused(
    () => create(c, svc('b', { clusterIP: '10.96.2.2', ports: [port80] })),
    'Service "b" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.2.2"}: failed to allocate IP 10.96.2.2: provided IP is already allocated',
  );
  refused(
    () => create(c, svc('b', { type: 'NodePort', ports: [{ port: 80, nodePort: 30271 }] })),
    'Service "b" is invalid: spec.ports[0].nodePort: Invalid value: 30271: provided port is already allocated',
  );
  c.close();
});

test('NodePorts: allocated, explicit honoured, kept when an update omits them, released on type change and delete', () => {
  const c = open();
  const echo = create(c, svc('echo', { type: 'NodePort', selector: { app: 'echo' }, ports: [{ port: 8080, nodePort: 30271 }] }));
  assert.equal(spec(echo).ports[0].nodePort, 30271);
  const auto = create(c, svc('auto', { type: 'NodePort', ports: [{ name: 'tcp', port: 53, protocol: 'TCP' }, { name: 'udp', port: 53, protocol: 'UDP' }, { name: 'web', port: 80 }] }));
  const [tcp, udp, web] = spec(auto).ports.map((p) => p.nodePort!);
  assert.equal(tcp, udp, 'TCP and UDP entries of one port share a nodePort');
  assert.notEqual(tcp, web);
  assert.ok(web >= 30000 && web <= 32767);

  // A PUT that leaves nodePort out keeps the allocated one (matched by port name).
  const put = structuredClone(get(c, 'auto'));
  for (const p of spec(put).ports) delete p.nodePort;
  delete spec(put).clusterIP;
  delete spec(put).clusterIPs;
  const kept = c.objects.update(c.svc, put);
  assert.deepEqual(spec(kept).ports.map((p) => p.nodePort), [tcp, udp, web]);
  assert.equal(spec(kept).clusterIP, spec(auto).clusterIP);

  // Adding a port allocates only for it.
  const more = structuredClone(get(c, 'auto'));
  spec(more).ports.push({ name: 'extra', port: 81 });
  const grown = c.objects.update(c.svc, more);
  assert.deepEqual(spec(grown).ports.slice(0, 3).map((p) => p.nodePort), [tcp, udp, web]);
  assert.ok(spec(grown).ports[3].nodePort! > 0 && ![tcp, web].includes(spec(grown).ports[3].nodePort!));

  // Turning into a ClusterIP Service gives them back.
  const toClusterIP = structuredClone(get(c, 'echo'));
  spec(toClusterIP).type = 'ClusterIP';
  delete (toClusterIP.spec as Record<string, unknown>).externalTrafficPolicy;
  const plain = c.objects.update(c.svc, toClusterIP);
  assert.equal(spec(plain).ports[0].nodePort, undefined);
  assert.equal(spec(create(c, svc('again', { type: 'NodePort', ports: [{ port: 80, nodePort: 30271 }] }))).ports[0].nodePort, 30271);
  c.objects.delete(c.svc, 'default', 'again');
  assert.equal(spec(create(c, svc('again2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30271 }] }))).ports[0].nodePort, 30271);
  c.close();
});

test('LoadBalancer: a loopback pool address in status, released on type change and delete', () => {
  const c = open();
  const [first, second] = freePool(2);
  const lb = create(c, svc('lb', { type: 'LoadBalancer', selector: { app: 'a' }, ports: [port80] }));
  assert.deepEqual(ingress(lb), [{ ip: first, ipMode: 'VIP' }]);
  assert.ok(spec(lb).ports[0].nodePort! >= 30000);
  const lb2 = create(c, svc('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false, ports: [port80] }));
  assert.deepEqual(ingress(lb2), [{ ip: second, ipMode: 'VIP' }]);
  assert.equal(spec(lb2).ports[0].nodePort, undefined);
  const local = create(c, svc('local', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', ports: [port80] }));
  assert.ok(spec(local).healthCheckNodePort! >= 30000);
  const other = create(c, svc('other', { type: 'LoadBalancer', loadBalancerClass: 'example.com/lb', ports: [port80] }));
  assert.equal(ingress(other), undefined, 'a loadBalancerClass leaves the Service to its own controller');
  const plain = create(c, svc('plain', { ports: [port80] }));
  assert.deepEqual(plain.status, { loadBalancer: {} });

  // An unrelated update keeps the address.
  const labelled = structuredClone(get(c, 'lb'));
  labelled.metadata.labels = { x: 'y' };
  assert.deepEqual(ingress(c.objects.update(c.svc, labelled)), [{ ip: first, ipMode: 'VIP' }]);
  // Type change gives it back; the next LoadBalancer gets it.
  const toNodePort = structuredClone(get(c, 'lb'));
  spec(toNodePort).type = 'NodePort';
  delete (toNodePort.spec as Record<string, unknown>).allocateLoadBalancerNodePorts;
  const np = c.objects.update(c.svc, toNodePort);
  assert.equal(ingress(np), undefined);
  assert.deepEqual(ingress(create(c, svc('lb3', { type: 'LoadBalancer', ports: [port80] }))), [{ ip: first, ipMode: 'VIP' }]);
  c.objects.delete(c.svc, 'default', 'lb2');
  assert.deepEqual(ingress(create(c, svc('lb4', { type: 'LoadBalancer', ports: [port80] }))), [{ ip: second, ipMode: 'VIP' }]);
  c.close();
});

test('LoadBalancer: a status write that gives the pool address back gets another one, and the old one is free again', () => {
  const c = open();
  const [first, second] = freePool(2);
  create(c, svc('lb', { type: 'LoadBalancer', ports: [port80] }));
  const givenBack = structuredClone(get(c, 'lb'));
  givenBack.status = { loadBalancer: {} };
  assert.deepEqual(ingress(c.objects.update(c.svc, givenBack, { subresource: 'status' })), [{ ip: second, ipMode: 'VIP' }]);
  assert.deepEqual(ingress(get(c, 'lb')), [{ ip: second, ipMode: 'VIP' }]);
  assert.deepEqual(ingress(create(c, svc('next', { type: 'LoadBalancer', ports: [port80] }))), [{ ip: first, ipMode: 'VIP' }]);
  c.close();
});

test('single-stack IPv4: dual-stack requests are refused as upstream does', () => {
  const c = open();
  refused(
    () => create(c, svc('dual', { ipFamilyPolicy: 'RequireDualStack', ports: [port80] })),
    'Service "dual" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services',
  );
  create(c, svc('prefer', { ipFamilyPolicy: 'PreferDualStack', ports: [port80] }));
  create(c, svc('headless', { clusterIP: 'None', ports: [port80] }));
  c.close();
});
