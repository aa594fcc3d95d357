import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveImage } from '../../../../src/images/index.js';
import { argvFor, cpuTicks, freePort, start, tempDirs, waitForOutput, waitForPort } from '../helpers.js';

test("Istio's helloworld answers /hello with its version and instance, burning CPU per request", async () => {
  const port = await freePort();
  const r = start(argvFor('registry.istio.io/release/examples-helloworld-v2:1.0'), { SKIFF_IMAGE_TEST_PORT: String(port), SERVICE_VERSION: 'v2', HOSTNAME: 'helloworld-v2-abc' });
  try {
    await waitForPort(port, r);
    await waitForOutput(r, 'stderr', /\[INFO\] Listening at: http:\/\/\[::\]:5000 \(\d+\)\n/);
    const cpu = () => cpuTicks(r.child.pid!);
    const before = cpu();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`http://127.0.0.1:${port}/hello`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('server'), 'gunicorn');
      assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(await res.text(), 'Hello version: v2, instance: helloworld-v2-abc\n');
    }
    // 3 requests × 78 ms of CPU each: at least 20 ticks whatever the machine's speed.
    assert.ok(cpu() - before >= 20, `cpu ticks used: ${cpu() - before}`);
    assert.equal(await (await fetch(`http://127.0.0.1:${port}/health`)).text(), 'Helloworld is healthy');
    const missing = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /<title>404 Not Found<\/title>/);
    assert.equal((await fetch(`http://127.0.0.1:${port}/hello`, { method: 'POST' })).status, 405);
  } finally {
    await r.stop();
  }
});

test('the helloworld image sets SERVICE_VERSION per version, as its build argument does', async () => {
  for (const [image, version] of [['docker.io/istio/examples-helloworld-v1', 'v1'], ['registry.istio.io/release/examples-helloworld-v2:1.0', 'v2']]) {
    const r = resolveImage(image, tempDirs());
    assert.ok(r.ok);
    assert.equal(r.image.env?.SERVICE_VERSION, version);
    assert.deepEqual(r.image.cmd, ['gunicorn', '-b', '[::]:5000', 'app:app', '-k', 'gevent']);
  }
});
