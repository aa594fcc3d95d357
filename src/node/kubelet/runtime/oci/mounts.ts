// A container's mount list: the kubelet's mounts (volumes, /etc/hosts, the termination log),
// the files the CRI plugin adds from the sandbox (/etc/hostname, /etc/resolv.conf, /dev/shm),
// and the runtime defaults they do not replace.
import { posix } from 'node:path';
import { DEV_SHM, ETC_HOSTNAME, ETC_HOSTS, RESOLV_CONF } from './defaults.js';
import type { OciMount } from './types.js';

/** Kubernetes' mountPropagation; the kubelet sends Private when a volumeMount has none. */
export type MountPropagation = 'None' | 'HostToContainer' | 'Bidirectional';

/** One bind mount as the CRI carries it (runtime.Mount). */
export interface BindMount {
  containerPath: string;
  hostPath: string;
  readOnly?: boolean;
  propagation?: MountPropagation;
}

/** Host files the pod's sandbox provides; each is bind-mounted into every container. */
export interface PodFiles {
  /** The kubelet-managed hosts file (kubelet_pods.go makeHostsMount). */
  hosts?: string;
  resolvConf?: string;
  hostname?: string;
  /** The sandbox's shared /dev/shm; without one each container keeps the default tmpfs. */
  devShm?: string;
}

/** kubelet default: pkg/kubelet/kuberuntime makeMounts mounts the termination log here. */
export const TERMINATION_MESSAGE_PATH = '/dev/termination-log';

export interface MountSources {
  /** The pod's volumes, in the container's volumeMounts order. */
  volumes?: readonly BindMount[];
  podFiles?: PodFiles;
  /** The container's termination-log file on the host, and where it appears (default /dev/termination-log). */
  terminationMessage?: { hostPath: string; path?: string };
  readOnlyRootFilesystem: boolean;
  hostIpc: boolean;
}

/**
 * The mounts the kubelet sends over the CRI, in its order (pkg/kubelet/kubelet_pods.go
 * makeMounts, then kuberuntime's termination message): volumes, the managed /etc/hosts
 * (read-write, left out when a volume already mounts /etc/hosts), the termination log (read-write).
 */
export function kubeletMounts(src: MountSources): BindMount[] {
  const out = [...(src.volumes ?? [])];
  if (src.podFiles?.hosts && !out.some((m) => clean(m.containerPath) === ETC_HOSTS)) {
    out.push({ containerPath: ETC_HOSTS, hostPath: src.podFiles.hosts, readOnly: false });
  }
  if (src.terminationMessage) {
    out.push({ containerPath: src.terminationMessage.path ?? TERMINATION_MESSAGE_PATH, hostPath: src.terminationMessage.hostPath, readOnly: false });
  }
  return out;
}

/**
 * What the CRI plugin adds from the sandbox unless the kubelet already mounts the path
 * (containerd pkg/cri/server/container_create_linux.go containerMounts): /etc/hostname,
 * /etc/hosts and /etc/resolv.conf read-only exactly when the root filesystem is, and /dev/shm
 * read-write — the host's own /dev/shm for a hostIPC pod.
 */
export function sandboxMounts(src: MountSources, cri: readonly BindMount[]): BindMount[] {
  const taken = new Set(cri.map((m) => clean(m.containerPath)));
  const ro = src.readOnlyRootFilesystem;
  const out: BindMount[] = [];
  const add = (containerPath: string, hostPath: string | undefined, readOnly: boolean) => {
    if (hostPath && !taken.has(containerPath)) out.push({ containerPath, hostPath, readOnly });
  };
  add(ETC_HOSTNAME, src.podFiles?.hostname, ro);
  add(ETC_HOSTS, src.podFiles?.hosts, ro);
  add(RESOLV_CONF, src.podFiles?.resolvConf, ro);
  add(DEV_SHM, src.hostIpc ? DEV_SHM : src.podFiles?.devShm, false);
  return out;
}

/**
 * The spec's mounts (containerd pkg/cri/opts/spec_linux_opts.go WithMounts): CRI mounts win over
 * sandbox mounts at the same path; the binds are ordered by depth (stable) so a parent never
 * hides a child; default mounts stay unless a bind replaces them, and all of /dev/* goes when a
 * bind supplies /dev. Also returns the root propagation a shared or slave bind requires.
 */
export function specMounts(defaults: readonly OciMount[], cri: readonly BindMount[], extra: readonly BindMount[]): { mounts: OciMount[]; rootfsPropagation?: string } {
  const criPaths = new Set(cri.map((m) => clean(m.containerPath)));
  const binds = [...cri, ...extra.filter((e) => !criPaths.has(clean(e.containerPath)))];
  const depth = (m: BindMount) => clean(m.containerPath).split('/').length - 1;
  const sorted = binds.map((m, i) => ({ m, i })).sort((a, b) => depth(a.m) - depth(b.m) || a.i - b.i).map((x) => x.m);

  const bound = new Set(sorted.map((m) => clean(m.containerPath)));
  const mounts: OciMount[] = defaults.filter((d) => {
    const dst = clean(d.destination);
    return !bound.has(dst) && !(bound.has('/dev') && dst.startsWith('/dev/'));
  });

  let rootfsPropagation: string | undefined;
  for (const m of sorted) {
    const options = ['rbind'];
    switch (m.propagation) {
      case 'Bidirectional':
        options.push('rshared');
        rootfsPropagation = 'rshared';
        break;
      case 'HostToContainer':
        options.push('rslave');
        if (rootfsPropagation !== 'rshared') rootfsPropagation = 'rslave';
        break;
      default:
        // Private, runc's default root propagation, needs no root setting.
        options.push('rprivate');
    }
    // As upstream: a read-only root does not make the binds read-only (unlike docker).
    options.push(m.readOnly ? 'ro' : 'rw');
    mounts.push({ destination: m.containerPath, type: 'bind', source: m.hostPath, options });
  }
  return rootfsPropagation ? { mounts, rootfsPropagation } : { mounts };
}

function clean(p: string): string {
  return posix.normalize(p).replace(/(.)\/+$/, '$1');
}
