import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpuQuantity, goDuration, memoryQuantity, nodeMetrics, podMetrics } from '../../../../src/addons/metrics-server/api.js';
import { parseMetricsServerArgs } from '../../../../src/addons/metrics-server/args.js';
import { kubeletAddress } from '../../../../src/addons/metrics-server/scraper.js';
import { MetricsStorage } from '../../../../src/addons/metrics-server/storage.js';
import type { MetricsPoint } from '../../../../src/addons/metrics-server/decode.js';
import { metricsServerDeployment } from '../../../../src/controllers/addons/metrics-server.js';

const pt = (timestamp: number, cpuSeconds: number, memory = 1024, startTime = 1): MetricsPoint => ({ timestamp, cumulativeCpuUsed: cpuSeconds * 1e9, memoryUsage: memory, startTime });

test('quantities print as resource.Quantity does', () => {
  assert.equal(cpuQuantity(0), '0');
  assert.equal(cpuQuantity(1234567), '1234567n');
  assert.equal(cpuQuantity(250_000_000), '250m');
  assert.equal(cpuQuantity(2_000_000_000), '2');
  assert.equal(cpuQuantity(5000), '5u');
  assert.equal(memoryQuantity(16039936), '15664Ki');
  assert.equal(memoryQuantity(64 * 1024 * 1024), '64Mi');
  assert.equal(memoryQuantity(16039937), '16039937');
  assert.equal(memoryQuantity(1000), '1000');
  assert.equal(goDuration(15000), '15s');
  assert.equal(goDuration(14987), '14.987s');
  assert.equal(goDuration(60500), '1m0.5s');
  assert.equal(goDuration(500), '500ms');
});

test('the store rates two points of the same process; a restart or a counter going back starts over', () => {
  const s = new MetricsStorage();
  const batch = (node: MetricsPoint, c: MetricsPoint) => ({ nodes: new Map([['n1', node]]), pods: new Map([['default/web', new Map([['app', c]])]]) });
  s.store(batch(pt(1000, 10), pt(1000, 1)));
  assert.equal(s.ready(), false);
  assert.equal(s.pod('default', 'web'), undefined);
  s.store(batch(pt(16000, 25), pt(16000, 4, 2048)));
  assert.equal(s.ready(), true);
  assert.deepEqual(s.node('n1'), { timestamp: 16000, windowMs: 15000, cpuNanocores: 1e9, memoryBytes: 1024 });
  assert.deepEqual(s.pod('default', 'web'), [{ name: 'app', usage: { timestamp: 16000, windowMs: 15000, cpuNanocores: 200_000_000, memoryBytes: 2048 } }]);
  s.store(batch(pt(31000, 40), pt(31000, 0.5, 2048, 2)));
  assert.equal(s.pod('default', 'web'), undefined, 'a restarted container needs two points again');
  s.store({ nodes: new Map(), pods: new Map() });
  assert.equal(s.node('n1'), undefined, 'a node missing from the scrape loses its metrics');
});

test('NodeMetrics and PodMetrics have upstream shapes', () => {
  const u = { timestamp: Date.parse('2026-01-01T00:00:15Z'), windowMs: 15000, cpuNanocores: 470087, memoryBytes: 76012 * 1024 };
  const node = nodeMetrics({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1', labels: { a: 'b' } } }, u, 0);
  assert.deepEqual(node, {
    kind: 'NodeMetrics',
    apiVersion: 'metrics.k8s.io/v1beta1',
    metadata: { name: 'n1', creationTimestamp: '1970-01-01T00:00:00Z', labels: { a: 'b' } },
    timestamp: '2026-01-01T00:00:15Z',
    window: '15s',
    usage: { cpu: '470087n', memory: '76012Ki' },
  });
  const pod = podMetrics({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'd' } }, [{ name: 'c', usage: u }], 0);
  assert.deepEqual(pod.containers, [{ name: 'c', usage: { cpu: '470087n', memory: '76012Ki' } }]);
});

test('components.yaml flags parse; the kubelet is found by preferred address type and node status port', () => {
  const deploy = metricsServerDeployment() as unknown as { spec: { template: { spec: { containers: { args: string[] }[] } } } };
  const a = parseMetricsServerArgs(deploy.spec.template.spec.containers[0].args);
  assert.equal(a.resolutionMs, 15000);
  assert.equal(a.kubeletInsecureTLS, true);
  assert.deepEqual(a.addressTypes, ['InternalIP', 'ExternalIP', 'Hostname']);
  assert.throws(() => parseMetricsServerArgs(['--metric-resolution=5s']), /at least 10s, but value 5s provided/);
  assert.throws(() => parseMetricsServerArgs(['--bogus']), /unknown flag: --bogus/);
  const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n1' }, status: { addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '172.18.0.2' }], daemonEndpoints: { kubeletEndpoint: { Port: 10250 } } } };
  assert.deepEqual(kubeletAddress(node, a), { host: '172.18.0.2', port: 10250 });
});
