import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { formatFieldError } from '../../../../src/api/validation/field.js';
import { validators } from '../../../../src/api/validation/index.js';

const check = (kind: string, spec: unknown): string[] =>
  validators[`networking.istio.io/${kind}`]!({ apiVersion: 'networking.istio.io/v1', kind, metadata: { name: 'x', namespace: 'default' }, spec } as KObject).map(formatFieldError);

test('the CRD schemas: required fields, enums and minimums', () => {
  assert.deepEqual(check('DestinationRule', { subsets: [{ labels: {} }] }), ['spec.host: Required value', 'spec.subsets[0].name: Required value']);
  assert.deepEqual(check('DestinationRule', { host: 'r', trafficPolicy: { loadBalancer: { simple: 'FASTEST' } } }), [
    'spec.trafficPolicy.loadBalancer.simple: Unsupported value: "FASTEST": supported values: "UNSPECIFIED", "LEAST_CONN", "RANDOM", "PASSTHROUGH", "ROUND_ROBIN", "LEAST_REQUEST"',
  ]);
  assert.deepEqual(check('ServiceEntry', { hosts: ['a.com'], resolution: 'MAGIC' }), ['spec.resolution: Unsupported value: "MAGIC": supported values: "NONE", "STATIC", "DNS", "DNS_ROUND_ROBIN"']);
  assert.deepEqual(check('Gateway', { servers: [{ hosts: ['*'], port: { number: -1, name: 'http' } }] }), [
    'spec.servers[0].port.protocol: Required value',
    'spec.servers[0].port.number: Invalid value: -1: spec.servers[0].port.number in body should be greater than or equal to 0',
  ]);
  assert.deepEqual(check('VirtualService', { hosts: ['r'], http: [{ route: [{ destination: {} }] }] }), ['spec.http[0].route[0].destination.host: Required value']);
});

test('the CRD rules (x-kubernetes-validations): durations, ports, endpoints', () => {
  assert.deepEqual(check('VirtualService', { hosts: ['r'], http: [{ timeout: 'soon', route: [{ destination: { host: 'r' } }] }] }), [
    'spec.http[0].timeout: Invalid value: "string": must be a valid duration greater than 1ms',
  ]);
  assert.deepEqual(check('DestinationRule', { host: 'r', subsets: [{ name: 'v1', trafficPolicy: { outlierDetection: { interval: '0s' } } }] }), [
    'spec.subsets[0].trafficPolicy.outlierDetection.interval: Invalid value: "string": must be a valid duration greater than 1ms',
  ]);
  assert.deepEqual(check('ServiceEntry', { hosts: ['*'], ports: [{ number: 0, name: 'p' }], resolution: 'NONE', endpoints: [{ address: '1.1.1.1' }] }), [
    'spec: Invalid value: "object": NONE mode cannot set endpoints',
    'spec.hosts[0]: Invalid value: "string": hostname cannot be wildcard',
    'spec.ports[0].number: Invalid value: "integer": port must be between 1-65535',
  ]);
  assert.deepEqual(check('ServiceEntry', { hosts: ['a.com'], ports: [{ number: 80, name: 'a' }, { number: 80, name: 'b' }] }), [
    'spec.ports: Invalid value: "array": port number cannot be duplicated',
  ]);
  assert.deepEqual(check('VirtualService', 'nope'), ['spec: Invalid value: "string": spec in body must be of type object: "string"']);
});
