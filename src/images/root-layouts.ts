// The directory skeletons of the bases the built-in images start from: the directories their
// root has (with the modes and owners the base gives them), the symlinks between them, and
// where the base installs busybox's applets. /proc, /sys and /dev are in every skeleton: the
// runtime mounts over them and a read-only root cannot grow mountpoints.
import type { BaseName } from './etc-files.js';

export interface DirSpec {
  /** Container path. */
  path: string;
  mode: number;
  uid?: number;
  gid?: number;
}

export interface LinkSpec {
  path: string;
  /** As the base writes it: relative for merged-/usr directories, absolute for /var/run. */
  target: string;
}

/**
 * Where busybox's applets go: `bin`, all in /bin (docker-library/busybox runs
 * `busybox --install /bin`); `installed`, each where busybox's own install puts it
 * (`busybox --list-full`: bin, sbin, usr/bin, usr/sbin, as Alpine's busybox trigger does);
 * `none`, no userland (distroless).
 */
export type AppletPlacement = 'bin' | 'installed' | 'none';

export interface BaseLayout {
  dirs: DirSpec[];
  links: LinkSpec[];
  applets: AppletPlacement;
}

function dirs(mode: number, ...paths: string[]): DirSpec[] {
  return paths.map((path) => ({ path, mode }));
}

const RUNTIME = dirs(0o755, '/dev', '/proc', '/sys');

// docker-library/busybox Dockerfile.builder: /bin, buildroot's device_table.txt (/tmp 1777,
// /root 700, /var/www 33:33), a home directory for every passwd user that lacks one (owned by
// that user: /usr/sbin for daemon, /var/spool/mail for mail, /home for nobody), /usr/bin/env.
const BUSYBOX: BaseLayout = {
  dirs: [
    ...RUNTIME,
    ...dirs(0o755, '/bin', '/etc', '/usr', '/usr/bin', '/var', '/var/spool'),
    { path: '/home', mode: 0o755, uid: 65534, gid: 65534 },
    { path: '/root', mode: 0o700 },
    { path: '/tmp', mode: 0o1777 },
    { path: '/usr/sbin', mode: 0o755, uid: 1, gid: 1 },
    { path: '/var/spool/mail', mode: 0o755, uid: 8, gid: 8 },
    { path: '/var/www', mode: 0o755, uid: 33, gid: 33 },
  ],
  links: [{ path: '/usr/bin/env', target: '../../bin/env' }],
  applets: 'bin',
};

// alpine-baselayout's package(): the FHS tree with /var/run -> /run, /var/empty 555,
// /root 700, /tmp and /var/tmp 1777.
const ALPINE: BaseLayout = {
  dirs: [
    ...RUNTIME,
    ...dirs(
      0o755,
      '/bin', '/dev/pts', '/dev/shm', '/etc', '/etc/apk', '/etc/conf.d', '/etc/crontabs', '/etc/init.d',
      '/etc/modprobe.d', '/etc/modules-load.d', '/etc/opt', '/etc/periodic', '/etc/profile.d', '/etc/sysctl.d',
      '/home', '/lib', '/media', '/mnt', '/opt', '/run', '/sbin', '/srv', '/usr', '/usr/bin', '/usr/lib',
      '/usr/local', '/usr/local/bin', '/usr/local/lib', '/usr/local/share', '/usr/sbin', '/usr/share',
      '/var', '/var/cache', '/var/lib', '/var/local', '/var/lock', '/var/log', '/var/mail', '/var/opt',
      '/var/spool', '/var/spool/cron',
    ),
    { path: '/root', mode: 0o700 },
    { path: '/tmp', mode: 0o1777 },
    { path: '/var/empty', mode: 0o555 },
    { path: '/var/tmp', mode: 0o1777 },
  ],
  links: [
    { path: '/var/run', target: '/run' },
    { path: '/var/spool/cron/crontabs', target: '/etc/crontabs' },
    { path: '/etc/mtab', target: '/proc/mounts' },
  ],
  applets: 'installed',
};

const DEBIAN_DIRS: DirSpec[] = [
  ...RUNTIME,
  ...dirs(
    0o755,
    '/boot', '/etc', '/home', '/media', '/mnt', '/opt', '/run', '/srv', '/usr', '/usr/bin', '/usr/games',
    '/usr/include', '/usr/lib', '/usr/libexec', '/usr/local', '/usr/local/bin', '/usr/local/etc', '/usr/local/games',
    '/usr/local/include', '/usr/local/lib', '/usr/local/sbin', '/usr/local/share', '/usr/local/src', '/usr/sbin',
    '/usr/share', '/usr/src', '/var', '/var/backups', '/var/cache', '/var/lib', '/var/log', '/var/opt', '/var/spool',
  ),
  { path: '/root', mode: 0o700 },
  { path: '/run/lock', mode: 0o1777 },
  { path: '/tmp', mode: 0o1777 },
  { path: '/var/local', mode: 0o2775, gid: 50 },
  { path: '/var/mail', mode: 0o2775, gid: 8 },
  { path: '/var/tmp', mode: 0o1777 },
];

const DEBIAN_LINKS: LinkSpec[] = [
  { path: '/var/run', target: '/run' },
  { path: '/var/lock', target: '/run/lock' },
];

// debian:bookworm-slim and later: merged /usr (/bin, /sbin, /lib, /lib64 are links into /usr).
const DEBIAN: BaseLayout = {
  dirs: [...DEBIAN_DIRS, ...dirs(0o755, '/usr/lib64')],
  links: [
    { path: '/bin', target: 'usr/bin' },
    { path: '/sbin', target: 'usr/sbin' },
    { path: '/lib', target: 'usr/lib' },
    { path: '/lib64', target: 'usr/lib64' },
    ...DEBIAN_LINKS,
  ],
  applets: 'installed',
};

// Before merged /usr (jessie, Ubuntu 16.04): /bin, /sbin, /lib, /lib64 are directories.
const DEBIAN_LEGACY: BaseLayout = {
  dirs: [...DEBIAN_DIRS, ...dirs(0o755, '/bin', '/sbin', '/lib', '/lib64')],
  links: DEBIAN_LINKS,
  applets: 'installed',
};

// distroless static: base-files' tree, /tmp 1777 (common:tmp), the homes of common:home.
const DISTROLESS: BaseLayout = {
  dirs: [
    ...RUNTIME,
    ...dirs(0o755, '/bin', '/boot', '/etc', '/home', '/lib', '/run', '/sbin', '/usr', '/usr/bin', '/usr/lib', '/usr/sbin',
      '/usr/share', '/var', '/var/cache', '/var/lib', '/var/log', '/var/spool'),
    { path: '/home/nonroot', mode: 0o700, uid: 65532, gid: 65532 },
    { path: '/root', mode: 0o700 },
    { path: '/tmp', mode: 0o1777 },
  ],
  links: [],
  applets: 'none',
};

export const BASE_LAYOUTS: Record<BaseName, BaseLayout> = {
  busybox: BUSYBOX,
  alpine: ALPINE,
  debian: DEBIAN,
  'debian-legacy': DEBIAN_LEGACY,
  distroless: DISTROLESS,
};
