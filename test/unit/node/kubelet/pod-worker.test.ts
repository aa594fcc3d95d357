import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KObject } from '../../../../src/api/types.js';
import { Backoff } from '../../../../src/node/kubelet/backoff.js';
import { PodWorker, type WorkerEnv } from '../../../../src/node/kubelet/pod-worker.js';
import { FakeRuntime } from './fake-runtime.js';

interface Harness {
  worker: PodWorker;
  runtime: FakeRuntime;
  events: string[];
  statuses: Record<string, any>[]; // eslint-disable-line @typescript-eslint/no-explicit-any
  deleted: KObject[];
  clock: { t: number };
  sync(): Promise<void>;
  cleanup(): void;
}

function harness(pod: KObject, images: Partial<WorkerEnv['images']> = {}, objects: Partial<WorkerEnv['objects']> = {}): Harness {
  const clock = { t: Date.parse('2025-01-01T00:00:00Z') };
  const now = () => clock.t;
  const runtime = new FakeRuntime(now);
  const events: string[] = [];
  const statuses: Record<string, unknown>[] = [];
  const deleted: KObject[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'kubelet-'));
  const env: WorkerEnv = {
    runtime,
    images: {
      ensureImage: async ({ image }) => (image.startsWith('missing') ? { ok: false, reason: 'ErrImagePull', message: `pull access denied for ${image}` } : { ok: true, image: { entrypoint: ['/bin/app'], cmd: [] } }),
      containerArgv: (img, command, args) => [...(command ?? img.entrypoint), ...(args ?? img.cmd)],
      containerImage: () => ({ rootfs: '/roots/test', mounts: [], identity: {} }),
      ...images,
    },
    recorder: { event: (_o, type, reason, message) => events.push(`${type} ${reason} ${message}`) },
    clock: { now },
    objects: { configMap: async () => undefined, secret: async () => undefined, ...objects },
    services: () => [],
    statusWriter: {
      writeStatus: async (p, status) => {
        statuses.push(status);
        return { ...p, status };
      },
      deletePod: async (p) => {
        deleted.push(p);
      },
    },
    nodeName: 'n1',
    hostIP: '172.18.0.2',
    nodeDir: dir,
    alloc: { cpuMillis: 2000, memoryBytes: 2 ** 30, ephemeralStorageBytes: 0 },
    hostResolv: { nameservers: [], searches: [], options: [] },
    crashBackoff: new Backoff({ now }),
    imageBackoff: new Backoff({ now }),
    log: () => undefined,
  };
  const worker = new PodWorker(pod, env);
  // Syncs are driven by hand (no poll timer): each call runs the worker's private sync once.
  const sync = async () => {
    await (worker as unknown as { sync(): Promise<void> }).sync();
  };
  return { worker, runtime, events, statuses, deleted, clock, sync, cleanup: () => { worker.stop(); rmSync(dir, { recursive: true, force: true }); } };
}

function pod(spec: Record<string, unknown>): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'p', namespace: 'default', uid: 'uid-1' },
    spec: { restartPolicy: 'Always', terminationGracePeriodSeconds: 30, ...spec },
    status: { phase: 'Pending', qosClass: 'BestEffort', conditions: [{ type: 'PodScheduled', status: 'True' }] },
  };
}

const last = (h: Harness) => h.statuses[h.statuses.length - 1];

test('a pod starts: sandbox, events, Running and Ready', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox', command: ['sh', '-c', 'echo $(GREETING)'], env: [{ name: 'GREETING', value: 'hi' }] }] }));
  try {
    await h.sync();
    assert.deepEqual(h.runtime.started[0].argv, ['sh', '-c', 'echo hi']);
    assert.equal(h.runtime.started[0].env.GREETING, 'hi');
    assert.deepEqual(h.events, ['Normal Pulled Container image "busybox" already present on machine', 'Normal Created Created container: c', 'Normal Started Started container c']);
    const s = last(h);
    assert.equal(s.phase, 'Running');
    assert.equal(s.podIP, '10.244.0.2');
    assert.equal(s.hostIP, '172.18.0.2');
    assert.deepEqual(s.conditions.map((c: { type: string; status: string }) => `${c.type}=${c.status}`), ['PodReadyToStartContainers=True', 'Initialized=True', 'Ready=True', 'ContainersReady=True', 'PodScheduled=True']);
    assert.equal(s.containerStatuses[0].ready, true);
    assert.equal(s.containerStatuses[0].started, true);
    assert.match(s.containerStatuses[0].containerID, /^skiff:\/\/[0-9a-f]{64}$/);
    assert.ok(s.containerStatuses[0].state.running.startedAt);
    assert.equal(s.qosClass, 'BestEffort');
  } finally {
    h.cleanup();
  }
});

test('a started container\'s Created and Started events go after the status that shows it running', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    const order: string[] = [];
    const env = (h.worker as unknown as { env: WorkerEnv }).env;
    const record = env.recorder.event;
    env.recorder = { event: (o, type, reason, message) => (order.push(reason), record(o, type, reason, message)) };
    const write = env.statusWriter.writeStatus;
    env.statusWriter = { ...env.statusWriter, writeStatus: (p, status) => (order.push(`status ${(status as { phase?: string }).phase}`), write(p, status)) };
    await h.sync();
    assert.deepEqual(order, ['Pulled', 'status Running', 'Created', 'Started']);
  } finally {
    h.cleanup();
  }
});

test('a sandbox whose network fails to attach while its container is created: FailedCreatePodSandBox, then a new sandbox', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    h.runtime.attachFailure = 'attaching the network of pod default/p (uid-1): CNI plugin bridge ADD failed: no space';
    await h.sync();
    assert.equal(h.runtime.started.length, 0);
    assert.equal(h.events.at(-1), 'Warning FailedCreatePodSandBox Failed to create pod sandbox: attaching the network of pod default/p (uid-1): CNI plugin bridge ADD failed: no space');
    assert.notEqual(last(h)?.containerStatuses?.[0]?.state?.waiting?.reason, 'RunContainerError');
    h.clock.t += 5_000;
    await h.sync();
    assert.equal(h.runtime.started.length, 1);
    assert.equal(last(h).podIP, '10.244.0.3');
    assert.equal(last(h).phase, 'Running');
  } finally {
    h.cleanup();
  }
});

test('an unsafe sysctl: the kubelet rejects the pod before any sandbox, and it stays rejected', async () => {
  const h = harness(pod({ securityContext: { sysctls: [{ name: 'kernel.msgmax', value: '1' }] }, containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await h.sync();
    await h.sync();
    assert.equal(h.runtime.started.length, 0);
    assert.deepEqual(h.events, ['Warning SysctlForbidden forbidden sysctl: "kernel.msgmax" not allowlisted']);
    const s = last(h);
    assert.equal(s.phase, 'Failed');
    assert.equal(s.reason, 'SysctlForbidden');
    assert.equal(s.message, 'Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted');
    assert.equal(s.containerStatuses, undefined);
    assert.equal(s.qosClass, 'BestEffort');
  } finally {
    h.cleanup();
  }
});

test('crash loop: immediate restart, then CrashLoopBackOff 10 s with upstream messages', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await h.sync();
    h.clock.t += 1000;
    h.runtime.exit('uid-1', 'c', 1);
    await h.sync();
    assert.equal(h.runtime.started.length, 2, 'first crash restarts at once');
    assert.equal(last(h).containerStatuses[0].restartCount, 1);
    assert.equal(last(h).containerStatuses[0].lastState.terminated.exitCode, 1);
    h.clock.t += 1000;
    h.runtime.exit('uid-1', 'c', 2);
    await h.sync();
    assert.equal(h.runtime.started.length, 2, 'second crash waits');
    const cs = last(h).containerStatuses[0];
    assert.deepEqual(cs.state.waiting, { reason: 'CrashLoopBackOff', message: 'back-off 10s restarting failed container=c pod=p_default(uid-1)' });
    assert.equal(cs.lastState.terminated.exitCode, 2);
    assert.equal(cs.ready, false);
    assert.equal(last(h).phase, 'Running');
    assert.ok(h.events.includes('Warning BackOff Back-off restarting failed container c in pod p_default(uid-1)'));
    h.clock.t += 10_000;
    await h.sync();
    assert.equal(h.runtime.started.length, 3);
    assert.equal(h.runtime.started[2].attempt, 2);
    h.clock.t += 1000;
    h.runtime.exit('uid-1', 'c', 1);
    await h.sync();
    assert.match(last(h).containerStatuses[0].state.waiting.message, /^back-off 20s /);
  } finally {
    h.cleanup();
  }
});

test('restartPolicy Never: the pod fails; OnFailure with exit 0 succeeds', async () => {
  const h = harness(pod({ restartPolicy: 'Never', containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await h.sync();
    h.runtime.exit('uid-1', 'c', 3);
    await h.sync();
    assert.equal(last(h).phase, 'Failed');
    assert.equal(last(h).containerStatuses[0].state.terminated.reason, 'Error');
    assert.equal(h.runtime.started.length, 1);
  } finally {
    h.cleanup();
  }
  const g = harness(pod({ restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await g.sync();
    g.runtime.exit('uid-1', 'c', 0);
    await g.sync();
    assert.equal(last(g).phase, 'Succeeded');
    assert.equal(last(g).conditions.find((c: { type: string }) => c.type === 'Ready').reason, 'PodCompleted');
  } finally {
    g.cleanup();
  }
});

test('init containers run in order before app containers', async () => {
  const h = harness(pod({ initContainers: [{ name: 'i1', image: 'busybox' }, { name: 'i2', image: 'busybox' }], containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await h.sync();
    assert.deepEqual(h.runtime.started.map((c) => c.name), ['i1']);
    let s = last(h);
    assert.equal(s.phase, 'Pending');
    assert.deepEqual(s.containerStatuses[0].state, { waiting: { reason: 'PodInitializing' } });
    assert.equal(s.conditions.find((c: { type: string }) => c.type === 'Initialized').message, 'containers with incomplete status: [i1 i2]');
    h.runtime.exit('uid-1', 'i1', 0);
    await h.sync();
    assert.deepEqual(h.runtime.started.map((c) => c.name), ['i1', 'i2']);
    h.runtime.exit('uid-1', 'i2', 0);
    await h.sync();
    assert.deepEqual(h.runtime.started.map((c) => c.name), ['i1', 'i2', 'c']);
    s = last(h);
    assert.equal(s.phase, 'Running');
    assert.equal(s.initContainerStatuses[1].state.terminated.reason, 'Completed');
  } finally {
    h.cleanup();
  }
});

test('a pulled image: Pulling, Pulled with time and size, the image config in the container, imageID by digest', async () => {
  const requests: { pullPolicy?: string; pullSecrets: string[] }[] = [];
  const stored = { reference: 'localhost:5000/team/app:1.0', id: 'sha256:' + 'c'.repeat(64), digest: 'sha256:' + 'd'.repeat(64), lowerDirs: '/l2:/l1', user: '1000', size: 4321 };
  const h = harness(
    pod({ imagePullSecrets: [{ name: 'regcred' }, { name: 'gone' }], containers: [{ name: 'c', image: 'localhost:5000/team/app:1.0', imagePullPolicy: 'Always', env: [{ name: 'B', value: 'pod' }] }] }),
    {
      ensureImage: async (req) => {
        requests.push({ pullPolicy: req.pullPolicy, pullSecrets: req.pullSecrets });
        req.onPulling();
        return { ok: true, image: { entrypoint: ['/app'], cmd: ['--serve'], env: { A: 'image', B: 'image' }, workingDir: '/srv', stored }, pulled: { pullMs: 2134, totalMs: 2500, size: 4321 } };
      },
    },
    {
      secret: async (_ns, name) =>
        name === 'regcred' ? { apiVersion: 'v1', kind: 'Secret', metadata: { name }, type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': Buffer.from('{"auths":{}}').toString('base64') } } : undefined,
    },
  );
  try {
    await h.sync();
    assert.deepEqual(requests, [{ pullPolicy: 'Always', pullSecrets: ['{"auths":{}}'] }]);
    assert.deepEqual(h.events.slice(0, 3), [
      'Warning FailedToRetrieveImagePullSecret Unable to retrieve some image pull secrets (gone); attempting to pull the image may not succeed.',
      'Normal Pulling Pulling image "localhost:5000/team/app:1.0"',
      'Normal Pulled Successfully pulled image "localhost:5000/team/app:1.0" in 2.134s (2.5s including waiting). Image size: 4321 bytes.',
    ]);
    const started = h.runtime.started[0];
    assert.deepEqual(started.argv, ['/app', '--serve']);
    assert.equal(started.workingDir, '/srv');
    assert.deepEqual([started.env.A, started.env.B], ['image', 'pod']);
    assert.equal(last(h).containerStatuses[0].imageID, `localhost:5000/team/app@${stored.digest}`);
  } finally {
    h.cleanup();
  }
});

test('ErrImageNeverPull and a stand-in for an unreachable registry, each with its event', async () => {
  const h = harness(pod({ containers: [{ name: 'never', image: 'app:never' }, { name: 'nginx', image: 'nginx:1.27' }] }), {
    ensureImage: async ({ image }) =>
      image === 'app:never'
        ? { ok: false, reason: 'ErrImageNeverPull', message: 'Container image "app:never" is not present with pull policy of Never' }
        : { ok: true, image: { entrypoint: ['nginx'], cmd: [] }, standIn: { kind: 'builtin', cause: 'dial tcp: lookup registry-1.docker.io: no such host' } },
  });
  try {
    await h.sync();
    const s = last(h);
    assert.deepEqual(s.containerStatuses.find((c: { name: string }) => c.name === 'never').state.waiting, { reason: 'ErrImageNeverPull', message: 'Container image "app:never" is not present with pull policy of Never' });
    assert.ok(h.events.includes('Warning ErrImageNeverPull Container image "app:never" is not present with pull policy of Never'));
    assert.ok(h.events.includes('Warning Failed Error: ErrImageNeverPull'));
    assert.ok(h.events.includes(`Normal Pulled Using skiff's built-in stand-in for image "nginx:1.27" (no copy is stored on this machine): dial tcp: lookup registry-1.docker.io: no such host`));
  } finally {
    h.cleanup();
  }
});

test('image pull failure: ErrImagePull, then ImagePullBackOff', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'missing:1' }] }));
  try {
    await h.sync();
    assert.equal(last(h).containerStatuses[0].state.waiting.reason, 'ErrImagePull');
    assert.deepEqual(h.events, ['Warning Failed Failed to pull image "missing:1": pull access denied for missing:1', 'Warning Failed Error: ErrImagePull']);
    h.clock.t += 2000;
    await h.sync();
    assert.deepEqual(last(h).containerStatuses[0].state.waiting, { reason: 'ImagePullBackOff', message: 'Back-off pulling image "missing:1"' });
    assert.ok(h.events.includes('Normal BackOff Back-off pulling image "missing:1"'));
    assert.ok(h.events.includes('Warning Failed Error: ImagePullBackOff'));
    assert.equal(last(h).phase, 'Pending');
  } finally {
    h.cleanup();
  }
});

test('graceful deletion: Killing event, stop with the grace period, sandbox removed, object deleted', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox' }] }));
  try {
    await h.sync();
    h.worker.update({ ...h.worker.pod, metadata: { ...h.worker.pod.metadata, deletionTimestamp: '2025-01-01T00:01:00Z', deletionGracePeriodSeconds: 7 } });
    await h.worker.terminate();
    assert.deepEqual(h.runtime.stopped, [{ name: 'c', grace: 7 }]);
    assert.ok(h.events.includes('Normal Killing Stopping container c'));
    assert.deepEqual(h.runtime.removed, ['uid-1']);
    assert.equal(h.deleted.length, 1);
  } finally {
    h.cleanup();
  }
});

test('a missing configMap for env keeps the container in CreateContainerConfigError', async () => {
  const h = harness(pod({ containers: [{ name: 'c', image: 'busybox', env: [{ name: 'A', valueFrom: { configMapKeyRef: { name: 'cm', key: 'k' } } }] }] }));
  try {
    await h.sync();
    assert.deepEqual(last(h).containerStatuses[0].state.waiting, { reason: 'CreateContainerConfigError', message: 'configmap "cm" not found' });
    assert.ok(h.events.includes('Warning Failed Error: configmap "cm" not found'));
  } finally {
    h.cleanup();
  }
});

test('once its startup probe passes, a container is probed for readiness at once, not a period later', async () => {
  const { createServer } = await import('node:net');
  const server = createServer((s) => s.destroy());
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const tcp = { tcpSocket: { host: '127.0.0.1', port } };
  // Upstream's prober manager runs readiness on a manual trigger when startup succeeds; without
  // it the first readiness run (skipped: not started yet) would be followed by one 100 s later.
  const h = harness(pod({ containers: [{ name: 'c', image: 'app', startupProbe: { ...tcp, periodSeconds: 1 }, readinessProbe: { ...tcp, periodSeconds: 100 } }] }));
  try {
    await h.sync();
    while (!last(h)?.containerStatuses?.[0]?.ready) {
      await new Promise((r) => setTimeout(r, 10));
      await h.sync();
    }
    assert.equal(last(h).containerStatuses[0].started, true);
    assert.deepEqual(h.events.filter((e) => e.includes('Unhealthy')), []);
  } finally {
    h.cleanup();
    server.close();
  }
});

test('the first images are resolved while the sandbox is made, each once, and containers start only after both', async () => {
  const asked: string[] = [];
  let sandboxMade!: () => void;
  const h = harness(pod({ initContainers: [{ name: 'i1', image: 'init-image' }], containers: [{ name: 'c', image: 'app-image' }] }), {
    ensureImage: async ({ image }) => {
      asked.push(image);
      firstAsked();
      return { ok: true, image: { entrypoint: ['/bin/app'], cmd: [] } };
    },
  });
  let firstAsked!: () => void;
  const askedOnce = new Promise<void>((r) => (firstAsked = r));
  const runSandbox = h.runtime.runSandbox.bind(h.runtime);
  h.runtime.runSandbox = async (c) => {
    await new Promise<void>((r) => (sandboxMade = r));
    return runSandbox(c);
  };
  try {
    const synced = h.sync();
    // Only the first init container's image: the app's is resolved when its turn comes. Without
    // the prefetch nothing asks while the sandbox is held, and the bound ends the wait.
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([askedOnce, new Promise((_, reject) => (bound = setTimeout(() => reject(new Error('no image was asked for while the sandbox was being made')), 5_000)))]);
    clearTimeout(bound);
    assert.deepEqual(asked, ['init-image']);
    assert.equal(h.runtime.started.length, 0);
    sandboxMade();
    await synced;
    assert.deepEqual(h.runtime.started.map((c) => c.name), ['i1']);
    assert.deepEqual(asked, ['init-image']);
    h.runtime.exit('uid-1', 'i1', 0);
    await h.sync();
    assert.deepEqual(h.runtime.started.map((c) => c.name), ['i1', 'c']);
    assert.deepEqual(asked, ['init-image', 'app-image']);
  } finally {
    h.cleanup();
  }
});
