import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkDiscovery } from '../../../../src/controllers/apiservice/controller.js';
import { metricsAPIService } from '../../../../src/controllers/addons/metrics-server.js';

// The discovery check sends several requests at once, as available_controller.go does: one answer
// is enough, and only when every attempt failed is the APIService unavailable.

const ep = { ip: '10.244.0.3', port: 10250, node: 'n1' };

test('the discovery check passes when any attempt is answered, and fails with the last error when none is', async () => {
  const a = metricsAPIService();
  let n = 0;
  // Four attempts fail at once; the fifth is answered later.
  const oneAnswers = () => (++n < 5 ? Promise.resolve(`i/o timeout ${n}`) : new Promise<undefined>((r) => setImmediate(() => r(undefined))));
  assert.equal(await checkDiscovery('/nodes', a, ep, oneAnswers), undefined);
  assert.equal(n, 5);

  let m = 0;
  const noneAnswers = () => new Promise<string>((r) => setImmediate(() => r(`connection refused ${++m}`)));
  assert.equal(await checkDiscovery('/nodes', a, ep, noneAnswers), 'connection refused 5');
});
