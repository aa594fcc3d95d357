import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KObject } from '../../../../../src/api/types.js';
import { addressesFor, ipv4Pool, ipv6Pool, warmPools, type Pools } from '../../../../../src/addons/istio/istiod/ip-autoallocate.js';

const entry = (name: string, spec: Record<string, unknown>, status?: unknown, created = '2026-01-01T00:00:00Z'): KObject =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { namespace: 'default', name, creationTimestamp: created }, spec: { resolution: 'DNS', ...spec }, ...(status ? { status } : {}) }) as KObject;
const pools = (): Pools => ({ v4: ipv4Pool(), v6: ipv6Pool() });

test('each host gets the next IPv4 address of 240.240.0.0/16 and the next IPv6 one of 2001:2::/48', () => {
  const p = pools();
  assert.deepEqual(addressesFor(entry('a', { hosts: ['a.test', '*.w.test', 'b.test'] }), p, false), [
    { value: '240.240.0.1', host: 'a.test' },
    { value: '2001:2::1', host: 'a.test' },
    { value: '240.240.0.2', host: 'b.test' },
    { value: '2001:2::2', host: 'b.test' },
  ]);
  assert.deepEqual(addressesFor(entry('c', { hosts: ['c.test'] }), p, false), [
    { value: '240.240.0.3', host: 'c.test' },
    { value: '2001:2::3', host: 'c.test' },
  ]);
});

test('an entry that has its addresses needs no write; a new host gets new ones and the others keep theirs; a host gone loses its', () => {
  const p = pools();
  const held = { addresses: [{ value: '240.240.0.7', host: 'a.test' }, { value: '2001:2::7', host: 'a.test' }] };
  assert.equal(addressesFor(entry('a', { hosts: ['a.test'] }, held), p, false), undefined);
  assert.deepEqual(addressesFor(entry('a', { hosts: ['a.test', 'b.test'] }, held), p, false), [...held.addresses, { value: '240.240.0.1', host: 'b.test' }, { value: '2001:2::1', host: 'b.test' }]);
  assert.deepEqual(addressesFor(entry('a', { hosts: ['b.test'] }, held), p, false), [{ value: '240.240.0.2', host: 'b.test' }, { value: '2001:2::2', host: 'b.test' }]);
});

test('warming: addresses already held are not handed out again, entries of their own in the range neither; of two holding one address the younger is given new ones', () => {
  const p = pools();
  const old = entry('old', { hosts: ['o.test'] }, { addresses: [{ value: '240.240.0.1', host: 'o.test' }, { value: '2001:2::1', host: 'o.test' }] }, '2026-01-01T00:00:00Z');
  const young = entry('young', { hosts: ['y.test'] }, { addresses: [{ value: '240.240.0.1', host: 'y.test' }, { value: '2001:2::1', host: 'y.test' }] }, '2026-02-01T00:00:00Z');
  const own = entry('own', { hosts: ['s.test'], addresses: ['240.240.0.2'] });
  const conflicted = warmPools(p, [young, own, old]);
  assert.deepEqual([...conflicted], ['default/young']);
  assert.equal(addressesFor(old, p, conflicted.has('default/old')), undefined);
  assert.deepEqual(addressesFor(young, p, conflicted.has('default/young')), [
    { value: '240.240.0.3', host: 'y.test' },
    { value: '2001:2::2', host: 'y.test' },
  ]);
});

test('the pools: canonical text, the end of the range, going round once, and full', () => {
  const v6 = ipv6Pool();
  assert.equal(v6.claim('2001:2::0001', 'a'), true);
  assert.equal(v6.claim('2001:2::1', 'b'), false);
  assert.equal(v6.claim('2001:db8::1', 'b'), true, 'an address outside the range is nobody’s business');
  assert.equal(v6.allocate('a'), '2001:2::2');
  const v4 = ipv4Pool();
  assert.equal(v4.claim('240.240.255.255', 'x'), true);
  assert.equal(v4.claim('240.241.0.1', 'x'), true);
  for (let i = 1; i < 65535; i++) assert.ok(v4.allocate('y'));
  assert.equal(v4.allocate('y'), undefined);
});
