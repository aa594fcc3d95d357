import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEY_USAGE, issueCertificate, privateKeyPem } from '../../../../src/cluster/x509.js';
import { parseDelay, parseStatusCode, parseWeightedChoices, weightedChoice } from '../../../../src/images/servers/httpbin-routes.js';
import { argvFor, freePort, get, rawRequest, start, waitForOutput, waitForPort } from '../helpers.js';

test("go-httpbin's /status and /delay arguments, and their errors in its words", () => {
  assert.equal(parseStatusCode('418'), 418);
  assert.deepEqual(parseStatusCode('abc'), { error: 'invalid status code: "abc": strconv.Atoi: parsing "abc": invalid syntax' });
  assert.deepEqual(parseStatusCode('600'), { error: 'invalid status code: 600 not in range [100, 599]' });
  const choices = parseWeightedChoices('200:0.9,503:0.1');
  assert.deepEqual(choices, [{ choice: 200, weight: 0.9 }, { choice: 503, weight: 0.1 }]);
  assert.equal(weightedChoice(choices as never, 0.5), 200);
  assert.equal(weightedChoice(choices as never, 0.95), 503);
  assert.deepEqual(parseWeightedChoices('200,503'), [{ choice: 200, weight: 1 }, { choice: 503, weight: 1 }]);
  assert.deepEqual(parseWeightedChoices('200:x,503'), { error: 'invalid weight value: "x"' });
  assert.deepEqual(parseWeightedChoices('ok:1,503'), { error: 'invalid choice value: "ok"' });
  assert.equal(parseDelay('1.5s', 10_000), 1.5e9);
  assert.equal(parseDelay('3', 10_000), 3e9);
  assert.equal(parseDelay('0.25', 10_000), 0.25e9);
  assert.deepEqual(parseDelay('11', 10_000), { error: 'duration 11s longer than 10s' });
  assert.deepEqual(parseDelay('-1s', 10_000), { error: 'duration -1s shorter than 0s' });
  assert.deepEqual(parseDelay('soon', 10_000), { error: 'strconv.ParseFloat: parsing "soon": invalid syntax' });
});

test('mccutchen/go-httpbin answers /get, /headers, /ip, /anything, /status and /delay with its JSON', async () => {
  const port = await freePort();
  const server = start(argvFor('docker.io/mccutchen/go-httpbin:v2.15.0'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    const base = `http://127.0.0.1:${port}`;
    const raw = await rawRequest(port, `GET /get?b=2&a=1&a=3 HTTP/1.1\r\nHost: httpbin:8000\r\nx-request-id: abc\r\nConnection: close\r\n\r\n`);
    const [head, body] = raw.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nContent-Type: application\/json; charset=utf-8\r\n/);
    assert.match(head, /\r\nAccess-Control-Allow-Origin: \*\r\n/);
    const origin = JSON.parse(body).origin as string;
    assert.match(origin, /^127\.0\.0\.1:\d+$/);
    assert.equal(
      body,
      '{\n  "args": {\n    "a": [\n      "1",\n      "3"\n    ],\n    "b": [\n      "2"\n    ]\n  },\n' +
        '  "headers": {\n    "Connection": [\n      "close"\n    ],\n    "Host": [\n      "httpbin:8000"\n    ],\n    "X-Request-Id": [\n      "abc"\n    ]\n  },\n' +
        `  "method": "GET",\n  "origin": "${origin}",\n  "url": "http://httpbin:8000/get?b=2&a=1&a=3"\n}\n`,
    );
    const ip = await get(`${base}/ip`, { headers: { 'x-forwarded-for': '10.1.2.3, 10.0.0.1' } });
    assert.equal(ip.body, '{\n  "origin": "10.1.2.3"\n}\n');
    assert.deepEqual(JSON.parse((await get(`${base}/headers`, { headers: { 'x-b3-traceid': 't' } })).body).headers['X-B3-Traceid'], ['t']);
    const anything = JSON.parse((await get(`${base}/anything/x?q=1`, { method: 'PUT', body: '{"k":[1]}', headers: { 'content-type': 'application/json' } })).body);
    assert.deepEqual([anything.method, anything.url, anything.data, anything.json, anything.form, anything.files], ['PUT', `http://127.0.0.1:${port}/anything/x?q=1`, '{"k":[1]}', { k: [1] }, {}, {}]);
    const teapot = await get(`${base}/status/418`);
    assert.deepEqual([teapot.status, teapot.body, teapot.headers.get('x-more-info')], [418, "I'm a teapot!", 'http://tools.ietf.org/html/rfc2324']);
    const codes = new Set<number>();
    for (let i = 0; i < 40 && codes.size < 2; i++) codes.add((await get(`${base}/status/200:0.5,503:0.5`)).status);
    assert.deepEqual([...codes].sort(), [200, 503]);
    const bad = await get(`${base}/status/abc`);
    assert.deepEqual([bad.status, JSON.parse(bad.body)], [400, { status_code: 400, error: 'Bad Request', detail: 'invalid status code: "abc": strconv.Atoi: parsing "abc": invalid syntax' }]);
    const delayed = await get(`${base}/delay/0.1`);
    assert.equal(delayed.status, 200);
    assert.equal(delayed.headers.get('server-timing'), 'initial_delay;dur=100.00;desc="initial delay"');
    assert.equal(JSON.parse((await get(`${base}/delay/11`)).body).detail, 'invalid duration: duration 11s longer than 10s');
    const missing = await get(`${base}/nope`);
    assert.deepEqual([missing.status, missing.body], [404, '404 page not found\n']);
    const wrong = await get(`${base}/get`, { method: 'POST', body: 'x' });
    assert.deepEqual([wrong.status, wrong.headers.get('allow'), wrong.body], [405, 'GET, HEAD', 'Method Not Allowed\n']);
    const preflight = await get(`${base}/get`, { method: 'OPTIONS', headers: { origin: 'http://a.example', 'access-control-request-headers': 'x-y' } });
    assert.deepEqual(
      [preflight.status, preflight.headers.get('access-control-allow-origin'), preflight.headers.get('access-control-allow-headers')],
      [200, 'http://a.example', 'x-y'],
    );
    await waitForOutput(server, 'stderr', /msg="418 GET/);
    assert.match(server.stderr(), /^time=\S+ level=INFO msg="go-httpbin listening on http:\/\/0\.0\.0\.0:8080"$/m);
    assert.match(server.stderr(), /^time=\S+ level=WARN msg="418 GET \/status\/418 [\d.]+ms" status=418 method=GET uri=\/status\/418 size_bytes=13 duration_ms=[\d.e-]+ user_agent=node client_ip=127\.0\.0\.1:\d+$/m);
  } finally {
    await server.stop();
  }
});

test('mccutchen/go-httpbin serves HTTPS given -https-cert-file and -https-key-file, and refuses one without the other', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'skiff-httpbin-tls-'));
  const keys = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const now = Date.now();
  const cert = issueCertificate(
    { subject: [['CN', 'localhost']], publicKey: keys.publicKey, notBefore: new Date(now - 60_000), notAfter: new Date(now + 3600_000), ca: false, keyUsage: KEY_USAGE.digitalSignature, extendedKeyUsage: ['serverAuth'], dnsNames: ['localhost'] },
    keys.privateKey,
  );
  writeFileSync(join(dir, 'tls.crt'), cert);
  writeFileSync(join(dir, 'tls.key'), privateKeyPem(keys.privateKey));
  const port = await freePort();
  const server = start(argvFor('docker.io/mccutchen/go-httpbin:v2.15.0', undefined, ['/bin/go-httpbin', '-https-cert-file', join(dir, 'tls.crt'), '-https-key-file', join(dir, 'tls.key')]), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    const status = await new Promise<number>((resolve, reject) =>
      https.get({ host: '127.0.0.1', port, servername: 'localhost', path: '/status/418', ca: cert }, (res) => resolve(res.resume().statusCode ?? 0)).on('error', reject),
    );
    assert.equal(status, 418);
    const url = await new Promise<string>((resolve, reject) =>
      https.get({ host: '127.0.0.1', port, servername: 'localhost', path: '/get', ca: cert, headers: { host: 'localhost' } }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d));
        res.on('end', () => resolve(JSON.parse(body).url as string));
      }).on('error', reject),
    );
    assert.equal(url, 'https://localhost/get');
    assert.match(server.stderr(), /msg="go-httpbin listening on https:\/\/0\.0\.0\.0:8080"/);
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
  const half = start(argvFor('docker.io/mccutchen/go-httpbin:v2.15.0', undefined, ['/bin/go-httpbin', '-https-cert-file', '/x.crt']));
  assert.equal((await half.exited).code, 2);
  assert.match(half.stderr(), /^error: https cert and key must both be provided\n/);
});

test('kennethreitz/httpbin runs the same endpoints under gunicorn on port 80, as its CMD says', async () => {
  const port = await freePort();
  const server = start(argvFor('docker.io/kennethreitz/httpbin'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    await waitForOutput(server, 'stderr', /Using worker/);
    assert.match(server.stderr(), /\[INFO\] Starting gunicorn 19\.9\.0\n.*\[INFO\] Listening at: http:\/\/0\.0\.0\.0:80 \(\d+\)\n.*\[INFO\] Using worker: gevent\n/);
    assert.equal((await get(`http://127.0.0.1:${port}/status/503`)).status, 503);
  } finally {
    await server.stop();
  }
  // Istio's older samples give their own gunicorn command with an access log on stdout.
  const logged = start(argvFor('docker.io/istio/httpbin', ['gunicorn', '--access-logfile', '-', '-b', '0.0.0.0:80', 'httpbin:app']), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, logged);
    await get(`http://127.0.0.1:${port}/get`);
    await waitForOutput(logged, 'stdout', /\n$/);
    assert.match(logged.stdout(), /^127\.0\.0\.1 - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/get HTTP\/1\.1" 200 \d+ "-" "node"\n$/);
  } finally {
    await logged.stop();
  }
  const bad = start(argvFor('docker.io/kennethreitz/httpbin', ['gunicorn', '--nope']));
  assert.equal((await bad.exited).code, 2);
  assert.equal(bad.stderr(), 'usage: gunicorn [OPTIONS] [APP_MODULE]\ngunicorn: error: unrecognized arguments: --nope\n');
});
