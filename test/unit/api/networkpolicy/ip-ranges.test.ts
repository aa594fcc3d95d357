import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseIPv4 } from '../../../../src/cluster/ipv4.js';
import { cidrRange, mergeRanges, rangeElement, subtractRanges } from '../../../../src/api/networkpolicy/ip-ranges.js';

const r = (a: string, b: string) => ({ start: parseIPv4(a)!, end: parseIPv4(b)! });

test('CIDRs: host bits masked, /0 and /32, IPv6 and garbage refused', () => {
  assert.deepEqual(cidrRange('10.1.2.3/16'), r('10.1.0.0', '10.1.255.255'));
  assert.deepEqual(cidrRange('0.0.0.0/0'), r('0.0.0.0', '255.255.255.255'));
  assert.deepEqual(cidrRange('10.0.0.7/32'), r('10.0.0.7', '10.0.0.7'));
  assert.equal(cidrRange('::/0'), undefined);
  assert.equal(cidrRange('10.0.0.256/8'), undefined);
  assert.equal(cidrRange('10.0.0.0/33'), undefined);
});

test('subtracting holes and merging', () => {
  const left = subtractRanges([cidrRange('10.0.0.0/24')!], [cidrRange('10.0.0.0/26')!, cidrRange('10.0.0.128/32')!, cidrRange('192.168.0.0/16')!]);
  assert.deepEqual(left.map(rangeElement), ['10.0.0.64-10.0.0.127', '10.0.0.129-10.0.0.255']);
  assert.deepEqual(subtractRanges([cidrRange('10.0.0.0/24')!], [cidrRange('10.0.0.0/8')!]), []);
  assert.deepEqual(mergeRanges([r('10.0.0.5', '10.0.0.5'), r('10.0.0.1', '10.0.0.4'), r('10.0.0.3', '10.0.0.9'), r('10.0.0.10', '10.0.0.10')]).map(rangeElement), [
    '10.0.0.1-10.0.0.9',
    '10.0.0.10',
  ]);
  assert.equal(rangeElement(cidrRange('0.0.0.0/0')!), '0.0.0.0-255.255.255.255');
});
