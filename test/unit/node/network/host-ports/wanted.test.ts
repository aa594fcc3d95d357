import assert from 'node:assert/strict';
import { test } from 'node:test';
import { diffListeners } from '../../../../../src/node/network/host-ports/diff.js';
import { isPoolAddress, listenersOfService, wantedListeners, type HostPortService, type Listener } from '../../../../../src/node/network/host-ports/wanted.js';

const NODE = '172.18.0.2';

function svc(name: string, spec: HostPortService['spec'], opts: { ips?: string[]; created?: string; ns?: string } = {}): HostPortService {
  return {
    metadata: { namespace: opts.ns ?? 'default', name, uid: `uid-${name}`, creationTimestamp: opts.created ?? '2026-01-01T00:00:00Z' },
    spec,
    status: opts.ips ? { loadBalancer: { ingress: opts.ips.map((ip) => ({ ip })) } } : {},
  };
}

const brief = (ls: Listener[]) => ls.map((l) => `${l.key}->${l.target.host}:${l.target.port} ${l.role} ${l.service}:${l.servicePort}`);

test('a NodePort Service is published on 127.0.0.1:<nodePort>, forwarded to the node address', () => {
  const s = svc('echo', { type: 'NodePort', clusterIP: '10.96.0.20', ports: [{ port: 8080, nodePort: 30271, protocol: 'TCP' }] });
  assert.deepEqual(brief(listenersOfService(s, { nodeAddress: NODE })), ['127.0.0.1:30271->172.18.0.2:30271 nodePort default/echo:8080']);
});

test('ClusterIP, headless and ExternalName Services and non-TCP ports publish nothing', () => {
  assert.deepEqual(listenersOfService(svc('a', { type: 'ClusterIP', clusterIP: '10.96.0.3', ports: [{ port: 80 }] }), { nodeAddress: NODE }), []);
  assert.deepEqual(listenersOfService(svc('b', { type: 'ExternalName' }), { nodeAddress: NODE }), []);
  assert.deepEqual(listenersOfService(svc('c', { clusterIP: 'None', ports: [{ port: 80 }] }), { nodeAddress: NODE }), []);
  const udp = svc('dns', { type: 'NodePort', ports: [{ name: 'dns', port: 53, protocol: 'UDP', nodePort: 30053 }] });
  assert.deepEqual(listenersOfService(udp, { nodeAddress: NODE }), []);
});

test('a LoadBalancer Service is published on its node ports and on its pool address at its own ports', () => {
  const s = svc('web', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ name: 'http', port: 80, nodePort: 31000 }, { name: 'https', port: 443, nodePort: 31001 }] }, { ips: ['127.0.10.1'] });
  assert.deepEqual(brief(listenersOfService(s, { nodeAddress: NODE })), [
    '127.0.0.1:31000->172.18.0.2:31000 nodePort default/web:http',
    '127.0.0.1:31001->172.18.0.2:31001 nodePort default/web:https',
    '127.0.10.1:80->172.18.0.2:31000 loadBalancer default/web:http',
    '127.0.10.1:443->172.18.0.2:31001 loadBalancer default/web:https',
  ]);
});

test('a LoadBalancer without node ports goes through its ClusterIP; one still pending publishes only node ports', () => {
  const noNodePorts = svc('lb', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80 }] }, { ips: ['127.0.10.3'] });
  assert.deepEqual(brief(listenersOfService(noNodePorts, { nodeAddress: NODE })), ['127.0.10.3:80->10.96.0.9:80 loadBalancer default/lb:80']);
  const pending = svc('p', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30500 }] });
  assert.deepEqual(brief(listenersOfService(pending, { nodeAddress: NODE })), ['127.0.0.1:30500->172.18.0.2:30500 nodePort default/p:80']);
});

test('only addresses of the loopback pool are published; another class publishes its own', () => {
  assert.equal(isPoolAddress('127.0.10.1'), true);
  assert.equal(isPoolAddress('127.0.10.254'), true);
  assert.equal(isPoolAddress('127.0.11.1'), false);
  assert.equal(isPoolAddress('192.0.2.10'), false);
  const other = svc('x', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80 }] }, { ips: ['192.0.2.10'] });
  assert.deepEqual(listenersOfService(other, { nodeAddress: NODE }), []);
});

test('with a publish address, node ports and LoadBalancer ports are published there too', () => {
  const opts = { nodeAddress: NODE, publishAddress: '192.168.1.20' };
  const np = svc('np', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] });
  const lb = svc('lb', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30081 }] }, { ips: ['127.0.10.1'] });
  assert.deepEqual(brief(wantedListeners([np, lb], opts).listeners).sort(), [
    '127.0.0.1:30080->172.18.0.2:30080 nodePort default/np:80',
    '127.0.0.1:30081->172.18.0.2:30081 nodePort default/lb:80',
    '127.0.10.1:80->172.18.0.2:30081 loadBalancer default/lb:80',
    '192.168.1.20:30080->172.18.0.2:30080 nodePort default/np:80',
    '192.168.1.20:30081->172.18.0.2:30081 nodePort default/lb:80',
    '192.168.1.20:80->172.18.0.2:30081 loadBalancer default/lb:80',
  ]);
});

test('two LoadBalancers on port 80 both get their own address; on the publish address the older one wins', () => {
  const older = svc('b-older', { type: 'LoadBalancer', clusterIP: '10.96.0.9', ports: [{ port: 80, nodePort: 30001 }] }, { ips: ['127.0.10.1'], created: '2026-01-01T00:00:00Z' });
  const newer = svc('a-newer', { type: 'LoadBalancer', clusterIP: '10.96.0.8', ports: [{ port: 80, nodePort: 30002 }] }, { ips: ['127.0.10.2'], created: '2026-01-02T00:00:00Z' });
  const without = wantedListeners([newer, older], { nodeAddress: NODE });
  assert.deepEqual(without.conflicts, []);
  assert.ok(without.listeners.some((l) => l.key === '127.0.10.1:80') && without.listeners.some((l) => l.key === '127.0.10.2:80'));

  const withAddr = wantedListeners([newer, older], { nodeAddress: NODE, publishAddress: '127.0.0.2' });
  assert.equal(withAddr.listeners.find((l) => l.key === '127.0.0.2:80')?.service, 'default/b-older');
  assert.deepEqual(
    withAddr.conflicts.map((c) => `${c.wanted.key} ${c.wanted.service} held by ${c.heldBy}`),
    ['127.0.0.2:80 default/a-newer held by default/b-older'],
  );
  // Same age: the name decides, so every run agrees.
  const tie = wantedListeners([{ ...newer, metadata: { ...newer.metadata, creationTimestamp: '2026-01-01T00:00:00Z' } }, older], { nodeAddress: NODE, publishAddress: '127.0.0.2' });
  assert.equal(tie.listeners.find((l) => l.key === '127.0.0.2:80')?.service, 'default/a-newer');
});

test('diff: new listeners are opened, unwanted ones closed, changed targets updated in place', () => {
  const a = svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] });
  const b = svc('b', { type: 'LoadBalancer', clusterIP: '10.96.0.5', ports: [{ port: 80 }] }, { ips: ['127.0.10.1'] });
  const first = wantedListeners([a, b], { nodeAddress: NODE }).listeners;
  const current = new Map(first.map((l) => [l.key, l]));
  assert.deepEqual(diffListeners(current, first), { close: [], open: [], update: [] });

  // b gains a node port: its address now forwards there, the same socket stays bound.
  const b2 = svc('b', { type: 'LoadBalancer', clusterIP: '10.96.0.5', ports: [{ port: 80, nodePort: 30002 }] }, { ips: ['127.0.10.1'] });
  const d = diffListeners(current, wantedListeners([a, b2], { nodeAddress: NODE }).listeners);
  assert.deepEqual(d.close, []);
  assert.deepEqual(d.open.map((l) => l.key), ['127.0.0.1:30002']);
  assert.deepEqual(d.update.map((l) => `${l.key}->${l.target.host}:${l.target.port}`), ['127.0.10.1:80->172.18.0.2:30002']);

  // a becomes ClusterIP and b is deleted.
  const gone = diffListeners(current, wantedListeners([svc('a', { type: 'ClusterIP', ports: [{ port: 80 }] })], { nodeAddress: NODE }).listeners);
  assert.deepEqual(gone.close.sort(), ['127.0.0.1:30001', '127.0.10.1:80']);
  assert.deepEqual(gone.open, []);
});

test('diff: a Service recreated under the same name on the same port is an update (new owner)', () => {
  const a = svc('a', { type: 'NodePort', ports: [{ port: 80, nodePort: 30001 }] });
  const current = new Map(listenersOfService(a, { nodeAddress: NODE }).map((l) => [l.key, l]));
  const again = { ...a, metadata: { ...a.metadata, uid: 'uid-a-2' } };
  const d = diffListeners(current, listenersOfService(again, { nodeAddress: NODE }));
  assert.deepEqual(d.update.map((l) => l.serviceUID), ['uid-a-2']);
});
