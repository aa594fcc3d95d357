// The defaults a container spec starts from, as containerd's CRI plugin (1.7) and the kubelet
// produce them. Each list names the upstream file it mirrors; keep them in step with it.
import type { OciMount, OciNamespaceType } from './types.js';

/**
 * The spec version written to config.json: the one Debian 12's runc 1.1.5 reports (`runc
 * --version`: "spec: 1.0.2-dev"), whose fields (defaultErrnoRet included) are all skiff uses.
 */
export const OCI_VERSION = '1.0.2-dev';

/** containerd oci/spec_opts.go `defaultUnixEnv`, set by WithDefaultPathEnv when the image has no PATH. */
export const DEFAULT_PATH_ENV = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

/**
 * containerd oci/mounts.go `defaultMounts` without /run (the CRI plugin applies
 * oci.WithoutRunMount), followed by the read-only cgroup mount that pkg/cri/opts
 * spec_linux_opts.go WithMounts appends ("inherits docker's behavior"). A fresh copy each call:
 * callers edit options (privileged makes /sys and the cgroup mount rw).
 */
export function defaultMounts(): OciMount[] {
  return [
    { destination: '/proc', type: 'proc', source: 'proc', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k'] },
    { destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620', 'gid=5'] },
    { destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k'] },
    { destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev'] },
    { destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro'] },
    { destination: '/sys/fs/cgroup', type: 'cgroup', source: 'cgroup', options: ['nosuid', 'noexec', 'nodev', 'relatime', 'ro'] },
  ];
}

/**
 * kubernetes pkg/securitycontext/util.go `defaultMaskedPaths` (kept in sync with moby
 * daemon/pkg/oci/defaults.go; containerd's populateDefaultUnixSpec has the same set). The CRI
 * plugin clears its own defaults and applies what the kubelet sends, which is this list unless
 * procMount is Unmasked. /proc/asound is masked here, as in all three upstreams today (older
 * kubelets listed it among the read-only paths instead).
 */
export const DEFAULT_MASKED_PATHS: readonly string[] = [
  '/proc/asound',
  '/proc/acpi',
  '/proc/kcore',
  '/proc/keys',
  '/proc/latency_stats',
  '/proc/timer_list',
  '/proc/timer_stats',
  '/proc/sched_debug',
  '/proc/scsi',
  '/sys/firmware',
  '/sys/devices/virtual/powercap',
];

/** kubernetes pkg/securitycontext/util.go `defaultReadonlyPaths`. */
export const DEFAULT_READONLY_PATHS: readonly string[] = ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'];

/** containerd oci/spec.go `defaultUnixNamespaces`, in its order: every container gets its own of each unless told to join or share. */
export const DEFAULT_NAMESPACES: readonly OciNamespaceType[] = ['pid', 'ipc', 'uts', 'mount', 'network'];

/** Mount points the CRI plugin adds from the sandbox (pkg/cri/server container_create_linux.go containerMounts). */
export const ETC_HOSTNAME = '/etc/hostname';
export const ETC_HOSTS = '/etc/hosts';
export const RESOLV_CONF = '/etc/resolv.conf';
export const DEV_SHM = '/dev/shm';
