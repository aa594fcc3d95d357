// Real images (issue 15), against references measured in the same run on the same machine:
//   - pull and unpack of one image from a registry on loopback, next to `skopeo copy` of the
//     same image from the same registry into an OCI layout (which does not unpack);
//   - Deployments of 1, 10 and 100 replicas of that image once stored, next to the same
//     Deployments of the built-in busybox image, from creation until every pod is Ready, and
//     the memory of each pod's cgroup once they are;
//   - the start of one pod of the stored image against `runc run -d` of that pod's own bundle
//     by hand (the same config.json over an overlay of the same layers, in the pod's namespaces).
import { spawnSync } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startCluster } from '../test/e2e/harness.js';
import { buildAndPush, missingTools, startRegistry } from '../test/e2e/images/registry-fixture.js';
import { pullImage } from '../src/images/registry/pull.js';
import { parseReference } from '../src/images/reference.js';
import { ImageStore } from '../src/images/store/store.js';
import { nodeDirOf } from '../src/node/agent.js';
import { detectCgroups, hierarchyRoots, podCgroupDirs } from '../src/node/kubelet/runtime/cgroups.js';
import { attemptLayout, podLayout } from '../src/node/kubelet/runtime/layout.js';
import type { Cluster } from '../test/e2e/harness.js';
import { accessFrom } from '../test/e2e/kubeconfig.js';
import { Agent, request } from 'undici';

const PAYLOAD_MB = 64;
/** Single pod starts and hand-run runc starts, taken in turn. */
const ONE_ROUNDS = 9;

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

/** The memory charged to each pod's cgroup (memory.current, or v1's usage), in KiB, for pods labelled app=`app`. */
async function podMemoryKiB(c: Cluster, app: string): Promise<number[]> {
  const cg = detectCgroups();
  const uids = (await c.ok(['get', 'pods', '-l', `app=${app}`, '-o', 'jsonpath={.items[*].metadata.uid}'])).split(' ').filter(Boolean);
  return uids.map((uid) => {
    const dirs = podCgroupDirs(cg, c.name, uid);
    const file = cg.version === 2 ? join(dirs[0], 'memory.current') : join(dirs.find((d) => d.includes('memory')) ?? dirs[0], 'memory.usage_in_bytes');
    return Number(readFileSync(file, 'utf8')) / 1024;
  });
}

/**
 * Starts the bundle of the running pod `pod`'s container by hand, once: its config.json in a
 * cgroup of its own, over a fresh overlay of the lower layers its shim was given, with
 * `runc run -d` in a private mount namespace (as the shim runs it); the wall time, from the mount
 * to runc's return once the process runs.
 */
async function handRunc(c: Cluster, pod: string, dir: string, i: number): Promise<number> {
  const [uid, node, container] = (await c.ok(['get', 'pod', pod, '-o', 'jsonpath={.metadata.uid} {.spec.nodeName} {.spec.containers[0].name}'])).trim().split(' ');
  const attempt = attemptLayout(podLayout(nodeDirOf(join(c.env.SKIFF_HOME!, 'clusters', c.name), node), uid), container, 0).dir;
  // The shim's argv: <helper> skiff-shim <attempt> <log> <oom> <lower> …
  const shimPid = readFileSync(join(attempt, 'shim.pid'), 'utf8').trim();
  const lower = readFileSync(`/proc/${shimPid}/cmdline`, 'utf8').split('\0')[5];
  const spec = JSON.parse(readFileSync(join(attempt, 'config.json'), 'utf8')) as { linux: { cgroupsPath?: string } };
  const cgroupParent = `skiff-bench-hand-${process.pid}`;
  const state = join(dir, 'runc-state');
  try {
    const b = join(dir, `hand${i}`);
    for (const d of ['rootfs', 'upper', 'work']) mkdirSync(join(b, d), { recursive: true });
    const id = `bench-hand-${process.pid}-${i}`;
    writeFileSync(join(b, 'config.json'), JSON.stringify({ ...spec, linux: { ...spec.linux, cgroupsPath: `/${cgroupParent}/${id}` } }));
    const script = `mount -t overlay bench-root -o "lowerdir=$1,upperdir=$2/upper,workdir=$2/work" "$2/rootfs" && exec runc --root "$3" run -d --bundle "$2" "$4"`;
    const t = performance.now();
    // Not a pipe: the detached container keeps runc's stdio, and spawnSync would wait for its end.
    const errFile = join(dir, `hand${i}.err`);
    const errFd = openSync(errFile, 'w');
    const r = spawnSync('unshare', ['--mount', '--propagation', 'private', '--', 'sh', '-c', script, 'bench-hand', lower, b, state, id], { stdio: ['ignore', 'ignore', errFd] });
    const ms = performance.now() - t;
    closeSync(errFd);
    spawnSync('runc', ['--root', state, 'delete', '-f', id]);
    rmSync(b, { recursive: true, force: true });
    if (r.status !== 0) throw new Error(`runc run of ${pod}'s bundle by hand failed: ${readFileSync(errFile, 'utf8')}`);
    return ms;
  } finally {
    for (const root of hierarchyRoots(detectCgroups())) {
      try {
        rmdirSync(join(root, cgroupParent));
      } catch {
        // Not created in this hierarchy.
      }
    }
  }
}

/**
 * Creates pod `name` of `image` through the API and waits on a watch until it is Ready: the time
 * from the create request to the Ready status, without a client process's own start (kubectl's
 * is some hundreds of ms on this machine, more than the pod's).
 */
async function podStartMs(c: Cluster, name: string, image: string): Promise<number> {
  const a = accessFrom(join(c.dir, 'kubeconfig'));
  const dispatcher = new Agent({ connect: { ca: a.ca } });
  const headers = { authorization: `Bearer ${a.token}`, 'content-type': 'application/json' };
  try {
    const list = JSON.parse(await (await request(`${a.server}/api/v1/namespaces/default/pods?fieldSelector=metadata.name%3D${name}`, { headers, dispatcher })).body.text());
    const watch = await request(`${a.server}/api/v1/namespaces/default/pods?watch=true&fieldSelector=metadata.name%3D${name}&resourceVersion=${list.metadata.resourceVersion}`, { headers, dispatcher });
    const body = { apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image, imagePullPolicy: 'IfNotPresent', command: ['/bin/sleep', '100000'] }] } };
    const t = performance.now();
    const created = await request(`${a.server}/api/v1/namespaces/default/pods`, { method: 'POST', headers, dispatcher, body: JSON.stringify(body) });
    if (created.statusCode !== 201) throw new Error(`creating pod ${name}: ${created.statusCode} ${await created.body.text()}`);
    await created.body.dump();
    let buf = '';
    for await (const chunk of watch.body) {
      buf += chunk.toString();
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const ev = JSON.parse(buf.slice(0, i)) as { object: { status?: { conditions?: Array<{ type: string; status: string }> } } };
        buf = buf.slice(i + 1);
        if (ev.object.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True')) {
          const ms = performance.now() - t;
          watch.body.destroy();
          return ms;
        }
      }
    }
    throw new Error(`the watch of pod ${name} ended before it was Ready`);
  } finally {
    await dispatcher.close();
  }
}

async function main(): Promise<void> {
  const missing = missingTools();
  if (missing) {
    console.log(`images bench skipped: ${missing}`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'skiff-images-bench-'));
  const reg = await startRegistry(join(dir, 'registry'));
  try {
    // Random content: compression cannot shrink it, so both sides move the same bytes.
    await buildAndPush(join(dir, 'img'), { layers: [{ files: { 'www/index.html': 'bench\n' } }, { files: { 'data/payload': randomBytes(PAYLOAD_MB * 2 ** 20) } }], entrypoint: ['/bin/sleep', '100000'] }, reg.host, 'bench/app:1');
    const ref = `${reg.host}/bench/app:1`;

    const ours: number[] = [];
    const skopeo: number[] = [];
    let size = 0;
    for (let i = 0; i < 3; i++) {
      const home = join(dir, `home${i}`);
      let t = performance.now();
      const img = await pullImage({ store: new ImageStore(home), ref: parseReference(ref) });
      ours.push(performance.now() - t);
      size = img.size;
      t = performance.now();
      const r = spawnSync('skopeo', ['copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${join(dir, `skopeo${i}`)}:x`]);
      skopeo.push(performance.now() - t);
      if (r.status !== 0) throw new Error(`skopeo copy failed: ${r.stderr}`);
      rmSync(home, { recursive: true, force: true });
    }
    const mb = size / 2 ** 20;
    console.log(`pull+unpack ${mb.toFixed(1)} MiB: skiff ${median(ours).toFixed(0)} ms (${(mb / (median(ours) / 1000)).toFixed(0)} MiB/s), skopeo copy (no unpack) ${median(skopeo).toFixed(0)} ms; ratio ${(median(ours) / median(skopeo)).toFixed(2)}`);

    const c = await startCluster('benchimg', { nodes: 1, upArgs: ['--images', 'auto'] });
    try {
      // Stored once, before the clock runs: the comparison is pod start, not pull.
      await c.ok(['run', 'prepull', `--image=${ref}`]);
      await c.ok(['wait', '--for=condition=Ready', 'pod/prepull', '--timeout=120s']);
      // One of each in turn, so that the machine's load (shared, it varies) weighs on both alike.
      const hand: number[] = [];
      const starts: number[] = [];
      for (let i = 0; i < ONE_ROUNDS; i++) {
        hand.push(await handRunc(c, 'prepull', dir, i));
        starts.push(await podStartMs(c, `one-${i}`, ref));
        await c.ok(['delete', 'pod', `one-${i}`, '--wait=true']);
      }
      await c.ok(['delete', 'pod', 'prepull', '--wait=false']);
      console.log(`1 pod of the stored image, created until Ready (API watch): ${median(starts).toFixed(0)} ms; runc run -d of its bundle by hand (overlay mount + runc): ${median(hand).toFixed(0)} ms; ratio ${(median(starts) / median(hand)).toFixed(2)} (goal <= 1.5; medians of ${ONE_ROUNDS}, taken in turn)`);
      for (const n of (process.env.BENCH_PODS ?? '1,10,100').split(',').map(Number)) {
        const times: Record<string, number> = {};
        const memory: Record<string, number> = {};
        for (const [kind, image] of [['stored', ref], ['builtin', 'busybox:1.36']] as const) {
          const name = `${kind}-${n}`;
          const t = performance.now();
          // The built-in image with pull policy Never: no registry off this machine is asked.
          const policy = kind === 'builtin' ? 'Never' : 'IfNotPresent';
          await c.ok(['apply', '-f', '-'], JSON.stringify({
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name },
            spec: {
              replicas: n,
              selector: { matchLabels: { app: name } },
              template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image, imagePullPolicy: policy, command: ['/bin/sleep', '100000'] }] } },
            },
          }));
          await c.ok(['rollout', 'status', `deployment/${name}`, '--timeout=300s']);
          times[kind] = performance.now() - t;
          const mem = await podMemoryKiB(c, name);
          memory[kind] = mem.reduce((a, b) => a + b, 0) / mem.length;
          await c.ok(['delete', 'deployment', name, '--wait=true']);
          await c.kubectl(['wait', '--for=delete', 'pod', '-l', `app=${name}`, '--timeout=120s']);
        }
        console.log(`${n} pods Ready: stored image ${times.stored.toFixed(0)} ms, built-in busybox ${times.builtin.toFixed(0)} ms; ratio ${(times.stored / times.builtin).toFixed(2)}`);
        console.log(`${n} pods, memory of a pod's cgroup (mean): stored image ${memory.stored.toFixed(0)} KiB, built-in busybox ${memory.builtin.toFixed(0)} KiB`);
      }
    } finally {
      await c.down();
    }
  } finally {
    await reg.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
