import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { containerSpec, replaceOrAppendEnv, type ContainerSpecInput } from '../../../../../../src/node/kubelet/runtime/oci/spec.js';
import { applyCapabilityChanges, capabilitiesFromMask, capabilityMask, DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES } from '../../../../../../src/node/kubelet/runtime/oci/capabilities.js';
import { seccompForContainer, type SeccompProfile } from '../../../../../../src/node/kubelet/runtime/oci/seccomp.js';
import { linuxResources, milliCpuToQuota, milliCpuToShares } from '../../../../../../src/node/kubelet/runtime/oci/resources.js';
import { DEFAULT_SECCOMP_PROFILE, goArch } from '../../../../../../src/node/kubelet/runtime/oci/host.js';
import type { OciSpec } from '../../../../../../src/node/kubelet/runtime/oci/types.js';

const pod = { network: { mode: 'path', path: '/var/run/netns/pod' }, ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, uts: { mode: 'path', path: '/proc/42/ns/uts' }, pid: { mode: 'new' } } as const;

function input(over: Partial<ContainerSpecInput> = {}): ContainerSpecInput {
  return { args: ['/bin/sh', '-c', 'true'], rootfs: 'rootfs', hostname: 'web-0', namespaces: pod, ...over };
}

const DOCKER_CAP_EFF = '00000000a80425fb';
const mountOf = (s: OciSpec, dst: string) => s.mounts.find((m) => m.destination === dst);

/** A small profile in containers/common's format exercising every filter. */
const fixture: SeccompProfile = {
  defaultAction: 'SCMP_ACT_ERRNO',
  defaultErrnoRet: 38,
  archMap: [
    { architecture: 'SCMP_ARCH_X86_64', subArchitectures: ['SCMP_ARCH_X86', 'SCMP_ARCH_X32'] },
    { architecture: 'SCMP_ARCH_AARCH64', subArchitectures: ['SCMP_ARCH_ARM'] },
  ],
  syscalls: [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW', args: [], includes: {}, excludes: {} },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['amd64', 'x32'] } },
    { names: ['set_tls'], action: 'SCMP_ACT_ALLOW', includes: { arches: ['arm', 'arm64'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN'] } },
    { names: ['bpf'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_SYS_ADMIN'] }, errnoRet: 1, errno: 'EPERM' },
    { names: ['kcmp'], action: 'SCMP_ACT_ALLOW', includes: { caps: ['CAP_SYS_ADMIN', 'CAP_SYS_PTRACE'] } },
    { names: ['socket'], action: 'SCMP_ACT_ERRNO', excludes: { caps: ['CAP_AUDIT_WRITE'] }, errno: 'EINVAL', args: [{ index: 0, value: 16, op: 'SCMP_CMP_EQ' }] },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW', args: null, includes: { caps: ['CAP_AUDIT_WRITE'] } },
    { names: ['clone3'], action: 'SCMP_ACT_ALLOW', includes: { minKernel: '5.3' } },
    { names: ['old_thing'], action: 'SCMP_ACT_ALLOW', excludes: { minKernel: '4.0' } },
  ],
};

test('defaults: Docker capabilities, no new privileges off, containerd mounts without /run, kubelet masked and read-only paths', () => {
  const s = containerSpec(input());
  assert.equal(s.ociVersion, '1.0.2-dev');
  assert.deepEqual(s.process.args, ['/bin/sh', '-c', 'true']);
  assert.equal(s.process.cwd, '/');
  assert.deepEqual(s.process.user, { uid: 0, gid: 0 });
  assert.deepEqual(s.process.env, ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'HOSTNAME=web-0']);
  assert.equal(s.process.terminal, undefined);
  assert.equal(s.process.noNewPrivileges, false);
  assert.deepEqual(s.process.capabilities, { bounding: [...DEFAULT_CAPABILITIES], effective: [...DEFAULT_CAPABILITIES], permitted: [...DEFAULT_CAPABILITIES] });
  assert.equal(capabilityMask(s.process.capabilities.effective!), DOCKER_CAP_EFF);
  assert.deepEqual(s.root, { path: 'rootfs' });
  assert.equal(s.hostname, undefined, 'a container joining the pod UTS namespace does not set the hostname');
  assert.deepEqual(
    s.mounts.map((m) => [m.destination, m.type, m.options.join(',')]),
    [
      ['/proc', 'proc', 'nosuid,noexec,nodev'],
      ['/dev', 'tmpfs', 'nosuid,strictatime,mode=755,size=65536k'],
      ['/dev/pts', 'devpts', 'nosuid,noexec,newinstance,ptmxmode=0666,mode=0620,gid=5'],
      ['/dev/shm', 'tmpfs', 'nosuid,noexec,nodev,mode=1777,size=65536k'],
      ['/dev/mqueue', 'mqueue', 'nosuid,noexec,nodev'],
      ['/sys', 'sysfs', 'nosuid,noexec,nodev,ro'],
      ['/sys/fs/cgroup', 'cgroup', 'nosuid,noexec,nodev,relatime,ro'],
    ],
  );
  assert.deepEqual(s.linux.maskedPaths, [
    '/proc/asound', '/proc/acpi', '/proc/kcore', '/proc/keys', '/proc/latency_stats', '/proc/timer_list', '/proc/timer_stats',
    '/proc/sched_debug', '/proc/scsi', '/sys/firmware', '/sys/devices/virtual/powercap',
  ]);
  assert.deepEqual(s.linux.readonlyPaths, ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger']);
  assert.deepEqual(s.linux.resources.devices, [{ allow: false, access: 'rwm' }]);
  assert.deepEqual(s.linux.resources.cpu, { shares: 2, period: 100000 });
  assert.equal(s.linux.resources.memory, undefined);
  assert.equal(s.linux.seccomp, undefined, 'no seccomp field means Unconfined, the kubelet default');
  assert.equal(s.linux.devices, undefined);
  assert.equal(s.linux.cgroupsPath, undefined);
  assert.equal((s.process as { rlimits?: unknown }).rlimits, undefined, 'CRI WithoutDefaultSecuritySettings drops the 1024 nofile rlimit');
});

test('the spec is JSON: it survives a round trip unchanged', () => {
  const s = containerSpec(input({ security: { seccomp: { type: 'RuntimeDefault' } }, host: { defaultSeccompProfile: fixture, kernelRelease: '6.1.0' } }));
  assert.deepEqual(JSON.parse(JSON.stringify(s)), s);
});

test('capabilities: add and drop by Kubernetes name, ALL on either side, in CRI order', () => {
  const all = KNOWN_CAPABILITIES;
  const caps = (add?: string[], drop?: string[]) => containerSpec(input({ security: { capabilities: { add, drop } } })).process.capabilities;
  assert.deepEqual(caps(['NET_ADMIN', 'sys_time']).bounding, [...DEFAULT_CAPABILITIES, 'CAP_NET_ADMIN', 'CAP_SYS_TIME']);
  assert.deepEqual(caps(undefined, ['NET_RAW', 'MKNOD']).effective, DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_NET_RAW' && c !== 'CAP_MKNOD'));
  const none = caps(undefined, ['ALL']);
  assert.deepEqual(none, { bounding: [], effective: [], permitted: [] });
  assert.equal(capabilityMask(none.effective!), '0000000000000000');
  assert.deepEqual(caps(['NET_BIND_SERVICE'], ['ALL']).permitted, ['CAP_NET_BIND_SERVICE'], 'drop ALL happens before the named adds');
  assert.deepEqual(caps(['ALL']).bounding, [...all]);
  assert.deepEqual(caps(['all'], ['SYS_ADMIN']).bounding, all.filter((c) => c !== 'CAP_SYS_ADMIN'));
  assert.deepEqual(caps(['ALL'], ['ALL']).bounding, [], 'drop ALL after add ALL');
  assert.deepEqual(applyCapabilityChanges(['CAP_KILL'], { add: ['KILL'] }, all), ['CAP_KILL'], 'no duplicates');
  assert.deepEqual(containerSpec(input({ security: { capabilities: { add: ['ALL'] } }, host: { allCapabilities: ['CAP_CHOWN', 'CAP_KILL'] } })).process.capabilities.bounding, ['CAP_CHOWN', 'CAP_KILL']);
});

test('capability masks convert both ways as /proc/self/status prints them', () => {
  assert.deepEqual(capabilitiesFromMask(DOCKER_CAP_EFF).sort(), [...DEFAULT_CAPABILITIES].sort());
  assert.equal(capabilityMask(KNOWN_CAPABILITIES), '000001ffffffffff');
  assert.equal(capabilitiesFromMask('000001fffeffffff').includes('CAP_SYS_RESOURCE'), false);
});

test('privileged: all caps the runtime holds, host devices, every device allowed, /sys and cgroup rw, no masks, no seccomp', () => {
  const dev = { type: 'c', path: '/dev/null', major: 1, minor: 3, fileMode: 0o666, uid: 0, gid: 0 };
  const s = containerSpec(input({
    security: { privileged: true, capabilities: { drop: ['ALL'] }, seccomp: { type: 'RuntimeDefault' } },
    host: { allCapabilities: ['CAP_CHOWN', 'CAP_SYS_ADMIN'], devices: [dev], defaultSeccompProfile: fixture, unifiedCgroups: true },
  }));
  assert.deepEqual(s.process.capabilities.effective, ['CAP_CHOWN', 'CAP_SYS_ADMIN'], 'privileged overrides drop ALL');
  assert.deepEqual(s.linux.devices, [dev]);
  assert.deepEqual(s.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.deepEqual(mountOf(s, '/sys')?.options, ['nosuid', 'noexec', 'nodev', 'rw']);
  assert.deepEqual(mountOf(s, '/sys/fs/cgroup')?.options, ['nosuid', 'noexec', 'nodev', 'relatime', 'rw']);
  assert.equal(s.linux.maskedPaths, undefined);
  assert.equal(s.linux.readonlyPaths, undefined);
  assert.equal(s.linux.seccomp, undefined);
  assert.equal(s.linux.namespaces.some((n) => n.type === 'cgroup'), false, 'no cgroupns for privileged containers');
  assert.equal(s.process.noNewPrivileges, false);
});

test('allowPrivilegeEscalation: only an explicit false sets noNewPrivileges', () => {
  assert.equal(containerSpec(input({ security: { allowPrivilegeEscalation: false } })).process.noNewPrivileges, true);
  assert.equal(containerSpec(input({ security: { allowPrivilegeEscalation: true } })).process.noNewPrivileges, false);
  assert.equal(containerSpec(input({ security: {} })).process.noNewPrivileges, false);
});

test('readOnlyRootFilesystem: read-only root, sandbox files follow it, kubelet files stay writable', () => {
  const podFiles = { hosts: '/p/hosts', resolvConf: '/p/resolv.conf', hostname: '/p/hostname', devShm: '/p/shm' };
  const terminationMessage = { hostPath: '/p/c/termination-log' };
  const ro = containerSpec(input({ security: { readOnlyRootFilesystem: true }, podFiles, terminationMessage }));
  assert.deepEqual(ro.root, { path: 'rootfs', readonly: true });
  assert.deepEqual(mountOf(ro, '/etc/hostname'), { destination: '/etc/hostname', type: 'bind', source: '/p/hostname', options: ['rbind', 'rprivate', 'ro'] });
  assert.deepEqual(mountOf(ro, '/etc/resolv.conf')?.options, ['rbind', 'rprivate', 'ro']);
  assert.deepEqual(mountOf(ro, '/etc/hosts')?.options, ['rbind', 'rprivate', 'rw'], 'the kubelet mounts /etc/hosts read-write');
  assert.deepEqual(mountOf(ro, '/dev/termination-log'), { destination: '/dev/termination-log', type: 'bind', source: '/p/c/termination-log', options: ['rbind', 'rprivate', 'rw'] });
  assert.deepEqual(mountOf(ro, '/dev/shm'), { destination: '/dev/shm', type: 'bind', source: '/p/shm', options: ['rbind', 'rprivate', 'rw'] });
  assert.equal(ro.mounts.filter((m) => m.destination === '/dev/shm').length, 1, 'the sandbox shm replaces the default tmpfs');
  const rw = containerSpec(input({ podFiles, terminationMessage }));
  assert.deepEqual(rw.root, { path: 'rootfs' });
  assert.deepEqual(mountOf(rw, '/etc/resolv.conf')?.options, ['rbind', 'rprivate', 'rw']);
  // CRI mounts come first, then the sandbox's; both sorted by depth (stable).
  assert.deepEqual(rw.mounts.filter((m) => m.type === 'bind').map((m) => m.destination), ['/etc/hosts', '/dev/termination-log', '/etc/hostname', '/etc/resolv.conf', '/dev/shm']);
});

test('volumes: ro/rw binds, a volume at /etc/hosts wins, propagation, depth order, a /dev volume hides default /dev mounts', () => {
  const s = containerSpec(input({
    podFiles: { hosts: '/p/hosts', resolvConf: '/p/resolv.conf' },
    mounts: [
      { containerPath: '/data/cache/deep', hostPath: '/v/deep' },
      { containerPath: '/data', hostPath: '/v/data', readOnly: true },
      { containerPath: '/etc/hosts', hostPath: '/v/myhosts', readOnly: true },
      { containerPath: '/mnt/host', hostPath: '/mnt', propagation: 'HostToContainer' },
    ],
  }));
  const binds = s.mounts.filter((m) => m.type === 'bind');
  assert.deepEqual(binds.map((m) => [m.destination, m.source, m.options.join(',')]), [
    ['/data', '/v/data', 'rbind,rprivate,ro'],
    ['/etc/hosts', '/v/myhosts', 'rbind,rprivate,ro'],
    ['/mnt/host', '/mnt', 'rbind,rslave,rw'],
    ['/etc/resolv.conf', '/p/resolv.conf', 'rbind,rprivate,rw'],
    ['/data/cache/deep', '/v/deep', 'rbind,rprivate,rw'],
  ]);
  assert.equal(s.linux.rootfsPropagation, 'rslave');
  const bi = containerSpec(input({ mounts: [{ containerPath: '/a', hostPath: '/a', propagation: 'Bidirectional' }, { containerPath: '/b', hostPath: '/b', propagation: 'HostToContainer' }] }));
  assert.equal(bi.linux.rootfsPropagation, 'rshared');
  const dev = containerSpec(input({ mounts: [{ containerPath: '/dev', hostPath: '/dev' }] }));
  assert.deepEqual(dev.mounts.map((m) => m.destination), ['/proc', '/sys', '/sys/fs/cgroup', '/dev']);
});

test('hostIPC pods get the host /dev/shm', () => {
  const s = containerSpec(input({ namespaces: { ...pod, ipc: { mode: 'host' } }, podFiles: { devShm: '/p/shm' } }));
  assert.equal(mountOf(s, '/dev/shm')?.source, '/dev/shm');
  assert.equal(mountOf(s, '/dev/shm')?.type, 'bind');
});

test('user: uid, gid and sorted unique supplementary groups', () => {
  const s = containerSpec(input({ user: { uid: 1000, gid: 3000, additionalGids: [2000, 10, 2000] } }));
  assert.deepEqual(s.process.user, { uid: 1000, gid: 3000, additionalGids: [10, 2000] });
  assert.deepEqual(containerSpec(input({ user: { uid: 1000, gid: 1000, additionalGids: [] } })).process.user, { uid: 1000, gid: 1000 });
});

test('namespaces: joined by path in containerd order, host ones left out, new ones empty, cgroupns on cgroup v2', () => {
  assert.deepEqual(containerSpec(input()).linux.namespaces, [
    { type: 'pid' },
    { type: 'ipc', path: '/proc/42/ns/ipc' },
    { type: 'uts', path: '/proc/42/ns/uts' },
    { type: 'mount' },
    { type: 'network', path: '/var/run/netns/pod' },
  ]);
  const shared = containerSpec(input({ namespaces: { ...pod, pid: { mode: 'path', path: '/proc/42/ns/pid' } } }));
  assert.deepEqual(shared.linux.namespaces[0], { type: 'pid', path: '/proc/42/ns/pid' });
  const host = containerSpec(input({ namespaces: { network: { mode: 'host' }, ipc: { mode: 'host' }, uts: { mode: 'host' }, pid: { mode: 'host' } } }));
  assert.deepEqual(host.linux.namespaces, [{ type: 'mount' }]);
  assert.equal(host.hostname, undefined);
  const fresh = containerSpec(input({ namespaces: { network: { mode: 'new' }, ipc: { mode: 'new' }, uts: { mode: 'new' }, pid: { mode: 'new' } }, host: { unifiedCgroups: true } }));
  assert.deepEqual(fresh.linux.namespaces.map((n) => n.type), ['pid', 'ipc', 'uts', 'mount', 'network', 'cgroup']);
  assert.ok(fresh.linux.namespaces.every((n) => n.path === undefined));
  assert.equal(fresh.hostname, 'web-0', 'a new UTS namespace gets the pod hostname');
});

test('procMount Unmasked: no masked and no read-only paths', () => {
  const s = containerSpec(input({ security: { procMount: 'Unmasked' } }));
  assert.deepEqual(s.linux.maskedPaths, []);
  assert.deepEqual(s.linux.readonlyPaths, []);
  assert.equal(containerSpec(input({ security: { procMount: 'Default' } })).linux.maskedPaths?.length, 11);
});

test('env: PATH default, TERM for a terminal, HOSTNAME, then image and container variables replace, append or unset', () => {
  const s = containerSpec(input({ terminal: true, env: ['PATH=/bin', 'A=1', 'HOSTNAME=custom', 'A=2', 'B=3', 'TERM'] }));
  assert.equal(s.process.terminal, true);
  assert.deepEqual(s.process.env, ['PATH=/bin', 'HOSTNAME=custom', 'A=2', 'B=3']);
  assert.deepEqual(replaceOrAppendEnv(['X=1', 'Y=2'], ['X', 'X=3']), ['X=3', 'Y=2']);
  assert.equal(containerSpec(input({ cwd: '/work' })).process.cwd, '/work');
  assert.throws(() => containerSpec(input({ args: [] })), /no command specified/);
});

test('resources: shares from the request (or the limit alone), CFS quota from the limit, memory with equal swap', () => {
  assert.equal(milliCpuToShares(0), 2);
  assert.equal(milliCpuToShares(1), 2);
  assert.equal(milliCpuToShares(250), 256);
  assert.equal(milliCpuToShares(1000), 1024);
  assert.equal(milliCpuToShares(1_000_000), 262144);
  assert.equal(milliCpuToQuota(0, 100000), 0);
  assert.equal(milliCpuToQuota(5, 100000), 1000);
  assert.equal(milliCpuToQuota(500, 100000), 50000);
  assert.deepEqual(linuxResources({ cpuRequestMilli: 100, cpuLimitMilli: 500, memoryLimitBytes: 64 << 20 }, true), {
    cpu: { shares: 102, period: 100000, quota: 50000 },
    memory: { limit: 64 << 20, swap: 64 << 20 },
  });
  assert.deepEqual(linuxResources({ cpuLimitMilli: 2000 }, false), { cpu: { shares: 2048, period: 100000, quota: 200000 } });
  assert.deepEqual(linuxResources({ cpuRequestMilli: 0, cpuLimitMilli: 2000 }, false).cpu?.shares, 2, 'an explicit zero request is not defaulted from the limit');
  const s = containerSpec(input({ cgroupsPath: '/skiff.c/pod1/ctr', resources: { memoryLimitBytes: 1 << 30, pidsLimit: 100, oomScoreAdj: 1000 } }));
  assert.equal(s.linux.cgroupsPath, '/skiff.c/pod1/ctr');
  assert.deepEqual(s.linux.resources, { devices: [{ allow: false, access: 'rwm' }], cpu: { shares: 2, period: 100000 }, memory: { limit: 1 << 30 }, pids: { limit: 100 } });
  assert.equal(s.process.oomScoreAdj, 1000);
});

test('seccomp: archMap picks the machine arch, rules filtered by arch, caps and kernel, errno names resolved', () => {
  const sc = seccompForContainer(fixture, { capabilities: DEFAULT_CAPABILITIES, arch: 'amd64', kernelRelease: '6.1.0-18-amd64' })!;
  assert.equal(sc.defaultAction, 'SCMP_ACT_ERRNO');
  assert.equal(sc.defaultErrnoRet, 38);
  assert.deepEqual(sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  assert.deepEqual(sc.syscalls, [
    { names: ['read', 'write'], action: 'SCMP_ACT_ALLOW' },
    { names: ['personality'], action: 'SCMP_ACT_ALLOW', args: [{ index: 0, value: 8, valueTwo: 0, op: 'SCMP_CMP_EQ' }] },
    { names: ['arch_prctl'], action: 'SCMP_ACT_ALLOW' },
    { names: ['bpf'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 },
    { names: ['socket'], action: 'SCMP_ACT_ALLOW' },
    { names: ['clone3'], action: 'SCMP_ACT_ALLOW' },
  ]);
  const admin = seccompForContainer(fixture, { capabilities: [...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN'], kernelRelease: '6.1' })!;
  assert.deepEqual(admin.syscalls!.filter((s) => s.names[0] === 'bpf'), [{ names: ['bpf'], action: 'SCMP_ACT_ALLOW' }]);
  assert.equal(admin.syscalls!.some((s) => s.names[0] === 'kcmp'), false, 'includes.caps needs every listed capability');
  const bare = seccompForContainer(fixture, { capabilities: [], arch: 'arm64', kernelRelease: '3.10.0' })!;
  assert.deepEqual(bare.architectures, ['SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM']);
  assert.deepEqual(bare.syscalls!.map((s) => [s.names[0], s.action, s.errnoRet]), [
    ['read', 'SCMP_ACT_ALLOW', undefined],
    ['personality', 'SCMP_ACT_ALLOW', undefined],
    ['set_tls', 'SCMP_ACT_ALLOW', undefined],
    ['bpf', 'SCMP_ACT_ERRNO', 1],
    ['socket', 'SCMP_ACT_ERRNO', 22],
    ['old_thing', 'SCMP_ACT_ALLOW', undefined],
  ]);
  assert.deepEqual(bare.syscalls!.find((s) => s.names[0] === 'socket')?.args, [{ index: 0, value: 16, valueTwo: 0, op: 'SCMP_CMP_EQ' }]);
  assert.throws(() => seccompForContainer(fixture, { capabilities: [] }), /kernel version was not given/);
  assert.throws(() => seccompForContainer({ ...fixture, architectures: ['SCMP_ARCH_X86_64'] }, { capabilities: [], kernelRelease: '6.1' }), /both 'architectures' and 'archMap'/);
  assert.throws(() => seccompForContainer({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['x'], action: 'SCMP_ACT_ERRNO', errno: 'ENOPE' }] }, { capabilities: [] }), /unknown errno ENOPE/);
  assert.throws(() => seccompForContainer({ defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ name: 'x', names: ['y'], action: 'SCMP_ACT_ERRNO' }] }, { capabilities: [] }), /both 'name'/);
  assert.equal(seccompForContainer({ defaultAction: '', syscalls: [] }, { capabilities: [] }), undefined);
  // An OCI-format profile (a Localhost profile as containerd reads it) passes through as it is.
  const oci = { defaultAction: 'SCMP_ACT_LOG', architectures: ['SCMP_ARCH_X86_64'], syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 13 }] };
  assert.deepEqual(seccompForContainer(oci, { capabilities: [] }), oci);
});

test('seccomp in the spec: RuntimeDefault uses the given profile against the final capabilities; Localhost its own; Unconfined none', () => {
  const rd = containerSpec(input({ security: { seccomp: { type: 'RuntimeDefault' }, capabilities: { drop: ['AUDIT_WRITE'] } }, host: { defaultSeccompProfile: fixture, kernelRelease: '6.1' } }));
  assert.deepEqual(rd.linux.seccomp?.syscalls?.filter((s) => s.names[0] === 'socket').map((s) => s.action), ['SCMP_ACT_ERRNO']);
  const local = containerSpec(input({ security: { seccomp: { type: 'Localhost', profile: { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] } } } }));
  assert.deepEqual(local.linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [] });
  assert.equal(containerSpec(input({ security: { seccomp: { type: 'Unconfined' } } })).linux.seccomp, undefined);
  assert.throws(() => containerSpec(input({ security: { seccomp: { type: 'RuntimeDefault' } } })), /no default profile/);
});

test("seccomp with Docker's real default profile: its rules for the default and extended cap sets", { skip: !existsSync(DEFAULT_SECCOMP_PROFILE) && `${DEFAULT_SECCOMP_PROFILE} is not installed` }, () => {
  const profile = JSON.parse(readFileSync(DEFAULT_SECCOMP_PROFILE, 'utf8')) as SeccompProfile;
  const allowed = (caps: readonly string[]) => {
    const sc = seccompForContainer(profile, { capabilities: caps, arch: goArch('x64'), kernelRelease: '6.1.0' })!;
    const allow = new Set(sc.syscalls!.filter((s) => s.action === 'SCMP_ACT_ALLOW' && !s.args?.length).flatMap((s) => s.names));
    return { sc, allow };
  };
  const def = allowed(DEFAULT_CAPABILITIES);
  assert.equal(def.sc.defaultAction, 'SCMP_ACT_ERRNO');
  // moby 20.10's profile has no defaultErrnoRet: runc then answers EPERM.
  assert.equal(def.sc.defaultErrnoRet, undefined);
  assert.deepEqual(def.sc.architectures, ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32']);
  for (const name of ['read', 'chroot', 'arch_prctl', 'modify_ldt', 'socket']) assert.ok(def.allow.has(name), `${name} allowed by default`);
  for (const name of ['bpf', 'sethostname', 'init_module', 'set_tls', 'clock_settime']) assert.ok(!def.allow.has(name), `${name} not allowed by default`);
  // Without CAP_SYS_ADMIN no rule names bpf: the default action refuses it.
  assert.ok(!def.sc.syscalls!.some((s) => s.names.includes('bpf')));
  assert.equal(def.sc.syscalls!.every((s) => !('includes' in s) && !('excludes' in s) && !('comment' in s)), true);
  const admin = allowed([...DEFAULT_CAPABILITIES, 'CAP_SYS_ADMIN', 'CAP_SYS_TIME']);
  for (const name of ['bpf', 'sethostname', 'clock_settime']) assert.ok(admin.allow.has(name), `${name} allowed with the capability`);
  assert.ok(!admin.sc.syscalls!.some((s) => s.names.includes('bpf') && s.action === 'SCMP_ACT_ERRNO'));
  const noChroot = allowed(DEFAULT_CAPABILITIES.filter((c) => c !== 'CAP_SYS_CHROOT'));
  assert.ok(!noChroot.allow.has('chroot'));
});
