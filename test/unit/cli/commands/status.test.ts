import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatUptime } from '../../../../src/cli/commands/status.js';
import { contextName } from '../../../../src/cluster/home.js';

test('uptime is printed as kubectl prints ages', () => {
  assert.equal(formatUptime(0), '0s');
  assert.equal(formatUptime(59), '59s');
  assert.equal(formatUptime(192), '3m12s');
  assert.equal(formatUptime(7500), '2h5m');
  assert.equal(formatUptime(3 * 86400 + 4 * 3600 + 59), '3d4h');
});

test('kubeconfig names: skiff for the default cluster, skiff-<name> for the others', () => {
  assert.equal(contextName('skiff'), 'skiff');
  assert.equal(contextName('dev'), 'skiff-dev');
});
