import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allocatableHosts, entryIPv4Addresses, hostIPv4Addresses, shouldAutoAllocate } from '../../../src/api/istio-addresses.js';
import type { KObject } from '../../../src/api/types.js';

const entry = (spec: Record<string, unknown>, labels?: Record<string, string>, status?: unknown): KObject =>
  ({ apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { namespace: 'default', name: 'e', ...(labels ? { labels } : {}) }, spec, ...(status ? { status } : {}) }) as KObject;

test("shouldV2AutoAllocateIP: not for resolution NONE (the default), nor with addresses of its own, nor with the label's opt-out", () => {
  assert.equal(shouldAutoAllocate(entry({ hosts: ['a.test'], resolution: 'DNS' })), true);
  assert.equal(shouldAutoAllocate(entry({ hosts: ['a.test'], resolution: 'STATIC' }, { 'networking.istio.io/enable-autoallocate-ip': 'true' })), true);
  assert.equal(shouldAutoAllocate(entry({ hosts: ['a.test'] })), false);
  assert.equal(shouldAutoAllocate(entry({ hosts: ['a.test'], resolution: 'DNS', addresses: ['192.0.2.1'] })), false);
  assert.equal(shouldAutoAllocate(entry({ hosts: ['a.test'], resolution: 'DNS' }, { 'networking.istio.io/enable-autoallocate-ip': 'FALSE' })), false);
});

test('the hosts given addresses: each once, wildcards only with DYNAMIC_DNS', () => {
  assert.deepEqual(allocatableHosts(entry({ hosts: ['a.test', '*.b.test', 'a.test', 'c.test'], resolution: 'DNS' })), ['a.test', 'c.test']);
  assert.deepEqual(allocatableHosts(entry({ hosts: ['*.b.test'], resolution: 'DYNAMIC_DNS' })), ['*.b.test']);
});

test("a host's IPv4 addresses: the entry's own single ones for every host, else istiod's for that host", () => {
  const status = { addresses: [{ host: 'a.test', value: '240.240.0.1' }, { host: 'a.test', value: '2001:2::1' }, { host: 'c.test', value: '240.240.0.2' }, { value: 'junk' }] };
  const auto = entry({ hosts: ['a.test', 'c.test'], resolution: 'DNS' }, undefined, status);
  assert.deepEqual(hostIPv4Addresses(auto, 'a.test'), ['240.240.0.1']);
  assert.deepEqual(entryIPv4Addresses(auto), ['240.240.0.1', '240.240.0.2']);
  // Addresses of its own win; a status left from before is not read.
  const own = entry({ hosts: ['a.test', 'c.test'], resolution: 'DNS', addresses: ['192.0.2.1/32', '192.0.2.0/24'] }, undefined, status);
  assert.deepEqual(hostIPv4Addresses(own, 'c.test'), ['192.0.2.1']);
  assert.deepEqual(entryIPv4Addresses(entry({ hosts: ['a.test'], resolution: 'DNS' }, { 'networking.istio.io/enable-autoallocate-ip': 'false' }, status)), []);
});
