import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podAPIEndpoint } from '../../../../src/cli/commands/serve.js';

// Where the kubernetes Service's endpoints point when `skiff serve` starts the API server.

test('the pod endpoint follows the cluster record: node 1 relay with nodes, none without', () => {
  const record = (nodes: number) => ({ name: 'c1', port: 40000, created: '2026-01-01T00:00:00Z', nodes, egress: 'all' });
  assert.deepEqual(podAPIEndpoint(record(2)), { ip: '172.18.0.2', port: 6443 });
  assert.equal(podAPIEndpoint(record(0)), undefined);
});
