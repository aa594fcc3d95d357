import assert from 'node:assert/strict';
import { test } from 'node:test';
import { discoveryAddress } from '../../../../../src/addons/istio/gateway/main.js';

test("istiod's address: PROXY_CONFIG's discoveryAddress with its port, else istiod's Service on the secure xDS port", () => {
  assert.deepEqual(discoveryAddress({ PROXY_CONFIG: '{"discoveryAddress":"istiod.istio-system.svc:15012"}' }), { host: 'istiod.istio-system.svc', port: 15012 });
  assert.deepEqual(discoveryAddress({ PROXY_CONFIG: '{"discoveryAddress":"istiod-canary.istio-system.svc:16012"}' }), { host: 'istiod-canary.istio-system.svc', port: 16012 });
  assert.deepEqual(discoveryAddress({}), { host: 'istiod.istio-system.svc', port: 15012 });
  assert.deepEqual(discoveryAddress({ PROXY_CONFIG: '{"discoveryAddress":"istiod.istio-system.svc"}' }), { host: 'istiod.istio-system.svc', port: 15012 });
  assert.deepEqual(discoveryAddress({ PROXY_CONFIG: 'not json' }), { host: 'istiod.istio-system.svc', port: 15012 });
});
