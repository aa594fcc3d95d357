// Scenario 001: the echo server behind NodePort 30271, opened from the host with curl's and a
// real browser's (headless Chromium) requests.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { hostAnswers, hostHttp, podNames, scenario } from './net.js';

const DIR = '001-echoserver-nodeport';
const URL = 'http://localhost:30271/';
let c: Cluster;

before(async () => {
  c = await startCluster('s001', { nodes: 2 });
  await c.ok(['apply', '-f', scenario(DIR, 'echo.yaml')]);
  await c.ok(['rollout', 'status', 'deployment/echo', '--timeout=90s']);
});
after(async () => {
  await c?.down();
});

/** The page's structure: section titles and keys in order, values left out. */
function layout(page: string): string[] {
  return page
    .trimEnd()
    .split('\n')
    .map((l) => (/^[^=]+=/.test(l) && !/^(CLIENT|SERVER|HEADERS)/.test(l) ? l.slice(0, l.indexOf('=') + 1) : l));
}

test('1. echo is a NodePort Service on 8080:30271/TCP', async () => {
  const row = (await c.ok(['get', 'svc', 'echo', '--no-headers'])).trim().split(/\s+/);
  assert.equal(row[1], 'NodePort');
  assert.equal(row[4], '8080:30271/TCP');
});

test('2. curl http://localhost:30271/ on the host shows the echo page in the expected layout', async () => {
  await waitFor(`${URL} on the host`, () => hostAnswers(URL, /CLIENT VALUES:/));
  const r = await hostHttp(URL, { headers: { 'user-agent': 'curl/8.5.0', accept: '*/*' } });
  assert.equal(r.status, 200);
  const lines = r.body.split('\n');
  assert.equal(lines[0], 'CLIENT VALUES:');
  assert.match(r.body, /^client_address=\d+\.\d+\.\d+\.\d+$/m);
  assert.match(r.body, /^request_uri=http:\/\/localhost:8080\/$/m);
  assert.match(r.body, /^host=localhost:30271$/m);
  assert.ok(r.body.endsWith('BODY:\n-no body in request-'), r.body.slice(-60));
  const headers = lines.slice(lines.indexOf('HEADERS RECEIVED:') + 1, lines.indexOf('BODY:'));
  const names = headers.map((h) => h.slice(0, h.indexOf('=')));
  assert.deepEqual(names, [...names].sort(), 'headers sorted by name');
  for (const h of headers) assert.match(h, /^[a-z0-9-]+=/, 'header names lower-cased');
  // Same sections and keys, in the same order, as the page a browser showed on a real cluster
  // (the header list follows the request, so it is compared as a sorted list above).
  const expected = layout(readFileSync(scenario(DIR, 'expected-echo.txt'), 'utf8'));
  const got = layout(r.body);
  const cut = (l: string[]) => [...l.slice(0, l.indexOf('HEADERS RECEIVED:') + 1), ...l.slice(l.indexOf('BODY:'))];
  assert.deepEqual(cut(got), cut(expected));

  const post = await hostHttp(URL, { method: 'POST', body: 'hello=skiff', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  assert.match(post.body, /^command=POST$/m);
  assert.ok(post.body.endsWith('BODY:\nhello=skiff'), post.body.slice(-40));
});

/** Chromium as Debian installs it (scripts/install-deps.sh --test), or undefined. */
function chromium(): string | undefined {
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) {
    try {
      readFileSync(p, { flag: 'r' }).subarray(0, 1);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&');
}

test('3. a real browser (headless Chromium) opening the page shows the same layout', { skip: chromium() ? false : 'chromium is not installed (npm test installs it)' }, async () => {
  await waitFor(`${URL} on the host`, () => hostAnswers(URL, /CLIENT VALUES:/));
  const profile = mkdtempSync(join(tmpdir(), 'skiff-chromium-'));
  try {
    const dom = await new Promise<string>((resolve, reject) => {
      execFile(
        chromium()!,
        ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', `--user-data-dir=${profile}`, '--dump-dom', URL],
        { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
        (err, stdout, stderr) => (err ? reject(new Error(`chromium: ${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    // A text/plain page is shown inside one <pre>.
    const pre = /<pre[^>]*>([\s\S]*?)<\/pre>/.exec(dom);
    assert.ok(pre, dom.slice(0, 300));
    const page = decodeEntities(pre[1]);
    const lines = page.split('\n');
    assert.equal(lines[0], 'CLIENT VALUES:');
    assert.match(page, /^request_uri=http:\/\/localhost:8080\/$/m);
    assert.match(page, /^host=localhost:30271$/m);
    assert.match(page, /^user-agent=Mozilla\/5\.0 .*Chrome\//m);
    assert.match(page, /^connection=keep-alive$/m);
    assert.ok(page.trimEnd().endsWith('BODY:\n-no body in request-'), page.slice(-60));
    const headers = lines.slice(lines.indexOf('HEADERS RECEIVED:') + 1, lines.indexOf('BODY:'));
    const names = headers.map((h) => h.slice(0, h.indexOf('=')));
    assert.deepEqual(names, [...names].sort(), 'headers sorted by name');
    for (const n of ['accept', 'accept-encoding', 'host', 'upgrade-insecure-requests', 'user-agent']) assert.ok(names.includes(n), `${n} in ${names.join(', ')}`);
    const expected = layout(readFileSync(scenario(DIR, 'expected-echo.txt'), 'utf8'));
    const cut = (l: string[]) => [...l.slice(0, l.indexOf('HEADERS RECEIVED:') + 1), ...l.slice(l.indexOf('BODY:'))];
    assert.deepEqual(cut(layout(page)), cut(expected));
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
});

test('4. deleting an echo pod: a new pod with a new name and IP, and localhost:30271 keeps answering', async () => {
  await waitFor(`${URL} on the host`, () => hostAnswers(URL, /CLIENT VALUES:/));
  const before = await podNames(c, 'app=echo');
  const victim = before[0];
  const oldIPs = (await c.ok(['get', 'pods', '-l', 'app=echo', '-o', 'jsonpath={.items[*].status.podIP}'])).split(' ');
  let failures = 0;
  let requests = 0;
  let done = false;
  const load = (async () => {
    while (!done) {
      requests++;
      try {
        const r = await hostHttp(URL, { timeoutMs: 5000 });
        if (r.status !== 200) failures++;
      } catch {
        failures++;
      }
    }
  })();
  try {
    await c.ok(['delete', 'pod', victim]);
    await c.ok(['rollout', 'status', 'deployment/echo', '--timeout=90s']);
    await waitFor('two Ready echo pods, the deleted one gone', async () => {
      const now = await podNames(c, 'app=echo');
      return now.length === 2 && !now.includes(victim);
    });
  } finally {
    done = true;
    await load;
  }
  const after = await podNames(c, 'app=echo');
  const fresh = after.find((p) => !before.includes(p))!;
  assert.ok(fresh, 'a new pod name');
  const freshIP = (await c.ok(['get', 'pod', fresh, '-o', 'jsonpath={.status.podIP}'])).trim();
  assert.ok(!oldIPs.includes(freshIP), `new IP ${freshIP} differs from ${oldIPs.join(', ')}`);
  assert.ok(requests > 0);
  assert.equal(failures, 0, `${failures} of ${requests} requests failed`);
});

test('5. a NodePort without nodePort gets one from 30000–32767; 30271 again is refused', async () => {
  await c.ok(['create', 'service', 'nodeport', 'echo-auto', '--tcp=8080:8080']);
  const port = Number(await c.ok(['get', 'svc', 'echo-auto', '-o', 'jsonpath={.spec.ports[0].nodePort}']));
  assert.ok(port >= 30000 && port <= 32767, `nodePort ${port}`);
  const r = await c.kubectl(['create', 'service', 'nodeport', 'echo-again', '--tcp=8080:8080', '--node-port=30271']);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /spec\.ports\[0\]\.nodePort: Invalid value: 30271: provided port is already allocated/);
});
