import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { startCluster, waitFor, type Cluster } from '../harness.js';
import { LOAD_GENERATOR, PHP_APACHE } from '../autoscaling/php-apache.js';

// The metrics pipeline end to end: kubelet /metrics/resource → metrics-server → the aggregation
// layer → kubectl top, with the walkthrough's php-apache under its busybox load, and a container
// over its memory limit.

let c: Cluster;
before(async () => {
  c = await startCluster('top', { nodes: 2 });
});
after(async () => {
  await c?.down();
});

const ok = (args: string[], input?: string) => c.ok(args, input);


/** cadvisor's cpuacct.usage of a container, read on the host (cgroup v1 as on this machine, or v2). */
function cpuUsageNanos(cluster: string, podUid: string, container: string): number | undefined {
  const rel = `skiff.${cluster}/${podUid}/${podUid}-${container}-0`;
  for (const [file, scale] of [[`/sys/fs/cgroup/cpuacct/${rel}/cpuacct.usage`, 1], [`/sys/fs/cgroup/${rel}/cpu.stat`, 1000]] as const) {
    try {
      const text = readFileSync(file, 'utf8');
      const v = scale === 1 ? Number(text.trim()) : Number(/usage_usec (\d+)/.exec(text)?.[1]);
      return v * scale;
    } catch {
      // The other hierarchy.
    }
  }
  return undefined;
}

/** Parses a metrics.k8s.io CPU quantity (`250m`, `1234567n`, `1`) into nanocores. */
function nanocores(q: string): number {
  const m = /^(\d+)([num]?)$/.exec(q);
  assert.ok(m, `cpu quantity ${q}`);
  return Number(m[1]) * { n: 1, u: 1e3, m: 1e6, '': 1e9 }[m[2] as 'n' | 'u' | 'm' | ''];
}

test('the metrics API becomes Available and kubectl top shows every node and pod', async () => {
  await ok(['wait', '--for=condition=Available', 'apiservice/v1beta1.metrics.k8s.io', '--timeout=120s']);
  assert.match(await ok(['get', 'apiservices']), /v1beta1\.metrics\.k8s\.io\s+kube-system\/metrics-server\s+True\s/);
  let nodes = '';
  await waitFor('node metrics', async () => {
    const r = await c.kubectl(['top', 'node']);
    nodes = r.stdout;
    return r.code === 0 && !nodes.includes('<unknown>') && nodes.trim().split('\n').length === 3;
  }, 90_000);
  assert.match(nodes.split('\n')[0], /^NAME\s+CPU\(cores\)\s+CPU\(%\)\s+MEMORY\(bytes\)\s+MEMORY\(%\)\s*$/);
  for (const line of nodes.trim().split('\n').slice(1)) assert.match(line, /^\S+-node-\d\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/);
  const all = await ok(['top', 'pod', '-A']);
  assert.match(all.split('\n')[0], /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/);
  assert.match(all, /kube-system\s+coredns-\S+\s+\d+m\s+\d+Mi/);
  assert.match(all, /kube-system\s+metrics-server-\S+\s+\d+m\s+\d+Mi/);
  const containers = await ok(['top', 'pod', '-n', 'kube-system', '--containers']);
  assert.match(containers.split('\n')[0], /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/);
  assert.match(containers, /coredns-\S+\s+coredns\s+\d+m\s+\d+Mi/);
  const missing = await c.kubectl(['top', 'pod', 'nope', '-n', 'kube-system']);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /podmetrics.metrics.k8s.io "kube-system\/nope" not found/);
});

test('php-apache under load: top shows it busiest, and its CPU matches the cgroup counter over the same window', async () => {
  await ok(['apply', '-f', '-'], PHP_APACHE + '---\n' + LOAD_GENERATOR);
  const uid = (await ok(['get', 'pods', '-l', 'run=php-apache', '-o', 'jsonpath={.items[0].metadata.uid}'])).trim();
  assert.ok(uid);
  // The host's view of the container's counter, read while the load runs.
  const readings: { at: number; cpu: number }[] = [];
  let match: { api: number; host: number } | undefined;
  await waitFor('a php-apache sample inside the host readings', async () => {
    const cpu = cpuUsageNanos(c.name, uid, 'php-apache');
    if (cpu !== undefined) readings.push({ at: Date.now(), cpu });
    const r = await c.kubectl(['get', '--raw', '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods?labelSelector=run%3Dphp-apache']);
    if (r.code !== 0) return false;
    const item = (JSON.parse(r.stdout) as { items: { timestamp: string; window: string; containers: { usage: { cpu: string } }[] }[] }).items[0];
    if (!item) return false;
    const end = Date.parse(item.timestamp);
    const start = end - Number(item.window.replace(/s$/, '')) * 1000;
    // The timestamp is whole seconds; readings a second beyond each end bound the counter there.
    const before = readings.filter((x) => x.at <= start - 1000).at(-1);
    const after = readings.find((x) => x.at >= end + 1000);
    if (!before || !after) return false;
    const api = nanocores(item.containers[0].usage.cpu);
    if (api < 50e6) return false; // the load has not reached it over this whole window yet
    match = { api, host: ((after.cpu - before.cpu) * 1000) / (after.at - before.at) };
    return true;
  }, 240_000);
  // Both are the same counter's rate over nearly the same interval (the host's a little wider).
  assert.ok(match);
  const ratio = match.api / match.host;
  assert.ok(ratio > 0.75 && ratio < 1.33, `metrics API ${Math.round(match.api / 1e6)}m vs host cgroup ${Math.round(match.host / 1e6)}m`);
  // Over 100% of the 200m request, as the walkthrough's numbers are (it is capped by the 500m limit).
  assert.ok(match.api > 200e6, `php-apache uses ${Math.round(match.api / 1e6)}m under load`);

  const sorted = await ok(['top', 'pod', '--sort-by=cpu']);
  assert.match(sorted.split('\n')[1], /^php-apache-\S+\s+\d+m/);
  const selected = await ok(['top', 'pod', '-l', 'run=php-apache']);
  assert.equal(selected.trim().split('\n').length, 2);
  await ok(['delete', 'pod', 'load-generator', '--wait=false']);
});

test('a container over its memory limit is OOMKilled and restarted', async () => {
  await ok(['run', 'hog', '--image=busybox:1.28', '--overrides={"spec":{"containers":[{"name":"hog","image":"busybox:1.28","command":["sh","-c","x=a; while true; do x=$x$x; done"],"resources":{"limits":{"memory":"16Mi"}}}]}}']);
  let last: { reason?: string; exitCode?: number } | undefined;
  await waitFor('an OOMKilled termination', async () => {
    const r = await c.kubectl(['get', 'pod', 'hog', '-o', 'jsonpath={.status.containerStatuses[0].lastState.terminated}']);
    if (r.code !== 0 || !r.stdout) return false;
    last = JSON.parse(r.stdout);
    return true;
  }, 90_000);
  assert.equal(last?.reason, 'OOMKilled');
  assert.equal(last?.exitCode, 137);
  await ok(['delete', 'pod', 'hog', '--wait=false']);
});
