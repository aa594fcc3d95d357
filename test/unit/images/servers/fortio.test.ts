import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { echoDelay, echoStatus } from '../../../../src/images/servers/fortio-echo.js';
import { Histogram, parsePercentiles, printHistogram } from '../../../../src/images/servers/fortio-stats.js';
import { rootPlan } from '../../../../src/images/root-plan.js';
import { hostProgramsDir } from '../../../../src/images/root-mounts.js';
import { argvFor, freePort, rawRequest, start, waitForOutput, waitForPort } from '../helpers.js';

const FORTIO = 'docker.io/fortio/fortio:latest_release';

test("fortio's histogram: buckets of the resolution, cumulative percents, interpolated percentiles", () => {
  const h = new Histogram(0, 0.001);
  for (const v of [0.0005, 0.0015, 0.0035, 0.0035]) h.record(v);
  assert.equal(
    printHistogram(h.export([50, 90]), 'Aggregated Function Time'),
    'Aggregated Function Time : count 4 avg 0.00225 +/- 0.001299 min 0.0005 max 0.0035 sum 0.009\n' +
      '# range, mid point, percentile, count\n' +
      '>= 0.0005 <= 0.001 , 0.00075 , 25.00, 1\n' +
      '> 0.001 <= 0.002 , 0.0015 , 50.00, 1\n' +
      '> 0.003 <= 0.0035 , 0.00325 , 100.00, 2\n' +
      '# target 50% 0.002\n' +
      '# target 90% 0.0034\n',
  );
  assert.equal(printHistogram(new Histogram(0, 0.001).export([50]), 'Error cases'), 'Error cases : no data\n');
  assert.deepEqual(parsePercentiles('50, 99.9'), [50, 99.9]);
  assert.deepEqual(parsePercentiles('100'), { error: 'percentile 100 must be > 0 and < 100' });
});

test('the echo server picks weighted statuses and delays from the remaining percent', () => {
  assert.equal(echoStatus('503'), 503);
  assert.equal(echoStatus('abc'), 400);
  assert.equal(echoStatus('503:50,429:10', 0.3), 503);
  assert.equal(echoStatus('503:50,429:10', 0.55), 429);
  assert.equal(echoStatus('503:50,429:10', 0.9), 200);
  assert.equal(echoStatus('503:60,429:50'), 400);
  assert.equal(echoDelay('250ms'), 250);
  assert.equal(echoDelay('10s'), 1500);
  assert.equal(echoDelay('1s:50', 0.9), 0);
});

test('fortio server echoes bodies, honours status=, header= and serves /debug', async () => {
  const port = await freePort();
  const server = start(argvFor(FORTIO, undefined, ['server', '-tcp-port', 'disabled', '-udp-port', 'disabled', '-redirect-port', 'disabled']), {
    SKIFF_IMAGE_TEST_PORT: String(port),
  });
  try {
    await waitForPort(port, server);
    const echoed = await fetch(`http://127.0.0.1:${port}/any/path?header=X-Test:yes`, { method: 'POST', body: 'hello', headers: { 'content-type': 'text/plain' } });
    assert.equal(echoed.status, 200);
    assert.equal(echoed.headers.get('x-test'), 'yes');
    assert.equal(echoed.headers.get('content-type'), 'text/plain');
    assert.equal(await echoed.text(), 'hello');
    assert.equal((await fetch(`http://127.0.0.1:${port}/?status=503`)).status, 503);
    // close= ends the connection after the answer (the exchange below ends only if it does).
    const closed = await rawRequest(port, 'GET /?close=true HTTP/1.1\r\nHost: fortio\r\n\r\n');
    assert.match(closed, /^HTTP\/1\.1 200 OK\r\n/);
    assert.match(closed, /\r\nConnection: close\r\n/);
    const sized = await fetch(`http://127.0.0.1:${port}/?size=10`);
    assert.equal((await sized.arrayBuffer()).byteLength, 10);
    const debug = await (await fetch(`http://127.0.0.1:${port}/debug`)).text();
    assert.match(debug, /^Φορτίο version 1\.75\.2 echo debug server up for \S+ on \S+ - request from 127\.0\.0\.1:\d+\n\nGET \/debug HTTP\/1\.1\n\nheaders:\n\nHost: 127\.0\.0\.1:\d+\n/);
    await waitForOutput(server, 'stderr', /servers started/);
    assert.match(server.stderr(), /"msg":"Fortio 1\.75\.2 http-echo server listening on tcp \[::\]:\d+"/);
  } finally {
    await server.stop();
  }
});

/** A server whose every third answer is a 503, as an overloaded upstream's. */
async function flaky(): Promise<{ port: number; close: () => Promise<void> }> {
  let n = 0;
  const server = createServer((req, res) => {
    req.resume();
    n++;
    if (n % 3 === 0) res.writeHead(503, { 'content-length': '19' }).end('no healthy upstream');
    else res.writeHead(200, { 'content-length': '2' }).end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as { port: number }).port, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

test("fortio load prints fortio's summary: codes with percents, sockets, percentiles, All done", async () => {
  const upstream = await flaky();
  try {
    const url = `http://127.0.0.1:${upstream.port}/get`;
    const run = start(argvFor(FORTIO, undefined, ['load', '-c', '1', '-qps', '0', '-n', '9', '-loglevel', 'Warning', url]));
    assert.deepEqual(await run.exited, { code: 0, signal: null });
    const out = run.stderr();
    assert.match(out, /"msg":"Log level is now 3 Warning \(was 2 Info\)"/);
    assert.match(out, new RegExp(`^Fortio 1\\.75\\.2 running at 0 queries per second, (\\d+)->\\1 procs, for 9 calls: ${url.replace(/[./]/g, '\\$&')}$`, 'm'));
    assert.match(out, /^Starting at max qps with 1 thread\(s\) \[gomax \d+\] for exactly 9 calls \(9 per thread \+ 0\)$/m);
    assert.equal(out.match(/"level":"warn",.*"msg":"Non ok http code","code":503,"status":"HTTP\/1\.1 503"/g)?.length, 3);
    assert.match(out, /^Ended after \S+ : 9 calls\. qps=[\d.e+]+$/m);
    assert.match(out, /^Aggregated Function Time : count 9 avg \S+ \+\/- \S+ min \S+ max \S+ sum \S+\n# range, mid point, percentile, count\n>= /m);
    assert.match(out, /^# target 50% \S+\n# target 75% \S+\n# target 90% \S+\n# target 99% \S+\n# target 99\.9% \S+\nError cases : count 3 /m);
    // Each 503 closes its socket: three sockets for one thread.
    assert.match(out, /^\[0\]   3 socket used, resolved to 127\.0\.0\.1:\d+, connection timing : count 3 /m);
    assert.match(out, /^Sockets used: 3 \(for perfect keepalive, would be 1\)\nUniform: false, Jitter: false, Catchup allowed: true\nIP addresses distribution:\n127\.0\.0\.1:\d+: 3\n/m);
    assert.match(out, /^Code 200 : 6 \(66\.7 %\)\nCode 503 : 3 \(33\.3 %\)\n/m);
    assert.match(out, /^Response Header Sizes : count 9 avg \S+ \+\/- \S+ min 0 max \d+ sum \d+$/m);
    assert.match(out, /^All done 9 calls \(plus 0 warmup\) \d+\.\d{3} ms avg, \d+\.\d qps\n$/m);

    // At a qps the threads pace their calls and the sleep times are reported; -c 2 -n 10: 5 each.
    const paced = start(argvFor(FORTIO, undefined, ['load', '-c', '2', '-qps', '200', '-n', '10', '-loglevel', 'Warning', url]));
    assert.equal((await paced.exited).code, 0);
    assert.match(paced.stderr(), /^Starting at 200 qps with 2 thread\(s\) \[gomax \d+\] : exactly 10, 5 calls each \(total 10 \+ 0\)$/m);
    assert.match(paced.stderr(), /^All done 10 calls \(plus 0 warmup\) /m);
  } finally {
    await upstream.close();
  }
});

test('fortio curl prints the headers on stderr and the body on stdout; a non-200 fails', async () => {
  const upstream = await flaky();
  try {
    const ok = start(argvFor(FORTIO, undefined, ['curl', `http://127.0.0.1:${upstream.port}/`]));
    assert.equal((await ok.exited).code, 0);
    assert.equal(ok.stdout(), 'ok');
    assert.match(ok.stderr(), /^HTTP\/1\.1 200 OK\r\n/m);
    await (await fetch(`http://127.0.0.1:${upstream.port}/`)).text();
    const failed = start(argvFor(FORTIO, undefined, ['curl', `http://127.0.0.1:${upstream.port}/`]));
    assert.equal((await failed.exited).code, 1);
    assert.match(failed.stderr(), /"msg":"Error status 503"/);
    // -quiet, as Istio's circuit-breaking task runs it: the headers and the body still, errors still logged.
    const quiet = start(argvFor(FORTIO, undefined, ['curl', '-quiet', `http://127.0.0.1:${upstream.port}/`]));
    assert.equal((await quiet.exited).code, 0);
    assert.equal(quiet.stdout(), 'ok');
    assert.match(quiet.stderr(), /^HTTP\/1\.1 200 OK\r\n/);
    // Under -quiet a load's 503s are counted, not logged as warnings (-loglevel is applied first, as Go parses it).
    const quietLoad = start(argvFor(FORTIO, undefined, ['load', '-loglevel', 'Debug', '-quiet', '-c', '1', '-qps', '0', '-n', '6', `http://127.0.0.1:${upstream.port}/`]));
    assert.equal((await quietLoad.exited).code, 0);
    assert.match(quietLoad.stderr(), /"msg":"Log level is now 0 Debug \(was 2 Info\)"/);
    assert.doesNotMatch(quietLoad.stderr(), /Non ok http code/);
    assert.match(quietLoad.stderr(), /^Code 503 : 2 \(33\.3 %\)$/m);
  } finally {
    await upstream.close();
  }
});

test('the image has /usr/bin/fortio, a file node runs, so that kubectl exec finds the program', async () => {
  const entry = rootPlan('fortio/fortio', { programsAt: hostProgramsDir() }).find((e) => e.path === '/usr/bin/fortio');
  assert.ok(entry && entry.type === 'file', 'no /usr/bin/fortio in the root');
  assert.equal(entry.mode, 0o755);
  assert.match(entry.content, /^#!\/usr\/local\/bin\/node\n/);
  // Run the same file on the host, with the host's node in the #! line.
  const dir = mkdtempSync(join(tmpdir(), 'skiff-fortio-'));
  try {
    const file = join(dir, 'fortio');
    writeFileSync(file, entry.content.replace(/^#!\S+/, `#!${process.execPath}`));
    chmodSync(file, 0o755);
    const version = start([file, 'version']);
    assert.deepEqual(await version.exited, { code: 0, signal: null });
    assert.equal(version.stdout(), '1.75.2\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('fortio sends -H headers (Host: replaces the host) and refuses the flags it does not do', async () => {
  const seen: Record<string, string | string[] | undefined>[] = [];
  const upstream = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    res.end('ok');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  try {
    const port = (upstream.address() as { port: number }).port;
    const r = start(argvFor(FORTIO, undefined, ['curl', '-H', 'X-Canary: true', '-H', 'Host: reviews.example', `http://127.0.0.1:${port}/`]));
    assert.equal((await r.exited).code, 0);
    assert.deepEqual([seen[0]?.host, seen[0]?.['x-canary'], seen[0]?.['user-agent']], ['reviews.example', 'true', 'fortio.org/fortio-1.75.2']);
    const json = start(argvFor(FORTIO, undefined, ['load', '-json', '-', `http://127.0.0.1:${port}/`]));
    assert.equal((await json.exited).code, 1);
    assert.match(json.stderr(), /Error: -json is not supported by skiff's built-in fortio/);
    assert.equal(seen.length, 1);
  } finally {
    await new Promise((resolve) => upstream.close(resolve));
  }
});
