import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from '../../../src/api/registry.js';
import type { KObject } from '../../../src/api/types.js';
import { Store } from '../../../src/storage/store.js';
import { Objects } from '../../../src/apiserver/objects.js';
import { bootstrap } from '../../../src/apiserver/bootstrap.js';
import { ApiError } from '../../../src/api/errors.js';

// The write path asks validation.istio.io after validation, on create and on update of the
// object itself: a refusal is upstream's webhook Status (400, no reason) and nothing is stored.

const dir = mkdtempSync(join(tmpdir(), 'skiff-webhook-'));
const store = Store.open(dir);
after(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});
const reg = new Registry();
const objects = new Objects(store, reg);
bootstrap(objects, '127.0.0.1:6443');
const def = reg.kind('networking.istio.io', 'VirtualService')!;

const vs = (timeout: string): KObject => ({
  apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'reviews', namespace: 'default' },
  spec: { hosts: ['reviews'], http: [{ timeout, route: [{ destination: { host: 'reviews' } }] }] },
} as KObject);

function refusal(fn: () => unknown): ApiError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ApiError) return e;
    throw e;
  }
  assert.fail('expected a refusal');
}

test('an invalid Istio object is refused with the webhook Status and not stored', () => {
  const e = refusal(() => objects.create(def, vs('1.5ms')));
  assert.equal(e.status, 400);
  assert.deepEqual(e.toStatus(), {
    kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', code: 400,
    message: 'admission webhook "validation.istio.io" denied the request: configuration is invalid: only durations to ms precision are supported',
  });
  assert.equal(store.get('networking.istio.io/virtualservices', 'default', 'reviews'), undefined);
});

test('updates are checked too, status writes are not, and warnings reach the caller', () => {
  const warnings: string[] = [];
  const created = objects.create(def, { ...vs('1s'), spec: { ...(vs('1s').spec as object), gateways: ['gw.default'] } }, { warnings });
  assert.deepEqual(warnings, ['using legacy gatewayName format "gw.default"; prefer the <namespace>/<name> format: "default/gw"']);
  const e = refusal(() => objects.update(def, { ...vs('2.5ms'), metadata: created.metadata }));
  assert.match(e.message, /^admission webhook "validation.istio.io" denied the request: configuration is invalid: /);
  const stored = JSON.parse(store.get('networking.istio.io/virtualservices', 'default', 'reviews')!.json) as KObject;
  assert.equal((stored.spec as { http: { timeout: string }[] }).http[0]!.timeout, '1s');
  const withStatus = objects.update(def, { ...stored, status: { validationMessages: [] } }, { subresource: 'status' });
  assert.deepEqual(withStatus.status, { validationMessages: [] });
});
