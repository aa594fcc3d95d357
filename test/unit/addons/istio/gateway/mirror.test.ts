import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { mirrored, sendShadow, shadowHost } from '../../../../../src/addons/istio/gateway/mirror.js';

test("-shadow goes on the host name, before a port, as Envoy's shadowAppendedHost", () => {
  assert.equal(shadowHost('httpbin'), 'httpbin-shadow');
  assert.equal(shadowHost('httpbin:8000'), 'httpbin-shadow:8000');
  assert.equal(shadowHost('[::1]:80'), '[::1]-shadow:80');
});

test('mirrorPercentage: every request at 100, a share of them below', () => {
  assert.equal(mirrored(100, () => 0.9999), true);
  assert.equal(mirrored(25, () => 0.2), true);
  assert.equal(mirrored(25, () => 0.3), false);
  assert.equal(mirrored(0, () => 0), false);
});

test('the copy reaches the mirror with its body, the shadow host and connection: close; its answer is dropped', async (t) => {
  let received = '';
  const got = new Promise<string>((resolve) => {
    const server = net.createServer((s) => {
      s.on('data', (d) => {
        received += d.toString('latin1');
        if (received.endsWith('hello')) {
          s.end('HTTP/1.1 500 Internal Server Error\r\ncontent-length: 0\r\n\r\n');
          resolve(received);
        }
      });
    });
    t.after(() => server.close());
    server.listen(0, '127.0.0.1', () => {
      const port = (server.address() as net.AddressInfo).port;
      const shadow = sendShadow({ address: '127.0.0.1', port, key: `127.0.0.1:${port}` }, 'POST', '/post?x=1', ['host', 'httpbin:8000', 'content-length', '5', 'x-envoy-attempt-count', '1'], undefined, true);
      shadow.body(Buffer.from('hello'));
      shadow.body(null);
      shadow.abandon();
    });
  });
  const text = await got;
  assert.match(text, /^POST \/post\?x=1 HTTP\/1\.1\r\n/);
  assert.match(text, /\r\nhost: httpbin-shadow:8000\r\n/i);
  assert.match(text, /\r\nconnection: close\r\n/i);
  assert.doesNotMatch(text, /x-envoy-attempt-count/i);
});
