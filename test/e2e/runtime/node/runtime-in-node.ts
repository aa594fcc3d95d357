// The runtime e2e steps, run by runtime.test.ts inside a node network namespace (as the agent is).
// Not named *.test.ts: it only makes sense under that wrapper, which sets SKIFF_RT_* and cleans up.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { Runtime, type ContainerStatus, type LogOptions } from '../../../../src/node/kubelet/runtime/index.js';
import { allPodCgroupDirs, detectCgroups, podCgroupDirs } from '../../../../src/node/kubelet/runtime/cgroups.js';
import { containerImage, imageRootsDir, resolveImage } from '../../../../src/images/index.js';

const cluster = process.env.SKIFF_RT_CLUSTER!;
const clusterDir = process.env.SKIFF_RT_DIR!;
const node = `${cluster}-node-1`;
const nodeDir = join(clusterDir, 'nodes', node);
const opts = { cluster, clusterDir, node, index: 0, nodeDir };
const rt = new Runtime(opts);
const ENV = { HOME: '/root' };
/** The busybox image's root, as the kubelet gets it from the image service. */
const busybox = (() => {
  const r = resolveImage('busybox', { home: clusterDir, clusterDir });
  if (!r.ok) throw new Error(r.message);
  const img = containerImage(r.image, imageRootsDir(clusterDir));
  return { rootfs: img.rootfs, mounts: img.mounts.map((m) => ({ hostPath: m.source, containerPath: m.destination, readOnly: true })) };
})();
const podA = randomUUID();
const podB = randomUUID();
const webroot = join(clusterDir, 'webroot');
const shared = join(clusterDir, 'shared');

after(async () => {
  for (const s of new Runtime(opts).listSandboxes()) await new Runtime(opts).removeSandbox(s.podUid);
});

async function exited(r: Runtime, uid: string, name: string, attempt = 0, ms = 20_000): Promise<ContainerStatus> {
  const deadline = Date.now() + ms;
  for (;;) {
    const st = r.containerStatus(uid, name, attempt);
    if (st?.state === 'exited') return st;
    if (Date.now() > deadline) assert.fail(`container ${name} did not exit: ${JSON.stringify(st)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function logs(uid: string, name: string, o: LogOptions = {}): Promise<string> {
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await rt.readLogs(uid, name, o, out, new AbortController().signal);
  return text;
}

function start(uid: string, name: string, argv: string[], extra: Partial<Parameters<Runtime['startContainer']>[0]> = {}) {
  return rt.startContainer({ podUid: uid, name, attempt: 0, argv, env: ENV, mounts: [], image: busybox, ...extra });
}

function pss(pid: number): { rss: number; pss: number } {
  const t = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(t)?.[1] ?? 0);
  return { rss: kb('Rss'), pss: kb('Pss') };
}

test('sandbox: netns, IP, files, cgroup; idempotent', async () => {
  const hosts = '127.0.0.1\tlocalhost\n10.244.0.99\tpod-a\n';
  const s1 = await rt.runSandbox({ podUid: podA, namespace: 'default', name: 'pod-a', hostname: 'pod-a', hostsFile: hosts, resolvConf: 'nameserver 10.96.0.10\n', cpuLimitMillis: 500, memoryLimitBytes: 256 << 20 });
  const s2 = await rt.runSandbox({ podUid: podA, namespace: 'default', name: 'pod-a', hostname: 'pod-a', hostsFile: hosts, resolvConf: 'nameserver 10.96.0.10\n' });
  assert.equal(s2.ip, s1.ip);
  assert.match(s1.ip, /^10\.244\.0\.\d+$/);
  assert.ok(existsSync(`/var/run/netns/${s1.netns}`));
  assert.deepEqual(new Runtime(opts).listSandboxes().map((s) => s.podUid), [podA]);
  const cg = detectCgroups();
  for (const d of podCgroupDirs(cg, cluster, podA)) assert.ok(existsSync(d), d);
  if (cg.version === 1) {
    assert.equal(readFileSync(join(cg.roots.cpu, `skiff.${cluster}`, podA, 'cpu.cfs_quota_us'), 'utf8').trim(), '50000');
    assert.equal(readFileSync(join(cg.roots.memory, `skiff.${cluster}`, podA, 'memory.limit_in_bytes'), 'utf8').trim(), String(256 << 20));
  }
});

test('a container: logs in CRI format, hostname, hosts file, exit code', async () => {
  await start(podA, 'hello', ['sh', '-c', 'echo hi; hostname; cat /etc/hosts; echo oops >&2; echo written > /etc/skiff-rt-probe; exit 0']);
  const st = await exited(rt, podA, 'hello');
  assert.equal(st.exitCode, 0);
  assert.equal(st.reason, 'Completed');
  const raw = readFileSync(st.logPath, 'utf8');
  assert.match(raw, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z stdout F hi$/m);
  assert.match(raw, / stderr F oops$/m);
  const text = await logs(podA, 'hello');
  assert.equal(text, 'hi\npod-a\n127.0.0.1\tlocalhost\n10.244.0.99\tpod-a\noops\n');
  assert.equal(await logs(podA, 'hello', { tailLines: 1 }), 'oops\n');
  assert.match(await logs(podA, 'hello', { timestamps: true, tailLines: 1 }), /^\d{4}-\d\d-\d\dT[\d:.]+Z oops\n$/);
  assert.equal(await logs(podA, 'hello', { limitBytes: 4 }), 'hi\np');
  assert.equal(await logs(podA, 'hello', { sinceTime: new Date(Date.now() + 60_000) }), '');
  assert.ok(!existsSync('/etc/skiff-rt-probe'), 'a container write reached the host');
});

test('a failing container reports Error, and a missing binary fails to start', async () => {
  await start(podA, 'fail', ['sh', '-c', 'exit 3']);
  const st = await exited(rt, podA, 'fail');
  assert.equal(st.exitCode, 3);
  assert.equal(st.reason, 'Error');
  await assert.rejects(start(podA, 'nobin', ['/no/such/binary']), /runc create failed: unable to start container process: exec: "\/no\/such\/binary": stat \/no\/such\/binary: no such file or directory: unknown$/);
  await assert.rejects(start(podA, 'nobin2', ['no-such-program']), /exec: "no-such-program": executable file not found in \$PATH: unknown$/);
  // No attempt is left behind: the next start is a fresh one.
  assert.equal(rt.containerStatus(podA, 'nobin'), undefined);
});

test('a container whose image notifies is reported started once its program says READY=1', async () => {
  const ready = join(nodeDir, 'pods', podA, 'containers', 'notifier', '0', 'notify', 'ready');
  const script = 'sleep 0.3; [ "$SKIFF_READY_FILE" = /run/skiff/ready ] || exit 9; echo READY=1 > "$SKIFF_READY_FILE"; exec sleep 30';
  const st = await start(podA, 'notifier', ['sh', '-c', script], { notifyReady: true });
  assert.equal(st.state, 'running');
  assert.equal(readFileSync(ready, 'utf8'), 'READY=1\n', 'the start returned before the program said it serves');
  // One that exits first is reported as it is, without waiting for a word that will not come.
  const quitter = await start(podA, 'quitter', ['sh', '-c', 'exit 4'], { notifyReady: true });
  assert.equal((quitter.state === 'exited' ? quitter : await exited(rt, podA, 'quitter')).exitCode, 4);
  await rt.stopContainer(podA, 'notifier', 0);
});

test('two containers share localhost; a volume appears at a path the host does not have; the same port clashes', async () => {
  mkdirSync(webroot, { recursive: true });
  writeFileSync(join(webroot, 'index.html'), 'hello from httpd\n');
  assert.ok(!existsSync('/skiff-www'));
  await start(podA, 'web', ['httpd', '-f', '-p', '8080', '-h', '/skiff-www'], { mounts: [{ hostPath: webroot, containerPath: '/skiff-www', readOnly: true }] });
  await start(podA, 'client', ['sh', '-c', 'i=0; while [ $i -lt 100 ]; do wget -qO- 127.0.0.1:8080/index.html && exit 0; i=$((i+1)); sleep 0.05; done; exit 1']);
  const c = await exited(rt, podA, 'client');
  assert.equal(c.exitCode, 0, await logs(podA, 'client'));
  assert.equal(await logs(podA, 'client'), 'hello from httpd\n');
  assert.ok(!existsSync('/skiff-www'), 'the mount point was created on the host');
  await start(podA, 'web2', ['httpd', '-f', '-p', '8080']);
  const w2 = await exited(rt, podA, 'web2');
  assert.notEqual(w2.exitCode, 0);
  assert.match(await logs(podA, 'web2'), /in use/i);
  assert.equal(rt.containerStatus(podA, 'web')?.state, 'running');
});

test('exec with pipes and with a tty, exit codes', async () => {
  const p = rt.exec(podA, 'web', ['sh', '-c', 'hostname; ls /skiff-www; exit 5'], { tty: false, stdin: false });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  assert.equal(await p.exit, 5);
  assert.equal(out, 'pod-a\nindex.html\n');
  // The resize is applied asynchronously: the command waits (bounded) until it sees a size.
  const t = rt.exec(podA, 'web', ['sh', '-c', 'read x; echo "got $x"; i=0; while [ "$(stty size)" = "0 0" ] && [ $i -lt 200 ]; do i=$((i+1)); sleep 0.02; done; stty size; exit 2'], { tty: true, stdin: true });
  let tout = '';
  t.stdout.on('data', (d: Buffer) => (tout += d.toString()));
  t.resize(100, 30);
  t.stdin!.write('abc\n');
  assert.equal(await t.exit, 2);
  assert.match(tout, /got abc/);
  assert.match(tout, /30 100/);
});

test('a signal that ends the command or the container reports 128 + the signal; the container starts with no signal ignored', async () => {
  const suicide = (sig: string) => ['sh', '-c', `ulimit -c 0; kill -${sig} $$; exit 99`];
  for (const [sig, want] of Object.entries({ SEGV: 139, ABRT: 134, TERM: 143 })) {
    for (const tty of [false, true]) {
      const p = rt.exec(podA, 'web', suicide(sig), { tty, stdin: false });
      p.stdout.resume();
      p.stderr?.resume();
      if (tty) p.resize(80, 24);
      assert.equal(await p.exit, want, `exec ${sig} tty=${tty}`);
    }
  }
  // The container starts with every signal at its default, as under containerd: none is
  // ignored (a shell that started the shim ignores SIGINT and SIGQUIT in its background jobs).
  await start(podA, 'dispositions', ['sleep', '1000']);
  const pid = rt.containerStatus(podA, 'dispositions')!.pid!;
  assert.match(readFileSync(`/proc/${pid}/status`, 'utf8'), /^SigIgn:\s+0+$/m);
  await rt.stopContainer(podA, 'dispositions', 0);
  assert.equal(rt.containerStatus(podA, 'dispositions')?.exitCode, 137);
  // The exit codes a container's command reports come through as they are.
  for (const [sig, want] of Object.entries({ INT: 130, USR1: 138 })) {
    const name = `sig-${sig.toLowerCase()}`;
    await start(podA, name, ['sh', '-c', `sh -c 'kill -${sig} $$; exit 99'; exit $?`]);
    assert.equal((await exited(rt, podA, name)).exitCode, want, sig);
  }
});

test('exec of a program the image does not have fails with 126 and runc\'s reason', async () => {
  const p = rt.exec(podA, 'web', ['no-such-program'], { tty: false, stdin: false });
  let err = '';
  p.stdout.resume();
  p.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  assert.equal(await p.exit, 126);
  assert.match(err, /exec: "no-such-program": executable file not found in \$PATH/);
});

test('port-forward reaches 127.0.0.1:port in the pod', async () => {
  const s = await rt.portForward(podA, 8080);
  let body = '';
  s.on('data', (d: Buffer) => (body += d.toString()));
  s.write('GET /index.html HTTP/1.0\r\n\r\n');
  await new Promise((res, rej) => {
    s.on('end', res);
    s.on('error', rej);
  });
  assert.match(body, /200 OK[\s\S]*hello from httpd/);
  const refused = await rt.portForward(podA, 9999);
  await assert.rejects(new Promise((res, rej) => { refused.on('error', rej); refused.on('end', res); refused.resume(); }), /failed to connect to localhost:9999 inside namespace .*connection refused/);
});

test('stats and the memory the shim, stamper and supervisor cost', async () => {
  const st = rt.stats(podA)!;
  assert.ok(st.cpuUsageNanos > 0 && st.memoryBytes > 0, JSON.stringify(st));
  const shimPid = Number(readFileSync(join(nodeDir, 'pods', podA, 'containers', 'web', '0', 'shim.pid'), 'utf8'));
  const children = readFileSync(`/proc/${shimPid}/task/${shimPid}/children`, 'utf8').trim().split(' ').map(Number);
  const helpers = [shimPid, ...children];
  assert.equal(helpers.length, 3, 'shim, stamper and supervisor');
  const m = helpers.map(pss);
  const total = { rss: m.reduce((a, b) => a + b.rss, 0), pss: m.reduce((a, b) => a + b.pss, 0) };
  console.log(`per-container overhead: shim+stamper+supervisor RSS ${total.rss} KiB, PSS ${total.pss} KiB`);
  assert.ok(total.pss < 2048, `PSS ${total.pss} KiB`);
});

test('stop: SIGTERM ends a container that handles it (exit 0); PID 1 without a handler, or one ignoring it, is killed after the grace period (137)', async () => {
  await start(podA, 'polite', ['sh', '-c', 'trap "exit 0" TERM; echo ready; while :; do sleep 0.1; done']);
  while (!(await logs(podA, 'polite')).includes('ready')) await new Promise((res) => setTimeout(res, 20));
  await rt.stopContainer(podA, 'polite', 30);
  // 0, its own exit on SIGTERM; the grace period's SIGKILL would give 137.
  assert.equal(rt.containerStatus(podA, 'polite')?.exitCode, 0);
  // busybox httpd sets no SIGTERM handler: as PID 1 of its namespace it does not die of it.
  await rt.stopContainer(podA, 'web', 1);
  const web = rt.containerStatus(podA, 'web')!;
  assert.equal(web.state, 'exited');
  assert.equal(web.exitCode, 137);
  await start(podA, 'stubborn', ['sh', '-c', 'trap "" TERM; echo ready; while :; do sleep 1; done']);
  while (!(await logs(podA, 'stubborn')).includes('ready')) await new Promise((res) => setTimeout(res, 20));
  await rt.stopContainer(podA, 'stubborn', 1);
  const s = rt.containerStatus(podA, 'stubborn')!;
  assert.equal(s.exitCode, 137);
  assert.equal(s.reason, 'Error');
});

test('restart attempts: previous logs, only one previous attempt kept', async () => {
  for (let attempt = 0; attempt < 3; attempt++) {
    await rt.startContainer({ podUid: podA, name: 'again', attempt, argv: ['sh', '-c', `echo run ${attempt}`], env: ENV, mounts: [], image: busybox });
    await exited(rt, podA, 'again', attempt);
  }
  assert.equal(await logs(podA, 'again'), 'run 2\n');
  assert.equal(await logs(podA, 'again', { previous: true }), 'run 1\n');
  assert.equal(rt.containerStatus(podA, 'again', 0), undefined);
  assert.equal(rt.containerStatus(podA, 'again', 1)?.exitCode, 0);
});

test('follow streams until the container exits', async () => {
  mkdirSync(shared, { recursive: true });
  await start(podA, 'follow', ['sh', '-c', 'echo one; while [ ! -e /data/go ]; do sleep 0.02; done; echo two'], { mounts: [{ hostPath: shared, containerPath: '/data' }] });
  mkdirSync(shared, { recursive: true });
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => {
    text += d.toString();
    if (text === 'one\n') writeFileSync(join(shared, 'go'), '');
  });
  await rt.readLogs(podA, 'follow', { follow: true }, out, new AbortController().signal);
  assert.equal(text, 'one\ntwo\n');
  assert.equal(rt.containerStatus(podA, 'follow')?.state, 'exited');
});

test('a restarted agent adopts a running container and later reads its exit code', async () => {
  mkdirSync(shared, { recursive: true });
  const gate = join(shared, 'adopt-go');
  // The container is started by another agent process, which then exits.
  const index = fileURLToPath(new URL('../../../../src/node/kubelet/runtime/index.js', import.meta.url));
  const script = `const { Runtime } = await import(${JSON.stringify(index)});
    const rt = new Runtime(${JSON.stringify(opts)});
    await rt.startContainer({ podUid: ${JSON.stringify(podA)}, name: 'adopted', attempt: 0, env: ${JSON.stringify(ENV)},
      argv: ['sh', '-c', 'while [ ! -e /data/adopt-go ]; do sleep 0.02; done; echo leaving; exit 7'],
      mounts: [{ hostPath: ${JSON.stringify(shared)}, containerPath: '/data' }], image: ${JSON.stringify(busybox)} });`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.status, 0, r.stderr);
  const fresh = new Runtime(opts);
  assert.ok(fresh.listSandboxes().some((s) => s.podUid === podA));
  const st = fresh.containerStatus(podA, 'adopted')!;
  assert.equal(st.state, 'running');
  assert.ok(st.pid && existsSync(`/proc/${st.pid}`));
  writeFileSync(gate, '');
  const done = await exited(fresh, podA, 'adopted');
  assert.equal(done.exitCode, 7);
  const out = new PassThrough();
  let text = '';
  out.on('data', (d: Buffer) => (text += d.toString()));
  await fresh.readLogs(podA, 'adopted', {}, out, new AbortController().signal);
  assert.equal(text, 'leaving\n');
});

test('a container over its memory limit is OOMKilled', async () => {
  await rt.runSandbox({ podUid: podB, namespace: 'default', name: 'pod-b', hostname: 'pod-b', hostsFile: '', resolvConf: '', memoryLimitBytes: 32 << 20 });
  await rt.startContainer({ podUid: podB, name: 'hog', attempt: 0, argv: ['dd', 'if=/dev/zero', 'of=/dev/null', 'bs=256M', 'count=1'], env: ENV, mounts: [], image: busybox });
  const st = await exited(rt, podB, 'hog');
  assert.equal(st.exitCode, 137);
  assert.equal(st.reason, 'OOMKilled');
});

test('removeSandbox leaves no netns, cgroup, mount, process or file', async () => {
  await start(podA, 'sleeper', ['sleep', '1000']);
  const pid = rt.containerStatus(podA, 'sleeper')!.pid!;
  const netns = rt.listSandboxes().find((s) => s.podUid === podA)!.netns;
  const podDir = join(nodeDir, 'pods', podA);
  await rt.removeSandbox(podA);
  await rt.removeSandbox(podB);
  assert.ok(!existsSync(`/var/run/netns/${netns}`));
  assert.ok(!existsSync(`/proc/${pid}`) || !readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('sleep'));
  for (const d of allPodCgroupDirs(detectCgroups(), cluster, podA)) assert.ok(!existsSync(d), d);
  assert.ok(!existsSync(podDir));
  assert.deepEqual(readdirSync(join(nodeDir, 'runc')).filter((id) => id.startsWith(podA)), [], 'runc state left behind');
  assert.ok(!readFileSync('/proc/self/mountinfo', 'utf8').includes(podDir));
  const left = readdirSync('/proc').filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid).flatMap((p) => {
    try {
      const cmd = readFileSync(`/proc/${p}/cmdline`, 'utf8');
      return cmd.includes(podDir) ? [`${p}: ${cmd.replace(/\0/g, ' ').slice(0, 200)}`] : [];
    } catch {
      return [];
    }
  });
  assert.deepEqual(left, []);
  assert.deepEqual(rt.listSandboxes(), []);
});
