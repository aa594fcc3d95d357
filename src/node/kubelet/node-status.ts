import { readFileSync, statfsSync } from 'node:fs';
import { arch, cpus, release } from 'node:os';
import type { KObject } from '../../api/types.js';

// The Node object the kubelet registers and keeps current (upstream pkg/kubelet/nodestatus).

export const KUBELET_VERSION = 'v1.32.0';
export const MAX_PODS = 110;

export interface MachineInfo {
  cpus: number;
  memoryKi: number;
  ephemeralStorageKi: number;
  kernelVersion: string;
  osImage: string;
  architecture: string;
}

export function goArch(a: string = arch()): string {
  return a === 'x64' ? 'amd64' : a === 'ia32' ? '386' : a;
}

export function memTotalKi(meminfo: string): number {
  const m = /^MemTotal:\s+(\d+)\s+kB/m.exec(meminfo);
  return m ? Number(m[1]) : 0;
}

export function osImageFrom(osRelease: string): string {
  const m = /^PRETTY_NAME=(.*)$/m.exec(osRelease);
  if (!m) return 'Linux';
  return m[1].trim().replace(/^"(.*)"$/, '$1');
}

export function readMachineInfo(stateDir: string): MachineInfo {
  const read = (p: string) => {
    try {
      return readFileSync(p, 'utf8');
    } catch {
      return '';
    }
  };
  let ephemeralStorageKi = 0;
  try {
    const s = statfsSync(stateDir);
    ephemeralStorageKi = Math.floor((s.blocks * s.bsize) / 1024);
  } catch {
    ephemeralStorageKi = 0;
  }
  return {
    cpus: cpus().length,
    memoryKi: memTotalKi(read('/proc/meminfo')),
    ephemeralStorageKi,
    kernelVersion: release(),
    osImage: osImageFrom(read('/etc/os-release')),
    architecture: goArch(),
  };
}

export interface NodeIdentity {
  name: string;
  internalIP: string;
  podCIDR: string;
  runtimeVersion: string;
}

/** Allocatable as a default kubelet computes it: capacity minus the 100Mi hard eviction threshold. */
export function nodeResources(m: MachineInfo): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const capacity = {
    cpu: String(m.cpus),
    'ephemeral-storage': `${m.ephemeralStorageKi}Ki`,
    'hugepages-1Gi': '0',
    'hugepages-2Mi': '0',
    memory: `${m.memoryKi}Ki`,
    pods: String(MAX_PODS),
  };
  const allocatable = {
    ...capacity,
    // Upstream subtracts evictionHard memory.available (100Mi) and nodefs.available (10%).
    'ephemeral-storage': String(Math.floor(m.ephemeralStorageKi * 1024 * 0.9)),
    memory: `${Math.max(0, m.memoryKi - 100 * 1024)}Ki`,
  };
  return { capacity, allocatable };
}

type Cond = { type: string; status: string; lastHeartbeatTime: string; lastTransitionTime: string; reason: string; message: string };

const CONDITIONS: [string, string, string, string][] = [
  ['MemoryPressure', 'False', 'KubeletHasSufficientMemory', 'kubelet has sufficient memory available'],
  ['DiskPressure', 'False', 'KubeletHasNoDiskPressure', 'kubelet has no disk pressure'],
  ['PIDPressure', 'False', 'KubeletHasSufficientPID', 'kubelet has sufficient PID available'],
  ['Ready', 'True', 'KubeletReady', 'kubelet is posting ready status'],
];

export function nodeConditions(old: Cond[] | undefined, now: string): Cond[] {
  return CONDITIONS.map(([type, status, reason, message]) => {
    const prev = old?.find((c) => c.type === type);
    return { type, status, lastHeartbeatTime: now, lastTransitionTime: prev && prev.status === status ? prev.lastTransitionTime : now, reason, message };
  });
}

/** The kubelet's HTTPS port (the resource endpoints metrics-server scrapes). */
export const KUBELET_PORT = 10250;

export function nodeLabels(name: string, architecture: string): Record<string, string> {
  return {
    'beta.kubernetes.io/arch': architecture,
    'beta.kubernetes.io/os': 'linux',
    'kubernetes.io/arch': architecture,
    'kubernetes.io/hostname': name,
    'kubernetes.io/os': 'linux',
  };
}

export function nodeStatus(id: NodeIdentity, m: MachineInfo, old: Record<string, unknown> | undefined, now: string): Record<string, unknown> {
  const { capacity, allocatable } = nodeResources(m);
  return {
    ...(old ?? {}),
    capacity,
    allocatable,
    conditions: nodeConditions(old?.conditions as Cond[] | undefined, now),
    addresses: [
      { type: 'InternalIP', address: id.internalIP },
      { type: 'Hostname', address: id.name },
    ],
    daemonEndpoints: { kubeletEndpoint: { Port: KUBELET_PORT } },
    nodeInfo: {
      machineID: '',
      systemUUID: '',
      bootID: '',
      kernelVersion: m.kernelVersion,
      osImage: m.osImage,
      containerRuntimeVersion: id.runtimeVersion,
      kubeletVersion: KUBELET_VERSION,
      kubeProxyVersion: KUBELET_VERSION,
      operatingSystem: 'linux',
      architecture: m.architecture,
    },
  };
}

export function newNode(id: NodeIdentity, m: MachineInfo, now: string): KObject {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: id.name,
      labels: nodeLabels(id.name, m.architecture),
      annotations: { 'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true' },
    },
    spec: { podCIDR: id.podCIDR, podCIDRs: [id.podCIDR] },
    status: nodeStatus(id, m, undefined, now),
  };
}
