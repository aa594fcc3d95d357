// The pod's sysctls: the kubelet's admission of them (pkg/kubelet/sysctl allowlist.go, with
// the safe set of kubelet 1.32 and no --allowed-unsafe-sysctls) and the /proc/sys paths the
// runtime writes them to inside the pod's network and IPC namespaces.

/** The kubelet's safe sysctls: namespaced, and isolated from other pods on the node. */
const SAFE_SYSCTLS = new Set([
  'kernel.shm_rmid_forced',
  'net.ipv4.ip_local_port_range',
  'net.ipv4.tcp_syncookies',
  'net.ipv4.ping_group_range',
  'net.ipv4.ip_unprivileged_port_start',
  'net.ipv4.ip_local_reserved_ports',
  'net.ipv4.tcp_keepalive_time',
  'net.ipv4.tcp_fin_timeout',
  'net.ipv4.tcp_keepalive_intvl',
  'net.ipv4.tcp_keepalive_probes',
  'net.ipv4.tcp_rmem',
  'net.ipv4.tcp_wmem',
]);

export const SYSCTL_FORBIDDEN_REASON = 'SysctlForbidden';

interface Sysctl {
  name: string;
  value: string;
}

interface SysctlPodSpec {
  securityContext?: { sysctls?: Sysctl[] };
  hostNetwork?: boolean;
  hostIPC?: boolean;
}

/**
 * A sysctl name in its dotted form (component-helpers ConvertSysctlVariableToDotsSeparator):
 * a name whose first separator is a slash uses slashes between parts and dots inside them.
 */
export function dottedSysctl(name: string): string {
  const first = name.search(/[./]/);
  if (first < 0 || name[first] === '.') return name;
  return name.replace(/[./]/g, (c) => (c === '/' ? '.' : '/'));
}

/** Where the sysctl lives under /proc/sys: dots become directories, slashes stay in names. */
export function sysctlPath(name: string): string {
  return dottedSysctl(name).replace(/[./]/g, (c) => (c === '.' ? '/' : '.'));
}

function namespaceOf(dotted: string): 'net' | 'ipc' | undefined {
  if (dotted.startsWith('net.')) return 'net';
  if (dotted === 'kernel.sem' || dotted.startsWith('kernel.shm') || dotted.startsWith('kernel.msg') || dotted.startsWith('fs.mqueue.')) return 'ipc';
  return undefined;
}

/** Why the kubelet refuses to run the pod, as its sysctl admission handler says it; undefined when it may run. */
export function sysctlAdmission(spec: SysctlPodSpec): { reason: string; message: string } | undefined {
  for (const s of spec.securityContext?.sysctls ?? []) {
    const name = dottedSysctl(s.name);
    let error: string | undefined;
    if (!SAFE_SYSCTLS.has(name)) error = `${JSON.stringify(name)} not allowlisted`;
    else if (namespaceOf(name) === 'net' && spec.hostNetwork) error = `${JSON.stringify(name)} not allowed with host net enabled`;
    else if (namespaceOf(name) === 'ipc' && spec.hostIPC) error = `${JSON.stringify(name)} not allowed with host ipc enabled`;
    if (error) return { reason: SYSCTL_FORBIDDEN_REASON, message: `forbidden sysctl: ${error}` };
  }
  return undefined;
}

/** The pod's sysctls as (path under /proc/sys, value) pairs, in the pod's order. */
export function podSysctls(spec: SysctlPodSpec): Array<[string, string]> {
  return (spec.securityContext?.sysctls ?? []).map((s) => [sysctlPath(s.name), s.value]);
}
