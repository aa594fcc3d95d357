import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { makeEnvironment, serviceEnvironment, ContainerConfigError } from '../../../../src/node/kubelet/env.js';
import { setUpVolumes, volumeDir, containerMounts, VolumeError } from '../../../../src/node/kubelet/volumes.js';
import { buildPodStatus } from '../../../../src/node/kubelet/status.js';

const alloc = { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 0 };
const cm: KObject = { metadata: { name: 'cfg', namespace: 'ns' }, data: { 'app.conf': 'x=1', MODE: 'fast', 'bad key': 'v' } };
const secret: KObject = { metadata: { name: 's', namespace: 'ns' }, data: { password: Buffer.from('hunter2').toString('base64') } };
const source = {
  configMap: async (_ns: string, name: string) => (name === 'cfg' ? cm : undefined),
  secret: async (_ns: string, name: string) => (name === 's' ? secret : undefined),
};
const pod: KObject = { metadata: { name: 'p', namespace: 'ns', uid: 'u1', labels: { app: 'web' } }, spec: { nodeName: 'n1' }, status: { podIP: '10.244.0.9' } };

test('env: envFrom with prefix, env in order with $(VAR), valueFrom and service links', async () => {
  const env = await makeEnvironment({
    pod,
    container: {
      name: 'c',
      envFrom: [{ prefix: 'CFG_', configMapRef: { name: 'cfg' } }, { secretRef: { name: 'nope', optional: true } }],
      env: [
        { name: 'A', value: 'a' },
        { name: 'B', value: '$(A)-$(CFG_MODE)-$(MISSING)-$(WEB_SERVICE_HOST)' },
        { name: 'POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
        { name: 'IP', valueFrom: { fieldRef: { fieldPath: 'status.podIP' } } },
        { name: 'PW', valueFrom: { secretKeyRef: { name: 's', key: 'password' } } },
        { name: 'OPT', valueFrom: { configMapKeyRef: { name: 'cfg', key: 'nokey', optional: true } } },
      ],
    },
    source,
    serviceEnv: serviceEnvironment('ns', true, [
      { metadata: { name: 'web', namespace: 'ns' }, spec: { clusterIP: '10.96.0.20', ports: [{ name: 'http', port: 80, protocol: 'TCP' }] } },
      { metadata: { name: 'kubernetes', namespace: 'default' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443, protocol: 'TCP' }] } },
      { metadata: { name: 'other', namespace: 'x' }, spec: { clusterIP: '10.96.0.30', ports: [{ port: 1 }] } },
    ]),
    alloc,
  });
  assert.equal(env.get('CFG_MODE'), 'fast');
  assert.equal(env.has('CFG_bad key'), false);
  assert.equal(env.get('B'), 'a-fast-$(MISSING)-10.96.0.20');
  assert.equal(env.get('POD'), 'p');
  assert.equal(env.get('IP'), '10.244.0.9');
  assert.equal(env.get('PW'), 'hunter2');
  assert.equal(env.has('OPT'), false);
  assert.equal(env.get('KUBERNETES_SERVICE_HOST'), '10.96.0.1');
  assert.equal(env.get('KUBERNETES_SERVICE_PORT'), '443');
  assert.equal(env.get('WEB_PORT_80_TCP_ADDR'), '10.96.0.20');
  assert.equal(env.get('WEB_SERVICE_PORT_HTTP'), '80');
  assert.equal(env.has('OTHER_SERVICE_HOST'), false);
  await assert.rejects(makeEnvironment({ pod, container: { name: 'c', env: [{ name: 'X', valueFrom: { secretKeyRef: { name: 's', key: 'nokey' } } }] }, source, serviceEnv: {}, alloc }), (e: Error) => e instanceof ContainerConfigError && e.message === "couldn't find key nokey in Secret ns/s");
});

test('volumes: configMap items and modes, secret decoded, atomic update, emptyDir, mounts', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'vol-'));
  try {
    const p: KObject = {
      ...pod,
      spec: {
        volumes: [
          { name: 'conf', configMap: { name: 'cfg', items: [{ key: 'app.conf', path: 'sub/app.conf', mode: 0o600 }], defaultMode: 0o644 } },
          { name: 'sec', secret: { secretName: 's', defaultMode: 0o400 } },
          { name: 'scratch', emptyDir: {} },
          { name: 'info', downwardAPI: { items: [{ path: 'labels', fieldRef: { fieldPath: 'metadata.labels' } }] } },
        ],
      },
    };
    const changed = await setUpVolumes(p, dir, source, alloc);
    assert.deepEqual(changed, ['conf', 'sec', 'info']);
    const confDir = join(dir, 'volumes', 'kubernetes.io~configmap', 'conf');
    assert.equal(readFileSync(join(confDir, 'sub', 'app.conf'), 'utf8'), 'x=1');
    assert.equal(statSync(join(confDir, 'sub', 'app.conf')).mode & 0o777, 0o600);
    assert.equal(readlinkSync(join(confDir, 'sub')), join('..data', 'sub'));
    const secDir = join(dir, 'volumes', 'kubernetes.io~secret', 'sec');
    assert.equal(readFileSync(join(secDir, 'password'), 'utf8'), 'hunter2');
    assert.equal(statSync(join(secDir, 'password')).mode & 0o777, 0o400);
    assert.equal(readFileSync(join(dir, 'volumes', 'kubernetes.io~downward-api', 'info', 'labels'), 'utf8'), 'app="web"');
    assert.ok(statSync(join(dir, 'volumes', 'kubernetes.io~empty-dir', 'scratch')).isDirectory());
    // Unchanged content does not churn; changed content swaps ..data.
    assert.deepEqual(await setUpVolumes(p, dir, source, alloc), []);
    const before = readlinkSync(join(confDir, '..data'));
    cm.data = { 'app.conf': 'x=2' };
    assert.deepEqual(await setUpVolumes(p, dir, source, alloc), ['conf']);
    assert.notEqual(readlinkSync(join(confDir, '..data')), before);
    assert.equal(existsSync(join(confDir, before)), false, 'old data dir removed');
    assert.equal(readFileSync(join(confDir, 'sub', 'app.conf'), 'utf8'), 'x=2');
    const mounts = containerMounts(dir, (p.spec as { volumes: never[] }).volumes, { volumeMounts: [{ name: 'conf', mountPath: '/etc/app' }, { name: 'scratch', mountPath: '/tmp/s' }] });
    assert.deepEqual(mounts, [
      { hostPath: volumeDir(dir, { name: 'conf', configMap: {} }), containerPath: '/etc/app', readOnly: true },
      { hostPath: volumeDir(dir, { name: 'scratch', emptyDir: {} }), containerPath: '/tmp/s', readOnly: false },
    ]);
    await assert.rejects(setUpVolumes({ ...pod, spec: { volumes: [{ name: 'v', configMap: { name: 'gone' } }] } }, dir, source, alloc), (e: Error) => e instanceof VolumeError && e.message === 'configmap "gone" not found');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('status keeps transition times and other owners\' conditions', () => {
  const base = { metadata: { name: 'p', uid: 'u' }, spec: { restartPolicy: 'Always', containers: [{ name: 'c' }] }, status: { phase: 'Pending', conditions: [{ type: 'PodScheduled', status: 'True', lastTransitionTime: 't0' }] } };
  const view = { name: 'c', image: 'img', ready: false, started: false, created: false };
  const s1 = buildPodStatus({ pod: base, hostIP: 'h', sandboxReady: false, init: [], containers: [view], now: 't1' }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s1.phase, 'Pending');
  assert.deepEqual(s1.containerStatuses[0].state, { waiting: { reason: 'ContainerCreating' } });
  assert.equal(s1.containerStatuses[0].imageID, '');
  assert.equal(s1.conditions.at(-1).type, 'PodScheduled');
  const s2 = buildPodStatus({ pod: { ...base, status: s1 }, hostIP: 'h', sandboxReady: false, init: [], containers: [view], now: 't2' }) as any; // eslint-disable-line @typescript-eslint/no-explicit-any
  assert.equal(s2.conditions[0].lastTransitionTime, 't1');
  assert.equal(s2.startTime, 't1');
});
