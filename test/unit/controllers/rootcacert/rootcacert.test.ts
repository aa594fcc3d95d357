import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../src/api/types.js';
import { ApiError } from '../../../../src/client/client.js';
import {
  DESCRIPTION,
  DESCRIPTION_ANNOTATION,
  ROOT_CA_CONFIGMAP,
  rootCAAction,
  syncRootCA,
  type RootCAApi,
} from '../../../../src/controllers/rootcacert/publisher.js';

const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

function ns(name: string, phase = 'Active'): KObject {
  return { metadata: { name }, status: { phase } };
}

function published(namespace: string, extra: Partial<KObject> = {}): KObject {
  return {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: ROOT_CA_CONFIGMAP, namespace, resourceVersion: '7', annotations: { [DESCRIPTION_ANNOTATION]: DESCRIPTION } },
    data: { 'ca.crt': CA },
    ...extra,
  };
}

class FakeApi implements RootCAApi {
  created: KObject[] = [];
  updated: KObject[] = [];
  failCreate?: unknown;
  async create(_ns: string, cm: KObject) {
    if (this.failCreate) throw this.failCreate;
    this.created.push(cm);
    return cm;
  }
  async update(cm: KObject) {
    this.updated.push(cm);
    return cm;
  }
  isNamespaceGone = (e: unknown) => e instanceof ApiError && (e.status === 404 || e.status === 403);
  isAlreadyExists = (e: unknown) => e instanceof ApiError && e.status === 409 && e.body.reason === 'AlreadyExists';
}

test('the description is upstream text, word for word', () => {
  assert.equal(DESCRIPTION_ANNOTATION, 'kubernetes.io/description');
  assert.equal(
    DESCRIPTION,
    'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
  );
});

test('a namespace without the ConfigMap gets one with the CA and the description', () => {
  const a = rootCAAction(ns('team'), undefined, CA);
  assert.ok(a && 'create' in a);
  assert.deepEqual(a.create, {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'kube-root-ca.crt', namespace: 'team', annotations: { 'kubernetes.io/description': DESCRIPTION } },
    data: { 'ca.crt': CA },
  });
});

test('a ConfigMap in order is left alone', () => {
  assert.equal(rootCAAction(ns('team'), published('team'), CA), undefined);
});

test('edited data is restored, extra keys dropped, labels and other annotations kept', () => {
  const edited = published('team', { data: { 'ca.crt': 'tampered', extra: 'x' } });
  edited.metadata.labels = { keep: 'me' };
  edited.metadata.annotations = { other: 'y' };
  const a = rootCAAction(ns('team'), edited, CA);
  assert.ok(a && 'update' in a);
  assert.deepEqual(a.update.data, { 'ca.crt': CA });
  assert.deepEqual(a.update.metadata.annotations, { other: 'y', [DESCRIPTION_ANNOTATION]: DESCRIPTION });
  assert.deepEqual(a.update.metadata.labels, { keep: 'me' });
  assert.equal(a.update.metadata.resourceVersion, '7', 'the update carries the cached version for optimistic concurrency');
  assert.equal((edited.data as Record<string, string>)['ca.crt'], 'tampered', 'the cached object is not modified');
});

test('a missing data map or an emptied description is restored; a reworded one is tolerated as upstream', () => {
  assert.ok(rootCAAction(ns('t'), published('t', { data: undefined }), CA));
  const emptied = published('t');
  emptied.metadata.annotations = { [DESCRIPTION_ANNOTATION]: '' };
  assert.ok(rootCAAction(ns('t'), emptied, CA));
  const reworded = published('t');
  reworded.metadata.annotations = { [DESCRIPTION_ANNOTATION]: 'mine' };
  assert.equal(rootCAAction(ns('t'), reworded, CA), undefined);
});

test('nothing is published in a terminating or unknown namespace', () => {
  assert.equal(rootCAAction(ns('t', 'Terminating'), undefined, CA), undefined);
  assert.equal(rootCAAction({ metadata: { name: 't', deletionTimestamp: '2030-01-01T00:00:00Z' }, status: { phase: 'Active' } }, undefined, CA), undefined);
  assert.equal(rootCAAction(undefined, undefined, CA), undefined);
});

test('sync creates, updates, and then has nothing to do', async () => {
  const api = new FakeApi();
  assert.equal(await syncRootCA(ns('team'), undefined, CA, api), 'created');
  assert.equal(await syncRootCA(ns('team'), published('team', { data: {} }), CA, api), 'updated');
  assert.equal(await syncRootCA(ns('team'), published('team'), CA, api), 'unchanged');
  assert.equal(api.created.length, 1);
  assert.equal(api.updated.length, 1);
});

test('a create refused for a gone or terminating namespace, or racing our cache, is not retried', async () => {
  const api = new FakeApi();
  for (const e of [
    new ApiError(404, { reason: 'NotFound' }, 'creating'),
    new ApiError(403, { reason: 'Forbidden' }, 'creating'),
    new ApiError(409, { reason: 'AlreadyExists' }, 'creating'),
  ]) {
    api.failCreate = e;
    assert.equal(await syncRootCA(ns('team'), undefined, CA, api), 'unchanged');
  }
  api.failCreate = new ApiError(500, { message: 'boom' }, 'creating configmaps');
  await assert.rejects(syncRootCA(ns('team'), undefined, CA, api), /boom/);
});
