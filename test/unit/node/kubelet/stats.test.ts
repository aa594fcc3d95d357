import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFloat, resourceMetricsText, StatsCollector } from '../../../../src/node/kubelet/stats.js';
import { decodeResourceMetrics } from '../../../../src/addons/metrics-server/decode.js';
import type { PodRuntime, PodStats } from '../../../../src/node/kubelet/cri.js';
import type { KObject } from '../../../../src/api/types.js';

const pod = (name: string, uid: string): KObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: 'default', uid } });

test('goFloat writes sample values as strconv.FormatFloat(v, g, -1, 64)', () => {
  assert.equal(goFloat(0), '0');
  assert.equal(goFloat(7.434549), '7.434549');
  assert.equal(goFloat(16039936), '1.6039936e+07');
  assert.equal(goFloat(123456), '123456');
  assert.equal(goFloat(1e6), '1e+06');
  assert.equal(goFloat(0.00001), '1e-05');
});

test('/metrics/resource carries the kubelet families, sorted, with timestamps, and metrics-server decodes it', () => {
  const stats: PodStats = {
    cpuUsageNanos: 3_000_000_000,
    memoryBytes: 20 * 1024 * 1024,
    containers: [{ name: 'app', startedAt: '2026-01-01T00:00:00Z', cpuUsageNanos: 2_500_000_000, memoryBytes: 16 * 1024 * 1024 }],
  };
  const text = resourceMetricsText([{ pod: pod('web', 'u1'), at: 1_700_000_000_000, stats }], 1_700_000_000_500);
  const names = [...text.matchAll(/^# TYPE (\S+)/gm)].map((m) => m[1]);
  assert.deepEqual(names, [...names].sort());
  assert.ok(names.includes('resource_scrape_error') && names.includes('scrape_error'));
  assert.match(text, /^container_cpu_usage_seconds_total\{container="app",namespace="default",pod="web"\} 2\.5 1700000000000$/m);
  assert.match(text, /^node_memory_working_set_bytes 2\.097152e\+07 1700000000500$/m);
  const batch = decodeResourceMetrics('n1', text, 0);
  assert.deepEqual(batch.nodes.get('n1'), { startTime: 0, cumulativeCpuUsed: 3e9, timestamp: 1_700_000_000_500, memoryUsage: 20 * 1024 * 1024 });
  assert.deepEqual(batch.pods.get('default/web')?.get('app'), {
    startTime: Date.parse('2026-01-01T00:00:00Z'),
    cumulativeCpuUsed: 2.5e9,
    timestamp: 1_700_000_000_000,
    memoryUsage: 16 * 1024 * 1024,
  });
});

test('the summary rates each pod and container from the previous reading', () => {
  let cpu = 0;
  let now = 1_000_000;
  const runtime = {
    stats: (): PodStats => ({ cpuUsageNanos: cpu, memoryBytes: 100, containers: [{ name: 'app', startedAt: 'x', cpuUsageNanos: cpu, memoryBytes: 90 }] }),
  } as unknown as PodRuntime;
  const s = new StatsCollector(runtime, { now: () => now });
  const first = s.summary('n1', [pod('web', 'u1')]) as { pods: { cpu: { usageNanoCores: number }; containers: { cpu: { usageNanoCores: number }; memory: { workingSetBytes: number } }[] }[] };
  assert.equal(first.pods[0].cpu.usageNanoCores, 0);
  cpu = 500_000_000; // half a core over one second
  now += 1000;
  const second = s.summary('n1', [pod('web', 'u1')]) as typeof first & { node: { cpu: { usageNanoCores: number } } };
  assert.equal(second.pods[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.pods[0].containers[0].cpu.usageNanoCores, 500_000_000);
  assert.equal(second.pods[0].containers[0].memory.workingSetBytes, 90);
  assert.equal(second.node.cpu.usageNanoCores, 500_000_000);
});
