import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileTokenSource, inClusterConfig, NotInClusterError } from '../../../src/client/in-cluster.js';

test('in-cluster config: the kubernetes Service from the env, the mounted CA, token and namespace', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-incluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'token'), 'tok-1\n');
  writeFileSync(join(dir, 'ca.crt'), 'PEM');
  writeFileSync(join(dir, 'namespace'), 'kube-system');
  const cfg = inClusterConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' }, dir);
  assert.equal(cfg.baseUrl, 'https://10.96.0.1:443');
  assert.equal(cfg.ca, 'PEM');
  assert.equal(cfg.namespace, 'kube-system');
  assert.equal(typeof cfg.token === 'function' && cfg.token(), 'tok-1');
  assert.equal(inClusterConfig({ KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '443' }, dir).baseUrl, 'https://[fd00::1]:443');
  assert.throws(() => inClusterConfig({ KUBERNETES_SERVICE_HOST: '10.96.0.1' }, dir), NotInClusterError);
});

test('the token file is read again once a minute has passed, and a failed read keeps the last token', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-incluster-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'token');
  writeFileSync(path, 'one');
  let now = 0;
  const token = fileTokenSource(path, 60_000, () => now);
  writeFileSync(path, 'two');
  now = 59_000;
  assert.equal(token(), 'one');
  now = 60_000;
  assert.equal(token(), 'two');
  rmSync(path);
  now = 200_000;
  assert.equal(token(), 'two');
});
