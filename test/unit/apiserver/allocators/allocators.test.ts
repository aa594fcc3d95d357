import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ClusterIPAllocator } from '../../../../src/apiserver/allocators/cluster-ip.js';
import { LOAD_BALANCER_POOL, SERVICE_CLUSTER_IP_RANGE } from '../../../../src/cluster/constants.js';
import { NodePortAllocator } from '../../../../src/apiserver/allocators/node-port.js';
import { LoadBalancerIPAllocator } from '../../../../src/apiserver/allocators/load-balancer-ip.js';
import { AllocationError } from '../../../../src/apiserver/allocators/errors.js';
import { cidrRange, formatIPv4, parseIPv4 } from '../../../../src/cluster/ipv4.js';
import { HoldingsIndex, heldBy } from '../../../../src/apiserver/allocators/holdings.js';

const refused = (fn: () => unknown, message: string) =>
  assert.throws(fn, (e: unknown) => e instanceof AllocationError && e.message === message);

test('the service range excludes network and broadcast addresses', () => {
  const r = cidrRange(SERVICE_CLUSTER_IP_RANGE);
  assert.equal(r.cidr, '10.96.0.0/12');
  assert.equal(formatIPv4(r.first), '10.96.0.1');
  assert.equal(formatIPv4(r.first + r.size - 1), '10.111.255.254');
  assert.equal(parseIPv4('10.96.1.10'), (10 << 24) + (96 << 16) + (1 << 8) + 10);
  assert.equal(parseIPv4('10.96.1'), undefined);
  assert.equal(parseIPv4('10.96.1.256'), undefined);
});

test('an explicit ClusterIP is checked against the range and the taken set, with upstream wording', () => {
  const taken = new Set(['10.96.1.10']);
  const a = new ClusterIPAllocator((ip) => taken.has(ip));
  a.allocate('10.96.1.20');
  refused(() => a.allocate('10.96.1.10'), 'provided IP is already allocated');
  refused(() => a.allocate('10.0.0.1'), 'the provided IP (10.0.0.1) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
  refused(() => a.allocate('10.96.0.0'), 'the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
});

test('a free ClusterIP comes from the upper band first, then the static band', () => {
  const r = cidrRange('10.96.0.0/28'); // 14 usable, static band of 16 covers all
  const taken = new Set<string>();
  const a = new ClusterIPAllocator((ip) => taken.has(ip), '10.96.0.0/28');
  for (let i = 0; i < r.size; i++) {
    const ip = a.allocateNext();
    assert.ok(!taken.has(ip), `${ip} handed out twice`);
    taken.add(ip);
  }
  refused(() => a.allocateNext(), 'range is full');
  const big = new ClusterIPAllocator(() => false);
  for (let i = 0; i < 50; i++) {
    const n = parseIPv4(big.allocateNext())!;
    assert.ok(n >= parseIPv4('10.96.1.1')!, 'dynamic allocation stays out of the first 256 addresses while the upper band has room');
  }
});

test('NodePorts: range, duplicates, and every port handed out once', () => {
  const taken = new Set([30271]);
  const a = new NodePortAllocator((p) => taken.has(p));
  a.allocate(30000);
  refused(() => a.allocate(30271), 'provided port is already allocated');
  refused(() => a.allocate(29999), 'provided port is not in the valid range. The range of valid ports is 30000-32767');
  const small = new NodePortAllocator((p) => taken.has(p), { base: 30000, size: 300 });
  const seen = new Set<number>();
  for (let i = 0; i < 299; i++) {
    const p = small.allocateNext();
    assert.ok(p >= 30000 && p < 30300 && !taken.has(p));
    taken.add(p);
    seen.add(p);
  }
  assert.equal(seen.size, 299);
  refused(() => small.allocateNext(), 'range is full');
});

test('LoadBalancer addresses: lowest free loopback address, never 127.0.0.1', () => {
  const taken = new Set<string>();
  const a = new LoadBalancerIPAllocator((ip) => taken.has(ip));
  assert.equal(a.allocateNext(), LOAD_BALANCER_POOL.first);
  taken.add('127.0.10.1');
  assert.equal(a.allocateNext(), '127.0.10.2');
  assert.equal(a.contains('127.0.0.1'), false);
  assert.equal(a.contains('127.0.10.254'), true);
  refused(() => a.allocate('127.0.10.1'), 'provided IP is already allocated');
  const tiny = new LoadBalancerIPAllocator((ip) => taken.has(ip), { first: '127.0.10.1', last: '127.0.10.1' });
  assert.throws(() => tiny.allocateNext(), AllocationError);
});

test('the holdings index frees a value only when its last holder lets go', () => {
  const idx = new HoldingsIndex();
  idx.set('a/x', ['ip:10.96.1.10', 'port:30271']);
  idx.set('b/y', ['ip:10.96.1.10']); // e.g. a status written by hand repeating it
  assert.equal(idx.usedByOther('ip:10.96.1.10', 'a/x'), true);
  idx.remove('b/y');
  assert.equal(idx.usedByOther('ip:10.96.1.10', 'a/x'), false);
  assert.equal(idx.usedByOther('ip:10.96.1.10'), true);
  idx.set('a/x', ['port:30271']);
  assert.equal(idx.usedByOther('ip:10.96.1.10'), false);
  assert.deepEqual(
    heldBy({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'x' },
      spec: { type: 'LoadBalancer', clusterIP: '10.96.0.5', clusterIPs: ['10.96.0.5'], ports: [{ port: 80, nodePort: 30001 }], healthCheckNodePort: 30002 },
      status: { loadBalancer: { ingress: [{ ip: '127.0.10.1' }] } },
    }),
    ['ip:10.96.0.5', 'port:30001', 'port:30002', 'lb:127.0.10.1'],
  );
  assert.deepEqual(heldBy({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'h' }, spec: { clusterIP: 'None', clusterIPs: ['None'] } }), []);
});
