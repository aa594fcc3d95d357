import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Backoff, formatDuration } from '../../../../src/node/kubelet/backoff.js';
import { expand, mappingFor } from '../../../../src/node/kubelet/expansion.js';
import { hostsFile, podHostname, podResolvConf, renderResolvConf, parseResolvConf } from '../../../../src/node/kubelet/dns.js';
import { ProbeTracker } from '../../../../src/node/kubelet/probes.js';
import { applyProbeResult, podCpuRequestMillis, podLimits } from '../../../../src/node/kubelet/pod-worker.js';
import { logTarget, parseLogQuery } from '../../../../src/node/kubelet/logs.js';
import { fieldPathValue, resourceFieldValue } from '../../../../src/node/kubelet/fieldpath.js';

test('crash back-off: immediate first restart, then 10 s doubling to 5 min, reset after 10 min', () => {
  let now = 1_000_000;
  const b = new Backoff({ now: () => now });
  const key = 'uid/c';
  // First crash: not in back-off, next() starts at 10 s.
  assert.equal(b.isInBackOffSince(key, now), false);
  b.next(key, now);
  assert.equal(b.get(key), 10_000);
  // Second crash right away: waits 10 s.
  now += 1_000;
  let finished = now;
  assert.equal(b.isInBackOffSince(key, finished), true);
  now = finished + 9_999;
  assert.equal(b.isInBackOffSince(key, finished), true);
  now = finished + 10_000;
  assert.equal(b.isInBackOffSince(key, finished), false);
  b.next(key, finished);
  assert.equal(b.get(key), 20_000);
  for (let i = 0; i < 10; i++) b.next(key, finished);
  assert.equal(b.get(key), 300_000);
  // Ten minutes without a failure: starts over.
  finished += 600_001;
  now = finished;
  assert.equal(b.isInBackOffSince(key, finished), false);
  b.next(key, finished);
  assert.equal(b.get(key), 10_000);
});

test('image back-off since last update', () => {
  let now = 0;
  const b = new Backoff({ now: () => now });
  b.next('img', now);
  now = 5_000;
  assert.equal(b.isInBackOffSinceUpdate('img'), true);
  now = 10_000;
  assert.equal(b.isInBackOffSinceUpdate('img'), false);
});

test('formatDuration as Go prints it', () => {
  assert.equal(formatDuration(10_000), '10s');
  assert.equal(formatDuration(80_000), '1m20s');
  assert.equal(formatDuration(300_000), '5m0s');
});

test('$(VAR) expansion as upstream', () => {
  const m = mappingFor({ A: 'x', B: 'y' });
  assert.equal(expand('$(A)-$(B)', m), 'x-y');
  assert.equal(expand('$$(A)', m), '$(A)');
  assert.equal(expand('$(C)', m), '$(C)');
  assert.equal(expand('$(A', m), '$(A');
  assert.equal(expand('a$b', m), 'a$b');
  assert.equal(expand('end$', m), 'end$');
  assert.equal(expand('$$$(A)', m), '$x');
});

test('hosts file as the kubelet writes it', () => {
  const h = hostsFile({ podIPs: ['10.244.0.5'], hostname: 'web-0', domain: 'web.default.svc.cluster.local', hostAliases: [{ ip: '1.2.3.4', hostnames: ['foo', 'bar'] }] });
  assert.equal(
    h,
    '# Kubernetes-managed hosts file.\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\nfe00::0\tip6-localnet\nfe00::0\tip6-mcastprefix\nfe00::1\tip6-allnodes\nfe00::2\tip6-allrouters\n' +
      '10.244.0.5\tweb-0.web.default.svc.cluster.local\tweb-0\n\n# Entries added by HostAliases.\n1.2.3.4\tfoo\tbar\n',
  );
  assert.deepEqual(podHostname({ metadata: { name: 'p', namespace: 'ns' }, spec: { hostname: 'h', subdomain: 's' } }), { hostname: 'h', domain: 's.ns.svc.cluster.local' });
});

test('resolv.conf per dnsPolicy with dnsConfig merge', () => {
  const host = parseResolvConf('nameserver 1.1.1.1\nsearch example.com\noptions edns0\n');
  assert.equal(
    renderResolvConf(podResolvConf({ namespace: 'default', host })),
    'search default.svc.cluster.local svc.cluster.local cluster.local example.com\nnameserver 10.96.0.10\noptions ndots:5\n',
  );
  assert.equal(renderResolvConf(podResolvConf({ namespace: 'x', dnsPolicy: 'Default', host })), 'search example.com\nnameserver 1.1.1.1\noptions edns0\n');
  assert.equal(
    renderResolvConf(podResolvConf({ namespace: 'x', dnsPolicy: 'None', host, dnsConfig: { nameservers: ['8.8.8.8'], searches: ['a.b'], options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }] } })),
    'search a.b\nnameserver 8.8.8.8\noptions ndots:2 edns0\n',
  );
  assert.equal(
    renderResolvConf(podResolvConf({ namespace: 'x', host, dnsConfig: { options: [{ name: 'ndots', value: '1' }] } })).split('\n')[2],
    'options ndots:1',
  );
});

test('probe thresholds: readiness needs successThreshold, liveness holds after failureThreshold', () => {
  const r = new ProbeTracker('readiness', { successThreshold: 2, failureThreshold: 3 });
  assert.equal(r.result, 'failure');
  assert.equal(r.record('success'), false);
  assert.equal(r.record('success'), true);
  assert.equal(r.result, 'success');
  assert.equal(r.record('failure'), false);
  assert.equal(r.record('failure'), false);
  assert.equal(r.record('failure'), true);
  assert.equal(r.result, 'failure');

  const l = new ProbeTracker('liveness', { failureThreshold: 2, initialDelaySeconds: 5 });
  assert.equal(l.shouldProbe(4_000, true), false);
  assert.equal(l.shouldProbe(5_000, true), true);
  assert.equal(l.shouldProbe(5_000, false), false, 'waits for the startup probe');
  l.record('failure');
  assert.equal(l.onHold, false);
  assert.equal(l.record('failure'), true);
  assert.equal(l.onHold, true);
  assert.equal(l.shouldProbe(60_000, true), false);

  const st = { ready: false, started: true, probes: {}, killRequested: false };
  const kills: string[] = [];
  applyProbeResult(st, 'liveness', l, (p) => kills.push(p));
  assert.deepEqual(kills, ['liveness']);
  assert.equal(st.killRequested, true);

  const s = new ProbeTracker('startup', { failureThreshold: 3 });
  assert.equal(s.shouldProbe(0, false), true);
  s.record('success');
  const st2 = { ready: false, started: false, probes: {} };
  applyProbeResult(st2, 'startup', s, () => assert.fail('no kill'));
  assert.equal(st2.started, true);
  assert.equal(st2.ready, true, 'no readiness probe: ready once started');
});

test('pod limits sum container limits only when all set', () => {
  assert.deepEqual(podLimits({ containers: [{ name: 'a', resources: { limits: { cpu: '500m', memory: '64Mi' } } }, { name: 'b', resources: { limits: { cpu: '1', memory: '64Mi' } } }] }), {
    cpuLimitMillis: 1500,
    memoryLimitBytes: 128 * 2 ** 20,
  });
  assert.deepEqual(podLimits({ containers: [{ name: 'a', resources: { limits: { cpu: '500m' } } }, { name: 'b' }] }), {});
});

test('log query parsing and which log to show', () => {
  const o = parseLogQuery(new URLSearchParams('follow=true&tailLines=5&sinceSeconds=10&timestamps=true'), 100_000);
  assert.ok(!(o instanceof Error));
  assert.equal(o.follow, true);
  assert.equal(o.tailLines, 5);
  assert.equal(o.sinceTime?.getTime(), 90_000);
  assert.ok(parseLogQuery(new URLSearchParams('sinceSeconds=1&sinceTime=2020-01-01T00:00:00Z'), 0) instanceof Error);

  const pod = (st: object, last: object = {}) => ({ metadata: { name: 'p' }, spec: { containers: [{ name: 'c' }] }, status: { containerStatuses: [{ name: 'c', state: st, lastState: last }] } });
  assert.deepEqual(logTarget(pod({ waiting: { reason: 'ContainerCreating' } }), 'c', false), { error: 'container "c" in pod "p" is waiting to start: ContainerCreating' });
  assert.deepEqual(logTarget(pod({ running: {} }), 'c', true), { error: 'previous terminated container "c" in pod "p" not found' });
  assert.equal(logTarget(pod({ running: {} }, { terminated: { containerID: 'skiff://x' } }), 'c', true), 'previous');
  assert.equal(logTarget(pod({ waiting: { reason: 'CrashLoopBackOff' } }, { terminated: { containerID: 'skiff://x' } }), 'c', false), 'current');
  assert.deepEqual(logTarget(pod({ running: {} }), 'x', false), { error: 'container x is not valid for pod p' });
  assert.deepEqual(logTarget(pod({ waiting: { reason: 'ImagePullBackOff' } }), 'c', false), { error: 'container "c" in pod "p" is waiting to start: trying and failing to pull image' });
});

test('downward API field paths and resource fields', () => {
  const pod = {
    metadata: { name: 'p', namespace: 'ns', uid: 'u', labels: { b: '2', a: '1' }, annotations: { x: 'y' } },
    spec: { nodeName: 'n1', serviceAccountName: 'sa' },
    status: { podIP: '10.244.0.2', podIPs: [{ ip: '10.244.0.2' }], hostIP: '172.18.0.2' },
  };
  assert.equal(fieldPathValue(pod, 'metadata.labels'), 'a="1"\nb="2"');
  assert.equal(fieldPathValue(pod, "metadata.labels['b']"), '2');
  assert.equal(fieldPathValue(pod, 'status.podIPs'), '10.244.0.2');
  assert.equal(fieldPathValue(pod, 'spec.serviceAccountName'), 'sa');
  assert.ok(fieldPathValue(pod, 'spec.bogus') instanceof Error);
  const alloc = { cpuMillis: 4000, memoryBytes: 8 * 2 ** 30, ephemeralStorageBytes: 0 };
  assert.equal(resourceFieldValue({ resources: { limits: { cpu: '250m' } } }, { resource: 'limits.cpu', divisor: '1m' }, alloc), '250');
  assert.equal(resourceFieldValue({ resources: { limits: { cpu: '250m' } } }, { resource: 'limits.cpu' }, alloc), '1');
  assert.equal(resourceFieldValue({}, { resource: 'limits.memory', divisor: '1Mi' }, alloc), '8192');
});

test("a pod's CPU request: containers and sidecars together, a plain init container alone beside the sidecars before it", () => {
  const c = (name: string, cpu?: string, restartPolicy?: string) => ({ name, ...(restartPolicy ? { restartPolicy } : {}), ...(cpu ? { resources: { requests: { cpu } } } : {}) });
  assert.equal(podCpuRequestMillis({ containers: [c('a'), c('b')] }), 0);
  assert.equal(podCpuRequestMillis({ containers: [c('a', '100m'), c('b', '0.25')] }), 350);
  assert.equal(podCpuRequestMillis({ initContainers: [c('i', '2')], containers: [c('a', '100m')] }), 2000);
  assert.equal(podCpuRequestMillis({ initContainers: [c('s', '200m', 'Always'), c('i', '500m')], containers: [c('a', '100m')] }), 700);
  assert.equal(podCpuRequestMillis({ initContainers: [c('i', '100m'), c('s', '200m', 'Always')], containers: [c('a', '1')] }), 1200);
  assert.equal(podCpuRequestMillis({ containers: [c('a', '100m')], overhead: { cpu: '250m' } }), 350);
});
