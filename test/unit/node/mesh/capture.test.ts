import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../../../src/api/types.js';
import { inMesh, meshCapture } from '../../../../src/node/mesh/capture.js';

const pod = (namespace: string, name: string, o: { labels?: Record<string, string>; node?: string; ip?: string; ready?: boolean; hostNetwork?: boolean; deleting?: boolean } = {}): KObject =>
  ({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { namespace, name, uid: `uid-${name}`, labels: o.labels ?? {}, ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}) },
    spec: { nodeName: o.node ?? 'n1', hostNetwork: o.hostNetwork },
    status: { phase: 'Running', podIP: o.ip, conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True' }] },
  }) as KObject;

const namespace = (name: string, labels: Record<string, string>): KObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } }) as KObject;

const service = (name: string, clusterIP: string, ports: { port: number; protocol?: string }[], type?: string): KObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { namespace: 'default', name }, spec: { clusterIP, type, ports } }) as KObject;

test('enrolment: the namespace label enrols, a pod label decides first, istio-system and host-network pods never', () => {
  const injection = { 'istio-injection': 'enabled' };
  const ambient = { 'istio.io/dataplane-mode': 'ambient' };
  assert.equal(inMesh(pod('default', 'a'), injection), true);
  assert.equal(inMesh(pod('default', 'a'), ambient), true);
  assert.equal(inMesh(pod('default', 'a'), {}), false);
  assert.equal(inMesh(pod('default', 'a'), undefined), false);
  assert.equal(inMesh(pod('default', 'a'), { 'istio-injection': 'disabled' }), false);
  assert.equal(inMesh(pod('default', 'a', { labels: { 'istio.io/dataplane-mode': 'ambient' } }), {}), true);
  assert.equal(inMesh(pod('default', 'a', { labels: { 'sidecar.istio.io/inject': 'true' } }), {}), true);
  assert.equal(inMesh(pod('default', 'a', { labels: { 'istio.io/dataplane-mode': 'none' } }), ambient), false);
  assert.equal(inMesh(pod('default', 'a', { labels: { 'sidecar.istio.io/inject': 'false' } }), injection), false);
  assert.equal(inMesh(pod('default', 'a'), { ...injection, 'istio.io/dataplane-mode': 'none' }), false);
  assert.equal(inMesh(pod('istio-system', 'a'), injection), false);
  assert.equal(inMesh(pod('default', 'a', { hostNetwork: true }), injection), false);
});

test('capture: members of this node only, the ready ztunnel, every TCP Service port but the status port', () => {
  const c = meshCapture({
    nodeName: 'n1',
    namespaces: [namespace('default', { 'istio-injection': 'enabled' }), namespace('outside', {})],
    pods: [
      pod('default', 'b', { ip: '10.244.1.9' }),
      pod('default', 'a', { ip: '10.244.1.5' }),
      pod('default', 'other-node', { ip: '10.244.2.5', node: 'n2' }),
      pod('default', 'no-ip'),
      pod('default', 'going', { ip: '10.244.1.6', deleting: true }),
      pod('outside', 'c', { ip: '10.244.1.7' }),
      pod('istio-system', 'ztunnel-n1', { ip: '10.244.1.2', labels: { app: 'ztunnel' } }),
      pod('istio-system', 'ztunnel-n2', { ip: '10.244.2.2', labels: { app: 'ztunnel' }, node: 'n2' }),
    ],
    services: [
      service('web', '10.96.0.20', [{ port: 80 }, { port: 53, protocol: 'UDP' }]),
      service('gw', '10.96.0.30', [{ port: 15021 }, { port: 443 }]),
      service('headless', 'None', [{ port: 80 }]),
      service('ext', '', [{ port: 80 }], 'ExternalName'),
    ],
  });
  assert.deepEqual(c.ztunnel, { ip: '10.244.1.2', uid: 'uid-ztunnel-n1', name: 'ztunnel-n1' });
  assert.deepEqual(c.members.map((m) => m.ip), ['10.244.1.5', '10.244.1.9']);
  assert.deepEqual(c.destinations, ['10.96.0.20 . 80', '10.96.0.30 . 443']);
});

test("capture: a ztunnel that is not ready is no ztunnel, but the one this node waits for; a ready one, or another node's, is not waited for", () => {
  const capture = (pods: KObject[]) => meshCapture({ nodeName: 'n1', namespaces: [], pods, services: [] });
  const starting = pod('istio-system', 'ztunnel-n1', { ip: '10.244.1.2', labels: { app: 'ztunnel' }, ready: false });
  const c = capture([starting]);
  assert.equal(c.ztunnel, undefined);
  assert.equal(c.ztunnelStarting, 'ztunnel-n1');
  // Still without an address, as the DaemonSet has just made it.
  const fresh = { ...starting, status: { phase: 'Pending' } } as KObject;
  assert.equal(capture([fresh]).ztunnelStarting, 'ztunnel-n1');
  // A rolling update's surge: the old one serves while the new one starts.
  const old = pod('istio-system', 'ztunnel-old', { ip: '10.244.1.3', labels: { app: 'ztunnel' } });
  assert.deepEqual([capture([starting, old]).ztunnel?.name, capture([starting, old]).ztunnelStarting], ['ztunnel-old', undefined]);
  assert.equal(capture([pod('istio-system', 'ztunnel-n2', { labels: { app: 'ztunnel' }, node: 'n2', ready: false })]).ztunnelStarting, undefined);
  assert.equal(capture([pod('istio-system', 'ztunnel-n1', { labels: { app: 'ztunnel' }, ready: false, deleting: true })]).ztunnelStarting, undefined);
  assert.equal(capture([]).ztunnelStarting, undefined);
});

test('capture: ServiceEntry VIPs (single IPv4 addresses) on each of their ports, as the ztunnel gets listeners for them', () => {
  const entry = (name: string, addresses: string[] | undefined, ports: number[]): KObject =>
    ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { namespace: 'default', name }, spec: { hosts: [`${name}.test`], ...(addresses ? { addresses } : {}), ports: ports.map((number) => ({ number, name: `http-${number}`, protocol: 'HTTP' })) } }) as KObject;
  const c = meshCapture({
    nodeName: 'n1',
    namespaces: [],
    pods: [],
    services: [service('web', '10.96.0.20', [{ port: 80 }])],
    serviceEntries: [entry('ext', ['192.0.2.2', '198.51.100.7/32', '203.0.113.0/24', '2001:db8::1'], [8080, 15021]), entry('nova', undefined, [80]), entry('noports', ['192.0.2.9'], [])],
  });
  assert.deepEqual(c.vips, ['192.0.2.2', '198.51.100.7']);
  assert.deepEqual(c.destinations, ['10.96.0.20 . 80', '192.0.2.2 . 8080', '198.51.100.7 . 8080']);
});

test("capture: an entry without addresses is captured at those istiod allocated its hosts, unless it opts out or resolves NONE", () => {
  const entry = (name: string, more: Record<string, unknown>, labels: Record<string, string> = {}): KObject =>
    ({
      apiVersion: 'networking.istio.io/v1',
      kind: 'ServiceEntry',
      metadata: { namespace: 'default', name, labels },
      spec: { hosts: [`${name}.test`], resolution: 'DNS', ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...more },
      status: { addresses: [{ host: `${name}.test`, value: `240.240.0.${name.length}` }, { host: `${name}.test`, value: '2001:2::1' }] },
    }) as KObject;
  const c = meshCapture({
    nodeName: 'n1',
    namespaces: [],
    pods: [],
    services: [],
    serviceEntries: [entry('auto', {}), entry('optout', {}, { 'networking.istio.io/enable-autoallocate-ip': 'False' }), entry('none', { resolution: 'NONE' }), entry('own', { addresses: ['192.0.2.3'] })],
  });
  assert.deepEqual(c.vips, ['192.0.2.3', '240.240.0.4']);
  assert.deepEqual(c.destinations, ['192.0.2.3 . 80', '240.240.0.4 . 80']);
});

test('capture: a pod the kubelet is starting is a member from its sandbox on, before its status or even its watch event has come', () => {
  const pending = { ...pod('default', 'new'), status: { phase: 'Pending' } } as KObject;
  const starting = new Map([
    ['uid-new', { ip: '10.244.1.8', pod: pod('default', 'new') }],
    ['uid-unseen', { ip: '10.244.1.11', pod: pod('default', 'unseen') }],
    ['uid-o', { ip: '10.244.1.12', pod: pod('outside', 'o') }],
    ['uid-gone', { ip: '10.244.1.13', pod: pod('default', 'gone') }],
  ]);
  const c = meshCapture({
    nodeName: 'n1',
    namespaces: [namespace('default', { 'istio-injection': 'enabled' }), namespace('outside', {})],
    pods: [pending, pod('default', 'gone', { ip: '10.244.1.13', deleting: true }), pod('default', 'a', { ip: '10.244.1.5' })],
    services: [],
    starting,
  });
  assert.deepEqual(c.members.map((m) => m.ip), ['10.244.1.11', '10.244.1.5', '10.244.1.8']);
});
