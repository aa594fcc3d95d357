import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { argvFor, cpuTicks, freePort, get, rawRequest, start, unchunk, waitForOutput, waitForPort } from '../helpers.js';

const EXPECTED_ECHO = '/work/shared/scenarios/001-echoserver-nodeport/expected-echo.txt';

function udp(port: number, message: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = createSocket('udp4');
    s.on('message', (m) => {
      s.close();
      resolve(m.toString());
    });
    s.on('error', reject);
    s.send(message, port, '127.0.0.1');
  });
}

test('echoserver:1.4 prints the request in the layout of expected-echo.txt', async () => {
  const port = await freePort();
  const server = start(argvFor('registry.k8s.io/echoserver:1.4'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    const expected = readFileSync(EXPECTED_ECHO, 'utf8');
    // Send exactly the browser's request headers from the expected page.
    const headerLines = expected.split('HEADERS RECEIVED:\n')[1].split('\nBODY:')[0].split('\n');
    const request = `GET / HTTP/1.1\r\n${headerLines.map((l) => l.replace('=', ': ')).join('\r\n').replace('connection: keep-alive', 'connection: close')}\r\n\r\n`;
    const response = await rawRequest(port, request);
    const [head, chunked] = response.split('\r\n\r\n');
    assert.match(head, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(head, /\r\nServer: echoserver\r\n/);
    assert.match(head, /\r\nContent-Type: text\/plain\r\n/);
    assert.match(head, /\r\nTransfer-Encoding: chunked$/);
    const page = unchunk(chunked);
    const want = expected
      .replace('client_address=192.168.65.3', 'client_address=127.0.0.1')
      .replace('request_uri=http://localhost:8080/', `request_uri=http://localhost:${port}/`)
      .replace('connection=keep-alive', 'connection=close');
    // The real server prints the body with ngx.print: no newline after it (the file was saved from a browser).
    assert.equal(page, want.replace(/\n$/, ''));

    const post = await get(`http://127.0.0.1:${port}/p/q?x=1`, { method: 'POST', body: 'hello body' });
    assert.match(post.body, /\ncommand=POST\nreal path=\/p\/q\?x=1\nquery=x=1\n/);
    assert.match(post.body, /\nrequest_uri=http:\/\/127\.0\.0\.1:\d+\/p\/q\?x=1\n/);
    assert.ok(post.body.endsWith('\nBODY:\nhello body'), post.body);
  } finally {
    await server.stop();
  }
});

test('echoserver on SIGTERM answers connections that still arrive, then exits once none has come for a moment', async () => {
  const port = await freePort();
  const server = start(argvFor('registry.k8s.io/echoserver:1.4'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    server.child.kill('SIGTERM');
    // The Service's rules may still send new connections while the endpoint is being removed.
    for (let i = 0; i < 5; i++) assert.equal((await get(`http://127.0.0.1:${port}/after-term-${i}`, { headers: { connection: 'close' } })).status, 200);
    assert.deepEqual(await server.exited, { code: 0, signal: null });
  } finally {
    await server.stop();
  }
});

test('hashicorp/http-echo answers TEXT and a newline on -listen, and /health', async () => {
  const port = await freePort();
  const server = start(argvFor('hashicorp/http-echo', undefined, [`-listen=:${port}`, '-text=v1']));
  try {
    await waitForPort(port, server);
    const r = await get(`http://127.0.0.1:${port}/anything`);
    assert.equal(r.status, 200);
    assert.equal(r.body, 'v1\n');
    assert.equal(r.headers.get('x-app-name'), 'http-echo');
    assert.equal(r.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal((await get(`http://127.0.0.1:${port}/health`)).body, '{"status":"ok"}\n');
    assert.match(server.stdout(), /"GET \/anything HTTP\/1\.1" 200 3 /);
  } finally {
    await server.stop();
  }
  const missing = start(argvFor('hashicorp/http-echo'));
  assert.equal((await missing.exited).code, 127);
  assert.equal(missing.stderr(), 'Missing -text option or ECHO_TEXT env var!\n');
});

test("hashicorp/http-echo on SIGTERM shuts down as Go's server does: idle keep-alive connections close, a new one still gets its answer (then closes), and it exits 2", async () => {
  const port = await freePort();
  const server = start(argvFor('hashicorp/http-echo', undefined, [`-listen=:${port}`, '-text=v1']));
  try {
    await waitForPort(port, server);
    const open = (): Promise<net.Socket> =>
      new Promise((resolve, reject) => {
        const s = net.connect(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
    const ended = (s: net.Socket): Promise<string> =>
      new Promise((resolve) => {
        let got = '';
        s.on('data', (d: Buffer) => (got += d.toString('latin1')));
        s.once('close', () => resolve(got));
      });
    const request = 'GET / HTTP/1.1\r\nHost: echo\r\n\r\n';
    const used = await open();
    const usedEnd = ended(used);
    used.write(request);
    // The answer is in once the log line is written after it.
    await waitForOutput(server, 'stdout', /"GET \/ HTTP\/1\.1" 200/);
    const fresh = await open();
    const freshEnd = ended(fresh);
    server.child.kill('SIGTERM');
    await waitForOutput(server, 'stderr', /received interrupt, shutting down/);
    fresh.write(request);
    const answer = await freshEnd;
    assert.match(answer, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(answer, /\r\nConnection: close\r\n/i);
    assert.match(answer, /\r\n\r\nv1\n$/);
    assert.equal((await usedEnd).match(/HTTP\/1\.1 200/g)?.length, 1, 'the idle connection closed with only its first answer');
    assert.deepEqual(await server.exited, { code: 2, signal: null });
  } finally {
    await server.stop();
  }
});

test('agnhost netexec: HTTP endpoints and the UDP protocol', async () => {
  const http = await freePort();
  const udpPort = await freePort();
  const server = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', `--http-port=${http}`, `--udp-port=${udpPort}`]));
  try {
    await waitForPort(http, server);
    const base = `http://127.0.0.1:${http}`;
    assert.equal((await get(`${base}/hostname`)).body, hostname());
    assert.equal((await get(`${base}/echo?msg=x`)).body, 'x');
    const coded = await get(`${base}/echo?msg=gone&code=503`);
    assert.deepEqual([coded.status, coded.body], [503, 'gone']);
    assert.match((await get(`${base}/clientip`)).body, /^127\.0\.0\.1:\d+$/);
    assert.match((await get(`${base}/`)).body, /^NOW: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d(\.\d+)? \+0000 UTC m=\+\d+\.\d{9}$/);
    const shell = await get(`${base}/shell?cmd=${encodeURIComponent('echo hi; echo "<b>" >&2')}`);
    assert.equal(shell.body, '{"output":"hi\\n\\u003cb\\u003e\\n"}');
    assert.equal((await get(`${base}/shell?cmd=exit%203`)).body, '{"error":"exit status 3"}');
    assert.equal(await udp(udpPort, 'hostname'), hostname());
    assert.equal(await udp(udpPort, 'echo Hello'), 'hello');
    assert.match(await udp(udpPort, 'clientip\n'), /^127\.0\.0\.1:\d+$/);
    // /healthz is 200 once the UDP server is up (it answered above).
    const health = await get(`${base}/healthz`);
    assert.deepEqual([health.status, health.body], [200, '']);
    const dial = await get(`${base}/dial?request=hostname&protocol=udp&host=127.0.0.1&port=${udpPort}&tries=2`);
    assert.equal(dial.body, JSON.stringify({ responses: [hostname(), hostname()] }));
    const dialHttp = await get(`${base}/dial?request=echo%3Fmsg%3Dok&host=127.0.0.1&port=${http}`);
    assert.equal(dialHttp.body, '{"responses":["ok"]}');
    assert.match(server.stderr(), /^\d{4}\/\d\d\/\d\d \d\d:\d\d:\d\d Started HTTP server on port \d+$/m);
  } finally {
    await server.stop();
  }
});

test('agnhost netexec without UDP server is not healthy; unknown subcommands fail like cobra', async () => {
  const http = await freePort();
  const server = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['netexec', `--http-port=${http}`, '--udp-port=-1']));
  try {
    await waitForPort(http, server);
    assert.equal((await get(`http://127.0.0.1:${http}/healthz`)).status, 412);
  } finally {
    await server.stop();
  }
  const bad = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['nope']));
  assert.equal((await bad.exited).code, 1);
  assert.equal(bad.stderr(), `Error: unknown command "nope" for "agnhost"\nRun 'agnhost --help' for usage.\n`);
});

test('agnhost serve-hostname and pause', async () => {
  const port = await freePort();
  const server = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39', undefined, ['serve-hostname', '--port', String(port)]));
  try {
    await waitForPort(port, server);
    assert.equal((await get(`http://127.0.0.1:${port}/`)).body, hostname());
  } finally {
    await server.stop();
  }
  const pause = start(argvFor('registry.k8s.io/e2e-test-images/agnhost:2.39'));
  // SIGTERM the moment "Paused" arrives: the line promises that the handlers are in place.
  const paused = new Promise<void>((resolve) => pause.child.stdout!.on('data', () => pause.stdout().includes('Paused') && resolve()));
  await Promise.race([paused, pause.exited.then((r) => assert.fail(`pause exited early: ${JSON.stringify(r)} ${pause.stderr()}`))]);
  pause.child.kill('SIGTERM');
  assert.equal((await pause.exited).code, 2);
});

test('nginx serves the default welcome page byte for byte and nginx 404 pages', async () => {
  const port = await freePort();
  const server = start(argvFor('nginx:1.27'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    const r = await get(`http://127.0.0.1:${port}/`);
    assert.equal(r.status, 200);
    assert.equal(r.headers.get('server'), 'nginx/1.27.5');
    assert.equal(r.headers.get('content-type'), 'text/html');
    assert.equal(r.headers.get('content-length'), '615');
    assert.ok(r.body.startsWith('<!DOCTYPE html>\n<html>\n<head>\n<title>Welcome to nginx!</title>\n'));
    assert.ok(r.body.endsWith('<p><em>Thank you for using nginx.</em></p>\n</body>\n</html>\n'));
    assert.equal((await get(`http://127.0.0.1:${port}/index.html`)).body, r.body);
    const missing = await get(`http://127.0.0.1:${port}/nope`);
    assert.equal(missing.status, 404);
    assert.equal(
      missing.body,
      '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx/1.27.5</center>\r\n</body>\r\n</html>\r\n',
    );
    assert.match(server.stdout(), /"GET \/ HTTP\/1\.1" 200 615 "-" "node" "-"\n/);
  } finally {
    await server.stop();
  }
});

test('hpa-example burns CPU per request and replies OK!', async () => {
  const port = await freePort();
  const server = start(argvFor('registry.k8s.io/hpa-example'), { SKIFF_IMAGE_TEST_PORT: String(port) });
  try {
    await waitForPort(port, server);
    const cpu = () => cpuTicks(server.child.pid!);
    const before = cpu();
    for (let i = 0; i < 5; i++) {
      const r = await get(`http://127.0.0.1:${port}/api`);
      assert.deepEqual([r.status, r.body], [200, 'OK!']);
    }
    // 5 requests × 40 ms of CPU each: at least 15 ticks whatever the machine's speed.
    assert.ok(cpu() - before >= 15, `cpu ticks used: ${cpu() - before}`);
  } finally {
    await server.stop();
  }
});
