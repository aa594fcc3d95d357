import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  MAX_NODES,
  clusterNetnsPrefix,
  cniNetworkName,
  fabricNetns,
  fabricVethName,
  inPodCIDR,
  netnsPath,
  nodeAddress,
  nodeNetns,
  podCIDR,
  podGateway,
  podNetns,
  validateClusterName,
} from '../../../../src/node/network/names.js';

test('namespace names carry the cluster name and share its prefix', () => {
  assert.equal(fabricNetns('skiff'), 'skiff.skiff.fabric');
  assert.equal(nodeNetns('skiff', 0), 'skiff.skiff.n1');
  assert.equal(nodeNetns('dev', 2), 'skiff.dev.n3');
  assert.equal(podNetns('dev', '4f1c2a9e-1b2c-4d5e-8f90-123456789abc'), 'skiff.dev.p.4f1c2a9e-1b2c');
  for (const n of [fabricNetns('dev'), nodeNetns('dev', 0), podNetns('dev', 'abc')]) assert.ok(n.startsWith(clusterNetnsPrefix('dev')));
  // A cluster whose name extends another's does not share its prefix.
  assert.ok(!nodeNetns('dev-2', 0).startsWith(clusterNetnsPrefix('dev')));
  assert.equal(netnsPath('skiff.dev.n1'), '/var/run/netns/skiff.dev.n1');
});

test('node addresses and pod CIDRs follow the node index', () => {
  assert.equal(nodeAddress(0), '172.18.0.2');
  assert.equal(nodeAddress(1), '172.18.0.3');
  assert.equal(podCIDR(0), '10.244.0.0/24');
  assert.equal(podCIDR(7), '10.244.7.0/24');
  assert.equal(podGateway(7), '10.244.7.1');
  assert.equal(nodeAddress(MAX_NODES - 1), '172.18.0.254');
  assert.throws(() => nodeAddress(MAX_NODES), /invalid node index 253/);
  assert.throws(() => podCIDR(-1), /invalid node index -1/);
  assert.throws(() => nodeNetns('dev', 1.5), /invalid node index 1.5/);
});

test('inPodCIDR checks the node pod range', () => {
  assert.ok(inPodCIDR(1, '10.244.1.5'));
  assert.ok(!inPodCIDR(1, '10.244.0.5'));
  assert.ok(!inPodCIDR(1, '10.245.1.5'));
  assert.ok(!inPodCIDR(1, '10.244.1.256'));
});

test('fabric veth names are short, stable, and differ between nodes and clusters', () => {
  const names = new Set<string>();
  for (const c of ['skiff', 'dev', 'a-very-long-cluster-name-of-forty-chars0']) {
    for (let i = 0; i < MAX_NODES; i++) {
      const n = fabricVethName(c, i);
      assert.ok(n.length <= 15, n);
      assert.match(n, /^[a-z0-9]+$/);
      names.add(n);
    }
  }
  assert.equal(names.size, 3 * MAX_NODES);
  assert.equal(fabricVethName('dev', 3), fabricVethName('dev', 3));
});

test('cluster names must be DNS labels of at most 40 characters', () => {
  validateClusterName('skiff');
  validateClusterName('a'.repeat(40));
  assert.throws(() => validateClusterName('a'.repeat(41)), /invalid cluster name/);
  assert.throws(() => validateClusterName('a.b'), /invalid cluster name "a.b"/);
  assert.throws(() => validateClusterName('Dev'), /invalid cluster name/);
  assert.throws(() => validateClusterName(''), /invalid cluster name/);
});

test('pod UIDs and node names are checked before they reach a command line', () => {
  assert.throws(() => podNetns('dev', '../x'), /invalid pod UID/);
  assert.throws(() => podNetns('dev', ''), /invalid pod UID/);
  assert.equal(cniNetworkName('dev-node-1'), 'skiff-dev-node-1');
  assert.throws(() => cniNetworkName('a b'), /invalid node name/);
});
