// What a container spec needs to know about this machine, read here once so that
// containerSpec stays a plain function of its input: the seccomp profile files, the
// capabilities the runtime holds, the host's devices, the cgroup layout and the kernel.
import { existsSync, lstatSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { arch, release } from 'node:os';
import { join } from 'node:path';
import { capabilitiesFromMask } from './capabilities.js';
import type { SeccompProfile } from './seccomp.js';
import type { OciDevice } from './types.js';

/**
 * Docker's default profile (moby profiles/seccomp/default.json), taken by scripts/install-deps.sh
 * from Debian's golang-github-docker-docker-dev: the RuntimeDefault kind, k3s and minikube give.
 * (containers/common's seccomp.json is podman's, which leaves mount, unshare and setns to
 * capabilities alone.)
 */
export const DEFAULT_SECCOMP_PROFILE = '/usr/local/lib/skiff/seccomp/default.json';

/** Reads a seccomp profile (Docker, containers/common or OCI format) for RuntimeDefault or Localhost. */
export function loadSeccompProfile(path: string = DEFAULT_SECCOMP_PROFILE): SeccompProfile {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new Error(`reading seccomp profile ${path}: ${(e as Error).message}`);
  }
  const p = parsed as Partial<SeccompProfile> | null;
  if (!p || typeof p !== 'object' || typeof p.defaultAction !== 'string' || (p.syscalls != null && !Array.isArray(p.syscalls))) {
    throw new Error(`seccomp profile ${path}: not a profile (needs a string defaultAction and a syscalls list)`);
  }
  return p as SeccompProfile;
}

/**
 * The effective capabilities of this process: what a privileged container or `add: [ALL]` gets
 * (containerd pkg/cap Current, which the CRI plugin uses as its "all caps"). On a machine whose
 * own bounding set lacks some capability, the full known list would make runc fail.
 */
export function currentCapabilities(statusFile = '/proc/self/status'): string[] {
  const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync(statusFile, 'utf8'));
  if (!m) throw new Error(`no CapEff line in ${statusFile}`);
  return capabilitiesFromMask(m[1]);
}

/**
 * The host's device nodes for a privileged container (containerd oci/utils_unix.go HostDevices):
 * every block and character device under /dev, not descending into pts, shm, fd, mqueue, .lxc,
 * .lxd-mounts and .udev, and without /dev/console.
 */
export function hostDevices(dir = '/dev'): OciDevice[] {
  const out: OciDevice[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) {
      if (['pts', 'shm', 'fd', 'mqueue', '.lxc', '.lxd-mounts', '.udev'].includes(e.name)) continue;
      out.push(...hostDevices(path));
      continue;
    }
    if (e.name === 'console' || !(e.isBlockDevice() || e.isCharacterDevice())) continue;
    let st;
    try {
      st = lstatSync(path, { bigint: true });
    } catch {
      continue; // Gone since the listing.
    }
    const rdev = st.rdev;
    // glibc's major()/minor() for the 64-bit dev_t.
    const major = Number(((rdev >> 8n) & 0xfffn) | ((rdev >> 32n) & ~0xfffn));
    const minor = Number((rdev & 0xffn) | ((rdev >> 12n) & ~0xffn));
    out.push({ type: e.isBlockDevice() ? 'b' : 'c', path, major, minor, fileMode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) });
  }
  return out;
}

/** cgroup v2 only (containerd IsCgroup2UnifiedMode): /sys/fs/cgroup is a cgroup2 filesystem. */
export function unifiedCgroups(root = '/sys/fs/cgroup'): boolean {
  const CGROUP2_SUPER_MAGIC = 0x63677270;
  try {
    return statfsSync(root).type === CGROUP2_SUPER_MAGIC;
  } catch {
    return false;
  }
}

/**
 * Whether memory.swap can be limited (containerd pkg/cri/opts/spec_linux.go
 * SwapControllerAvailable): v1 has memory.memsw.limit_in_bytes, v2 memory.swap.max in our cgroup.
 */
export function swapControllerAvailable(root = '/sys/fs/cgroup'): boolean {
  if (!unifiedCgroups(root)) return existsSync(join(root, 'memory', 'memory.memsw.limit_in_bytes'));
  const own = /^0::(.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/';
  return existsSync(join(root, own, 'memory.swap.max'));
}

/** Go's GOARCH for Node's process.arch: the name seccomp profiles' includes and excludes use. */
export function goArch(nodeArch: string = arch()): string {
  const map: Record<string, string> = { x64: 'amd64', ia32: '386', arm: 'arm', arm64: 'arm64', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64', loong64: 'loong64', mips: 'mips', mipsel: 'mipsle' };
  return map[nodeArch] ?? nodeArch;
}

export function kernelRelease(): string {
  return release();
}
