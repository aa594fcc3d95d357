import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KObject } from '../../../../../../src/api/types.js';
import { referencedResourceNotFound, virtualServiceHostNotFoundInGateway } from '../../../../../../src/addons/istio/istiod/analyzer/messages.js';
import { eventMessage, messagesByObject, statusPatch } from '../../../../../../src/addons/istio/istiod/analyzer/status.js';

const vs = (status?: unknown): KObject => ({ apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'r', namespace: 'default' }, spec: {}, ...(status ? { status } : {}) } as KObject);

test('validationMessages carry the AnalysisMessageBase: documentation URL, level and code', () => {
  const patch = statusPatch(vs(), [referencedResourceNotFound('host', 'ratings'), virtualServiceHostNotFoundInGateway(['a'], 'default/r', 'default/gw')]);
  assert.deepEqual(patch, {
    status: {
      validationMessages: [
        { documentationUrl: 'https://istio.io/v1.26/docs/reference/config/analysis/ist0101/', level: 'ERROR', type: { code: 'IST0101' } },
        { documentationUrl: 'https://istio.io/v1.26/docs/reference/config/analysis/ist0132/', level: 'WARNING', type: { code: 'IST0132' } },
      ],
    },
  });
});

test('status is written only when it changes, and cleared when the messages are gone', () => {
  const written = statusPatch(vs(), [referencedResourceNotFound('host', 'ratings')])!.status;
  assert.equal(statusPatch(vs(written), [referencedResourceNotFound('host', 'other')]), undefined);
  assert.deepEqual(statusPatch(vs(written), []), { status: { validationMessages: null } });
  assert.equal(statusPatch(vs(), []), undefined);
});

test('every analyzed object gets an entry; events read as istioctl analyze prints a message', () => {
  const a = vs();
  const m = referencedResourceNotFound('host', 'ratings');
  assert.deepEqual([...messagesByObject([a], [{ resource: a, message: m }])], [['VirtualService/default/r', [m]]]);
  assert.equal(eventMessage(m), 'Error [IST0101] Referenced host not found: "ratings"');
});
