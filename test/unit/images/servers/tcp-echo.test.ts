import { test } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { resolveImage } from '../../../../src/images/index.js';
import { argvFor, freePort, start, tempDirs, waitForOutput, waitForPort } from '../helpers.js';

/** What the server sends back on one connection to `port` for `sent`, written and then half-closed as `nc` does at the end of its input. */
function exchange(port: number, sent: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: '127.0.0.1', port });
    let got = '';
    s.setEncoding('utf8');
    s.on('data', (d: string) => (got += d));
    s.on('end', () => resolve(got));
    s.on('error', reject);
    s.end(sent);
  });
}

test("Istio's tcp-echo answers each line on each of its ports with its prefix, and logs both", async () => {
  const [a, b] = [await freePort(), await freePort()];
  const r = start(argvFor('docker.io/istio/tcp-echo-server:1.2', undefined, [`${a},${b}`, 'one']));
  try {
    await waitForPort(a, r);
    await waitForPort(b, r);
    await waitForOutput(r, 'stdout', new RegExp(`listening on \\[::\\]:${b}, prefix: one\\n`));
    assert.equal(await exchange(a, 'hello\nworld\n'), 'one hello\none world\n');
    assert.equal(await exchange(b, 'Mon Nov 12 23:24:57 UTC 2018\nno newline'), 'one Mon Nov 12 23:24:57 UTC 2018\n', 'a last line without its newline gets no answer');
    await waitForOutput(r, 'stdout', /request: hello\nresponse: one hello\n/);
  } finally {
    await r.stop();
  }
});

test('tcp-echo: a port taken or missing arguments end it as the Go program ends', async () => {
  const taken = net.createServer();
  await new Promise<void>((resolve) => taken.listen(0, () => resolve()));
  const port = (taken.address() as net.AddressInfo).port;
  try {
    const r = start(argvFor('docker.io/istio/tcp-echo-server:1.2', undefined, [String(port), 'one']));
    assert.equal((await r.exited).code, 1);
    assert.equal(r.stdout(), `failed to create listener, err: listen tcp :${port}: bind: address already in use\n`);
  } finally {
    taken.close();
  }
  const bare = start(argvFor('docker.io/istio/tcp-echo-server:1.2', undefined, ['9000']));
  assert.equal((await bare.exited).code, 2);
  assert.match(bare.stderr(), /^panic: runtime error: index out of range \[2\] with length 2\n/);
});

test("the tcp-echo image is the Dockerfile's: /bin/tcp-echo 9000 hello", () => {
  const r = resolveImage('istio/tcp-echo-server', tempDirs());
  assert.ok(r.ok);
  assert.deepEqual(r.image.entrypoint, ['/bin/tcp-echo']);
  assert.deepEqual(r.image.cmd, ['9000', 'hello']);
});
