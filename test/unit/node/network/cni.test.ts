import { test } from 'node:test';
import assert from 'node:assert/strict';
import { bridgeNetworkConfig, resultIPv4 } from '../../../../src/node/network/cni.js';

test('the bridge network config of a node', () => {
  const c = bridgeNetworkConfig({ node: 'dev-node-2', index: 1, stateDir: '/h/clusters/dev/nodes/dev-node-2' });
  assert.deepEqual(c, {
    cniVersion: '1.0.0',
    name: 'skiff-dev-node-2',
    type: 'bridge',
    bridge: 'cni0',
    isGateway: true,
    ipMasq: false,
    hairpinMode: true,
    ipam: {
      type: 'host-local',
      ranges: [[{ subnet: '10.244.1.0/24', gateway: '10.244.1.1' }]],
      routes: [{ dst: '0.0.0.0/0', gw: '10.244.1.1' }],
      dataDir: '/h/clusters/dev/nodes/dev-node-2/cni',
    },
  });
});

test('the pod IP is the IPv4 address the result gives the container interface', () => {
  const result = {
    cniVersion: '1.0.0',
    interfaces: [
      { name: 'cni0', mac: 'aa' },
      { name: 'veth1234', mac: 'bb' },
      { name: 'eth0', mac: 'cc', sandbox: '/var/run/netns/skiff.dev.p.x' },
    ],
    ips: [
      { interface: 1, address: '10.244.0.99/24' },
      { interface: 2, address: 'fd00::5/64' },
      { interface: 2, address: '10.244.0.5/24', gateway: '10.244.0.1' },
    ],
  };
  assert.equal(resultIPv4(result, 'eth0'), '10.244.0.5');
  assert.equal(resultIPv4({ ips: [{ address: '10.244.3.7/24' }] }, 'eth0'), '10.244.3.7');
  assert.equal(resultIPv4({ interfaces: [] }, 'eth0'), undefined);
  assert.equal(resultIPv4(undefined, 'eth0'), undefined);
});
