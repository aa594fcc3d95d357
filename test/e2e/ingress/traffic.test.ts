// Traffic through the ingress as the issue tries it: a canary Ingress at weight 20 receiving
// 20% ± 3 of the requests, canary by header and by cookie, a rolling update of the backend under
// steady load with no failed request, and a WebSocket echo. Two nodes, so the ingress reaches pods
// on the other node too.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { Agent, request } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { ROOT, waitFor, type Cluster } from '../harness.js';
import { applyObjects, backend, echoApp, ingress, ingressAddress, rolledOut, startIngressCluster } from './ingress.js';

let c: Cluster;
let ip = '';
const agent = new Agent({ keepAlive: true, maxSockets: 16 });

before(async () => {
  ({ c, lb: ip } = await startIngressCluster('ing-traffic', 2));
});
after(async () => {
  agent.destroy();
  await c?.down();
});

interface Reply {
  status: number;
  body: string;
}

/** One GET through the ingress on a pooled keep-alive connection, as a load tool sends it. */
function send(host: string, path: string, headers: Record<string, string> = {}, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: ip, port: 80, path, agent, headers: { host, ...headers }, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: body.trim() }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${host}${path}: no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}

/** How many of `n` requests, `parallel` at a time, each backend answered. */
async function tally(n: number, host: string, headers: Record<string, string> = {}, parallel = 1): Promise<Record<string, number>> {
  const seen: Record<string, number> = {};
  let sent = 0;
  const client = async () => {
    while (sent < n) {
      sent++;
      const r = await send(host, '/', headers);
      const k = r.status === 200 ? r.body : `status ${r.status}`;
      seen[k] = (seen[k] ?? 0) + 1;
    }
  };
  await Promise.all(Array.from({ length: parallel }, client));
  return seen;
}

const rule = (host: string, svc: string) => ({ rules: [{ host, http: { paths: [{ path: '/', pathType: 'Prefix', backend: backend(svc) }] } }] });

// The check is 20% ± 3 of 1,000 requests. Each request picks the canary at random, as
// ingress-nginx's balancer does, so of 1,000 the count has a standard deviation of 12.6 and lands
// outside ± 30 in about 1.8% of correct runs (a CI run saw 245). Of 4,000 the same ± 3% is
// 4.7 standard deviations: a correct proxy stays inside it, a weight of 17 or 23 does not.
test('canary by weight 20: 20% ± 3 of 4,000 requests; by header and by cookie, header first', async () => {
  await c.ok(['apply', '-f', '-'], `${echoApp('stable')}---\n${echoApp('canary')}`);
  await rolledOut(c, ['stable', 'canary']);
  await applyObjects(c, [
    ingress('main', rule('canary.test', 'stable')),
    ingress('main-canary', rule('canary.test', 'canary'), {
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '20',
      'nginx.ingress.kubernetes.io/canary-by-header': 'X-Canary',
      'nginx.ingress.kubernetes.io/canary-by-cookie': 'use_canary',
    }),
  ]);
  await ingressAddress(c, 'main');
  await waitFor('the canary in service', async () => (await send('canary.test', '/', { 'x-canary': 'always' })).body === 'canary');

  const counts = await tally(4000, 'canary.test', {}, 8);
  assert.deepEqual(Object.keys(counts).sort(), ['canary', 'stable'], JSON.stringify(counts));
  assert.ok(counts.canary! >= 680 && counts.canary! <= 920, `canary got ${counts.canary} of 4000 (want 800 ± 120)`);

  assert.deepEqual(await tally(50, 'canary.test', { 'x-canary': 'always' }), { canary: 50 });
  assert.deepEqual(await tally(50, 'canary.test', { 'x-canary': 'never' }), { stable: 50 });
  assert.deepEqual(await tally(50, 'canary.test', { cookie: 'use_canary=always' }), { canary: 50 });
  assert.deepEqual(await tally(50, 'canary.test', { cookie: 'use_canary=never' }), { stable: 50 });
  // Precedence: header, then cookie, then weight.
  assert.deepEqual(await tally(30, 'canary.test', { 'x-canary': 'never', cookie: 'use_canary=always' }), { stable: 30 });
  assert.deepEqual(await tally(30, 'canary.test', { 'x-canary': 'always', cookie: 'use_canary=never' }), { canary: 30 });
});

test('a rolling update of the backend under steady load: no failed request', async (t) => {
  await c.ok(['apply', '-f', '-'], echoApp('roll', 'roll', 3));
  await rolledOut(c, ['roll']);
  await applyObjects(c, [ingress('roll', rule('roll.test', 'roll'))]);
  await waitFor('roll.test routed', async () => (await send('roll.test', '/').catch(() => ({ body: '' }))).body === 'roll');
  const before = (await c.ok(['get', 'pods', '-l', 'app=roll', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ').sort();

  let stop = false;
  let ok = 0;
  let slowest = 0;
  const failures: string[] = [];
  const client = async () => {
    while (!stop) {
      const start = performance.now();
      try {
        // A request the ingress retries on another endpoint (after a connect timeout of 5 s at
        // worst, as ingress-nginx) is slow, not failed: the client waits longer than that.
        const r = await send('roll.test', '/', {}, 30_000);
        slowest = Math.max(slowest, performance.now() - start);
        if (r.status === 200 && r.body === 'roll') ok++;
        else failures.push(`status ${r.status}: ${r.body.slice(0, 80)}`);
      } catch (e) {
        failures.push((e as Error).message);
      }
    }
  };
  const load = Array.from({ length: 4 }, client);
  try {
    await c.ok(['set', 'image', 'deployment/roll', 'echo=hashicorp/http-echo:1.0']);
    await rolledOut(c, ['roll']);
    await c.ok(['rollout', 'restart', 'deployment/roll']);
    await rolledOut(c, ['roll']);
    await waitFor('the old pods gone', async () => {
      const now = (await c.ok(['get', 'pods', '-l', 'app=roll', '-o', 'jsonpath={.items[*].metadata.name}'])).split(' ');
      return now.length === 3 && now.every((p) => !before.includes(p));
    }, 60_000);
  } finally {
    stop = true;
    await Promise.all(load);
  }
  t.diagnostic(`${ok} requests answered during the rollouts; the slowest took ${slowest.toFixed(0)} ms`);
  assert.ok(ok > 100, `steady load: only ${ok} requests answered`);
  assert.deepEqual(failures.slice(0, 10), [], `${failures.length} of ${ok + failures.length} requests failed`);
});

/** A WebSocket echo server as a user image: a Node script mapped in $SKIFF_HOME/images.yaml. */
function mapEchoImage(): void {
  const home = c.env.SKIFF_HOME!;
  const dir = join(home, 'ws-echo');
  mkdirSync(dir, { recursive: true });
  const ws = join(ROOT, 'node_modules', 'ws', 'wrapper.mjs');
  writeFileSync(
    join(dir, 'server.mjs'),
    `import { createServer } from 'node:http';
import { WebSocketServer } from ${JSON.stringify(ws)};
const server = createServer((req, res) => res.end('ws-echo\\n'));
const wss = new WebSocketServer({ server });
wss.on('connection', (s, req) => s.on('message', (m, binary) => s.send(binary ? m : 'echo ' + m.toString() + ' ' + req.url)));
server.listen(8080);
process.on('SIGTERM', () => process.exit(0));
`,
  );
  // The image consists of the script and the ws package it imports.
  const files = [dir, join(ROOT, 'node_modules', 'ws')];
  writeFileSync(join(home, 'images.yaml'), `skiff-test/ws-echo:\n  command: [${JSON.stringify(process.execPath)}, ${JSON.stringify(join(dir, 'server.mjs'))}]\n  files: ${JSON.stringify(files)}\n`);
}

test('a WebSocket echo through the ingress', async () => {
  mapEchoImage();
  await c.ok(['create', 'deployment', 'ws-echo', '--image=skiff-test/ws-echo:1', '--port=8080']);
  await c.ok(['expose', 'deployment', 'ws-echo', '--port=80', '--target-port=8080']);
  await rolledOut(c, ['ws-echo']);
  await applyObjects(c, [ingress('ws', rule('ws.test', 'ws-echo'))]);
  await waitFor('ws.test routed', async () => (await send('ws.test', '/').catch(() => ({ body: '' }))).body === 'ws-echo');

  const sock = new WebSocket(`ws://${ip}/chat?room=1`, { headers: { host: 'ws.test' } });
  const received: string[] = [];
  await new Promise<void>((resolve, reject) => {
    sock.on('error', reject);
    sock.on('open', () => sock.send('hello'));
    sock.on('message', (m: Buffer) => {
      received.push(m.toString());
      if (received.length === 1) sock.send('again');
      else resolve();
    });
    setTimeout(() => reject(new Error(`WebSocket echo through ws.test: got ${JSON.stringify(received)} within 5 s`)), 5000).unref();
  });
  sock.close();
  assert.deepEqual(received, ['echo hello /chat?room=1', 'echo again /chat?room=1']);
});
