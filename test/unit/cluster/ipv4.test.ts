import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cidrRange, formatPrefix, ipv4InCIDR, parseIPv4, parsePrefix, prefixBlock, prefixContains } from '../../../src/cluster/ipv4.js';

test('prefixes: host bits cleared, a bare address is a /32, malformed ones refused', () => {
  assert.deepEqual(parsePrefix('10.1.2.3/16'), { base: parseIPv4('10.1.0.0'), len: 16 });
  assert.equal(formatPrefix(parsePrefix('192.0.2.7')!), '192.0.2.7/32');
  assert.equal(formatPrefix(parsePrefix('0.0.0.0/0')!), '0.0.0.0/0');
  for (const bad of ['10.0.0.0/33', '10.0.0.0/', '10.0.0.0/8/9', '10.0.0.256/8', '::/0', '10.0.0.0/ 8']) assert.equal(parsePrefix(bad), undefined, bad);
  assert.ok(prefixContains(parsePrefix('10.0.0.0/8')!, parsePrefix('10.2.0.0/16')!));
  assert.ok(!prefixContains(parsePrefix('10.2.0.0/16')!, parsePrefix('10.0.0.0/8')!));
});

test('membership and blocks', () => {
  assert.ok(ipv4InCIDR('127.0.0.53', '127.0.0.0/8'));
  assert.ok(ipv4InCIDR('192.0.2.7', '192.0.2.7'));
  assert.ok(!ipv4InCIDR('192.0.2.8', '192.0.2.7'));
  assert.ok(!ipv4InCIDR('::1', '0.0.0.0/0'));
  assert.deepEqual(prefixBlock(parsePrefix('0.0.0.0/0')!), { start: 0, end: 2 ** 32 - 1 });
  assert.deepEqual(prefixBlock(parsePrefix('10.0.0.7/32')!), { start: parseIPv4('10.0.0.7'), end: parseIPv4('10.0.0.7') });
});

test('the allocator range leaves out the network and broadcast addresses, and takes 1-30 bit prefixes only', () => {
  assert.deepEqual(cidrRange('10.96.0.5/12'), { cidr: '10.96.0.0/12', first: parseIPv4('10.96.0.1'), size: 2 ** 20 - 2 });
  for (const bad of ['10.96.0.0', '10.96.0.0/0', '10.96.0.0/31', 'x/12']) assert.throws(() => cidrRange(bad), /not an IPv4 CIDR with a prefix of 1-30 bits/, bad);
});
