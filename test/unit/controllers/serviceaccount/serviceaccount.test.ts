import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { ApiError } from '../../../../src/client/client.js';
import {
  missingServiceAccounts,
  namespaceIsActive,
  syncServiceAccounts,
  type ServiceAccountsApi,
} from '../../../../src/controllers/serviceaccount/serviceaccounts.js';

function ns(name: string, phase = 'Active', deleting = false): KObject {
  return { metadata: { name, ...(deleting ? { deletionTimestamp: '2030-01-01T00:00:00Z' } : {}) }, status: { phase } };
}

class FakeApi implements ServiceAccountsApi {
  cache = new Set<string>();
  created: KObject[] = [];
  fail?: unknown;
  exists(namespace: string, name: string) {
    return this.cache.has(`${namespace}/${name}`);
  }
  async create(_namespace: string, sa: KObject) {
    if (this.fail) throw this.fail;
    this.created.push(sa);
    return sa;
  }
  isAlreadyExists = (e: unknown) => e instanceof ApiError && e.status === 409;
  isNamespaceTerminating = (e: unknown) => e instanceof ApiError && e.status === 403;
}

test('only an Active namespace without deletionTimestamp counts as active', () => {
  assert.equal(namespaceIsActive(ns('a')), true);
  assert.equal(namespaceIsActive(ns('a', 'Terminating')), false);
  assert.equal(namespaceIsActive(ns('a', 'Active', true)), false);
  assert.equal(namespaceIsActive({ metadata: { name: 'a' } }), false);
});

test('an active namespace without default gets exactly a bare default ServiceAccount', async () => {
  const api = new FakeApi();
  const r = await syncServiceAccounts(ns('team'), api);
  assert.deepEqual(r.created, ['default']);
  assert.deepEqual(api.created, [{ apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace: 'team' } }]);
});

test('an existing default is left alone, so a second pass writes nothing', async () => {
  const api = new FakeApi();
  api.cache.add('team/default');
  assert.deepEqual((await syncServiceAccounts(ns('team'), api)).created, []);
  assert.equal(api.created.length, 0);
});

test('a default in another namespace does not count', () => {
  const exists = (n: string, name: string) => n === 'other' && name === 'default';
  assert.deepEqual(missingServiceAccounts(ns('team'), exists).map((s) => s.metadata.namespace), ['team']);
});

test('nothing is created in a terminating or vanished namespace', async () => {
  const api = new FakeApi();
  await syncServiceAccounts(ns('team', 'Terminating', true), api);
  await syncServiceAccounts(ns('team', 'Active', true), api);
  await syncServiceAccounts(undefined, api);
  assert.equal(api.created.length, 0);
});

test('AlreadyExists and namespace-terminating refusals are not failures', async () => {
  const api = new FakeApi();
  api.fail = new ApiError(409, { reason: 'AlreadyExists' }, 'creating');
  assert.deepEqual((await syncServiceAccounts(ns('team'), api)).created, []);
  api.fail = new ApiError(403, { reason: 'Forbidden' }, 'creating');
  assert.deepEqual((await syncServiceAccounts(ns('team'), api)).created, []);
});

test('other create failures are thrown naming the service account', async () => {
  const api = new FakeApi();
  api.fail = new ApiError(500, { message: 'disk full' }, 'creating serviceaccounts');
  await assert.rejects(syncServiceAccounts(ns('team'), api), /creating serviceaccount team\/default: .*disk full/);
});

test('every wanted service account is checked', () => {
  const exists = (_n: string, name: string) => name === 'a';
  assert.deepEqual(missingServiceAccounts(ns('x'), exists, ['a', 'b', 'c']).map((s) => s.metadata.name), ['b', 'c']);
});
