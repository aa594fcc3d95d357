// A container's cgroup limits: the kubelet turns requests and limits into CPU shares, a CFS
// quota and a memory limit; the CRI plugin writes the non-zero ones into linux.resources.
import type { OciResources } from './types.js';

/** kubernetes pkg/kubelet/cm/helpers_linux.go constants. */
export const MIN_SHARES = 2;
export const MAX_SHARES = 262_144;
const SHARES_PER_CPU = 1024;
const MILLI_CPU_TO_CPU = 1000;
/** The CFS period (100 ms) the kubelet always sends (cpuCFSQuota on, CPUCFSQuotaPeriod off). */
export const QUOTA_PERIOD = 100_000;
/** The smallest quota the kubelet sends (1 ms). */
export const MIN_QUOTA_PERIOD = 1_000;

export interface ContainerResources {
  /** resources.requests.cpu in millicores. */
  cpuRequestMilli?: number;
  /** resources.limits.cpu in millicores. */
  cpuLimitMilli?: number;
  /** resources.limits.memory in bytes. */
  memoryLimitBytes?: number;
  /** A pids limit for the container's cgroup (the kubelet sets its limit on the pod cgroup). */
  pidsLimit?: number;
  /** process.oomScoreAdj as the kubelet's QoS policy computes it. */
  oomScoreAdj?: number;
}

/** kubelet cm.MilliCPUToShares: zero means the kernel's minimum, not its 1024 default. */
export function milliCpuToShares(milli: number): number {
  if (milli === 0) return MIN_SHARES;
  const shares = Math.floor((milli * SHARES_PER_CPU) / MILLI_CPU_TO_CPU);
  return Math.min(MAX_SHARES, Math.max(MIN_SHARES, shares));
}

/** kubelet milliCPUToQuota: no limit is quota 0 (left unset), else at least 1 ms per period. */
export function milliCpuToQuota(milli: number, period: number): number {
  if (milli === 0) return 0;
  return Math.max(MIN_QUOTA_PERIOD, Math.floor((milli * period) / MILLI_CPU_TO_CPU));
}

/**
 * linux.resources without the device rules: kubelet kuberuntime_container_linux.go
 * calculateLinuxResources (shares from the request, or from the limit when only a limit is set;
 * the period always; the quota from the limit) and containerd pkg/cri/opts/spec_linux_opts.go
 * WithResources (only non-zero values; memory.swap equal to the limit, so the container cannot
 * swap, when the swap controller exists).
 */
export function linuxResources(r: ContainerResources | undefined, swapController: boolean): Omit<OciResources, 'devices'> {
  const request = r?.cpuRequestMilli ?? 0;
  const limit = r?.cpuLimitMilli ?? 0;
  const shares = r?.cpuRequestMilli === undefined && limit !== 0 ? milliCpuToShares(limit) : milliCpuToShares(request);
  const quota = milliCpuToQuota(limit, QUOTA_PERIOD);
  const out: Omit<OciResources, 'devices'> = { cpu: { shares, period: QUOTA_PERIOD, ...(quota !== 0 ? { quota } : {}) } };
  const mem = r?.memoryLimitBytes ?? 0;
  if (mem !== 0) out.memory = swapController ? { limit: mem, swap: mem } : { limit: mem };
  if (r?.pidsLimit !== undefined) out.pids = { limit: r.pidsLimit };
  return out;
}
