import { test } from 'node:test';
import assert from 'node:assert/strict';
import { endpointsPrinter } from '../../../../src/api/printers/endpoints.js';
import { endpointSlicePrinter } from '../../../../src/api/printers/endpointslice.js';
import { ingressClassPrinter, ingressPrinter } from '../../../../src/api/printers/ingress.js';
import { networkPolicyPrinter } from '../../../../src/api/printers/networkpolicy.js';
import { servicePrinter } from '../../../../src/api/printers/service.js';
import { MINUTE, NOW, SECOND, ago, obj } from './helpers.js';

// Expected cells from upstream TestPrintService, TestPrintServiceLoadBalancer, TestPrintEndpoint,
// TestPrintEndpointSlice, TestPrintIngress, TestPrintIngressClass and TestPrintNetworkPolicy.

function svc(spec: Record<string, unknown>, status?: Record<string, unknown>): unknown[] {
  return servicePrinter.cells(obj({ name: 'test' }, { spec, status }), NOW);
}

test('services: type, cluster IP, external IP, ports, selector', () => {
  assert.deepEqual(svc({ type: 'ClusterIP', ports: [{ protocol: 'tcp', port: 2233 }], clusterIPs: ['10.9.8.7'], selector: { foo: 'bar' } }), [
    'test',
    'ClusterIP',
    '10.9.8.7',
    '<none>',
    '2233/tcp',
    '<unknown>',
    'foo=bar',
  ]);
  assert.deepEqual(svc({ type: 'NodePort', ports: [{ protocol: 'tcp', port: 8888, nodePort: 9999 }], clusterIPs: ['10.9.8.7'] }).slice(0, 6), [
    'test',
    'NodePort',
    '10.9.8.7',
    '<none>',
    '8888:9999/tcp',
    '<unknown>',
  ]);
  assert.deepEqual(svc({ type: 'LoadBalancer', ports: [{ protocol: 'tcp', port: 8888 }], clusterIPs: ['10.9.8.7'] }).slice(3, 5), ['<pending>', '8888/tcp']);
  assert.equal(svc({ type: 'LoadBalancer', clusterIPs: ['10.9.8.7'], externalIPs: ['80.11.12.10'] })[3], '80.11.12.10');
  assert.equal(
    svc({ type: 'LoadBalancer', clusterIPs: ['10.9.8.7'], externalIPs: ['80.11.12.10'] }, { loadBalancer: { ingress: [{ ip: '3.4.5.6', hostname: 'test.cluster.com' }] } })[3],
    '3.4.5.6,80.11.12.10',
  );
  assert.equal(
    svc(
      { type: 'LoadBalancer', clusterIPs: ['10.9.8.7'], externalIPs: ['80.11.12.10', '80.11.12.11'] },
      { loadBalancer: { ingress: [{ ip: '2.3.4.5', hostname: 'test.cluster.local' }, { ip: '3.4.5.6', hostname: 'test.cluster.com' }] } },
    )[3],
    '2.3.4.5,3.4.5.6,80.11.12.10,80.11.12.11',
  );
  assert.deepEqual(svc({ type: 'ExternalName', externalName: 'my.database.example.com' }).slice(0, 6), [
    'test',
    'ExternalName',
    '<none>',
    'my.database.example.com',
    '<none>',
    '<unknown>',
  ]);
  // the apiserver prints wide, so long load-balancer lists are not elided
  assert.deepEqual(
    svc(
      {
        type: 'LoadBalancer',
        clusterIPs: ['1.5.6.7'],
        ports: [{ port: 80, protocol: 'TCP' }, { port: 8090, protocol: 'UDP' }, { port: 8000, protocol: 'TCP' }],
        selector: { foo: 'bar' },
      },
      { loadBalancer: { ingress: [{ ip: '2.3.4.5' }, { ip: '3.4.5.6' }, { ip: '5.6.7.8', hostname: 'host5678' }] } },
    ),
    ['test', 'LoadBalancer', '1.5.6.7', '2.3.4.5,3.4.5.6,5.6.7.8', '80/TCP,8090/UDP,8000/TCP', '<unknown>', 'foo=bar'],
  );
  assert.equal(svc({ type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] })[2], 'None');
  assert.equal(svc({ type: 'ClusterIP', clusterIPs: ['10.0.0.1'] })[6], '<none>');
});

test('endpoints: <none>, no ports, ip:port pairs and the "+ N more..." tail', () => {
  const ep = (subsets: unknown, created: string) => endpointsPrinter.cells(obj({ name: 'e', creationTimestamp: created }, { subsets }), NOW);
  assert.deepEqual(ep(undefined, ago(-1.9 * SECOND)), ['e', '<none>', '0s']);
  assert.deepEqual(ep([{ addresses: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8' }] }], ago(5 * MINUTE)), ['e', '1.2.3.4,5.6.7.8', '5m']);
  assert.deepEqual(ep([{ addresses: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8' }], ports: [{ port: 8001, protocol: 'tcp' }] }], ago(0)), [
    'e',
    '1.2.3.4:8001,5.6.7.8:8001',
    '0s',
  ]);
  assert.deepEqual(
    ep([{ addresses: [{ ip: '1.2.3.4' }, { ip: '5.6.7.8' }, { ip: '9.8.7.6' }, { ip: '6.6.6.6' }], ports: [{ port: 8001, protocol: 'tcp' }] }], ago(0)),
    ['e', '1.2.3.4:8001,5.6.7.8:8001,9.8.7.6:8001 + 1 more...', '0s'],
  );
  assert.equal(ep([{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }], ago(0))[1], '[fd00::1]:80');
});

test('endpointslices: address type, ports, endpoints', () => {
  const es = (rest: Record<string, unknown>) => endpointSlicePrinter.cells(obj({ name: 's', creationTimestamp: ago(5 * MINUTE) }, rest), NOW);
  assert.deepEqual(
    es({ addressType: 'IPv4', ports: [{ name: 'http', port: 80, protocol: 'TCP' }], endpoints: [{ addresses: ['10.1.2.3', '2001:db8::1234:5678'] }] }),
    ['s', 'IPv4', '80', '10.1.2.3,2001:db8::1234:5678', '5m'],
  );
  assert.deepEqual(
    es({
      addressType: 'IPv4',
      ports: [
        { name: 'http', port: 80 },
        { name: 'https', port: 443 },
        { name: 'extra1', port: 3000 },
        { name: 'extra2', port: 3001 },
      ],
      endpoints: [{ addresses: ['10.1.2.3', '2001:db8::1234:5678'] }, { addresses: ['10.2.3.4', '2001:db8::2345:6789'] }],
    }),
    ['s', 'IPv4', '80,443,3000 + 1 more...', '10.1.2.3,2001:db8::1234:5678,10.2.3.4 + 1 more...', '5m'],
  );
  assert.deepEqual(es({ addressType: 'IPv4', ports: [{ name: 'dns' }, {}] }).slice(1, 4), ['IPv4', 'dns,*', '<unset>']);
});

test('ingresses: class, hosts, address, ports', () => {
  const ing = (spec: Record<string, unknown>, status?: Record<string, unknown>) =>
    ingressPrinter.cells(obj({ name: 'test1', creationTimestamp: ago(10 * 365 * 24 * 60 * MINUTE) }, { spec, status }), NOW);
  assert.deepEqual(
    ing(
      { ingressClassName: 'foo', defaultBackend: { service: { name: 'default-backend', port: { name: 'default-backend' } } } },
      { loadBalancer: { ingress: [{ ip: '2.3.4.5', hostname: 'localhost.localdomain' }] } },
    ),
    ['test1', 'foo', '*', '2.3.4.5', '80', '10y'],
  );
  assert.deepEqual(ing({ rules: [{ host: 'a.example.com' }, { host: 'b.example.com' }], tls: [{ hosts: ['a.example.com'] }] }).slice(1, 5), [
    '<none>',
    'a.example.com,b.example.com',
    '',
    '80, 443',
  ]);
  assert.equal(ing({ rules: [{ host: 'a' }, { host: 'b' }, { host: 'c' }, { host: 'd' }, {}] })[2], 'a,b,c + 2 more...');
});

test('ingressclasses: controller and parameters', () => {
  const ic = (spec: Record<string, unknown>) => ingressClassPrinter.cells(obj({ name: 'test1', creationTimestamp: ago(11 * 365 * 24 * 60 * MINUTE) }, { spec }), NOW);
  assert.deepEqual(ic({ controller: 'example.com/controller', parameters: { kind: 'customgroup', name: 'example' } }), [
    'test1',
    'example.com/controller',
    'customgroup/example',
    '11y',
  ]);
  assert.equal(ic({ controller: 'c', parameters: { apiGroup: 'example.com', kind: 'customgroup', name: 'example' } })[2], 'customgroup.example.com/example');
  assert.equal(ic({ controller: 'c' })[2], '<none>');
});

test('networkpolicies: pod selector', () => {
  const np = (spec: Record<string, unknown>) => networkPolicyPrinter.cells(obj({ name: 'p', creationTimestamp: ago(0) }, { spec }), NOW);
  assert.deepEqual(np({}), ['p', '<none>', '0s']);
  assert.deepEqual(np({ podSelector: {} }), ['p', '<none>', '0s']);
  assert.deepEqual(np({ podSelector: { matchLabels: { foo: 'bar' } } }), ['p', 'foo=bar', '0s']);
  assert.equal(
    np({ podSelector: { matchLabels: { tier: 'web' }, matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'dev'] }, { key: 'x', operator: 'DoesNotExist' }] } })[1],
    'env in (dev,prod),tier=web,!x',
  );
});
