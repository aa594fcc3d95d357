// The generated OCI spec against the real runc: a throwaway bundle (a rootfs holding a static
// busybox) in a temporary directory, config.json from containerSpec, `runc run` in the
// foreground, and the container's own view of its capabilities, seccomp mode, PID namespace
// and root filesystem. Everything lives under the temp dir and a cgroup named after this
// process; `after` deletes the containers, the state, the cgroups and the directory.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { containerSpec, type ContainerSpecInput } from '../../../src/node/kubelet/runtime/oci/spec.js';
import { currentCapabilities, goArch, hostDevices, kernelRelease, loadSeccompProfile, swapControllerAvailable, unifiedCgroups, DEFAULT_SECCOMP_PROFILE } from '../../../src/node/kubelet/runtime/oci/host.js';

const root = process.getuid?.() === 0;
const runcVersion = spawnSync('runc', ['--version'], { encoding: 'utf8' });
const haveRunc = runcVersion.status === 0;
const skip = !root ? 'needs root' : !haveRunc ? 'runc is not installed (apt-get install runc)' : !existsSync(DEFAULT_SECCOMP_PROFILE) ? `${DEFAULT_SECCOMP_PROFILE} is missing (scripts/install-deps.sh fetches it)` : false;
if (skip) console.log(`# skipping the runc tests: ${skip}`);

const dir = skip ? '' : mkdtempSync(join(tmpdir(), 'skiff-oci-runc-'));
const state = join(dir, 'state');
const rootfs = join(dir, 'rootfs');
/** The cgroup parent of every container here; runc removes each leaf, `after` removes this. */
const cgroupParent = `skiff-oci-e2e-${process.pid}`;
const created: string[] = [];
let seq = 0;

function runc(...args: string[]) {
  return spawnSync('runc', ['--root', state, ...args], { encoding: 'utf8', timeout: 30_000, killSignal: 'SIGKILL' });
}

after(() => {
  if (skip) return;
  for (const id of created) runc('delete', '-f', id);
  const left = runc('list', '-q').stdout?.trim() ?? '';
  removeCgroupParent();
  rmSync(dir, { recursive: true, force: true });
  assert.equal(left, '', `runc containers left behind: ${left}`);
});

/** Removes this run's cgroup directories in every hierarchy (v1 controllers and the unified one), deepest first. */
function removeCgroupParent(): void {
  const base = '/sys/fs/cgroup';
  const candidates = [join(base, cgroupParent), ...readdirSync(base).map((h) => join(base, h, cgroupParent))];
  for (const d of candidates) {
    if (!existsSync(d)) continue;
    const rm = (p: string) => {
      for (const e of readdirSync(p, { withFileTypes: true })) if (e.isDirectory()) rm(join(p, e.name));
      try {
        rmdirSync(p);
      } catch {
        // Still has a process (a container runc could not kill); the assertion on `runc list` reports it.
      }
    };
    rm(d);
  }
}

/** A statically linked busybox: skiff's own, the host's if static, else busybox-static unpacked here. */
function staticBusybox(): string {
  const isStatic = (p: string) => existsSync(p) && /statically linked/.test(spawnSync('file', ['-L', p], { encoding: 'utf8' }).stdout ?? '');
  for (const p of ['/usr/local/lib/skiff/busybox', '/bin/busybox']) if (isStatic(p)) return p;
  const dl = join(dir, 'dl');
  mkdirSync(dl, { recursive: true });
  const r = spawnSync('apt-get', ['download', 'busybox-static'], { cwd: dl, encoding: 'utf8' });
  assert.equal(r.status, 0, `apt-get download busybox-static: ${r.stderr}`);
  const deb = readdirSync(dl).find((f) => f.endsWith('.deb'));
  assert.ok(deb, 'no busybox-static .deb downloaded');
  const x = spawnSync('dpkg-deb', ['-x', join(dl, deb), join(dl, 'x')], { encoding: 'utf8' });
  assert.equal(x.status, 0, `dpkg-deb -x: ${x.stderr}`);
  const p = [join(dl, 'x/bin/busybox'), join(dl, 'x/usr/bin/busybox')].find(isStatic);
  assert.ok(p, 'busybox-static holds no statically linked busybox');
  return p;
}

let rootfsReady = false;
function ensureRootfs(): void {
  if (rootfsReady) return;
  for (const d of ['bin', 'proc', 'sys', 'dev', 'etc', 'tmp']) mkdirSync(join(rootfs, d), { recursive: true });
  copyFileSync(staticBusybox(), join(rootfs, 'bin/busybox'));
  for (const applet of ['sh', 'cat', 'ls', 'echo', 'true', 'id', 'touch', 'grep']) symlinkSync('busybox', join(rootfs, 'bin', applet));
  const files = join(dir, 'pod');
  mkdirSync(files, { recursive: true });
  writeFileSync(join(files, 'hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(files, 'resolv.conf'), 'nameserver 10.96.0.10\n');
  writeFileSync(join(files, 'hostname'), 'oci-test\n');
  writeFileSync(join(files, 'termination-log'), '');
  rootfsReady = true;
}

let facts: ContainerSpecInput['host'];
function hostFacts(): NonNullable<ContainerSpecInput['host']> {
  facts ??= {
    allCapabilities: currentCapabilities(),
    defaultSeccompProfile: loadSeccompProfile(),
    unifiedCgroups: unifiedCgroups(),
    swapController: swapControllerAvailable(),
    arch: goArch(),
    kernelRelease: kernelRelease(),
  };
  return facts;
}

/** A container of a pod that has its own namespaces (a fresh network namespace stands in for the pod's). */
function spec(args: string[], over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  ensureRootfs();
  const files = join(dir, 'pod');
  return {
    args,
    rootfs,
    hostname: 'oci-test',
    namespaces: { network: { mode: 'new' }, ipc: { mode: 'new' }, uts: { mode: 'new' }, pid: { mode: 'new' } },
    security: { seccomp: { type: 'RuntimeDefault' }, allowPrivilegeEscalation: false },
    podFiles: { hosts: join(files, 'hosts'), resolvConf: join(files, 'resolv.conf'), hostname: join(files, 'hostname') },
    terminationMessage: { hostPath: join(files, 'termination-log') },
    resources: { cpuLimitMilli: 500, memoryLimitBytes: 64 << 20 },
    host: hostFacts(),
    ...over,
  };
}

/** Runs one container to completion with `runc run` and returns its exit code and output. */
function run(input: ContainerSpecInput): { status: number | null; stdout: string; stderr: string; ms: number } {
  const id = `skiff-oci-${process.pid}-${++seq}`;
  const bundle = join(dir, `bundle-${seq}`);
  mkdirSync(bundle);
  writeFileSync(join(bundle, 'config.json'), JSON.stringify(containerSpec({ ...input, cgroupsPath: `/${cgroupParent}/${id}` }), null, 2));
  created.push(id);
  // The container's output goes to files, not pipes: a container outliving a killed runc would
  // hold a pipe open and keep spawnSync waiting. SIGKILL on timeout because runc forwards
  // SIGTERM to the container's init, which ignores it; `after` then deletes the container.
  const out = join(bundle, 'stdout');
  const err = join(bundle, 'stderr');
  const fds = [openSync(out, 'w'), openSync(err, 'w')];
  const t0 = process.hrtime.bigint();
  let r;
  try {
    r = spawnSync('runc', ['--root', state, 'run', '--bundle', bundle, id], { stdio: ['ignore', fds[0], fds[1]], timeout: 30_000, killSignal: 'SIGKILL' });
  } finally {
    for (const fd of fds) closeSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.error) throw r.error;
  return { status: r.status, stdout: readFileSync(out, 'utf8'), stderr: readFileSync(err, 'utf8'), ms };
}

function statusField(status: string, field: string): string | undefined {
  return new RegExp(`^${field}:\\s*(\\S+)`, 'm').exec(status)?.[1];
}

test('runc: Docker default capabilities, seccomp filter, no_new_privs', { skip }, () => {
  const r = run(spec(['/bin/cat', '/proc/self/status']));
  assert.equal(r.status, 0, r.stderr);
  assert.equal(statusField(r.stdout, 'CapEff'), '00000000a80425fb');
  assert.equal(statusField(r.stdout, 'CapBnd'), '00000000a80425fb');
  assert.equal(statusField(r.stdout, 'CapAmb'), '0000000000000000');
  assert.equal(statusField(r.stdout, 'Seccomp'), '2');
  assert.equal(statusField(r.stdout, 'NoNewPrivs'), '1');
});

test('runc: own PID namespace, /proc shows only the container', { skip }, () => {
  const sh = run(spec(['/bin/sh', '-c', 'echo $$']));
  assert.equal(sh.status, 0, sh.stderr);
  assert.equal(sh.stdout.trim(), '1');
  const ls = run(spec(['/bin/ls', '/proc']));
  assert.equal(ls.status, 0, ls.stderr);
  assert.deepEqual(ls.stdout.split(/\s+/).filter((e) => /^\d+$/.test(e)), ['1']);
});

test('runc: read-only root; kubelet files stay writable, sandbox files follow the root; masked paths are empty', { skip }, () => {
  const ro = spec(['/bin/sh', '-c', 'touch /x; echo done > /dev/termination-log && cat /dev/termination-log; echo x >> /etc/resolv.conf; echo "kcore=$(cat /proc/kcore)"; cat /etc/hostname'], { security: { seccomp: { type: 'RuntimeDefault' }, allowPrivilegeEscalation: false, readOnlyRootFilesystem: true } });
  const r = run(ro);
  assert.match(r.stderr, /touch: \/x: Read-only file system/);
  assert.match(r.stderr, /\/etc\/resolv\.conf: Read-only file system/);
  assert.match(r.stdout, /^done$/m, 'the termination log is writable');
  assert.match(r.stdout, /^kcore=$/m, '/proc/kcore is masked');
  assert.match(r.stdout, /^oci-test$/m);
  const rw = run(spec(['/bin/sh', '-c', 'touch /tmp/ok && echo wrote']));
  assert.equal(rw.status, 0, rw.stderr);
  assert.equal(rw.stdout.trim(), 'wrote');
});

test('runc: runAsUser 1000 with drop ALL has uid 1000 and no capabilities', { skip }, () => {
  const r = run(spec(['/bin/sh', '-c', 'id -u; id -g; cat /proc/self/status'], {
    user: { uid: 1000, gid: 1000, additionalGids: [2000] },
    security: { seccomp: { type: 'RuntimeDefault' }, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
  }));
  assert.equal(r.status, 0, r.stderr);
  const [uid, gid] = r.stdout.split('\n');
  assert.equal(uid, '1000');
  assert.equal(gid, '1000');
  assert.equal(statusField(r.stdout, 'CapEff'), '0000000000000000');
  assert.equal(statusField(r.stdout, 'CapBnd'), '0000000000000000');
  assert.match(r.stdout, /^Groups:\s*2000\s*$/m);
});

test('runc: privileged has the runtime\'s capabilities, no seccomp, the host devices and a writable /sys', { skip }, () => {
  const r = run(spec(['/bin/sh', '-c', 'cat /proc/self/status; ls /dev; grep " /sys " /proc/mounts'], {
    security: { privileged: true, seccomp: { type: 'RuntimeDefault' } },
    host: { ...hostFacts(), devices: hostDevices() },
  }));
  assert.equal(r.status, 0, r.stderr);
  const own = readFileSync('/proc/self/status', 'utf8');
  assert.equal(statusField(r.stdout, 'CapEff'), statusField(own, 'CapEff'));
  assert.equal(statusField(r.stdout, 'Seccomp'), '0');
  assert.equal(statusField(r.stdout, 'NoNewPrivs'), '0');
  assert.match(r.stdout, /^null$/m);
  if (existsSync('/dev/loop-control')) assert.match(r.stdout, /^loop-control$/m, 'a host device beyond runc\'s defaults');
  assert.match(r.stdout, /^sysfs \/sys sysfs rw,/m);
});

test('runc: the container cgroup carries the kubelet limits (cpu limit 500m, memory 64Mi)', { skip }, () => {
  const v2 = hostFacts().unifiedCgroups === true;
  const files = v2 ? ['/sys/fs/cgroup/cpu.max', '/sys/fs/cgroup/memory.max'] : ['/sys/fs/cgroup/cpu/cpu.shares', '/sys/fs/cgroup/cpu/cpu.cfs_quota_us', '/sys/fs/cgroup/cpu/cpu.cfs_period_us', '/sys/fs/cgroup/memory/memory.limit_in_bytes'];
  const r = run(spec(['/bin/cat', ...files]));
  assert.equal(r.status, 0, r.stderr);
  const want = v2 ? ['50000 100000', String(64 << 20)] : ['512', '50000', '100000', String(64 << 20)];
  assert.deepEqual(r.stdout.trim().split('\n'), want);
});

test('runc run of `true`: wall time, median of 10', { skip }, () => {
  const input = spec(['/bin/true']);
  const times: number[] = [];
  for (let i = 0; i < 10; i++) {
    const r = run(input);
    assert.equal(r.status, 0, r.stderr);
    times.push(r.ms);
  }
  times.sort((a, b) => a - b);
  const median = (times[4] + times[5]) / 2;
  console.log(`# runc run (true) wall time: median ${median.toFixed(1)} ms, min ${times[0].toFixed(1)} ms, max ${times[9].toFixed(1)} ms over 10 runs (${runcVersion.stdout.split('\n')[0]})`);
});
