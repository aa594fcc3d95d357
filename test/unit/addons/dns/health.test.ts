import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'undici';
import { startHealthEndpoints } from '../../../../src/addons/dns/health.js';
import { createServer } from 'node:net';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

test('/health is OK at once; /ready is 503 naming the plugin until it is ready, then OK', async (t) => {
  const [hp, rp] = [await freePort(), await freePort()];
  let synced = false;
  const h = await startHealthEndpoints({ health: { host: '127.0.0.1', port: hp }, ready: { host: '127.0.0.1', port: rp }, notReady: () => (synced ? [] : ['kubernetes']) });
  t.after(() => h.close());
  const get = async (port: number, path: string) => {
    const r = await request(`http://127.0.0.1:${port}${path}`);
    return { status: r.statusCode, body: await r.body.text() };
  };
  assert.deepEqual(await get(hp, '/health'), { status: 200, body: 'OK' });
  assert.deepEqual(await get(rp, '/ready'), { status: 503, body: 'kubernetes\n' });
  synced = true;
  assert.deepEqual(await get(rp, '/ready'), { status: 200, body: 'OK' });
  assert.equal((await get(hp, '/other')).status, 404);
});

test('a port in use fails with the address in the message', async (t) => {
  const port = await freePort();
  const first = await startHealthEndpoints({ health: { host: '127.0.0.1', port }, notReady: () => [] });
  t.after(() => first.close());
  await assert.rejects(startHealthEndpoints({ health: { host: '127.0.0.1', port }, notReady: () => [] }), new RegExp(`listening for /health on 127.0.0.1:${port}: .*EADDRINUSE`));
});
