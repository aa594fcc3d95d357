// The pod cgroup: one per pod under `skiff.<C>/<podUid>`, enforcing the pod's CPU and memory
// limits and counting its usage. cgroup v2 when /sys/fs/cgroup is the unified hierarchy, else the
// v1 controllers cpu, cpuacct, memory and pids. runc puts each container in a child
// `skiff.<C>/<podUid>/<containerId>` of every hierarchy it finds (all v1 controllers, the named
// systemd one and the unified one of a hybrid layout), so removal covers every hierarchy.
import { existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, rmdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { milliCpuToShares } from './oci/resources.js';

export type CgroupDriver = { version: 2; root: string } | { version: 1; roots: { cpu: string; cpuacct: string; memory: string; pids: string } };

const V1_CONTROLLERS = ['cpu', 'cpuacct', 'memory', 'pids'] as const;
/** The CFS period the kubelet uses (100 ms); quotas are expressed against it. */
export const CFS_PERIOD_US = 100_000;
/** The kernel refuses quotas below 1 ms (upstream's MinQuotaPeriod). */
const MIN_QUOTA_US = 1_000;

/**
 * Finds the cgroup hierarchy. /proc/1/root/sys/fs/cgroup is the fallback for a process whose
 * /sys is a fresh sysfs without the cgroup mounts (what `ip netns exec` gives its command).
 */
export function detectCgroups(bases: string[] = ['/sys/fs/cgroup', '/proc/1/root/sys/fs/cgroup']): CgroupDriver {
  for (const base of bases) {
    if (existsSync(join(base, 'cgroup.controllers'))) return { version: 2, root: base };
    if (V1_CONTROLLERS.every((c) => existsSync(join(base, c, 'cgroup.procs')))) {
      const roots = Object.fromEntries(V1_CONTROLLERS.map((c) => [c, join(base, c)])) as Extract<CgroupDriver, { version: 1 }>['roots'];
      return { version: 1, roots };
    }
  }
  throw new Error(`finding the cgroup hierarchy: neither cgroup v2 nor the v1 controllers ${V1_CONTROLLERS.join(', ')} are mounted under ${bases.join(' or ')}`);
}

export function clusterCgroupName(cluster: string): string {
  return `skiff.${cluster}`;
}

/** The v1 hierarchies' roots, co-mounted controllers once, as resolved for a driver. */
const v1Roots = new WeakMap<Extract<CgroupDriver, { version: 1 }>, string[]>();

/**
 * The distinct roots of the v1 controllers. Resolved once per driver (each resolution lstats
 * every component on cgroupfs, once per pod otherwise); a root that does not resolve is not
 * remembered, so a hierarchy mounted later is found.
 */
function distinctV1Roots(d: Extract<CgroupDriver, { version: 1 }>): string[] {
  const known = v1Roots.get(d);
  if (known) return known;
  const seen = new Set<string>();
  let resolved = true;
  for (const c of V1_CONTROLLERS) {
    let root = d.roots[c];
    try {
      root = realpathSync(root);
    } catch {
      // Not mounted: creating the pod cgroup will report it.
      resolved = false;
    }
    seen.add(root);
  }
  const out = [...seen];
  if (resolved) v1Roots.set(d, out);
  return out;
}

/** The pod's cgroup directories: one for v2, one per v1 controller (co-mounted controllers share one). */
export function podCgroupDirs(d: CgroupDriver, cluster: string, podUid: string): string[] {
  const rel = [clusterCgroupName(cluster), podUid];
  if (d.version === 2) return [join(d.root, ...rel)];
  return distinctV1Roots(d).map((root) => join(root, ...rel));
}

function controllerDir(d: CgroupDriver, controller: 'cpu' | 'cpuacct' | 'memory', cluster: string, podUid: string): string {
  const rel = [clusterCgroupName(cluster), podUid];
  return d.version === 2 ? join(d.root, ...rel) : join(d.roots[controller], ...rel);
}

/** The cgroup v2 weight of v1 CPU shares, as the kubelet converts them (CpuSharesToCpuWeight). */
export function sharesToWeight(shares: number): number {
  return 1 + Math.floor(((shares - 2) * 9999) / 262142);
}

/**
 * Files to write for the pod's requests and limits, as [file, content]; absent limits are
 * written as "unlimited". The pod's CPU weight comes from its CPU requests, as the kubelet's
 * ResourceConfigForPod makes it: a container's shares divide only its own pod's time, and the
 * pods' weights divide the node's, so a best-effort pod (2 shares) yields to pods that asked.
 */
export function limitWrites(d: CgroupDriver, cluster: string, podUid: string, cpuLimitMillis?: number, memoryLimitBytes?: number, cpuRequestMillis = 0): Array<[string, string]> {
  const quota = cpuLimitMillis && cpuLimitMillis > 0 ? Math.max(MIN_QUOTA_US, Math.round((cpuLimitMillis * CFS_PERIOD_US) / 1000)) : undefined;
  const mem = memoryLimitBytes && memoryLimitBytes > 0 ? String(Math.floor(memoryLimitBytes)) : undefined;
  const shares = milliCpuToShares(cpuRequestMillis);
  const cpu = controllerDir(d, 'cpu', cluster, podUid);
  const memory = controllerDir(d, 'memory', cluster, podUid);
  if (d.version === 2) {
    return [
      [join(cpu, 'cpu.weight'), String(sharesToWeight(shares))],
      [join(cpu, 'cpu.max'), `${quota ?? 'max'} ${CFS_PERIOD_US}`],
      [join(memory, 'memory.max'), mem ?? 'max'],
    ];
  }
  return [
    [join(cpu, 'cpu.shares'), String(shares)],
    [join(cpu, 'cpu.cfs_period_us'), String(CFS_PERIOD_US)],
    [join(cpu, 'cpu.cfs_quota_us'), String(quota ?? -1)],
    [join(memory, 'memory.limit_in_bytes'), mem ?? '-1'],
  ];
}

/** The files a process writes its pid to, to join the pod cgroup (in every v1 hierarchy). */
export function procsFiles(d: CgroupDriver, cluster: string, podUid: string): string[] {
  return podCgroupDirs(d, cluster, podUid).map((dir) => join(dir, 'cgroup.procs'));
}

/** The file with the pod's `oom_kill <n>` counter. */
export function oomEventsFile(d: CgroupDriver, cluster: string, podUid: string): string {
  const dir = controllerDir(d, 'memory', cluster, podUid);
  return join(dir, d.version === 2 ? 'memory.events' : 'memory.oom_control');
}

/** The container's cgroup as runc's cgroupsPath: absolute, so relative to each hierarchy's root. */
export function containerCgroupsPath(cluster: string, podUid: string, containerId: string): string {
  return `/${clusterCgroupName(cluster)}/${podUid}/${containerId}`;
}

/**
 * The file with the container's `oom_kill <n>` counter. The kernel counts a kill in the victim's
 * memory cgroup (in v1 there only), which is the container's whichever limit was hit.
 */
export function containerOomFile(d: CgroupDriver, cluster: string, podUid: string, containerId: string): string {
  return join(controllerDir(d, 'memory', cluster, podUid), containerId, d.version === 2 ? 'memory.events' : 'memory.oom_control');
}

/**
 * Every mounted hierarchy: the unified root for v2; for v1 each directory beside the controllers
 * that is a cgroup hierarchy (co-mounted controllers once), the named and unified ones included.
 */
export function hierarchyRoots(d: CgroupDriver): string[] {
  if (d.version === 2) return [d.root];
  const base = dirname(d.roots.cpu);
  const out = new Set<string>();
  let names: string[] = [];
  try {
    names = readdirSync(base);
  } catch {
    return [...new Set(Object.values(d.roots))];
  }
  for (const name of names) {
    const dir = join(base, name);
    if (!existsSync(join(dir, 'cgroup.procs'))) continue;
    try {
      out.add(realpathSync(dir));
    } catch {
      // Unmounted meanwhile.
    }
  }
  return [...out];
}

/** The pod's directory in every hierarchy. */
export function allPodCgroupDirs(d: CgroupDriver, cluster: string, podUid: string): string[] {
  return hierarchyRoots(d).map((root) => join(root, clusterCgroupName(cluster), podUid));
}

/** Parses flat-keyed cgroup files (`key value` per line: memory.stat, cpu.stat, memory.events, memory.oom_control). */
export function parseFlatKeyed(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of text.split('\n')) {
    const [k, v] = line.trim().split(/\s+/);
    if (k && v !== undefined && /^-?\d+$/.test(v)) out[k] = Number(v);
  }
  return out;
}

function enableV2Controllers(dir: string): void {
  // Children only get the controllers their parent delegates; ask for those we need that exist.
  let available: string[] = [];
  try {
    available = readFileSync(join(dir, 'cgroup.controllers'), 'utf8').trim().split(/\s+/);
  } catch {
    return;
  }
  const want = ['cpu', 'memory', 'pids'].filter((c) => available.includes(c));
  if (want.length > 0) writeFileSync(join(dir, 'cgroup.subtree_control'), want.map((c) => `+${c}`).join(' '));
}

/**
 * The CPU weight of the cluster's cgroup, which holds every pod cgroup, as [file, content]: the
 * kubelet gives its kubepods cgroup the shares of the node's allocatable CPU
 * (node_container_manager_linux.go getCgroupConfig), so that pods that asked for CPU get it
 * beside the system's daemons (1024 shares each, as any process). Here the nodes' pods share
 * one cgroup, so it weighs what all their allocatable CPU adds up to; left at the default
 * 1024, the pods together weighed as much as one busy process of the machine, and a new
 * best-effort pod's runc waited for the add-ons starting beside it for seconds.
 */
export function clusterWeightWrite(d: CgroupDriver, cluster: string, allocatableMillis: number): [string, string] {
  const shares = milliCpuToShares(allocatableMillis);
  if (d.version === 2) return [join(d.root, clusterCgroupName(cluster), 'cpu.weight'), String(sharesToWeight(shares))];
  return [join(d.roots.cpu, clusterCgroupName(cluster), 'cpu.shares'), String(shares)];
}

/** Creates the cluster's cgroup and weighs it (clusterWeightWrite). Idempotent. */
export function ensureClusterCgroup(d: CgroupDriver, cluster: string, allocatableMillis: number): void {
  try {
    const [file, value] = clusterWeightWrite(d, cluster, allocatableMillis);
    if (d.version === 2) enableV2Controllers(d.root);
    mkdirSync(dirname(file), { recursive: true });
    if (d.version === 2) enableV2Controllers(dirname(file));
    writeFileSync(file, value);
  } catch (e) {
    throw new Error(`creating the cgroup of cluster ${cluster}: ${(e as Error).message}`);
  }
}

/** Creates the pod cgroup and applies its limits. Idempotent. */
export function ensurePodCgroup(d: CgroupDriver, cluster: string, podUid: string, cpuLimitMillis?: number, memoryLimitBytes?: number, cpuRequestMillis?: number): void {
  const what = `creating the cgroup of pod ${podUid}`;
  try {
    if (d.version === 2) {
      enableV2Controllers(d.root);
      mkdirSync(join(d.root, clusterCgroupName(cluster)), { recursive: true });
      enableV2Controllers(join(d.root, clusterCgroupName(cluster)));
    }
    for (const dir of podCgroupDirs(d, cluster, podUid)) mkdirSync(dir, { recursive: true });
    for (const [file, value] of limitWrites(d, cluster, podUid, cpuLimitMillis, memoryLimitBytes, cpuRequestMillis)) writeFileSync(file, value);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`);
  }
}

export function cgroupPids(dirs: string[]): number[] {
  const pids = new Set<number>();
  for (const dir of dirs) {
    let text = '';
    try {
      text = readFileSync(join(dir, 'cgroup.procs'), 'utf8');
    } catch {
      continue;
    }
    for (const l of text.split('\n')) if (l) pids.add(Number(l));
  }
  return [...pids];
}

/** The tasks still in a cgroup (threads, zombies), for an error message. */
function describeTasks(dir: string): string {
  let tasks: string[] = [];
  try {
    tasks = readFileSync(join(dir, 'tasks'), 'utf8').split('\n').filter(Boolean);
  } catch {
    return '';
  }
  if (tasks.length === 0) return ' (no tasks left)';
  const what = tasks.map((t) => {
    try {
      return readFileSync(`/proc/${t}/stat`, 'utf8').split(' ').slice(0, 4).join(' ');
    } catch {
      return t;
    }
  });
  return ` (tasks: ${what.join('; ')})`;
}

function killPid(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}

/** A cgroup directory and its descendants, deepest first. */
function subtree(dir: string): string[] {
  const out: string[] = [];
  try {
    for (const e of readdirSync(dir, { withFileTypes: true })) if (e.isDirectory()) out.push(...subtree(join(dir, e.name)));
  } catch {
    return out;
  }
  out.push(dir);
  return out;
}

/**
 * SIGKILLs every process of the pod cgroup (its containers' cgroups included), waits until it is
 * empty and removes its directories in every hierarchy, containers' first.
 */
export async function removePodCgroup(d: CgroupDriver, cluster: string, podUid: string, timeoutMs = 10_000): Promise<void> {
  const dirs = allPodCgroupDirs(d, cluster, podUid).flatMap(subtree);
  if (dirs.length === 0) return;
  const deadline = Date.now() + timeoutMs;
  for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
    const pids = cgroupPids(dirs);
    if (pids.length === 0) break;
    const top = dirs[dirs.length - 1];
    if (d.version === 2 && existsSync(join(top, 'cgroup.kill'))) writeFileSync(join(top, 'cgroup.kill'), '1');
    else pids.forEach(killPid);
    if (Date.now() > deadline) throw new Error(`removing the cgroup of pod ${podUid}: processes ${pids.join(', ')} survive SIGKILL`);
    await new Promise((r) => setTimeout(r, wait));
  }
  for (const dir of dirs) {
    // An exiting process may still hold the cgroup for a moment after leaving cgroup.procs.
    for (let wait = 5; ; wait = Math.min(wait * 2, 100)) {
      try {
        rmdirSync(dir);
        break;
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') break;
        if (code !== 'EBUSY' || Date.now() > deadline) throw new Error(`removing the cgroup ${dir} of pod ${podUid}: ${(e as Error).message}${describeTasks(dir)}`);
        // A process that joined after the cgroup was emptied (an exec racing with the removal).
        cgroupPids([dir]).forEach(killPid);
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  }
}

/** Removes the cluster's parent cgroups once no pod cgroup is left under them (skiff down). */
export function removeClusterCgroups(d: CgroupDriver, cluster: string): void {
  for (const root of hierarchyRoots(d)) {
    try {
      rmdirSync(join(root, clusterCgroupName(cluster)));
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new Error(`removing the cgroup ${clusterCgroupName(cluster)} under ${root}: ${(e as Error).message}`);
    }
  }
}

/** CPU time used and memory working set of one cgroup, as cadvisor reads them. */
export interface CgroupUsage {
  cpuUsageNanos: number;
  memoryBytes: number;
}

/**
 * CPU time used and the working set (usage minus inactive file cache, what the kubelet and
 * metrics-server report as memory) of the cgroup at `rel` under each hierarchy. Undefined when
 * the cgroup does not exist.
 */
function cgroupUsage(d: CgroupDriver, rel: string[]): CgroupUsage | undefined {
  try {
    if (d.version === 2) {
      const dir = join(d.root, ...rel);
      const cpu = parseFlatKeyed(readFileSync(join(dir, 'cpu.stat'), 'utf8'));
      const usage = Number(readFileSync(join(dir, 'memory.current'), 'utf8').trim());
      const stat = parseFlatKeyed(readFileSync(join(dir, 'memory.stat'), 'utf8'));
      return { cpuUsageNanos: (cpu.usage_usec ?? 0) * 1000, memoryBytes: Math.max(0, usage - (stat.inactive_file ?? 0)) };
    }
    const cpuUsageNanos = Number(readFileSync(join(d.roots.cpuacct, ...rel, 'cpuacct.usage'), 'utf8').trim());
    const usage = Number(readFileSync(join(d.roots.memory, ...rel, 'memory.usage_in_bytes'), 'utf8').trim());
    const stat = parseFlatKeyed(readFileSync(join(d.roots.memory, ...rel, 'memory.stat'), 'utf8'));
    return { cpuUsageNanos, memoryBytes: Math.max(0, usage - (stat.total_inactive_file ?? 0)) };
  } catch {
    return undefined;
  }
}

/** The pod cgroup's usage (its containers and its pause process together). */
export function podCgroupStats(d: CgroupDriver, cluster: string, podUid: string): CgroupUsage | undefined {
  return cgroupUsage(d, [clusterCgroupName(cluster), podUid]);
}

/** One container's usage, from the cgroup runc made for it under the pod's. */
export function containerCgroupStats(d: CgroupDriver, cluster: string, podUid: string, containerId: string): CgroupUsage | undefined {
  return cgroupUsage(d, [clusterCgroupName(cluster), podUid, containerId]);
}
