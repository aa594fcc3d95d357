// The built-in images of Istio's own samples, deployed from the samples' manifests as Istio's
// tasks apply them (samples/httpbin, samples/curl, samples/helloworld and httpbin's fortio
// client, unchanged), answering the requests those tasks make: from the curl pod with curl, and
// `kubectl exec deploy/fortio-deploy -c fortio -- /usr/bin/fortio load …` as the
// circuit-breaking task runs it. With the real kubectl.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { ROOT, startCluster, waitFor, type Cluster } from '../harness.js';

const SAMPLES = join(ROOT, 'test', 'e2e', 'images', 'istio-samples');
let c: Cluster;

before(async () => {
  c = await startCluster('istio-samples', { nodes: 1 });
  for (const f of ['httpbin.yaml', 'curl.yaml', 'helloworld.yaml', 'fortio-deploy.yaml']) await c.ok(['apply', '-f', join(SAMPLES, f)]);
  for (const d of ['httpbin', 'curl', 'helloworld-v1', 'helloworld-v2', 'fortio-deploy']) await c.ok(['rollout', 'status', `deployment/${d}`, '--timeout=180s']);
  await waitFor('endpoints of httpbin, helloworld and fortio', async () => {
    const r = await c.kubectl(['get', 'endpointslices', '-o', 'jsonpath={range .items[*]}{.metadata.labels.kubernetes\\.io/service-name}={.endpoints[*].conditions.ready}{"\\n"}{end}']);
    return ['httpbin=true', 'helloworld=true true', 'fortio=true'].every((l) => r.stdout.split('\n').includes(l));
  }, 60_000);
});
after(async () => {
  await c?.down();
});

/** curl from the sample's curl pod (curlimages/curl), as the tasks' `kubectl exec deploy/curl -- curl …`. */
async function curl(...args: string[]): Promise<string> {
  return c.ok(['exec', 'deploy/curl', '--', 'curl', '-sS', ...args]);
}

test('httpbin (go-httpbin) on httpbin:8000: /headers, /ip, /status with weights, /delay, its log', async () => {
  const headers = JSON.parse(await curl('http://httpbin:8000/headers', '-H', 'x-test: istio'));
  assert.deepEqual(headers.headers.Host, ['httpbin:8000']);
  assert.deepEqual(headers.headers['X-Test'], ['istio']);
  assert.match(headers.headers['User-Agent'][0], /^curl\//);
  const curlIP = (await c.ok(['get', 'pods', '-l', 'app=curl', '-o', 'jsonpath={.items[0].status.podIP}'])).trim();
  assert.match(JSON.parse(await curl('http://httpbin:8000/ip')).origin, new RegExp(`^${curlIP.replace(/\./g, '\\.')}:\\d+$`));
  const get = JSON.parse(await curl('http://httpbin:8000/get?show_env=1'));
  assert.deepEqual([get.method, get.url, get.args], ['GET', 'http://httpbin:8000/get?show_env=1', { show_env: ['1'] }]);
  assert.equal(await curl('-o', '/dev/null', '-w', '%{http_code}', 'http://httpbin:8000/status/418'), '418');
  const codes = (await c.ok(['exec', 'deploy/curl', '--', 'sh', '-c', 'for i in $(seq 30); do curl -s -o /dev/null -w "%{http_code}\\n" http://httpbin:8000/status/200:0.5,503:0.5; done']))
    .split('\n').filter(Boolean);
  assert.deepEqual([...new Set(codes)].sort(), ['200', '503']);
  const delayed = await curl('-o', '/dev/null', '-w', '%{http_code} %{time_total}', 'http://httpbin:8000/delay/1');
  const [code, seconds] = delayed.split(' ');
  assert.equal(code, '200');
  assert.ok(Number(seconds) >= 1, `delay/1 answered after ${seconds}s`);
  const logs = await c.ok(['logs', 'deploy/httpbin']);
  assert.match(logs, /^time=\S+ level=INFO msg="go-httpbin listening on http:\/\/0\.0\.0\.0:8080"$/m);
  assert.match(logs, /level=WARN msg="418 GET \/status\/418 [\d.]+ms" status=418 method=GET uri=\/status\/418 /);
});

test('helloworld v1 and v2 on helloworld:5000/hello name their version and pod', async () => {
  const pods = (await c.ok(['get', 'pods', '-l', 'app=helloworld', '-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\n"}{end}'])).split('\n').filter(Boolean);
  const seen = new Set<string>();
  await waitFor('answers from both versions', async () => {
    const answer = (await curl('http://helloworld:5000/hello')).trim();
    const m = /^Hello version: (v[12]), instance: (\S+)$/.exec(answer);
    assert.ok(m, answer);
    assert.ok(pods.includes(m[2]!) && m[2]!.startsWith(`helloworld-${m[1]}-`), answer);
    seen.add(m[1]!);
    return seen.size === 2;
  }, 60_000);
  assert.equal(await curl('http://helloworld:5000/health'), 'Helloworld is healthy');
  assert.match(await c.ok(['logs', 'deploy/helloworld-v1']), /\[INFO\] Listening at: http:\/\/\[::\]:5000 \(\d+\)/);
});

test('fortio: load from the fortio pod as the circuit-breaking task runs it, curl, and its echo server', async () => {
  const load = await c.kubectl(['exec', 'deploy/fortio-deploy', '-c', 'fortio', '--', '/usr/bin/fortio', 'load', '-c', '3', '-qps', '0', '-n', '30', '-loglevel', 'Warning', 'http://httpbin:8000/get'], { timeoutMs: 60_000 });
  assert.equal(load.code, 0, load.stderr);
  const out = load.stdout + load.stderr;
  assert.match(out, /^Fortio 1\.75\.2 running at 0 queries per second, (\d+)->\1 procs, for 30 calls: http:\/\/httpbin:8000\/get$/m);
  assert.match(out, /^Starting at max qps with 3 thread\(s\) \[gomax \d+\] for exactly 30 calls \(10 per thread \+ 0\)$/m);
  assert.match(out, /^Sockets used: 3 \(for perfect keepalive, would be 3\)$/m);
  assert.match(out, /^Code 200 : 30 \(100\.0 %\)$/m);
  assert.match(out, /^# target 99% [\d.e-]+$/m);
  assert.match(out, /^All done 30 calls \(plus 0 warmup\) [\d.]+ ms avg, [\d.]+ qps$/m);

  // Weighted failures: fortio counts each code, closes the socket after each non-2xx.
  const mixed = await c.kubectl(['exec', 'deploy/fortio-deploy', '-c', 'fortio', '--', '/usr/bin/fortio', 'load', '-c', '2', '-qps', '0', '-n', '40', '-loglevel', 'Warning', 'http://httpbin:8000/status/200:0.5,503:0.5'], { timeoutMs: 60_000 });
  assert.equal(mixed.code, 0, mixed.stderr);
  const ok = /^Code 200 : (\d+) \(([\d.]+) %\)$/m.exec(mixed.stderr);
  const failed = /^Code 503 : (\d+) \(([\d.]+) %\)$/m.exec(mixed.stderr);
  assert.ok(ok && failed, mixed.stderr);
  assert.equal(Number(ok[1]) + Number(failed[1]), 40);
  assert.equal((Number(failed[1]) * 100 / 40).toFixed(1), failed[2]);
  assert.match(mixed.stderr, /"msg":"Non ok http code","code":503,"status":"HTTP\/1\.1 503"/);

  const fetched = await c.kubectl(['exec', 'deploy/fortio-deploy', '-c', 'fortio', '--', '/usr/bin/fortio', 'curl', 'http://httpbin:8000/status/418']);
  assert.equal(fetched.code, 1);
  assert.match(fetched.stdout, /I'm a teapot!/);
  // The echo server of `fortio server` (the image's CMD) behind the fortio Service.
  assert.equal(await curl('-o', '/dev/null', '-w', '%{http_code}', 'http://fortio:8080/echo?status=503'), '503');
  assert.equal(await curl('-X', 'POST', '-d', 'hello fortio', 'http://fortio:8080/echo'), 'hello fortio');
  assert.match(await curl('http://fortio:8080/debug'), /^Φορτίο version 1\.75\.2 echo debug server up for \S+ on fortio-deploy-\S+ - request from \d+\.\d+\.\d+\.\d+:\d+\n/);
  // The image is FROM scratch: fortio is all there is.
  const shell = await c.kubectl(['exec', 'deploy/fortio-deploy', '-c', 'fortio', '--', 'sh', '-c', 'true']);
  assert.notEqual(shell.code, 0);
});

test("the mirroring task's kennethreitz/httpbin under its gunicorn command logs each request", async () => {
  // The task's httpbin-v1 Deployment and its Service, as istio.io's mirroring task creates them.
  await c.ok(['create', '-f', '-'], `apiVersion: apps/v1
kind: Deployment
metadata:
  name: httpbin-v1
spec:
  replicas: 1
  selector:
    matchLabels:
      app: httpbin-mirror
      version: v1
  template:
    metadata:
      labels:
        app: httpbin-mirror
        version: v1
    spec:
      containers:
      - image: docker.io/kennethreitz/httpbin
        imagePullPolicy: IfNotPresent
        name: httpbin
        command: ["gunicorn", "--access-logfile", "-", "-b", "0.0.0.0:80", "httpbin:app"]
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: httpbin-mirror
spec:
  ports:
  - name: http
    port: 8000
    targetPort: 80
  selector:
    app: httpbin-mirror
`);
  await c.ok(['rollout', 'status', 'deployment/httpbin-v1', '--timeout=120s']);
  await waitFor('an answer from httpbin-mirror:8000', async () => (await c.kubectl(['exec', 'deploy/curl', '--', 'curl', '-sS', '-o', '/dev/null', '-w', '%{http_code}', 'http://httpbin-mirror:8000/headers'])).stdout === '200', 60_000);
  await waitFor('the access log line', async () => {
    const logs = await c.ok(['logs', '-l', 'app=httpbin-mirror,version=v1', '-c', 'httpbin']);
    return /^\d+\.\d+\.\d+\.\d+ - - \[\d\d\/\w{3}\/\d{4}:\d\d:\d\d:\d\d \+0000\] "GET \/headers HTTP\/1\.1" 200 \d+ "-" "curl\/[\d.]+"$/m.test(logs);
  }, 30_000);
  assert.match(await c.ok(['logs', 'deploy/httpbin-v1']), /\[INFO\] Listening at: http:\/\/0\.0\.0\.0:80 \(\d+\)/);
});
