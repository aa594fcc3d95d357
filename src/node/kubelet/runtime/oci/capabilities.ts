// Capability sets: the runtime default, Kubernetes' add/drop, and privileged containers' "all".
import type { OciCapabilities } from './types.js';

/**
 * containerd oci/spec.go `defaultUnixCaps`, which is Docker's default set (moby
 * daemon/pkg/oci/caps/defaults.go DefaultCapabilities). As a CapEff mask: 00000000a80425fb.
 */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FSETID',
  'CAP_FOWNER',
  'CAP_MKNOD',
  'CAP_NET_RAW',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETFCAP',
  'CAP_SETPCAP',
  'CAP_NET_BIND_SERVICE',
  'CAP_SYS_CHROOT',
  'CAP_KILL',
  'CAP_AUDIT_WRITE',
];

/**
 * containerd pkg/cap/cap_linux.go `capsLatest`: every capability by its number (the index), up
 * to Linux 5.9's CAP_CHECKPOINT_RESTORE.
 */
export const KNOWN_CAPABILITIES: readonly string[] = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
];

/**
 * Capability names from a /proc/<pid>/status mask such as CapEff (containerd pkg/cap FromBitmap).
 * Bits past the known list are left out: runc could not name them either.
 */
export function capabilitiesFromMask(hex: string): string[] {
  const mask = BigInt(`0x${hex.trim()}`);
  return KNOWN_CAPABILITIES.filter((_, bit) => (mask >> BigInt(bit)) & 1n);
}

/** The /proc/<pid>/status mask of a capability list, as the kernel prints it (16 hex digits). */
export function capabilityMask(caps: readonly string[]): string {
  let mask = 0n;
  for (const c of caps) {
    const bit = KNOWN_CAPABILITIES.indexOf(c);
    if (bit >= 0) mask |= 1n << BigInt(bit);
  }
  return mask.toString(16).padStart(16, '0');
}

export interface CapabilityChanges {
  /** Kubernetes names without the CAP_ prefix (NET_ADMIN), or ALL. */
  add?: readonly string[];
  drop?: readonly string[];
}

/**
 * The container's capability list after securityContext.capabilities, in the order of
 * containerd pkg/cri/opts/spec_opts.go WithCapabilities: add ALL (the runtime's whole set), then
 * drop ALL, then each added name, then each dropped one. ALL is matched case-insensitively
 * (util.InStringSlice); other names become "CAP_" + upper case, as upstream writes them.
 */
export function applyCapabilityChanges(base: readonly string[], changes: CapabilityChanges | undefined, all: readonly string[]): string[] {
  if (!changes) return [...base];
  const isAll = (c: string) => c.toUpperCase() === 'ALL';
  const add = changes.add ?? [];
  const drop = changes.drop ?? [];
  let caps = [...base];
  if (add.some(isAll)) caps = [...all];
  if (drop.some(isAll)) caps = [];
  for (const c of add.filter((x) => !isAll(x)).map(capName)) if (!caps.includes(c)) caps.push(c);
  const dropped = new Set(drop.filter((x) => !isAll(x)).map(capName));
  return caps.filter((c) => !dropped.has(c));
}

function capName(k8sName: string): string {
  return `CAP_${k8sName.toUpperCase()}`;
}

/**
 * The process capability sets for a list: bounding, effective and permitted hold it; inheritable
 * and ambient stay empty (containerd sets no inheritable set and WithoutAmbientCaps clears
 * ambient, "Keep docker's behavior", kubernetes/kubernetes#56374).
 */
export function processCapabilities(caps: readonly string[]): OciCapabilities {
  return { bounding: [...caps], effective: [...caps], permitted: [...caps] };
}
