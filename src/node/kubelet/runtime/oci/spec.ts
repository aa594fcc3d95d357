// A container's OCI runtime spec (the bundle's config.json for runc), built as the kubelet and
// containerd's CRI plugin (1.7) build it: containerd pkg/cri/server/container_create_linux.go
// containerSpec + containerSpecOpts over oci/spec.go populateDefaultUnixSpec, with the
// kubelet's share of the work (pkg/kubelet/kuberuntime security_context.go, makeMounts,
// calculateLinuxResources). A plain function: what it needs from the machine comes in `host`
// (see ./host.ts for the loaders).
import { applyCapabilityChanges, DEFAULT_CAPABILITIES, KNOWN_CAPABILITIES, processCapabilities, type CapabilityChanges } from './capabilities.js';
import { DEFAULT_MASKED_PATHS, DEFAULT_NAMESPACES, DEFAULT_PATH_ENV, DEFAULT_READONLY_PATHS, OCI_VERSION, defaultMounts } from './defaults.js';
import { kubeletMounts, sandboxMounts, specMounts, type BindMount, type PodFiles } from './mounts.js';
import { linuxResources, type ContainerResources } from './resources.js';
import { seccompForContainer, type SeccompProfile } from './seccomp.js';
import type { OciDevice, OciNamespace, OciSeccomp, OciSpec } from './types.js';

/** A namespace of the container: its own, one joined by path (the pod's), or none (the host's). */
export type NamespaceMode = { mode: 'new' } | { mode: 'path'; path: string } | { mode: 'host' };

export type SeccompChoice =
  | { type: 'RuntimeDefault' }
  | { type: 'Unconfined' }
  /** The parsed file under the kubelet's seccomp root (loadSeccompProfile reads it). */
  | { type: 'Localhost'; profile: SeccompProfile };

/** The container's securityContext after the kubelet merged in the pod's. */
export interface ContainerSecurity {
  privileged?: boolean;
  capabilities?: CapabilityChanges;
  /** Unset means allowed (kubelet securitycontext.AddNoNewPrivileges): noNewPrivileges only when false. */
  allowPrivilegeEscalation?: boolean;
  /** Unset means Unconfined, the kubelet's default without --seccomp-default. */
  seccomp?: SeccompChoice;
  procMount?: 'Default' | 'Unmasked';
  readOnlyRootFilesystem?: boolean;
}

/** Facts about the machine; every field has the default that suits a test or a plain host. */
export interface HostFacts {
  /** What privileged and add: [ALL] grant; containerd uses its own effective set (host.ts currentCapabilities). Default: all known. */
  allCapabilities?: readonly string[];
  /** The host's devices, given to privileged containers (host.ts hostDevices). Default: none. */
  devices?: readonly OciDevice[];
  /** cgroup v2 only: non-privileged containers then get a cgroup namespace. Default false. */
  unifiedCgroups?: boolean;
  /** memory.swap can be set (host.ts swapControllerAvailable). Default false. */
  swapController?: boolean;
  /** Profile behind seccomp RuntimeDefault (host.ts loadSeccompProfile). */
  defaultSeccompProfile?: SeccompProfile;
  /** GOARCH for seccomp rules; default amd64. */
  arch?: string;
  /** `uname -r`, for seccomp rules with a minKernel. */
  kernelRelease?: string;
}

export interface ContainerSpecInput {
  /** The command and its arguments, already resolved against the image's entrypoint and cmd. */
  args: string[];
  /** KEY=VALUE: the image's first, then the container's (later ones win; "KEY" alone unsets). */
  env?: string[];
  /** Working directory; default "/". */
  cwd?: string;
  /** Root filesystem: absolute, or relative to the bundle. */
  rootfs: string;
  /** The pod's hostname: the HOSTNAME variable, and the UTS name when the UTS namespace is new. */
  hostname: string;
  terminal?: boolean;
  namespaces: { network: NamespaceMode; ipc: NamespaceMode; uts: NamespaceMode; pid: NamespaceMode };
  user?: { uid: number; gid: number; additionalGids?: readonly number[] };
  security?: ContainerSecurity;
  /** The container's volume mounts. */
  mounts?: readonly BindMount[];
  /** The sandbox's /etc/hosts, /etc/resolv.conf, /etc/hostname and /dev/shm on the host. */
  podFiles?: PodFiles;
  /** The container's termination-log file on the host; `path` defaults to /dev/termination-log. */
  terminationMessage?: { hostPath: string; path?: string };
  cgroupsPath?: string;
  resources?: ContainerResources;
  annotations?: Record<string, string>;
  host?: HostFacts;
}

export function containerSpec(c: ContainerSpecInput): OciSpec {
  if (c.args.length === 0) throw new Error('no command specified');
  const sec = c.security ?? {};
  const host = c.host ?? {};
  const privileged = sec.privileged === true;
  const readOnlyRoot = sec.readOnlyRootFilesystem === true;

  // Capabilities: CRI WithCapabilities over the default set; oci.WithPrivileged then replaces
  // them with everything the runtime holds, whatever the add/drop lists say.
  const allCaps = host.allCapabilities ?? KNOWN_CAPABILITIES;
  const caps = privileged ? [...allCaps] : applyCapabilityChanges(DEFAULT_CAPABILITIES, sec.capabilities, allCaps);

  // Mounts: privileged makes /sys and /sys/fs/cgroup writable (WithWriteableSysfs, WithWriteableCgroupfs).
  const defaults = defaultMounts();
  if (privileged) for (const m of defaults) if (m.type === 'sysfs' || m.type === 'cgroup') m.options = m.options.map((o) => (o === 'ro' ? 'rw' : o));
  const sources = {
    volumes: c.mounts,
    podFiles: c.podFiles,
    terminationMessage: c.terminationMessage,
    readOnlyRootFilesystem: readOnlyRoot,
    hostIpc: c.namespaces.ipc.mode === 'host',
  };
  const cri = kubeletMounts(sources);
  const { mounts, rootfsPropagation } = specMounts(defaults, cri, sandboxMounts(sources, cri));

  const spec: OciSpec = {
    ociVersion: OCI_VERSION,
    process: {
      ...(c.terminal ? { terminal: true } : {}),
      user: processUser(c.user),
      args: [...c.args],
      env: processEnv(c),
      cwd: c.cwd || '/',
      capabilities: processCapabilities(caps),
      // CRI: WithNewPrivileges, then WithNoNewPrivileges when the kubelet asks for it.
      noNewPrivileges: sec.allowPrivilegeEscalation === false,
      ...(c.resources?.oomScoreAdj !== undefined ? { oomScoreAdj: c.resources.oomScoreAdj } : {}),
    },
    root: { path: c.rootfs, ...(readOnlyRoot ? { readonly: true } : {}) },
    ...(c.namespaces.uts.mode === 'new' ? { hostname: c.hostname } : {}),
    mounts,
    ...(c.annotations ? { annotations: { ...c.annotations } } : {}),
    linux: {
      namespaces: namespaces(c.namespaces, !privileged && host.unifiedCgroups === true),
      resources: {
        // populateDefaultUnixSpec denies every device (runc then allows its default set);
        // WithAllDevicesAllowed opens them all to a privileged container.
        devices: [{ allow: privileged, access: 'rwm' }],
        ...linuxResources(c.resources, host.swapController === true),
      },
      ...(c.cgroupsPath ? { cgroupsPath: c.cgroupsPath } : {}),
      ...(privileged && host.devices?.length ? { devices: host.devices.map((d) => ({ ...d })) } : {}),
      ...(rootfsPropagation ? { rootfsPropagation } : {}),
    },
  };

  // Masked and read-only paths come from the kubelet (ConvertToRuntimeMaskedPaths /
  // ...ReadonlyPaths: none for procMount Unmasked); WithPrivileged clears them.
  if (!privileged) {
    const unmasked = sec.procMount === 'Unmasked';
    spec.linux.maskedPaths = unmasked ? [] : [...DEFAULT_MASKED_PATHS];
    spec.linux.readonlyPaths = unmasked ? [] : [...DEFAULT_READONLY_PATHS];
  }

  const seccomp = seccompFor(sec.seccomp, privileged, caps, host);
  if (seccomp) spec.linux.seccomp = seccomp;
  return spec;
}

/** UID and GID as given; supplementary groups sorted and unique, omitted when none (CRI mergeGids). */
function processUser(u: ContainerSpecInput['user']): OciSpec['process']['user'] {
  const uid = u?.uid ?? 0;
  const gid = u?.gid ?? 0;
  const groups = [...new Set(u?.additionalGids ?? [])].sort((a, b) => a - b);
  return groups.length ? { uid, gid, additionalGids: groups } : { uid, gid };
}

/**
 * The environment in the CRI plugin's order: PATH default (WithDefaultPathEnv), TERM=xterm for a
 * terminal (WithTTY), HOSTNAME, then the image's and the container's variables.
 */
function processEnv(c: ContainerSpecInput): string[] {
  let env = [DEFAULT_PATH_ENV];
  if (c.terminal) env.push('TERM=xterm');
  env = replaceOrAppendEnv(env, [`HOSTNAME=${c.hostname}`]);
  return replaceOrAppendEnv(env, c.env ?? []);
}

/**
 * containerd oci/spec_opts.go replaceOrAppendEnvValues: KEY=VALUE replaces an earlier KEY or
 * is appended; a bare KEY removes it.
 */
export function replaceOrAppendEnv(base: readonly string[], overrides: readonly string[]): string[] {
  const out: Array<string | undefined> = [...base];
  const index = new Map<string, number>();
  out.forEach((e, i) => index.set(envKey(e!), i));
  for (const o of overrides) {
    const key = envKey(o);
    const at = index.get(key);
    if (!o.includes('=')) {
      if (at !== undefined) out[at] = undefined;
      continue;
    }
    if (at !== undefined) out[at] = o;
    else {
      index.set(key, out.length);
      out.push(o);
    }
  }
  return out.filter((e): e is string => e !== undefined);
}

function envKey(e: string): string {
  const i = e.indexOf('=');
  return i < 0 ? e : e.slice(0, i);
}

/**
 * containerd's default namespaces (pid, ipc, uts, mount, network), each replaced in place by
 * the path to join (CRI WithPodNamespaces) or removed for the host's (as the sandbox spec does
 * for hostNetwork/hostIPC/hostPID), plus a cgroup namespace on cgroup v2 for non-privileged
 * containers ("For compatibility, cgroupns is not used when running in cgroup v1 mode or in
 * privileged").
 */
function namespaces(modes: ContainerSpecInput['namespaces'], cgroupns: boolean): OciNamespace[] {
  const byType: Partial<Record<OciNamespace['type'], NamespaceMode>> = { network: modes.network, ipc: modes.ipc, uts: modes.uts, pid: modes.pid };
  const out: OciNamespace[] = [];
  for (const type of DEFAULT_NAMESPACES) {
    const m = byType[type] ?? { mode: 'new' };
    if (m.mode === 'host') continue;
    out.push(m.mode === 'path' ? { type, path: m.path } : { type });
  }
  if (cgroupns) out.push({ type: 'cgroup' });
  return out;
}

/**
 * CRI generateSeccompSpecOpts: none for privileged containers or Unconfined, the runtime's
 * default profile for RuntimeDefault, the given one for Localhost; both filtered by the
 * container's bounding capabilities.
 */
function seccompFor(choice: SeccompChoice | undefined, privileged: boolean, caps: readonly string[], host: HostFacts): OciSeccomp | undefined {
  if (privileged || !choice || choice.type === 'Unconfined') return undefined;
  const profile = choice.type === 'Localhost' ? choice.profile : host.defaultSeccompProfile;
  if (!profile) throw new Error('seccomp RuntimeDefault: no default profile was given (host.defaultSeccompProfile; see loadSeccompProfile)');
  return seccompForContainer(profile, { capabilities: caps, arch: host.arch, kernelRelease: host.kernelRelease });
}
